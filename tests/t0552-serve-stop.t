#!/bin/sh
# keruta-serve: SIGTERM stops taking connections and requests at once,
# and still finishes the replies in progress.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 6

start_serve || exit 1
# 20000 records of about 250 bytes: an export of 5 MB, more than the
# socket buffers hold, so it is still being written when SIGTERM comes.
for part in 0; do
	python3 -c "
import sys
for i in range(1, 20001):
    n = $part * 20000 + i
    print('{\"runId\":\"r\",\"seq\":%d,\"message\":\"%s %d\"}' % (n, 'x' * 200, n))
" >recs$part
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @recs$part \
	    "$SERVE_API/tasks/big/logs"
done >codes
is "$(sort -u codes)" 200 "20000 records stored"

cat >client.py <<'PY'
import os, socket, sys, time
port = int(sys.argv[1])
def connect(rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    return s
def head(s, path):
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
# a: a keep-alive connection that has had one reply
a = connect()
head(a, "/health")
buf = b""
while b"}" not in buf:
    buf += a.recv(4096)
# b: an export that it reads slowly, so it is in progress
b = connect(65536)
head(b, "/api/v1/tasks/big/logs/export")
got = b.recv(65536)
open("ready", "w").close()
while not os.path.exists("termed"):
    time.sleep(0.02)
time.sleep(0.5)
try:
    c = connect()
    head(c, "/health")
    r = c.recv(4096)
    print("new connection: " + (r.split(b"\r\n")[0].decode() if r else "closed"))
except OSError as e:
    print("new connection: refused")
try:
    head(a, "/health")
    r = a.recv(4096)
    print("kept-alive connection: " + (r.split(b"\r\n")[0].decode() if r else "closed"))
except OSError:
    print("kept-alive connection: closed")
while True:
    d = b.recv(1 << 20)
    if not d:
        break
    got += d
body = got.split(b"\r\n\r\n", 1)[1]
print("export: %d records" % body.count(b"\n"))
PY
python3 client.py "$SERVE_PORT" >client.out &
cp=$!
wait_for 10 test -e ready
kill -TERM "$SERVE_PID"
touch termed
wait $cp
is "$(sed -n 1p client.out)" "new connection: refused" "a new connection is refused"
case $(sed -n 2p client.out) in
*" 503"*|*closed) r=0 ;;
*) r=1; diag "$(sed -n 2p client.out)" ;;
esac
check $r "a new request on a kept-alive connection: 503 or closed"
is "$(sed -n 3p client.out)" "export: 20000 records" "the export in progress is finished"
_sv_reap "$SERVE_PID" 10
is "$SERVE_RC" 0 "exit 0"
grep -q 'stopping' "$SERVE_LOG"
check $? "it says it stops"
