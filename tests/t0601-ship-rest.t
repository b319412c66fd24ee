#!/bin/sh
# keruta-ship -p rest: delivery, dedupe on replay, auth headers, 5xx, 4xx.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 22

start_peer
URL=http://127.0.0.1:$PORT/api/v1
{
	gen 1 300
	# a batch, as keruta-batch writes them
	gen 301 310 | jq -cs .
	gen 311 1000
} >in.ndjson
keruta-ship -p rest -u "$URL" -S sp --summary sum <in.ndjson 2>err
is $? 0 "all records delivered: exit 0"
is "$(cat sum)" "{\"read\":1000,\"acked\":1000,\"spooled\":0,\"rejected\":0,\"resumed\":0,\"complete\":true,\"spool\":\"$T/sp\"}" "the summary counts them"
stored_seqs >got
seq 1 1000 >want
diff_golden want got "every record stored exactly once, in order"
jq -c 'del(.taskId)' store | head -n 1 >got1
gen 1 1 | jq -c 'del(.taskId)' >want1
diff_golden want1 got1 "a record arrives unchanged"
is "$(ls sp)" "" "the spool is emptied"
grep -c '^POST /api/v1/tasks/t1/logs ' peer.log >/dev/null
check $? "POST to /tasks/{taskId}/logs, taskId from the records"
is "$(sed -n 1p peer.log | sed 's/.* type=//')" "application/x-ndjson expect=None" "NDJSON body, no Expect: 100-continue"

# Replaying the same file is harmless: the server dedupes.
keruta-ship -p rest -u "$URL" -S sp <in.ndjson 2>err
is $? 0 "a replay exits 0"
is "$(count_stored)" 1000 "a replay stores nothing twice"

# Auth headers.
: >peer.log
gen 1 1 | keruta-ship -p rest -u "$URL" -S sp -T tok1 -a key1 2>err
is "$(sed 's/ type=.*//' peer.log)" "POST /api/v1/tasks/t1/logs auth=Bearer tok1 key=key1" "--token and --api-key as headers"
: >peer.log
printf 'tok2\n' >tokfile
gen 1 1 | keruta-ship -p rest -u "$URL" -S sp --token-file tokfile 2>err
is "$(sed 's/ type=.*//' peer.log)" "POST /api/v1/tasks/t1/logs auth=Bearer tok2 key=None" "--token-file, newline stripped"
: >peer.log
gen 1 1 | KERUTA_API_TOKEN=tok3 KERUTA_API_KEY=key3 keruta-ship -p rest -u "$URL" -S sp 2>err
is "$(sed 's/ type=.*//' peer.log)" "POST /api/v1/tasks/t1/logs auth=Bearer tok3 key=key3" "KERUTA_API_TOKEN and KERUTA_API_KEY"
: >peer.log
gen 1 1 | KERUTA_AUTH_TOKEN=tok4 KERUTA_API_TOKEN=tok3 KERUTA_API_URL=$URL keruta-ship -p rest -t t9 -S sp 2>err
is "$(sed 's/ type=.*//' peer.log)" "POST /api/v1/tasks/t9/logs auth=Bearer tok4 key=None" "KERUTA_AUTH_TOKEN wins, KERUTA_API_URL, --task-id in the URL"
! grep -q tok4 err
check $? "the token never shows in diagnostics"
stop_peer

# 5xx and 429 are retried; 401 is given up after --retry-count.
start_peer --fail 3:503 --store "$T/store503"
URL=http://127.0.0.1:$PORT/api/v1
gen 1 50 | keruta-ship -p rest -u "$URL" -S sp --reconnect-interval 200ms 2>err
is $? 0 "503 three times, then stored: exit 0"
is "$(jq -r .seq store503 | sort -n | uniq | wc -l | tr -d ' ')" 50 "all 50 stored"
stop_peer
start_peer --token right
URL=http://127.0.0.1:$PORT/api/v1
gen 1 5 | keruta-ship -p rest -u "$URL" -S sp -T wrong --retry-count 1 \
    --reconnect-interval 100ms --drain-timeout 20s --summary-fd 3 3>sum 2>err
is $? 111 "401: given up after --retry-count, exit 111 without waiting"
is "$(jq -c '[.spooled, .complete]' sum)" "[5,false]" "the records stay spooled"
grep -q "giving up on 'http://127.0.0.1:$PORT/api/v1/tasks/t1/logs': HTTP status 401" err
check $? "and says why"
stop_peer

# A 4xx other than 408/429 is permanent for the records refused.
start_peer --reject-seq 7 --store "$T/store2"
URL=http://127.0.0.1:$PORT/api/v1
rm -rf sp
gen 1 20 | keruta-ship -p rest -u "$URL" -S sp 2>err
is $? 1 "a record refused for good: exit 1"
jq -r .seq sp/rejected.ndjson >got
is "$(cat got)" 7 "only the refused record is set aside"
jq -r .seq store2 | sort -n | tr '\n' ' ' >got
is "$(cat got)" "1 2 3 4 5 6 8 9 10 11 12 13 14 15 16 17 18 19 20 " "the others are stored"
