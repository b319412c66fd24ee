#!/usr/bin/env python3
"""ship-emit: print RATE lines a second for SECONDS seconds, in bursts of
RATE/10 every 100 ms; with "lat", each line is "lat <wall-ns>".

  ship-emit.py RATE SECONDS [lat]
"""
import sys
import time

rate, secs = int(sys.argv[1]), float(sys.argv[2])
lat = len(sys.argv) > 3
step = 0.1 if rate >= 10 else 1.0 / rate
per = max(1, int(rate * step))
t = time.monotonic()
end = t + secs
i = 0
out = sys.stdout
while t < end:
    for _ in range(per):
        i += 1
        if lat:
            out.write("lat %d\n" % time.time_ns())
        else:
            out.write("line %d of the outage, with some text to look real\n"
                      % i)
    out.flush()
    t += step
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
