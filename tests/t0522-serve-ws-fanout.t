#!/bin/sh
# keruta-serve: live records fanned out to many viewers at once, with and
# without filters: each gets exactly its records, in order, once, while a
# shipper gets all its acks.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 5

start_serve || exit 1
# 90 viewers: 60 see all, 15 only ERROR, 15 only stderr. Each prints one
# line when it has its records (or what went wrong) and exits.
cat >viewers.py <<'PY'
import base64, json, os, select, socket, struct, sys, time
port, n_all, want_all = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
want_err, want_src = int(sys.argv[4]), int(sys.argv[5])
kinds = ["all"] * n_all + ["err"] * 15 + ["src"] * 15
opts = {"all": {}, "err": {"levels": ["ERROR"]}, "src": {"sources": ["stderr"]}}
want = {"all": want_all, "err": want_err, "src": want_src}
conns = []
for k in kinds:
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws/tasks/f HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    msg = json.dumps({"type": "subscribe", "options": opts[k]}).encode()
    s.sendall(bytes([0x81, 0x80 | len(msg)]) + b"\0\0\0\0" + msg)
    conns.append({"s": s, "k": k, "buf": buf, "ids": [], "seqs": [], "live": False})
open("ready", "w").close()
end = time.time() + 25
bad = 0
def frames(c):
    b = c["buf"]
    while len(b) >= 2:
        n, off = b[1] & 0x7f, 2
        if n == 126:
            if len(b) < 4: break
            n, off = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10: break
            n, off = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < off + n: break
        op, p = b[0] & 0x0f, b[off:off + n]
        b = b[off + n:]
        if op == 1:
            j = json.loads(p)
            if j.get("type") == "log":
                c["ids"].append(j["id"]); c["seqs"].append(j["seq"])
            elif j.get("type") == "live":
                c["live"] = True
    c["buf"] = b
todo = list(conns)
while todo and time.time() < end:
    r, _, _ = select.select([c["s"] for c in todo], [], [], 0.5)
    for c in todo[:]:
        if c["s"] in r:
            d = c["s"].recv(1 << 20)
            if not d:
                todo.remove(c); continue
            c["buf"] += d
            frames(c)
        if len(c["seqs"]) >= want[c["k"]]:
            todo.remove(c)
res = {}
for c in conns:
    ok = (len(c["seqs"]) == want[c["k"]] and c["ids"] == sorted(set(c["ids"])))
    if c["k"] == "all":
        ok = ok and c["seqs"] == list(range(1, want_all + 1))
    res.setdefault(c["k"], []).append(ok)
print(" ".join("%s:%d/%d" % (k, sum(v), len(v)) for k, v in sorted(res.items())))
PY
# 3000 records in frames of 100; every 10th is ERROR, every 7th stderr.
awk 'BEGIN { for (f = 0; f < 30; f++) { printf "["; for (i = 1; i <= 100; i++) {
	n = f * 100 + i; lv = (n % 10 == 0) ? "ERROR" : "INFO"; src = (n % 7 == 0) ? "stderr" : "stdout"
	printf "%s{\"runId\":\"f\",\"seq\":%d,\"level\":\"%s\",\"source\":\"%s\",\"message\":\"m%d\"}", (i > 1 ? "," : ""), n, lv, src, n }
	print "]" } }' >frames
python3 viewers.py "$SERVE_PORT" 60 3000 300 428 >viewers.out &
vp=$!
wait_for 20 test -e ready
check $? "90 viewers subscribed"
sleep 0.5
serve_ws "$SERVE_WS/f" --send frames --stop-count 30 --timeout 20 >acks
is "$(tail -n 1 acks)" '{"type":"ack","runId":"f","seq":3000}' "the shipper got every ack"
wait $vp
is "$(cat viewers.out)" "all:60/60 err:15/15 src:15/15" \
    "each viewer got exactly its records, in order, once"
wait_for 10 sh -c "curl -s '$SERVE_URL/metrics' | grep -q '^keruta_subscribers 0\$'"
check $? "viewers gone, none counted"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
