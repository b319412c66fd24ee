#!/bin/sh
# keruta-serve: a database that is damaged, cut short or not a database at
# all is found at start: a clear fatal message and exit 100, before it
# listens, rather than queries that fail or stop short later.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "a damaged database file found at start"
plan 9

start_serve || exit 1
python3 -c "
for i in range(1, 20001):
    print('{\"runId\":\"r\",\"seq\":%d,\"message\":\"%s %d\"}' % (i, 'x' * 200, i))
" >recs
is "$(curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @recs "$SERVE_API/tasks/t/logs" | jq .stored)" 20000 \
    "20000 records stored"
stop_serve
test ! -s "$SERVE_DB-wal" && test "$(stat -c %s "$SERVE_DB")" -gt 2000000
check $? "a database of some megabytes, all in its file"

# serve DB: runs keruta-serve on DB, stopped after 10 s if it serves.
serve() {
	timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$1" >out 2>err
	echo $?
}
cp "$SERVE_DB" damaged.db
# Pages in the middle of the table overwritten (the header is intact).
head -c 65536 /dev/urandom |
    dd of=damaged.db bs=4096 seek=300 count=16 conv=notrunc 2>/dev/null
is "$(serve damaged.db)" 100 "damaged pages: exit 100 at start"
sed 's/is damaged (.*): restore/is damaged (WHY): restore/' err >err.n
is "$(cat err.n)" \
    "keruta-serve: fatal: database: 'damaged.db' is damaged (WHY): restore it from a backup, or move it away to start with an empty one" \
    "which says so, and what to do"
test ! -s out
check $? "nothing on stdout"

head -c 3000000 "$SERVE_DB" >short.db
is "$(serve short.db) $(cat err)" \
    "100 keruta-serve: fatal: database: unable to use 'short.db': database disk image is malformed" \
    "a file cut short: exit 100"
echo 'not a database' >text.db
is "$(serve text.db) $(cat err)" \
    "100 keruta-serve: fatal: database: unable to use 'text.db': file is not a database" \
    "a file that is not a database: exit 100"

# The intact one starts, and has everything.
start_serve || exit 1
is "$(curl -s "$SERVE_API/tasks/t/logs/count")" '{"count":20000}' \
    "the intact database starts, whole"
stop_serve
is "$SERVE_RC" 0 "and stops cleanly"
