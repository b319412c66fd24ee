#!/bin/sh
# keruta-tail as kubectl logs users expect: --tail N, --since (a duration
# or an RFC 3339 time), --since-time, --grep (the server's full-text
# search, then the same words live), --timestamps, -f/--follow, and a line
# on standard error that says how the task ended.
. "${0%/*}/lib.sh"
[ -x "$KR_BIN/keruta-serve" ] || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
# gone PID: PID has ended (a child not yet waited for counts as ended).
gone() { ! _sv_alive "$1"; }
plan 39

start_serve
check $? "keruta-serve started"
post() {	# post TASK SEQ TIME SOURCE LEVEL MESSAGE [METADATA]
	printf '{"type":"log","runId":"r1","seq":%s,"timestamp":"%s","source":"%s","level":"%s","message":"%s"%s}' \
	    "$2" "$3" "$4" "$5" "$6" "${7:+,\"metadata\":$7}" |
	    curl -sf -H 'Content-Type: application/json' --data-binary @- \
	    "$SERVE_API/tasks/$1/logs" >/dev/null
}
old=2026-11-28T10:00
post k 1 "$old:01Z" stdout INFO "fetching sources"
post k 2 "$old:02Z" stderr WARN "connection timeout, retrying"
post k 3 "$old:03Z" stdout INFO "compiling main.c"
post k 4 "$old:04Z" stderr ERROR "main.c:3: error: timeout undeclared"
post k 5 "$old:05Z" stdout INFO "timeouts: 2"
post k 6 "$old:06Z" stdout INFO "done"
u="ws://127.0.0.1:$SERVE_PORT"
l1="$old:01.000Z stdout INFO  fetching sources"
l2="$old:02.000Z stderr WARN  connection timeout, retrying"
l3="$old:03.000Z stdout INFO  compiling main.c"
l4="$old:04.000Z stderr ERROR main.c:3: error: timeout undeclared"
l5="$old:05.000Z stdout INFO  timeouts: 2"
l6="$old:06.000Z stdout INFO  done"

keruta-tail -u "$u" -n --tail 2 k >out 2>err
is "$? $(cat out)$(cat err)" "0 $l5
$l6" "--tail 2: the last two lines"
keruta-tail -u "$u" -n --tail=0 k >out 2>err
is "$? $(cat out)$(cat err)" "0 " "--tail 0: no line"
keruta-tail -u "$u" -n --tail 100 k >out 2>err
is "$? $(cat out)" "0 $l1
$l2
$l3
$l4
$l5
$l6" "--tail past the start: every line"
keruta-tail -u "$u" -n --tail -1 k >out 2>err
is "$(wc -l <out)" 6 "--tail -1: every line, as kubectl"
keruta-tail -u "$u" -n --tail 1 -l warn k >out 2>err
is "$(cat out)" "$l4" "--tail 1 -l warn: the last line at that level"
keruta-tail -u "$u" -n --tail 1 -s stdout --timestamps=false k >out 2>err
is "$(cat out)" "stdout INFO  done" "--tail 1 -s stdout --timestamps=false"

keruta-tail -u "$u" -n --since "$old:04Z" k >out 2>err
is "$? $(cat out)" "0 $l4
$l5
$l6" "--since an RFC 3339 time"
keruta-tail -u "$u" -n --since-time "2026-11-28T11:00:05+01:00" k >out 2>err
is "$? $(cat out)" "0 $l5
$l6" "--since-time with an offset"
keruta-tail -u "$u" -n --since "$old:03Z" --tail 1 k >out 2>err
is "$(cat out)" "$l6" "--since and --tail together"

