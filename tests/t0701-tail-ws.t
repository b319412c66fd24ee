#!/bin/sh
# keruta-tail against a scripted WebSocket server: the subscribe message,
# history then live, reconnecting without repeats, exit codes.
. "${0%/*}/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is missing"
plan 34

# The server: per connection, the actions up to "next": "expect" (read one
# message and log it), "send JSON", "sleep S", "close", "refuse CODE".
cat >wsmock.py <<'PY'
import base64, hashlib, os, socket, struct, sys, time
portfile, script, log = sys.argv[1:4]
conns = [[]]
for line in open(script):
    line = line.rstrip("\n")
    if line == "next":
        conns.append([])
    elif line:
        conns[-1].append(line)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
logf = open(log, "a")
def readn(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def send(c, data, op=1):
    data = data.encode() if isinstance(data, str) else data
    n = len(data)
    h = bytes([128 | op])
    if n < 126:
        h += bytes([n])
    elif n < 65536:
        h += bytes([126]) + struct.pack(">H", n)
    else:
        h += bytes([127]) + struct.pack(">Q", n)
    c.sendall(h + data)
def recv_msg(c):
    while True:
        h = readn(c, 2)
        op, n = h[0] & 15, h[1] & 127
        if n == 126:
            n = struct.unpack(">H", readn(c, 2))[0]
        elif n == 127:
            n = struct.unpack(">Q", readn(c, 8))[0]
        mask = readn(c, 4) if h[1] & 128 else b"\0\0\0\0"
        d = bytes(b ^ mask[i % 4] for i, b in enumerate(readn(c, n)))
        if op == 9:
            send(c, d, 10)
        elif op == 8:
            raise EOFError
        else:
            return d.decode()
for actions in conns:
    c, _ = srv.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        req += c.recv(4096)
    head = req.decode().split("\r\n")
    logf.write("GET " + head[0].split()[1] + "\n")
    for h in head[1:]:
        if h.lower().startswith(("authorization:", "x-api-key:")):
            logf.write(h.lower().split(":")[0] + ":" + h.split(":", 1)[1] + "\n")
    logf.flush()
    if actions and actions[0].startswith("refuse"):
        c.sendall(("HTTP/1.1 %s No\r\nContent-Length: 0\r\n\r\n"
                   % actions[0].split()[1]).encode())
        time.sleep(0.2)
        c.close()
        continue
    key = [h.split(":", 1)[1].strip() for h in head
           if h.lower().startswith("sec-websocket-key:")][0]
    acc = base64.b64encode(hashlib.sha1((key +
        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
               % acc).encode())
    try:
        for a in actions:
            if a == "expect":
                logf.write(recv_msg(c) + "\n")
                logf.flush()
            elif a.startswith("send "):
                send(c, a[5:])
            elif a.startswith("sleep "):
                time.sleep(float(a[6:]))
            elif a == "close":
                break
        else:
            while True:
                recv_msg(c)
    except (EOFError, ConnectionError):
        pass
    c.close()
PY

# mock NAME: starts the server on the script NAME.script; sets $url.
mock() {
	rm -f "$1.port"
	python3 wsmock.py "$1.port" "$1.script" "$1.log" &
	bg_pid $!
	wait_for 10 test -s "$1.port" || diag "mock server did not start"
	url="ws://127.0.0.1:$(cat "$1.port")"
}
rec() {	# rec ID RUN SEQ SOURCE LEVEL MESSAGE [METADATA]
	printf 'send {"type":"log","id":%s,"taskId":"t1","runId":"%s","seq":%s,"timestamp":"2026-11-28T10:00:0%s.5Z","source":"%s","level":"%s","message":"%s"%s}\n' \
	    "$1" "$2" "$3" "$3" "$4" "$5" "$6" "${7:+,\"metadata\":$7}"
}

# History, a dropped connection, a resumed subscription, the exit record.
{
	echo expect
	echo 'send {"type":"subscribed","taskId":"t1"}'
	rec 1 r1 1 stdout INFO one
	rec 2 r1 2 stderr ERROR two
	echo 'sleep 0.3'
	echo close
	echo next
	echo expect
	echo 'send {"type":"subscribed","taskId":"t1"}'
	rec 2 r1 2 stderr ERROR two
	echo 'sleep 0.5'
	rec 3 r1 3 stdout WARN three
	rec 4 r1 4 agent INFO exited '{"event":"exit","exitCode":7}'
} >a.script
mock a
keruta-tail -u "$url" -T s3cret --exit-code t1 >out 2>err
is $? 7 "--exit-code: exits with the script's status"
cat >want <<'W'
2026-11-28T10:00:01.500Z stdout INFO  one
2026-11-28T10:00:02.500Z stderr ERROR two
2026-11-28T10:00:03.500Z stdout WARN  three
2026-11-28T10:00:04.500Z agent  INFO  exited
W
diff_golden want out "history, then live after a reconnect, no line twice"
cat >want <<'W'
GET /ws/tasks/t1
authorization: Bearer s3cret
{"type":"subscribe","taskId":"t1","options":{"realtime":true}}
GET /ws/tasks/t1
authorization: Bearer s3cret
{"type":"subscribe","taskId":"t1","options":{"realtime":true,"after":2}}
W
diff_golden want a.log "subscribes, then resumes after the last id"
grep -q 'reconnecting' err
check $? "says it reconnects"
! grep -q s3cret err
check $? "no token in diagnostics"

# Filters go to the server; the URL base is completed; ids are encoded.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 7 r1 1 stdout INFO hidden
	rec 8 r1 2 stderr ERROR shown
	rec 9 r1 3 agent INFO end '{"event":"exit","exitCode":0}'
} >b.script
mock b
KERUTA_API_KEY=k1 keruta-tail -u "http://127.0.0.1:$(cat b.port)/ws" -l warn \
    -s stderr --after 5 "t 1" >out 2>err
is $? 0 "exit record without --exit-code: 0"
cat >want <<'W'
GET /ws/tasks/t%201
x-api-key: k1
{"type":"subscribe","taskId":"t 1","options":{"realtime":true,"after":5}}
W
diff_golden want b.log "following: after in the subscribe message, filters kept here"
is "$(cat out)" "2026-11-28T10:00:02.500Z stderr ERROR shown" \
    "records the options exclude are not shown; the exit record still ends it"
mock b
keruta-tail -u "ws://127.0.0.1:$(cat b.port)/ws/tasks/" -n -l warn \
    -s stderr,agent "t1" >out 2>err
is "$(tail -n 1 b.log)" '{"type":"subscribe","taskId":"t1","options":{"sources":["stderr","agent"],"levels":["WARN","ERROR","FATAL"],"realtime":false}}' \
    "--no-follow: the server is asked for the sources and levels"

# --json prints the records; a rerun in the history does not end the tail.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 1 r1 1 stdout INFO a
	rec 2 r1 2 agent INFO x '{"event":"exit","exitCode":3}'
	rec 3 r2 1 stdout INFO b
	echo 'sleep 0.6'
	rec 4 r2 2 agent INFO y '{"event":"exit","exitCode":4}'
} >c.script
mock c
KERUTA_WEBSOCKET_URL=$url keruta-tail --json --exit-code t1 >out 2>err
is $? 4 "the last run's exit record ends it"
is "$(grep -c '"type":"log"' out)" 4 "--json: all four records"
is "$(sed -n 3p out)" '{"type":"log","id":3,"taskId":"t1","runId":"r2","seq":1,"timestamp":"2026-11-28T10:00:01.5Z","source":"stdout","level":"INFO","message":"b"}' \
    "--json: the record as the server sent it"

