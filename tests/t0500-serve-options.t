#!/bin/sh
# keruta-serve: options, configuration, refusals, the panel's files.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 33

keruta-serve --help >out 2>err
is $? 0 "--help exits 0"
for o in --listen --db --config --jwt-secret-file --api-keys --hash-key \
    --retention --tls-cert --tls-key --panel-dir --max-body --queue-max \
    --cache-size --quiet --verbose --help --version; do
	grep -q -- "$o" out || echo "missing $o"
done >missing
is "$(cat missing)" "" "--help lists every option"
is "$(keruta-serve --version)" "keruta-serve 0.1.0" "--version"

keruta-serve --bogus 2>err
is $? 100 "unknown option: 100"
keruta-serve extra 2>err
is $? 100 "an operand: 100"
keruta-serve -L 0.0.0.0:0 -d "$T/x.db" 2>err
is $? 100 "public address without auth: 100"
grep -q "refusing to listen on '0.0.0.0' without authentication" err
check $? "says why it refuses"
test ! -e "$T/x.db"
check $? "refused before creating the database"
echo 'a-secret-of-enough-length' >secret
# A public address that cannot be bound: past the auth check, bind fails.
keruta-serve -L 192.0.2.1:0 --jwt-secret-file secret -d "$T/y.db" 2>err
is $? 111 "public address with auth: not refused (the bind fails: 111)"
keruta-serve -L nonsense -d "$T/x.db" 2>err
is $? 100 "bad --listen: 100"
keruta-serve --max-body 1k 2>err
is $? 100 "--max-body under 4M: 100"
keruta-serve --queue-max 1 2>err
is $? 100 "bad --queue-max: 100"
keruta-serve --cache-size 512k 2>err
is $? 100 "--cache-size under 1M: 100"
is "$(cat err)" "keruta-serve: fatal: bad --cache-size '512k' (1M to 1T)" \
    "says what --cache-size takes"
KERUTA_SERVE_CACHE_SIZE=2 keruta-serve 2>err
is $? 100 "KERUTA_SERVE_CACHE_SIZE is --cache-size: 100"
keruta-serve --retention soon 2>err
is $? 100 "bad --retention: 100"
keruta-serve --tls-cert x.pem 2>err
is $? 100 "--tls-cert without --tls-key: 100"
keruta-serve -L 127.0.0.1:0 -d /nonexistent/dir/k.db 2>err
is $? 111 "database that cannot be opened: 111"

is "$(printf 'k3y' | keruta-serve --hash-key)" \
    "$(printf 'k3y' | sha256sum | cut -d' ' -f1)" "--hash-key prints SHA-256"

# Config file and environment.
printf 'serve:\n  db: %s/cfg.db\n  listen: 127.0.0.1:0\n' "$T" >cfg.yaml
keruta-serve -c cfg.yaml 2>cfg.err &
p=$!
wait_for 20 grep -q 'listening on 127.0.0.1:' cfg.err
check $? "--config: listen from YAML"
test -s "$T/cfg.db"
check $? "--config: db from YAML"
kill $p
wait $p
is $? 0 "SIGTERM: exit 0"
KERUTA_SERVE_DB=$T/env.db keruta-serve -q -L 127.0.0.1:0 2>q.err &
p=$!
wait_for 20 test -s "$T/env.db"
check $? "KERUTA_SERVE_DB"
sleep 0.2
kill $p
wait $p
is "$(cat q.err)" "" "-q: nothing on stderr"
keruta-serve -v -L 127.0.0.1:0 -d "$T/v.db" 2>v.err &
p=$!
wait_for 20 grep -q 'listening' v.err
kill $p
wait $p
grep -q 'info: stopping' v.err
check $? "-v: says it stops"

# --panel-dir serves files from disk; the built-in copy otherwise.
mkdir panel
echo 'hello panel' >panel/index.html
echo 'body{}' >panel/a.css
start_serve --panel-dir "$T/panel"
is "$(curl -s "$SERVE_URL/")" "hello panel" "--panel-dir: / is index.html"
curl -s -o /dev/null -w '%{http_code} %{content_type}' "$SERVE_URL/a.css" >o
is "$(cat o)" "200 text/css; charset=utf-8" "--panel-dir: type by extension"
is "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/nope.js")" 404 \
    "--panel-dir: missing file: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is \
    "$SERVE_URL/../secret")" 404 "no way out of the panel directory"
stop_serve

# --cache-size bounds SQLite's page cache (on PostgreSQL too, the flag is
# taken; the file here is SQLite's). 20,000 records of 300 bytes, written
# in one go: the default cache keeps the pages written, 1M keeps 1M.
awk 'BEGIN { printf "["; for (i = 1; i <= 20000; i++)
	printf "%s{\"runId\":\"r\",\"seq\":%d,\"message\":\"%0250d\"}",
	    (i > 1 ? "," : ""), i, i; print "]" }' >big.json
cache() { curl -s "$SERVE_URL/metrics" |
    sed -n 's/^keruta_db_cache_bytes //p'; }
start_serve --db "$T/cache.db" --cache-size 1M
curl -s -o /dev/null -H 'Content-Type: application/json' \
    --data-binary @big.json "$SERVE_URL/api/v1/tasks/c/logs"
curl -s "$SERVE_URL/api/v1/tasks/c/logs/export?format=ndjson" | wc -l >n
is "$(cat n)" 20000 "--cache-size 1M: every record stored and read back"
c=$(cache)
test "$c" -gt 0 && test "$c" -le $((1280 << 10))
check $? "--cache-size 1M: the page cache holds at most 1M ($c bytes)"
stop_serve
start_serve --db "$T/cache2.db"
curl -s -o /dev/null -H 'Content-Type: application/json' \
    --data-binary @big.json "$SERVE_URL/api/v1/tasks/c/logs"
c=$(cache)
test "$c" -gt $((4 << 20))
check $? "the default holds more of the same ($c bytes)"
stop_serve
start_serve
is "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$SERVE_URL/")" \
    "200 text/html; charset=utf-8" "built-in panel at /"
stop_serve
