#!/bin/sh
# keruta-capture: levels detected from markers in the line, else the
# source's default (--stdout-level, --stderr-level).
. "${0%/*}/lib.sh"
plan 6

grep -v '^#' "$DATA/capture-levels.cases" >cases
cut -f 2- cases >lines
keruta-capture -- cat lines >out
jq -r 'select(.source == "stdout") | [.level, .message] | @tsv' out >got
# @tsv writes an ESC as-is; the cases hold it raw too.
diff_golden cases got "levels from markers, table of cases"

printf 'plain\n' >plain
keruta-capture -- sh -c 'cat plain; cat plain >&2' >out
is "$(jq -r 'select(.source != "agent") | .level' out | tr '\n' ' ')" \
    "INFO ERROR " "defaults: stdout INFO, stderr ERROR"
keruta-capture --stdout-level debug --stderr-level WARNING -- \
    sh -c 'cat plain; cat plain >&2' >out
is "$(jq -r 'select(.source != "agent") | .level' out | tr '\n' ' ')" \
    "DEBUG WARN " "--stdout-level and --stderr-level set the defaults"
keruta-capture --stderr-level info -- sh -c 'echo "WARNING: x" >&2' >out
is "$(jq -r 'select(.source == "stderr") | .level' out)" WARN \
    "a marker wins over the default on stderr too"

# A line split by --max-line keeps its first part's level.
keruta-capture --max-line 16 -- echo "ERROR: a line long enough to split" >out
is "$(jq -r 'select(.source == "stdout") | .level' out | sort -u)" ERROR \
    "the parts of a split line share its level"
is "$(jq -r 'select(.source == "stdout") | .level' out | wc -l)" 3 \
    "(the line was split in three)"
