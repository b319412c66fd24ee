#!/bin/sh
# keruta-ship: both URL forms (the server's base, or with /ws/tasks and
# /api/v1), for every protocol; a query stays after the task's path.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 12

# ships URL ARGS...: one record of task t1 to URL; prints the exit status
# and the request line the peer saw.
ships() {
	_u=$1
	shift
	rm -f "$T/peer.log"
	gen 1 1 | keruta-ship -u "$_u" -S sp "$@" 2>err
	echo "$? $(sed -n '1s/ auth=.*//p' "$T/peer.log")"
}

start_peer
B=127.0.0.1:$PORT
is "$(ships "ws://$B")" "0 GET /ws/tasks/t1" "ws: the base URL"
is "$(ships "ws://$B/")" "0 GET /ws/tasks/t1" "ws: the base URL with a /"
is "$(ships "ws://$B/ws/tasks/")" "0 GET /ws/tasks/t1" \
    "ws: /ws/tasks/, a trailing / ignored"
is "$(ships "ws://$B/ws/tasks?token=X")" "0 GET /ws/tasks/t1?token=X" \
    "ws: the task goes before the query"
is "$(ships "ws://$B?token=X&b=1")" "0 GET /ws/tasks/t1?token=X&b=1" \
    "ws: the base URL with a query"
is "$(cat err)" "" "and nothing is warned"
is "$(ships "http://$B" -p rest)" "0 POST /api/v1/tasks/t1/logs" \
    "rest: the base URL"
is "$(ships "http://$B/api/v1/" -p rest)" "0 POST /api/v1/tasks/t1/logs" \
    "rest: /api/v1/"
is "$(ships "http://$B/api/v1?k=v" -p rest)" \
    "0 POST /api/v1/tasks/t1/logs?k=v" "rest: the task goes before the query"
stop_peer
start_peer --mode api
B=127.0.0.1:$PORT
is "$(ships "http://$B" -p keruta-api)" "0 POST /api/v1/tasks/t1/logs" \
    "keruta-api: the base URL"
is "$(stored_seqs | tr '\n' ' ')" "1 " "and the record is stored"
stop_peer

# Nothing listening: the warning names the endpoint tried.
PORT=$(free_port)
gen 1 1 | keruta-ship -u "ws://127.0.0.1:$PORT" -S sp2 --drain-timeout 300ms \
    --reconnect-interval 100ms 2>err
is "$? $(sed -n '1s/; trying again.*//p' err)" "111 keruta-ship: warning: \
unable to deliver to 'ws://127.0.0.1:$PORT/ws/tasks/t1': Unable to connect" \
    "nothing listening: 111, the endpoint named"
