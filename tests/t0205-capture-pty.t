#!/bin/sh
# keruta-capture --pty: the command's stdout is a terminal, so programs
# that block-buffer on a pipe show their lines at once; stderr stays apart.
. "${0%/*}/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed"
plan 9
# Python buffers a pipe unless told otherwise; make sure it is not told.
unset PYTHONUNBUFFERED

cat >slow.py <<'P'
import sys, time
print("tty=%s" % sys.stdout.isatty())
print("early")
sys.stderr.write("to stderr\n")
sys.stderr.flush()
time.sleep(30)
print("late")
P

keruta-capture --pty -- python3 slow.py >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '"message":"early"' out
check $? "--pty: an unflushed print arrives while the script runs"
kill -TERM $pid
wait $pid
is "$?" 143 "the script is stopped by the forwarded TERM"
jq -c 'select(.source != "agent") | [.source, .lineNumber, .message]' out >got
printf '%s\n' '["stderr",1,"to stderr"]' '["stdout",1,"tty=True"]' \
    '["stdout",2,"early"]' >want
LC_ALL=C sort got >sorted
diff_golden want sorted "stdout is a terminal, stderr a pipe"
is "$(tail -n 1 out | jq -r .metadata.signal)" TERM "exit record last"

# Without --pty the same script holds its stdout back in a buffer.
rm -f out
keruta-capture -- python3 slow.py >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '"message":"to stderr"' out
sleep 0.5
! grep -q '"message":"early"' out
check $? "without --pty the print is still in the script's buffer"
kill -TERM $pid
wait $pid

# Raw terminal: "\n" is not turned into "\r\n", bytes pass unchanged.
keruta-capture --pty -- printf 'a\r\nb\rc\n\001\n' >out
is "$(jq -c 'select(.source == "stdout") | .message' out | tr '\n' ' ')" \
    '"a" "b\rc" "\u0001" ' "--pty passes bytes unchanged"
keruta-capture --pty -- printf 'no newline' >out
is "$(jq -c 'select(.source == "stdout") | [.message, .partial]' out)" \
    '["no newline",true]' "--pty: partial line at the end"

# A long burst through the terminal: nothing lost at the end.
keruta-capture --pty -- seq 1 20000 >out
jq -r 'select(.source == "stdout") | .message' out >got
seq 1 20000 | cmp -s - got
check $? "--pty: 20000 lines, none lost"
keruta-capture --pty -- sh -c 'exit 3' >out
is "$?" 3 "--pty: exit status"
