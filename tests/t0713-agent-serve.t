#!/bin/sh
# keruta-agent end to end: the documented command line against keruta-serve,
# followed with keruta-tail; --save then replay; YAML and env settings.
. "${0%/*}/lib.sh"
for p in keruta-serve keruta-capture keruta-filter keruta-batch keruta-ship; do
	[ -x "$KR_BIN/$p" ] || skip_all "$p is not built"
done
plan 23

# Each run's spool and state files stay in the test directory.
TMPDIR=$T
export TMPDIR
keruta-serve -L 127.0.0.1:0 -d "$T/k.db" 2>serve.log &
bg_pid $!
wait_for 10 grep -q 'listening on' serve.log || diag "keruta-serve did not start"
addr=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' serve.log)
KERUTA_WEBSOCKET_URL=ws://$addr/ws/tasks
KERUTA_API_URL=http://$addr/api/v1
export KERUTA_WEBSOCKET_URL KERUTA_API_URL
api=http://$addr/api/v1

cat >job.sh <<'S'
#!/bin/sh
echo "hello from $1"
echo "WARN: careful" >&2
echo "password=hunter2"
exit 7
S
chmod +x job.sh
keruta-agent execute --task-id e2e --script ./job.sh -- world >out 2>err
is $? 7 "the script's exit status through the whole pipeline"
is "$(tail -n 1 err)" "keruta-agent: task e2e: 5 records shipped, 5 acknowledged, 0 spooled; log complete" \
    "every record acknowledged"
keruta-tail -u "ws://$addr" --exit-code e2e >tailed 2>tail.err
is $? 7 "keruta-tail --exit-code: the script's status"
# stdout and stderr keep their own order, not each other's: compare sorted.
cut -d' ' -f2- tailed | sort >got
sort >want <<'W'
agent  INFO  started: ./job.sh world
stdout INFO  hello from world
stderr WARN  WARN: careful
stdout INFO  password=[REDACTED:password]
agent  ERROR exited with status 7
agent  INFO  task e2e: 5 records shipped, 5 acknowledged, 0 spooled; log complete
W
diff_golden want got "the server has the run, redacted, and the agent's summary"
sort out >shown
sort >want5 <<'W'
keruta-agent: started: ./job.sh world
hello from world
WARN: careful
password=[REDACTED:password]
keruta-agent: exited with status 7
W
diff_golden want5 shown "the terminal showed the same lines as they ran"
! grep -q hunter2 tailed out k.db 2>/dev/null
check $? "the secret is nowhere"
curl -s "$api/tasks/e2e/logs/count" >count
is "$(cat count)" '{"count":6}' "six records stored (the summary too)"

# --json from the server, and history only.
keruta-tail -u "ws://$addr" -n --json -s agent e2e >js
is "$(grep -c '"source":"agent"' js)" 3 "--no-follow --json -s agent"

# Exit codes 0 and 1, and a death by signal.
printf 'echo ok\n' >ok.sh
keruta-agent execute --task-id e2e-0 --script ok.sh >/dev/null 2>&1
is $? 0 "exit 0"
printf 'echo no; exit 1\n' >one.sh
keruta-agent execute --task-id e2e-1 --script one.sh >/dev/null 2>&1
is $? 1 "exit 1"
printf 'echo bye; kill -TERM $$\n' >sig.sh
keruta-agent execute --task-id e2e-sig --script sig.sh >/dev/null 2>err
is $? 143 "killed by SIGTERM: 143"
grep -q 'log complete' err
check $? "and the log is complete"
keruta-tail -u "ws://$addr" -e e2e-sig >/dev/null 2>&1
is $? 143 "keruta-tail --exit-code after a signal death"

# --log-level from the YAML, the environment, the flag.
msg() { awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }'; }
printf 'echo "DEBUG: d"\necho "INFO: i"\necho "WARN: w"\n' >lv.sh
printf 'logStreaming:\n  level: warn\n' >warn.yaml
keruta-agent execute --task-id lv-yaml --script lv.sh --config warn.yaml \
    --no-echo 2>/dev/null
keruta-tail -u "ws://$addr" -n -s stdout lv-yaml | msg >got
is "$(cat got)" "WARN: w" "logStreaming.level from the YAML"
KERUTA_LOG_LEVEL=info keruta-agent execute --task-id lv-env --script lv.sh \
    --config warn.yaml --no-echo 2>/dev/null
keruta-tail -u "ws://$addr" -n -s stdout lv-env | msg | tr '\n' , >got
is "$(cat got)" "INFO: i,WARN: w," "KERUTA_LOG_LEVEL beats the YAML"
KERUTA_LOG_LEVEL=info keruta-agent execute --task-id lv-flag --script lv.sh \
    --config warn.yaml --log-level debug --no-echo 2>/dev/null
keruta-tail -u "ws://$addr" -n -s stdout lv-flag | msg | tr '\n' , >got
is "$(cat got)" "DEBUG: d,INFO: i,WARN: w," "--log-level beats both"

# --disable-log-streaming --save, then replay; the replay is idempotent.
keruta-agent execute --task-id replay --script ./job.sh \
    --disable-log-streaming --save saved.ndjson -- x >/dev/null 2>&1
is $? 7 "--disable-log-streaming --save: the script's status"
curl -s "$api/tasks/replay/logs/count" >count
is "$(cat count)" '{"count":0}' "nothing shipped"
keruta-batch <saved.ndjson | keruta-ship --summary sum1 2>/dev/null
is $? 0 "replaying the saved file"
keruta-batch <saved.ndjson | keruta-ship --summary sum2 2>/dev/null
curl -s "$api/tasks/replay/logs/count" >count
is "$(cat count)" '{"count":5}' "replayed twice, stored once"
keruta-tail -u "ws://$addr" -e replay >/dev/null 2>&1
is $? 7 "the replayed run ends with its exit record"

# The server going away does not change the script's status.
port=$(free_port)
KERUTA_WEBSOCKET_URL=ws://127.0.0.1:$port/ws/tasks keruta-agent execute \
    --task-id down --script one.sh --no-echo --drain-timeout 1s >/dev/null \
    2>err &
pid=$!
bg_pid $pid
# Once the script has run (the settings are checked before it starts).
wait_for 20 sh -c 'ls "$0"/keruta-agent.*/capture.rc' "$T"
sleep 0.2
kill -TERM $pid 2>/dev/null
wait $pid
is $? 1 "no server, stopped: still the script's status"
grep -q 'log incomplete' err
check $? "and the log is reported incomplete"
