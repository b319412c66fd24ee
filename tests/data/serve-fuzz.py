#!/usr/bin/env python3
"""serve-fuzz.py: mutated HTTP requests and WebSocket frames against a
running keruta-serve.

  serve-fuzz.py PORT CASES SEED

Each case starts from a well-formed request (a POST of records, a query,
an export, a WebSocket upgrade followed by frames), mutates it (bytes
flipped, inserted, dropped or repeated, a header doubled, a length made
huge or negative, the text cut short) and sends it on a connection of its
own, reading whatever comes back for a short while. Every 50 cases the
server must still answer /health. Prints "cases N replies R" and exits 0;
exits 1 with the case that killed it (its seed and bytes, in hex) when the
server stops answering.
"""
import base64
import os
import random
import socket
import struct
import sys
import time

port, cases, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)


def ws_frame(payload, opcode=1, masked=True, fin=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack('!H', n)
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack('!Q', n)
    if not masked:
        return head + payload
    key = bytes(rng.randrange(256) for _ in range(4))
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def seeds():
    body = (b'{"runId":"fz","seq":1,"message":"a"}\n'
            b'{"runId":"fz","seq":2,"message":"b","level":"WARN"}\n')
    post = (b'POST /api/v1/tasks/fuzz/logs HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            b'Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n'
            b'\r\n' % len(body)) + body
    one = b'{"level":"INFO","message":"m","metadata":{"k":[1,"x"]}}'
    post1 = (b'POST /api/v1/tasks/fuzz/logs HTTP/1.1\r\nHost: h\r\n'
             b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
             % len(one)) + one
    gets = [b'GET /api/v1/tasks/fuzz/logs?level=WARN&q=a*&size=5&page=0&'
            b'order=desc&from=2026-01-01T00:00:00Z HTTP/1.1\r\nHost: h\r\n\r\n',
            b'GET /api/v1/tasks/fuzz/logs/export?format=csv HTTP/1.1\r\n'
            b'Host: h\r\n\r\n',
            b'GET /api/v1/tasks/fuzz/logs/stats HTTP/1.1\r\nHost: h\r\n\r\n',
            b'GET /api/v1/tasks HTTP/1.1\r\nHost: h\r\n'
            b'Authorization: Bearer a.b.c\r\n\r\n',
            b'DELETE /api/v1/tasks/scratch/logs?before=2020-01-01T00:00:00Z'
            b' HTTP/1.1\r\nHost: h\r\n\r\n',
            b'GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n',
            b'GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n']
    key = base64.b64encode(b'0123456789abcdef')
    up = (b'GET /ws/tasks/fuzz HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n'
          b'Connection: Upgrade\r\nSec-WebSocket-Key: ' + key + b'\r\n'
          b'Sec-WebSocket-Version: 13\r\n\r\n')
    frames = [b'{"type":"subscribe","taskId":"fuzz","options":{"after":0,'
              b'"levels":["WARN"],"realtime":false}}',
              b'[{"runId":"fw","seq":1,"message":"x"}]',
              b'{"type":"resume","runId":"fw"}', b'{"type":"ping"}',
              b'{"type":"unsubscribe"}']
    return [post, post1] + gets + [up + b''.join(ws_frame(f) for f in frames)]


def mutate(data):
    data = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        k = rng.randrange(9)
        i = rng.randrange(len(data) + 1)
        if k == 0 and data:
            data[min(i, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif k == 1:
            data[i:i] = bytes(rng.randrange(256)
                              for _ in range(rng.randrange(1, 8)))
        elif k == 2:
            del data[i:i + rng.randrange(1, 16)]
        elif k == 3:
            j = rng.randrange(len(data) + 1)
            data[i:i] = data[min(i, j):max(i, j)][:200]
        elif k == 4:
            data = data[:i]
        elif k == 5:
            data[i:i] = rng.choice([b'\r\n', b'\0', b'\xff\xfe', b'%00',
                                    b'%', b'\r\n\r\n', b'Content-Length: 9'
                                    b'99999999999\r\n', b'Transfer-Encoding:'
                                    b' chunked\r\n', b'X-A: v\r\n',
                                    b'Content-Length: -1\r\n', b'..%2f'])
        elif k == 6:
            # A WebSocket frame with a length far past what follows.
            data += bytes([0x81, 0xff]) + struct.pack('!Q', rng.choice(
                [0, 1 << 31, 1 << 63, rng.randrange(1 << 24)])) + b'mask'
        elif k == 7:
            data += ws_frame(bytes(rng.randrange(256)
                                   for _ in range(rng.randrange(64))),
                             rng.choice([0, 1, 2, 8, 9, 10, 3, 15]),
                             masked=rng.random() < 0.8,
                             fin=rng.random() < 0.8)
        else:
            data += b'{"type":"subscribe","options":{"after":' + \
                str(rng.choice([-1, 0, 1 << 62, 'null', '"x"'])).encode() + \
                b'}}'
    return bytes(data)


def send(data, wait):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=2)
        s.sendall(data)
        if rng.random() < 0.3:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(wait)
        got = 0
        end = time.time() + wait
        while time.time() < end:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
        s.close()
        return got > 0
    except OSError:
        return False


def healthy():
    for _ in range(50):
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=2)
            s.sendall(b'GET /health HTTP/1.1\r\nHost: h\r\n'
                      b'Connection: close\r\n\r\n')
            s.settimeout(5)
            d = s.recv(100)
            s.close()
            if d.startswith(b'HTTP/1.1 200'):
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


base = seeds()
replies = 0
for n in range(cases):
    data = mutate(rng.choice(base))
    if send(data, 0.02):
        replies += 1
    if n % 50 == 49 and not healthy():
        print('serve-fuzz: no health after case %d (seed %d): %s'
              % (n, seed, data.hex()))
        sys.exit(1)
if not healthy():
    print('serve-fuzz: no health at the end (seed %d)' % seed)
    sys.exit(1)
print('cases %d replies %d' % (cases, replies))
