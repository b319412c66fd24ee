#!/bin/sh
# keruta-serve: NUL characters (\u0000) in any string of a record are data:
# stored whole and given back as the same escape, over REST and WebSocket.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 18

start_serve || exit 1
A=$SERVE_API
post() {
	printf '%s' "$2" >req.data
	curl -s -o body -w '%{http_code}' -H 'Expect:' \
	    -H "Content-Type: ${3:-application/json}" --data-binary @req.data \
	    "$A/tasks/$1/logs"
}
# The fields under test, as JSON text (jq keeps \u0000 as it is).
fields() { jq -c "$1"'{runId,seq,source,message,metadata,extra}' "${2:-body}"; }

r='{"runId":"r\u0000x","seq":1,"timestamp":"2026-11-28T10:00:00Z","source":"std\u0000out","message":"a\u0000b\u0000","metadata":{"k":"v\u0000w"},"extra":"\u0000"}'
want='{"runId":"r\u0000x","seq":1,"source":"std\u0000out","message":"a\u0000b\u0000","metadata":{"k":"v\u0000w"},"extra":"\u0000"}'
is "$(post n1 "$r")" 201 "REST: a record with NUL characters is stored"
is "$(fields '' body)" "$want" "REST: the reply gives them back"
curl -s "$A/tasks/n1/logs" >page
is "$(fields '.content[0] | ' page)" "$want" "GET: the same escapes"
curl -s "$A/tasks/n1/logs/export?format=ndjson" >exp
is "$(fields '' exp)" "$want" "export ndjson: the same escapes"
grep -c 'a\\u0000b\\u0000' exp >/dev/null
check $? "export ndjson: the escape as text"
curl -s "$A/tasks/n1/logs/export?format=txt" | cut -d' ' -f4- | tr '\000' '@' >txt
is "$(cat txt)" "std@out a@b@" "export txt: the bytes themselves"
is "$(post n1 "$r")" 200 "the same record again is a duplicate"
is "$(curl -s "$A/tasks/n1/logs/count")" '{"count":1}' "stored once"
nd='{"runId":"r2","seq":1,"message":"\u0000"}
[{"runId":"r2","seq":2,"message":"x\u0000"}]'
is "$(post n1 "$nd" application/x-ndjson)" 200 "NDJSON with NUL characters"
is "$(jq -c . body)" '{"stored":2,"duplicates":0,"acks":[{"runId":"r2","seq":2}]}' \
    "NDJSON: stored and acked"

# The reader behind this: escapes, pairs, keys, numbers, spacing.
printf '%s' '{"mess\u0061ge":"\ud83d\ude00 \/ \"q\"","n":1764324000123456789, "x" : { "a" : [ 1 , 2.50e3 ] },"t":"a	b"}' >odd.json
curl -s -H 'Expect:' -H 'Content-Type: application/json' --data-binary @odd.json \
    "$A/tasks/n2/logs" | jq -c 'del(.timestamp)' >got
printf '%s\n' '{"id":4,"type":"log","taskId":"n2","source":"task","level":"INFO","message":"\ud83d\ude00 / \"q\"","n":1764324000123456789,"x":{"a":[1,2.50e3]},"t":"a\tb"}' |
    jq -c . >want
diff_golden want got "escaped keys, surrogate pairs, numbers kept"
curl -s "$A/tasks/n2/logs/export" | grep -o '"n":[0-9]*,"x":{"a":\[1,2.50e3\]},"t":"a\\u0009b"' >got
is "$(cat got)" '"n":1764324000123456789,"x":{"a":[1,2.50e3]},"t":"a\u0009b"' \
    "other fields: compact, numbers as sent, a raw tab escaped"
printf '%s' '{"message":"\udc00"}' >bad.json
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary @bad.json "$A/tasks/n2/logs")" \
    400 "a lone low surrogate: 400"
printf '%s' '{"message":"x","m":{"k":"\ud800x"}}' >bad.json
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary @bad.json "$A/tasks/n2/logs")" \
    400 "a lone surrogate in another field: 400"

# WebSocket: a shipper, a viewer of the history and a live viewer.
W=$SERVE_WS
echo '{"type":"subscribe","options":{"after":3}}' >sub
serve_ws "$W/n1" --send sub --stop-records 2 --timeout 15 >live.out &
vp=$!
wait_for 10 grep -q '"live"' live.out
printf '%s\n' '[{"runId":"w\u0000","seq":1,"message":"ws\u0000one"},{"runId":"w\u0000","seq":2,"source":"s\u0000","message":"\u0000two"}]' >in
serve_ws "$W/n1" --send in --stop-count 1 >acks
is "$(cat acks)" '{"type":"ack","runId":"w\u0000","seq":2}' "ws: acked, runId given back"
wait $vp
jq -c 'select(.type=="log") | [.runId,.source,.message]' live.out >got
printf '%s\n' '["w\u0000","task","ws\u0000one"]' '["w\u0000","s\u0000","\u0000two"]' >want
diff_golden want got "ws: a live viewer gets the same escapes"
echo '{"type":"subscribe","options":{"realtime":false}}' |
    serve_ws "$W/n1" --send - --stop-type end | jq -c 'select(.type=="log") | .message' >got
printf '%s\n' '"a\u0000b\u0000"' '"\u0000"' '"x\u0000"' '"ws\u0000one"' '"\u0000two"' >want
diff_golden want got "ws: the history gives them back"
echo '{"type":"resume","runId":"w\u0000"}' |
    serve_ws "$W/n1" --send - --stop-count 1 >out
is "$(cat out)" '{"type":"ack","runId":"w\u0000","seq":2}' "ws: resume of a runId with a NUL"
