#!/bin/sh
# keruta-serve: the database file (and its WAL) removed or replaced while
# the server runs. What would be committed into it could not survive a
# restart, so no write is acked from then on: POSTs get a 503, WebSocket
# ingest STORE_FAILED; /health says DOWN; the log says it once; the exit
# status says it too.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "the database file removed or replaced while in use"
plan 17

post() {
	curl -s -o reply -w '%{http_code}' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary "$1" \
	    "$SERVE_API/tasks/$2/logs"
}
start_serve || exit 1
is "$(post '{"runId":"r","seq":1,"message":"before"}' gone)" 200 \
    "a record is stored"
rm -f "$SERVE_DB" "$SERVE_DB-wal"
is "$(post '{"runId":"r","seq":2,"message":"after"}' gone)" 503 \
    "once the file and its WAL are removed, a POST gets a 503"
is "$(jq -c .error reply)" \
    '{"code":"STORE_FAILED","message":"the database failed; retry later","status":503}' \
    "STORE_FAILED"
for i in 3 4 5; do
	post "{\"runId\":\"r\",\"seq\":$i,\"message\":\"after\"}" gone
done >codes
is "$(cat codes)" "503503503" "and so does each one after"
printf '{"runId":"w","seq":1,"message":"ws"}\n' >ws.in
serve_ws "$SERVE_WS/gone" --send ws.in --timeout 10 >ws.out
grep -q '"type":"ack"' ws.out
check $((! $?)) "WebSocket: nothing is acked"
grep -q '"code":"STORE_FAILED"' ws.out
check $? "WebSocket: the client is told STORE_FAILED"
is "$(curl -s -o health -w '%{http_code}' "$SERVE_URL/health") $(jq -c '[.status,.database,.message]' health)" \
    '503 ["DOWN","gone","the database file was removed or replaced while in use: writes are refused; restart the server"]' \
    "/health: 503, DOWN, and why"
is "$(grep -c "warning: database: '$SERVE_DB' or its WAL was removed or replaced while in use: writes are refused from now on (503); restart the server" "$SERVE_LOG")" \
    1 "the log says it, once"
is "$(curl -s "$SERVE_API/tasks/gone/logs" | jq -c '[.content[].message]')" \
    '["before"]' "what it holds can still be read"
echo other >"$SERVE_DB-wal"
stop_serve
is "$SERVE_RC" 111 "at exit: status 111"
is "$(cat "$SERVE_DB-wal")" other "a file put at the WAL's path is left alone"
rm -f "$SERVE_DB-wal"
grep -q "warning: database: '$SERVE_DB' was removed or replaced while in use: what it held is lost with it" "$SERVE_LOG"
check $? "and the log says what is lost"
test ! -e "$SERVE_DB"
check $? "no file is made again in its place"

# Noticed with no write too, within a second or two.
start_serve || exit 1
is "$(curl -s "$SERVE_URL/health" | jq -r .database)" ok "a new database: ok"
mv "$SERVE_DB" "$SERVE_DB.moved"
wait_for 5 sh -c "curl -s '$SERVE_URL/health' | grep -q DOWN"
check $? "moved away while idle: /health says DOWN by itself"
stop_serve
rm -f "$SERVE_DB.moved" "$SERVE_DB-wal" "$SERVE_DB-shm"

# The WAL alone replaced: the commits in it would be lost as well.
start_serve || exit 1
post '{"runId":"v","seq":1,"message":"one"}' wal >/dev/null
cp "$SERVE_DB-wal" wal.copy && mv wal.copy "$SERVE_DB-wal"
is "$(post '{"runId":"v","seq":2,"message":"two"}' wal)" 503 \
    "the WAL replaced: a POST gets a 503"
stop_serve
is "$SERVE_RC" 111 "and the exit status is 111"
