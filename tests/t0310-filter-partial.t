#!/bin/sh
# keruta-filter: a line written across a pause comes as "partial" records
# and the rest of its line; a secret split between them is masked in
# every part, and a partial record waits for its rest a bounded time.
. "${0%/*}/lib.sh"
plan 9

keruta-capture -- sh -c 'printf "token ghp_aBcDeFgHiJ"; sleep 0.4;
    printf "kLmNoPqRsTuVwXyZ0123456789 done\n"' | keruta-filter >out
is "$(jq -r 'select(.source == "stdout") | [.message, .partial] | @tsv' out)" \
    "token [REDACTED:github-token]	true
[REDACTED:github-token] done	" \
    "a token written across a pause is masked in both parts"
jq -c 'select(.source == "stdout")' out | grep -q 'aBcDeF\|kLmNoP'
check $((! $?)) "no part of it in any record of the script's output"

# Through a pipe kept open: what goes out, and when.
mkfifo fifo
keruta-filter -H 600ms <fifo >out 2>err &
pid=$!
bg_pid $pid
exec 3>fifo
printf '%s\n' '{"seq":1,"message":"Enter the password: ","partial":true}' >&3
wait_for 2 grep -q '"seq":1' out
check $? "a partial record ending in a space goes out at once"
printf '%s\n' '{"seq":2,"message":"hunter22","lineNumber":1}' >&3
wait_for 2 grep -q '"seq":2' out
is "$(sed -n 2p out)" '{"seq":2,"message":"[REDACTED:password]","lineNumber":1}' \
    "... and its rest is read after it: the value is masked"

t0=$(date +%s%N)
printf '%s\n' '{"seq":3,"message":"Downloading layer","partial":true}' >&3
wait_for 5 grep -q '"seq":3' out
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
awk -v m="$ms" 'BEGIN { exit !(m >= 500 && m < 3000) }'
check $? "a partial record that may go on waits for its rest, 600ms at most ($ms ms)"
is "$(sed -n 3p out)" '{"seq":3,"message":"Downloading layer","partial":true}' \
    "... and goes out as it came"

printf '%s\n' '{"seq":4,"message":"key AKIAIOSF","partial":true}' >&3
printf '%s\n' '{"seq":5,"message":"ODNN7EXAMPLE ok"}' >&3
wait_for 5 grep -q '"seq":5' out
is "$(sed -n '4,5p' out | jq -r .message | tr '\n' '|')" \
    "key [REDACTED:aws-access-key-id]|[REDACTED:aws-access-key-id] ok|" \
    "a partial record joined with its rest: both parts masked"

# An ordinary line is never held.
printf '%s\n' '{"seq":6,"message":"Build finished"}' >&3
wait_for 2 grep -q '"seq":6' out
check $? "a whole line goes out at once"
exec 3>&-
wait $pid
is "$?" 0 "exit 0"
