#!/bin/sh
# keruta-ship and bad input: not JSON, invalid UTF-8, NUL bytes, huge
# lines, records without a task. A clear warning, never a lost line.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 12

start_peer
URL=ws://127.0.0.1:$PORT/ws/tasks
{
	gen 1 2
	printf 'plain text\n'
	printf 'bad \377\376 utf8\n'
	printf 'nul\000byte\n'
	printf '{"taskId":"t1","message":"no run, no seq"}\n'
	printf '[1,"two",{"taskId":"t1","runId":"r1","seq":3}]\n'
	printf '\n   \n'
	printf '{"taskId":"t1","runId":"r1","seq":4,"message":"tab\there"}\n'
	printf 'last line without newline'
} >in.ndjson
keruta-ship -u "$URL" -S sp --summary sum <in.ndjson 2>err
is $? 0 "bad lines delivered as records: exit 0"
is "$(jq -c '[.read, .acked]' sum)" "[11,11]" "11 records from 10 lines (blank ones skipped)"
is "$(stored_seqs | tr '\n' ' ')" "1 2 3 4 " "the good records keep runId and seq"
jq -r 'select(.runId != "r1") | .message' store >got
printf '%s\n' 'plain text' 'bad �� utf8' 'nul?byte' 'no run, no seq' '1' '"two"' 'last line without newline' |
    sed 's/?/\\u0000/' >want
jq -r 'select(.runId != "r1") | .message' store | sed 's/\x0/\\u0000/' >got
diff_golden want got "the others are text records, in order"
is "$(jq -r 'select(.runId != "r1") | .seq' store | tr '\n' ' ')" "1 2 3 4 5 6 7 " "numbered by keruta-ship under its own runId"
is "$(jq -r 'select(.message == "bad �� utf8") | .bytes' store)" "YmFkIP/+IHV0Zjg=" "invalid UTF-8 keeps its bytes"
grep -q "warning: input record 3 is not a JSON record (10 bytes): sent as text" err
check $? "a warning gives the record number and size, not the text"
! grep -q 'plain' err
check $? "no record content in diagnostics"

# Huge lines: 10 MB goes whole; past 16 MiB a gap record says so.
: >store
awk 'BEGIN { s = "x"; while (length(s) < 10485760) s = s s;
    printf "{\"taskId\":\"t1\",\"runId\":\"big\",\"seq\":1,\"message\":\"%s\"}\n", substr(s, 1, 10485760);
    printf "%s\n", s s;
    printf "{\"taskId\":\"t1\",\"runId\":\"big\",\"seq\":2,\"message\":\"after\"}\n" }' >big.ndjson
keruta-ship -u "$URL" -S sp <big.ndjson 2>err
is $? 0 "huge lines: exit 0"
is "$(jq -r 'select(.runId == "big") | "\(.seq) \(.message | length)"' store | tr '\n' ' ')" "1 10485760 2 5 " "a 10 MB record arrives whole"
is "$(jq -r 'select(.runId != "big") | .metadata.reason' store)" "size" "a gap record for the 32 MB line"

# No --task-id and no taskId: nowhere to send; set aside, exit 1.
printf '{"runId":"r9","seq":1,"message":"whose?"}\n' |
    keruta-ship -u "$URL" -S sp2 2>err
is "$? $(jq -r .message sp2/rejected.ndjson)" "1 whose?" "a record without a task is set aside, exit 1"
