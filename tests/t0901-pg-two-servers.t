#!/bin/sh
# keruta-serve: several servers on one PostgreSQL. Started at once, they
# apply the schema once; a viewer on one server sees, live, the records
# shipped to another; two servers writing one task at once while a
# viewer follows it: the viewer sees every record once, in id order; a
# count remembered by one server stays exact as another adds and deletes;
# what a server knows of a run it wrote is not trusted once another
# server wrote the same run.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 14

pg_own
SERVE_DB=$(pg_db two) || exit 1

# ---- three servers started at once apply the schema once ----
for i in 1 2 3; do
	keruta-serve --listen 127.0.0.1:0 --db "$SERVE_DB" \
	    </dev/null >s$i.log 2>&1 &
	eval "p$i=\$!"
	bg_pid $!
done
wait_for 20 sh -c 'grep -l "listening on" s1.log s2.log s3.log | wc -l |
    grep -qx 3'
check $? "three servers started at once on a new database all start"
is "$(psql -qXAt "$SERVE_DB" -c 'SELECT count(*), max(version) FROM keruta_schema')" \
    "1|2" "the schema was applied once"
kill $p1 $p2 $p3
wait $p1 $p2 $p3 2>/dev/null

# ---- server A and server B ----
start_serve || exit 1
A_API=$SERVE_API A_PID=$SERVE_PID
start_serve || exit 1
B_WS=$SERVE_WS B_API=$SERVE_API B_PID=$SERVE_PID

# post API RUN FIRST N: records FIRST..FIRST+N-1 of RUN, 20 to a batch.
post() {
	python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, sys, urllib.request
api, run, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for lo in range(first, first + n, 20):
    body = "\n".join(json.dumps({"runId": run, "seq": s, "message": "%s %d" % (run, s)})
                     for s in range(lo, min(lo + 20, first + n)))
    req = urllib.request.Request(api + "/tasks/x/logs", body.encode(),
                                 {"Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(req, timeout=10).read()
PY
}

post "$A_API" h 1 100
echo '{"type":"subscribe","taskId":"x","options":{"after":0}}' >sub
serve_ws "$B_WS/x" --send sub --stop-records 4100 --timeout 60 >view.out &
vp=$!
bg_pid $vp
wait_for 10 grep -q '"type":"live"' view.out
check $? "a viewer on B gets the history, then goes live"

# ---- A and B write the task at once; the viewer on B follows ----
post "$A_API" a 1 2000 &
pa=$!
post "$B_API" b 1 2000 &
pb=$!
wait $pa $pb
wait $vp
check $? "the viewer got every record"
jq -r 'select(.type == "log") | .id' view.out >ids
jq -r 'select(.type == "log") | "\(.runId) \(.seq)"' view.out >keys
is "$(wc -l <ids | tr -d ' ') $(sort -u keys | wc -l | tr -d ' ')" "4100 4100" \
    "each record once: 100 of history, 2000 from A, 2000 from B"
is "$(sort -n ids | tr '\n' ' ')" "$(tr '\n' ' ' <ids)" "in id order"
is "$(grep -c '"type":"live"' view.out)" 1 "told it is live once"
is "$(curl -s "$B_API/tasks/x/logs/count")" '{"count":4100}' \
    "B counts what A and B stored"
is "$(curl -s "$A_API/tasks/x/logs?size=1&order=desc" | jq -c '.totalElements')" \
    4100 "and so does A"

# ---- a count A remembers, while B adds and deletes ----
# ypost API TIME FIRST LAST: records FIRST..LAST of task y saying "w n",
# at TIME.
ypost() {
	seq "$3" "$4" | jq -c --arg t "$2" \
	    '{runId: "y", seq: ., timestamp: $t, message: "w \(.)"}' |
	    curl -s -o /dev/null -w '%{http_code} ' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @- \
	    "$1/tasks/y/logs"
}
acount() {
	curl -s "$A_API/tasks/y/logs?q=w&size=1" | jq .totalElements
}
ypost "$A_API" 2020-01-01T00:00:00Z 1 50 >codes
ypost "$A_API" 2026-01-01T00:00:00Z 51 100 >>codes
first=$(acount)
ypost "$B_API" 2026-01-01T00:00:00Z 101 110 >>codes
more=$(acount)
is "$(cat codes)" "200 200 200 " "records of task y stored on A and B"
is "$first $more" "100 110" "A counts q=w, then 10 more that B stored"
curl -s -o /dev/null -X DELETE \
    "$B_API/tasks/y/logs?before=2021-01-01T00:00:00Z"
is "$(acount)" 60 "and 50 fewer once B deleted them"

# ---- one run written by A, then by B, then sent again to A ----
# A wrote seqs 1-100 of run k, and needs no look at the database for
# the seqs above 100 that follow, as long as nobody else wrote the task.
# B wrote 101-200: A must see that, and store only 201-249 of 150-249.
zpost() {
	seq "$2" "$3" | jq -c '{runId: "k", seq: ., message: "k \(.)"}' |
	    curl -s -o /dev/null -w '%{http_code} ' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @- \
	    "$1/tasks/z/logs"
}
zpost "$A_API" 1 100 >codes
zpost "$B_API" 101 200 >>codes
zpost "$A_API" 150 249 >>codes
zpost "$A_API" 250 260 >>codes
is "$(cat codes)" "200 200 200 200 " "records of run k stored on A, B, A"
is "$(curl -s "$A_API/tasks/z/logs?size=1000" |
    jq -r '[.content[].seq] | sort | "\(length) \(unique | length) \(.[0]) \(.[-1])"')" \
    "260 260 1 260" "each seq once: A read what B stored"
