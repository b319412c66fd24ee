#!/bin/sh
# keruta-tail reads the history through the REST API (--tail, --since,
# --grep) with the same credentials as the WebSocket: a bearer token or an
# API key, and says which was wanted or refused.
. "${0%/*}/lib.sh"
[ -x "$KR_BIN/keruta-serve" ] || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
# gone PID: PID has ended (a child not yet waited for counts as ended).
gone() { ! _sv_alive "$1"; }
plan 9

printf 'the-secret-of-this-test-0123456789\n' >secret
{
	echo "reader $(printf 'key-r' | keruta-serve --hash-key) logs:read"
	echo "writer $(printf 'key-w' | keruta-serve --hash-key) logs:write"
	echo "other $(printf 'key-o' | keruta-serve --hash-key) logs:read elsewhere"
} >keys
start_serve --jwt-secret-file "$T/secret" --api-keys "$T/keys"
check $? "keruta-serve started with auth"
for i in 1 2 3; do
	printf '{"type":"log","runId":"r","seq":%s,"timestamp":"2026-11-28T10:00:0%sZ","source":"stdout","level":"INFO","message":"line %s"}' "$i" "$i" "$i" |
	    curl -sf -H 'X-API-Key: key-w' -H 'Content-Type: application/json' \
	    --data-binary @- "$SERVE_API/tasks/a/logs" >/dev/null
done
u="ws://127.0.0.1:$SERVE_PORT"
want="2026-11-28T10:00:03.000Z stdout INFO  line 3"

KERUTA_API_KEY=key-r keruta-tail -u "$u" -n --tail 1 a >out 2>err
is "$? $(cat out)$(cat err)" "0 $want" "an API key from KERUTA_API_KEY"
keruta-tail -u "$u" -n --tail 1 -T "$(jwt '{"scope":"logs:read"}')" a >out 2>err
is "$? $(cat out)$(cat err)" "0 $want" "a bearer token from -t"
keruta-tail -u "$u" -n --tail 1 a >out 2>err
is "$? $(cat out)$(cat err)" "1 keruta-tail: warning: the server wants a token: HTTP 401 (give -T or KERUTA_AUTH_TOKEN)" \
    "no credential: exit 1, and what is wanted"
KERUTA_API_KEY=wrong keruta-tail -u "$u" -n --grep line a >out 2>err
is "$? $(cat out)$(cat err)" "1 keruta-tail: warning: the server refused the token: HTTP 401" \
    "a wrong key: refused"
KERUTA_API_KEY=key-o keruta-tail -u "$u" -n --since 1h a >out 2>err
is "$? $(cat out)$(cat err)" "1 keruta-tail: warning: the token may not read task 'a': HTTP 403" \
    "a key for another task: 403"
grep -q 'key-r\|key-o' "$SERVE_LOG"
is $? 1 "no key in the server's log"

# Following with a key: the history by REST, the rest by WebSocket.
KERUTA_API_KEY=key-r keruta-tail -u "$u" --tail 1 -e a >out 2>err &
tp=$!
bg_pid $tp
wait_for 10 grep -q 'line 3' out
printf '{"type":"log","runId":"r","seq":4,"timestamp":"2026-11-28T10:00:04Z","source":"agent","level":"INFO","message":"exited with status 6","metadata":{"event":"exit","exitCode":6}}' |
    curl -sf -H 'X-API-Key: key-w' -H 'Content-Type: application/json' \
    --data-binary @- "$SERVE_API/tasks/a/logs" >/dev/null
wait_for 10 gone $tp
kill $tp 2>/dev/null	# still running: fail, do not hang
wait $tp
is $? 6 "following with a key: --exit-code"
is "$(cat out)" "$want
2026-11-28T10:00:04.000Z agent  INFO  exited with status 6" \
    "the last line, then the live one"
