#!/bin/sh
# keruta-serve: restarts keep data, ids and dedupe; SIGTERM and kill -9;
# retention by age; TLS.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 18

start_serve || exit 1
seq 1 100 | awk '{printf "{\"runId\":\"r\",\"seq\":%d,\"message\":\"m%d\"}\n", $1, $1}' >recs
post() {
	curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
	    --data-binary "@$1" "$SERVE_API/tasks/$2/logs"
}
post recs t1 >/dev/null
echo '{"type":"subscribe"}' >sub
serve_ws "$SERVE_WS/t1" --send sub --timeout 20 >viewer.out &
vp=$!
wait_for 10 grep -q '"live"' viewer.out
stop_serve
is "$SERVE_RC" 0 "SIGTERM: exit 0"
wait $vp
grep -q '"code":"SHUTDOWN"' viewer.out
check $? "viewers are told SHUTDOWN"
is "$(tail -n 1 viewer.out)" "CLOSED 1001" "and closed with 1001 (going away)"
test ! -s "$SERVE_DB-wal"
check $? "the WAL is checkpointed at exit"

start_serve
is "$(post recs t1 | jq -c '[.stored,.duplicates]')" "[0,100]" \
    "after a restart, duplicates are still known"
is "$(curl -s -d '{"message":"new"}' "$SERVE_API/tasks/t1/logs" | jq .id)" 101 \
    "ids go on where they were"
kill9_serve
start_serve
is "$(curl -s "$SERVE_API/tasks/t1/logs/count")" '{"count":101}' "kill -9: nothing lost"
is "$(curl -s "$SERVE_API/tasks/t1/logs?q=new" | jq -c '[.content[].id]')" "[101]" \
    "full-text index caught up after the crash"
curl -s -X DELETE "$SERVE_API/tasks/t1/logs" >/dev/null
is "$(curl -s -d '{"message":"after delete"}' "$SERVE_API/tasks/t1/logs" | jq .id)" 102 \
    "ids are not reused after a delete"
curl -s -X DELETE "$SERVE_API/tasks/t1/logs" >/dev/null
kill9_serve
start_serve
is "$(curl -s -d '{"message":"after a crash"}' "$SERVE_API/tasks/t1/logs" | jq .id)" 103 \
    "nor after deleting the last ones and a kill -9"
curl -s -X DELETE "$SERVE_API/tasks/t1/logs" >/dev/null
printf '{"message":"b%d"}\n' 1 2 3 4 5 |
    curl -s -H 'Content-Type: application/x-ndjson' --data-binary @- \
    "$SERVE_API/tasks/t1/logs" >/dev/null
is "$(curl -s "$SERVE_API/tasks/t1/logs" | jq -c '[.content[].id]')" \
    "[104,105,106,107,108]" "nor by a batch after a delete of the last ones"
stop_serve

# Retention: records older than a day go, in the background.
start_serve --retention 1d
old=$(seq 1 2500 | awk '{printf "{\"runId\":\"o\",\"seq\":%d,\"timestamp\":\"2020-01-01T00:00:00Z\",\"message\":\"old %d\"}\n", $1, $1}')
printf '%s\n' "$old" '{"runId":"o","seq":9999,"message":"fresh"}' >mixed
post mixed t2 >/dev/null
wait_for 20 sh -c "curl -s '$SERVE_API/tasks/t2/logs/count' | grep -q '\"count\":1}'"
check $? "--retention: old records are deleted"
is "$(curl -s "$SERVE_API/tasks/t2/logs" | jq -r '.content[].message')" fresh \
    "the fresh one stays"
is "$(curl -s "$SERVE_API/tasks/t2/logs/stats" | jq -c '[.totalLogs,.timeRange.start==.timeRange.end]')" \
    "[1,true]" "stats follow"
stop_serve

# TLS.
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
	start_serve --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	is "$(curl -s --cacert cert.pem -d '{"message":"secure"}' "$SERVE_API/tasks/t3/logs" | jq -r .message)" \
	    secure "TLS: https"
	echo '{"runId":"s","seq":1,"message":"wss"}' |
	    serve_ws "$SERVE_WS/t3" --send - --stop-count 1 >out
	is "$(cat out)" '{"type":"ack","runId":"s","seq":1}' "TLS: wss"
	is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/health")" \
	    000 "TLS: plain HTTP is refused"
	# HTTP/1.1: over HTTP/2 the library reads headers otherwise.
	is "$(curl --http1.1 -s -m 5 --cacert cert.pem -o /dev/null \
	    -w '%{http_code}' -H 'Acc: v' "$SERVE_URL/health")" 200 \
	    "TLS: a header named by a prefix of a known one is mended too"
	stop_serve
else
	for i in 1 2 3 4; do check 1 "openssl could not make a certificate"; done
fi
