#!/bin/sh
# keruta-tail given several servers (-u A,B): it follows a task being
# written; A is killed -9 and B started on the same database file, on a
# port chosen beforehand; every record is printed once, in order. A dead
# first server, for the WebSocket and the REST history; only dead servers;
# a list with an empty element.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 27

exitrec() {	# exitrec SEQ TASK
	printf '{"type":"log","taskId":"%s","runId":"r1","seq":%d,"timestamp":"2026-11-28T10:15:04Z","source":"agent","level":"INFO","message":"exited","metadata":{"event":"exit","exitCode":0}}\n' "$2" "$1"
}

# waitpid PID SECONDS: waits for PID to end, at most SECONDS; its status.
waitpid() {
	_i=$(($2 * 50))
	while kill -0 "$1" 2>/dev/null && [ $_i -gt 0 ]; do
		sleep 0.02
		_i=$((_i - 1))
	done
	wait "$1"
}

start_serve || exit 1
a=ws://127.0.0.1:$SERVE_PORT
portb=$(free_port)
b=ws://127.0.0.1:$portb

# The writer: 4000 records, 100 every 50 ms, then the exit record; it
# moves from A to B too.
{
	i=1
	while [ $i -le 4000 ]; do
		gen $i $((i + 99)) r1 tf
		i=$((i + 100))
		sleep 0.05
	done
	exitrec 4001 tf
} | keruta-ship -u "$a,$b" -S sp --reconnect-interval 300ms 2>ship.err &
ship=$!
bg_pid $ship
keruta-tail -u "$a,$b" --json tf >out 2>err &
tail=$!
bg_pid $tail
wait_for 20 sh -c '[ "$(wc -l <out)" -ge 1000 ]'
check $? "the tail printed 1000 records from A"
kill9_serve
n=$(wc -l <out)
test "$n" -lt 4001
check $? "A killed -9 while the task is written ($n printed)"
sleep 0.3
start_serve --listen "127.0.0.1:$portb" || exit 1
is "$SERVE_PORT" "$portb" "B on the port chosen before"
waitpid $tail 60
is $? 0 "the tail ends with the task: exit 0"
waitpid $ship 30
is $? 0 "and the writer delivered all"
seq 1 4001 >want
jq -r .seq out >got
diff_golden want got "every record printed exactly once, in order"
is "$(grep -c "^keruta-tail: warning: server '$a' failed: connection lost; moving to '$b'\$" err)" 1 \
    "one line said it moved to B"
is "$(tail -n 1 err)" "keruta-tail: task 'tf' ended with exit code 0" \
    "then the end of the task"

# B alone serves now: a dead first server.
dead=$(free_port)
keruta-tail -n -u "ws://127.0.0.1:$dead,$b" --json tf >out 2>err
is "$? $(wc -l <out | tr -d ' ')" "0 4001" "a dead first server: the second has all"
jq -r .seq out >got
diff_golden want got "in order"
is "$(sed "s/failed: [^;]*;/failed: X;/" err)" "keruta-tail: warning: server \
'ws://127.0.0.1:$dead' failed: X; moving to '$b'" "one line said where it went"
keruta-tail -n --tail 3 -u "ws://127.0.0.1:$dead , $b" --json tf >out 2>err
is "$? $(jq -r .seq out | tr '\n' ' ')" "0 3999 4000 4001 " \
    "the REST history from the second (blanks around the comma)"
is "$(sed "s/failed: [^;]*;/failed: X;/" err)" "keruta-tail: warning: server \
'ws://127.0.0.1:$dead' failed: X; moving to '$b'" "one line for that too"
KERUTA_WEBSOCKET_URL="ws://127.0.0.1:$dead,$b" keruta-tail -n tf >out 2>err
is "$? $(wc -l <out | tr -d ' ')" "0 4001" "KERUTA_WEBSOCKET_URL takes a list"

