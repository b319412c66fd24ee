#!/bin/sh
# keruta-serve: at -v, one access log line per request (method, path and
# query without a token's value, status, body bytes, duration); /metrics
# has a build-info metric, replies by status code and records by protocol.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 9

start_serve -v || exit 1
A=$SERVE_API
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"message":"x"}' \
    "$A/tasks/al/logs"
curl -s -o /dev/null "$A/tasks/al/logs?level=INFO&token=s3cr3tT0ken&size=5"
curl -s -o /dev/null "$A/nowhere"
curl -s -o /dev/null -X PUT -H 'Content-Length: 0' "$A/tasks/al/logs"
echo '{"runId":"r","seq":1,"message":"over ws"}' >rec
serve_ws "$SERVE_WS/al" --send rec --stop-type ack >/dev/null
curl -s "$SERVE_URL/metrics" >metrics
sed -n 's/^keruta-serve: info: //p' "$SERVE_LOG" | grep -E '^[A-Z]+ /' |
    sed 's/ [0-9.]*ms$/ Tms/' >log
n=$(wc -c <"$(ls "$T"/metrics)")
cat >want <<EOF2
GET /health 200 Bn Tms
POST /api/v1/tasks/al/logs 201 Bn Tms
GET /api/v1/tasks/al/logs?level=INFO&token=-&size=5 200 Bn Tms
GET /api/v1/nowhere 404 Bn Tms
PUT /api/v1/tasks/al/logs 405 Bn Tms
EOF2
sed 's/ [0-9][0-9]* Tms$/ Bn Tms/' log | grep -v '^GET /metrics' | uniq >log2
diff_golden want log2 "one line per request: method, path, status, bytes, time"
grep -q "^GET /metrics 200 $n Tms" log
check $? "the bytes are those of the body"
! grep -q s3cr3tT0ken "$SERVE_LOG"
check $? "the token's value is not logged"

grep -q '^keruta_build_info{version="[^"]*"} 1$' metrics
check $? "a build-info metric"
is "$(grep '^keruta_http_responses_total{code="201"}' metrics)" \
    'keruta_http_responses_total{code="201"} 1' "replies by code: 201"
is "$(grep '^keruta_http_responses_total{code="404"}' metrics)" \
    'keruta_http_responses_total{code="404"} 1' "replies by code: 404"
is "$(grep '^keruta_http_responses_total{code="101"}' metrics)" \
    'keruta_http_responses_total{code="101"} 1' "an accepted WebSocket: 101"
is "$(grep '^keruta_records_received_total' metrics | tr '\n' ' ')" \
    'keruta_records_received_total{protocol="http"} 1 keruta_records_received_total{protocol="websocket"} 1 ' \
    "records by protocol"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
