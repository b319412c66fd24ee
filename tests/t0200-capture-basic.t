#!/bin/sh
# keruta-capture: records, ids, agent events, options and usage errors.
. "${0%/*}/lib.sh"
plan 33

keruta-capture -t task1 -r run1 -- sh -c 'echo one; echo two >&2; sleep 0.1;
    echo three; exit 3' >out 2>err
is "$?" 3 "exit status is the command's"
normalise out >got
diff_golden "$DATA/capture-basic.ndjson" got "records, seq, lineNumber, agent events"
is "$(cat err)" "" "nothing on stderr"
jq -e . out >/dev/null 2>&1
check $? "every line is JSON"

# Task id: flag, environment, flag over environment, absent.
KERUTA_TASK_ID=envtask keruta-capture -- true >out
is "$(jq -r .taskId out | sort -u)" envtask "KERUTA_TASK_ID gives taskId"
KERUTA_TASK_ID=envtask keruta-capture --task-id flagtask -- true >out
is "$(jq -r .taskId out | sort -u)" flagtask "--task-id wins over KERUTA_TASK_ID"
keruta-capture -- echo hi >out
is "$(jq -c 'has("taskId")' out | sort -u)" false "no task id: taskId left out"

# Run id: 16 random hex digits, the same on every record of a run.
keruta-capture -- echo hi >out1
keruta-capture -- echo hi >out2
r1=$(jq -r .runId out1 | sort -u)
r2=$(jq -r .runId out2 | sort -u)
printf '%s\n' "$r1" | grep -Eqx '[0-9a-f]{16}'
check $? "default run id is 16 hex digits, one per run"
[ "$r1" != "$r2" ]
check $? "each run gets a new run id"
keruta-capture --run-id abc.1 -- true >out
is "$(jq -r .runId out | sort -u)" abc.1 "--run-id sets the run id"

# Help and version.
keruta-capture --help >out 2>err
is "$?" 0 "--help exits 0"
head -n 1 out | grep -q '^usage: keruta-capture '
check $? "--help prints the usage first"
missing=
for o in --help --version --no-stdin --pty --quiet --run-id --task-id \
    --verbose --idle-flush --kill-after --max-line --stderr-level \
    --stdout-level --timeout -h -q -r -t -V -v; do
	grep -q -- "$o\\b" out || missing="$missing $o"
done
is "$missing" "" "--help lists every option"
is "$(keruta-capture --version)" "keruta-capture 0.1.0" "--version"

# Usage errors exit 100 with a one-line diagnostic and no records.
for args in "--bogus -- true" "" "--max-line 1 -- true" \
    "--max-line 3M -- true" "--stdout-level loud -- true" \
    "--timeout soon -- true" "--task-id= -- true" "--idle-flush -1 -- true"; do
	# shellcheck disable=SC2086
	keruta-capture $args >out 2>err
	rc=$?
	[ "$rc" -eq 100 ] && [ ! -s out ] && grep -q '^usage: keruta-capture' err
	check $? "usage error: '$args'"
done
keruta-capture -t "$(printf 'a\tb')" -- true >out 2>err
is "$?" 100 "a task id with a control character is refused"
# The one rule for ids (kr_id), as keruta-ship and keruta-serve have it:
# an id they would refuse is refused here, before the command runs.
keruta-capture -t "a b" -- touch ran >out 2>err
is "$? $(head -n 1 err)" "100 keruta-capture: warning: bad task id 'a b' \
(1 to 128 letters, digits or '-_.:@+=~')" "a task id with a space is refused"
[ ! -e ran ] && [ ! -s out ]
check $? "and the command did not run"
keruta-capture -r "$(printf 'r%.0s' $(seq 129))" -- true >out 2>err
is "$? $(head -n 1 err)" "100 keruta-capture: warning: bad run id \
'$(printf 'r%.0s' $(seq 64))...' (1 to 128 letters, digits or '-_.:@+=~')" \
    "a run id of 129 bytes is refused, shown cut"
keruta-capture -t "$(printf 'a\nb')" -- true >out 2>err
is "$? $(wc -l <err) $(head -n 1 err)" "100 2 keruta-capture: warning: bad \
task id 'a?b' (1 to 128 letters, digits or '-_.:@+=~')" \
    "a newline in an id: one line, the byte shown as '?'"
keruta-capture -t "build:42@x" -r "a.b_c-d" -- true >out 2>err
is "$? $(jq -r .taskId out | sort -u)" "0 build:42@x" "an id with marks is taken"

# -q keeps only fatal diagnostics; -vv adds debug ones.
keruta-capture -q --timeout 100ms -- sleep 5 >out 2>err
is "$(cat err)" "" "-q silences warnings"
keruta-capture -vv --timeout 100ms -- sleep 5 >out 2>err
grep -q '^keruta-capture: debug: sending TERM to process group' err
check $? "-vv shows debug diagnostics"

# The manual pages: every option of --help documented, clean mdoc, and
# the EXAMPLES run.
keruta-capture --help >help
missing=
for o in $(grep -Eo -- '(^| )--?[a-z][a-z-]*' help | sort -u); do
	case $o in
	--*) pat="Fl -${o#--}" ;;
	*) pat="Fl ${o#-}" ;;
	esac
	grep -q -- "$pat\\b" "$KR_TOP/man/keruta-capture.1" || missing="$missing $o"
done
is "$missing" "" "every option of --help is in keruta-capture.1"
out=$(for m in keruta-capture.1 keruta.7; do
	groff -mandoc -ww -z "$KR_TOP/man/$m" 2>&1; done)
is "$out" "" "keruta-capture.1 and keruta.7 are clean mdoc"
failed=
sed -n 's/^\.Dl //p' "$KR_TOP/man/keruta-capture.1" "$KR_TOP/man/keruta.7" |
    sed -e 's/\\(dq/"/g' -e 's/\\e/\\/g' >examples
while IFS= read -r ex; do
	sh -c "$ex" >/dev/null 2>&1 </dev/null || failed="$failed [$ex]"
done <examples
is "$failed" "" "the EXAMPLES run ($(wc -l <examples) of them)"
