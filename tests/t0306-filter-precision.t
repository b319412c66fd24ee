#!/bin/sh
# keruta-filter: ordinary CI output (build, package, test, deploy logs,
# digests, ids, the words password and token in prose) passes untouched,
# byte for byte.
. "${0%/*}/lib.sh"
plan 3

jq -Rc '{type:"log",seq:1,source:"stdout",level:"INFO",message:.}' \
    "$DATA/filter-ordinary.txt" >in
keruta-filter -v <in >out 2>err
check $? "the filter exits 0"
cmp -s in out
check $? "every record comes out byte for byte"
is "$(grep 'secrets\{0,1\} redacted' err | sed 's/ in .*//')" \
    "keruta-filter: info: 0 secrets redacted" "nothing was redacted"
