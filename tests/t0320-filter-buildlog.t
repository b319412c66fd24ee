#!/bin/sh
# keruta-filter: real-looking build output (compilers, npm, pip, maven,
# gradle, go, cargo, docker, kubectl, terraform plan, git log, CI runners)
# with the words token, password and secret in it, and placeholders for
# values: no line changes (the limit is 0.2% of lines).
. "${0%/*}/lib.sh"
plan 3

jq -Rc '{message:.}' "$DATA/filter-buildlog.txt" >in
n=$(wc -l <in | tr -d ' ')
keruta-filter <in >out
check $? "the filter exits 0"
changed=$(jq -r .message out | diff "$DATA/filter-buildlog.txt" - | grep -c '^>')
is "$changed" 0 "no line of $n changed"
jq -r .message out | diff -u "$DATA/filter-buildlog.txt" - >d
check $? "the output is the input: $(grep '^+[^+]' d | head -3)"
