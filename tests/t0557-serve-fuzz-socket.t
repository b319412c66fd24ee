#!/bin/sh
# keruta-serve fuzzed over its socket: mutated HTTP requests and WebSocket
# frames (tests/data/serve-fuzz.py, a fixed seed here; `make soak` and
# FUZZ_SEED= try others). The server answers /health throughout, what it
# stored before is intact after, it stops cleanly, and under the sanitizers
# nothing is reported.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 6

start_serve || exit 1
awk 'BEGIN { for (i = 1; i <= 100; i++)
	printf "{\"runId\":\"keep\",\"seq\":%d,\"message\":\"kept %d\"}\n", i, i }' >keep
curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' \
    --data-binary @keep "$SERVE_API/tasks/intact/logs"
curl -s "$SERVE_API/tasks/intact/logs/export?format=ndjson" >before
is "$(wc -l <before)" 100 "100 records stored first"
python3 "$DATA/serve-fuzz.py" "$SERVE_PORT" "${FUZZ_CASES:-1000}" \
    "${FUZZ_SEED:-1}" >fuzz.out 2>&1
check $? "the server answered throughout: $(tail -n 1 fuzz.out)"
curl -s "$SERVE_API/tasks/intact/logs/export?format=ndjson" >after
diff_golden before after "what it stored before is intact"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/health")" 200 \
    "healthy at the end"
stop_serve
is "$SERVE_RC" 0 "it stops cleanly"
grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$SERVE_LOG" >san
is "$(head -n 3 san)" "" "no sanitizer report"
