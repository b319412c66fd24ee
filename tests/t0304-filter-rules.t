#!/bin/sh
# keruta-filter --rules: user patterns in POSIX ERE.
. "${0%/*}/lib.sh"
plan 13

cat >in <<'R'
{"seq":1,"message":"key ik_0123456789abcdef01234567 and ik_0123456789abcdef0123456x"}
{"seq":2,"message":"cookie session=AbC123; path=/"}
{"seq":3,"message":"SECRET 42 then SECRET 43"}
{"seq":4,"message":"not a SECRET 44"}
{"seq":5,"message":"nul\u0000 after ik_0123456789abcdef01234567"}
{"seq":6,"message":"built-in rules still apply: password=hunter22"}
R
keruta-filter --rules "$DATA/filter-rules.txt" -R <in >out 2>err
check $? "the filter exits 0"
jq -r .message out >got
cat >want <<'W'
key [REDACTED:internal-key] and ik_0123456789abcdef0123456x
cookie session=[REDACTED:session]; path=/
[REDACTED:start.only:1] then SECRET 43
not a SECRET 44
nul  after [REDACTED:internal-key]
built-in rules still apply: password=[REDACTED:password]
5 secrets redacted
W
tr '\000' ' ' <got >got2
diff_golden want got2 "the whole match, or the first subexpression, is masked"
is "$(tail -n 1 out | jq -c .metadata.counts)" \
    '{"password":1,"internal-key":2,"session":1,"start.only:1":1}' \
    "counts per user rule"
is "$(sed -n 5p out | jq -c '.message | explode | .[3]')" 0 \
    "the NUL byte of the message is kept"
is "$(cat err)" "" "no diagnostics"

keruta-filter --rules "$DATA/filter-rules.txt" --no-redact <in >out
cmp -s in out
check $? "--rules with --no-redact: nothing masked"

printf 'good  abc\nbroken  a(b\n' >bad.txt
keruta-filter --rules bad.txt </dev/null >out 2>err
is $? 100 "a bad pattern exits 100"
grep -q "^keruta-filter: fatal: bad.txt:2: bad pattern for 'broken': " err
check $? "... naming the file, line and rule"
printf 'bad/name  abc\n' >bad.txt
keruta-filter --rules bad.txt </dev/null >out 2>err
is $? 100 "a bad rule name exits 100"
printf 'lonely\n' >bad.txt
keruta-filter --rules bad.txt </dev/null >out 2>err
is $? 100 "a rule without a pattern exits 100"
is "$(cat err)" "keruta-filter: fatal: bad.txt:1: expected a rule name ([A-Za-z0-9_.:-], at most 64) and a pattern" \
    "... and says what is expected"
keruta-filter --rules missing.txt </dev/null >out 2>err
is $? 100 "a missing rules file exits 100"
printf '# only comments\n\n' >empty.txt
printf '%s\n' '{"message":"x"}' | keruta-filter --rules empty.txt >out
is "$(cat out)" '{"message":"x"}' "a rules file of comments is fine"
