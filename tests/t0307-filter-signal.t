#!/bin/sh
# keruta-filter: records move on while the input is open; SIGTERM stops
# reading and drains what was read, held records included.
. "${0%/*}/lib.sh"
plan 5

mkfifo fifo
keruta-filter -R <fifo >out 2>err &
pid=$!
bg_pid $pid
exec 3>fifo
printf '%s\n' '{"seq":1,"message":"password=hunter22"}' >&3
wait_for 10 grep -q '"seq":1' out
check $? "a record goes out while the input stays open"
printf '%s\n' '{"seq":2,"message":"ghp_aBcDeFgHiJk","continued":true}' >&3
printf '%s' '{"seq":3,"message":"a last line wi' >&3
sleep 0.3
kill -TERM $pid
wait $pid
is $? 0 "SIGTERM: exit 0"
exec 3>&-
is "$(jq -r '.seq // .metadata.event // .malformed' out | tr '\n' ' ')" \
    "1 true 2 redacted " \
    "... after the partial line, the held record and the report"
is "$(sed -n 2p out | jq -r .message)" '{"seq":3,"message":"a last line wi' \
    "the partial line is wrapped whole"
is "$(sed -n 3p out)" '{"seq":2,"message":"ghp_aBcDeFgHiJk","continued":true}' \
    "the held record goes out as it is"
