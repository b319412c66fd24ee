#!/bin/sh
# keruta-serve: killed with SIGKILL in the middle of a stream of acked
# batches, twice: after each restart every acked record is there, once,
# and the database passes SQLite's integrity check.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 8

# poster PORT FIRST: posts batches of 200 records of run c from seq FIRST
# on, one at a time, writing each acked batch's last seq to acked, until
# the server goes away.
poster() {
	python3 - "$1" "$2" <<'PY'
import http.client, sys
port, seq = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
out = open("acked", "a")
while True:
    body = "\n".join('{"runId":"c","seq":%d,"message":"crash test %d %s"}'
                     % (s, s, "x" * 100) for s in range(seq, seq + 200))
    try:
        c.request("POST", "/api/v1/tasks/crash/logs", body,
                  {"Content-Type": "application/x-ndjson"})
        r = c.getresponse()
        r.read()
    except Exception:
        break
    if r.status != 200:
        break
    seq += 200
    out.write("%d\n" % (seq - 1))
    out.flush()
PY
}

: >acked
for round in 1 2; do
	start_serve || exit 1
	first=$(( $(tail -n 1 acked 2>/dev/null || echo 0) + 1 ))
	poster "$SERVE_PORT" "$first" &
	pp=$!
	bg_pid $pp
	# Let the WAL grow past a checkpoint (some 4096 pages), then crash.
	wait_for 60 sh -c '[ "$(wc -l <acked)" -ge $((500 * '$round')) ]'
	kill9_serve
	wait $pp
	start_serve || exit 1
	last=$(tail -n 1 acked)
	curl -s "$SERVE_API/tasks/crash/logs/export?format=ndjson" |
	    jq -r .seq >seqs
	is "$(sort -n seqs | uniq -d | wc -l | tr -d ' ')" 0 \
	    "round $round: no record twice"
	is "$(awk -v l="$last" '$1 <= l' seqs | wc -l | tr -d ' ')" "$last" \
	    "round $round: all $last acked records are there"
	stop_serve
	is "$(db_sound)" ok \
	    "round $round: the database is sound"
	# The next round starts after the last ack: what was stored but
	# not acked comes again, and is a duplicate.
done
start_serve || exit 1
is "$(curl -s "$SERVE_API/tasks/crash/logs/count" | jq .count)" \
    "$(sort -n seqs | tail -n 1)" \
    "the count is the highest seq: nothing lost, nothing doubled"
stop_serve
is "$SERVE_RC" 0 "and the server stops cleanly"
