#!/bin/sh
# Every YAML key a tool reads is one keruta-config knows: a key added to a
# tool and not to keruta-config's list would be warned about as misspelt.
. "${0%/*}/lib.sh"
plan 2

# (Not the headers a file includes: "api.h" is keruta-serve's, not a key.)
grep -rhE '"(serve|logStreaming|websocket|api)\.[A-Za-z]+"' \
    "$KR_TOP/tools" "$KR_TOP/lib" | grep -v '^#include' |
    grep -oE '"(serve|logStreaming|websocket|api)\.[A-Za-z]+"' |
    tr -d '"' | sort -u >keys
test "$(wc -l <keys)" -gt 20
check $? "the tools read $(wc -l <keys) keys"
awk -F. '{ if ($1 != last) print $1 ":"; last = $1; print "  " $2 ": x" }' \
    keys >all.yaml
keruta-config -c all.yaml >/dev/null 2>err
grep 'unknown key' err >unknown
is "$(cat unknown)" "" "keruta-config knows each of them"
