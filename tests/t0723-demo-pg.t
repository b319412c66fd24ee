#!/bin/sh
# scripts/demo-pg: a throwaway PostgreSQL, two keruta-serve on one database
# in it, the demo shipped to the first; the second serves it and shows a
# new run live; Ctrl-C (or TERM) stops the servers and PostgreSQL.
. "${0%/*}/lib.sh"
plan 14

KR_RUN=$T/run "$KR_TOP/scripts/demo-pg" 0 0 >out 2>err &
pid=$!
bg_pid $pid
wait_for 60 grep -q 'press Ctrl-C' out
check $? "the demo ran, the servers keep running"
a=$(sed -n 's/^Panel of server 1:  http:\/\/\([^/]*\)\/$/\1/p' out)
b=$(sed -n 's/^Panel of server 2:  http:\/\/\([^/]*\)\/ .*/\1/p' out)
pg=$(sed -n 's/^== PostgreSQL on \([0-9.]*:[0-9]*\) .*/\1/p' out)
case "$a $b" in
127.0.0.1:[0-9]*\ 127.0.0.1:[0-9]*) [ "$a" != "$b" ]; r=$? ;;
*) r=1 ;;
esac
check $r "two servers on two ports ($a, $b)"
is "$(sed -n 's/^Follow on server 2: .* -u \(ws:[^ ]*\) demo$/\1/p' out)" \
    "ws://$b" "the keruta-tail command follows the task on server 2"
grep -q '== the demo script exited with status 3' out
check $? "the demo exits 3, and the agent kept it"
grep -q 'log complete' out err
check $? "every record was acknowledged by server 1"
is "$(psql -qXAt "postgresql://keruta@$pg/keruta" -c "SELECT count(*) > 0
    FROM logs l JOIN tasks t ON t.tid = l.tid WHERE t.name = 'demo'")" \
    t "the records are in PostgreSQL"

keruta-tail -u "ws://$b" --exit-code demo >tailed 2>tail.err
is $? 3 "keruta-tail on server 2 follows the demo to its exit status"
grep -q 'password=\[REDACTED:password\]' tailed &&
    ! grep -q 'hunter2\|demo-secret-value-42\|ghp_0123' tailed out
check $? "secrets masked, none reached the servers"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://$a/") $(curl -s \
    -o /dev/null -w '%{http_code}' "http://$b/")" "200 200" \
    "both panels answer"

# The live view across servers, as the script says: a new task followed
# on server 2, shipped to server 1.
follow=$(sed -n 's/^    \(.*keruta-tail -u ws:[^ ]* live\)$/\1/p' out)
is "$follow" "$KR_BIN/keruta-tail -u ws://$b live" \
    "it says how to follow a new task on server 2"
$follow >live 2>live.err &
tp=$!
bg_pid $tp
sleep 1
ship=$(sed -n \
    's/^    \(KERUTA_WEBSOCKET_URL=ws:.* --task-id live .*\)$/\1/p' out)
(TMPDIR=$T/run; export TMPDIR; eval "$ship") >ship.out 2>&1
wait_for 20 grep -q 'ended with exit code 3' live.err
grep -q 'stdout INFO  demo: building the example project' live &&
    grep -q 'stderr FATAL FATAL: the demo fails on purpose' live
check $? "what is shipped to server 1 reaches the viewer on server 2 live"

kill -TERM $pid
wait $pid
is $? 0 "Ctrl-C (or TERM) ends it with status 0"
curl -s -o /dev/null "http://$a/" || curl -s -o /dev/null "http://$b/"
test $? -ne 0
check $? "and stops both servers"
psql -qXAt "postgresql://keruta@$pg/postgres" -c 'SELECT 1' >/dev/null 2>&1
test $? -ne 0
check $? "and PostgreSQL"
