#!/bin/sh
# keruta-agent and SIGTERM: the script gets it, the pipeline drains, the
# script's status stands; a script that will not stop is bounded.
. "${0%/*}/lib.sh"
plan 14

. "$DATA/agent-stubs.sh"

# A script that stops cleanly on SIGTERM.
cat >term.sh <<'S'
trap 'echo got-term; exit 5' TERM
echo ready
while :; do sleep 0.05; done
S
"$A" execute --task-id t1 --script term.sh >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q ready out
check $? "the script runs"
kill -TERM $pid
wait $pid
is $? 5 "SIGTERM: the script's own exit status"
grep -qx 'got-term' out
check $? "the script saw SIGTERM and its last words were shown"
grep -q 'got-term' shipped && grep -q '"event":"exit"' shipped
check $? "the pipeline drained: last line and exit record shipped"
grep -q 'caught SIGTERM' err
check $? "the agent says it was stopped"
grep -q 'log complete' err
check $? "and reports the log"

# A script that ignores SIGTERM: bounded by --drain-timeout.
rm -f shipped
cat >stubborn.sh <<'S'
trap '' TERM
echo ready
sleep 15
S
# out still says "ready" from the run before: emptied first, so that the
# signal waits for this run's script.
: >out
"$A" execute --task-id t1 --script stubborn.sh --drain-timeout 1s >out \
    2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q ready out
check $? "the stubborn script runs"
t0=$(date +%s)
kill -TERM $pid
wait $pid
st=$?
t1=$(date +%s)
test "$st" -gt 128
check $? "ended by a signal: 128 + N ($st)"
test $((t1 - t0)) -lt 10
check $? "within the drain timeout and the KILL that follows ($((t1 - t0)) s)"
grep -q 'did not drain in 1s' err
check $? "says the drain timed out"

# SIGHUP is handled the same way.
: >out
"$A" execute --task-id t1 --script term.sh >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 grep -q ready out
kill -HUP $pid
wait $pid
is $? 5 "SIGHUP: passed on as SIGTERM"
"$A" execute --task-id t1 --script term.sh --drain-timeout 2x >out 2>err
is $? 100 "bad --drain-timeout: 100"

# SIGTERM after the pipeline is done, while the summary record is being
# sent: the verdict still comes, at once, with the script's status.
printf 'echo one\nexit 3\n' >three.sh
STUB_SHIP_HANG_SUMMARY=1 "$A" execute --task-id t1 --script three.sh \
    --drain-timeout 30s >out 2>err &
pid=$!
bg_pid $pid
wait_for 20 test -e summary-sending
kill -TERM $pid
t0=$(date +%s)
wait $pid
st=$?
t1=$(date +%s)
is "$st $(grep -c 'records shipped.*; log complete$' err)" "3 1" \
    "SIGTERM while the summary record is sent: the verdict and the status"
grep -q 'the summary record was not delivered' err &&
    [ $((t1 - t0)) -lt 10 ]
check $? "at once ($((t1 - t0)) s), saying the record was not delivered"
