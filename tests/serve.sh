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
#   start_agent_serve      start_serve, then keruta-agent pointed at it
#                          (KERUTA_WEBSOCKET_URL) and its spools and
#                          state kept in the test's directory (TMPDIR)
#   stop_serve             SIGTERM, wait; its exit status in SERVE_RC.
#                          After $SERVE_STOP_WAIT seconds (10), SIGKILL.
#   kill9_serve            SIGKILL, wait (a crash, for recovery tests)
#   serve_ws URL ARGS...   the test WebSocket client (tests/data/serve-ws.py)
#   http_raw ARGS...       bytes sent raw to the server, the reply's status
#                          line printed (tests/data/http-raw.py: --file F,
#                          --text BYTES, --half, --headers N,N)
#   pg_own                 a PostgreSQL cluster of the test's own: PG_DIR
#                          (tests/pg-cluster kill|restart "$PG_DIR"),
#                          KR_PG its base URI; stopped at exit
#   pg_db NAME             a new database in $KR_PG: its URI
#   sqlite_only WHY        the whole test is of the SQLite store: on
#                          PostgreSQL (KR_STORE=pg), a SKIP saying WHY
#   db_sound               "ok" when the database holds together: SQLite's
#                          integrity check, or on PostgreSQL no key twice
#                          and the counts equal to the rows
#   jwt PAYLOAD [ALG [SECRET]]
#                          a token signed with the secret in $T/secret
#                          (tests/data/jwt.py)
#
# With KR_STORE=pg, $SERVE_DB is a fresh database of its own in the
# PostgreSQL at $KR_PG (a base URI, postgresql://USER@HOST:PORT), or in a
# cluster started for the test (tests/pg-cluster) when KR_PG is not set.
#
# The server runs with stdin from /dev/null, stdout and stderr to
# $SERVE_LOG and no other descriptor of the test (a pipe or a fifo it held
# would keep a reader waiting for its end). Every wait is bounded, at the
# test's exit too.
_sv_pg=
# pg_own: a PostgreSQL cluster of the test's own (PG_DIR, for
# tests/pg-cluster kill and restart; KR_PG its base URI), stopped at exit.
# Not in $T, which only this user may enter.
pg_own() {
	_sv_pg=$(mktemp -d "${TMPDIR:-/tmp}/keruta-pg.XXXXXX")
	PG_DIR=$_sv_pg
	KR_PG=$("$KR_TOP/tests/pg-cluster" start "$_sv_pg") || exit 1
	export KR_PG
}
# pg_db NAME: a new database in $KR_PG; its URI.
pg_db() {
	psql -qX "$KR_PG/postgres" -c "CREATE DATABASE $1" >/dev/null || exit 1
	echo "$KR_PG/$1"
}
if [ "${KR_STORE-}" = pg ] && [ -z "${SERVE_DB-}" ]; then
	[ -n "${KR_PG-}" ] || pg_own
	SERVE_DB=$(pg_db "t_$(printf '%s' "${T##*/}" | tr -c 'a-zA-Z0-9' _ |
	    tr 'A-Z' 'a-z')") || exit 1
fi
: "${SERVE_DB:=$T/serve.db}"
SERVE_LOG=$T/serve.log
SERVE_PID=
_sv_pids=

# _sv_exec CMD ARGS...: exec CMD with every descriptor above 2 closed.
_sv_exec() {
	exec python3 -c 'import os, sys
for fd in os.listdir("/proc/self/fd"):
    if int(fd) > 2:
        try:
            os.close(int(fd))
        except OSError:
            pass
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# _sv_alive PID: running (not gone, not a zombie waiting to be reaped).
_sv_alive() {
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in
	''|Z*|X*) return 1 ;;
	esac
	return 0
}

# _sv_reap PID SECONDS: waits for PID to end, SIGKILL after SECONDS; the
# exit status in SERVE_RC.
_sv_reap() {
	_sv_i=$(($2 * 50))
	while [ "$_sv_i" -gt 0 ] && _sv_alive "$1"; do
		sleep 0.02
		_sv_i=$((_sv_i - 1))
	done
	if _sv_alive "$1"; then
		kill -KILL "$1" 2>/dev/null
		kill -CONT "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	SERVE_RC=$?
}

# At exit, before lib.sh's own cleanup (which waits without a bound).
_sv_cleanup() {
	for _sv_p in $_sv_pids; do
		_sv_alive "$_sv_p" || continue
		kill -TERM "$_sv_p" 2>/dev/null
		_sv_reap "$_sv_p" "${SERVE_STOP_WAIT:-10}"
	done
}
trap '_sv_cleanup; [ -z "${_sv_pg-}" ] ||
    "$KR_TOP/tests/pg-cluster" stop "$_sv_pg"; _kr_cleanup' EXIT

start_serve() {
	: >>"$SERVE_LOG"
	_sv_n=$(grep -c 'listening on' "$SERVE_LOG")
	_sv_exec keruta-serve --listen 127.0.0.1:0 --db "$SERVE_DB" "$@" \
	    </dev/null >>"$SERVE_LOG" 2>&1 &
	SERVE_PID=$!
	_sv_pids="$_sv_pids $SERVE_PID"
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
	wait_for 20 curl -fsSk -m 2 "$SERVE_URL/health"
}

start_agent_serve() {
	TMPDIR=$T
	export TMPDIR
	start_serve || { diag "keruta-serve did not start"; return 1; }
	KERUTA_WEBSOCKET_URL=$SERVE_WS
	export KERUTA_WEBSOCKET_URL
}

stop_serve() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	_sv_reap "$SERVE_PID" "${SERVE_STOP_WAIT:-10}"
}

