#!/bin/sh
# keruta-serve: batches that mix new records with duplicates of stored ones
# and of each other store each record once, in the order sent, with ids
# that leave no hole; so do WebSocket batches sent at once, which a server
# stores in one transaction, duplicates of each other among them.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 13

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

# wrecs RUN FIRST LAST: a WebSocket batch of RUN's seqs FIRST to LAST.
wrecs() {
	seq "$2" "$3" | jq -c -s --arg r "$1" \
	    'map({runId: $r, seq: ., message: "\($r) \(.)"})'
}
{
	wrecs a 1 50
	wrecs a 1 50
	wrecs a 40 80
	wrecs b 1 20
	wrecs a 81 90 | jq -c ". + $(wrecs b 15 30)"
	echo '[{"message":"x"},{"message":"y"},{"message":"x"}]'
} >frames
serve_ws "$SERVE_WS/w" --send frames --stop-count 7 >acks
is "$(jq -s -c 'map([.runId, .seq])' acks)" \
    '[["a",50],["a",50],["a",80],["b",20],["a",90],["b",30],[null,null]]' \
    "six batches sent at once: each acked, each run"
curl -s "$A/tasks/w/logs/export?format=ndjson" >w
is "$(jq -s -c 'map([.runId, .seq])' w)" \
    "$(jq -n -c '[range(1; 81) | ["a", .]] + [range(1; 21) | ["b", .]] +
    [range(81; 91) | ["a", .]] + [range(21; 31) | ["b", .]] +
    [[null, null], [null, null], [null, null]]')" \
    "each record of theirs once, in the order sent"
is "$(jq -s -c '(map(.id) | . == [range(.[0]; .[0] + 123)])' w)" true \
    "their ids without a hole"

# A body of 10 MB, twice: stored once (on PostgreSQL, written before the
# transaction ends: more than 8 MB waits for COPY).
python3 -c '
for i in range(1, 40001):
    print("{\"runId\":\"big\",\"seq\":%d,\"message\":\"%s %d\"}" % (i, "z" * 220, i))
' >big
for i in 1 2; do
	curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
	    --data-binary @big "$A/tasks/big/logs" | jq -c '[.stored, .duplicates]'
done >bigr
is "$(tr '\n' ' ' <bigr)" "[40000,0] [0,40000] " "10 MB twice: stored once"
is "$(curl -s "$A/tasks/big/logs/count")" '{"count":40000}' "and counted once"
stop_serve
