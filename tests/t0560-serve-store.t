#!/bin/sh
# keruta-serve: the store under load. Time ranges, levels and deletions on
# tasks whose records interleave and whose timestamps go back and forth;
# an older database is brought up to date; what is acked survives kill -9.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 34

# 3000 records of task a, 1500 of task b in between, over 4500 seconds
# with timestamps that jump back and forth; a few WARN and ERROR.
python3 - <<'PY'
import json, random
random.seed(7)
a, b = open("a.ndjson", "w"), open("b.ndjson", "w")
lv = ["INFO"] * 17 + ["WARN", "ERROR", "DEBUG"]
for i in range(1, 4501):
    t = 1000 + (i * 7919) % 4500          # a permutation of the seconds
    r = {"runId": "r", "timestamp": "2026-11-28T%02d:%02d:%02dZ"
         % (t // 3600, t // 60 % 60, t % 60),
         "level": lv[i % 20], "message": "m%d" % i}
    f = b if i % 3 == 0 else a
    r["seq"] = i
    f.write(json.dumps(r) + "\n")
PY
start_serve || exit 1
A=$SERVE_API
post() {
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @- "$A/tasks/$1/logs"
}
# Interleave: 50 records of a, 25 of b, and so on.
i=0
while [ $i -lt 60 ]; do
	sed -n "$((i * 50 + 1)),$((i * 50 + 50))p" a.ndjson | post a
	sed -n "$((i * 25 + 1)),$((i * 25 + 25))p" b.ndjson | post b
	i=$((i + 1))
done | sort -u >codes
is "$(cat codes)" 200 "4500 records stored, a and b interleaved"

# want FILTER: the messages of task a that jq selects, in id order.
want() { jq -r "select($1) | .message" a.ndjson; }
got() { curl -s "$A/tasks/a/logs/export?format=txt&$1" | awk '{print $NF}'; }
FR=2026-11-28T00:40:00Z TO=2026-11-28T01:00:00Z
want ".timestamp >= \"$FR\" and .timestamp < \"$TO\"" >want
got "from=$FR&to=$TO" >got
diff_golden want got "from and to, timestamps out of order"
is "$(curl -s "$A/tasks/a/logs/count?from=$FR&to=$TO" | jq .count)" "$(wc -l <want | tr -d ' ')" \
    "count of the same range"
want ".timestamp >= \"$FR\"" >want
got "from=$FR" >got
diff_golden want got "from alone"
want ".timestamp < \"$TO\" and (.level == \"WARN\" or .level == \"ERROR\")" >want
got "to=$TO&level=WARN" >got
diff_golden want got "to and a level"
want '.level == "ERROR"' >want
got "level=ERROR" >got
diff_golden want got "one level"
want '.level == "DEBUG" or .level == "WARN"' >want
got "level=DEBUG,WARN" >got
diff_golden want got "a list of levels"
# Pages of a range, newest first.
want ".timestamp >= \"$FR\" and .timestamp < \"$TO\"" | tac | sed -n '21,40p' >want
curl -s "$A/tasks/a/logs?from=$FR&to=$TO&order=desc&size=20&page=1" |
    jq -r '.content[].message' >got
diff_golden want got "page 1 of a range, newest first"

# Deleting by time, then the time range of what is left.
D=2026-11-28T00:50:00Z
curl -s -X DELETE "$A/tasks/a/logs?before=$D" | jq .deletedCount >got
is "$(cat got)" "$(want ".timestamp < \"$D\"" | wc -l | tr -d ' ')" "DELETE before=: the count"
want ".timestamp >= \"$D\"" >want
got "" >got
diff_golden want got "DELETE before=: the rest, whatever their order"
is "$(curl -s "$A/tasks/a/logs/count?from=$FR&to=$TO" | jq .count)" \
    "$(want ".timestamp >= \"$D\" and .timestamp >= \"$FR\" and .timestamp < \"$TO\"" | wc -l | tr -d ' ')" \
    "DELETE before=: the count of a range after it"