kill9_serve() {
	kill -KILL "$SERVE_PID" 2>/dev/null
	kill -CONT "$SERVE_PID" 2>/dev/null
	_sv_reap "$SERVE_PID" 5
}

sqlite_only() {
	[ "${KR_STORE-}" != pg ] || skip_all "of the SQLite store: $*"
}

# db_sound: "ok" when the database is sound: no record twice, every
# record counted. On SQLite, PRAGMA integrity_check finds nothing, and the
# spans (keruta-serve(8), Storage) neither overlap in ids nor, of a run,
# in seqs, and hold every record.
db_sound() {
	_ds="SELECT CASE WHEN
	    (SELECT count(*) FROM (SELECT 1 FROM logs GROUP BY tid, run, seq
	     HAVING count(*) > 1 AND run IS NOT NULL AND seq IS NOT NULL) d) = 0
	    AND (SELECT count(*) FROM logs) =
	    (SELECT coalesce(sum(n), 0) FROM counts) THEN 'ok' ELSE 'bad' END"
	if ! expr "$SERVE_DB" : 'postgres' >/dev/null; then
		_ic=$(sqlite3 "$SERVE_DB" 'PRAGMA integrity_check')
		[ "$_ic" = ok ] || { echo "$_ic"; return; }
		sqlite3 "$SERVE_DB" "SELECT CASE WHEN ($_ds) = 'ok' AND
		    (SELECT count(*) FROM (SELECT lo, n, lead(lo) OVER
		     (ORDER BY lo) AS nx FROM spans) WHERE nx < lo + n) = 0 AND
		    (SELECT count(*) FROM (SELECT seq, n, lead(seq) OVER
		     (PARTITION BY tid, run ORDER BY seq) AS nx FROM spans
		     WHERE seq IS NOT NULL) WHERE nx < seq + n) = 0 AND
		    (SELECT count(*) FROM logs l WHERE NOT EXISTS (SELECT 1
		     FROM spans g WHERE g.tid = l.tid AND g.lo = (SELECT max(lo)
		     FROM spans WHERE tid = l.tid AND lo <= l.id) AND
		     g.lo + g.n > l.id)) = 0 THEN 'ok' ELSE 'bad' END"
		return
	fi
	psql -qXAt "$SERVE_DB" -c "$_ds"
}

serve_ws() {
	python3 "$KR_TOP/tests/data/serve-ws.py" "$@"
}

http_raw() {
	python3 "$KR_TOP/tests/data/http-raw.py" "$SERVE_PORT" "$@"
}

jwt() {
	python3 "$KR_TOP/tests/data/jwt.py" "$T/secret" "$@"
}
