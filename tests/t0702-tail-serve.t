#!/bin/sh
# keruta-tail against keruta-serve: history then live, a server restart in
# the middle (reconnect, resume, no line twice), --exit-code.
. "${0%/*}/lib.sh"
[ -x "$KR_BIN/keruta-serve" ] || skip_all "keruta-serve is not built"
plan 12

port=$(free_port)
serve() {
	keruta-serve -L "127.0.0.1:$port" -d "$T/k.db" 2>>serve.log &
	spid=$!
	bg_pid $spid
	wait_for 10 curl -sf "http://127.0.0.1:$port/health"
}
post() {	# post SEQ SOURCE LEVEL MESSAGE [METADATA]
	printf '{"type":"log","taskId":"tt","runId":"r1","seq":%s,"timestamp":"2026-11-28T10:00:%02d.25Z","source":"%s","level":"%s","message":"%s"%s}' \
	    "$1" "$1" "$2" "$3" "$4" "${5:+,\"metadata\":$5}" |
	    curl -sf -H 'Content-Type: application/json' --data-binary @- \
	    "http://127.0.0.1:$port/api/v1/tasks/tt/logs" >/dev/null
}
serve
check $? "keruta-serve started"
post 1 stdout INFO one
post 2 stderr ERROR two
keruta-tail -u "ws://127.0.0.1:$port" --exit-code tt >out 2>err &
tpid=$!
bg_pid $tpid
wait_for 10 grep -q two out
check $? "the history is printed"
post 3 stdout INFO three
wait_for 10 grep -q three out
check $? "a live record is printed"

# The server goes away and comes back on the same port and database.
kill $spid
wait $spid 2>/dev/null
post 4 stdout WARN "while-down" 2>/dev/null	# fails: nobody listens
serve
post 4 stdout WARN four
post 5 agent ERROR "exited with status 5" '{"event":"exit","exitCode":5}'
i=0
while kill -0 $tpid 2>/dev/null && [ $i -lt 1000 ]; do
	sleep 0.02
	i=$((i + 1))
done
wait $tpid
is $? 5 "--exit-code after a reconnect"
cat >want <<'W'
2026-11-28T10:00:01.250Z stdout INFO  one
2026-11-28T10:00:02.250Z stderr ERROR two
2026-11-28T10:00:03.250Z stdout INFO  three
2026-11-28T10:00:04.250Z stdout WARN  four
2026-11-28T10:00:05.250Z agent  ERROR exited with status 5
W
diff_golden want out "every line once, in order, across the restart"
grep -q reconnecting err
check $? "it said it was reconnecting"
is "$(tail -n 1 err)" "keruta-tail: task 'tt' ended with exit code 5" \
    "the last line says the task ended, with its exit code"

keruta-tail -u "ws://127.0.0.1:$port" -n -l warn tt >hist 2>/dev/null
is "$(awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); printf "%s,", $0 }' hist)" "two,four,exited with status 5," \
    "--no-follow -l warn: the server's filtered history"

# wss: the server's certificate checked against --cacert, or not at all.
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
	. "$KR_TOP/tests/serve.sh"
	start_serve --tls-cert cert.pem --tls-key key.pem
	printf '{"type":"log","runId":"r","seq":1,"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"over tls"}' |
	    curl -sf --cacert cert.pem -H 'Content-Type: application/json' \
	    --data-binary @- "$SERVE_API/tasks/tls/logs" >/dev/null
	keruta-tail -u "$SERVE_WS" --cacert cert.pem -n tls >out 2>err
	is "$? $(cat out)" "0 2026-11-28T10:00:00.000Z stdout INFO  over tls" \
	    "wss with --cacert"
	keruta-tail -u "$SERVE_WS" --insecure -n tls >out 2>err
	is "$? $(cat out)" "0 2026-11-28T10:00:00.000Z stdout INFO  over tls" \
	    "wss with --insecure"
	keruta-tail -u "$SERVE_WS" -n tls >out 2>err
	is $? 111 "wss, an unknown CA: the server is not reached"
	is "$(cat out)" "" "and nothing is printed"
else
	for i in 1 2 3 4; do check 0 "# SKIP no openssl"; done
fi
