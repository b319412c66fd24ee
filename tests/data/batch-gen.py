#!/usr/bin/env python3
# batch-gen.py N [EVERY PAUSE]: writes N records, seq 1..N, to stdout,
# pausing PAUSE seconds after every EVERY records.
import sys
import time

n = int(sys.argv[1])
every = int(sys.argv[2]) if len(sys.argv) > 2 else 0
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
out = sys.stdout
pad = "x" * 100
for i in range(1, n + 1):
    out.write('{"type":"log","taskId":"t1","runId":"r1","seq":%d,'
              '"source":"stdout","level":"INFO","message":"%s"}\n'
              % (i, pad))
    if every and i % every == 0:
        out.flush()
        time.sleep(pause)
out.flush()
