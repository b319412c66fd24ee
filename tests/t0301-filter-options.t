#!/bin/sh
# keruta-filter: options, --help and the man page, level and source
# filtering, --no-redact, --config, usage errors.
. "${0%/*}/lib.sh"
plan 31

man=$KR_TOP/man/keruta-filter.1

keruta-filter --help >help 2>err
check $? "--help exits 0"
grep -q '^usage: keruta-filter ' help
check $? "--help prints the usage on stdout"
missing=
for o in $(grep -o -- '--[a-z-]*' help | sort -u); do
	grep -q -- "Fl -${o#--}" "$man" || missing="$missing $o"
done
for o in $(grep -o -- '^  -[a-zA-Z]' help | tr -d ' -'); do
	grep -q -- "Fl $o" "$man" || missing="$missing -$o"
done
is "$missing" "" "every option of --help is in the man page"
# Ten options have a letter: -d, -e, -f, -n and -r lost theirs, -L is -m.
is "$(grep -c -- '^  -[a-zA-Z], --' help)" 10 "--help lists the 10 options with a letter"
is "$(grep -c -- '^      --[a-z]' help)" 6 "and the 6 without one"
for r in $(sed -n '/^const char \*const builtin_rules/,/^};/p' \
    "$KR_TOP/tools/keruta-filter/filter_rules.c" | grep -o '"[a-z0-9-]*"' |
    tr -d '"'); do
	grep -q "^\.It Cm $r\$" "$man" || missing="$missing $r"
done
is "$missing" "" "every built-in rule is listed in the man page"
groff -mandoc -ww -z "$man" >lint 2>&1
is "$(cat lint)" "" "the man page lints clean"

is "$(keruta-filter --version)" "keruta-filter 0.1.0" "--version"
is "$(keruta-filter -V)" "keruta-filter 0.1.0" "-V"

keruta-filter --bogus </dev/null >/dev/null 2>err
is $? 100 "an unknown option exits 100"
grep -q '^usage: keruta-filter' err
check $? "... with the usage"
keruta-filter extra </dev/null >/dev/null 2>err
is $? 100 "an operand exits 100"
keruta-filter --level loud </dev/null >/dev/null 2>err
is $? 100 "an unknown level exits 100"
is "$(cat err)" "keruta-filter: fatal: unknown level 'loud'" "... and says so"
keruta-filter -m 10 </dev/null >/dev/null 2>err
is $? 100 "a --max-bytes below 256 exits 100"

cat >in <<'R'
{"seq":1,"source":"stdout","level":"TRACE","message":"t"}
{"seq":2,"source":"stdout","level":"DEBUG","message":"d"}
{"seq":3,"source":"stderr","level":"INFO","message":"i"}
{"seq":4,"source":"stdout","level":"warning","message":"w"}
{"seq":5,"source":"agent","level":"DEBUG","message":"a"}
{"seq":6,"source":"stderr","level":"ERROR","message":"e"}
{"seq":7,"source":"stdout","message":"no level"}
{"seq":8,"source":"stdout","level":"LOUD","message":"odd level"}
{"seq":9,"level":"FATAL","message":"no source"}
R
seqs() { jq -r .seq "$@" | tr '\n' ' '; }
keruta-filter <in >out
is "$(seqs out)" "1 2 3 4 5 6 7 8 9 " "no level: everything passes"
cmp -s in out
check $? "... byte for byte"
keruta-filter --level WARN <in >out
is "$(seqs out)" "4 5 6 7 8 9 " "--level WARN: agent, unknown and missing levels stay"
keruta-filter -l info <in >out
is "$(seqs out)" "3 4 5 6 7 8 9 " "-l info"
KERUTA_LOG_LEVEL=error keruta-filter <in >out
is "$(seqs out)" "5 6 7 8 9 " "KERUTA_LOG_LEVEL is the default"
KERUTA_LOG_LEVEL=error keruta-filter -l debug <in >out
is "$(seqs out)" "2 3 4 5 6 7 8 9 " "--level wins over the environment"
printf 'logStreaming:\n  level: warn\n' >cfg.yaml
keruta-filter --config cfg.yaml <in >out
is "$(seqs out)" "4 5 6 7 8 9 " "--config: logStreaming.level"
KERUTA_CONFIG=cfg.yaml keruta-filter -c /nonexistent <in >out 2>err
is $? 100 "a missing --config file exits 100"
KERUTA_CONFIG=cfg.yaml keruta-filter <in >out
is "$(seqs out)" "4 5 6 7 8 9 " "KERUTA_CONFIG names the file"
keruta-filter --source stdout,agent <in >out
is "$(seqs out)" "1 2 4 5 7 8 " "--source stdout,agent"
keruta-filter -s stderr -l error <in >out
is "$(seqs out)" "6 " "-s stderr with -l error"

printf '%s\n' '{"seq":1,"source":"stdout","message":"password=hunter22"}' >s
keruta-filter --no-redact <s >out
cmp -s s out
check $? "--no-redact leaves secrets"
keruta-filter --no-redact -l error <in >out
is "$(seqs out)" "5 6 7 8 9 " "--no-redact still filters"

printf '%s\n' '{"message":"token=abcdef123"}' '{bad' >s
keruta-filter -q <s >out 2>err
is "$(cat err)" "" "-q: no warning"
keruta-filter -v <s >out 2>err
is "$(grep -c 'info: ' err)" 2 "-v: a count per rule and a summary"
grep -q 'info: redacted token: 1$' err
check $? "-v: the count for rule token"
