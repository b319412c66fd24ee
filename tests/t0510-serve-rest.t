#!/bin/sh
# keruta-serve: the REST API, every endpoint and its errors.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 69

start_serve || exit 1
A=$SERVE_API

# req METHOD PATH [DATA [CONTENT-TYPE]]: body in ./body, prints the status.
req() {
	if [ $# -ge 3 ]; then
		printf '%s' "$3" >req.data
		curl -s -o body -w '%{http_code}' -X "$1" -H 'Expect:' \
		    -H "Content-Type: ${4:-application/json}" \
		    --data-binary @req.data "$A$2"
	else
		curl -s -o body -w '%{http_code}' -X "$1" "$A$2"
	fi
}
msgs() { jq -c '[.content[].message]' body; }

# ---- ingest ----
is "$(req POST /tasks/t1/logs '{"level":"info","message":"hello","metadata":{"k":"v"}}')" \
    201 "one record, keruta form: 201"
is "$(jq -c 'del(.timestamp)' body)" \
    '{"id":1,"type":"log","taskId":"t1","source":"task","level":"INFO","message":"hello","metadata":{"k":"v"}}' \
    "the stored record comes back, level normalised, source defaulted"
jq -e '.timestamp | test("^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z$")' body >/dev/null
check $? "the server's timestamp is RFC 3339"

r='{"runId":"r1","seq":1,"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"first","lineNumber":1,"x":{"y":[1,2]}}'
is "$(req POST /tasks/t1/logs "$r")" 201 "a pipeline record: 201"
is "$(req POST /tasks/t1/logs "$r")" 200 "the same again: 200"
is "$(jq -c .id body)" 2 "a duplicate answers with the record stored first"

b='[{"runId":"r1","seq":2,"timestamp":"2026-11-28T10:00:01Z","source":"stderr","level":"ERROR","message":"disk full"},
{"runId":"r1","seq":3,"timestamp":"2026-11-28T10:00:02Z","source":"stdout","level":"WARN","message":"retrying, disk"},
{"runId":"r2","seq":1,"timestamp":"2026-11-28T10:00:03Z","source":"agent","level":"DEBUG","message":"start"}]'
is "$(req POST /tasks/t1/logs "$b")" 200 "an array: 200"
is "$(cat body)" '{"stored":3,"duplicates":0,"acks":[{"runId":"r1","seq":3},{"runId":"r2","seq":1}]}' \
    "counts and the highest seq per run"
req POST /tasks/t1/logs "$b" >/dev/null
is "$(cat body)" '{"stored":0,"duplicates":3,"acks":[{"runId":"r1","seq":3},{"runId":"r2","seq":1}]}' \
    "a replay stores nothing and still acks"
nd='{"runId":"r3","seq":1,"timestamp":"2026-11-28T10:00:04Z","source":"stdout","message":"nd one"}

[{"runId":"r3","seq":2,"timestamp":"2026-11-28T10:00:05Z","source":"stdout","level":"FATAL","message":"nd two"}]
'
is "$(req POST /tasks/t1/logs "$nd" application/x-ndjson)" 200 "NDJSON: 200"
is "$(jq -c '[.stored,.duplicates]' body)" "[2,0]" "NDJSON: records and batches"

# ---- refusals: nothing half-stored ----
is "$(req POST /tasks/t1/logs '{"level":"LOUD","message":"x"}')" 400 "bad level: 400"
is "$(cat body)" '{"error":{"code":"INVALID_LEVEL","message":"record 0: level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL","status":400}}' \
    "the error object"
is "$(req POST /tasks/t1/logs '{"message":"x"')" 400 "truncated JSON: 400"
is "$(jq -r .error.code body)" MALFORMED_REQUEST "MALFORMED_REQUEST"
is "$(req POST /tasks/t1/logs '{"level":"INFO","message":5}')" 400 "message a number: 400"
is "$(jq -r .error.code body)" BAD_RECORD "BAD_RECORD"
is "$(req POST /tasks/t1/logs '[{"message":"ok","runId":"z","seq":1},{"message":"x","seq":"2"}]')" \
    400 "one bad record in an array: 400"
is "$(req POST /tasks/t1/logs '{"message":"x","timestamp":"yesterday"}')" 400 "bad timestamp: 400"
is "$(jq -r .error.code body)" INVALID_TIMESTAMP "INVALID_TIMESTAMP"
is "$(req POST /tasks/t1/logs '{"message":"a\u00zzb"}')" 400 "a bad \\u escape: 400"
printf '{"message":"\377"}' >bad.json
is "$(curl -s -o body -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @bad.json "$A/tasks/t1/logs")" \
    400 "invalid UTF-8: 400"
