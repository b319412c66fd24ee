#!/bin/sh
# keruta-agent with stand-in stages: exit statuses, echo, settings,
# --disable-log-streaming, --save, failing stages, signals.
. "${0%/*}/lib.sh"
plan 46

. "$DATA/agent-stubs.sh"

printf 'echo "hello $*"\necho oops >&2\nexit "${CODE:-0}"\n' >s.sh
"$A" execute --task-id t1 --script s.sh -- a b >out 2>err
is $? 0 "exit 0"
# Not a terminal: the lines as written, the agent's marked; stdout and
# stderr keep their own order, not each other's.
is "$(sed -n '1p;$p' out)" "keruta-agent: started: sh ./s.sh a b
keruta-agent: exited with status 0" "the agent's lines first and last"
is "$(sed '1d;$d' out | sort)" "hello a b
oops" "the script's output shown on stdout"
is "$(cat err)" "keruta-agent: task t1: 4 records shipped, 4 acknowledged, 0 spooled; log complete" \
    "one summary line on stderr"
is "$(grep -c . shipped)" 5 "four records, then the summary record"
run=$(sed -n 's/.*"runId":"\([^"]*\)".*/\1/p' shipped | sort -u)
is "$(echo "$run" | wc -l | tr -d ' ')" 1 "one runId for the run and the summary"
tail -n 1 shipped | normalise >got
echo '{"type":"log","taskId":"t1","runId":"R","seq":5,"timestamp":"T","source":"agent","level":"INFO","message":"task t1: 4 records shipped, 4 acknowledged, 0 spooled; log complete","metadata":{"event":"summary","shipped":4,"acked":4,"spooled":0,"complete":true,"exitCode":0}}' >want
diff_golden want got "the summary record follows the last seq"
is "$(head -n 1 ship.args)" "--summary $(sed -n 's/^--summary //p' ship.args | head -n 1)" \
    "keruta-ship gets --summary"

for c in 1 7; do
	rm -f shipped
	CODE=$c "$A" execute --task-id t1 --script s.sh >out 2>err
	is $? $c "exit $c"
done
grep -q '"event":"summary".*"exitCode":7' shipped
check $? "the summary record carries the exit code"

printf 'echo before\nkill -9 $$\n' >k.sh
"$A" execute --task-id t1 --script k.sh >out 2>err
is $? 137 "killed by SIGKILL: 137"
"$A" execute --task-id t1 --script ./nope.sh >out 2>err
is $? 127 "script not found: 127"
printf '#!/bin/sh\necho shebang "$0"\nexit 4\n' >x.sh
"$A" execute --task-id t1 --script x.sh >out 2>err
is $? 4 "a script without the execute bit runs"
grep -q 'shebang ./x.sh' out
check $? "under its #! interpreter"
printf 'echo direct\nexit 6\n' >d.sh
chmod +x d.sh
cat >shebangless.sh <<'S'
echo via-sh
S
"$A" execute --task-id t1 --script shebangless.sh >out 2>err
grep -qx 'via-sh' out
check $? "without #!, under sh"

# Later stages failing: the script's status stands; the agent says so.
seq 1 50000 >big
printf 'cat big\nexit 3\n' >big.sh
STUB_SHIP_FAIL=1 "$A" execute --task-id t1 --script big.sh --no-echo >out \
    2>err
is $? 3 "keruta-ship failing: still the script's status"
grep -q 'keruta-ship exited with status 111' err
check $? "the failed stage is named"
is "$(tail -n 1 err)" "keruta-agent: task t1: no delivery summary from keruta-ship; log incomplete: keruta-ship exited with status 111" \
    "the log is reported incomplete, and why"
is "$(cat out)" "" "--no-echo: nothing on stdout"
rm -f shipped
STUB_FILTER_FAIL=1 "$A" execute --task-id t1 --script big.sh >out 2>err
is $? 3 "keruta-filter failing: still the script's status"
grep -q 'keruta-filter exited with status 1' err
check $? "the failed filter is named"
grep -q 'log incomplete' err
check $? "and the log is incomplete"

