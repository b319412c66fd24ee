#!/bin/sh
# keruta-agent checks every setting the pipeline will use before the
# script starts, and exits 100 without running it; a misspelt key in the
# YAML file is warned about, by key and file; keruta-config prints the
# values the tools will use, defaults included.
. "${0%/*}/lib.sh"
plan 21

TMPDIR=$T
export TMPDIR
printf 'touch ran\necho done\n' >job.sh

# A bad task id, found before the script runs.
keruta-agent execute --task-id 'build 42!' --script job.sh >out 2>err
is $? 100 "a bad task id: 100"
test ! -e ran
check $? "the script did not run"
is "$(cat err)" "keruta-ship: fatal: bad task id 'build 42!' (1 to 128 letters, digits or '-_.:@+=~')
keruta-agent: fatal: keruta-ship refused the settings; the script was not run" \
    "keruta-ship's reason, then the agent's"

# A malformed URL, from the environment or the YAML file.
KERUTA_WEBSOCKET_URL=ws:/127.0.0.1:8080 keruta-agent execute --task-id t1 \
    --script job.sh >out 2>err
is $? 100 "a malformed URL: 100"
test ! -e ran
check $? "the script did not run"
printf 'websocket:\n  url: http://127.0.0.1:8080\n' >http.yaml
keruta-agent execute --task-id t1 --script job.sh --config http.yaml \
    >out 2>err
is $? 100 "an http:// URL for the WebSocket: 100"
grep -q "keruta-ship: fatal: url 'http://127.0.0.1:8080' does not suit protocol ws" err
check $? "named by keruta-ship"
test ! -e ran
check $? "the script did not run"

# A spool that cannot be made.
: >notadir
TMPDIR=$T/notadir/x keruta-agent execute --task-id t1 --script job.sh \
    >out 2>err
st=$?
test ! -e ran
check $? "an unusable TMPDIR: the script did not run ($st)"

# A --save file that cannot be written.
keruta-agent execute --task-id t1 --script job.sh --save nodir/run.ndjson \
    --disable-log-streaming >out 2>err
is $? 100 "an unwritable --save file: 100"
test ! -e ran
check $? "the script did not run"
is "$(cat err)" "keruta-agent: fatal: unable to write the --save file 'nodir/run.ndjson'; the script was not run" \
    "the agent says why"

# With --disable-log-streaming nothing is shipped and nothing is checked.
KERUTA_WEBSOCKET_URL=ws:/bad keruta-agent execute --task-id t1 \
    --script job.sh --disable-log-streaming >out 2>err
is $? 0 "--disable-log-streaming: the delivery settings do not matter"
rm -f ran

# Misspelt keys: warned, by key, file and line, with the likely one.
cat >typo.yaml <<'Y'
logStreaming:
  levle: debug
  enabled: false
websockets:
  url: ws://127.0.0.1:1/ws/tasks
Y
keruta-agent execute --task-id t1 --script job.sh --config typo.yaml \
    >out 2>err
is $? 0 "misspelt keys do not stop the run"
grep 'unknown key' err >warned
is "$(cat warned)" "keruta-config: warning: unknown key 'logStreaming.levle' in 'typo.yaml' line 2; did you mean 'logStreaming.level'?
keruta-config: warning: unknown key 'websockets.url' in 'typo.yaml' line 5; did you mean 'websocket.url'?" \
    "each misspelt key is named, with the file and line"
keruta-config -c typo.yaml logStreaming.enabled >out 2>err
is "$(grep -c 'unknown key' err)" 2 "keruta-config warns too"
is "$(cat out)" false "and still prints the value"
keruta-config -c typo.yaml logStreaming.levle >out 2>err
is "$(grep -c 'unknown key' err)" 1 "a key asked for by name is not warned about"

# keruta-config prints what the tools will use.
keruta-config websocket.url api.url websocket.timeout \
    websocket.reconnectInterval api.timeout api.retryCount >got
printf 'ws://localhost:8080/ws/tasks\nhttp://localhost:8080/api/v1\n10s\n5s\n10s\n3\n' >want
diff_golden want got "the URL and delivery defaults are printed"
KERUTA_WEBSOCKET_URL=ws://h:1 keruta-config websocket.url >got
is "$(cat got)" ws://h:1 "the environment still wins"
keruta-config | grep -c '=$' >got
is "$(cat got)" 4 "only the unset secrets and masks are empty"
