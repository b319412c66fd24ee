#!/bin/sh
# keruta-ship killed -9 and run again on its spool: nothing lost, what the
# server stored is not sent again.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 12

# The server stores but does not ack: keruta-ship holds all in its spool.
start_peer --no-ack
URL=ws://127.0.0.1:$PORT/ws/tasks
gen 1 500 >in.ndjson
keruta-ship -u "$URL" -S sp <in.ndjson 2>err &
ship=$!
bg_pid $ship
wait_for 20 sh -c '[ "$(wc -l <store)" -ge 500 ]'
check $? "the unacking server has all 500"
kill -9 $ship
wait $ship 2>/dev/null
test -s sp/seg.1
check $? "the killed keruta-ship left its spool"
stop_peer
start_peer --port "$PORT"
: >peer.log
keruta-ship -u "$URL" -S sp --summary sum </dev/null 2>err
is $? 0 "run again on the spool: exit 0"
is "$(jq -c '[.read, .acked, .resumed]' sum)" "[0,500,500]" "500 resumed and acked"
is "$(grep -c '^frame' peer.log)" 0 "resume: nothing stored is sent again"
is "$(stored_seqs | wc -l | tr -d ' ')" 500 "500 stored"
test ! -e sp/seg.1
check $? "the spool is emptied"

# Killed while the server is down; run again with more input.
stop_peer
rm -rf sp store
mkfifo fifo
keruta-ship -u "$URL" -S sp --reconnect-interval 200ms <fifo 2>err &
ship=$!
bg_pid $ship
gen 1 300 >fifo
wait_for 20 sh -c '[ "$(cat sp/seg.* 2>/dev/null | wc -l)" -ge 300 ]'
check $? "300 records spooled while the server is down"
keruta-ship -u "$URL" -S sp </dev/null 2>err2
is "$? $(cat err2)" "111 keruta-ship: fatal: spool '$T/sp' is in use by another keruta-ship" "a second keruta-ship on the same spool is refused"
kill -9 $ship
wait $ship 2>/dev/null
start_peer --port "$PORT"
gen 301 400 | keruta-ship -u "$URL" -S sp --summary sum 2>err
is $? 0 "run again with more input: exit 0"
is "$(jq -c '[.read, .acked, .resumed]' sum)" "[100,400,300]" "the old 300 and the new 100 acked"
stored_seqs >got
seq 1 400 >want
diff_golden want got "every record stored exactly once"
