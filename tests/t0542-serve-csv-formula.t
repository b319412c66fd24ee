#!/bin/sh
# keruta-serve: a CSV export cell that a spreadsheet would run as a formula
# (it begins with =, +, -, @, a tab or a carriage return) is given a
# leading single quote inside quotes; other cells are as they were.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 3

start_serve || exit 1
A=$SERVE_API
n=0
for m in '=1+2' '+SUM(A1:A9)' '-2+3' '@cmd' '\tx' '\rx' 'a=b' 'plain' \
    '=HYPERLINK(\"http://x\",\"y\")' '-'; do
	n=$((n + 1))
	printf '{"runId":"r","seq":%d,"timestamp":"2026-11-28T10:00:0%dZ","message":"%s"}\n' \
	    "$n" "$((n % 10))" "$m"
done >in.ndjson
printf '{"runId":"=r","seq":1,"timestamp":"2026-11-28T10:00:00Z","source":"@src","message":"ok"}\n' \
    >>in.ndjson
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
    --data-binary @in.ndjson "$A/tasks/csv/logs")" 200 "records stored"
curl -s "$A/tasks/csv/logs/export?format=csv" >out
printf '%s\r\n' 'id,timestamp,taskId,runId,seq,source,level,message' \
    '1,2026-11-28T10:00:01Z,csv,r,1,task,INFO,"'"'"'=1+2"' \
    '2,2026-11-28T10:00:02Z,csv,r,2,task,INFO,"'"'"'+SUM(A1:A9)"' \
    '3,2026-11-28T10:00:03Z,csv,r,3,task,INFO,"'"'"'-2+3"' \
    '4,2026-11-28T10:00:04Z,csv,r,4,task,INFO,"'"'"'@cmd"' \
    "5,2026-11-28T10:00:05Z,csv,r,5,task,INFO,\"'	x\"" \
    "6,2026-11-28T10:00:06Z,csv,r,6,task,INFO,\"'$(printf '\r')x\"" \
    '7,2026-11-28T10:00:07Z,csv,r,7,task,INFO,a=b' \
    '8,2026-11-28T10:00:08Z,csv,r,8,task,INFO,plain' \
    '9,2026-11-28T10:00:09Z,csv,r,9,task,INFO,"'"'"'=HYPERLINK(""http://x"",""y"")"' \
    '10,2026-11-28T10:00:00Z,csv,r,10,task,INFO,"'"'"'-"' \
    '11,2026-11-28T10:00:00Z,csv,=r,1,@src,INFO,ok' >want
sed -i 's/,=r,1,@src,/,"'"'"'=r",1,"'"'"'@src",/' want
diff_golden want out "formula cells are quoted with a leading single quote"
curl -s "$A/tasks/csv/logs/export?format=ndjson" | jq -r .message | head -1 >msg
is "$(cat msg)" '=1+2' "other formats keep the text as it was"
