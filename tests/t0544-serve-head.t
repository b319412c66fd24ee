#!/bin/sh
# keruta-serve: HEAD wherever GET is served: the same status and headers
# (Content-Length included when GET has one), no body; the connection
# stays usable.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 5

start_serve || exit 1
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"message":"x"}' \
    "$SERVE_API/tasks/h/logs"
for u in /health /api/v1/tasks/h/logs /api/v1/tasks/h/logs/count \
    '/api/v1/tasks/h/logs/export?format=csv' /api/v1/tasks / /nothing; do
	g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$SERVE_URL$u")
	h=$(curl -s -I -o head.txt -w '%{http_code}' "$SERVE_URL$u")
	l=$(tr -d '\r' <head.txt | sed -n 's/^content-length: //Ip')
	set -- $g
	[ "$2" = "${l:-none}" ] && same="same length" || same="length $2 / ${l:-none}"
	echo "$u $1 / $h $same"
done >got
cat >want <<'EOF2'
/health 200 / 200 same length
/api/v1/tasks/h/logs 200 / 200 same length
/api/v1/tasks/h/logs/count 200 / 200 same length
/api/v1/tasks/h/logs/export?format=csv 200 / 200 same length
/api/v1/tasks 200 / 200 same length
/ 200 / 200 same length
/nothing 404 / 404 same length
EOF2
diff_golden want got "HEAD: the status and length of GET"
curl -s -I -o /dev/null -w '%{size_download}' "$SERVE_URL/health" >n
is "$(cat n)" 0 "and no body"
python3 - "$SERVE_PORT" >two <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
b = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        b += d
except OSError:
    pass
for l in b.decode().split("\r\n"):
    if l.startswith("HTTP/") or l.startswith("{"):
        print(l[:20])
PY
printf '%s\n' 'HTTP/1.1 200 OK' 'HTTP/1.1 200 OK' '{"status":"UP","vers' >want
diff_golden want two "HEAD, then GET on the same connection"
is "$(curl -s -I -o /dev/null -w '%{http_code}' -X HEAD "$SERVE_API/tasks/h/logs/stats")" 200 \
    "HEAD on stats"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
