#!/bin/sh
# keruta-serve: a secret found after the fact. POST /api/v1/redactions
# (scope logs:admin) scrubs a value, in every encoding keruta-filter
# knows, from the messages, metadata strings and original bytes of the
# records of a scope; the rest stays. It is gone from every export, from
# q=, from the database files byte for byte; a viewer is told which
# records changed; the audit keeps who, when, the scope and the counts,
# never the value.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 26

printf 'the-secret-of-this-test-0123456789\n' >secret
start_serve --jwt-secret-file "$T/secret" || exit 1
A=$SERVE_API
ADMIN=$(jwt '{"sub":"alice","scope":"logs:read logs:write logs:admin"}')
RW=$(jwt '{"sub":"bob","scope":"logs:read logs:write"}')
S=hunter2zq9xv7k
b64=$(printf %s "$S" | base64)
post() {
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	    -H 'Content-Type: application/x-ndjson' --data-binary @"$2" \
	    "$A/tasks/$1/logs"
}
# a1: the value plain, base64, URL-encoded, in metadata, in the bytes of
# a line that was not UTF-8, and many lines around it; b1: the value too,
# but outside the scope; c1: another task of the prefix.
{
	printf '{"runId":"r","seq":1,"message":"login with %s ok"}\n' "$S"
	printf '{"runId":"r","seq":2,"message":"auth: Basic %s"}\n' "$b64"
	printf '{"runId":"r","seq":3,"message":"GET /x?p=%s%%21"}\n' "$S"
	printf '{"runId":"r","seq":4,"message":"meta","metadata":{"env":{"PW":"%s"},"n":3}}\n' "$S"
	printf '{"runId":"r","seq":5,"message":"pw \\ufffd%s","bytes":"%s"}\n' "$S" \
	    "$(printf '\377pw %s\n' "$S" | base64 -w0)"
	i=6
	while [ $i -le 3000 ]; do
		printf '{"runId":"r","seq":%d,"message":"line %d %s"}\n' $i $i \
		    "$([ $((i % 500)) -eq 0 ] && echo "$S" || echo quiet)"
		i=$((i + 1))
	done
} >a1.ndjson
printf '{"runId":"r","seq":1,"message":"other task %s"}\n' "$S" >b1.ndjson
printf '{"runId":"r","seq":1,"message":"also %s"}\n' "$S" >c1.ndjson
is "$(post app-a1 a1.ndjson) $(post other-b1 b1.ndjson) $(post app-c1 c1.ndjson)" \
    "200 200 200" "records stored"
get() { curl -s -H "Authorization: Bearer $ADMIN" "$@"; }
is "$(get "$A/tasks/app-a1/logs/count?q=$S")" '{"count":9}' \
    "before: q= finds the value"

# A viewer of app-a1, following.
echo '{"type":"subscribe"}' >sub
serve_ws "$SERVE_WS/app-a1" -H "Authorization: Bearer $ADMIN" --send sub \
    --timeout 60 >viewer &
viewer=$!
bg_pid $viewer
wait_for 10 grep -q '"live"' viewer
check $? "a viewer follows app-a1"

code=$(curl -s -o r.json -w '%{http_code}' -H "Authorization: Bearer $RW" \
    -d "{\"values\":[\"$S\"]}" "$A/redactions")
is "$code $(jq -r .error.message r.json)" "403 the token lacks scope logs:admin" \
    "without logs:admin: 403"
code=$(curl -s -o r.json -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    -d '{"values":["abc"]}' "$A/redactions")
is "$code $(jq -r .error.code r.json)" "400 BAD_PARAMETER" \
    "a value under 4 bytes: 400"
code=$(curl -s -o r.json -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    -d "{\"values\":[\"$S\"],\"taskPrefix\":\"app-\"}" "$A/redactions")
is "$code $(jq -c . r.json)" '202 {"id":1,"state":"running"}' \
    "202: the redaction's id, running"
wait_for 20 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' $A/redactions/1 |
    grep -q '\"state\":\"done\"'"
get "$A/redactions/1" | jq -c '[.id, .state, .who, .scope, .scanned, .changed]' >got
is "$(cat got)" '[1,"done","alice",{"taskPrefix":"app-"},3001,12]' \
    "the audit: who, scope, records looked at and changed"
is "$(get "$A/redactions" | jq -c '[.redactions[].id]')" '[1]' "listed"
get "$A/redactions" >audit
grep -q "$S" audit
is $? 1 "the audit never holds the value"