first=$(jq -r "select(.timestamp >= \"$D\") | .timestamp" a.ndjson | sort | head -n 1)
last=$(jq -r '.timestamp' a.ndjson | sort | tail -n 1)
is "$(curl -s "$A/tasks/a/logs/stats" | jq -c '[.timeRange.start,.timeRange.end]')" \
    "[\"$first\",\"$last\"]" "stats: the time range of what is left"
is "$(curl -s "$A/tasks/b/logs/count" | jq .count)" 1500 "the other task is untouched"

# What requests add to a task's counts and times, whatever they hold:
# thousands of records at times out of order, more sources than a
# summary holds, a source as long as can be, a source with a NUL.
python3 - <<'PY'
import json
def out(name, recs):
    with open(name, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
out("s1", [{"runId": "s", "seq": i, "source": "stdout", "message": "x",
            "timestamp": "2026-11-28T01:%02d:%02dZ" % (i * 7 % 60, i % 60)}
           for i in range(1, 3001)])
out("s2", [{"runId": "s", "seq": 3001 + i, "source": "src%d" % i,
            "level": "WARN", "message": "y",
            "timestamp": "2026-11-28T00:59:%02dZ" % i} for i in range(10)])
out("s3", [{"runId": "s", "seq": 3011, "source": "l" * 64, "message": "z",
            "timestamp": "2026-11-28T00:00:01Z"}])
out("s4", [{"runId": "s", "seq": 3012 + i, "source": "n\u0000ul",
            "level": "ERROR", "message": "z",
            "timestamp": "2026-11-28T03:00:0%dZ" % (1 - i)} for i in range(2)])
PY
for f in s1 s2 s3 s4; do post s <$f; done | tr '\n' ' ' >got
is "$(cat got)" "200 200 200 200 " "records with many sources stored"
curl -s "$A/tasks/s/logs/stats" | jq -r '.totalLogs, (.logCounts |
    to_entries[] | "\(.key | @json) \(.value)"), .levelCounts.INFO,
    .levelCounts.WARN, .levelCounts.ERROR, .timeRange.start,
    .timeRange.end' | LC_ALL=C sort | tr '\n' ' ' >got
is "$(cat got)" "$(printf '%s\n' 3013 3001 10 2 2026-11-28T00:00:01Z \
    2026-11-28T03:00:01Z "\"$(printf 'l%.0s' $(seq 64))\" 1" \
    '"n\u0000ul" 2' '"src0" 1' '"src1" 1' '"src2" 1' '"src3" 1' '"src4" 1' \
    '"src5" 1' '"src6" 1' '"src7" 1' '"src8" 1' '"src9" 1' '"stdout" 3000' \
    '"agent" 0' '"stderr" 0' | LC_ALL=C sort | tr '\n' ' ')" \
    "stats: each source, level and the time range"
stop_serve

# What was acked is stored, even when the server is killed right after.
start_serve || exit 1
for k in 1 2 3; do
	seq 1 40 | awk -v k=$k '{ printf "["; for (i = 1; i <= 50; i++)
	    printf "%s{\"runId\":\"k%d\",\"seq\":%d,\"message\":\"x\"}", (i > 1 ? "," : ""), k, ($1 - 1) * 50 + i
	    print "]" }' >frames$k
	serve_ws "$SERVE_WS/d" --send frames$k --stop-count 40 --timeout 20 >acks$k &
	eval "p$k=\$!"
done
wait $p1 $p2 $p3
kill9_serve
start_serve || exit 1
for k in 1 2 3; do
	echo "{\"type\":\"resume\",\"runId\":\"k$k\"}" |
	    serve_ws "$SERVE_WS/d" --send - --stop-count 1 | jq .seq
