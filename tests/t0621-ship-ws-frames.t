#!/bin/sh
# keruta-ship makes a WebSocket frame's array as it sends it, masked in the
# same pass: what the server unmasks is every record as it came in, for
# records of every length (each alignment of the 16-byte and 8-byte
# steps), escapes that spell a newline or a comma, frames of half a
# megabyte that the socket takes in parts, and frames sent again after
# the connection closes mid-stream while acks for earlier ones arrive.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 3

# Records of 0 to 1,499 bytes of message, some with \n, \", \u00e9 and
# commas in them.
awk 'BEGIN {
	for (i = 1; i <= 3000; i++) {
		n = i * 7 % 1500
		m = ""
		while (length(m) < n)
			m = m "abcdefghijklmnopqrstuvwxyz0123456789,ABCDEFGHIJ"
		m = substr(m, 1, n)
		if (i % 3 == 0)
			m = m "\\n,\\\"x\\u00e9"
		printf "{\"type\":\"log\",\"taskId\":\"t1\"," \
		    "\"runId\":\"r1\",\"seq\":%d,\"level\":\"INFO\"," \
		    "\"message\":\"%s\"}\n", i, m
	}
}' >in.ndjson

start_peer --close-after 2
keruta-ship -u "ws://127.0.0.1:$PORT/ws/tasks" -S sp --summary sum \
    --reconnect-interval 100ms <in.ndjson 2>err
is "$? $(jq -c '[.read, .acked, .complete]' sum)" "0 [3000,3000,true]" \
    "3,000 records acked"
jq -cS . in.ndjson >want
jq -cS . "$T/store" | jq -cs 'sort_by(.seq) | .[]' >got
diff_golden want got "each record stored as it came in, once"
# Two connections (the first closed after two frames), and most frames
# of some 600 records, half a megabyte.
is "$(grep -c '^GET ' "$T/peer.log") $(awk '$1 == "frame" && $2 > 400 {
    n++ } END { print (n >= 4) }' "$T/peer.log")" "2 1" \
    "frames of half a megabyte, sent again after a close mid-stream"
