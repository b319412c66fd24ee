#!/bin/sh
# keruta-filter --list-rules: every rule with a made-up example, and the
# example is masked by that rule; the man page lists each rule.
. "${0%/*}/lib.sh"
plan 4

keruta-filter --list-rules >list 2>err
check $? "--list-rules exits 0"
n=$(wc -l <list | tr -d ' ')
awk -v n="$n" 'BEGIN { exit !(n >= 140) }'
check $? "at least 140 rules listed ($n)"
# One run: a line of prose after each example ends a private key.
cut -f2 list | awk '{ print; print "end of the example" }' |
    jq -Rc '{message: gsub("\\\\n"; "\n")}' |
    env -i PATH="$PATH" keruta-filter >out
jq -c .message out | awk 'NR % 2 == 1' >got
bad=$(cut -f1 list | paste - got | while IFS='	' read -r name masked; do
	case $masked in
	*"[REDACTED:$name]"*) ;;
	*) printf ' %s' "$name" ;;
	esac
done)
is "$bad" "" "each example is masked by its own rule"
missing=
for name in $(cut -f1 list); do
	grep -q "^\.It Cm $name\$" "$KR_TOP/man/keruta-filter.1" ||
	    missing="$missing $name"
done
is "$missing" "" "the man page lists every rule"
