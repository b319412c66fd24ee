#!/bin/sh
# keruta-serve on PostgreSQL: the records are partitioned by the time they
# came (--partition), and retention drops whole partitions rather than
# deleting each row; what their records added to the counts and the task
# list goes with them, and records of an old time that came late still go
# one by one.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 10

pg_own
SERVE_DB=$(pg_db ret) || exit 1
start_serve --partition 1s --retention 3s || exit 1
sql() { psql -qXAt "$SERVE_DB" -c "$1"; }

post() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "$2" "$SERVE_API/tasks/$1/logs"
}
codes=
i=1
while [ $i -le 12 ]; do
	codes="$codes$(post new "{\"runId\":\"r\",\"seq\":$i,\"message\":\"m$i\"}")"
	date +%s%3N >>posted
	i=$((i + 1))
	sleep 0.5
done
is "$codes" "$(printf '201%.0s' 1 2 3 4 5 6 7 8 9 10 11 12)" "12 records stored, one each half second"
parts=$(sql "SELECT count(*) FROM parts")
check $([ "$parts" -ge 2 ] && [ "$parts" -le 6 ] && echo 0 || echo 1) \
    "partitions come and go: $parts now, of some 7 seconds"
is "$(sql "SELECT count(*) FROM pg_inherits i
    WHERE inhparent = 'logs'::regclass AND NOT EXISTS (SELECT 1 FROM parts
    WHERE 'logs_' || (lo >> 32) = i.inhrelid::regclass::text)")" 0 \
    "each partition of logs is one of them"
is "$(sql "SELECT min(lo) > 0 FROM parts")" t "the first ones were dropped"
grep -q 'retention: deleted' "$SERVE_LOG"
check $? "the log says what retention deleted"

# What is left is what is younger than 3 seconds, and the counts agree:
# at least those stored in the last 2 s (however slowly they came, as
# under the sanitizers), and not the first ones.
now=$(date +%s%3N)
young=$(awk -v now="$now" 'now - $1 < 2000' posted | wc -l)
n=$(curl -s "$SERVE_API/tasks/new/logs/count" | jq .count)
check $([ "$n" -ge "$young" ] && [ "$n" -le 11 ] && echo 0 || echo 1) \
    "the records of the last 3 seconds or so are kept ($n, $young of them younger than 2 s)"
is "$(curl -s "$SERVE_API/tasks/new/logs?size=1&order=desc" | jq -r '.content[0].message')" \
    m12 "the newest among them"
is "$(db_sound)" ok "the counts equal the rows"

# A record of 2020 that comes now lands in today's partition: it goes
# alone, and its task with it.
post late '{"runId":"r","seq":1,"timestamp":"2020-01-01T00:00:00Z","message":"late"}' >/dev/null
wait_for 10 sh -c "! curl -s '$SERVE_API/tasks' | grep -q '\"late\"'"
check $? "a record of an old time that came late goes too, and its task"
keruta-serve --partition 500ms -d "$SERVE_DB" 2>err
is "$? $(cat err)" "100 keruta-serve: fatal: bad --partition '500ms' (1s to 366d)" \
    "a partition under a second: bad usage"