keruta-tail -u "$u" -n --grep timeout k >out 2>err
is "$? $(cat out)" "0 $l2
$l4" "--grep: whole words, as the server's search"
keruta-tail -u "$u" -n --grep 'TIMEOUT*' k >out 2>err
is "$(cat out)" "$l2
$l4
$l5" "--grep: any case; a trailing * matches a prefix"
keruta-tail -u "$u" -n --grep 'error timeout' k >out 2>err
is "$(cat out)" "$l4" "--grep: every word must be there"
keruta-tail -u "$u" -n -g nothing-like-this k >out 2>err
is "$? $(cat out)$(cat err)" "0 " "-g: no match, no line"
keruta-tail -u "$u" -n --grep timeout --json k >out 2>err
sed -E 's/"id":[0-9]+,//' out >got
printf '%s\n' \
    '{"type":"log","taskId":"k","runId":"r1","seq":2,"timestamp":"2026-11-28T10:00:02Z","source":"stderr","level":"WARN","message":"connection timeout, retrying"}' \
    '{"type":"log","taskId":"k","runId":"r1","seq":4,"timestamp":"2026-11-28T10:00:04Z","source":"stderr","level":"ERROR","message":"main.c:3: error: timeout undeclared"}' >want
diff_golden want got "--grep --json: the records as stored"

# --since 10m: a record of an hour ago is left out.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
hour=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)
post s 1 "$hour" stdout INFO "an hour ago"
post s 2 "$now" stdout INFO "just now"
keruta-tail -u "$u" -n --since 10m --timestamps=false s >out 2>err
is "$? $(cat out)" "0 stdout INFO  just now" "--since 10m: only the last ten minutes"
keruta-tail -u "$u" -n --since 2h --timestamps=false s >out 2>err
is "$(cat out)" "stdout INFO  an hour ago
stdout INFO  just now" "--since 2h: both"

# Following: the last line, then the live ones, then the end.
keruta-tail -u "$u" --tail 1 --exit-code k >out 2>err &
tp=$!
bg_pid $tp
wait_for 10 grep -q done out
post k 7 "$old:07Z" stdout INFO "live line"
post k 8 "$old:08Z" agent ERROR "exited with status 3" '{"event":"exit","exitCode":3}'
wait_for 10 gone $tp
kill $tp 2>/dev/null	# still running: fail, do not hang
wait $tp
is $? 3 "--tail 1, following: --exit-code at the task's end"
is "$(cat out)" "$l6
$old:07.000Z stdout INFO  live line
$old:08.000Z agent  ERROR exited with status 3" "the last line, then the live lines"
is "$(cat err)" "keruta-tail: task 'k' ended with exit code 3" \
    "a line on stderr says how the task ended"

# A task that has already ended: the history, then the end at once.
keruta-tail -u "$u" --tail 1 -e k >out 2>err
is "$? $(cat out) $(cat err)" "3 $old:08.000Z agent  ERROR exited with status 3 keruta-tail: task 'k' ended with exit code 3" \
    "--tail 1 of an ended task: its last line, then its end"
keruta-tail -u "$u" --grep compiling -e -q k >out 2>err
is "$? $(cat out) $(cat err)" "3 $l3 " \
    "--grep of an ended task: the matches, the end (not said with -q)"

# --grep following: the live lines are matched here as the server would.
keruta-tail -u "$u" --grep 'warn*' -e g >out 2>err &
tp=$!
bg_pid $tp
post g 1 "$old:01Z" stdout INFO "warning: old"
wait_for 10 grep -q old out
post g 2 "$old:02Z" stdout INFO "nothing here"
post g 3 "$old:03Z" stdout INFO "WARNINGS: 2"
post g 4 "$old:04Z" stdout INFO "forewarned"
post g 5 "$old:05Z" agent INFO "exited with status 0" '{"event":"exit","exitCode":0}'
wait_for 10 gone $tp
kill $tp 2>/dev/null	# still running: fail, do not hang
wait $tp
is "$? $(cut -c 26- out)" "0 stdout INFO  warning: old
stdout INFO  WARNINGS: 2" "--grep following: live lines matched by word and prefix"
is "$(cat err)" "keruta-tail: task 'g' ended with exit code 0" \
    "the end is seen though the exit record does not match"

keruta-tail -u "$u" --follow=false --tail 1 k >out 2>err
is "$? $(cat out)" "0 $old:08.000Z agent  ERROR exited with status 3" \
    "--follow=false is --no-follow"

# Every URL form reaches the REST API too.
hp=127.0.0.1:$SERVE_PORT
for x in "ws://$hp/ws/tasks" "http://$hp" "http://$hp/api/v1"; do
	keruta-tail -u "$x" -n --tail 1 -s stdout k >out 2>err
	is "$? $(cat out)$(cat err)" "0 $old:07.000Z stdout INFO  live line" \
	    "--tail with -u $x"
