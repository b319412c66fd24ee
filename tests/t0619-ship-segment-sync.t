#!/bin/sh
# keruta-ship syncs a full spool segment once the next one is full too,
# not as it begins the next: the sync waits for the disk, and keruta-ship,
# with the pipe before it, waited with it (some 20 ms a 16 MiB segment).
# Its writes and fsyncs are written down (tests/preload/fslog.c) while it
# spools 41 MB (three segments) against a port where no server listens.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 3

mkdir fs
FS=$(cd fs && pwd -P)
DEAD=ws://127.0.0.1:$(free_port)/ws/tasks
gen 1 5000 r1 sg 8192 >in
KR_FSLOG_DIR=$FS KR_FSLOG=$T/journal LD_PRELOAD=$KR_MOCK/fslog.so \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    keruta-ship -u "$DEAD" -S "$FS/sp" --drain-timeout 200ms \
    --reconnect-interval 100ms <in 2>err
is $? 111 "no server: exit 111, the records left in the spool"

# The journal's ops on segments in order: "C seg.N" (created) and
# "S seg.N" (synced).
python3 - "$T/journal" "$FS/sp/" >ops <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
pre = sys.argv[2]
i = 0
while i < len(data):
    op = chr(data[i]); i += 1 + 8
    (pl,) = struct.unpack_from('<I', data, i); i += 4
    path = data[i:i + pl].decode(); i += pl
    off, ln = struct.unpack_from('<QQ', data, i); i += 16
    if op in 'WR':
        i += ln
    if op in 'CS' and path.startswith(pre + 'seg.'):
        print(op, path[len(pre):])
PY
is "$(sed -n '/^C seg.3$/q;p' ops | tr '\n' ' ')" \
    "C seg.1 C seg.2 S seg.1 " \
    "a segment is synced when the one after it is full, not before"
is "$(sed -n '/^C seg.3$/,$p' ops | tr '\n' ' ')" \
    "C seg.3 S seg.1 S seg.2 S seg.3 " \
    "at exit every segment is synced"