is "$(jq -r .error.code body)" INVALID_UTF8 "INVALID_UTF8"
is "$(req POST /tasks/t1/logs '')" 400 "empty body: 400"
is "$(req POST /tasks/t1/logs '[1]')" 400 "an array of non-objects: 400"
is "$(req POST '/tasks/a%20b/logs' '{"message":"x"}')" 400 "bad taskId: 400"
is "$(req GET /tasks/t1/logs/count)" 200 "count"
is "$(cat body)" '{"count":7}' "nothing of the refused bodies was stored"

# ---- query ----
is "$(req GET '/tasks/t1/logs?level=WARN')" 200 "level=WARN"
is "$(msgs)" '["disk full","retrying, disk","nd two"]' "a minimum level"
req GET '/tasks/t1/logs?level=DEBUG,FATAL' >/dev/null
is "$(msgs)" '["start","nd two"]' "a list of levels"
req GET '/tasks/t1/logs?level=DEBUG&level=ERROR' >/dev/null
is "$(msgs)" '["disk full","start"]' "level repeated is a list"
req GET '/tasks/t1/logs?source=stderr,agent' >/dev/null
is "$(msgs)" '["disk full","start"]' "sources"
req GET '/tasks/t1/logs?from=2026-11-28T10:00:01Z&to=2026-11-28T10:00:03Z' >/dev/null
is "$(msgs)" '["disk full","retrying, disk"]' "from included, to excluded"
req GET '/tasks/t1/logs?q=disk' >/dev/null
is "$(msgs)" '["disk full","retrying, disk"]' "full text"
req GET '/tasks/t1/logs?q=ful*%20DISK' >/dev/null
is "$(msgs)" '["disk full"]' "full text: all words, prefix, any case"
req GET '/tasks/t1/logs?q=%22%28%29*:%20AND' >/dev/null
is "$(jq -c .content body)" '[]' "FTS syntax in q is just text"
req GET '/tasks/t1/logs?after=4' >/dev/null
is "$(jq -c '[.content[].id]' body)" '[5,6,7]' "after an id"
req GET '/tasks/t1/logs?page=1&size=2&order=desc' >/dev/null
is "$(jq -c '[[.content[].id],.totalElements,.totalPages,.size,.number]' body)" \
    '[[5,4],7,4,2,1]' "page, size, order, and the page fields"
req GET '/tasks/t1/logs?level=ERROR&page=0&size=1' >/dev/null
is "$(jq -c '[.totalElements,.totalPages]' body)" '[2,2]' "totals follow the filter"
req GET '/tasks/t1/logs' >/dev/null
is "$(jq -c '.content[1]' body)" "$(printf '%s' "$r" | jq -c '{id:2,type:"log",taskId:"t1"}+.')" \
    "unknown fields come back as they were sent"
for q in size=0 size=1001 page=-1 level=LOUD from=soon order=up after=x; do
	req GET "/tasks/t1/logs?$q"
	echo
done >codes
is "$(tr '\n' ' ' <codes)" "400 400 400 400 400 400 400 " "bad arguments: 400"
req GET '/tasks/nobody/logs' >/dev/null
is "$(cat body)" '{"content":[],"totalElements":0,"totalPages":0,"size":100,"number":0}' \
    "an unknown task: an empty page"
req GET '/tasks/t1/logs/count?level=DEBUG,INFO&source=stdout' >/dev/null
is "$(cat body)" '{"count":2}' "count with filters"
req GET '/tasks/t1/logs/count?q=disk' >/dev/null
is "$(cat body)" '{"count":2}' "count with full text"

# ---- stats, tasks ----
req GET /tasks/t1/logs/stats >/dev/null
is "$(jq -c 'del(.timeRange)' body)" '{"taskId":"t1","totalLogs":7,"logCounts":{"stdout":4,"stderr":1,"agent":1,"task":1},"levelCounts":{"TRACE":0,"DEBUG":1,"INFO":3,"WARN":1,"ERROR":1,"FATAL":1}}' \
    "stats"
req POST /tasks/t2/logs '[{"runId":"a","seq":1,"timestamp":"2026-11-28T09:00:00Z","source":"agent","message":"start","metadata":{"event":"start","pid":1}},
{"runId":"a","seq":2,"timestamp":"2026-11-28T09:00:05Z","source":"stderr","level":"ERROR","message":"boom"},
{"runId":"a","seq":3,"timestamp":"2026-11-28T09:00:09Z","source":"agent","level":"ERROR","message":"exit","metadata":{"event":"exit","exitCode":3}}]' >/dev/null
req GET /tasks/t2/logs/stats >/dev/null
is "$(jq -c .timeRange body)" '{"start":"2026-11-28T09:00:00Z","end":"2026-11-28T09:00:09Z"}' \
    "stats: time range"
