#!/bin/sh
# keruta-ship given several servers (-u A,B): A killed -9 mid-stream and
# B started on the same database file, on a port chosen beforehand; the
# store then holds every record exactly once, over ws and rest. A dead
# first server; only dead servers; a list with an empty element; the list
# from the environment, the YAML file and keruta-agent.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 36

count() {
	curl -fsS "$SERVE_API/tasks/$1/logs/count" | jq -r .count
}

# seqs TASK: every stored seq of the task, one a line, in order of seq.
seqs() {
	curl -fsS "$SERVE_API/tasks/$1/logs/export?format=ndjson" |
	    jq -r .seq | sort -n
}

seq 1 20000 >want20k
for proto in ws rest; do
	start_serve || exit 1
	portb=$(free_port)
	if [ $proto = ws ]; then
		b=ws://127.0.0.1:$portb/ws/tasks
		list=$SERVE_WS,$b
	else
		b=http://127.0.0.1:$portb/api/v1
		list=$SERVE_API,$b
	fi
	task=f$proto
	slowgen $task | keruta-ship -p $proto -u "$list" -S sp$proto \
	    --reconnect-interval 300ms --summary sum$proto 2>err$proto &
	ship=$!
	bg_pid $ship
	wait_for 20 sh -c "[ \"\$(curl -fsS '$SERVE_API/tasks/$task/logs/count' | jq -r .count)\" -ge 5000 ]"
	check $? "$proto: server A has 5000 records or more"
	n=$(count $task)
	kill9_serve
	test "$n" -lt 20000
	check $? "$proto: A killed -9 mid-stream ($n of 20000 stored)"
	sleep 0.3
	start_serve --listen "127.0.0.1:$portb" || exit 1
	is "$SERVE_PORT" "$portb" "$proto: server B on the port chosen before"
	wait $ship
	is $? 0 "$proto: keruta-ship exits 0"
	is "$(jq -c '[.read, .acked, .spooled, .rejected, .complete]' \
	    sum$proto)" "[20000,20000,0,0,true]" \
	    "$proto: its summary: 20000 read, 20000 acked"
	is "$(count $task)" 20000 "$proto: B counts 20000 records"
	seqs $task >got
	diff_golden want20k got "$proto: every seq stored exactly once"
	grep -q "; moving to '$b' in [0-9]* ms\$" err$proto
	check $? "$proto: one line said it moved to B"
	stop_serve
done

# The first server is dead from the start.
start_serve || exit 1
dead=$(free_port)
gen 1 1000 r1 d1 | keruta-ship -u "ws://127.0.0.1:$dead/ws/tasks,$SERVE_WS" \
    -S spd --summary sumd 2>errd
is "$? $(count d1)" "0 1000" "ws: a dead first server: the second has all"
is "$(sed 's/ in [0-9]* ms$//' errd)" "keruta-ship: warning: unable to \
deliver to 'ws://127.0.0.1:$dead/ws/tasks/d1': Unable to connect; moving to \
'$SERVE_WS'" "ws: one line says which server comes next"
gen 1 1000 r1 d2 | keruta-ship -p rest -S spe \
    -u "http://127.0.0.1:$dead/api/v1?token=s3cr3t , $SERVE_API" 2>erre
is "$? $(count d2)" "0 1000" "rest: a dead first server (blanks around)"
grep -q "^keruta-ship: warning: unable to deliver to 'http://127.0.0.1:$dead/api/v1/tasks/d2/logs?token=\*\*\*': .*; moving to '$SERVE_API' in [0-9]* ms\$" erre
check $? "rest: the line names both, secrets masked"

# From the environment and from the YAML file.
gen 1 10 r1 d3 | KERUTA_WEBSOCKET_URL="ws://127.0.0.1:$dead,$SERVE_WS" \
    keruta-ship -S spf 2>errf
is "$? $(count d3)" "0 10" "KERUTA_WEBSOCKET_URL takes a list"
gen 1 10 r1 d4 | KERUTA_API_URL="http://127.0.0.1:$dead,$SERVE_API" \
    keruta-ship -p rest -S spg 2>errg
