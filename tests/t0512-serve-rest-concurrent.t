#!/bin/sh
# keruta-serve: concurrent REST ingest shares commits, yet a reply never
# waits on another client's slow body; every record is stored once.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 7

start_serve || exit 1

# 40 batches of 500 records from 8 connections at once.
: >curl.cfg
b=0
while [ $b -lt 40 ]; do
	awk -v b=$b 'BEGIN { printf "["
		for (i = 1; i <= 500; i++)
			printf "%s{\"runId\":\"c%d\",\"seq\":%d,\"message\":\"m %d\"}",
			    (i > 1 ? "," : ""), b % 4, (int(b / 4)) * 500 + i, i
		printf "]" }' >"b$b"
	[ $b -gt 0 ] && echo next >>curl.cfg
	printf 'url = "%s/tasks/cc/logs"\ndata-binary = "@b%d"\nheader = "Content-Type: application/json"\nheader = "Expect:"\noutput = "r%d"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$SERVE_API" $b $b >>curl.cfg
	b=$((b + 1))
done
c0=$(curl -s "$SERVE_URL/metrics" | sed -n 's/^keruta_db_commits_total //p')
curl -sS --parallel --parallel-max 8 -K curl.cfg >codes 2>curl.err
is "$(sort codes | uniq -c | awk '{ print $1, $2 }')" "40 200" \
    "40 concurrent batches: every reply 200"
is "$(cat r* | jq -s -c '[(map(.stored) | add), (map(.duplicates) | add)]')" \
    "[20000,0]" "every reply counts its own records"
is "$(curl -s "$SERVE_API/tasks/cc/logs/count")" '{"count":20000}' \
    "20,000 records stored"
is "$(curl -s "$SERVE_API/tasks/cc/logs/stats" | jq -c .totalLogs)" 20000 \
    "and counted once"
c1=$(curl -s "$SERVE_URL/metrics" | sed -n 's/^keruta_db_commits_total //p')
diag "40 requests on 8 connections: $((c1 - c0)) commits"

# A body that stalls half way holds up no one else's reply.
python3 - "$SERVE_PORT" <<'PY' >slow.out &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = b'{"runId":"slow","seq":1,"message":"slow"}'
s.sendall(b"POST /api/v1/tasks/sl/logs HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
          % len(body) + body[:10])
open("started", "w").close()
while True:
    try:
        open("go").close()
        break
    except OSError:
        time.sleep(0.02)
s.sendall(body[10:])
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
bg_pid $!
wait_for 10 test -e started
is "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Expect:' \
    -d '{"runId":"fast","seq":1,"message":"fast"}' "$SERVE_API/tasks/sl/logs")" \
    201 "a stalled body elsewhere: the reply still comes"
: >go
wait_for 10 grep -q HTTP slow.out
is "$(cut -d' ' -f 1,2 slow.out)" "HTTP/1.1 201" "and the stalled one is answered once it ends"
is "$(curl -s "$SERVE_API/tasks/sl/logs?order=asc" | jq -c '[.content[].message]')" \
    '["fast","slow"]' "both stored"
stop_serve
