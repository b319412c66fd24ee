#!/bin/sh
# keruta-serve: each record's timestamp comes back as it was sent, in
# every form RFC 3339 allows, in pages, exports and searches, and as a
# task's first and last once a deletion makes them again. On SQLite, a
# timestamp that is the one its nanoseconds format to (as keruta-capture
# writes them, the common case) takes no room of its own in the row.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
# The rows as stored are the SQLite store's: one check fewer on PostgreSQL.
if expr "${KR_STORE-}" : pg >/dev/null; then plan 6; else plan 7; fi

start_serve || exit 1
A=$SERVE_API
cat >ts <<'EOF'
1969-12-31T23:59:59.999999999Z
2026-12-06T06:14:34.573452948Z
2026-12-06T06:14:34.573452948z
2026-12-06t06:14:34.573452948Z
2026-12-06 06:14:34.573452948Z
2026-12-06T06:14:34.57345294Z
2026-12-06T06:14:34Z
2026-12-06T08:14:34.573452948+02:00
2026-12-06T06:14:34.573452948-00:00
1700-01-01T00:00:00.000000001Z
2261-12-31T23:59:59.999999999Z
EOF
awk '{ printf "{\"runId\":\"r\",\"seq\":%d,\"timestamp\":\"%s\",\"message\":\"m%d\"}\n", NR, $0, NR }' ts >recs
curl -s -o /dev/null -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @recs "$A/tasks/t/logs"
is "$(curl -s "$A/tasks/t/logs?size=100" | jq -r '.content[].timestamp')" \
    "$(cat ts)" "a page: each timestamp as sent"
is "$(curl -s "$A/tasks/t/logs/export?format=ndjson" | jq -r .timestamp)" \
    "$(cat ts)" "an export: the same"
is "$(curl -s "$A/logs?q=m2&task=t" | jq -r '.content[].timestamp')" \
    "2026-12-06T06:14:34.573452948Z" "a search across tasks: the same"
# A search of every task without q= reads rows in id order, not through
# spans: each row's span gives its runId and seq (SQLite) all the same.
is "$(curl -s "$A/logs?size=100" | jq -r '[.content[] | "\(.runId):\(.seq):\(.timestamp)"] | reverse | join(" ")')" \
    "$(awk '{ printf "%sr:%d:%s", (NR > 1 ? " " : ""), NR, $0 }' ts)" \
    "and a search of every task, with runId and seq"
if ! expr "${KR_STORE-}" : pg >/dev/null; then
	is "$(sqlite3 "$SERVE_DB" "SELECT group_concat(length(tsstr), ' ') FROM logs")" \
	    "0 0 30 30 30 29 20 35 35 0 0" \
	    "the rows: no timestamp kept where its nanoseconds give it back"
fi

# A deletion of the earliest makes the first and last again, from rows.
curl -s -o /dev/null -X DELETE \
    "$A/tasks/t/logs?before=2000-01-01T00:00:00Z"
is "$(curl -s "$A/tasks" | jq -c '.tasks[] | [.count, .firstTimestamp, .lastTimestamp]')" \
    '[9,"2026-12-06T06:14:34Z","2261-12-31T23:59:59.999999999Z"]' \
    "a task's first and last after a deletion: as sent"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
