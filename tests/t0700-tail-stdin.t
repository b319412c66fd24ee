#!/bin/sh
# keruta-tail --stdin: formatting records, colours, filters, --tee, --last.
. "${0%/*}/lib.sh"
plan 34

cat >in.ndjson <<'R'
{"type":"log","taskId":"t","runId":"r1","seq":1,"timestamp":"2026-11-28T10:15:03.123456789Z","source":"agent","level":"INFO","message":"started: sh s.sh","metadata":{"event":"start","pid":9}}
{"type":"log","taskId":"t","runId":"r1","seq":2,"timestamp":"2026-11-28T10:15:03.200000000Z","source":"stdout","level":"DEBUG","message":"tab\there"}
{"type":"log","taskId":"t","runId":"r1","seq":3,"timestamp":"2026-11-28T10:15:03.3Z","source":"stderr","level":"WARN","message":"bell\u0007 esc\u001b[31m"}
not a record
{"type":"log","taskId":"t","runId":"r1","seq":4,"timestamp":"2026-11-28T10:15:04Z","source":"stdout","level":"ERROR","message":"ünïcode ✓"}
{"type":"log","taskId":"t","runId":"r1","seq":5,"timestamp":"2026-11-28T10:15:05.000000001Z","source":"agent","level":"ERROR","message":"","metadata":{"event":"exit","exitCode":7,"signal":null,"durationMs":12}}
R

