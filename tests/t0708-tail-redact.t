#!/bin/sh
# keruta-tail and a redaction on the server: the lines it showed that held
# the value are shown again, as they now are, after one line saying so;
# with --json, as records of the same ids.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 4

start_serve || exit 1
post() {	# post SEQ MESSAGE
	printf '{"runId":"r1","seq":%s,"timestamp":"2026-11-28T10:00:%02d.25Z","source":"stdout","level":"INFO","message":"%s"}' \
	    "$1" "$1" "$2" |
	    curl -sf -H 'Content-Type: application/json' --data-binary @- \
	    "$SERVE_API/tasks/tr/logs" >/dev/null
}
post 1 "one"
post 2 "key=leakedvalue42 two"
post 3 "three"
keruta-tail -u "ws://127.0.0.1:$SERVE_PORT" -f tr >out 2>err &
tp=$!
bg_pid $tp
keruta-tail -u "ws://127.0.0.1:$SERVE_PORT" -f --json tr >json 2>jerr &
jp=$!
bg_pid $jp
wait_for 10 sh -c 'grep -q three out && grep -q three json'
check $? "both show the history"
curl -sf -d '{"values":["leakedvalue42"],"task":"tr"}' "$SERVE_API/redactions" >/dev/null
wait_for 10 sh -c 'grep -q "REDACTED" out && grep -q "REDACTED" json'
kill $tp $jp
cat >want <<'W'
2026-11-28T10:00:01.250Z stdout INFO  one
2026-11-28T10:00:02.250Z stdout INFO  key=leakedvalue42 two
2026-11-28T10:00:03.250Z stdout INFO  three
-- redaction 1 on the server changed 1 record shown; as they now are:
2026-11-28T10:00:02.250Z stdout INFO  key=[REDACTED:retro] two
W
diff_golden want out "the changed line again, after a line that says so"
is "$(jq -c 'select(.seq == 2) | [.id, .message]' json)" \
    '[2,"key=leakedvalue42 two"]
[2,"key=[REDACTED:retro] two"]' "--json: the record again, same id"
is "$(cat err jerr)" "" "nothing on standard error"
stop_serve
