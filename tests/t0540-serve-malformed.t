#!/bin/sh
# keruta-serve: a corpus of malformed requests and frames. Each gets a 4xx
# or a closed connection, nothing is stored, and the server stays healthy.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 30

start_serve --max-body 4M || exit 1
A=$SERVE_API
# raw FILE: sends FILE's bytes on a new connection; prints the status line
# of the reply, or CLOSED when the server closed without one, or TIMEOUT.
raw() { http_raw --file "$1"; }
post() {
	curl -s -o body -w '%{http_code}' -H 'Expect:' \
	    -H 'Content-Type: application/json' --data-binary "@$1" \
	    "$A/tasks/m/logs"
}

# JSON bodies, truncated or wrong.
n=0
for b in '{' '{"message":' '{"message":"x"' '[{"message":"x"},' '{"message":"x"}}' \
    '{"message":"x"} {"message":"y"}' 'null' '"text"' '42' '[[{"message":"x"}]]' \
    '{"message":"x","seq":1.5,"runId":"r"}' '{"message":"x","seq":-1,"runId":"r"}' \
    '{"message":"x","runId":""}' '{"message":"x","metadata":[1]}' \
    '{"message":"x","source":""}' '{"message":"x","type":"ack"}'; do
	printf '%s' "$b" >body.json
	printf '%s\n' "$(post body.json)"
	n=$((n + 1))
done >codes
is "$(sort -u codes)" 400 "$n malformed JSON bodies: 400 each"
python3 -c 'print("[" * 100000 + "]" * 100000)' >deep.json
is "$(post deep.json)" 400 "JSON nested 100000 deep: 400"
printf '{"message":"a\000b"}' >nul.json
is "$(post nul.json)" 400 "a raw NUL byte: 400"
printf '{"message":"\355\240\200"}' >sur.json
is "$(post sur.json)" 400 "UTF-8 of a surrogate: 400"
printf '{"message":"\\ud800"}' >lone.json
is "$(post lone.json)" 400 "a lone surrogate escape: 400"
head -c 5000000 /dev/zero | tr '\0' a | sed 's/^/{"message":"/; s/$/"}/' >huge.json
is "$(post huge.json)" 413 "5 MB over a 4M limit: 413"
is "$(jq -r .error.code body)" TOO_LARGE "TOO_LARGE"
head -c 3000000 /dev/zero | tr '\0' a | sed 's/^/{"message":"/; s/$/"}/' >ok.json
is "$(post ok.json)" 201 "3 MB under the limit: stored"
is "$(curl -s "$A/tasks/m/logs?size=1" | jq '.content[0].message | length')" 3000000 \
    "and given back whole"

# Paths.
for p in '/api/v1/tasks/../../../etc/passwd' \
    '/api/v1/tasks/..%2f..%2fetc/logs' '/../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' \
    '/api/v1/tasks/a%00b/logs' '/api/v1/tasks//logs' '/index.html/../../x'; do
	curl -s -o body -w '%{http_code}\n' --path-as-is "$SERVE_URL$p"
done >codes
is "$(grep -Evc '^(40[04]|000)$' codes)" 0 \
    "path traversal attempts: 400, 404 or dropped"
# ".." is resolved before routing: tasks/%2e%2e/logs is /api/v1/logs, the
# search across tasks, and never a task named "..".
curl -s --path-as-is "$SERVE_URL/api/v1/tasks/%2e%2e/logs?size=1" |
    jq -c 'keys' >got
is "$(cat got)" '["content","next","size"]' \
    "tasks/%2e%2e/logs: resolved to /api/v1/logs, inside the API"
! grep -q 'root:' body
check $? "no file from outside"

# Raw HTTP.
printf 'POST /api/v1/tasks/m/logs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n10\r\n{"message":"x"}\r\n0\r\n\r\n' >chunked
is "$(raw chunked | cut -c1-12)" "HTTP/1.1 411" "a chunked body: 411"
printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n' "$(head -c 20000 /dev/zero | tr '\0' a)" >bighdr
is "$(raw bighdr)" CLOSED "20 KB of headers: dropped"
printf 'HELLO WORLD\r\n\r\n' >junk
case $(raw junk) in HTTP/1.?\ 4*|CLOSED) r=0 ;; *) r=1 ;; esac
check $r "a junk request line: 4xx or closed"
head -c 65536 /dev/urandom >random
case $(raw random) in HTTP/1.?\ 4*|CLOSED) r=0 ;; *) r=1 ;; esac
check $r "random bytes: 4xx or closed"
printf 'POST /api/v1/tasks/m/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mess' >short
python3 - "$SERVE_PORT" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open("short", "rb").read())
time.sleep(0.3)
s.close()
PY
wait $!
printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' >health
is "$(raw health)" "HTTP/1.1 200 OK" "a peer gone mid-body does no harm"
python3 - "$SERVE_PORT" <<'PY'
import socket, sys
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
         for i in range(50)]
for s in socks:
    s.sendall(b"GET /api/v1/tasks HTTP/1.1\r\nHo")
for s in socks:
    s.close()
PY
is "$(raw health)" "HTTP/1.1 200 OK" "50 peers that vanish mid-request"

# WebSocket frames: each closes the connection, nothing else.
W=$SERVE_WS/m
ws() { serve_ws "$W" --raw "$1" --timeout 5 | tail -n 1; }
case $(ws 810568656c6c6f) in *MALFORMED_REQUEST*|CLOSED*) r=0 ;; *) r=1 ;; esac
check $r "an unmasked frame: refused"
is "$(ws 8380000000006869)" "CLOSED 1002" "a reserved opcode: close 1002"
is "$(ws 8182000000ffc328)" "CLOSED 1007" "bad UTF-8 in a text frame: close 1007"
# {"message":"<c3> in one fragment, "} in the next: a character cut short.
is "$(ws 018d000000007b226d657373616765223a22c3808200000000227d)" \
    "CLOSED 1007" "bad UTF-8 across two fragments: close 1007"
is "$(ws 8082000000006869)" "CLOSED 1002" "a continuation with nothing to continue: 1002"
x=$(python3 -c 'print("89fe00c8" + "00000000" + "61" * 200)')
is "$(ws "$x" | cut -c1-6)" CLOSED "a 200-byte ping: closed"
# A header claiming 2^62 bytes, then a little.
is "$(ws 81ff400000000000000000000000$(printf '61%.0s' $(seq 16)))" \
    "CLOSED 1008" "an absurd length: closed at once"
serve_ws "$W" --raw 81fe1000000000007b226d --timeout 1 >/dev/null
is "$(raw health)" "HTTP/1.1 200 OK" "a frame cut short, then silence"

# After all that: healthy, and only the two good records stored.
is "$(curl -s "$A/tasks/m/logs/count")" '{"count":1}' "nothing of the corpus was stored"
printf '{"message":"still works"}' >good.json
is "$(post good.json)" 201 "and it still stores records"
# {"message":"é"} with the é cut between two fragments: one record.
serve_ws "$W" --raw 018d000000007b226d657373616765223a22c3808300000000a9227d \
    --timeout 2 >/dev/null
is "$(curl -s "$A/tasks/m/logs/count?q=%C3%A9")" '{"count":1}' \
    "a character split between fragments is taken whole"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
