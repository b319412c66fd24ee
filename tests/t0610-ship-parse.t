#!/bin/sh
# keruta-ship and the JSON it is given: records are spooled (and sent)
# byte for byte; what is not JSON as the server reads it (text after a
# value, numbers like 01 or 1., a byte order mark, lone surrogates, a
# runId or seq given twice) is sent as a text record rather than left
# to poison the stream. Then the lot against keruta-serve: every record
# stored or refused one by one, none left behind.
. "${0%/*}/lib.sh"
command -v keruta-serve >/dev/null || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
plan 8

port=$(free_port)
keruta-ship -u "ws://127.0.0.1:$port/ws/tasks" -S sp --drain-timeout 0 -t t1 \
    <"$DATA/ship-parse.in" 2>err
is $? 111 "no server: every record left in the spool"
run=$(sed -n 's/.*"message":"no ids","runId":"\([0-9a-f]*\)".*/\1/p' sp/seg.1)
test -n "$run"
check $? "records without ids get keruta-ship's runId"
cat sp/seg.* | sed "s/$run/RUN/g; s/\"timestamp\":\"[^\"]*\"/\"timestamp\":\"T\"/" >got
diff_golden "$DATA/ship-parse.out" got "each record spooled as it will be sent"
is "$(grep -c "is not a JSON record" err)" 5 "lines sent as text are warned about (rate-limited)"

start_serve || exit 1
keruta-ship -u "$SERVE_WS" -S sp --summary sum </dev/null 2>err
is "$? $(jq -c '[.read, .acked, .rejected, .spooled]' sum)" "1 [0,20,7,0]" \
    "delivered: 20 stored, 7 refused by the server (no message), none left"
is "$(curl -fsS "$SERVE_API/tasks/t1/logs/count" | jq .count)" 20 "20 stored"
is "$(jq -r .message sp/rejected.ndjson | sort -u)" null \
    "the refused records are those without a message"

# A frame shorter than 126 bytes (the shortest frame header).
printf '{"taskId":"t2","runId":"s","seq":1,"message":"m"}\n' |
    keruta-ship -u "$SERVE_WS" -S sp2 2>err
is "$? $(curl -fsS "$SERVE_API/tasks/t2/logs/count" | jq .count)" "0 1" \
    "a small frame is delivered"
stop_serve
