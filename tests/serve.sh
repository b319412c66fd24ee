# tests/serve.sh: run keruta-serve for a test. Source it after lib.sh:
#   . "$KR_TOP/tests/serve.sh"
#
#   start_serve [ARGS...]  start on 127.0.0.1 with an ephemeral port and a
#                          fresh database ($SERVE_DB, kept across restarts
#                          in the same test); waits until /health answers.
#                          Sets SERVE_PORT, SERVE_URL (http://127.0.0.1:P),
#                          SERVE_API ($SERVE_URL/api/v1), SERVE_WS
#                          (ws://127.0.0.1:P/ws/tasks), SERVE_PID, SERVE_DB,
#                          SERVE_LOG (its stderr). With --tls-cert: https
#                          and wss. Returns 1 if it did not come up.
#   stop_serve             SIGTERM, wait; its exit status in SERVE_RC
#   kill9_serve            SIGKILL, wait (a crash, for recovery tests)
#   serve_ws URL ARGS...   the test WebSocket client (tests/data/serve-ws.py)
: "${SERVE_DB:=$T/serve.db}"
SERVE_LOG=$T/serve.log
SERVE_PID=

start_serve() {
	: >>"$SERVE_LOG"
	_sv_n=$(grep -c 'listening on' "$SERVE_LOG")
	keruta-serve --listen 127.0.0.1:0 --db "$SERVE_DB" "$@" \
	    2>>"$SERVE_LOG" &
	SERVE_PID=$!
	bg_pid "$SERVE_PID"
	_sv_t=1000
	while [ "$_sv_t" -gt 0 ]; do
		[ "$(grep -c 'listening on' "$SERVE_LOG")" -gt "$_sv_n" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.02
		_sv_t=$((_sv_t - 1))
	done
	_sv_line=$(grep 'listening on' "$SERVE_LOG" | tail -n 1)
	SERVE_PORT=$(printf '%s\n' "$_sv_line" |
	    sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	if [ -z "$SERVE_PORT" ] || ! kill -0 "$SERVE_PID" 2>/dev/null; then
		diag "keruta-serve did not start:" "$(tail -n 5 "$SERVE_LOG")"
		return 1
	fi
	case $_sv_line in
	*TLS*)
		SERVE_URL=https://127.0.0.1:$SERVE_PORT
		SERVE_WS=wss://127.0.0.1:$SERVE_PORT/ws/tasks
		;;
	*)
		SERVE_URL=http://127.0.0.1:$SERVE_PORT
		SERVE_WS=ws://127.0.0.1:$SERVE_PORT/ws/tasks
		;;
	esac
	SERVE_API=$SERVE_URL/api/v1
	export SERVE_PORT SERVE_URL SERVE_API SERVE_WS SERVE_PID SERVE_DB
	wait_for 20 curl -fsSk "$SERVE_URL/health"
}

stop_serve() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_RC=$?
}

kill9_serve() {
	kill -KILL "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_RC=$?
}

serve_ws() {
	python3 "$KR_TOP/tests/data/serve-ws.py" "$@"
}
