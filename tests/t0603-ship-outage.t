#!/bin/sh
# keruta-ship through outages: a server never up, a server killed -9
# mid-stream and restarted. Every record is stored, exactly once.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 18

for proto in ws rest; do
	PORT=$(free_port)
	if [ $proto = ws ]; then
		URL=ws://127.0.0.1:$PORT/ws/tasks
	else
		URL=http://127.0.0.1:$PORT/api/v1
	fi
	rm -rf sp store
	start=$(date +%s)
	gen 1 100 | keruta-ship -p $proto -u "$URL" -S sp --drain-timeout 1s \
	    --reconnect-interval 200ms --summary sum 2>err
	is $? 111 "$proto: server never up: exit 111"
	end=$(date +%s)
	test $((end - start)) -lt 15
	check $? "$proto: the drain timeout bounds the wait"
	is "$(jq -c '[.read, .acked, .spooled, .complete]' sum)" "[100,0,100,false]" "$proto: the summary says 100 are left"
	is "$(tail -n 1 err)" "keruta-ship: warning: 100 records read, 0 acked, 0 rejected; 100 left in spool '$T/sp'" "$proto: and the last line of stderr"

	start_peer --port "$PORT"
	keruta-ship -p $proto -u "$URL" -S sp --summary sum </dev/null 2>err
	is $? 0 "$proto: the spool left behind is delivered later"
	is "$(jq -c '[.read, .acked, .resumed, .complete]' sum)" "[0,100,100,true]" "$proto: summary of the resumed run"
	is "$(stored_seqs | tr '\n' ' ')" "$(seq 1 100 | tr '\n' ' ')" "$proto: all 100 stored once"
	stop_peer
done

# The server is killed -9 mid-stream, then restarts on the same port.
for proto in ws rest; do
	rm -f store fifo
	start_peer
	if [ $proto = ws ]; then
		URL=ws://127.0.0.1:$PORT/ws/tasks
	else
		URL=http://127.0.0.1:$PORT/api/v1
	fi
	mkfifo fifo
	keruta-ship -p $proto -u "$URL" -S sp$proto --reconnect-interval 300ms \
	    <fifo 2>err &
	ship=$!
	bg_pid $ship
	exec 3>fifo
	gen 1 1000 >&3
	wait_for 20 sh -c '[ "$(wc -l <store)" -ge 1000 ]'
	stop_peer
	gen 1001 2000 >&3
	sleep 0.5
	start_peer --port "$PORT"
	gen 2001 3000 >&3
	exec 3>&-
	wait $ship
	rc=$?
	stored_seqs >got
	seq 1 3000 >want
	is "$rc" 0 "$proto: server killed and restarted: exit 0"
	diff_golden want got "$proto: every record stored exactly once"
	stop_peer
done
