#!/bin/sh
# keruta-serve: q= finds records the full-text index has not reached yet,
# and the index catches up by itself. On PostgreSQL it does so on a
# connection of its own while the server goes on answering; on SQLite the
# zones of whole blocks get their word sets as the next block begins.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 6

start_serve || exit 1
A=$SERVE_API
python3 -c '
for i in range(1, 30001):
    print("{\"runId\":\"r\",\"seq\":%d,\"message\":\"alpha %d\"}" % (i, i))
print("{\"runId\":\"r\",\"seq\":30001,\"message\":\"the needle\"}")
' >recs
is "$(curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @recs "$A/tasks/t/logs" | jq -c '[.stored, .duplicates]')" \
    "[30001,0]" "30001 records stored"
found() {
	curl -s "$A/tasks/t/logs?q=$1&size=1&order=desc" | jq -c '[.totalElements, .content[0].seq]'
}
is "$(found needle)" "[1,30001]" "q= finds the last one at once"
is "$(found alpha)" "[30000,30000]" "and the 30000 others"
if expr "$SERVE_DB" : postgres >/dev/null; then
	wait_for 30 sh -c "psql -qXAt '$SERVE_DB' -c \
	    'SELECT count(*) FROM logs WHERE tsv IS NULL' | grep -qx 0"
	check $? "the index catches up by itself"
else
	is "$(sqlite3 "$SERVE_DB" "SELECT count(*), sum(w.tok IS NULL), max(z.blk) FILTER
	    (WHERE w.tok IS NOT NULL) FROM zones z LEFT JOIN zsets w USING (tid, blk)")" "30|1|28" \
	    "the index is there at once: the 29 whole blocks have their word sets"
fi
is "$(found needle) $(found alpha)" "[1,30001] [30000,30000]" \
    "q= finds the same once they are indexed"
is "$(curl -s "$A/tasks/t/logs?q=alpha+3000*&order=desc" |
    jq -c '[.totalElements, [.content[].seq]]')" "[2,[30000,3000]]" \
    "a prefix among them"
stop_serve
