#!/bin/sh
# keruta-ship against keruta-serve: records the server refuses one by one
# over WebSocket (INVALID_RECORD) are set aside as over REST: written to
# rejected.ndjson as they were sent, counted as rejected, not as acked,
# warned about once each without their content, and exit 1.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v keruta-serve >/dev/null || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
plan 26

count() {
	curl -fsS "$SERVE_API/tasks/$1/logs/count" | jq -r .count
}

# rec SEQ [EXTRA]: record SEQ of run r1 (EXTRA replaces the level and
# message fields).
rec() {
	printf '{"type":"log","runId":"r1","seq":%d,"source":"stdout",%s}' \
	    "$1" "${2:-\"level\":\"INFO\",\"message\":\"line $1\"}"
}

start_serve || exit 1

# One batch of ten: a bad level at 4, a message that is a number at 7.
bad4=$(rec 4 '"level":"LOUD","message":"s3cr3t four"')
bad7=$(rec 7 '"level":"INFO","message":7,"note":"s3cr3t seven"')
{
	printf '['
	for i in 1 2 3; do rec $i; printf ','; done
	printf '%s,' "$bad4"
	for i in 5 6; do rec $i; printf ','; done
	printf '%s,' "$bad7"
	rec 8; printf ','; rec 9; printf ','; rec 10
	printf ']\n'
} >batch.ndjson
printf '%s\n%s\n' "$bad4" "$bad7" >want.rej

for proto in ws rest; do
	if [ $proto = ws ]; then url=$SERVE_WS; else url=$SERVE_API; fi
	task=a$proto
	keruta-ship -p $proto -u "$url" -t $task -S sp$proto --drain-timeout 10s \
	    --summary sum$proto <batch.ndjson 2>err$proto
	is $? 1 "$proto: records refused for good: exit 1"
	is "$(count $task)" 8 "$proto: the 8 valid records are stored"
	is "$(curl -fsS "$SERVE_API/tasks/$task/logs?size=20&order=asc" |
	    jq -c '[.content[].seq]')" "[1,2,3,5,6,8,9,10]" "$proto: those and only those"
	diff_golden want.rej sp$proto/rejected.ndjson \
	    "$proto: the refused records, as they came, in rejected.ndjson"
	is "$(cat sum$proto)" \
	    "{\"read\":10,\"acked\":8,\"spooled\":0,\"rejected\":2,\"resumed\":0,\"complete\":false,\"spool\":\"$T/sp$proto\"}" \
	    "$proto: the summary counts them rejected, not acked"
	is "$(tail -n 1 err$proto)" \
	    "keruta-ship: warning: 10 records read, 8 acked, 2 rejected by the server, kept in '$T/sp$proto/rejected.ndjson'" \
	    "$proto: the summary line"
	is "$(grep -c 'refused' err$proto)" 2 "$proto: one warning per refused record"
	! grep -q s3cr3t err$proto
	check $? "$proto: the warnings quote no content"
done
grep -q "record 4 of run 'r1'.*INVALID_LEVEL" errws &&
    grep -q "record 7 of run 'r1'.*BAD_RECORD" errws
check $? "ws: each warning names the record and the server's reason"
grep -q "record 4 of run 'r1'.*HTTP 400" errrest &&
    grep -q "record 7 of run 'r1'.*HTTP 400" errrest
check $? "rest: each warning names the record and the status"

# Refusals in several frames in flight at once: 3000 records, batches of
# 1000 in one line each; bad levels at 5, 1500, 2000 (a frame's first
# record) and 3000 (the last of all).
awk 'BEGIN {
	for (i = 1; i <= 3000; i++) {
		lv = (i == 5 || i == 1500 || i == 2000 || i == 3000) ? "NOPE" : "INFO"
		printf "%s{\"type\":\"log\",\"runId\":\"r2\",\"seq\":%d,\"level\":\"%s\",\"message\":\"m %d\"}%s", \
		    (i % 1000 == 1) ? "[" : "", i, lv, i, (i % 1000 == 0) ? "]\n" : ","
	}
}' >big.ndjson
keruta-ship -u "$SERVE_WS" -t b -S spb --summary sumb <big.ndjson 2>errb
is $? 1 "several frames: exit 1"
is "$(count b)" 2996 "the other 2996 are stored"
is "$(jq -c '[.read, .acked, .spooled, .rejected, .complete]' sumb)" \
    "[3000,2996,0,4,false]" "4 rejected, 2996 acked"
is "$(jq -r .seq spb/rejected.ndjson | tr '\n' ' ')" "5 1500 2000 3000 " \
    "each refused record set aside once, in order"

# Many refusals: every one is set aside, the warnings are rate-limited.
awk 'BEGIN {
	printf "["
	for (i = 1; i <= 200; i++)
		printf "%s{\"runId\":\"r3\",\"seq\":%d,\"level\":\"%s\",\"message\":\"s3cr3t\"}", \
		    (i > 1 ? "," : ""), i, (i % 2 ? "BAD" : "INFO")
	printf "]\n"
}' >many.ndjson
keruta-ship -u "$SERVE_WS" -t c -S spc --summary sumc <many.ndjson 2>errc
is "$? $(count c) $(wc -l <spc/rejected.ndjson | tr -d ' ')" "1 100 100" \
    "100 refused of 200: all set aside, exit 1"
is "$(jq -c '[.acked, .rejected]' sumc)" "[100,100]" "and counted"
n=$(grep -c 'refused' errc)
test "$n" -ge 1 && test "$n" -le 20
check $? "the warnings are rate-limited ($n)"

# A refused record in one run does not hold back a clean one.
{ rec 1; echo; gen 1 5 r4 d; } >mixed.ndjson
printf '%s\n' "$bad4" >>mixed.ndjson
keruta-ship -u "$SERVE_WS" -t d -S spd --summary sumd <mixed.ndjson 2>errd
is "$? $(count d) $(jq -c '[.acked, .rejected]' sumd)" "1 6 [6,1]" \
    "records one a line: the refused one alone is set aside"
stop_serve
