#!/bin/sh
# keruta-serve: records refused one by one over WebSocket. The valid ones
# of a message are stored; each invalid one gets an INVALID_RECORD error
# naming its runId and seq, and the ack still covers it, so a shipper
# never waits for an ack that cannot come.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 16

start_serve || exit 1
W=$SERVE_WS
count() { curl -s "$SERVE_API/tasks/$1/logs/count" | jq .count; }

cat >in <<'X'
[{"runId":"r1","seq":1,"message":"ok one"},{"runId":"r1","seq":2,"level":"LOUD","message":"s3cr3t"},{"runId":"r1","seq":3,"message":"ok two"},{"runId":"r1","seq":4,"message":5},{"level":7,"message":"no run"},{"runId":"r2","seq":9,"timestamp":"yesterday","message":"x"}]
X
serve_ws "$W/t1" --send in --stop-count 6 >out
jq -c 'del(.message)' out >got
cat >want <<'X'
{"type":"error","code":"INVALID_RECORD","reason":"INVALID_LEVEL","index":1,"runId":"r1","seq":2,"status":400}
{"type":"error","code":"INVALID_RECORD","reason":"BAD_RECORD","index":3,"runId":"r1","seq":4,"status":400}
{"type":"error","code":"INVALID_RECORD","reason":"INVALID_LEVEL","index":4,"status":400}
{"type":"error","code":"INVALID_RECORD","reason":"INVALID_TIMESTAMP","index":5,"runId":"r2","seq":9,"status":400}
{"type":"ack","runId":"r1","seq":4}
{"type":"ack","runId":"r2","seq":9}
X
diff_golden want got "an error per refused record, then acks that cover them"
is "$(jq -r 'select(.type=="error") | .message' out | head -n 2 | tr '\n' '|')" \
    "record 1: level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL|record 3: message must be a string|" \
    "each error says why"
is "$(count t1)" 2 "the valid records are stored"
is "$(curl -s "$SERVE_API/tasks/t1/logs" | jq -c '[.content[].message]')" \
    '["ok one","ok two"]' "in order"
serve_ws "$W/t1" --send in --stop-count 6 >out2
diff_golden out out2 "a replay gets the same answer"
is "$(count t1)" 2 "and stores nothing twice"

# One bad record alone, and records without a runId.
echo '{"runId":"r3","seq":1,"message":"x","source":""}' |
    serve_ws "$W/t1" --send - --stop-count 2 | jq -c '[.type,.code,.seq]' >got
printf '%s\n' '["error","INVALID_RECORD",1]' '["ack",null,1]' >want
diff_golden want got "a frame of one refused record is still acked"
echo '[{"message":"fine"},{"message":"bad","metadata":[]}]' |
    serve_ws "$W/t1" --send - --stop-count 2 | jq -c . >got
is "$(tail -n 1 got)" '{"type":"ack","stored":1,"duplicates":0,"refused":1}' \
    "without runIds: counts, the refused included"

# On /ws/tasks, a record needs its taskId; one frame holds one task.
printf '%s\n' '[{"taskId":"t2","runId":"q","seq":1,"message":"a"},{"runId":"q","seq":2,"message":"b"},{"taskId":"t3","runId":"q","seq":3,"message":"c"},{"taskId":"t2","runId":"q","seq":4,"message":"d"}]' |
    serve_ws "$W" --send - --stop-count 3 | jq -c '[.type,.reason,.seq]' >got
printf '%s\n' '["error","NO_TASK",2]' '["error","BAD_RECORD",3]' '["ack",null,4]' >want
diff_golden want got "/ws/tasks: records without the frame's taskId are refused"
is "$(count t2)" 2 "the others are stored"
is "$(curl -s "$SERVE_API/tasks" | jq -c '[.tasks[].taskId] | sort')" '["t1","t2"]' \
    "a refused record makes no task"

# A message that is not JSON cannot be taken apart: refused whole.
echo '[{"runId":"r4","seq":1,"message":"x"},{"runId":"r4","seq":2,' |
    serve_ws "$W/t1" --send - --stop-count 1 | jq -r .code >got
is "$(cat got)" MALFORMED_REQUEST "bad JSON: the message is refused whole"
is "$(count t1)" 3 "and nothing of it is stored"

curl -s "$SERVE_URL/metrics" >metrics
is "$(sed -n 's/^keruta_records_refused_total //p' metrics)" 12 "refused records are counted"
grep -q 'refused.*INVALID_LEVEL' "$SERVE_LOG"
check $? "and logged"
! grep -q s3cr3t "$SERVE_LOG"
check $? "without their content"
