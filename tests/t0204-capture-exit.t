#!/bin/sh
# keruta-capture: exit status, signals, timeouts, stdin, a dead reader.
. "${0%/*}/lib.sh"
plan 43

last() { tail -n 1 out | jq -c '.metadata | del(.durationMs)'; }
first() { head -n 1 out | jq -r .metadata.event; }

keruta-capture -- sh -c 'exit 42' >out
is "$?" 42 "exit status 42 is passed on"
is "$(last)" '{"event":"exit","exitCode":42,"signal":null}' "exit record"
is "$(first)" start "start record first"

keruta-capture -- sh -c 'kill -KILL $$' >out
is "$?" 137 "killed by SIGKILL: 128 + 9"
is "$(last)" '{"event":"exit","exitCode":137,"signal":"KILL"}' \
    "exit record names the signal"
is "$(tail -n 1 out | jq -r .level)" ERROR "a failed exit is an ERROR record"

# Commands that cannot run.
keruta-capture -- no-such-command-here >out 2>err
is "$?" 127 "a missing command: 127"
is "$(cat err)" "keruta-capture: fatal: 'no-such-command-here': command not found" \
    "one-line diagnostic"
is "$(jq -r .metadata.event out | tr '\n' ' ')" "start exit " \
    "start and exit records still come"
is "$(last)" '{"event":"exit","exitCode":127,"signal":null,"error":"No such file or directory"}' \
    "exit record of a missing command"
printf 'echo hi\n' >noexec
chmod 0644 noexec
keruta-capture -- ./noexec >out 2>err
is "$?" 126 "a file that is not executable: 126"
is "$(cat err)" "keruta-capture: fatal: unable to execute './noexec': Permission denied" \
    "one-line diagnostic"

# Signals sent to keruta-capture reach the command's process group.
cat >trap.sh <<'S'
trap 'echo "got $1"; exit 7' "$1"
sleep 30 &
echo $! >bgpid
echo ready
wait
S
for sig in TERM INT HUP; do
	rm -f out
	keruta-capture -- sh trap.sh $sig >out 2>err &
	pid=$!
	bg_pid $pid
	wait_for 10 grep -q '"message":"ready"' out
	kill -$sig $pid
	wait $pid
	is "$?" 7 "SIG$sig is forwarded; the command's status is kept"
	is "$(jq -r 'select(.source == "stdout") | .message' out | tail -n 1)" \
	    "got $sig" "the command's trap ran"
done
is "$(last)" '{"event":"exit","exitCode":7,"signal":null}' \
    "the exit record is still last"
# (sh starts "sleep &" with SIGINT ignored: TERM shows the group best.)
gone() { ! ps -o stat= -p "$1" | grep -q '^[^Z]'; }
rm -f out
keruta-capture -- sh trap.sh TERM >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '"message":"ready"' out
kill -TERM $pid
wait $pid
wait_for 10 gone "$(cat bgpid)"
check $? "SIGTERM reached the whole process group"

rm -f out
keruta-capture -- sh -c 'echo ready; sleep 30' >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '"message":"ready"' out
kill -TERM $pid
wait $pid
is "$?" 143 "a command killed by the forwarded TERM: 143"

# --timeout sends TERM; --kill-after sends KILL to a command that stays.
keruta-capture --timeout 200ms -- sleep 30 >out 2>err
is "$?" 143 "--timeout: TERM, 143"
is "$(last)" '{"event":"exit","exitCode":143,"signal":"TERM","timedOut":true}' \
    "exit record says it timed out"
is "$(cat err)" "keruta-capture: warning: the command ran for 200 ms, sending TERM" \
    "one warning"
keruta-capture --timeout 100ms --kill-after 300ms -- \
    sh -c 'trap "" TERM; sleep 30' >out 2>err
is "$?" 137 "--kill-after: KILL, 137"
is "$(last)" '{"event":"exit","exitCode":137,"signal":"KILL","timedOut":true}' \
    "exit record after KILL"
keruta-capture --timeout 100ms --kill-after 0 -- \
    sh -c 'trap "echo stays" TERM; sleep 0.5; echo end' >out 2>err
is "$?" 0 "--kill-after 0: no KILL"

# stdin: inherited, or /dev/null with --no-stdin.
echo "from stdin" | keruta-capture -- cat >out
is "$(jq -r 'select(.source == "stdout") | .message' out)" "from stdin" \
    "stdin is inherited"
echo "from stdin" | keruta-capture --no-stdin -- cat >out
is "$(jq -r 'select(.source == "stdout") | .message' out)" "" \
    "--no-stdin: the command reads /dev/null"

