#!/bin/sh
# keruta-agent hands the user's own secrets to keruta-filter: --mask-env
# NAME and --mask-file FILE, logStreaming.maskEnv and logStreaming.maskFile
# in the YAML file; nothing of them reaches the server or the echo.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 13

start_agent_serve

# Names and values that no built-in rule knows.
DEPLOY_HANDLE=zq81-mauve-otter
export DEPLOY_HANDLE
printf 'first-plain-value\nsecond-plain-value\n' >values.txt
cat >job.sh <<'S'
echo "handle $DEPLOY_HANDLE"
echo "one first-plain-value two second-plain-value"
S
stored() {
	curl -s "$SERVE_API/tasks/$1/logs?source=stdout&order=asc" |
	    tr '{' '\n' | sed -n 's/.*"message":"\([^"]*\)".*/\1/p'
}

keruta-agent execute --task-id plain --script job.sh >out 2>err
grep -q zq81-mauve-otter out
check $? "without them, the values are shown (as the user first saw)"

keruta-agent execute --task-id flags --script job.sh \
    --mask-env DEPLOY_HANDLE --mask-file values.txt >out 2>err
is $? 0 "--mask-env and --mask-file: the script's status"
is "$(stored flags | paste -sd "|" -)" \
    "handle [REDACTED:env:DEPLOY_HANDLE]|one [REDACTED:mask-file] two [REDACTED:mask-file]" \
    "the server has them masked"
! grep -q -e zq81-mauve-otter -e plain-value out err
check $? "the echo and the diagnostics have none of them"
keruta-agent execute --task-id flags2 --script job.sh \
    --mask-env=DEPLOY_HANDLE --mask-file=values.txt >out 2>err
! grep -q -e zq81-mauve-otter -e plain-value out
check $? "--mask-env=NAME and --mask-file=FILE"

cat >masks.yaml <<'Y'
logStreaming:
  maskEnv: [DEPLOY_HANDLE]
  maskFile:
    - values.txt
Y
keruta-agent execute --task-id yaml --script job.sh --config masks.yaml \
    >out 2>err
is "$(stored yaml | paste -sd "|" -)" \
    "handle [REDACTED:env:DEPLOY_HANDLE]|one [REDACTED:mask-file] two [REDACTED:mask-file]" \
    "logStreaming.maskEnv and logStreaming.maskFile from the YAML"
KERUTA_LOG_MASK_ENV=DEPLOY_HANDLE KERUTA_LOG_MASK_FILE=values.txt \
    keruta-agent execute --task-id env --script job.sh >out 2>err
is "$(stored env | paste -sd "|" -)" \
    "handle [REDACTED:env:DEPLOY_HANDLE]|one [REDACTED:mask-file] two [REDACTED:mask-file]" \
    "KERUTA_LOG_MASK_ENV and KERUTA_LOG_MASK_FILE"
printf 'logStreaming:\n  maskEnv: [DEPLOY_HANDLE]\n' >env.yaml
keruta-agent execute --task-id both --script job.sh --config env.yaml \
    --mask-file values.txt >out 2>err
is "$(stored both | paste -sd "|" -)" \
    "handle [REDACTED:env:DEPLOY_HANDLE]|one [REDACTED:mask-file] two [REDACTED:mask-file]" \
    "the flags add to the file's"
is "$(keruta-config -c masks.yaml logStreaming.maskEnv logStreaming.maskFile | tr '\n' '|')" \
    "DEPLOY_HANDLE|values.txt|" "keruta-config shows them"

# A mask that cannot work stops the run before the script starts.
rm -f ran
printf 'touch ran\n' >mark.sh
keruta-agent execute --task-id bad --script mark.sh \
    --mask-file missing.txt >out 2>err
is $? 100 "an unreadable --mask-file: 100"
test ! -e ran
check $? "and the script did not run"
is "$(cat err)" "keruta-filter: fatal: unable to read 'missing.txt': No such file or directory
keruta-agent: fatal: keruta-filter refused the settings; the script was not run" \
    "the filter's reason, then the agent's"
printf 'abc\n' >short.txt
keruta-agent execute --task-id bad --script mark.sh \
    --mask-file short.txt >out 2>err
is $? 100 "a value too short to mask: 100"
