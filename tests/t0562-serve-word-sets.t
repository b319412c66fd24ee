#!/bin/sh
# keruta-serve: zones without their word sets (a database of an older
# layout, a block whose rows changed): q= answers at once and in full by
# matching their rows, and the sets are made in steps while ingest and
# other requests go on; then q= answers the same from them.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "the word sets are the SQLite store's index"
plan 11

# A database whose 300,000 records have no word sets yet.
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
INSERT INTO spans VALUES(1, 1, 300000, 'r', 1);
INSERT INTO zones(tid, blk, min_ts, max_ts, n)
SELECT tid, id >> 10, min(ts), max(ts), count(*) FROM logs GROUP BY 1, 2;
UPDATE tasks SET first_ts = 1795860000000000001, last_ts = 1795860000000300000,
    first_tsstr = '2026-11-28T10:00:00Z', last_tsstr = '2026-11-28T10:00:00Z';
SQL
start_serve || exit 1

q() {
	curl -s "$SERVE_API/tasks/big/logs?q=$1&size=2&order=desc" |
	    jq -c '[.totalElements, [.content[].seq]]'
}
is "$(q needle) $(q 'line+299999')" '[300,[300000,299000]] [1,[299999]]' \
    "q= answers at once, in full"
curl -s -o /dev/null -H 'Expect:' -d '{"message":"meanwhile"}' "$SERVE_API/tasks/small/logs"
is "$(curl -s "$SERVE_API/tasks/small/logs?q=meanwhile" | jq -c '[.content[].message]')" \
    '["meanwhile"]' "what comes meanwhile is found too"
is "$(curl -s "$SERVE_API/tasks/big/logs/count?q=needle")" '{"count":300}' \
    "/count with q= agrees"
is "$(curl -s "$SERVE_API/tasks/big/logs/export?q=needle&format=txt" | wc -l)" 300 \
    "and so does an export with q="

# Steps of a few blocks, between the server's other work: every whole
# block gets its set (not the last one, being filled: its zones of both
# tasks).
wait_for 60 sh -c "sqlite3 '$SERVE_DB' 'SELECT count(*) FROM zones z LEFT JOIN zsets w USING (tid, blk) WHERE w.tok IS NULL' | grep -qx 2"
check $? "the zones of whole blocks get their sets"
is "$(sqlite3 "$SERVE_DB" "SELECT max(z.blk) FROM zones z LEFT JOIN zsets w USING (tid, blk) WHERE w.tok IS NULL AND z.tid = 1;
SELECT count(*) FROM zsets WHERE length(tok) % 10 = 0")" \
    "$(printf '%s\n%s' $((300000 >> 10)) $((300000 >> 10)))" \
    "all but the last one, each a whole number of entries"
is "$(q needle) $(q 'line+299999') $(q 'needle+lin*')" \
    '[300,[300000,299000]] [1,[299999]] [300,[300000,299000]]' \
    "q= answers the same from them"
c() { curl -s "$SERVE_API/tasks/big/logs/count?q=$1" | jq .count; }
# "line" is in every record, "needle" in one of 1000, "1000" in one, the
# phrase "line 7" in few: the counts of several words come from the sets
# when at most one of them is in some records of a zone but not all.
is "$(c needle) $(c line+needle) $(c needle+line+LINE) $(c needle+1000) $(c line+7-needle) $(c needle+lin*)" \
    "300 300 300 1 0 300" "and so does /count, for one word or several"
# Prefixes of 4 bytes or more are looked up by their first 4.
is "$(c need*) $(c NEEDL*) $(c 2999*) $(c 29990*) $(c 299990*) $(c needles*)" \
    "300 300 111 11 1 0" "and for prefixes"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"

# A stop gives every zone of a whole block its set, 256 zones to a
# transaction.
sqlite3 "$SERVE_DB" 'DELETE FROM zsets'
start_serve || exit 1
stop_serve
is "$(sqlite3 "$SERVE_DB" "SELECT count(*) FROM zsets;
SELECT count(*) FROM zones z LEFT JOIN zsets w USING (tid, blk)
WHERE w.tok IS NULL")" "$(printf '%s\n2' $((300000 >> 10)))" \
    "a stop makes the sets of all whole blocks"
