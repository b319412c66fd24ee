#!/bin/sh
# keruta-serve: when the database cannot grow (here a file size limit), an
# ingest that cannot be committed is refused with a 503, never acked; the
# server stays up and serves what it has; once there is room again (the
# limit raised), ingest resumes by itself.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "a full disk under the database file (PostgreSQL out of reach: t0900)"
plan 17

# The soft limit only, so that it can be raised again while it runs.
ulimit -S -f 4096 || skip_all "no file size limit here"
start_serve || exit 1
ulimit -S -f unlimited 2>/dev/null || :

i=0
: >codes
while [ $i -lt 200 ]; do
	awk -v b=$i 'BEGIN { for (j = 1; j <= 100; j++)
		printf "{\"runId\":\"full\",\"seq\":%d,\"message\":\"%s %d\"}\n",
		    b * 100 + j, sprintf("%300s", "x"), j }' >batch
	code=$(curl -s -o reply -w '%{http_code}' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @batch \
	    "$SERVE_API/tasks/full/logs")
	echo "$code" >>codes
	[ "$code" = 200 ] && jq .stored reply >>stored
	[ "$code" = 503 ] && cp reply refused
	i=$((i + 1))
done
grep -q '^200$' codes
check $? "batches are stored while there is room"
grep -q '^503$' codes
check $? "then refused with a 503"
is "$(jq -c .error refused)" \
    '{"code":"STORE_FAILED","message":"the database failed; retry later","status":503}' \
    "which says the database failed"
is "$(sort -u codes | tr '\n' ' ')" "200 503 " "and nothing else"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/health")" 200 \
    "the server is still up"
acked=$(awk '{ n += $1 } END { print n }' stored)
is "$(curl -s "$SERVE_API/tasks/full/logs/count" | jq .count)" "$acked" \
    "it holds exactly the records it acked"
is "$(curl -s "$SERVE_API/tasks/full/logs?size=1&order=desc" | jq '.content[0].seq')" \
    "$acked" "the last one acked is there"
# Over WebSocket: no ack, an error, and the connection closes. A record
# may still fit (a checkpoint lets the WAL start over in the room it
# has): records are sent, one connection each, until one does not.
ws=0 wsacked=0
while [ $ws -lt 50 ]; do
	ws=$((ws + 1))
	printf '{"runId":"ws","seq":%d,"message":"%s"}\n' $ws \
	    "$(printf '%4000s' y)" >ws.in
	serve_ws "$SERVE_WS/full" --send ws.in --timeout 10 >ws.out
	grep -q '"code":"STORE_FAILED"' ws.out && break
	grep -q '"type":"ack"' ws.out && wsacked=$((wsacked + 1))
done
grep -q '"code":"STORE_FAILED"' ws.out
check $? "WebSocket: the client is told STORE_FAILED"
grep -q '"type":"ack"' ws.out
check $((! $?)) "WebSocket: what could not be stored is not acked"
is "$(curl -s "$SERVE_API/tasks/full/logs/count" | jq .count)" \
    $((acked + wsacked)) "it holds exactly the records acked, over WebSocket too"
is "$(curl -s "$SERVE_URL/health" | jq -c '[.status,.database]')" \
    '["UP","failing"]' "/health: still UP, the database failing"
# Five warnings, then at most one every 10 s that counts the others (how
# many depends on how long the test ran): never one a request.
grep 'warning: database: disk I/O error' "$SERVE_LOG" >warned
is "$(grep -vc 'more failures since)$' warned)" 5 \
    "the failure is in the log, told 5 times in full"
is "$(grep -v '^keruta-serve: warning: database: disk I/O error$' warned |
    grep -vc '^keruta-serve: warning: database: disk I/O error (and [1-9][0-9]* more failures since)$')" \
    0 "then only as a count of the failures since"
test "$(wc -l <warned)" -lt "$(grep -c '^503$' codes)"
check $? "not once a request"

# Room again: the next batch is stored, without a restart.
python3 -c 'import resource, sys
resource.prlimit(int(sys.argv[1]), resource.RLIMIT_FSIZE,
    (resource.RLIM_INFINITY, resource.RLIM_INFINITY))' "$SERVE_PID"
awk 'BEGIN { for (j = 1; j <= 100; j++)
	printf "{\"runId\":\"again\",\"seq\":%d,\"message\":\"again %d\"}\n", j, j }' >batch
is "$(curl -s -o reply -w '%{http_code}' -H 'Expect:' \
    -H 'Content-Type: application/x-ndjson' --data-binary @batch \
    "$SERVE_API/tasks/full/logs") $(jq .stored reply)" "200 100" \
    "once there is room, ingest resumes by itself"
is "$(curl -s "$SERVE_URL/health" | jq -c '[.status,.database]')" \
    '["UP","ok"]' "/health: the database is ok again"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
