#!/bin/sh
# keruta-serve --retention: a bare number (which would be seconds) is
# refused, from the command line, the environment and the config file
# alike; each pass that deletes records says how many, older than what.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 15

timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$T/no.db" --retention 30 >out 2>err
is "$? $(cat err)" \
    "100 keruta-serve: fatal: bad --retention '30': a unit is required: s, m, h or d, as in 30d or 12h" \
    "--retention 30: refused, a unit is required"
KERUTA_SERVE_RETENTION=120 timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$T/no.db" >out 2>err
is "$? $(cat err)" \
    "100 keruta-serve: fatal: bad KERUTA_SERVE_RETENTION '120': a unit is required: s, m, h or d, as in 30d or 12h" \
    "KERUTA_SERVE_RETENTION=120: the same, naming the variable"
printf 'serve:\n  retention: 30\n' >cfg.yaml
timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$T/no.db" -c cfg.yaml >out 2>err
is "$? $(cat err)" \
    "100 keruta-serve: fatal: bad serve.retention '30': a unit is required: s, m, h or d, as in 30d or 12h" \
    "serve.retention: 30 in the config file: the same"
timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$T/no.db" --retention 1000000d >out 2>err
is "$? $(cat err)" \
    "100 keruta-serve: fatal: bad --retention '1000000d': from 1s to 36500d, as in 30d or 12h; or off" \
    "a retention past 100 years is refused"
timeout 10 keruta-serve --listen 127.0.0.1:0 --db "$T/no.db" --retention 500ms >out 2>err
is "$?" 100 "and one under a second"
test ! -s out
check $? "nothing on stdout"

# A pass over 2500 old records (two steps) is told once; a record of two
# minutes ago stays under --retention 30m, which is what was meant.
start_serve --retention 30m -c cfg.yaml || exit 1
now=$(date -u +%s)
two_min=$(date -u -d "@$((now - 120))" +%Y-%m-%dT%H:%M:%SZ)
seq 1 2500 | awk '{printf "{\"runId\":\"o\",\"seq\":%d,\"timestamp\":\"2020-01-01T00:00:00Z\",\"message\":\"old\"}\n", $1}' >recs
printf '{"runId":"o","seq":9000,"timestamp":"%s","message":"two minutes ago"}\n' \
    "$two_min" >>recs
curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @recs "$SERVE_API/tasks/ret/logs" >/dev/null
wait_for 20 grep -q 'retention: deleted' "$SERVE_LOG"
sleep 1.5
is "$(curl -s "$SERVE_API/tasks/ret/logs" | jq -c '[.content[].message]')" \
    '["two minutes ago"]' "the old records went, the two-minute-old one stays"
grep 'retention:' "$SERVE_LOG" >told
is "$(wc -l <told | tr -d ' ')" 1 "the pass is told once"
sed 's/older than [0-9-]*T[0-9:]*Z/older than TIME/' told >told.n
is "$(cat told.n)" \
    "keruta-serve: info: retention: deleted 2500 records older than TIME (--retention 30m)" \
    "how many, older than what"
cut=$(sed -n 's/.*older than \([^ ]*\) .*/\1/p' told)
cut_s=$(date -u -d "$cut" +%s)
test "$cut_s" -ge $((now - 1800 - 5)) && test "$cut_s" -le $((now - 1800 + 30))
check $? "older than 30 minutes before now (the flag over the config file)"
# The same records again: on SQLite, those that expired are still known
# (their spans stay), so a shipper's resend does not bring them back; on
# PostgreSQL, whose unique index holds only the records there are, they
# are stored again, for the next pass.
if expr "$SERVE_DB" : postgres >/dev/null; then again="[2500,1]"; else again="[0,2501]"; fi
is "$(curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @recs "$SERVE_API/tasks/ret/logs" | jq -c '[.stored, .duplicates]')" \
    "$again" "sent again: the expired ones $again"
stop_serve

# A retention reaching before 1970 (36500d: back to about 1926) deletes
# what is older than that, not the whole of a task.
start_serve --retention 36500d || exit 1
printf '%s\n' '{"runId":"c","seq":1,"timestamp":"1900-01-01T00:00:00Z","message":"1900"}' \
    '{"runId":"c","seq":2,"message":"now"}' >century
curl -s -H 'Expect:' -H 'Content-Type: application/x-ndjson' \
    --data-binary @century "$SERVE_API/tasks/century/logs" >/dev/null
wait_for 20 grep -q 'retention: deleted 1 record older than 19' "$SERVE_LOG"
check $? "--retention 36500d: the record of 1900 is deleted"
is "$(curl -s "$SERVE_API/tasks/century/logs" | jq -c '[.content[].message]')" \
    '["now"]' "the record of today stays"
stop_serve

# off: keeps everything (an environment variable may undo the config file).
KERUTA_SERVE_RETENTION=off start_serve -c cfg.yaml || exit 1
printf '{"runId":"k","seq":1,"timestamp":"2020-01-01T00:00:00Z","message":"kept"}\n' >one
curl -s -H 'Expect:' --data-binary @one "$SERVE_API/tasks/keep/logs" >/dev/null
sleep 1.5
is "$(curl -s "$SERVE_API/tasks/keep/logs/count")" '{"count":1}' \
    "KERUTA_SERVE_RETENTION=off keeps everything"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
