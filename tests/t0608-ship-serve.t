#!/bin/sh
# keruta-ship against keruta-serve: ws and rest delivery, the server
# killed -9 mid-stream and restarted, keruta-ship killed and run again.
# Every record is stored exactly once. The memory of frames that went is
# kept for the next: page faults do not grow with the input.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v keruta-serve >/dev/null || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
plan 15

count() {
	curl -fsS "$SERVE_API/tasks/$1/logs/count" | jq -r .count
}

start_serve || exit 1
gen 1 20000 r1 ta | keruta-ship -u "$SERVE_WS" -S sp 2>err
is $? 0 "ws: 20000 records acked"
is "$(count ta)" 20000 "ws: 20000 stored"
gen 1 20000 r2 tb | keruta-ship -p rest -u "$SERVE_API" -S sp 2>err
is $? 0 "rest: 20000 records acked"
is "$(count tb)" 20000 "rest: 20000 stored"
gen 1 20000 r1 ta | keruta-ship -u "$SERVE_WS" -S sp 2>err
is "$? $(count ta)" "0 20000" "a replay stores nothing twice"
printf '{"type":"log","taskId":"tc","runId":"r3","seq":1,"level":"TRACE","message":"m","source":"stdout"}\n' |
    keruta-ship -p keruta-api -u "$SERVE_API" -S sp 2>err
is "$? $(count tc)" "0 1" "the keruta API form is accepted"

# kill -9 of the server mid-stream, restart on the same port.
for proto in ws rest; do
	if [ $proto = ws ]; then url=$SERVE_WS; else url=$SERVE_API; fi
	task=k$proto
	rm -f fifo go go2
	mkfifo fifo
	keruta-ship -p $proto -u "$url" -S sp$proto \
	    --reconnect-interval 300ms <fifo 2>err &
	ship=$!
	bg_pid $ship
	# The writer holds the fifo, not this shell: servers started here
	# must not keep it open.
	{
		gen 1 5000 r1 $task
		while [ ! -e go ]; do sleep 0.05; done
		gen 5001 10000 r1 $task
		while [ ! -e go2 ]; do sleep 0.05; done
		gen 10001 15000 r1 $task
	} >fifo &
	bg_pid $!
	wait_for 20 sh -c "[ \"\$(curl -fsS '$SERVE_API/tasks/$task/logs/count' | jq -r .count)\" -ge 5000 ]"
	kill9_serve
	touch go
	sleep 0.5
	start_serve --listen "127.0.0.1:$SERVE_PORT" || exit 1
	touch go2
	wait $ship
	is $? 0 "$proto: server killed -9 and restarted: exit 0"
	is "$(count $task)" 15000 "$proto: every record stored exactly once"
done

# keruta-ship killed -9 with its spool full while the server is down.
port=$SERVE_PORT
stop_serve
rm -f fifo
mkfifo fifo
keruta-ship -u "$SERVE_WS" -S spk --reconnect-interval 200ms <fifo 2>err &
ship=$!
bg_pid $ship
gen 1 3000 r9 kd >fifo
wait_for 20 sh -c '[ "$(cat spk/seg.* 2>/dev/null | wc -l)" -ge 3000 ]'
kill -9 $ship
wait $ship 2>/dev/null
start_serve --listen "127.0.0.1:$port" || exit 1
gen 3001 4000 r9 kd | keruta-ship -u "$SERVE_WS" -S spk --summary sum 2>err
is $? 0 "killed keruta-ship run again: exit 0"
is "$(jq -c '[.read, .acked, .resumed]' sum)" "[1000,4000,3000]" "the spooled 3000 and the new 1000"
is "$(count kd)" 4000 "all 4000 stored"

# Records of 1 KiB make frames of half a megabyte. glibc gave each one's
# memory back as it went, and the next took it again in page faults: 26,000
# more for 50,000 records than for 5,000. Kept (up to 8 MiB: 2,048 pages),
# ten times the input costs few more.
gen 1 5000 r1 f1 900 |
    /usr/bin/time -f %R -o flt1 keruta-ship -u "$SERVE_WS" -S spf1 2>err
gen 1 50000 r1 f2 900 |
    /usr/bin/time -f %R -o flt2 keruta-ship -u "$SERVE_WS" -S spf2 2>err
is "$(count f1) $(count f2)" "5000 50000" "records of 1 KiB: all stored"
f1=$(tail -n 1 flt1)
f2=$(tail -n 1 flt2)
if [ -n "${KR_SANITIZE:-}" ]; then
	check 0 "# SKIP page faults under sanitizers (their allocator)"
else
	awk -v a="$f1" -v b="$f2" 'BEGIN { exit !(b - a < 2048) }'
	check $? "page faults: $f1 for 5,000 records, $f2 for 50,000"
fi
stop_serve
