#!/bin/sh
# keruta-ship sends what it has just written to its spool from memory:
# while it keeps up, it reads nothing of its segments back (what the
# preload tests/preload/preadlog.c writes down). A record that waited for
# the connection is read back from its segment, as are the frames to
# send again after a reconnect (t0603).
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 3

start_serve || exit 1
stored() { curl -s "$SERVE_API/tasks/rb/logs/count" | jq -r .count; }

# Record 1, then, once the server has it, 20 more, 50 ms apart.
{
	gen 1 1 r1 rb
	wait_for 20 sh -c '[ "$(curl -s "$SERVE_API/tasks/rb/logs/count" |
	    jq -r .count)" = 1 ]'
	i=2
	while [ $i -le 21 ]; do
		gen $i $i r1 rb
		sleep 0.05
		i=$((i + 1))
	done
} | KR_PREADLOG_DIR=$T/sp KR_PREADLOG=$T/preads \
    LD_PRELOAD=$KR_MOCK/preadlog.so \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    keruta-ship -u "$SERVE_WS" -S "$T/sp" --summary sum 2>err
is "$? $(stored) $(jq -c '[.read, .acked]' sum)" "0 21 [21,21]" \
    "21 records, one at a time: all stored"
# The first record's spool line: "rb TAB r1 TAB 1 TAB record NL".
first=$(gen 1 1 r1 rb | awk '{ print length($0) + 1 + 8 }')
touch preads
is "$(awk -v f="$first" '$1 ~ /^seg\./ && $2 >= f' preads)" "" \
    "none of records 2 to 21 was read back from the spool"

# Records spooled with no server, then sent by the next keruta-ship: read
# back from their segment (so the preload does see the reads), each byte
# once, though the 3,000 records go in three frames.
DEAD=ws://127.0.0.1:$(free_port)/ws/tasks
gen 1 3000 r2 rb2 | keruta-ship -u "$DEAD" -S "$T/sp2" --drain-timeout 200ms \
    --reconnect-interval 100ms 2>err2
size=$(wc -c <"$T/sp2/seg.1" | tr -d ' ')
KR_PREADLOG_DIR=$T/sp2 KR_PREADLOG=$T/preads2 \
    LD_PRELOAD=$KR_MOCK/preadlog.so \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    keruta-ship -u "$SERVE_WS" -S "$T/sp2" --summary sum2 </dev/null 2>err3
# The reads that fetch records: from the last one at 0 on (keruta-ship's
# start reads the segment once before, to count its records).
is "$? $(jq -c '[.acked, .complete]' sum2) $(awk '$1 == "seg.1" {
    if ($2 == 0) n = 0; n += $3 } END { print n + 0 }' preads2)" \
    "0 [3000,true] $size" \
    "records left by an earlier run: read back to be sent, each byte once"
