#!/bin/sh
# Two keruta-serve on one PostgreSQL, both up: keruta-ship and keruta-tail
# given both (-u A,B); A killed -9 mid-stream. keruta-ship goes on to B,
# losing nothing and storing nothing twice (acks only after COMMIT, what
# was not acked sent again); keruta-tail, following on A, goes on at B
# after the last record it printed: every record once, in order.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 8

pg_own
SERVE_DB=$(pg_db fail) || exit 1
start_serve || exit 1
B_WS=$SERVE_WS B_API=$SERVE_API B_PID=$SERVE_PID
start_serve || exit 1
A_WS=$SERVE_WS A_API=$SERVE_API

count() { curl -fsS "$B_API/tasks/ha/logs/count" | jq -r .count; }

keruta-tail -u "$A_WS,$B_WS" -j ha >tail.out 2>tail.err &
tp=$!
bg_pid $tp
slowgen ha | keruta-ship -u "$A_WS,$B_WS" -S sp --reconnect-interval 300ms \
    --summary sum 2>ship.err &
ship=$!
bg_pid $ship
wait_for 30 sh -c "[ \"\$(curl -fsS '$B_API/tasks/ha/logs/count' | jq -r .count)\" -ge 5000 ]"
check $? "B sees 5000 records or more shipped to A"
kill9_serve
wait $ship
is $? 0 "keruta-ship exits 0"
is "$(jq -c '[.read, .acked, .spooled, .rejected, .complete]' sum)" \
    "[20000,20000,0,0,true]" "its summary: 20000 read, 20000 acked"
is "$(count)" 20000 "B counts 20000 records"
curl -fsS "$B_API/tasks/ha/logs/export?format=ndjson" | jq -r .seq | sort -n >got
seq 1 20000 >want
diff_golden want got "every seq stored exactly once"
wait_for 30 sh -c '[ "$(wc -l <tail.out)" -ge 20000 ]'
kill $tp 2>/dev/null
wait $tp 2>/dev/null
jq -r .seq tail.out >tseq
diff_golden want tseq "keruta-tail printed every record once, in order"
grep -c "moving to '${B_WS%/ws/tasks}" ship.err tail.err | tr '\n' ' ' >moves
is "$(cat moves)" "ship.err:1 tail.err:1 " "each said once that it moved to B"
SERVE_PID=$B_PID
stop_serve
is "$SERVE_RC" 0 "B stops cleanly"
