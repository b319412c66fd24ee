#!/usr/bin/env python3
"""ship-latency: subscribe to a task on keruta-serve and print, for each
record whose message is "lat <wall-ns>", the delay from then to now in
microseconds, one a line, until COUNT records came or TIMEOUT seconds.

  ship-latency.py HOST PORT TASK COUNT TIMEOUT
"""
import base64
import json
import os
import socket
import struct
import sys
import time


def main():
    host, port, task, count, timeout = sys.argv[1], int(sys.argv[2]), \
        sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    s = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws/tasks/%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket"
               "\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (task, host, key))
              .encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    msg = json.dumps({"type": "subscribe", "taskId": task,
                      "options": {"realtime": True}}).encode()
    mask = os.urandom(4)
    s.sendall(struct.pack("!BBH", 0x81, 0x80 | 126, len(msg)) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
    print("ready", flush=True)
    end = time.time() + timeout
    got = 0
    s.settimeout(0.5)
    while got < count and time.time() < end:
        while True:
            if len(buf) >= 2:
                n = buf[1] & 0x7f
                h = 2
                if n == 126:
                    h = 4
                    n = struct.unpack("!H", buf[2:4])[0] if len(buf) >= 4 \
                        else None
                elif n == 127:
                    h = 10
                    n = struct.unpack("!Q", buf[2:10])[0] if len(buf) >= 10 \
                        else None
                if n is not None and len(buf) >= h + n:
                    break
            try:
                d = s.recv(65536)
            except socket.timeout:
                if time.time() >= end:
                    return
                continue
            if not d:
                return
            buf += d
        payload, buf = buf[h:h + n], buf[h + n:]
        now = time.time_ns()
        try:
            m = json.loads(payload)
        except ValueError:
            continue
        for r in m if isinstance(m, list) else [m]:
            if not isinstance(r, dict):
                continue
            t = r.get("message", "")
            if isinstance(t, str) and t.startswith("lat "):
                print((now - int(t[4:])) // 1000, flush=True)
                got += 1


main()
