#!/bin/sh
# keruta-agent with its stdout not a terminal (kubectl logs, a log
# collector): the script's output is echoed as it wrote it, escape
# sequences intact; the agent's own lines are marked as such.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 12

start_agent_serve

cat >job.sh <<'S'
printf '\033[32mPASS\033[0m test_one\n'
printf 'tab\there "quoted" back\\slash caf\303\251 \360\237\230\200\n'
printf 'to stderr\n' >&2
printf 'password=hunter2\n'
printf 'no newline at the end'
exit 2
S
keruta-agent execute --task-id esc --script job.sh >out 2>err
is $? 2 "the script's status"

# stdout and stderr keep their own order, not each other's.
grep -q '^to stderr$' out
check $? "stderr lines are echoed too"
grep -v -e '^keruta-agent: ' -e '^to stderr$' out >script.out
printf '\033[32mPASS\033[0m test_one\ntab\there "quoted" back\\slash caf\303\251 \360\237\230\200\npassword=[REDACTED:password]\nno newline at the end\n' >want
diff_golden want script.out "the script's lines as written, escapes intact, redacted"
grep '^keruta-agent: ' out >agent.out
printf 'keruta-agent: started: sh ./job.sh\nkeruta-agent: exited with status 2\n' >want
diff_golden want agent.out "the agent's own lines are marked"
is "$(head -n 1 out)" "keruta-agent: started: sh ./job.sh" "in order: the start first"
is "$(tail -n 1 out)" "keruta-agent: exited with status 2" \
    "the exit last, on a line of its own"
! grep -q hunter2 out err
check $? "no secret in the echo"
is "$(tail -n 1 err)" "keruta-agent: task esc: 7 records shipped, 7 acknowledged, 0 spooled; log complete" \
    "the summary line is on stderr as before"

# Lines come out as they are written, not at the end.
printf 'echo first\nwhile [ ! -e go ]; do sleep 0.05; done\necho second\n' >live.sh
keruta-agent execute --task-id live --script live.sh >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q '^first$' out
check $? "a line is echoed while the script runs"
touch go
wait $pid
curl -s "$SERVE_API/tasks/live/logs/count" >count
is "$(cat count)" '{"count":5}' "and every record reached the server"

# On a terminal, the echo is formatted as keruta-tail formats records.
cat >onterm.py <<'P'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        d = b""
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
P
printf 'echo hello\n' >hello.sh
NO_COLOR=1 python3 onterm.py keruta-agent execute --task-id tty \
    --script hello.sh >tty.out 2>&1
grep -q 'stdout INFO  hello' tty.out
check $? "a terminal gets time, source and level"
! grep -q '^keruta-agent: started' tty.out
check $? "and not the raw form"
