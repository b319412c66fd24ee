#!/bin/sh
# keruta-serve: times are nanoseconds since the epoch in 64 bits, which
# hold the years 1678 to 2261 (keruta(7)). A time outside them is refused
# with a 400 wherever it is read (a record's timestamp, from=, to=,
# before=), never stored wrapped round; the ends of the range work.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 15

start_serve || exit 1
post() {
	curl -s -o reply -w '%{http_code}' -H 'Expect:' \
	    -H 'Content-Type: application/json' --data-binary "$1" \
	    "$SERVE_API/tasks/$2/logs"
}
for ts in 2300-01-01T00:00:00Z 9999-12-31T23:59:59.999999999Z \
    1677-12-31T23:59:59.999999999Z 0000-01-01T00:00:00Z \
    2261-12-31T23:30:00-01:00; do
	printf '%s %s\n' "$ts" "$(post "{\"runId\":\"r\",\"seq\":1,\"timestamp\":\"$ts\",\"message\":\"m\"}" far)"
done >codes
is "$(cut -d' ' -f2 codes | tr '\n' ' ')" "400 400 400 400 400 " \
    "a record dated outside 1678-2261 is refused with a 400"
is "$(jq -c .error reply)" \
    '{"code":"INVALID_TIMESTAMP","message":"record 0: timestamp must be an RFC 3339 time of the years 1678 to 2261","status":400}' \
    "which names the range"
is "$(post '[{"runId":"b","seq":1,"message":"ok"},{"runId":"b","seq":2,"timestamp":"2300-01-01T00:00:00Z","message":"no"}]' far)" \
    400 "a batch holding one is refused whole, as with any invalid time"
is "$(curl -s "$SERVE_API/tasks/far/logs/count")" '{"count":0}' \
    "nothing of them is stored"

# Over WebSocket the record alone is refused, the rest acked.
printf '%s\n' '{"runId":"w","seq":1,"message":"a"}' \
    '{"runId":"w","seq":2,"timestamp":"2262-01-01T00:00:00Z","message":"b"}' \
    '{"runId":"w","seq":3,"message":"c"}' >ws.in
serve_ws "$SERVE_WS/wsfar" --send ws.in --stop-count 2 --timeout 10 >ws.out
is "$(jq -r 'select(.type == "error") | [.reason, .seq] | @tsv' ws.out)" \
    "INVALID_TIMESTAMP	2" "WebSocket: the record is refused by itself"
is "$(curl -s "$SERVE_API/tasks/wsfar/logs" | jq -c '[.content[].seq]')" \
    "[1,3]" "and the others stored"

# The ends of the range are stored as they are, and found.
is "$(post '[{"runId":"e","seq":1,"timestamp":"1678-01-01T00:00:00Z","message":"first"},{"runId":"e","seq":2,"timestamp":"2261-12-31T23:59:59.999999999Z","message":"last"}]' ends)" \
    200 "the first and last times of the range are accepted"
is "$(curl -s "$SERVE_API/tasks/ends/logs/stats" | jq -c .timeRange)" \
    '{"start":"1678-01-01T00:00:00Z","end":"2261-12-31T23:59:59.999999999Z"}' \
    "stats give them back"
is "$(curl -s "$SERVE_API/tasks/ends/logs?from=2261-12-31T23:59:59Z" | jq -c '[.content[].message]')" \
    '["last"]' "from= near the end of the range"
is "$(curl -s "$SERVE_API/tasks/ends/logs?to=1678-01-01T00:00:01Z" | jq -c '[.content[].message]')" \
    '["first"]' "to= near its start"

# from=, to= and before= outside the range: a 400, not a wrapped time.
for q in 'logs?from=2300-01-01T00:00:00Z' 'logs?to=1600-01-01T00:00:00Z' \
    'logs/export?from=9999-01-01T00:00:00Z' 'logs/count?to=2262-01-01T00:00:00Z'; do
	curl -s -o reply -w '%{http_code} ' "$SERVE_API/tasks/ends/$q"
	jq -r .error.code reply
done >qcodes
is "$(tr '\n' ' ' <qcodes)" \
    "400 INVALID_TIMESTAMP 400 INVALID_TIMESTAMP 400 INVALID_TIMESTAMP 400 INVALID_TIMESTAMP " \
    "from= and to= outside the range are refused"
is "$(curl -s -X DELETE -o reply -w '%{http_code}' "$SERVE_API/tasks/ends/logs?before=2300-01-01T00:00:00Z") $(jq -r .error.message reply)" \
    "400 before must be an RFC 3339 time of the years 1678 to 2261" \
    "before= outside the range is refused"

is "$(curl -s "$SERVE_API/tasks/ends/logs/count")" '{"count":2}' \
    "the refused DELETE deleted nothing"
stop_serve

# A record dated far ahead is not taken for an old one by retention (a
# wrapped 2300 was): the pass that deletes the one of 2020 leaves it.
start_serve --retention 1h || exit 1
post '[{"runId":"x","seq":1,"timestamp":"2020-01-01T00:00:00Z","message":"old"},{"runId":"x","seq":2,"timestamp":"2261-12-31T23:59:59Z","message":"ahead"}]' ret >/dev/null
wait_for 20 sh -c "curl -s '$SERVE_API/tasks/ret/logs/count' | grep -q '\"count\":1}'"
is "$(curl -s "$SERVE_API/tasks/ret/logs" | jq -c '[.content[].message]')" \
    '["ahead"]' "--retention 1h leaves a record of 2261 alone"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
