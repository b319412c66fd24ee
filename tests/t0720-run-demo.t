#!/bin/sh
# make run (scripts/run-demo): start the server, stream the demo, show the
# URLs, keep serving until stopped.
. "${0%/*}/lib.sh"
for p in keruta-serve keruta-capture keruta-filter keruta-batch keruta-ship; do
	[ -x "$KR_BIN/$p" ] || skip_all "$p is not built"
done
plan 16

KR_RUN=$T/run KERUTA_DEMO_PORT=0 "$KR_TOP/scripts/run-demo" >out 2>err &
pid=$!
bg_pid $pid
wait_for 20 grep -q 'press Ctrl-C' out
check $? "the demo ran and the server keeps running"
url=$(sed -n 's/^Follow: .* -u \(ws:[^ ]*\) demo$/\1/p' out)
panel=$(sed -n 's/^Panel:  //p' out)
case $url in ws://127.0.0.1:*) r=0 ;; *) r=1 ;; esac
check $r "the keruta-tail command is printed ($url)"
grep -q '== the demo script exited with status 3' out
check $? "the demo exits 3, and the agent kept it"
grep -q 'log complete' out err
check $? "every record was acknowledged"
test -s "$T/run/keruta.db"
check $? "the SQLite file is under the run directory"

keruta-tail -u "$url" --exit-code demo >tailed 2>tail.err
is $? 3 "keruta-tail follows the demo to its exit status"
grep -q 'password=\[REDACTED:password\]' tailed
check $? "a masked secret"
! grep -q 'hunter2\|demo-secret-value-42\|ghp_0123' tailed out
check $? "no secret reached the server or the screen"
grep -q 'stderr ERROR this line went to stderr' tailed
check $? "stderr with its level"
grep -q 'WARN  \[warn\] the cache is cold' tailed
check $? "a level found in the line"
keruta-tail -u "$url" -n --json demo | grep -c '"continued":true' >n
test "$(cat n)" -ge 1
check $? "the long line was split into continued records"
curl -s -o /dev/null -w '%{http_code}' "$panel" >code
is "$(cat code)" 200 "the panel answers"

kill -TERM $pid
wait $pid
is $? 0 "Ctrl-C (or TERM) ends it with status 0"
curl -s -o /dev/null "$panel"
test $? -ne 0
check $? "and stops the server"

# KR_RUN_ONCE=1: the demo, then the server stops.
KR_RUN=$T/run KR_RUN_ONCE=1 KERUTA_DEMO_PORT=0 "$KR_TOP/scripts/run-demo" \
    >out2 2>err2
is $? 0 "KR_RUN_ONCE=1: exits 0 after the demo"
panel=$(sed -n 's/^Panel:  //p' out2)
curl -s -o /dev/null "$panel"
test $? -ne 0
check $? "KR_RUN_ONCE=1: the server is stopped"
