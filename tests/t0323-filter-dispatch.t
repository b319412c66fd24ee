#!/bin/sh
# keruta-filter: dispatch() passes over a run whose first two bytes begin
# no prefix that dispatch_at looks for; each prefix dispatch_at tests at
# the start of a run must have its first two bytes in dispatch_pairs, or
# its tokens would go unmasked.
. "${0%/*}/lib.sh"
plan 2

src=$KR_TOP/tools/keruta-filter/filter_rules.c
# The literals of at(c, s, "...") inside dispatch_at.
sed -n '/^dispatch_at(/,/^}/p' "$src" |
    grep -o 'at(c, s, "[^"]*"' | sed 's/^at(c, s, "//; s/"$//' |
    cut -c1-2 | sort -u >used
n=$(wc -l <used | tr -d ' ')
awk -v n="$n" 'BEGIN { exit !(n >= 30) }'
check $? "dispatch_at's prefixes found ($n)"
# The pairs of dispatch_pairs[].
sed -n '/^static const char \*const dispatch_pairs\[\]/,/};/p' "$src" |
    grep -o '"[^"]*"' | tr -d '"' | sort -u >pairs
missing=$(comm -23 used pairs | tr '\n' ' ')
is "$missing" "" "every prefix's first two bytes are in dispatch_pairs"