# A server that answers 503, to the WebSocket and to REST alike; one that
# drops the connection in the middle of the history (its first records
# are B's, ids and all).
cat >mock.py <<'PY'
import base64, hashlib, os, socket, sys
portfile, sendfile = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
def frame(d):
    d = d.encode()
    n = len(d)
    h = bytes([129, n]) if n < 126 else bytes([129, 126]) + n.to_bytes(2, "big")
    return h + d
while True:
    c, _ = srv.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        req += c.recv(4096)
    key = [h.split(":", 1)[1].strip() for h in req.decode().split("\r\n")
           if h.lower().startswith("sec-websocket-key:")]
    if not key or not os.path.exists(sendfile):
        c.sendall(b"HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n"
                  b"Connection: close\r\n\r\n")
        c.close()
        continue
    acc = base64.b64encode(hashlib.sha1((key[0] +
        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
               % acc).encode())
    c.recv(4096)
    c.sendall(frame('{"type":"subscribed","taskId":"tf"}'))
    for line in open(sendfile):
        c.sendall(frame(line.strip()))
    os.unlink(sendfile)
    c.close()
PY
# mock NAME [SENDFILE]: the mock on an ephemeral port; its URL in $url.
mock() {
	rm -f "$1.port"
	python3 mock.py "$1.port" "${2:-/nonexistent}" &
	bg_pid $!
	wait_for 10 test -s "$1.port" || diag "the mock did not start"
	url="ws://127.0.0.1:$(cat "$1.port")"
}
mock m503
keruta-tail -n -u "$url,$b" --json tf >out 2>err
jq -r .seq out >got
diff_golden want got "a server answering 503: the next, every record once"
is "$(cat err)" "keruta-tail: warning: server '$url' failed: HTTP 503; \
moving to '$b'" "the 503 said, and where it went"
keruta-tail -n --tail 3 -u "$url,$b" --json tf >out 2>err
is "$? $(jq -r .seq out | tr '\n' ' ')" "0 3999 4000 4001 " \
    "the REST history: 503, then the next"
is "$(cat err)" "keruta-tail: warning: server '$url' failed: HTTP 503; \
moving to '$b'" "the 503 said, and where it went"
curl -fsS "$SERVE_API/tasks/tf/logs?order=asc&size=1000" |
    jq -c '.content[]' >first
is "$(wc -l <first | tr -d ' ')" 1000 "the first 1000 records, from B"
mock mdrop "$T/first"
keruta-tail -n -u "$url,$b" --json tf >out 2>err
jq -r .seq out >got
diff_golden want got "a connection lost in the history: every record once"
is "$(cat err)" "keruta-tail: warning: server '$url' failed: connection \
lost; moving to '$b'" "the loss said, and where it went"
stop_serve

# Only dead servers: the diagnostic and the exit status of one.
dead2=$(free_port)
keruta-tail -n -u "ws://127.0.0.1:$dead,ws://127.0.0.1:$dead2" tf >out 2>err
is "$? $(tail -n 1 err)" "111 keruta-tail: warning: unable to reach \
'ws://127.0.0.1:$dead2'" "only dead servers: 111, the last one named"
keruta-tail -n --tail 3 -u "ws://127.0.0.1:$dead,ws://127.0.0.1:$dead2" tf \
    >out 2>err
is "$? $(tail -n 1 err)" "111 keruta-tail: warning: unable to reach \
'http://127.0.0.1:$dead2': Couldn't connect to server" \
    "only dead servers, the REST history: 111, the last one named"

keruta-tail -n -u "ws://127.0.0.1:$dead,ftp://x,ftp://y" tf >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad URL 'ftp://x': not ws, wss, \
http or https" "each server is checked, in order, before any is tried"

# A list with an empty element: bad usage, one line.
for l in "ws://a,,ws://b" ",ws://a" "ws://a, "; do
	keruta-tail -n -u "$l" tf >out 2>err
	rc=$?
	case $l in
	,*) n=1 ;;
	*) n=2 ;;
	esac
	is "$rc $(cat out err)" "100 keruta-tail: fatal: bad URL list '$l': \
element $n is empty" "bad list '$l': one line, exit 100"
done
