#!/bin/sh
# keruta-agent's verdict is true: a run whose capture stage died, or whose
# delivery stage died, is called incomplete, with the reason, in the last
# line and in the summary record; the script's status stays the exit status.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 22

start_agent_serve

# pidof_stage NAME: the pid the agent recorded for a stage of its pipeline.
pidof_stage() { cat "$T"/keruta-agent.*/"$1.pid" 2>/dev/null; }

# 1500 lines over about three seconds.
cat >slow.sh <<'S'
i=0
while [ $i -lt 1500 ]; do
	echo "line $i"
	i=$((i + 1))
	[ $((i % 50)) -ne 0 ] || sleep 0.1
done
exit 3
S

# keruta-capture killed a second into the run.
keruta-agent execute --task-id cap-killed --script slow.sh --no-echo \
    >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 pidof_stage capture
sleep 1
kill -KILL "$(pidof_stage capture)"
wait $pid
is $? 137 "keruta-capture killed: its status, 128 + 9"
last=$(tail -n 1 err)
case $last in
*"; log incomplete: keruta-capture was killed by SIGKILL, no exit record")
	r=0 ;;
*) r=1 ;;
esac
check $r "the last line says incomplete, and why ($last)"
! grep -q 'log complete' err
check $? "'log complete' is said nowhere"
curl -s "$SERVE_API/tasks/cap-killed/logs?source=agent&size=100" >agent.json
grep -q '"event":"exit"' agent.json
is $? 1 "the server has no exit record for the run"
sum=$(tr '{' '\n' <agent.json | grep -c '"event":"summary"')
is "$sum" 1 "the summary record reached the server"
grep -q '"complete":false' agent.json &&
    grep -q '"reason":"keruta-capture was killed by SIGKILL, no exit record"' \
    agent.json && grep -q '"level":"WARN"' agent.json
check $? "the summary record says incomplete and why, at WARN"

# keruta-ship killed: the drain reads on, without complaint.
keruta-agent execute --task-id ship-killed --script slow.sh --no-echo \
    >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 pidof_stage ship
sleep 1
kill -KILL "$(pidof_stage ship)"
wait $pid
is $? 3 "keruta-ship killed: still the script's status"
! grep -q 'Resource temporarily unavailable' err
check $? "the drain reads a pipe left non-blocking"
grep -v '^keruta-agent: ' err | sed 's/^/# /'
is "$(grep -vc '^keruta-agent: ' err)" 0 "only the agent's own lines on stderr"
is "$(tail -n 1 err)" "keruta-agent: task ship-killed: no delivery summary from keruta-ship; log incomplete: keruta-ship was killed by SIGKILL" \
    "the last line names the dead stage"

# The echo killed: the records still reach the server, the exit record
# last; the log is incomplete (the records the echo held are lost).
keruta-agent execute --task-id echo-killed --script slow.sh >out 2>err &
pid=$!
bg_pid $pid
wait_for 10 pidof_stage view
sleep 1
kill -KILL "$(pidof_stage view)"
wait $pid
is $? 3 "the echo killed: the script's status"
curl -s "$SERVE_API/tasks/echo-killed/logs?source=agent&size=100" >agent.json
grep -q '"event":"exit"' agent.json
check $? "the records after the echo's death reached the server"
curl -s "$SERVE_API/tasks/echo-killed/logs?source=stdout&q=1499" >end.json
grep -q '"message":"line 1499"' end.json
check $? "to the last line"
case $(tail -n 1 err) in
*"; log incomplete: keruta-tail was killed by SIGKILL") r=0 ;;
*) r=1 ;;
esac
check $r "the last line names the echo ($(tail -n 1 err))"
grep -v '^keruta-agent: ' err | sed 's/^/# /'
is "$(grep -vc '^keruta-agent: ' err)" 0 "only the agent's own lines on stderr"

# The reader of the echo goes away (| head): no record is lost, and the
# log is complete.
{ keruta-agent execute --task-id head --script slow.sh 2>err; echo $? >rc; } |
    head -n 1 >first
is "$(cat rc)" 3 "stdout closed early: the script's status"
curl -s "$SERVE_API/tasks/head/logs/count" >count
is "$(cat count)" '{"count":1503}' "every record and the summary reached the server"
is "$(tail -n 1 err)" "keruta-agent: task head: 1502 records shipped, 1502 acknowledged, 0 spooled; log complete" \
    "the log is complete"

# A complete run is still called complete.
printf 'echo one\necho two\nexit 4\n' >short.sh
keruta-agent execute --task-id whole --script short.sh --no-echo >out 2>err
is $? 4 "a whole run: the script's status"
is "$(tail -n 1 err)" "keruta-agent: task whole: 4 records shipped, 4 acknowledged, 0 spooled; log complete" \
    "a whole run is complete"
# With --no-echo no keruta-tail runs: keruta-batch tells the last seq, and
# the summary record follows it.
is "$(curl -s "$SERVE_API/tasks/whole/logs?order=desc&size=1" |
    jq -c '.content[0] | [.seq, .source, .metadata.event]')" \
    '[5,"agent","summary"]' "--no-echo: the summary record follows the last"
# Nor is keruta-tail needed then.
mkdir notail
for p in keruta-agent keruta-capture keruta-filter keruta-batch keruta-ship \
    keruta-config; do
	ln -s "$KR_BIN/$p" notail/$p
done
PATH=$T/notail:/usr/bin:/bin notail/keruta-agent execute --task-id notail \
    --script short.sh --no-echo >out 2>err
is "$? $(tail -n 1 err)" "4 keruta-agent: task notail: 4 records shipped, 4 acknowledged, 0 spooled; log complete" \
    "--no-echo: no keruta-tail needed"
