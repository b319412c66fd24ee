#!/bin/sh
# keruta-ship over WebSocket: delivery, acks, resume, reconnects, auth.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 19

start_peer
URL=ws://127.0.0.1:$PORT/ws/tasks
{
	gen 1 400
	gen 401 420 | jq -cs .
	gen 421 2000
	gen 1 10 other
} >in.ndjson
keruta-ship -u "$URL" -S sp --summary sum <in.ndjson 2>err
is $? 0 "all records acked: exit 0"
is "$(jq -c '[.read, .acked, .spooled, .rejected, .complete]' sum)" "[2010,2010,0,0,true]" "the summary counts them"
stored_seqs >got
seq 1 2000 >want
diff_golden want got "run r1: every record stored exactly once"
is "$(stored_seqs other | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 " "run other too"
is "$(grep -c '^GET /ws/tasks/t1 ' peer.log)" 1 "one connection to /ws/tasks/{taskId}"
grep '^resume' peer.log | sort >got
printf 'resume other 0\nresume r1 0\n' >want
diff_golden want got "resume asked for each run on connect"

# Running the same input again: resume says all is stored, nothing is sent.
: >peer.log
keruta-ship -u "$URL" -S sp <in.ndjson 2>err
is $? 0 "a replay exits 0"
is "$(grep -c '^frame' peer.log)" 0 "a replay sends no record frame after resume"
is "$(count_stored)" 2010 "and stores nothing twice"

# Half stored before: resume skips that half, the rest goes.
gen 1 3000 r5 | keruta-ship -u "$URL" -S sp 2>err
: >peer.log
gen 1 6000 r5 | keruta-ship -u "$URL" -S sp 2>err
is $? 0 "a longer replay exits 0"
is "$(stored_seqs r5 | uniq | wc -l | tr -d ' ')" 6000 "all 6000 stored"
test "$(grep '^frame' peer.log | awk '{ n += $2 } END { print n }')" -lt 4000
check $? "little of the stored half is sent again"

# Records of several tasks: one connection per task, in turn.
: >peer.log
{ gen 1 5 ra ta; gen 1 5 rb tb; gen 6 10 ra ta; } |
    keruta-ship -u "$URL" -S sp2 2>err
is $? 0 "records of three task stretches delivered"
is "$(grep '^GET' peer.log | cut -d' ' -f2 | tr '\n' ' ')" "/ws/tasks/ta /ws/tasks/tb /ws/tasks/ta " "one connection per stretch of a task"
is "$(stored_seqs ra | wc -l | tr -d ' ') $(stored_seqs rb | wc -l | tr -d ' ')" "10 5" "all stored"
stop_peer

# The server closes the connection after 3 frames: resent, no loss.
start_peer --close-after 3 --store "$T/store3"
URL=ws://127.0.0.1:$PORT/ws/tasks
gen 1 3000 | keruta-ship -u "$URL" -S sp3 --reconnect-interval 200ms 2>err
is $? 0 "a dropped connection is resumed: exit 0"
is "$(jq -r .seq store3 | sort -n | uniq | wc -l | tr -d ' ')" 3000 "every record stored, none twice"
stop_peer

# Auth: the handshake carries the token; a 401 is given up.
start_peer --token sesame --api-key k1 --store "$T/store4"
URL=ws://127.0.0.1:$PORT/ws/tasks
gen 1 3 | keruta-ship -u "$URL" -S sp4 -T sesame -a k1 2>err
is "$? $(grep '^GET' peer.log | tail -n 1)" "0 GET /ws/tasks/t1 auth=Bearer sesame key=k1" "Authorization and X-API-Key in the handshake"
gen 1 3 | keruta-ship -u "$URL" -S sp5 -T wrong -a k1 --retry-count 0 --drain-timeout 20s 2>err
is "$? $(grep -c 'giving up' err)" "111 1" "a 401 handshake: given up, exit 111"