done | tr '\n' ' ' >got
is "$(cat got)" "2000 2000 2000 " "three shippers at once: every acked record is there"
is "$(tail -qn 1 acks1 acks2 acks3 | jq -c .seq | tr '\n' ' ')" "2000 2000 2000 " \
    "and each got its last ack"
stop_serve

# The tables every layout up to 4 had, as the first made them.
first_tables() {
	cat <<'SQL'
CREATE TABLE tasks(tid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, first_ts INTEGER, last_ts INTEGER, first_tsstr TEXT, last_tsstr TEXT, last_activity INTEGER, exited INTEGER NOT NULL DEFAULT 0, exit_code INTEGER);
CREATE TABLE counts(tid INTEGER NOT NULL, level INTEGER NOT NULL, source TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(tid, level, source)) WITHOUT ROWID;
CREATE TABLE logs(id INTEGER PRIMARY KEY, tid INTEGER NOT NULL, run TEXT, seq INTEGER, ts INTEGER NOT NULL, tsstr TEXT NOT NULL, level INTEGER NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL, extra TEXT);
CREATE UNIQUE INDEX logs_key ON logs(tid, run, seq);
CREATE INDEX logs_tid ON logs(tid);
SQL
}

# A database of the first layout is brought up to date.
SERVE_DB=$T/old.db
{ first_tables; cat <<'SQL'; } | sqlite3 "$SERVE_DB"
CREATE INDEX logs_level ON logs(tid, level);
CREATE INDEX logs_ts ON logs(tid, ts);
CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='logs', content_rowid='id');
CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);
INSERT INTO meta VALUES('next_id', 4), ('fts_mark', 0);
INSERT INTO tasks VALUES(1, 'old', 1795860000000000000, 1795860002000000000, '2026-11-28T10:00:00Z', '2026-11-28T10:00:02Z', 0, 0, NULL);
INSERT INTO logs VALUES(1, 1, 'o', 1, 1795860002000000000, '2026-11-28T10:00:02Z', 4, 'stderr', 'late', NULL);
INSERT INTO logs VALUES(2, 1, 'o', 2, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'early', NULL);
INSERT INTO logs VALUES(3, 1, 'o', 3, 1795860001000000000, '2026-11-28T10:00:01Z', 3, 'stdout', 'middle', NULL);
INSERT INTO counts VALUES(1, 4, 'stderr', 1), (1, 2, 'stdout', 1), (1, 3, 'stdout', 1);
SQL
start_serve || exit 1
is "$(curl -s "$SERVE_API/tasks/old/logs?from=2026-11-28T10:00:01Z&level=WARN" | jq -c '[.content[].message]')" \
    '["late","middle"]' "an older database: ranges and levels after the update"
is "$(curl -s "$SERVE_API/tasks/old/logs/count?from=2026-11-28T10:00:01Z")" '{"count":2}' \
    "an older database: the count of a range"
curl -s -H 'Expect:' -d '{"message":"new","timestamp":"2026-11-28T10:00:03Z"}' \
    "$SERVE_API/tasks/old/logs" >/dev/null
is "$(curl -s "$SERVE_API/tasks/old/logs/count?to=2026-11-28T10:00:03Z")" '{"count":3}' \
    "and with a record added"
stop_serve

# A database of layout 3, with its FTS5 index, gets word sets per zone
# instead: q= finds the same at once, and the zones of whole blocks get
# their sets in steps.
SERVE_DB=$T/l3.db
{ first_tables; cat <<'SQL'; } | sqlite3 "$SERVE_DB"
CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='logs', content_rowid='id');
CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);
CREATE INDEX logs_lvl ON logs(tid, level) WHERE level <> 2;
CREATE TABLE zones(tid INTEGER NOT NULL, blk INTEGER NOT NULL, min_ts INTEGER, max_ts INTEGER, n INTEGER, PRIMARY KEY(tid, blk)) WITHOUT ROWID;
INSERT INTO meta VALUES('next_id', 1501), ('fts_mark', 1500), ('layout', 3);
INSERT INTO tasks VALUES(1, 'l3', 1795860000000000000, 1795860002000000000, '2026-11-28T10:00:00Z', '2026-11-28T10:00:02Z', 0, 0, NULL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1500)
INSERT INTO logs SELECT i, 1, 'o', i, 1795860000000000000 + i, '2026-11-28T10:00:00Z', 2, 'stdout',
    CASE WHEN i % 3 = 0 THEN 'Alpha-Beta ' ELSE 'gamma ' END || i, NULL FROM c;
