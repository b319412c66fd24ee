#!/usr/bin/env python3
# batch-trickle.py N INTERVAL CMD...: writes N records to CMD's stdin,
# one every INTERVAL seconds, and times each until the batch holding it
# comes out of CMD's stdout. Prints "p50 p99 max" in milliseconds, then
# "records N", or "error: ..." and exits 1 when a record does not come
# back alone and in order.
import json
import os
import select
import subprocess
import sys
import time

n, interval, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     bufsize=0)
lat = []
buf = b""
for i in range(1, n + 1):
    rec = ('{"type":"log","taskId":"t","runId":"r","seq":%d,'
           '"source":"stdout","level":"INFO","message":"tick %d"}\n'
           % (i, i)).encode()
    t0 = time.monotonic()
    p.stdin.write(rec)
    while b"\n" not in buf:
        r, _, _ = select.select([p.stdout], [], [], 30)
        if not r:
            print("error: record %d did not come out in 30 s" % i)
            sys.exit(1)
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            print("error: output ended at record %d" % i)
            sys.exit(1)
        buf += chunk
    lat.append((time.monotonic() - t0) * 1000)
    line, buf = buf.split(b"\n", 1)
    batch = json.loads(line)
    if [r["seq"] for r in batch] != [i]:
        print("error: record %d came out as %s" % (i, line[:200]))
        sys.exit(1)
    time.sleep(max(0.0, interval - (time.monotonic() - t0)))
p.stdin.close()
rest = p.stdout.read()
rc = p.wait()
if rest or rc != 0:
    print("error: exit %d with %d more bytes" % (rc, len(rest)))
    sys.exit(1)
lat.sort()
print("%.1f %.1f %.1f" % (lat[len(lat) // 2],
                          lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                          lat[-1]))
print("records %d" % n)
