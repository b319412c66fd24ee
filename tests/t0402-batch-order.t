#!/bin/sh
# keruta-batch: 100k records come out complete, in order, in full batches.
. "${0%/*}/lib.sh"
plan 8

awk 'BEGIN { for (i = 1; i <= 100000; i++)
	printf "{\"type\":\"log\",\"taskId\":\"t1\",\"runId\":\"r1\",\"seq\":%d,\"source\":\"stdout\",\"level\":\"INFO\",\"message\":\"line %d\"}\n", i, i }' >in

keruta-batch <in >out
is "$?" 0 "exit 0"
is "$(python3 "$DATA/batch-check.py" out)" \
    "kept 100000 dropped 0 gaps 0 batches 10000 largest 10 longest 1104 order ok cover ok" \
    "100k records in order, in 10000 full batches"
sed -e 's/^\[//' -e 's/\]$//' out | tr ',' '\n' | grep -c '^{"type"' >n
is "$(cat n)" 100000 "every record starts where it should"

# Through a pipe, in bigger batches, with a small buffer.
cat in | keruta-batch -b 1000 -B 1500 | cat >out
python3 "$DATA/batch-check.py" out >res
set -- $(cat res)
is "$2:$4:${10}:${14}:${16}" "100000:0:1000:ok:ok" \
    "100k records through pipes, batches of up to 1000 ($(cat res))"

# A reader that takes small bites now and then.
cat in | keruta-batch -B 100 | python3 -c '
import os, sys, time
out = open(sys.argv[1], "wb")
n = 0
while True:
    b = os.read(0, 4096)
    if not b:
        break
    out.write(b)
    n += 1
    if n % 200 == 0:
        time.sleep(0.01)' out
is "$(python3 "$DATA/batch-check.py" out | sed 's/ batches.*order/ order/')" \
    "kept 100000 dropped 0 gaps 0 order ok cover ok" \
    "a slow reader with --buffer-size 100: nothing lost"

# The same with drop: what is kept and what is reported add up, and each
# gap stands where its records would have been.
python3 "$DATA/batch-gen.py" 100000 5000 0.02 | keruta-batch -B 100 -w drop | python3 -c '
import os, sys, time
out = open(sys.argv[1], "wb")
while True:
    b = os.read(0, 4096)
    if not b:
        break
    out.write(b)
    time.sleep(0.001)' out
python3 "$DATA/batch-check.py" out >res
set -- $(cat res)
is "$(($2 + $4)):${14}:${16}" "100000:ok:ok" "a slow reader with drop: kept + reported = 100000 ($(cat res))"

# Drops among malformed lines: every batch stays valid JSON, and kept
# plus reported is still the input.
python3 -c 'import sys, time
for i in range(1, 20001):
    if i % 3:
        sys.stdout.write("{\"runId\":\"r1\",\"seq\":%d}\n" % i)
    else:
        sys.stdout.write("plain text %d\n" % i)
    if i % 200 == 0:
        sys.stdout.flush()
        time.sleep(0.003)' |
keruta-batch -B 5 -w drop 2>err | python3 -c '
import os, sys, time
out = open(sys.argv[1], "wb")
while True:
    b = os.read(0, 512)
    if not b:
        break
    out.write(b)
    time.sleep(0.0005)' out
python3 -c '
import json, sys
kept = dropped = 0
for line in open(sys.argv[1], "rb"):
    for r in json.loads(line):
        m = r.get("metadata") or {}
        if m.get("event") == "gap":
            dropped += m["count"]
        else:
            kept += 1
print(kept + dropped, "dropped" if dropped else "none dropped")' out >res 2>&1
is "$(cat res)" "20000 dropped" "drops among malformed lines: valid batches, all counted"
grep -v 'not a JSON record' err >err2
is "$(cat err2)" "" "no other diagnostics"