INSERT INTO logs_fts(rowid, message) SELECT id, message FROM logs;
INSERT INTO counts VALUES(1, 2, 'stdout', 1500);
INSERT INTO zones SELECT tid, id >> 10, min(ts), max(ts), count(*) FROM logs GROUP BY 1, 2;
SQL
start_serve || exit 1
q3() {
	curl -s "$SERVE_API/tasks/l3/logs?q=$1&size=2&order=desc" |
	    jq -c '[.totalElements, [.content[].seq]]'
}
is "$(q3 alpha) $(q3 alpha-beta) $(q3 gamma)" \
    '[500,[1500,1497]] [500,[1500,1497]] [1000,[1499,1498]]' \
    "layout 3: q= finds what the old index held, at once"
wait_for 10 sh -c "sqlite3 '$SERVE_DB' 'SELECT blk FROM zsets' | grep -qx 0"
is "$(sqlite3 "$SERVE_DB" "SELECT v FROM meta WHERE k = 'layout';
SELECT count(*) FROM sqlite_master WHERE name LIKE 'logs_fts%';
SELECT z.blk, length(w.tok) % 10, w.tok IS NULL FROM zones z LEFT JOIN zsets w USING (tid, blk) ORDER BY z.blk" | tr '\n' ' ')" \
    "7 0 0|0|0 1||1 " \
    "layout 3: the FTS5 index gone; the whole block's zone has its set, the last one not yet"
is "$(q3 alpha) $(q3 1024) $(q3 alpha-beta) $(q3 gamma) $(q3 'gamma+1*')" \
    '[500,[1500,1497]] [1,[1024]] [500,[1500,1497]] [1000,[1499,1498]] [409,[1499,1498]]' \
    "and finds the same with it"
stop_serve

