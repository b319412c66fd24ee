#!/bin/sh
# keruta-batch: malformed and oversize input is carried or reported, never
# lost, never a crash.
. "${0%/*}/lib.sh"
plan 17

# Text, broken JSON, NUL bytes, invalid UTF-8, control bytes in a string,
# an array that is not records, CRLF, an empty line and one of blanks,
# and a last line without "\n".
{
	printf '{"seq":1,"message":"ok"}\n'
	printf 'plain text with password=hunter2\n'
	printf '{"seq":2,"message":"cut\n'
	printf '{"seq":3,"message":"nul\000byte"}\n'
	printf '{"seq":4,"message":"bad \377 byte"}\n'
	printf '{"seq":5,"message":"tab\there"}\n'
	printf '[1,2,3]\n'
	printf '[{"seq":6},"x"]\n'
	printf '[{"seq":7}\n'
	printf '\n   \n'
	printf '  {"seq":8, "message":"padded\\ttab"}\t\r\n'
	printf '[ {"seq":9} , {"seq":10,"m":"}]"} ]\n'
	printf '{"seq":11,"message":"h\303\251 \342\202\254"}\n'
	printf '[]\n'
	printf 'no newline at the end'
} >in
keruta-batch -b 100 -t task7 <in >out 2>err
is "$?" 0 "exit 0"
normalise out | sed -e 's/^\[//' -e 's/\]$//' -e 's/},{"/}\n{"/g' >got
diff_golden "$DATA/batch-malformed.out" got "malformed lines become records"
is "$(grep -c 'not a JSON record' err)" 10 "one warning per malformed line"
grep -q 'hunter2' err
is "$?" 1 "warnings never quote the line"
grep -q '^keruta-batch: warning: line 2: not a JSON record (32 bytes)' err
check $? "a warning names the line and its size"

# What passes verbatim is one valid JSON object; the rest is wrapped.
cat >in <<'L'
{"a":"\u00e9\n\"","b":[1,-2.5e3,0,0.5E+2,true,false,null,{},[]],"c":{"d":{}}}
{ "a" : 1 , "b" : "x" }
{"a":1} {"b":2}
{"a":}
{a}
{"a":01}
{"a":tru}
{"a":1,}
{"a":"\x"}
{"a":"\u12"}
{"a":[1 2]}
{"a":"x"}}
{"a":-}
{"a":1.}
L
awk 'BEGIN { s = ""; for (i = 0; i < 300; i++) s = s "{\"a\":"; s = s "1"
	for (i = 0; i < 300; i++) s = s "}"; print s }' >>in
keruta-batch -b 100 <in >out 2>err
sed -e 's/^\[//' -e 's/\]$//' -e 's/},{"/}\n{"/g' out |
    grep -c '"malformed":true' >n
is "$(cat n)" 13 "12 broken objects and a 300-deep one are wrapped"
printf '[%s,%s,' "$(sed -n 1p in)" "$(sed -n 2p in)" >want
head -c "$(wc -c <want)" out >got
diff_golden want got "valid objects pass verbatim"

# Over-long lines: a 2 MiB line past --max-bytes, a 10 MiB one, and a
# record that fits the line reader but not a batch.
{
	printf '{"runId":"r9","seq":1}\n'
	head -c 2097152 /dev/zero | tr '\0' 'a'
	printf '\n{"runId":"r9","seq":2}\n'
	printf '{"runId":"r9","seq":3,"message":"'
	head -c 10485760 /dev/zero | tr '\0' 'b'
	printf '"}\n{"runId":"r9","seq":4}\n'
} >big
keruta-batch -b 100 -t task7 <big >out 2>err
is "$?" 0 "huge lines: exit 0"
normalise out >got
cat >want <<'W'
[{"runId":"r9","seq":1},{"type":"log","taskId":"task7","timestamp":"T","source":"agent","level":"WARN","message":"1 record dropped (size)","metadata":{"event":"gap","count":1,"reason":"size"}},{"runId":"r9","seq":2},{"type":"log","taskId":"task7","runId":"r9","timestamp":"T","source":"agent","level":"WARN","message":"1 record dropped (size)","metadata":{"event":"gap","count":1,"reason":"size","fromSeq":3,"toSeq":3}},{"runId":"r9","seq":4}]
W
diff_golden want got "each over-long line is a gap record in its place, with its seq"
is "$(grep -c 'reported as a gap' err)" 2 "one warning per over-long line"

# 1023 bytes: the line fits 1k, the record does not fit a batch of 1k.
head -c 980 /dev/zero | tr '\0' 'c' >pad
{
	printf '{"taskId":"t2","runId":"r2","seq":1}\n'
	printf '{"taskId":"t2","runId":"r2","seq":2,"m":"%s"}\n' "$(cat pad)"
	printf '{"taskId":"t3","runId":"r3","seq":7,"m":"%s%s"}\n' \
	    "$(cat pad)" "$(cat pad)"
	printf '{"taskId":"t2","runId":"r2","seq":3}\n'
} >in
is "$(awk 'NR == 2 { print length($0) }' in)" 1023 "the test line is 1023 bytes"
keruta-batch -m 1k <in >out 2>err
normalise out >got
cat >want <<'W'
[{"taskId":"t2","runId":"r2","seq":1},{"type":"log","taskId":"t2","runId":"r2","timestamp":"T","source":"agent","level":"WARN","message":"1 record dropped (size)","metadata":{"event":"gap","count":1,"reason":"size","fromSeq":2,"toSeq":2}},{"type":"log","taskId":"t3","runId":"r3","timestamp":"T","source":"agent","level":"WARN","message":"1 record dropped (size)","metadata":{"event":"gap","count":1,"reason":"size","fromSeq":7,"toSeq":7}},{"taskId":"t2","runId":"r2","seq":3}]
W
diff_golden want got "records past --max-bytes: gaps with their task, run and seq"

# A line longer than --max-bytes that is not JSON is a gap too.
{ echo '{"seq":1}'; cat pad pad; echo; echo '{"seq":2}'; } >in
keruta-batch -m 1k <in >out 2>err
is "$(normalise out | sed 's/"timestamp":"T",//')" \
    '[{"seq":1},{"type":"log","source":"agent","level":"WARN","message":"1 record dropped (size)","metadata":{"event":"gap","count":1,"reason":"size"}},{"seq":2}]' \
    "a long text line is a gap"

# Wrapping makes a line longer: one that no longer fits is a gap.
{ echo '{"seq":1}'; head -c 900 /dev/zero | tr '\0' '\001'; echo; } >in
keruta-batch -m 1k <in >out 2>err
is "$(grep -o '"reason":"size"' out)" '"reason":"size"' \
    "a wrapped line past --max-bytes is a gap"

# Random bytes: every line comes out somewhere, nothing crashes.
python3 -c 'import os, sys
r = os.urandom(400000)
sys.stdout.buffer.write(r)' >rand
keruta-batch -m 4k <rand >out 2>err
is "$?" 0 "random bytes: exit 0"
python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    for r in json.loads(line):
        n += r.get("metadata", {}).get("count", 1) \
            if r.get("metadata", {}).get("event") == "gap" else 1
print(n)' out >n
want=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(sum(1 for l in d.split(b"\n") if l not in (b"", b"\r")))' rand)
is "$(cat n)" "$want" "random bytes: every non-empty line is a record or a gap"
python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    line.decode("utf-8")
    json.loads(line)' out
check $? "random bytes: every batch is valid UTF-8 JSON"
