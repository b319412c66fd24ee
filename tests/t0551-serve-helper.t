#!/bin/sh
# tests/serve.sh itself: the server it starts holds none of the test's
# descriptors (a pipe or fifo it held open would keep its reader waiting
# for ever), reads nothing, and stopping it never hangs.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 8

mkfifo fifo
cat fifo >fifo.out &
cp=$!
bg_pid $cp
exec 7>fifo
start_serve || exit 1
fds() { for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null | sort -u; }
fds "$SERVE_PID" >server.fds
# Everything the test shell has open beyond 0, 1 and 2.
for f in /proc/$$/fd/*; do
	case ${f##*/} in 0|1|2) ;; *) readlink "$f" ;; esac
done 2>/dev/null | grep -v '^/dev/null$' | sort -u >shell.fds
is "$(comm -12 shell.fds server.fds | tr '\n' ' ')" "" \
    "no descriptor of the test shell is open in the server"
is "$(readlink "/proc/$SERVE_PID/fd/0")" /dev/null "its stdin is /dev/null"
test "$(readlink "/proc/$SERVE_PID/fd/1")" != "$(readlink /proc/$$/fd/1)"
check $? "its stdout is not the test's"
exec 7>&-
wait_for 5 sh -c "! kill -0 $cp 2>/dev/null"
check $? "a fifo's reader sees its end while the server runs"

# A server that does not stop on SIGTERM (here: stopped) is killed.
kill -STOP "$SERVE_PID"
# Should stop_serve wait for ever, this would end it after 12 s.
( sleep 12; kill -CONT "$SERVE_PID"; kill -KILL "$SERVE_PID" ) 2>/dev/null &
dog=$!
SERVE_STOP_WAIT=1
t0=$(date +%s)
stop_serve
t1=$(date +%s)
test $((t1 - t0)) -le 6
check $? "stop_serve returns in bounded time"
is "$SERVE_RC" 137 "after SIGKILL"
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
unset SERVE_STOP_WAIT

start_serve || exit 1
stop_serve
is "$SERVE_RC" 0 "a healthy server still stops with SIGTERM, status 0"
start_serve || exit 1
kill -STOP "$SERVE_PID"
kill9_serve
is "$SERVE_RC" 137 "kill9_serve, even of a stopped server"
