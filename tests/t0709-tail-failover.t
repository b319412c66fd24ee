#!/bin/sh
# keruta-tail given several servers (-u A,B): it follows a task being
# written; A is killed -9 and B started on the same database file, on a
# port chosen beforehand; every record is printed once, in order. A dead
# first server, for the WebSocket and the REST history; only dead servers;
# a list with an empty element.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 19

exitrec() {	# exitrec SEQ TASK
	printf '{"type":"log","taskId":"%s","runId":"r1","seq":%d,"timestamp":"2026-11-28T10:15:04Z","source":"agent","level":"INFO","message":"exited","metadata":{"event":"exit","exitCode":0}}\n' "$2" "$1"
}

# waitpid PID SECONDS: waits for PID to end, at most SECONDS; its status.
waitpid() {
	_i=$(($2 * 50))
	while kill -0 "$1" 2>/dev/null && [ $_i -gt 0 ]; do
		sleep 0.02
		_i=$((_i - 1))
	done
	wait "$1"
}

start_serve || exit 1
a=ws://127.0.0.1:$SERVE_PORT
portb=$(free_port)
b=ws://127.0.0.1:$portb

# The writer: 4000 records, 100 every 50 ms, then the exit record; it
# moves from A to B too.
{
	i=1
	while [ $i -le 4000 ]; do
		gen $i $((i + 99)) r1 tf
		i=$((i + 100))
		sleep 0.05
	done
	exitrec 4001 tf
} | keruta-ship -u "$a,$b" -S sp --reconnect-interval 300ms 2>ship.err &
ship=$!
bg_pid $ship
keruta-tail -u "$a,$b" --json tf >out 2>err &
tail=$!
bg_pid $tail
wait_for 20 sh -c '[ "$(wc -l <out)" -ge 1000 ]'
check $? "the tail printed 1000 records from A"
kill9_serve
n=$(wc -l <out)
test "$n" -lt 4001
check $? "A killed -9 while the task is written ($n printed)"
sleep 0.3
start_serve --listen "127.0.0.1:$portb" || exit 1
is "$SERVE_PORT" "$portb" "B on the port chosen before"
waitpid $tail 60
is $? 0 "the tail ends with the task: exit 0"
waitpid $ship 30
is $? 0 "and the writer delivered all"
seq 1 4001 >want
jq -r .seq out >got
diff_golden want got "every record printed exactly once, in order"
is "$(grep -c "^keruta-tail: warning: server '$a' failed: connection lost; moving to '$b'\$" err)" 1 \
    "one line said it moved to B"
is "$(tail -n 1 err)" "keruta-tail: task 'tf' ended with exit code 0" \
    "then the end of the task"

# B alone serves now: a dead first server.
dead=$(free_port)
keruta-tail -n -u "ws://127.0.0.1:$dead,$b" --json tf >out 2>err
is "$? $(wc -l <out | tr -d ' ')" "0 4001" "a dead first server: the second has all"
jq -r .seq out >got
diff_golden want got "in order"
is "$(sed "s/failed: [^;]*;/failed: X;/" err)" "keruta-tail: warning: server \
'ws://127.0.0.1:$dead' failed: X; moving to '$b'" "one line said where it went"
keruta-tail -n --tail 3 -u "ws://127.0.0.1:$dead , $b" --json tf >out 2>err
is "$? $(jq -r .seq out | tr '\n' ' ')" "0 3999 4000 4001 " \
    "the REST history from the second (blanks around the comma)"
is "$(sed "s/failed: [^;]*;/failed: X;/" err)" "keruta-tail: warning: server \
'ws://127.0.0.1:$dead' failed: X; moving to '$b'" "one line for that too"
KERUTA_WEBSOCKET_URL="ws://127.0.0.1:$dead,$b" keruta-tail -n tf >out 2>err
is "$? $(wc -l <out | tr -d ' ')" "0 4001" "KERUTA_WEBSOCKET_URL takes a list"
stop_serve

# Only dead servers: the diagnostic and the exit status of one.
dead2=$(free_port)
keruta-tail -n -u "ws://127.0.0.1:$dead,ws://127.0.0.1:$dead2" tf >out 2>err
is "$? $(tail -n 1 err)" "111 keruta-tail: warning: unable to reach \
'ws://127.0.0.1:$dead2'" "only dead servers: 111, the last one named"
keruta-tail -n --tail 3 -u "ws://127.0.0.1:$dead,ws://127.0.0.1:$dead2" tf \
    >out 2>err
is "$? $(tail -n 1 err)" "111 keruta-tail: warning: unable to reach \
'http://127.0.0.1:$dead2': Couldn't connect to server" \
    "only dead servers, the REST history: 111, the last one named"

# A list with an empty element: bad usage, one line.
for l in "ws://a,,ws://b" ",ws://a" "ws://a, "; do
	keruta-tail -n -u "$l" tf >out 2>err
	rc=$?
	case $l in
	,*) n=1 ;;
	*) n=2 ;;
	esac
	is "$rc $(cat out err)" "100 keruta-tail: fatal: bad URL list '$l': \
element $n is empty" "bad list '$l': one line, exit 100"
done
