#!/bin/sh
# keruta-filter: "::add-mask::VALUE" (the GitHub Actions workflow
# command) masks VALUE in every later record, in its encodings; the
# command itself goes out without the value.
. "${0%/*}/lib.sh"
plan 4

b64=$(printf 'run-secret-4711' | base64)
hex=$(printf 'run-secret-4711' | od -An -tx1 | tr -d ' \n' | sed 's/../&:/g; s/:$//')
cat >in <<R
{"seq":1,"message":"before: run-secret-4711"}
{"seq":2,"message":"::add-mask::run-secret-4711"}
{"seq":3,"message":"using run-secret-4711 now"}
{"seq":4,"message":"encoded $b64 and $hex"}
{"seq":5,"source":"stderr","message":"x","metadata":{"v":"run-secret-4711"}}
{"seq":6,"message":"::add-mask::  "}
{"seq":7,"message":"::add-mask::ab"}
{"seq":8,"message":"ab stays"}
R
keruta-filter -R <in >out
jq -r .message out >got
cat >want <<'W'
before: run-secret-4711
::add-mask::[REDACTED:add-mask]
using [REDACTED:add-mask] now
encoded [REDACTED:add-mask] and [REDACTED:add-mask]
x
::add-mask::  
::add-mask::[REDACTED:add-mask]
ab stays
6 secrets redacted
W
diff_golden want got "later records are masked, in their encodings"
is "$(sed -n 5p out | jq -c .metadata)" '{"v":"[REDACTED:add-mask]"}' \
    "... in every member"
is "$(tail -n 1 out | jq -c .metadata.counts)" '{"add-mask":6}' "counted"
keruta-filter --no-redact <in >out
is "$(sed -n 3p out | jq -r .message)" "using run-secret-4711 now" \
    "-n: no mask is added"
