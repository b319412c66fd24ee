#!/bin/sh
# keruta-serve: a q= query that arrives while the full-text index is far
# behind waits for it to catch up, in steps, without holding up anyone
# else; then it answers in full.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "q= waits while the index catches up; on PostgreSQL a query reads the rows not indexed yet (t0581)"
plan 6

# A database whose 300,000 records are not in the full-text index yet.
start_serve || exit 1
stop_serve
sqlite3 "$SERVE_DB" >/dev/null <<'SQL'
INSERT INTO tasks(tid, name) VALUES(1, 'big');
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300000)
INSERT INTO logs(id, tid, run, seq, ts, tsstr, level, source, message)
SELECT i, 1, 'r', i, 1795860000000000000 + i, '2026-11-28T10:00:00Z', 2,
    'stdout', 'line ' || i || CASE WHEN i % 1000 = 0 THEN ' needle' ELSE '' END
FROM c;
INSERT INTO counts VALUES(1, 2, 'stdout', 300000);
INSERT INTO zones SELECT tid, id >> 10, min(ts), max(ts), count(*) FROM logs GROUP BY 1, 2;
UPDATE tasks SET first_ts = 1795860000000000001, last_ts = 1795860000000300000,
    first_tsstr = '2026-11-28T10:00:00Z', last_tsstr = '2026-11-28T10:00:00Z';
SQL
start_serve || exit 1

(curl -s "$SERVE_API/tasks/big/logs?q=needle&size=2&order=desc" >q.out
    echo query >>order) &
qp=$!
bg_pid $qp
sleep 0.05
curl -s -o /dev/null -H 'Expect:' -d '{"message":"meanwhile"}' "$SERVE_API/tasks/small/logs"
echo post >>order
curl -s -o /dev/null "$SERVE_URL/health"
echo health >>order
wait $qp
is "$(head -n 2 order | tr '\n' ' ')" "post health " \
    "while the index catches up, ingest and other requests go on"
is "$(jq -c '[.totalElements, [.content[].seq]]' q.out)" '[300,[300000,299000]]' \
    "then the query answers in full"
is "$(curl -s "$SERVE_API/tasks/small/logs?q=meanwhile" | jq -c '[.content[].message]')" \
    '["meanwhile"]' "what came meanwhile is found too"
is "$(curl -s "$SERVE_API/tasks/big/logs/count?q=needle")" '{"count":300}' \
    "/count with q= agrees"
is "$(curl -s "$SERVE_API/tasks/big/logs/export?q=needle&format=txt" | wc -l)" 300 \
    "and so does an export with q="
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