# A terminal on stdin: the command's group gets it, so reading it does not
# stop the command (SIGTTIN); the terminal comes back at the end.
cat >onterm.py <<'P'
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, sent, end = b"", False, time.time() + 10
while time.time() < end:
    if select.select([fd], [], [], 0.05)[0]:
        try:
            d = os.read(fd, 65536)
        except OSError:
            d = b""
        if not d:
            break
        out += d
    if not sent and b'"event":"start"' in out:
        os.write(fd, b"typed\n")
        sent = True
if os.waitpid(pid, os.WNOHANG)[0] == 0:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("hung", out)
else:
    print(out.decode(errors="replace"))
P
python3 onterm.py keruta-capture -- sh -c 'read x; echo "got $x"' >ttyout
grep -q '"message":"got typed"' ttyout
check $? "a terminal on stdin can be read by the command"
grep -q "got typed" ttyout || sed "s/^/# /" ttyout

# ^Z in an interactive shell stops the command and keruta-capture as one
# job; fg gives the command the terminal back.
cat >jobs.py <<'P'
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "PROMPT$ "
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
buf = b""
def expect(pat, t=10):
    global buf
    end = time.time() + t
    while time.time() < end:
        if pat in buf:
            i = buf.index(pat) + len(pat)
            buf = buf[i:]
            return True
        if select.select([fd], [], [], 0.05)[0]:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return False
            if not d:
                return False
            buf += d
    return False
def send(b):
    os.write(fd, b)
steps = []
steps.append(expect(b"PROMPT$ "))
send(b"keruta-capture -- sh -c 'read x; echo \"got $x\"' >out\n")
time.sleep(0.5)
send(b"\x1a")
steps.append(expect(b"Stopped"))
steps.append(expect(b"PROMPT$ "))
send(b"fg\n")
time.sleep(0.5)
send(b"typed\n")
steps.append(expect(b"PROMPT$ "))
send(b"echo rc=$?\n")
steps.append(expect(b"rc=0"))
send(b"exit\n")
time.sleep(0.2)
try:
    os.kill(pid, signal.SIGKILL)
except OSError:
    pass
os.waitpid(pid, 0)
print(" ".join("ok" if s else "FAIL" for s in steps))
P
if command -v bash >/dev/null; then
	is "$(python3 jobs.py)" "ok ok ok ok ok" "^Z stops the job, fg resumes it"
	grep -q '"message":"got typed"' out
	check $? "the command read the terminal after fg"
else
	check 0 "# SKIP no bash"
	check 0 "# SKIP no bash"
fi

# The reader goes away: the command runs on, one warning, its status.
{ keruta-capture -- sh -c 'i=0; while [ $i -lt 20000 ]; do echo line $i;
    i=$((i + 1)); done; echo finished >marker; exit 5' 2>err; echo $? >rc; } |
    head -n 1 >/dev/null
is "$(cat rc)" 5 "EPIPE: the command's exit status"
is "$(cat marker 2>/dev/null)" finished "EPIPE: the command ran to its end"
is "$(cat err)" "keruta-capture: warning: standard output closed; the command keeps running, its output is discarded" \
    "EPIPE: one warning"

# A reader that takes nothing: the timeout still stops the command.
mkfifo fifo
sleep 30 <fifo &
reader=$!
bg_pid $reader
keruta-capture --timeout 500ms -- seq 1 10000000 >fifo 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q 'sending TERM' err
check $? "a stuck reader does not hold back --timeout"
kill $reader
wait $pid
is "$?" 143 "then the status of the stopped command"

# Output left open by a background process does not hold the exit back.
start=$(date +%s)
keruta-capture -- sh -c 'sleep 20 & echo done' >out
is "$(( $(date +%s) - start < 10 ))" 1 "a leftover writer does not keep it waiting"

# --exit-file: the status, once the exit record is out; no file without it.
echo stale >ef
keruta-capture --exit-file ef -- sh -c 'exit 3' >out
is "$(cat ef)" 3 "--exit-file holds the status after the exit record"
keruta-capture --exit-file ef -- sh -c 'kill -KILL $$' >out
is "$(cat ef)" 137 "--exit-file: a command killed by a signal"
echo stale >ef
{ keruta-capture --exit-file ef -- sh -c 'seq 1 20000' 2>err; } |
    head -n 1 >/dev/null
test ! -e ef
check $? "--exit-file: no exit record written, no file (and no stale one)"
keruta-capture --exit-file ef -- sh -c 'echo $$ >spid; echo ready;
    exec sleep 30' >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '"message":"ready"' out
kill -KILL $pid
wait $pid
is "$?" 137 "keruta-capture itself killed: 137 too"
kill "$(cat spid)"
test ! -e ef
check $? "--exit-file: keruta-capture killed, no file"