# --disable-log-streaming: just the script.
rm -f shipped ship.args
"$A" execute --task-id t1 --script d.sh --disable-log-streaming >out 2>err
is $? 6 "--disable-log-streaming: the script's status"
is "$(cat out)" direct "--disable-log-streaming: the script's own output"
test ! -e ship.args
check $? "nothing shipped"
KERUTA_LOG_STREAMING_ENABLED=false "$A" execute --task-id t1 --script d.sh \
    >out 2>err
is "$(cat out)" direct "KERUTA_LOG_STREAMING_ENABLED=false"
printf 'logStreaming:\n  enabled: false\n' >off.yaml
"$A" execute --task-id t1 --script d.sh --config off.yaml >out 2>err
is "$(cat out)" direct "logStreaming.enabled: false in the YAML"
KERUTA_LOG_STREAMING_ENABLED=true "$A" execute --task-id t1 --script d.sh \
    --config off.yaml >out 2>err
test -e ship.args
check $? "the environment beats the YAML for enabled"

rm -f ship.args
"$A" execute --task-id t1 --script s.sh --disable-log-streaming \
    --save saved.ndjson >out 2>err
is $? 0 "--disable-log-streaming --save"
is "$(normalise saved.ndjson | sed -n 2p)" '{"type":"log","taskId":"t1","runId":"R","seq":2,"timestamp":"T","source":"stdout","level":"INFO","message":"hello ","lineNumber":1}' \
    "--save keeps the records"
test ! -e ship.args
check $? "and ships nothing"
"$A" execute --task-id t1 --script s.sh --save=saved2.ndjson >out 2>err
is "$(grep -c . saved2.ndjson)" 4 "--save=file while streaming"

# Settings: flag > environment > YAML > default, as the stages see them.
printf 'logStreaming:\n  level: error\n' >lv.yaml
"$A" execute --task-id t1 --script d.sh >/dev/null 2>&1
is "$(grep LEVEL filter.env)" KERUTA_LOG_LEVEL=INFO "level: the default"
"$A" execute --task-id t1 --script d.sh --config lv.yaml >/dev/null 2>&1
is "$(grep LEVEL filter.env)" KERUTA_LOG_LEVEL=ERROR "level: the YAML"
KERUTA_LOG_LEVEL=warn "$A" execute --task-id t1 --script d.sh \
    --config lv.yaml >/dev/null 2>&1
is "$(grep LEVEL filter.env)" KERUTA_LOG_LEVEL=WARN \
    "level: the environment beats the YAML"
KERUTA_LOG_LEVEL=warn "$A" execute --task-id t1 --script d.sh \
    --config lv.yaml --log-level debug >/dev/null 2>&1
is "$(grep -E 'LEVEL|CONFIG|TASK' filter.env | tr '\n' ' ')" \
    "KERUTA_CONFIG=lv.yaml KERUTA_LOG_LEVEL=DEBUG KERUTA_TASK_ID=t1 " \
    "the flags beat everything and reach the stages"
KERUTA_TASK_ID=env-task "$A" execute --script d.sh >/dev/null 2>err
grep -q 'task env-task:' err
check $? "KERUTA_TASK_ID gives the task"

# Usage.
"$A" execute --script d.sh >out 2>err
is $? 100 "no task id: 100"
"$A" execute --task-id t >out 2>err
is $? 100 "no script: 100"
"$A" execute --task-id t --script d.sh --bogus >out 2>err
is $? 100 "unknown option: 100"
"$A" execute --task-id t --script d.sh --log-level loud >out 2>err
is $? 100 "bad level: 100, the script not run"
"$A" run >out 2>err
is $? 100 "unknown command: 100"
"$A" --help >out
check $? "--help exits 0"
grep -q -- '--disable-log-streaming' out
check $? "--help lists the options on stdout"
is "$("$A" --version)" "keruta-agent 0.1.0" "--version"