cat >want <<'W'
2026-11-28T10:15:03.123Z agent  INFO  started: sh s.sh
2026-11-28T10:15:03.200Z stdout DEBUG tab	here
2026-11-28T10:15:03.300Z stderr WARN  bell? esc?[31m
not a record
2026-11-28T10:15:04.000Z stdout ERROR ünïcode ✓
2026-11-28T10:15:05.000Z agent  ERROR [exit] exitCode=7 signal=null durationMs=12
W
keruta-tail --stdin <in.ndjson >got 2>err
check $? "exits 0 at the end of input"
diff_golden want got "time source level message, controls made visible"
is "$(cat err)" "" "nothing on stderr"

keruta-tail --stdin --exit-code <in.ndjson >/dev/null 2>&1
is $? 7 "--exit-code: the script's status from the exit record"
printf '%s\n' '{"source":"agent","level":"ERROR","metadata":{"event":"exit","signal":9}}' |
    keruta-tail --stdin -e >/dev/null
is $? 137 "--exit-code: 128 + signal when killed"
printf '{"message":"x"}\n' | keruta-tail --stdin --exit-code >/dev/null
is $? 0 "--exit-code without an exit record: 0"

keruta-tail --stdin --color=always <in.ndjson >col
esc=$(printf '\033')
sed -n 3p col >line3
is "$(cat line3)" "${esc}[2m2026-11-28T10:15:03.300Z${esc}[0m ${esc}[35mstderr${esc}[0m ${esc}[33mWARN  bell? esc${esc}[31m${esc}[0m" \
    "--color=always: WARN line yellow, stderr magenta, colours kept"
is "$(sed -n 2p col)" "${esc}[2m2026-11-28T10:15:03.200Z${esc}[0m ${esc}[36mstdout${esc}[0m ${esc}[2mDEBUG${esc}[0m tab	here" \
    "DEBUG level dim, stdout cyan"
keruta-tail --stdin --color=auto <in.ndjson >plain
diff_golden want plain "--color=auto: plain when piped"
keruta-tail --stdin --color=never <in.ndjson >plain2
diff_golden want plain2 "--color=never"

keruta-tail --stdin --level warn <in.ndjson >lv
is "$(awk '{ printf "%s/%s,", $2, $3 }' lv)" "stderr/WARN,a/record,stdout/ERROR,agent/ERROR," \
    "--level warn keeps WARN and above (and non-records)"
keruta-tail --stdin -s agent -s stderr <in.ndjson >src
is "$(cut -d' ' -f2 src | tr '\n' ,)" "agent,stderr,a,agent," "--source repeated"
keruta-tail --stdin --source stdout,stderr <in.ndjson >src2
is "$(grep -c . src2)" 4 "--source with a comma list"

keruta-tail --stdin --json -l error <in.ndjson >js
grep '"seq":4\|"seq":5' in.ndjson >wantjs
diff_golden wantjs js "--json prints the records unchanged"

keruta-tail --stdin --tee --last last <in.ndjson >passed 2>view
diff_golden in.ndjson passed "--tee passes the input on unchanged"
diff_golden want view "--tee shows the lines on stderr"
is "$(cat last)" "5 r1" "--last writes seq and runId of the last record"

# A reader that goes away: the input is still read and shown, exit 111.
seq 1 20000 | sed 's/.*/{"seq":&,"message":"m&"}/' >many
keruta-tail --stdin --tee <many 2>view2 | head -n 1 >/dev/null
is $? 0 "pipeline with an early reader"
keruta-tail --stdin --tee <many 2>view3 | true
grep -c ' m' view3 >n3
is "$(cat n3)" 20000 "--tee: every record still shown after the reader left"
(keruta-tail --stdin --tee <many 2>err4; echo $? >st4) | true
is "$(cat st4)" 111 "--tee: exit 111 when records could not be passed on"
grep -q 'records no longer passed on' err4
check $? "and says so"

# A line split into continued records is shown whole again.
cat >cont.ndjson <<'R'
{"timestamp":"T","source":"stdout","level":"INFO","message":"abc","continued":true}
{"timestamp":"T","source":"stdout","level":"INFO","message":"def","continued":true}
{"timestamp":"T","source":"stdout","level":"INFO","message":"ghi"}
{"timestamp":"T","source":"stdout","level":"WARN","message":"x","continued":true}
{"timestamp":"T","source":"stderr","level":"ERROR","message":"cut in"}
{"timestamp":"T","source":"stdout","level":"INFO","message":"open","continued":true}
R
keruta-tail --stdin <cont.ndjson >got
printf 'T stdout INFO  abcdefghi\nT stdout WARN  x\nT stderr ERROR cut in\nT stdout INFO  open\n' >want
diff_golden want got "continued records joined; another source closes the line"
keruta-tail --stdin --json <cont.ndjson >got
diff_golden cont.ndjson got "--json keeps them apart"

keruta-tail --tee x </dev/null 2>err
is $? 100 "--tee without --stdin: usage error"
keruta-tail --stdin --color=rainbow </dev/null 2>err
is $? 100 "bad --color: usage error"
is "$(keruta-tail --version)" "keruta-tail 0.1.0" "--version"

# --raw: the lines as the script wrote them, controls intact; partial and
# continued records joined, another source closing the line; the agent's
# own lines marked; a line that is not a record as it is.
cat >raw.ndjson <<'R'
{"type":"log","runId":"r1","seq":1,"source":"stdout","level":"INFO","message":"a\u001b[31mred\u001b[0m \"q\" \\ \ud83d\ude00"}
{"runId":"r1","seq":2,"source":"stdout","level":"INFO","message":"part ","partial":true}
{"runId":"r1","seq":3,"source":"stdout","level":"INFO","message":"end"}
{"runId":"r1","seq":4,"source":"stderr","level":"WARN","message":"open","continued":true}
{"runId":"r1","seq":5,"source":"agent","level":"INFO","message":"hello"}
not a record
{"runId":"r2","seq":6,"source":"stdout","level":"ERROR","message":"tab\there\r","metadata":{"a":[1,{"b":null}]}}
{"runId":"r2","seq":7,"source":"stderr","level":"INFO","message":"left open","partial":true}
R
printf 'a\033[31mred\033[0m "q" \\ \360\237\230\200\npart end\nopen\nkeruta-agent: hello\nnot a record\ntab\there\r\nleft open\n' >want
keruta-tail --stdin --tee --raw --last rlast <raw.ndjson >passed 2>got
diff_golden want got "--raw: each line as written, split lines whole"
diff_golden raw.ndjson passed "--raw --tee passes the records on unchanged"
is "$(cat rlast)" "7 r2" "--raw --last: seq and runId of the last record"
# A seq that is no whole number from 1 to 10^16 - 1 is not one to follow.
for q in 1.5 -3 1e3 12345678901234567 0; do
	printf '{"runId":"r3","seq":%s,"source":"stdout","message":"m"}\n' "$q"
done >oddseq.ndjson
cat raw.ndjson oddseq.ndjson |
    keruta-tail --stdin --tee --raw --last rlast >/dev/null 2>&1
printf '{"runId":"r4","seq":9999999999999999,"message":"m"}\n' |
    keruta-tail --stdin --tee --raw --last blast >/dev/null 2>&1
is "$(cat rlast) / $(cat blast)" "7 r2 / 9999999999999999 r4" \
    "--raw --last: only a whole seq, up to 16 digits, is followed"
# A name given twice: the first counts, as in the formatted view.
printf '%s\n' '{"source":"stdout","continued":false,"message":"a","continued":true}' \
    '{"source":"stdout","partial":"x","message":"b","partial":true}' |
    keruta-tail --stdin --raw >got
printf 'a\nb\n' >want
diff_golden want got "--raw: of partial or continued given twice, the first counts"
keruta-tail --stdin --raw -s stderr <raw.ndjson >got
printf 'open\nnot a record\nleft open\n' >want
diff_golden want got "--raw with a filter: the lines it lets through, and what is no record"
keruta-tail --raw x </dev/null 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: --tee, --last and --raw need --stdin" \
    "--raw without --stdin: usage error"
keruta-tail --stdin --raw --json </dev/null 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: --raw and --json are two ways to print: one at a time" \
    "--raw with --json: usage error"