# An array of records in one message.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	echo 'send [{"id":1,"source":"stdout","level":"INFO","message":"x","timestamp":"T"},{"id":2,"source":"agent","level":"INFO","message":"done","metadata":{"event":"exit","exitCode":2}}]'
} >d.script
mock d
keruta-tail -u "$url" -e t1 >out 2>err
is $? 2 "records in an array"
is "$(cat out)" "T stdout INFO  x
- agent  INFO  done" "array records printed"

# --no-follow: the history, then the server's end of it.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 1 r1 1 stdout INFO old
	echo close
} >e.script
mock e
keruta-tail -u "$url" --no-follow t1 >out 2>err
is $? 0 "--no-follow: exits 0 after the history"
is "$(cat out)" "2026-11-28T10:00:01.500Z stdout INFO  old" "--no-follow output"
grep -q '"realtime":false' e.log
check $? "--no-follow asks for no live records"

# ... or a quiet pause when the server keeps the connection open.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 1 r1 1 stdout INFO old
} >f.script
mock f
keruta-tail -u "$url" -n t1 >out 2>err
is $? 0 "--no-follow: exits 0 when the history stops coming"
is "$(cat out)" "2026-11-28T10:00:01.500Z stdout INFO  old" "the history was printed"

# The server's end-of-history marker; the agent's summary record after the
# exit record does not keep the tail waiting.
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 1 r1 1 stdout INFO a
	rec 2 r1 2 agent ERROR x '{"event":"exit","exitCode":9}'
	rec 3 r1 3 agent INFO summary '{"event":"summary","complete":true}'
	echo 'send {"type":"live","lastId":3}'
	echo 'sleep 5'
} >i.script
mock i
keruta-tail -u "$url" -e t1 >out 2>err
is $? 9 "exit record, summary record, end of history: exits at once"
is "$(wc -l <out | tr -d ' ')" 3 "all three printed"
{
	echo expect
	echo 'send {"type":"subscribed"}'
	rec 1 r1 1 stdout INFO a
	echo 'send {"type":"end","lastId":1}'
	echo 'sleep 5'
} >j.script
mock j
keruta-tail -u "$url" -n t1 >out 2>err
is $? 0 "--no-follow: ends at the server's end marker"
is "$(cat out)" "2026-11-28T10:00:01.500Z stdout INFO  a" "the history before it"
{
	echo expect
	echo 'send {"type":"subscribed"}'
	echo 'send {"type":"live","lastId":40}'
	echo close
	echo next
	echo expect
	rec 41 r1 1 agent INFO x '{"event":"exit","exitCode":0}'
} >k.script
mock k
keruta-tail -u "$url" --source stderr t1 >out 2>err
is "$(sed -n 4p k.log)" '{"type":"subscribe","taskId":"t1","options":{"realtime":true,"after":40}}' \
    "a reconnect resumes after the server's lastId"

