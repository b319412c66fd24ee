#!/bin/sh
# keruta-serve: the WebSocket protocol: ingest and acks, resume, viewers
# (history, then live, with no gap and no duplicate at the seam), errors,
# slow viewers.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 31

start_serve --queue-max 1M --max-body 4M || exit 1
W=$SERVE_WS
count() { curl -s "$SERVE_API/tasks/$1/logs/count" | jq .count; }

# ---- shippers ----
cat >in <<'X'
[{"runId":"r1","seq":1,"source":"stdout","message":"a"},{"runId":"r1","seq":2,"source":"stderr","level":"ERROR","message":"b"},{"runId":"r2","seq":7,"message":"c"}]
{"runId":"r1","seq":3,"source":"stdout","level":"WARN","message":"d"}
{"type":"resume","runId":"r1"}
{"type":"resume","runId":"nope"}
{"type":"ping"}
X
serve_ws "$W/t1" --send in --stop-count 6 >out
cat >want <<'X'
{"type":"ack","runId":"r1","seq":2}
{"type":"ack","runId":"r2","seq":7}
{"type":"ack","runId":"r1","seq":3}
{"type":"ack","runId":"r1","seq":3}
{"type":"ack","runId":"nope","seq":0}
{"type":"pong"}
X
diff_golden want out "acks per run, resume, ping"
serve_ws "$W/t1" --send in --stop-count 6 >out
diff_golden want out "a replay is acked the same"
is "$(count t1)" 4 "and stored once"

cat >in <<'X'
not json
{"type":"dance"}
[{"runId":"r9","seq":2,"level":"LOUD","message":"x"}]
{"message":"no ack without run","source":"stdout"}
X
serve_ws "$W/t1" --send in --stop-count 5 | jq -c '[.type,.code,.reason,.seq // .stored]' >out
cat >want <<'X'
["error","MALFORMED_REQUEST",null,null]
["error","UNKNOWN_TYPE",null,null]
["error","INVALID_RECORD","INVALID_LEVEL",2]
["ack",null,null,2]
["ack",null,null,1]
X
diff_golden want out "errors, a refused record acked, an ack of counts without a runId"
is "$(count t1)" 5 "refused messages and records store nothing"
# A binary frame (opcode 2, masked, "{}").
serve_ws "$W/t1" --raw 8282000000007b7d --stop-count 1 | jq -r .code >out
is "$(cat out)" BAD_REQUEST "binary messages are refused"
echo '{"message":"where"}' | serve_ws "$W" --send - --stop-count 1 | jq -r .reason >out
is "$(cat out)" NO_TASK "/ws/tasks: a record needs a taskId"
echo '{"taskId":"t9","runId":"q","seq":1,"message":"here"}' |
    serve_ws "$W" --send - --stop-count 1 >out
is "$(cat out)" '{"type":"ack","runId":"q","seq":1}' "/ws/tasks: the record's taskId"
is "$(count t9)" 1 "stored under it"
is "$(serve_ws "$SERVE_URL/ws/other" | sed 's/^ws/ws/')" "HTTP 404" "other paths: 404"
is "$(serve_ws "$W/bad%20id")" "HTTP 404" "a bad taskId: 404"

# ---- viewers ----
echo '{"type":"subscribe","options":{"after":0}}' >sub
serve_ws "$W/t1" --send sub --stop-type live | jq -c '[.type,.id,.message]' >out
cat >want <<'X'
["subscribed",null,null]
["log",1,"a"]
["log",2,"b"]
["log",3,"c"]
["log",4,"d"]
["log",5,"no ack without run"]
["live",null,null]
X
diff_golden want out "subscribed, the history, then live"
echo '{"type":"subscribe","options":{"levels":["WARN","ERROR"],"realtime":false}}' |
    serve_ws "$W/t1" --send - --stop-type end | jq -c '[.type,.id]' >out
printf '%s\n' '["subscribed",null]' '["log",2]' '["log",4]' '["end",null]' >want
diff_golden want out "levels, and realtime false ends with end"
echo '{"type":"subscribe","options":{"sources":["stdout"],"level":"WARN","after":1}}' |
    serve_ws "$W/t1" --send - --stop-type live | jq -c '[.type,.id]' >out
printf '%s\n' '["subscribed",null]' '["log",4]' '["live",null]' >want
diff_golden want out "sources, a minimum level and after"
echo '{"type":"subscribe","options":{"levels":"WARN"}}' |
    serve_ws "$W/t1" --send - --stop-count 1 | jq -r .code >out
is "$(cat out)" BAD_OPTIONS "bad options"