is "$(req GET /tasks)" 200 "GET /tasks"
is "$(jq -c '[.tasks[] | [.taskId,.count,.errors,.firstTimestamp,.lastTimestamp,.status,.exitCode]] | .[1][4] |= test("Z$")' body)" \
    '[["t2",3,2,"2026-11-28T09:00:00Z","2026-11-28T09:00:09Z","exited",3],["t1",7,2,"2026-11-28T10:00:00Z",true,"running",null]]' \
    "tasks: counts, errors, times, status and exit code, newest first"
jq -e '.tasks[0].lastActivity | test("Z$")' body >/dev/null
check $? "tasks: last activity"

# ---- export ----
curl -s "$A/tasks/t2/logs/export?format=csv" >out
printf '%s\r\n' 'id,timestamp,taskId,runId,seq,source,level,message' \
    '8,2026-11-28T09:00:00Z,t2,a,1,agent,INFO,start' \
    '9,2026-11-28T09:00:05Z,t2,a,2,stderr,ERROR,boom' \
    '10,2026-11-28T09:00:09Z,t2,a,3,agent,ERROR,exit' >want
diff_golden want out "export csv"
curl -s "$A/tasks/t2/logs/export?format=txt&level=ERROR" >out
printf '%s\n' '2026-11-28T09:00:05Z ERROR stderr boom' \
    '2026-11-28T09:00:09Z ERROR agent exit' >want
diff_golden want out "export txt, with a filter"
curl -s "$A/tasks/t2/logs/export" | jq -c '[.id,.seq,.metadata]' >out
printf '%s\n' '[8,1,{"event":"start","pid":1}]' '[9,2,null]' \
    '[10,3,{"event":"exit","exitCode":3}]' >want
diff_golden want out "export ndjson (the default)"
is "$(curl -s "$A/tasks/t2/logs/export?format=json" | jq -c '[.[].id]')" "[8,9,10]" \
    "export json"
is "$(req GET '/tasks/t2/logs/export?format=xml')" 400 "export: bad format: 400"
# A large export is streamed in chunks.
seq 1 3000 | awk '{printf "{\"runId\":\"big\",\"seq\":%d,\"message\":\"line %d %s\"}\n", $1, $1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' >big.ndjson
curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' --data-binary @big.ndjson \
    "$A/tasks/big/logs" >/dev/null
curl -s "$A/tasks/big/logs/export" | jq -r .seq >out
seq 1 3000 >want
diff_golden want out "a 3000-record export, in order, complete"

# ---- delete ----
is "$(req DELETE '/tasks/t1/logs?before=2026-11-28T10:00:02Z')" 200 "DELETE before="
is "$(cat body)" '{"deletedCount":2,"message":"deleted 2 records"}' "deletedCount"
req GET /tasks/t1/logs/count >/dev/null
is "$(cat body)" '{"count":5}' "the rest is kept"
req DELETE /tasks/t2/logs >/dev/null
is "$(jq -c .deletedCount body)" 3 "DELETE all"
req GET /tasks >/dev/null
is "$(jq -c '[.tasks[].taskId]' body)" '["big","t1"]' "an emptied task leaves the list"
is "$(req DELETE '/tasks/t1/logs?before=never')" 400 "DELETE with a bad before: 400"

# ---- the rest ----
is "$(req GET /nope/x)" 404 "unknown path: 404"
is "$(req GET /tasks/t1/other)" 404 "unknown resource: 404"
is "$(req PUT /tasks/t1/logs '{}')" 405 "PUT: 405"
is "$(req POST /tasks '{}')" 405 "POST /tasks: 405"
is "$(curl -s "$SERVE_URL/health" | jq -c '[.status,.version]')" '["UP","0.1.0"]' "/health"
curl -s "$SERVE_URL/metrics" >m
grep -q '^keruta_records_ingested_total 3010$' m &&
    grep -q '^keruta_records_duplicate_total 4$' m &&
    grep -q '^keruta_http_request_duration_seconds_bucket{le="+Inf"} [1-9]' m &&
    grep -q '^keruta_db_size_bytes [1-9]' m &&
    if [ "${KR_STORE-}" = pg ]; then
	grep -q '^keruta_db_cache_bytes 0$' m
    else
	grep -q '^keruta_db_cache_bytes [1-9][0-9]*$' m
    fi
check $? "/metrics: counters, histogram, db size, page cache"
stop_serve
is "$SERVE_RC" 0 "stops cleanly"