# Refusals and errors.
echo 'refuse 401' >g.script
mock g
keruta-tail -u "$url" -T bad t1 >out 2>err
is $? 1 "401: exit 1, no retry"
is "$(cat err)" "keruta-tail: warning: the server refused the token: HTTP 401" \
    "says the token was refused"
is "$(grep -c GET g.log)" 1 "one attempt only"
mock g
keruta-tail -u "$url" t1 >out 2>err
is "$(cat err)" "keruta-tail: warning: the server wants a token: HTTP 401 (give -T or KERUTA_AUTH_TOKEN)" \
    "401 without a token: says one is wanted"
echo 'refuse 403' >g.script
mock g
keruta-tail -u "$url" -T ro t1 >out 2>err
is "$(cat err)" "keruta-tail: warning: the token may not read task 't1': HTTP 403" \
    "403: says the token may not read the task"

{
	echo expect
	echo 'send {"type":"error","code":"FORBIDDEN","message":"task not allowed"}'
	echo 'sleep 0.5'
} >h.script
mock h
keruta-tail -u "$url" t1 >out 2>err
is $? 1 "an error before subscribed: exit 1"
grep -q "server error 'FORBIDDEN'" err
check $? "the error code is shown"

port=$(free_port)
keruta-tail -u "ws://127.0.0.1:$port" --no-follow t1 >out 2>err
is $? 111 "--no-follow, nothing listening: 111"
keruta-tail -u "ftp://x" t1 2>err
is $? 100 "bad URL scheme: usage error"
keruta-tail -l loud t1 2>err
is $? 100 "bad level: usage error"