done

keruta-tail -u "$u" -n --since yesterday k >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad --since 'yesterday': a duration (10m, 2h) or an RFC 3339 time" \
    "a bad --since: a usage error"
keruta-tail -u "$u" -n --tail -2 k >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad --tail '-2': a number of lines, -1 for all" \
    "a bad --tail: a usage error"
keruta-tail --stdin --tail 3 </dev/null >out 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: --tail needs a server, not --stdin" \
    "--tail with --stdin: a usage error"
curl -sf "$SERVE_API/tasks/k/logs/export" |
    keruta-tail --stdin --grep 'timeout*' --since "$old:03Z" >out 2>err
is "$? $(cat out)" "0 $l4
$l5" "--stdin: --grep and --since matched here"
port=$(free_port)
keruta-tail -u "ws://127.0.0.1:$port" -n --tail 3 k >out 2>err
is "$? $(cat out)$(cat err)" "111 keruta-tail: warning: unable to reach 'http://127.0.0.1:$port': Couldn't connect to server" \
    "--no-follow, no server for the history: exit 111, and which one"

# --tail past one page of the server's (1000 records).
seq 1 1500 | sed 's/.*/{"type":"log","runId":"r1","seq":&,"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"n&"}/' |
    curl -sf -H 'Content-Type: application/x-ndjson' --data-binary @- \
    "$SERVE_API/tasks/big/logs" >/dev/null
keruta-tail -u "$u" -n --tail 1001 --timestamps=false big >out 2>err
is "$(wc -l <out) $(head -n 1 out) $(tail -n 1 out)" \
    "1001 stdout INFO  n500 stdout INFO  n1500" "--tail 1001: from the 1001st last line"

# Sections in what the server sends, the history by WebSocket or REST.
post sec 1 "$old:01Z" stdout INFO "::group::Build"
post sec 2 "$old:02Z" stdout INFO "cc"
post sec 3 "$old:04Z" stdout INFO "::endgroup::"
keruta-tail -u "$u" -n --timestamps=false sec >out 2>err
is "$(cat out)" "stdout INFO  >>> Build
stdout INFO    cc
stdout INFO  <<< Build (3.0s)" "sections from the server's records"
keruta-tail -u "$u" -n --timestamps=false --tail 2 sec >out 2>err
is "$(cat out)" "stdout INFO  cc" \
    "--tail from inside a section: its end marker alone is not shown"

# Following, a server not up yet is waited for, the history too.
port=$(free_port)
keruta-tail -u "ws://127.0.0.1:$port" --tail 1 -e late >out 2>err &
tp=$!
bg_pid $tp
wait_for 10 grep -q retrying err
keruta-serve -L "127.0.0.1:$port" -d "$T/late.db" 2>late.log &
bg_pid $!
wait_for 10 curl -sf "http://127.0.0.1:$port/health"
printf '%s\n' \
    '{"type":"log","runId":"r","seq":1,"timestamp":"2026-11-28T10:00:01Z","source":"stdout","level":"INFO","message":"first"}' \
    '{"type":"log","runId":"r","seq":2,"timestamp":"2026-11-28T10:00:02Z","source":"agent","level":"INFO","message":"exited with status 9","metadata":{"event":"exit","exitCode":9}}' |
    curl -sf -H 'Content-Type: application/x-ndjson' --data-binary @- \
    "http://127.0.0.1:$port/api/v1/tasks/late/logs" >/dev/null
wait_for 20 gone $tp
kill $tp 2>/dev/null	# still running: fail, do not hang
wait $tp
is $? 9 "--tail before the server is up: it waits, then follows to the end"
is "$(tail -n 1 out)" "2026-11-28T10:00:02.000Z agent  INFO  exited with status 9" \
    "the lines, the exit record last"
is "$(cat err)" "keruta-tail: warning: unable to reach 'http://127.0.0.1:$port': Couldn't connect to server; retrying
keruta-tail: task 'late' ended with exit code 9" "said once that it was retrying, then the end"
