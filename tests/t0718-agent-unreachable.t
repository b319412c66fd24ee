#!/bin/sh
# keruta-agent and a server that cannot be reached: the wait at the end is
# bounded by --ack-timeout (logStreaming.ackTimeout) and shown, and one line
# gives the exact command that delivers the spool later.
. "${0%/*}/lib.sh"
plan 11

TMPDIR=$T
export TMPDIR
port=$(free_port)
KERUTA_WEBSOCKET_URL=ws://127.0.0.1:$port/ws/tasks
export KERUTA_WEBSOCKET_URL

printf 'echo one\necho two\nexit 5\n' >job.sh
t0=$(date +%s)
keruta-agent execute --task-id away --script job.sh --ack-timeout 2s \
    >out 2>err
rc=$?
t1=$(date +%s)
is $rc 5 "no server: still the script's status"
test $((t1 - t0)) -lt 12
check $? "the wait is bounded by --ack-timeout ($((t1 - t0)) s)"
grep 'deliver them later' err >later
is "$(grep -c . later)" 1 "one line says how to deliver the spool"
case $(cat later) in
"keruta-agent: warning: 4 records not acknowledged after waiting 2s (--ack-timeout) are in the spool '$T/"*"'; deliver them later with: keruta-ship --spool '$T/"*"' --task-id away --url 'ws://127.0.0.1:$port/ws/tasks' </dev/null")
	r=0 ;;
*) r=1; sed 's/^/# /' later ;;
esac
check $r "the wait and the exact command are shown"
is "$(tail -n 1 err)" "keruta-agent: task away: 4 records shipped, 0 acknowledged, 4 spooled; log incomplete: keruta-ship exited with status 111, 4 not acknowledged" \
    "the last line: incomplete, and why"

# The server comes back: the command delivers the run.
keruta-serve -L "127.0.0.1:$port" -d "$T/k.db" 2>serve.log &
bg_pid $!
wait_for 10 grep -q 'listening on' serve.log || diag "keruta-serve did not start"
cmd=$(sed 's/.*deliver them later with: //' later)
eval "$cmd" 2>deliver.err
is $? 0 "the command delivers the spool"
curl -s "http://127.0.0.1:$port/api/v1/tasks/away/logs/count" >count
is "$(cat count)" '{"count":4}' "the whole run is on the server"

# The wait from the environment and the YAML; the default shown.
t0=$(date +%s)
KERUTA_WEBSOCKET_URL=ws://127.0.0.1:$(free_port)/ws/tasks \
    KERUTA_LOG_ACK_TIMEOUT=1s keruta-agent execute --task-id away2 \
    --script job.sh >out 2>err
t1=$(date +%s)
grep -q 'after waiting 1s (--ack-timeout)' err
check $? "KERUTA_LOG_ACK_TIMEOUT sets the wait ($((t1 - t0)) s)"
printf 'logStreaming:\n  ackTimeout: 1500ms\n' >w.yaml
KERUTA_WEBSOCKET_URL=ws://127.0.0.1:$(free_port)/ws/tasks keruta-agent \
    execute --task-id away3 --script job.sh --config w.yaml >out 2>err
grep -q 'after waiting 1500ms (--ack-timeout)' err
check $? "logStreaming.ackTimeout sets the wait"
is "$(keruta-config logStreaming.ackTimeout)" 30s "keruta-config shows the default"
keruta-agent execute --task-id away --script job.sh --ack-timeout soon \
    >out 2>err
is $? 100 "a bad --ack-timeout: 100, before the script"
