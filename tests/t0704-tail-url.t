#!/bin/sh
# keruta-tail takes the server's address in every form a user is given:
# the base URL (ws://h:p, as `make run` prints it), the WebSocket form
# (ws://h:p/ws/tasks), and http:// for either; by flag or environment.
. "${0%/*}/lib.sh"
[ -x "$KR_BIN/keruta-serve" ] || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
plan 14

start_serve
check $? "keruta-serve started"
printf '{"type":"log","runId":"r","seq":1,"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"hello"}' |
    curl -sf -H 'Content-Type: application/json' --data-binary @- \
    "$SERVE_API/tasks/u1/logs" >/dev/null
line="2026-11-28T10:00:00.000Z stdout INFO  hello"
hp=127.0.0.1:$SERVE_PORT
for u in "ws://$hp" "ws://$hp/" "ws://$hp/ws" "ws://$hp/ws/tasks" \
    "ws://$hp/ws/tasks/" "http://$hp" "http://$hp/ws/tasks"; do
	keruta-tail -u "$u" -n u1 >out 2>err
	is "$? $(cat out) $(cat err)" "0 $line " "-u $u"
done
for u in "ws://$hp" "ws://$hp/ws/tasks" "http://$hp"; do
	KERUTA_WEBSOCKET_URL=$u keruta-tail -n u1 >out 2>err
	is "$? $(cat out) $(cat err)" "0 $line " "KERUTA_WEBSOCKET_URL=$u"
done
keruta-tail -u "ftp://$hp" -n u1 >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad URL 'ftp://$hp': not ws, wss, http or https" \
    "another scheme: a usage error that says which are taken"
keruta-tail -u "ws://" -n u1 >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad URL 'ws://'" "no host: a usage error"
keruta-tail -u "ws://$hp/elsewhere" -n u1 >out 2>err
is "$? $(cat err)" "1 keruta-tail: warning: the server has no such endpoint '/elsewhere/ws/tasks/u1': HTTP 404" \
    "a wrong path: the path the server did not know"