get "$A/tasks/app-a1/logs?size=5" | jq -r '.content[] | .message' >got
cat >want <<W
login with [REDACTED:retro] ok
auth: Basic [REDACTED:retro]s=
GET /x?p=[REDACTED:retro]%21
meta
pw �[REDACTED:retro]
W
diff_golden want got "messages scrubbed in each encoding (base64's last group left tells nothing)"
is "$(get "$A/tasks/app-a1/logs?size=5" | jq -c '.content[3].metadata')" \
    '{"env":{"PW":"[REDACTED:retro]"},"n":3}' "metadata scrubbed, the rest kept"
get "$A/tasks/app-a1/logs?size=5" | jq -r '.content[4].bytes' | base64 -d >bytes
printf '\377pw [REDACTED:retro]\n' >want
cmp -s want bytes
check $? "the original bytes scrubbed"
# Ten messages and a metadata string (csv and txt have no metadata).
for f in ndjson:11 json:11 csv:10 txt:10; do
	get "$A/tasks/app-a1/logs/export?format=${f%:*}" >export
	is "$(grep -o "$S" export | wc -l) $(grep -o 'REDACTED:retro' export |
	    wc -l)" "0 ${f#*:}" "export ${f%:*}: the value nowhere, scrubbed"
done
is "$(get "$A/tasks/app-a1/logs/count?q=$S")" '{"count":0}' \
    "q= finds it no more"
is "$(get "$A/tasks/app-a1/logs/count?q=quiet")" '{"count":2989}' \
    "the other lines are as they were"
is "$(get "$A/tasks/other-b1/logs" | jq -r '.content[0].message')" \
    "other task $S" "outside the scope: kept"
is "$(get "$A/tasks/app-c1/logs" | jq -r '.content[0].message')" \
    "also [REDACTED:retro]" "another task of the prefix: scrubbed"

# The files: only other-b1's record holds the value (the word index
# keeps hashes of words, not words).
if [ "${KR_STORE-}" != pg ]; then
	wait_for 10 sh -c "[ ! -s '$SERVE_DB-wal' ]"
	check $? "the WAL is truncated once the old text is out"
	n=$(cat "$SERVE_DB" "$SERVE_DB-wal" 2>/dev/null | grep -a -o "$S" |
	    wc -l)
	is "$n" 1 "the database files hold the value once: other-b1's record"
else
	# PostgreSQL: the old versions are vacuumed away (their space is
	# reused, not zeroed: keruta-serve(8) says so), in the partitions.
	wait_for 10 sh -c "[ \"\$(psql -qXAt '$SERVE_DB' -c \"SELECT
	    coalesce(sum(vacuum_count), 0) FROM pg_stat_user_tables WHERE
	    relname LIKE 'logs_%'\")\" \
	    -gt 0 ]"
	check $? "the old versions of the rows are vacuumed"
	is "$(psql -qXAt "$SERVE_DB" -c "SELECT count(*) FROM logs WHERE
	    position('$S' IN message || coalesce(extra, '')) > 0")" 1 \
	    "the table holds the value once: other-b1's record"
fi
# told() the ids the viewer was told of, and by which redaction.
told() {
	grep '"type":"redacted"' viewer | jq -c '[.redaction, .ids[]]' |
	    jq -sc 'map(.[1:]) | add | sort'
}
wait_for 10 sh -c "[ \"\$(grep '\"type\":\"redacted\"' viewer | jq -r '.ids[]' |
    wc -l)\" -ge 11 ]"
is "$(told)" "[1,2,3,4,5,500,1000,1500,2000,2500,3000]" \
    "the viewer was told of each of the eleven records it had (ids)"
is "$(grep '"type":"redacted"' viewer | jq -r .redaction | sort -u)" 1 \
    "by the redaction's id"
kill "$viewer"

# A redaction of one task whose records interleave with another's: its
# records, each looked at once; the other task's stay.
S2=swordfish4kq8zz
for b in 0 1 2 3 4 5 6 7 8 9; do
	for t in t-x t-y; do
		i=1
		while [ $i -le 30 ]; do
			printf '{"runId":"r","seq":%d,"message":"n %d %s"}\n' \
			    $((b * 30 + i)) $i "$([ $((i % 10)) -eq 0 ] && echo "$S2")"
			i=$((i + 1))
		done >x.ndjson
		post $t x.ndjson >/dev/null
	done
done
curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" \
    -d "{\"values\":[\"$S2\"],\"task\":\"t-x\"}" "$A/redactions"
wait_for 20 sh -c "curl -s -H 'Authorization: Bearer $ADMIN' $A/redactions/2 |
    grep -q '\"state\":\"done\"'"
is "$(get "$A/redactions/2" | jq -c '[.scope, .scanned, .changed]') $(get "$A/tasks/t-x/logs/count?q=$S2") $(get "$A/tasks/t-y/logs/count?q=$S2")" \
    '[{"task":"t-x"},300,30] {"count":0} {"count":30}' \
    "a task's redaction: its 300 records looked at, 30 changed; the other's kept"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