# Layout 6: spans of ids and seqs replace the unique index of (task, run,
# seq). A span ends where the task's next row is not the next id, or not
# the next seq of the same run; rows without a run or a seq (never
# duplicates) make spans of their own kind.
SERVE_DB=$T/l5.db
{ first_tables; cat <<'SQL'; } | sqlite3 "$SERVE_DB"
CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);
CREATE INDEX logs_lvl ON logs(tid, level) WHERE level <> 2;
CREATE TABLE zones(tid INTEGER NOT NULL, blk INTEGER NOT NULL, min_ts INTEGER, max_ts INTEGER, n INTEGER, PRIMARY KEY(tid, blk)) WITHOUT ROWID;
CREATE TABLE zwords(tid INTEGER NOT NULL, blk INTEGER NOT NULL, tok BLOB NOT NULL, PRIMARY KEY(tid, blk)) WITHOUT ROWID;
INSERT INTO meta VALUES('next_id', 12), ('layout', 5);
INSERT INTO tasks VALUES(1, 's1', 1795860000000000000, 1795860000000000000, '2026-11-28T10:00:00Z', '2026-11-28T10:00:00Z', 0, 0, NULL);
INSERT INTO tasks VALUES(2, 's2', 1795860000000000000, 1795860000000000000, '2026-11-28T10:00:00Z', '2026-11-28T10:00:00Z', 0, 0, NULL);
INSERT INTO logs(id, tid, run, seq, ts, tsstr, level, source, message) VALUES
 (1, 1, 'a', 1, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm1'),
 (2, 1, 'a', 2, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm2'),
 (3, 2, 'b', 1, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm3'),
 (4, 1, 'a', 3, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm4'),
 (5, 1, 'a', 5, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm5'),
 (6, 1, 'c', 6, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm6'),
 (7, 1, NULL, NULL, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm7'),
 (8, 1, 'c', NULL, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm8'),
 (9, 1, NULL, 9, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm9'),
 (10, 1, 'c', 7, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm10'),
 (11, 2, 'b', 2, 1795860000000000000, '2026-11-28T10:00:00Z', 2, 'stdout', 'm11');
INSERT INTO counts VALUES(1, 2, 'stdout', 9), (2, 2, 'stdout', 2);
INSERT INTO zones SELECT tid, id >> 10, min(ts), max(ts), count(*) FROM logs GROUP BY 1, 2;
SQL
start_serve || exit 1
is "$(sqlite3 "$SERVE_DB" "SELECT v FROM meta WHERE k = 'layout';
SELECT count(*) FROM sqlite_master WHERE name IN ('logs_key', 'logs_tid');
SELECT * FROM spans ORDER BY tid, lo" | tr '\n' ' ')" \
    "7 0 1|1|2|a|1 1|4|1|a|3 1|5|1|a|5 1|6|1|c|6 1|7|3|| 1|10|1|c|7 2|3|1|b|1 2|11|1|b|2 " \
    "layout 6: the spans of a database of layout 5, the indexes of (task, run, seq) and (task) gone"
is "$(grep -c 'info: database: making the spans of 11 records (once, for this version)$' "$SERVE_LOG")" 1 \
    "which the log tells once"
nd() {
	for r in "$@"; do
		echo "$r" | awk -F: '{ printf "{\"message\":\"%s\"", $3
		    if ($1 != "") printf ",\"runId\":\"%s\"", $1
		    if ($2 != "") printf ",\"seq\":%s", $2
		    print "}" }'
	done
}
put() {
	t=$1
	shift
	nd "$@" | curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
	    --data-binary @- "$SERVE_API/tasks/$t/logs" |
	    jq -c '[.stored, .duplicates]'
}
is "$(put s1 a:2:x a:4:n4 c:7:x a:3:x c:6:x a:1:x :9:n9 c::n10 a:6:n11 a:6:x a:5:x) $(put s2 b:2:x b:1:x b:3:n12 a:1:n13)" \
    "[4,7] [2,2]" \
    "and the duplicates of the records before it are found, the others stored"
is "$(curl -s "$SERVE_API/tasks/s1/logs?size=100" | jq -r '[.content[] | "\(.runId // "-"):\(.seq // "-"):\(.message)"] | join(" ")') | $(curl -s "$SERVE_API/tasks/s2/logs?size=100" | jq -r '[.content[].message] | join(" ")')" \
    "a:1:m1 a:2:m2 a:3:m4 a:5:m5 c:6:m6 -:-:m7 c:-:m8 -:9:m9 c:7:m10 a:4:n4 -:9:n9 c:-:n10 a:6:n11 | m3 m11 n12 n13" \
    "in order, with no hole in their ids"
for r in a c; do
	echo "{\"type\":\"resume\",\"runId\":\"$r\"}" |
	    serve_ws "$SERVE_WS/s1" --send - --stop-count 1 | jq .seq
done | tr '\n' ' ' >got
is "$(cat got)" "6 7 " "a resume is acked with the highest seq of the run"
stop_serve

# Layout 7: the words' hashes are another function, so the zones' sets of
# words are made again. A set of layout 6 that rules every word out (the
# hash 1 alone) would hide every record from q= if it were kept.
SERVE_DB=$T/l6.db
{ first_tables | grep -v '^CREATE .*INDEX'; cat <<'SQL'; } | sqlite3 "$SERVE_DB"
CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER);
CREATE INDEX logs_lvl ON logs(tid, level) WHERE level <> 2;
CREATE TABLE zones(tid INTEGER NOT NULL, blk INTEGER NOT NULL, min_ts INTEGER, max_ts INTEGER, n INTEGER, PRIMARY KEY(tid, blk)) WITHOUT ROWID;
CREATE TABLE zwords(tid INTEGER NOT NULL, blk INTEGER NOT NULL, tok BLOB NOT NULL, PRIMARY KEY(tid, blk)) WITHOUT ROWID;
CREATE TABLE spans(tid INTEGER NOT NULL, lo INTEGER NOT NULL, n INTEGER NOT NULL, run TEXT, seq INTEGER, PRIMARY KEY(tid, lo)) WITHOUT ROWID;
CREATE INDEX spans_run ON spans(tid, run, seq) WHERE seq IS NOT NULL;
INSERT INTO meta VALUES('next_id', 1101), ('layout', 6), ('word_seed', 12345);
INSERT INTO tasks VALUES(1, 'l6', 1795860000000000000, 1795860000000000000, '2026-11-28T10:00:00Z', '2026-11-28T10:00:00Z', 0, 0, NULL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1100)
INSERT INTO logs SELECT i, 1, NULL, NULL, 1795860000000000000, '', 2, 'stdout',
    CASE WHEN i % 4 = 0 THEN 'Delta-Epsilon ' ELSE 'zeta ' END || i, NULL FROM c;
INSERT INTO spans VALUES(1, 1, 1100, NULL, NULL);
INSERT INTO counts VALUES(1, 2, 'stdout', 1100);
INSERT INTO zones SELECT tid, id >> 10, min(ts), max(ts), count(*) FROM logs GROUP BY 1, 2;
INSERT INTO zwords VALUES(1, 0, X'01000000000000000100');
SQL
start_serve || exit 1
q6() {
	curl -s "$SERVE_API/tasks/l6/logs?q=$1&size=2&order=desc" |
	    jq -c '[.totalElements, [.content[].message]]'
}
is "$(q6 delta) $(q6 'epsilon+1*') $(q6 ZETA+1023)" \
    '[275,["Delta-Epsilon 1100","Delta-Epsilon 1096"]] [53,["Delta-Epsilon 1100","Delta-Epsilon 1096"]] [1,["zeta 1023"]]' \
    "layout 6: q= finds what its sets of words would hide"
is "$(grep -c 'info: database: making the word sets of 1 zones again (once, for this version, while idle)$' "$SERVE_LOG")" 1 \
    "which the log tells once"
wait_for 10 sh -c "sqlite3 '$SERVE_DB' 'SELECT blk FROM zsets' | grep -qx 0"
is "$(sqlite3 "$SERVE_DB" "SELECT v FROM meta WHERE k = 'layout';
SELECT count(*) FROM sqlite_master WHERE name = 'zwords';
SELECT blk, length(tok) > 10, length(tok) % 10 FROM zsets" | tr '\n' ' ')" \
    "7 0 0|1|0 " "layout 7: the whole block's zone has its set again, in a table of another name"
is "$(q6 delta) $(q6 'epsilon+1*') $(q6 ZETA+1023)" \
    '[275,["Delta-Epsilon 1100","Delta-Epsilon 1096"]] [53,["Delta-Epsilon 1100","Delta-Epsilon 1096"]] [1,["zeta 1023"]]' \
    "and finds the same with it"
stop_serve

# A database of a later layout is left as it is.
sqlite3 "$SERVE_DB" "UPDATE meta SET v = 8 WHERE k = 'layout'"
sqlite3 "$SERVE_DB" .dump >before
keruta-serve --listen 127.0.0.1:0 --db "$SERVE_DB" </dev/null >out 2>err
is "$? $(cat err)" \
    "111 keruta-serve: fatal: database: unable to use '$SERVE_DB': its layout (8) is a later keruta-serve's" \
    "a database of a later layout: exit 111, and why"
sqlite3 "$SERVE_DB" .dump >after
cmp -s before after
check $? "the database untouched"
