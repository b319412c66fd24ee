#!/bin/sh
# keruta-filter and keruta-batch: a reader that goes away before taking
# every record is a failure (exit 111, one line on stderr), not the end.
. "${0%/*}/lib.sh"
plan 8

awk 'BEGIN { for (i = 1; i <= 200000; i++)
	printf "{\"seq\":%d,\"message\":\"line %d of the build\"}\n", i, i }' >in

{ keruta-filter <in 2>err; echo $? >rc; } | head -c 1000 >/dev/null
is "$(cat rc)" 111 "filter: a reader that goes away: exit 111"
is "$(wc -l <err | tr -d ' ')" 1 "filter: one diagnostic line"
grep -Eq '^keruta-filter: fatal: unable to write to standard output: Broken pipe: [0-9]+ records not delivered$' err
check $? "filter: it says how many records were not delivered: $(cat err)"

# A record held for the one that continues it is undelivered too.
printf '%s\n' '{"seq":1,"message":"a","continued":true}' >in2
mkfifo fifo
{ keruta-filter <fifo 2>err2; echo $? >rc2; } | true &
exec 3>fifo
sleep 0.3
cat in2 >&3
exec 3>&-
wait
is "$(cat rc2)" 111 "filter: a held record the reader never took: exit 111"
grep -Eq '^keruta-filter: fatal: unable to write to standard output: Broken pipe: 1 record not delivered$' err2
check $? "filter: the held record is counted: $(cat err2)"

# Everything taken, then the reader goes: nothing was lost.
printf '%s\n' '{"seq":1,"message":"x"}' | keruta-filter >out
is "$?" 0 "filter: a reader that took everything: exit 0"

# keruta-batch, the same: held records are counted when the reader goes.
rm -f fifo
mkfifo fifo
{ keruta-batch -i 10s <fifo 2>err3; echo $? >rc3; } | true &
exec 3>fifo
sleep 0.3
printf '%s\n' '{"seq":1}' '{"seq":2}' >&3
exec 3>&-
wait
is "$(cat rc3)" 111 "batch: held records the reader never took: exit 111"
grep -Eq '^keruta-batch: fatal: unable to write to stdout: Broken pipe: 2 records not delivered$' err3
check $? "batch: it says how many: $(cat err3)"
