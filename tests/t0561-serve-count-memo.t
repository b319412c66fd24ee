#!/bin/sh
# keruta-serve: a count that reads the rows (q=, after=, ranges with a
# level) is remembered for the next page, and stays exact as records
# arrive and are deleted, for each query and task on its own.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 23

start_serve || exit 1
A=$SERVE_API
# post TASK FIRST LAST WORD: records FIRST..LAST saying "WORD n".
post() {
	awk -v a="$2" -v b="$3" -v w="$4" 'BEGIN { for (i = a; i <= b; i++)
		printf "{\"runId\":\"r\",\"seq\":%d,\"level\":\"%s\",\"source\":\"stdout\",\"message\":\"%s %d\"}\n",
		    i, (i % 4 ? (i % 7 ? "INFO" : "DEBUG") : (i % 8 ? "WARN" : "ERROR")), w, i }' |
	curl -s -o /dev/null -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
	    --data-binary @- "$A/tasks/$1/logs"
}
total() { curl -s "$A/tasks/$1/logs?$2" | jq .totalElements; }

post t 1 300 apple
post t 301 400 pear
post u 1 50 apple
is "$(total t 'q=apple&size=10')" 300 "q=apple: 300"
is "$(total t 'q=apple&size=10&page=3')" 300 "the next page: the same"
post t 401 450 apple
post t 451 460 pear
is "$(total t 'q=apple&size=10&page=4')" 350 "50 more that match: 350"
is "$(total t 'q=pear&size=10')" 110 "another query, its own count: 110"
is "$(total u 'q=apple&size=10')" 50 "another task, its own count: 50"
is "$(total t 'q=apple&level=WARN&size=10')" 87 "q= with a level: 87"
is "$(curl -s "$A/tasks/t/logs/count?q=apple")" '{"count":350}' "/count agrees"
is "$(total t 'after=400&q=apple')" 50 "after= and q=: 50"
# Blocks of ids that task t has to itself, and blocks it shares with v:
# the full-text count by ranges agrees with reading every record.
post t 1001 3500 apple
i=0
while [ $i -lt 20 ]; do
	post t $((3501 + i * 50)) $((3550 + i * 50)) apple
	post v $((1 + i * 50)) $((50 + i * 50)) apple
	i=$((i + 1))
done
post t 4501 6000 pear
post t 6001 6500 apple
for task in t v; do
	for q in apple pear; do
		want=$(total $task "q=$q&source=stdout")
		is "$(total $task "q=$q&size=5")" "$want" \
		    "task $task, q=$q: $want, as record by record"
	done
done
is "$(total t 'q=apple&after=3600')" \
    "$(total t 'q=apple&after=3600&source=stdout')" "and with after= in a shared block"
for lv in WARN DEBUG,WARN ERROR DEBUG,ERROR; do
	for task in t v; do
		want=$(total $task "q=apple&level=$lv&after=1000&source=stdout")
		is "$(total $task "q=apple&level=$lv&after=1000")" "$want" \
		    "task $task, q=apple, level=$lv, after=: $want, as record by record"
	done
done
first=$(curl -s "$A/tasks/t/logs?size=1&order=asc" | jq .content[0].id)
curl -s -X DELETE "$A/tasks/t/logs" >/dev/null
post t 461 470 apple
is "$(total t 'q=apple&size=10')" 10 "after a delete and 10 more: 10"
is "$(total t "after=$first&q=apple")" 10 "and with after=: 10"
stop_serve
