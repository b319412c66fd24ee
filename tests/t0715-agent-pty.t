#!/bin/sh
# keruta-agent runs the script with a terminal for its stdout, so that a
# program that buffers a pipe (Python without PYTHONUNBUFFERED) is live;
# stderr stays its own stream; --no-pty and logStreaming.pty turn it off.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
plan 12

start_agent_serve

# As a user writes it: print, then wait for something, then print again.
cat >job.py <<'P'
#!/usr/bin/env python3
import os, sys, time
print("first")
print("oops", file=sys.stderr)
end = time.time() + 10
while not os.path.exists("go") and time.time() < end:
    time.sleep(0.02)
print("second")
P
keruta-agent execute --task-id py --script job.py --save saved.ndjson \
    >out 2>err &
pid=$!
bg_pid $pid
wait_for 5 grep -q first out
check $? "a Python line is shown while the script still runs"
touch go
wait $pid
is $? 0 "the script's status"
grep -q '"source":"stdout".*"message":"first"' saved.ndjson
check $? "stdout lines are stdout records"
grep -q '"source":"stderr".*"message":"oops"' saved.ndjson
check $? "stderr stays its own stream"
curl -s "$SERVE_API/tasks/py/logs?source=stdout" >stored
grep -q '"message":"first"' stored && grep -q '"message":"second"' stored
check $? "both lines reached the server"

# The script sees a terminal on stdout, and not on stderr.
printf '[ -t 1 ] && echo out-tty || echo out-pipe\n[ -t 2 ] && echo err-tty || echo err-pipe\n' >tty.sh
run_tty() {
	rm -f s.ndjson
	keruta-agent execute --task-id tty --script tty.sh --save s.ndjson \
	    --no-echo "$@" >/dev/null 2>&1
	sed -n 's/.*"source":"stdout".*"message":"\([^"]*\)".*/\1/p' s.ndjson |
	    tr '\n' ' '
}
is "$(run_tty)" "out-tty err-pipe " "by default: a terminal for stdout only"
is "$(run_tty --no-pty)" "out-pipe err-pipe " "--no-pty: pipes"
printf 'logStreaming:\n  pty: false\n' >nopty.yaml
is "$(run_tty --config nopty.yaml)" "out-pipe err-pipe " \
    "logStreaming.pty: false in the YAML"
is "$(KERUTA_LOG_PTY=false run_tty)" "out-pipe err-pipe " \
    "KERUTA_LOG_PTY=false"
is "$(KERUTA_LOG_PTY=true run_tty --config nopty.yaml)" \
    "out-tty err-pipe " "the environment beats the YAML"
KERUTA_LOG_PTY=sometimes keruta-agent execute --task-id tty --script tty.sh \
    >out 2>err
is $? 100 "a bad KERUTA_LOG_PTY: 100"
is "$(keruta-config logStreaming.pty)" true "keruta-config shows the default"
