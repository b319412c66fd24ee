#!/bin/sh
# keruta-ship and a run whose seqs go back: a record whose seq is not above
# one read before in its run (a spool damaged by a power cut after a full
# disk, then written again; input out of order) is sent all the same, and
# done by its own ack, not by the run's "all up to N" acks of later seqs.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 3

start_serve || exit 1
rec() {
	for q in "$@"; do
		printf '{"taskId":"o","runId":"r","seq":%d,"message":"m%d"}\n' \
		    "$q" "$q"
	done
}
mkfifo in
keruta-ship -u "$SERVE_WS" -S "$T/sp" --summary sum <in 2>err &
ship=$!
bg_pid $ship
exec 3>in
rec 10 20 30 >&3
wait_for 10 sh -c "curl -s '$SERVE_API/tasks/o/logs/count' | grep -qx '{\"count\":3}'"
sleep 0.5	# the ack of 30 is back
rec 15 25 5 40 20 >&3
exec 3>&-
wait $ship
is "$? $(curl -s "$SERVE_API/tasks/o/logs?size=100" | jq -c '[.content[].seq] | sort')" \
    "0 [5,10,15,20,25,30,40]" "seqs that go back are stored: 15, 25 and 5"
is "$(jq -c '[.read, .acked, .complete]' sum)" "[8,8,true]" \
    "and acknowledged, each, in the summary"
is "$(curl -s "$SERVE_URL/metrics" | awk '$1 == "keruta_records_duplicate_total" { print $2 }')" 1 \
    "the one sent twice (20) is counted once as a duplicate"
