#!/bin/sh
# keruta-batch: a trickle leaves at once; --flush-interval, --linger and
# --rate bound the wait and the pace. Bounds are generous: they tell a
# held record from a prompt one without timing the machine.
. "${0%/*}/lib.sh"
plan 13

trickle() { python3 "$DATA/batch-trickle.py" "$@" >res 2>err; }

# 10 lines/s with a 10 s flush interval: each leaves alone, long before.
trickle 20 0.1 keruta-batch -i 10s
is "$?:$(sed -n 2p res)" "0:records 20" "a trickle: every record alone, in order"
set -- $(head -n 1 res)
diag "trickle latency p50 $1 ms, p99 $2 ms, max $3 ms"
awk -v m="$3" 'BEGIN { exit !(m < 1000) }'
check $? "no record of the trickle waits for the flush interval ($3 ms)"

# --linger: a pause shorter than it does not send a batch.
trickle 3 0.05 keruta-batch -i 10s --linger 400ms
set -- $(head -n 1 res)
awk -v m="$1" 'BEGIN { exit !(m >= 350 && m < 5000) }'
check $? "--linger 400ms holds a lone record about 400 ms ($1 ms)"

# --flush-interval: under a long linger, the interval still bounds the wait.
trickle 3 0.05 keruta-batch -i 300ms --linger 10s
set -- $(head -n 1 res)
awk -v m="$1" 'BEGIN { exit !(m >= 250 && m < 5000) }'
check $? "--flush-interval 300ms bounds the wait ($1 ms)"
KERUTA_LOG_FLUSH_INTERVAL=300ms trickle 3 0.05 keruta-batch --linger 10s
set -- $(head -n 1 res)
awk -v m="$1" 'BEGIN { exit !(m >= 250 && m < 5000) }'
check $? "KERUTA_LOG_FLUSH_INTERVAL ($1 ms)"

# --rate with block: nothing lost, and the pace is kept. 100 records at
# 50/s with a burst of 50 take about one second.
python3 "$DATA/batch-gen.py" 100 >in
start=$(date +%s%N)
keruta-batch --rate 50 -B 20 <in >out
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 0 "--rate with block: exit 0"
is "$(python3 "$DATA/batch-check.py" out | sed 's/ batches [0-9]*//;s/ longest [0-9]*//')" \
    "kept 100 dropped 0 gaps 0 largest 10 order ok cover ok" \
    "--rate with block: nothing lost"
awk -v m="$ms" 'BEGIN { exit !(m >= 900) }'
check $? "--rate 50: 100 records take a second or more ($ms ms)"

# --rate with drop: kept + reported = input, the gap says "rate".
python3 "$DATA/batch-gen.py" 100 >in
keruta-batch --rate 10 -B 20 -w drop -b 5 <in >out
is "$?" 0 "--rate with drop: exit 0"
is "$(python3 "$DATA/batch-check.py" out | sed 's/ batches [0-9]*//;s/ longest [0-9]*//')" \
    "kept 30 dropped 70 gaps 1 largest 5 order ok cover ok" \
    "--rate 10, burst 10, buffer 20: 30 kept, 70 in one gap"
grep -o '"metadata":{[^}]*}' out >got
is "$(cat got)" \
    '"metadata":{"event":"gap","count":70,"reason":"rate","fromSeq":31,"toSeq":100}' \
    "the gap record says why and which"
grep -o '"taskId":"t1","runId":"r1","timestamp"' out >got
is "$(cat got)" '"taskId":"t1","runId":"r1","timestamp"' \
    "the gap record carries the task and run of what it reports"

# A rate over a trickle does not slow it.
trickle 5 0.1 keruta-batch --rate 1000 -i 10s
set -- $(head -n 1 res)
awk -v m="$3" 'BEGIN { exit !(m < 1000) }'
check $? "--rate 1000 lets a trickle through at once ($3 ms)"
