#!/bin/sh
# keruta-filter: the vendor formats against tests/data/filter-vendors.cases, one
# TAP line per case: secrets are masked, look-alikes pass untouched.
. "${0%/*}/lib.sh"

grep -v -e '^#' -e '^$' "$DATA/filter-vendors.cases" >cases
n=$(wc -l <cases)
plan $((n + 2))

cut -f1 cases | jq -Rc '{type:"log",seq:1,source:"stdout",level:"INFO",
    message:.}' >in
keruta-filter <in >out 2>err
check $? "the filter exits 0"
is "$(wc -l <out | tr -d ' ')" "$n" "one record out per record in"
jq -r .message out >got

i=0
while IFS= read -r line; do
	i=$((i + 1))
	input=${line%%	*}
	want=${line#*	}
	[ "$want" = "=" ] && want=$input
	got=$(sed -n "${i}p" got)
	# '#' would make a TAP directive of the description.
	is "$got" "$want" "case $i: $(printf '%s' "$input" | tr '#' _ |
	    cut -c1-60)"
done <cases
