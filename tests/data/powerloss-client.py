#!/usr/bin/env python3
"""powerloss-client.py: post batches to keruta-serve over REST, one at a
time on one connection, and write down when each was acknowledged.

  powerloss-client.py HOST PORT TASK RUN BATCHES SIZE >acks

One line per acknowledged batch: "ns run seq-from seq-to", ns being
CLOCK_MONOTONIC (the clock tests/preload/fslog.c stamps its journal with)
read once the 200 reply is in hand.
"""
import http.client
import json
import sys
import time

host, port, task, run = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
batches, size = int(sys.argv[5]), int(sys.argv[6])
conn = http.client.HTTPConnection(host, port, timeout=30)
pad = 'x' * 150
seq = 1
for b in range(batches):
    body = ''.join(json.dumps({'runId': run, 'seq': seq + i,
                               'message': 'batch %d line %d %s' % (b, i, pad)})
                   + '\n' for i in range(size))
    conn.request('POST', '/api/v1/tasks/%s/logs' % task, body=body,
                 headers={'Content-Type': 'application/x-ndjson'})
    r = conn.getresponse()
    r.read()
    if r.status == 200:
        print(time.clock_gettime_ns(time.CLOCK_MONOTONIC), run, seq,
              seq + size - 1, flush=True)
    seq += size
