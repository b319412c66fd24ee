#!/bin/sh
# keruta-serve: replies gzipped for a client that takes it (Accept-Encoding),
# exports streamed as well as pages; the bytes, once unzipped, the same as
# without; small replies, HEAD, the panel's files and clients that do not
# ask get them as they are.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 10

start_serve || exit 1
A=$SERVE_API
python3 -c '
for i in range(1, 30001):
    print("{\"runId\":\"r\",\"seq\":%d,\"message\":\"line %d of a log that repeats itself\"}" % (i, i))' >in
curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @in "$A/tasks/g/logs"
# fetch URL [ACCEPT]: the body in body, the headers' names and values that
# matter in head.
fetch() {
	curl -s -D h -o body ${2:+-H "Accept-Encoding: $2"} "$1"
	tr -d '\r' <h | grep -i '^content-encoding\|^vary' | tr 'A-Z' 'a-z' >head
}
fetch "$A/tasks/g/logs/export?format=ndjson"
cp body plain
fetch "$A/tasks/g/logs/export?format=ndjson" gzip
is "$(cat head)" "content-encoding: gzip
vary: accept-encoding" "an export, gzip asked: gzipped"
gzip -dc body | cmp -s - plain
check $? "the same bytes once unzipped ($(wc -c <plain) bytes, $(wc -c <body) gzipped)"
[ "$(wc -c <body)" -lt $(($(wc -c <plain) / 5)) ]
check $? "a fifth of the size at most"
fetch "$A/tasks/g/logs/export?format=csv" 'deflate, gzip;q=0.5'
gzip -dc body | head -n 1 | tr -d '\r' >got
is "$(cat got)" "id,timestamp,taskId,runId,seq,source,level,message" \
    "gzip among others, with a q: CSV gzipped"
fetch "$A/tasks/g/logs?size=1000" gzip
is "$(gzip -dc body | jq '.content | length')" 1000 "a page of 1000, gzipped"
fetch "$A/tasks/g/logs/export?format=ndjson" 'gzip;q=0'
is "$(cat head) $(cmp -s body plain && echo same)" " same" "gzip;q=0: as it is"
fetch "$A/tasks/g/logs/count" gzip
is "$(cat head)$(cat body)" '{"count":30000}' "a small reply: as it is"
fetch "$SERVE_URL/app.js" gzip
is "$(cat head)" "" "the panel's files: as they are (their ETag names them so)"
curl -s -I -H 'Accept-Encoding: gzip' "$A/tasks/g/logs?size=1000" |
    tr -d '\r' | grep -ci '^content-encoding' >n
is "$(cat n)" 0 "HEAD: no encoding"
fetch "$A/tasks/g/logs/export?format=json" br
is "$(cat head) $(jq length body)" " 30000" "another encoding asked: as it is"
stop_serve
