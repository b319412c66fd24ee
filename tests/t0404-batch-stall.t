#!/bin/sh
# keruta-batch: a stalled reader keeps memory flat and loses nothing;
# a reader that goes away, and signals, end it with a count of what was
# not delivered.
. "${0%/*}/lib.sh"
plan 23

python3 "$DATA/batch-gen.py" 100000 >in
size=$(wc -c <in | tr -d ' ')
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
pos() { awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/0"; }

# stalled INPUT [ARG]: keruta-batch -B 1000 [ARG] on INPUT, writing to a
# reader that takes nothing for 2 s, then everything (in out); sets pid
# (keruta-batch's) and reader.
stalled() {
	rm -f pid o
	mkfifo o
	sh -c "echo \$\$ >pid; exec keruta-batch -B 1000 ${2:-} <$1 >o 2>err" &
	bg_pid $!
	{ sleep 2; cat; } <o >out &
	reader=$!
	bg_pid $reader
	wait_for 5 test -s pid
	pid=$(cat pid)
}

# block: a reader that takes nothing for 2 s, then everything.
stalled in
sleep 1
rss1=$(rss "$pid") pos1=$(pos "$pid")
sleep 0.6
rss2=$(rss "$pid") pos2=$(pos "$pid")
diag "stalled: RSS $rss1 then $rss2 KiB, read $pos1 then $pos2 of $size bytes"
is "$pos2" "$pos1" "stalled: stdin is not read any further"
awk -v p="$pos2" 'BEGIN { exit !(p < 1048576) }'
check $? "stalled: at most 1 MiB was read ($pos2 bytes)"
if [ -n "${KR_SANITIZE:-}" ]; then
	check 0 "# SKIP RSS under sanitizers"
	check 0 "# SKIP RSS under sanitizers"
else
	awk -v r="$rss2" 'BEGIN { exit !(r < 8192) }'
	check $? "stalled: RSS under 8 MiB ($rss2 KiB)"
	awk -v a="$rss1" -v b="$rss2" 'BEGIN { exit !(b - a < 256) }'
	check $? "stalled: RSS stays flat ($rss1 -> $rss2 KiB)"
fi
wait "$reader"
wait_for 10 sh -c "! kill -0 $pid"
is "$(python3 "$DATA/batch-check.py" out | sed 's/ batches [0-9]*//;s/ longest [0-9]*//')" \
    "kept 100000 dropped 0 gaps 0 largest 10 order ok cover ok" \
    "stalled with block: nothing lost once the reader reads"
is "$(cat err)" "" "no diagnostics"

# drop: stdin is read at full speed, drops are reported in place.
stalled in '-w drop'
wait_for 5 sh -c "[ \"\$(awk '/^pos:/ { print \$2 }' /proc/$pid/fdinfo/0)\" = $size ]"
check $? "stalled with drop: stdin is read to the end"
if [ -n "${KR_SANITIZE:-}" ]; then
	check 0 "# SKIP RSS under sanitizers"
else
	rss1=$(rss "$pid")
	awk -v r="$rss1" 'BEGIN { exit !(r < 8192) }'
	check $? "stalled with drop: RSS under 8 MiB ($rss1 KiB)"
fi
wait "$reader"
python3 "$DATA/batch-check.py" out >res
set -- $(cat res)
is "$(($2 + $4)):${14}:${16}" "100000:ok:ok" \
    "stalled with drop: kept + reported = 100000, gaps in place ($(cat res))"
awk -v k="$2" 'BEGIN { exit !(k >= 1000 && k < 100000) }'
check $? "stalled with drop: the buffer's worth was kept, the rest dropped"

# Big records: the bytes held are bounded (16 MiB) before the count is.
python3 -c 'import sys
pad = "y" * 50000
for i in range(1, 1001):
    sys.stdout.write("{\"seq\":%d,\"m\":\"%s\"}\n" % (i, pad))' >big
stalled big
sleep 1.2
pos1=$(pos "$pid")
awk -v p="$pos1" 'BEGIN { exit !(p < 18 * 1048576) }'
check $? "big records, stalled: under 18 MiB read ($pos1 of 50 MB)"
wait "$reader"
is "$(python3 "$DATA/batch-check.py" out | sed 's/ batches [0-9]*//;s/ longest [0-9]*//')" \
    "kept 1000 dropped 0 gaps 0 largest 10 order ok cover ok" \
    "big records: nothing lost"

# EPIPE: the reader goes away.
{ keruta-batch <in 2>err; echo $? >rc; } | head -c 1000 >/dev/null
is "$(cat rc)" 111 "a reader that goes away: exit 111"
grep -Eq '^keruta-batch: fatal: unable to write to stdout: Broken pipe: [0-9]+ records not delivered$' err
check $? "it says how many records were not delivered: $(cat err)"

# SIGTERM: what was read, a last line without newline too, goes out.
mkfifo i
exec 3<>i
keruta-batch -i 10s --linger 10s <i >out 2>err &
pid=$!
bg_pid $pid
printf '{"seq":1}\n{"seq":2}\n{"seq":3}' >&3
sleep 0.5
is "$(wc -c <out | tr -d ' ')" 0 "records are held"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
is "$(cat out)" '[{"seq":1},{"seq":2},{"seq":3}]' \
    "SIGTERM: everything read is written"
exec 3>&-

# After SIGTERM, stdin that keeps coming is read for a second at most.
rm -f i
mkfifo i
python3 -c 'import signal, sys, time
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
for n in range(1, 301):
    sys.stdout.write("{\"seq\":%d}\n" % n)
    sys.stdout.flush()
    if n == 5:
        open("started", "w").close()
    time.sleep(0.02)' >i &
bg_pid $!
keruta-batch -i 10s <i >out 2>err &
pid=$!
bg_pid $pid
# However loaded the machine, some input has come before the signal.
wait_for 20 test -e started
start=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 0 "SIGTERM with input still coming: exit 0"
awk -v m="$ms" 'BEGIN { exit !(m < 5000) }'
check $? "it stops reading within about a second ($ms ms)"
python3 "$DATA/batch-check.py" out >res
set -- $(cat res)
awk -v k="$2" -v c="${16}" 'BEGIN { exit !(k >= 1 && k < 300 && c == "ok") }'
check $? "what it read is written, in order, nothing skipped ($(cat res))"

# A second signal while stdout is stalled: exit 111 at once.
rm -f o
mkfifo o
exec 4<>o
keruta-batch <in >o 2>err &
pid=$!
bg_pid $pid
sleep 0.5
kill -TERM "$pid"
sleep 0.3
kill -0 "$pid"
check $? "SIGTERM with a stalled reader: still draining"
kill -TERM "$pid"
wait "$pid"
is "$?" 111 "a second SIGTERM: exit 111"
grep -Eq '^keruta-batch: fatal: interrupted twice: [0-9]+ records not delivered$' err
check $? "it says how many were not delivered: $(cat err)"
exec 4>&-
