#!/bin/sh
# The stages give the pipes they read room for 1 MiB (or the most Linux
# allows, /proc/sys/fs/pipe-max-size): keruta-filter, keruta-batch,
# keruta-ship and keruta-tail their standard input, keruta-capture the
# pipes of its command's output. The writer of each pipe reads its size.
. "${0%/*}/lib.sh"
plan 6

want=$(awk '{ print $1 < 1048576 ? $1 : 1048576 }' /proc/sys/fs/pipe-max-size)
# pipesize: waits (10 s at most) for fd 1's pipe to have grown, prints
# its size, then one record on fd 1.
cat >pipesize <<'PY'
import fcntl, sys, time
for _ in range(200):
    n = fcntl.fcntl(1, fcntl.F_GETPIPE_SZ)
    if n > 65536:
        break
    time.sleep(0.05)
print(n, file=sys.stderr)
print('{"taskId":"ps","runId":"r","seq":1,"message":"x"}')
PY
python3 -c 'import fcntl; fcntl.F_GETPIPE_SZ' 2>/dev/null ||
    skip_all "python3's fcntl has no F_GETPIPE_SZ"

for t in keruta-filter keruta-batch; do
	python3 pipesize 2>size | $t >/dev/null
	is "$(cat size)" "$want" "$t: its standard input"
done
python3 pipesize 2>size |
    keruta-ship -q -u "ws://127.0.0.1:$(free_port)/ws/tasks" -S sp \
    --drain-timeout 0 >/dev/null 2>&1
is "$(cat size)" "$want" "keruta-ship: its standard input"
python3 pipesize 2>size | keruta-tail --stdin >/dev/null
is "$(cat size)" "$want" "keruta-tail: its standard input"

# The command's standard output, then its standard error (pipesize then
# writes the size it read on the other one).
keruta-capture -q -t ps -- python3 pipesize 2>/dev/null |
    jq -r 'select(.source == "stderr") | .message' >got
is "$(cat got)" "$want" "keruta-capture: its command's standard output"
keruta-capture -q -t ps -- sh -c 'python3 pipesize 3>&1 1>&2 2>&3' \
    2>/dev/null | jq -r 'select(.source == "stdout") | .message' >got
is "$(cat got)" "$want" "keruta-capture: its command's standard error"
