#!/bin/sh
# keruta-ship with its spool on a full disk (a 1 MiB tmpfs in a mount
# namespace of its own): a full disk slows the pipe, it does not end it.
# Reading stops until acks free room; every record arrives; the summary
# is written. With the server down too, the writer waits for it.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v keruta-serve >/dev/null || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"

# in_tmpfs CMD...: CMD with a 1 MiB tmpfs on $T/small (as root, or as a
# user in a user namespace).
in_tmpfs() {
	unshare -rm sh -c 'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" &&
	    exec "$@"' "$T/small" "$@"
}
mkdir small
in_tmpfs true 2>/dev/null ||
    skip_all "no mount namespace with a tmpfs here (unshare -rm)"
plan 10

count() {
	curl -fsS "$SERVE_API/tasks/$1/logs/count" | jq -r .count
}

start_serve || exit 1
for p in ws rest; do
	case $p in ws) u=$SERVE_WS ;; *) u=$SERVE_API ;; esac
	gen 1 30000 r1 "full$p" | in_tmpfs keruta-ship -p $p -u "$u" \
	    -S "$T/small/sp" --summary "$T/sum$p" 2>err
	is "$? $(count "full$p")" "0 30000" "$p: all 30000 records stored"
	is "$(jq -c '[.read, .acked, .spooled, .complete]' "sum$p")" \
	    "[30000,30000,0,true]" "$p: and the summary says so"
	grep -q "the disk is full: reading no more input" err
	check $? "$p: the full disk was met, and said"
done
stop_serve

# The server down too: the writer is held back until it comes.
PORT=$(free_port)
mkfifo fifo
in_tmpfs keruta-ship -u "ws://127.0.0.1:$PORT" -S "$T/small/sp" \
    --reconnect-interval 200ms --summary "$T/sumdown" <fifo 2>err &
ship=$!
bg_pid $ship
gen 1 30000 >fifo &
writer=$!
bg_pid $writer
wait_for 20 grep -q "the disk is full" err
check $? "server down: the full disk was met"
sleep 1
kill -0 $writer 2>/dev/null && kill -0 $ship 2>/dev/null
check $? "server down: the writer is held back, keruta-ship waits"
start_peer --port "$PORT"
wait $writer
wait $ship
is "$? $(stored_seqs | wc -l | tr -d ' ')" "0 30000" \
    "the server back: all 30000 delivered"
is "$(jq -c '[.read, .acked, .complete]' sumdown)" "[30000,30000,true]" \
    "and the summary says so"
