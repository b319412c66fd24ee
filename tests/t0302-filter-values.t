#!/bin/sh
# keruta-filter: values of secret environment variables, --mask-env and
# --mask-file, in their encodings (base64 at the three alignments and
# URL-safe, URL-encoding, hex, JSON-escaped); --report.
. "${0%/*}/lib.sh"
plan 19

jq -Rc '{seq:1,source:"stdout",level:"INFO",message:.}' \
    "$DATA/filter-values.in" >in
M='[REDACTED:env:DB_PASSWORD]'
cat >want <<W
connecting with $M now
{"pw":"$M"}
{"pw":"$M"}
b64 Y29uZmlnOiB${M}gpuZXh0IGxpbmUK end
b64 AWNvbmZpZzog${M}4KbmV4dCBsaW5lCg== end
b64 AQJjb25maWc6IH${M}Cm5leHQgbGluZQo= end
b64url dXNlcjp${M}iE=
b64url _3VzZXI6${M}4h
b64url __51c2VyOn${M}IQ==
q=$M&x=1
q=$M
form $M
hex $M
HEX $M
short MY_TOKEN value abc12 stays
build dir /opt/build/output-directory stays
deploy id [REDACTED:env:DEPLOY_ID]
file values [REDACTED:mask-file] and [REDACTED:mask-file]
W
V='p@ss"w/rd 42?>'
env DB_PASSWORD="$V" MY_TOKEN=abc12 BUILD_DIR=/opt/build/output-directory \
    DEPLOY_ID=deploy-4242-zz keruta-filter --mask-env DEPLOY_ID \
    --mask-file "$DATA/filter-values.mask" -R -v <in >out 2>err
check $? "the filter exits 0"
head -n 18 out | jq -r .message >got
diff_golden want got "each value and encoding is masked, the rest kept"
! grep -q -e 'p@ss' -e 'deploy-4242' -e 'alpha-value' out err
check $? "no value in the output or the diagnostics"

tail -n 1 out >report
is "$(jq -r '[.source, .level, .metadata.event] | join(" ")' report)" \
    "agent INFO redacted" "--report: an agent record, event redacted"
is "$(jq -c .metadata.counts report)" \
    '{"env:DB_PASSWORD":14,"env:DEPLOY_ID":1,"mask-file":2}' \
    "--report: the counts per rule"
is "$(jq .metadata.total report)" 17 "--report: the total"
is "$(jq -r .message report)" "17 secrets redacted" "--report: a message"
grep -q 'info: redacted env:DB_PASSWORD: 14$' err
check $? "-v: the count for the variable"

# -e, -f short forms; a name that is not secret-looking is not masked
printf '%s\n' '{"message":"id deploy-4242-zz and alpha-value-1"}' >in2
DEPLOY_ID=deploy-4242-zz keruta-filter <in2 >out
is "$(jq -r .message out)" "id deploy-4242-zz and alpha-value-1" \
    "no --mask-env: a variable without a secret name is left"
DEPLOY_ID=deploy-4242-zz keruta-filter --mask-env DEPLOY_ID \
    --mask-file "$DATA/filter-values.mask" <in2 >out
is "$(jq -r .message out)" \
    "id [REDACTED:env:DEPLOY_ID] and [REDACTED:mask-file]" "--mask-env and --mask-file"
printf '%s\n' '{"message":"key=k3y-v4lue-99"}' >in3
(unset GITHUB_TOKEN; GH_APP_PRIVATE_KEY=k3y-v4lue-99 keruta-filter \
    <in3 >out)
is "$(jq -r .message out)" "key=[REDACTED:env:GH_APP_PRIVATE_KEY]" \
    "names with PRIVATE_KEY count"
(my_api_key=k3y-v4lue-99 keruta-filter <in3 >out)
is "$(jq -r .message out)" "key=[REDACTED:env:my_api_key]" \
    "names are compared without case"

keruta-filter --mask-env NOT_SET_ANYWHERE <in2 >out 2>err
is $? 0 "--mask-env of an unset variable: a warning"
is "$(cat err)" "keruta-filter: warning: --mask-env 'NOT_SET_ANYWHERE': not set" \
    "... that says so"
SHORT=abc keruta-filter --mask-env SHORT <in2 >out 2>err
is $? 100 "--mask-env of a value under 4 bytes exits 100"
! grep -q abc err
check $? "... without quoting it"
printf 'good-value\nxyz\n' >short.txt
keruta-filter --mask-file short.txt <in2 >out 2>err
is $? 100 "--mask-file with a line under 4 bytes exits 100"
is "$(cat err)" "keruta-filter: fatal: short.txt:2: value shorter than 4 bytes" \
    "... with the line number"
keruta-filter --mask-file missing.txt <in2 >out 2>err
is $? 100 "--mask-file of a missing file exits 100"
