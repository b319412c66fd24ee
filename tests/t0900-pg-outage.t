#!/bin/sh
# keruta-serve on PostgreSQL that goes away under load and comes back:
# meanwhile writes get 503 (never an ack for what is not committed) and
# /health says the database is out of reach; then the server connects
# again by itself, and every acked record is there, once.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 13

pg_own
SERVE_DB=$(pg_db outage) || exit 1
start_serve || exit 1

post() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"runId\":\"r\",\"seq\":$1,\"message\":\"line $1\"}" \
	    "$SERVE_API/tasks/out/logs"
}
is "$(post 1)" 201 "a record is stored"

# A poster of batches, writing each acked batch's last seq to acked and
# each refused one's status to refused, going on through the outage.
: >acked
: >refused
python3 - "$SERVE_PORT" <<'PY' &
import http.client, sys, time
port, seq = int(sys.argv[1]), 2
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
acked, refused = open("acked", "a"), open("refused", "a")
t0 = time.time()
while time.time() - t0 < 20:
    body = "\n".join('{"runId":"r","seq":%d,"message":"line %d"}' % (s, s)
                     for s in range(seq, seq + 50))
    try:
        c.request("POST", "/api/v1/tasks/out/logs", body,
                  {"Content-Type": "application/x-ndjson"})
        r = c.getresponse()
        r.read()
    except Exception as e:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        continue
    if r.status == 200:
        seq += 50
        acked.write("%d\n" % (seq - 1))
        acked.flush()
    else:
        refused.write("%d\n" % r.status)
        refused.flush()
        time.sleep(0.05)
    try:
        if open("done").read() == "yes\n":
            break
    except OSError:
        pass
PY
pp=$!
bg_pid $pp
wait_for 20 sh -c '[ "$(wc -l <acked)" -ge 20 ]'
"$KR_TOP/tests/pg-cluster" kill "$PG_DIR"
n_before=$(wc -l <acked)
wait_for 20 sh -c '[ -s refused ]'
check $? "writes are refused while the database is out of reach"
is "$(sort -u refused | tr '\n' ' ')" "503 " "with 503"
curl -s -o health.out -w '%{http_code}' "$SERVE_URL/health" >health.code
is "$(cat health.code) $(jq -r '.status + " " + .database' health.out)" \
    "503 DOWN unreachable" "/health: not ready, the database out of reach"
grep -q 'the connection is lost' "$SERVE_LOG"
check $? "the log says the connection is lost"

"$KR_TOP/tests/pg-cluster" restart "$PG_DIR"
wait_for 20 sh -c '[ "$(wc -l <acked)" -ge $(('"$n_before"' + 20)) ]'
check $? "the server connects again by itself and stores again"
echo yes >done
wait $pp
is "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/health")" 200 \
    "/health is ready again"
grep -q 'connected again' "$SERVE_LOG"
check $? "the log says so"

last=$(tail -n 1 acked)
curl -s "$SERVE_API/tasks/out/logs/export?format=ndjson" | jq -r .seq >seqs
is "$(sort -n seqs | uniq -d | wc -l | tr -d ' ')" 0 "no record twice"
is "$(awk -v l="$last" '$1 <= l' seqs | wc -l | tr -d ' ')" "$last" \
    "every acked record is there"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"

# A database out of reach at start: a retry may do (111), in one line,
# and the password in the string is never printed.
dead=$(free_port)
keruta-serve -L 127.0.0.1:0 -d "postgresql://keruta:s3cr3tpw@127.0.0.1:$dead/x" \
    2>start.err
is "$? $(wc -l <start.err | tr -d ' ')" "111 1" "a database out of reach at start: exit 111, one line"
is "$(cat start.err)" "keruta-serve: fatal: database: unable to connect to PostgreSQL: connection to server at \"127.0.0.1\", port $dead failed: Connection refused" \
    "it says which server, and not the password"
