#!/bin/sh
# keruta-serve: batches that mix new records with duplicates of stored ones
# and of each other store each record once, in the order sent, with ids
# that leave no hole.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 8

start_serve || exit 1
A=$SERVE_API
# recs SEQ...: an NDJSON batch of run r with these seqs.
recs() {
	for q in "$@"; do
		printf '{"runId":"r","seq":%d,"message":"m%d"}\n' "$q" "$q"
	done
}
post() {
	curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
	    --data-binary @- "$A/tasks/d/logs"
}

recs $(seq 1 300) | post >r1
is "$(jq -c '[.stored,.duplicates]' r1)" "[300,0]" "300 new records"
# Every third one again, 150 new ones, and a seq twice in the batch.
recs $(seq 3 3 300) $(seq 301 450) 400 | post >r2
is "$(jq -c '[.stored,.duplicates]' r2)" "[150,101]" \
    "mixed with 101 duplicates: 150 stored"
recs $(seq 1 450) | post >r3
is "$(jq -c '[.stored,.duplicates]' r3)" "[0,450]" "all again: all duplicates"
recs 451 5 452 | post >r4
is "$(jq -c '[.stored,.duplicates]' r4)" "[2,1]" "a duplicate between two new ones"
curl -s "$A/tasks/d/logs/export?format=ndjson" >all
is "$(wc -l <all | tr -d ' ')" 452 "452 records"
is "$(jq -s -c '[.[].seq] == ([range(1; 453)])' all)" true \
    "each once, in the order sent"
is "$(jq -s -c '[.[].id] == ([range(1; 453)])' all)" true \
    "ids 1 to 452, without a hole"
is "$(curl -s -H 'Expect:' -d '{"message":"next"}' "$A/tasks/d/logs" | jq .id)" 453 \
    "the next id is 453"
stop_serve