is "$? $(count d4)" "0 10" "KERUTA_API_URL takes a list"
printf 'websocket:\n  url: "ws://127.0.0.1:%s,%s"\n' "$dead" "$SERVE_WS" >c.yaml
gen 1 10 r1 d5 | keruta-ship -c c.yaml -S sph 2>errh
is "$? $(count d5)" "0 10" "websocket.url takes a list"

# keruta-agent hands the list on.
printf 'echo one\necho two\n' >job.sh
TMPDIR=$T KERUTA_WEBSOCKET_URL="ws://127.0.0.1:$dead,$SERVE_WS" \
    keruta-agent execute --task-id d6 --script job.sh >/dev/null 2>erra
is "$? $(tail -n 1 erra)" "0 keruta-agent: task d6: 4 records shipped, 4 \
acknowledged, 0 spooled; log complete" "keruta-agent hands a list on"
is "$(count d6)" 5 "and its records are stored, its verdict too"
stop_serve

# Only dead servers: the diagnostic and the exit status of one.
dead2=$(free_port)
gen 1 1 | keruta-ship -u "ws://127.0.0.1:$dead,ws://127.0.0.1:$dead2" \
    -S spx --drain-timeout 300ms --reconnect-interval 100ms 2>errx
is "$? $(tail -n 1 errx)" "111 keruta-ship: warning: 1 records read, 0 acked, \
0 rejected; 1 left in spool '$T/spx'" "only dead servers: 111, the records left"
is "$(sed -n '1s/ in [0-9]* ms$//p' errx)" "keruta-ship: warning: unable to \
deliver to 'ws://127.0.0.1:$dead/ws/tasks/t1': Unable to connect; moving to \
'ws://127.0.0.1:$dead2'" "only dead servers: the first failure is said"

# A server that answers 503, one that stores but never acks: the next.
start_peer --store "$T/store503" --fail 1000:503
p503=$PORT
start_peer --store "$T/storeok"
gen 1 300 | keruta-ship -p rest -S spr -u "http://127.0.0.1:$p503,http://127.0.0.1:$PORT" 2>err
is "$? $(jq -r .seq storeok | sort -n | uniq | wc -l | tr -d ' ')" "0 300" \
    "rest: a server answering 503: the next has all"
grep -q "^keruta-ship: warning: unable to deliver to 'http://127.0.0.1:$p503/api/v1/tasks/t1/logs': HTTP status 503; moving to 'http://127.0.0.1:$PORT' in [0-9]* ms\$" err
check $? "rest: the 503 said, and the server moved to"
start_peer --store "$T/storenoack" --no-ack
pna=$PORT
start_peer --store "$T/storeok2"
gen 1 300 | keruta-ship -S spn --timeout 500ms \
    -u "ws://127.0.0.1:$pna,ws://127.0.0.1:$PORT" 2>err
is "$? $(jq -r .seq storeok2 | sort -n | uniq | wc -l | tr -d ' ')" "0 300" \
    "ws: a server that never acks: the next has all"
grep -q "^keruta-ship: warning: unable to deliver to 'ws://127.0.0.1:$pna/ws/tasks/t1': .*; moving to 'ws://127.0.0.1:$PORT' in [0-9]* ms\$" err
check $? "ws: no ack within --timeout: moved on"

# A list with an empty element: bad usage, one line.
for l in "ws://a,,ws://b" ",ws://a" "ws://a," " , "; do
	keruta-ship -u "$l" -S spy </dev/null >out 2>err
	rc=$?
	case $l in
	ws://a,,*) n=2 ;;
	ws://a,) n=2 ;;
	*) n=1 ;;
	esac
	is "$rc $(cat out err)" "100 keruta-ship: fatal: bad url list '$l': \
element $n is empty" "bad list '$l': one line, exit 100"
done
keruta-ship -u "ws://a,http://b" --check 2>err
is "$? $(cat err)" "100 keruta-ship: fatal: url 'http://b' does not suit \
protocol ws" "--check: each server of the list is checked"
