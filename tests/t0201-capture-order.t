#!/bin/sh
# keruta-capture: stdout and stderr interleaved in the order written, each
# line passed on at once.
. "${0%/*}/lib.sh"
plan 6

# Each write waits (sleeping) until the one before it has come out, so the
# order is the script's whatever the load of the machine.
cat >interleave.sh <<'S'
w() {
	if [ "$1" = out ]; then printf "$2"; else printf "$2" >&2; fi
	i=0
	while ! grep -q "\"message\":\"$3\"" out && [ $i -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
}
w out 'o1\n' o1
w err 'e1\n' e1
w out 'o2\n' o2
w err 'e2\ne3\n' e3
w out 'o3\n' o3
w out 'o4' o4
w err 'e4\n' e4
S
keruta-capture -- sh interleave.sh >out 2>err
is "$?" 0 "exit status 0"
jq -c 'select(.source != "agent") | [.seq, .source, .lineNumber, .level,
    .message, .partial]' out >got
cat >want <<'W'
[2,"stdout",1,"INFO","o1",null]
[3,"stderr",1,"ERROR","e1",null]
[4,"stdout",2,"INFO","o2",null]
[5,"stderr",2,"ERROR","e2",null]
[6,"stderr",3,"ERROR","e3",null]
[7,"stdout",3,"INFO","o3",null]
[8,"stdout",4,"INFO","o4",true]
[9,"stderr",4,"ERROR","e4",null]
W
diff_golden want got "order across stdout and stderr, seq, lineNumber"
is "$(jq -r .seq out | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 " \
    "seq runs 1, 2, 3 ... with no hole"
jq -r .timestamp out >ts
sort ts | diff - ts >/dev/null && \
    grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z' ts
check $? "timestamps are RFC 3339 with nanoseconds, in order"

# A line reaches the next stage while the command still runs, through a
# pipe and into a file alike.
mkfifo fifo
cat fifo >piped &
bg_pid $!
keruta-capture -- sh -c 'echo first; sleep 20' >fifo 2>/dev/null &
bg_pid $!
keruta-capture -- sh -c 'echo first; sleep 20' >file 2>/dev/null &
bg_pid $!
wait_for 10 grep -q '"message":"first"' piped
check $? "a line is written at once into a pipe"
wait_for 10 grep -q '"message":"first"' file
check $? "a line is written at once into a file"
