#!/bin/sh
# keruta-serve: strict on the wire (WebSocket). A handshake for another
# version than 13 is refused with 426 naming 13; one offering only other
# subprotocols with 400, and one offering keruta gets it. A second
# subscribe on one socket sends nothing the socket was sent already. A
# connection whose token expires is closed, and stores nothing after.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 12

printf 'the-secret-of-this-test-0123456789\n' >secret
# hs HEADERS: a handshake with extra HEADERS (printf escapes); prints the
# status line and the version and subprotocol headers of the answer.
hs() {
	http_raw --timeout 5 --headers sec-websocket-version,sec-websocket-protocol \
	    --text "GET /ws/tasks/w HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n$1\r\n"
}

start_serve || exit 1
is "$(hs 'Sec-WebSocket-Version: 8\r\n' | cut -d' ' -f2-)" \
    "426 | sec-websocket-version: 13" "version 8: 426, naming 13"
is "$(hs 'Sec-WebSocket-Version: 7\r\n' | cut -d' ' -f2)" 426 "version 7: 426"
is "$(hs '' | cut -d' ' -f2)" 426 "no version: 426"
is "$(hs 'Sec-WebSocket-Version: 13\r\n')" "HTTP/1.1 101 Switching Protocols" \
    "version 13: upgraded"
is "$(hs 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n' |
    cut -d' ' -f2)" 400 "another subprotocol alone: 400"
is "$(hs 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, keruta\r\n')" \
    "HTTP/1.1 101 Switching Protocols | sec-websocket-protocol: keruta" \
    "keruta among those offered: upgraded with keruta"

# A second subscribe on the same socket.
W=$SERVE_WS
for i in 1 2 3; do
	printf '{"runId":"r","seq":%d,"message":"m%d"}\n' "$i" "$i"
done | curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' \
    --data-binary @- "$SERVE_API/tasks/s/logs"
printf '%s\n' '{"type":"subscribe","options":{"realtime":false}}' \
    '{"type":"subscribe","options":{"realtime":false}}' >sub2
serve_ws "$W/s" --send sub2 --stop-count 6 --timeout 10 |
    jq -c '[.type,.id,.after]' >out
printf '%s\n' '["subscribed",null,0]' '["log",1,null]' '["log",2,null]' \
    '["log",3,null]' '["end",null,null]' '["subscribed",null,3]' >want
diff_golden want out "a second subscribe starts after what was sent"
printf '%s\n' '{"type":"subscribe","options":{"realtime":false}}' \
    '{"type":"subscribe","options":{"realtime":false,"after":1}}' >sub3
serve_ws "$W/s" --send sub3 --stop-count 9 --timeout 10 |
    jq -c '[.type,.id]' | tail -n 4 >out
printf '%s\n' '["subscribed",null]' '["log",2]' '["log",3]' '["end",null]' >want
diff_golden want out "an explicit after is followed"
stop_serve

# A token that expires on an open connection (exp with 30 s of leeway:
# valid at the handshake, expired 10 s later).
rm -f "$SERVE_DB"*
start_serve --jwt-secret-file "$T/secret" || exit 1
now=$(date +%s)
TOK=$(jwt "{\"scope\":\"logs:read logs:write\",\"exp\":$((now - 20))}")
python3 - "$SERVE_WS/e" "$TOK" >exp.out <<'PY' &
import base64, os, socket, struct, sys, time
url, tok = sys.argv[1], sys.argv[2]
hostport, path = url.split("://")[1].split("/", 1)
host, port = hostport.split(":")
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(("GET /%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Authorization: Bearer %s\r\n\r\n" % (path, tok)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
print(buf.split(b"\r\n")[0].decode())
def send(p):
    k = os.urandom(4)
    m = bytes(b ^ k[i % 4] for i, b in enumerate(p))
    s.sendall(struct.pack("!BB", 0x81, 0x80 | len(p)) + k + m)
send(b'{"runId":"r","seq":1,"message":"before"}')
time.sleep(13)
try:
    send(b'{"runId":"r","seq":2,"message":"after"}')
except OSError:
    pass
data = buf.split(b"\r\n\r\n", 1)[1]
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except OSError:
    pass
i = 0
while i + 2 <= len(data):
    op, n = data[i] & 15, data[i + 1] & 127
    i += 2
    if n == 126:
        n = struct.unpack("!H", data[i:i + 2])[0]; i += 2
    p = data[i:i + n]; i += n
    if op == 1:
        print(p.decode())
    elif op == 8:
        print("CLOSED %d" % struct.unpack("!H", p[:2])[0])
PY
pid=$!
wait $pid
grep -c '"type":"ack"' exp.out >n
is "$(head -n 1 exp.out)" "HTTP/1.1 101 Switching Protocols" "the handshake holds (leeway)"
is "$(grep -o '"code":"TOKEN_EXPIRED"' exp.out | head -n 1)" '"code":"TOKEN_EXPIRED"' \
    "then the connection is told the token expired"
is "$(tail -n 1 exp.out)" "CLOSED 1008" "and closed (1008)"
AUTH="Authorization: Bearer $(jwt '{"scope":"logs:read"}')"
is "$(curl -s -H "$AUTH" "$SERVE_API/tasks/e/logs" | jq -c '[.content[].message]')" \
    '["before"]' "only the record sent in time is stored"