# Live records, filtered, to a viewer that waits.
echo '{"type":"subscribe","options":{"after":7,"sources":["stderr"]}}' >sub
serve_ws "$W/t1" --send sub --stop-records 2 --timeout 15 >live.out &
vp=$!
wait_for 10 grep -q '"live"' live.out
printf '%s\n' '{"runId":"L","seq":1,"source":"stdout","message":"not for you"}' \
    '{"runId":"L","seq":2,"source":"stderr","message":"live one"}' \
    '[{"runId":"L","seq":3,"source":"stderr","message":"live two"}]' >in
serve_ws "$W/t1" --send in --stop-count 3 >/dev/null
wait $vp
is "$(jq -r 'select(.type=="log") | .message' live.out | tr '\n' ,)" \
    "live one,live two," "live records follow the filter"

echo '{"type":"subscribe"}
{"type":"unsubscribe"}
{"type":"ping"}' | serve_ws "$W/t1" --send - --stop-type pong | jq -r .type |
    grep -v '^log$' | tr '\n' ' ' >out
is "$(cat out)" "subscribed live unsubscribed pong " "unsubscribe"

# ---- the seam: subscribe while records pour in ----
seq 1 500 | awk '{printf "{\"runId\":\"s\",\"seq\":%d,\"message\":\"h%d\"}\n", $1, $1}' |
    serve_ws "$W/seam" --send - --stop-count 500 >/dev/null
awk 'BEGIN { for (f = 0; f < 60; f++) { printf "["; for (i = 1; i <= 50; i++) {
	n = 500 + f * 50 + i; printf "%s{\"runId\":\"s\",\"seq\":%d,\"message\":\"l%d\"}", (i > 1 ? "," : ""), n, n }
	print "]" } }' >frames
serve_ws "$W/seam" --send frames --pause 0.01 --stop-count 60 --timeout 30 >acks &
sp=$!
sleep 0.1
echo '{"type":"subscribe"}' | serve_ws "$W/seam" --send - --stop-records 3500 \
    --timeout 30 >seam.out
wait $sp
jq -r 'select(.type=="log") | .seq' seam.out >got
seq 1 3500 >want
diff_golden want got "3500 records in order, no gap, no duplicate"
is "$(jq -r 'select(.type=="log") | .id' seam.out | sort -n | uniq | wc -l)" 3500 \
    "ids are unique"
is "$(grep -c '"type":"live"' seam.out)" 1 "one switch to live"
is "$(tail -n 1 acks)" '{"type":"ack","runId":"s","seq":3500}' "the shipper got every ack"

# ---- a slow viewer is dropped, and ingest goes on ----
big=$(head -c 4000 /dev/zero | tr '\0' x)
awk -v b="$big" 'BEGIN { for (f = 0; f < 100; f++) { printf "["; for (i = 1; i <= 50; i++) {
	n = f * 50 + i; printf "%s{\"runId\":\"w\",\"seq\":%d,\"message\":\"%s\"}", (i > 1 ? "," : ""), n, b }
	print "]" } }' >frames
echo '{"type":"subscribe"}' >sub
serve_ws "$W/slow" --send sub --no-read 6 --timeout 20 >slow.out &
vp=$!
echo '{"type":"subscribe"}' | serve_ws "$W/slow" --send - --stop-records 5000 \
    --timeout 30 >fast.out &
fp=$!
sleep 0.5
serve_ws "$W/slow" --send frames --pause 0.02 --stop-count 100 --timeout 30 >acks
is "$(tail -n 1 acks)" '{"type":"ack","runId":"w","seq":5000}' "ingest is not held up"
wait $vp
grep -q '"code":"SLOW_CONSUMER"' slow.out
check $? "the slow viewer is told SLOW_CONSUMER"
is "$(tail -n 1 slow.out)" "CLOSED 1008" "and disconnected"
wait $fp
is "$(grep -c '"type":"log"' fast.out)" 5000 "another viewer gets everything"
last=$(grep '^{' slow.out | jq -r 'select(.type=="log") | .id' | tail -n 1)
echo "{\"type\":\"subscribe\",\"options\":{\"after\":$last,\"realtime\":false}}" |
    serve_ws "$W/slow" --send - --stop-type end --timeout 20 >rest.out
is "$(( $(grep -c '"type":"log"' slow.out) + $(grep -c '"type":"log"' rest.out) ))" 5000 \
    "it resumes with after: nothing lost"
is "$(curl -s "$SERVE_URL/metrics" | sed -n 's/^keruta_slow_consumers_total //p')" 1 \
    "metrics count it"

# ---- limits ----
head -c 4200000 /dev/zero | tr '\0' a | sed 's/^/{"message":"/; s/$/"}/' >huge
serve_ws "$W/t1" --send huge --timeout 20 | jq -Rr 'fromjson? // . | .code? // .' >out
is "$(head -n 1 out)" TOO_LARGE "a message over --max-body: TOO_LARGE"
is "$(tail -n 1 out)" "CLOSED 1008" "and the connection is closed"
curl -fs "$SERVE_URL/health" >/dev/null
check $? "the server is still healthy"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
