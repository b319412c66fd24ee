#!/usr/bin/env python3
"""serve-ws.py: a small WebSocket client for the keruta-serve tests.

  serve-ws.py URL [-H 'Name: value']... [--send FILE] [--stop-type T]
              [--stop-count N] [--stop-records N] [--timeout S]
              [--pause S] [--no-read S] [--raw HEX] [--bench FRAMES,RECS]

Connects, sends each line of FILE ('-' for stdin) as one text frame, then
prints every text message received, one per line, until a stop condition:
a message of type T, N messages, N log records, the server closing, or the
timeout. Exit 0 on a stop condition or close, 2 on timeout, 3 when the
handshake is refused (prints "HTTP <status>"). --raw sends bytes as they
are (for malformed-frame tests). --bench sends FRAMES frames of RECS
records each, waits for every ack, and prints "records/s".
"""
import base64
import json
import os
import select
import socket
import ssl
import struct
import sys
import time


def mask(data, key):
    n = len(data)
    if n == 0:
        return data
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame(payload, opcode=1):
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + key + mask(payload, key)


class Conn:
    def __init__(self, url, headers, timeout):
        scheme, rest = url.split("://", 1)
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        if scheme == "wss":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n" % (path, hostport, key))
        for h in headers:
            req += h + "\r\n"
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        parts = line.split()
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.closed = False
        self.close_code = None

    def send(self, data, opcode=1):
        self.sock.sendall(frame(data, opcode))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
            d = self.sock.recv(1 << 20)
            if not d:
                self.closed = True
                return False
            self.buf += d
        return True

    def recv(self, deadline):
        """One whole message (text), or None on timeout/close."""
        parts = []
        while True:
            if not self._need(2, deadline):
                return None
            b0, b1 = self.buf[0], self.buf[1]
            n = b1 & 0x7F
            off = 2
            if n == 126:
                if not self._need(4, deadline):
                    return None
                n = struct.unpack("!H", self.buf[2:4])[0]
                off = 4
            elif n == 127:
                if not self._need(10, deadline):
                    return None
                n = struct.unpack("!Q", self.buf[2:10])[0]
                off = 10
            if not self._need(off + n, deadline):
                return None
            payload = self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            op = b0 & 0x0F
            if op == 8:
                self.closed = True
                if len(payload) >= 2:
                    self.close_code = struct.unpack("!H", payload[:2])[0]
                try:
                    self.send(payload[:2], 8)
                except OSError:
                    pass
                return None
            if op == 9:
                self.send(payload, 10)
                continue
            if op == 10:
                continue
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode("utf-8", errors="replace")


def bench(c, frames, recs, deadline):
    run = os.urandom(8).hex()
    body = "x" * 60
    seq = 0
    t0 = time.time()
    window = 64
    sent = 0
    acked = 0
    last_seq = frames * recs
    while acked < last_seq:
        while sent < frames and sent - (acked // recs) < window:
            out = []
            for _ in range(recs):
                seq += 1
                out.append('{"type":"log","runId":"%s","seq":%d,'
                           '"timestamp":"2026-11-28T10:15:03.123456789Z",'
                           '"source":"stdout","level":"INFO","message":"%s %d"}'
                           % (run, seq, body, seq))
            c.send(("[" + ",".join(out) + "]").encode())
            sent += 1
        m = c.recv(deadline)
        if m is None:
            print("bench: no ack (timeout or close)", file=sys.stderr)
            return 2
        j = json.loads(m)
        if j.get("type") == "ack" and "seq" in j:
            acked = max(acked, j["seq"])
        elif j.get("type") == "error":
            print("bench: " + m, file=sys.stderr)
            return 1
    dt = time.time() - t0
    print("%d records in %.3f s: %d records/s" % (last_seq, dt, last_seq / dt))
    return 0


def main():
    a = sys.argv[1:]
    url = a.pop(0)
    headers, send, stop_type, stop_count, stop_recs = [], None, None, None, None
    timeout, pause, no_read, raw, bench_arg = 10.0, 0.0, 0.0, None, None
    while a:
        o = a.pop(0)
        if o == "-H":
            headers.append(a.pop(0))
        elif o == "--send":
            send = a.pop(0)
        elif o == "--stop-type":
            stop_type = a.pop(0)
        elif o == "--stop-count":
            stop_count = int(a.pop(0))
        elif o == "--stop-records":
            stop_recs = int(a.pop(0))
        elif o == "--timeout":
            timeout = float(a.pop(0))
        elif o == "--pause":
            pause = float(a.pop(0))
        elif o == "--no-read":
            no_read = float(a.pop(0))
        elif o == "--raw":
            raw = bytes.fromhex(a.pop(0))
        elif o == "--bench":
            bench_arg = [int(x) for x in a.pop(0).split(",")]
        else:
            print("serve-ws.py: unknown option " + o, file=sys.stderr)
            return 100
    c = Conn(url, headers, timeout)
    if c.status != 101:
        print("HTTP %d" % c.status)
        return 3
    deadline = time.time() + timeout
    if bench_arg:
        return bench(c, bench_arg[0], bench_arg[1], deadline)
    if raw is not None:
        c.sock.sendall(raw)
    if send is not None:
        f = sys.stdin if send == "-" else open(send)
        for line in f:
            line = line.rstrip("\n")
            if line:
                try:
                    c.send(line.encode())
                except OSError:
                    break
                if pause:
                    time.sleep(pause)
    if no_read:
        time.sleep(no_read)
    n = recs = 0
    while True:
        m = c.recv(deadline)
        if m is None:
            sys.stdout.flush()
            if c.closed:
                print("CLOSED %s" % c.close_code)
                return 0
            return 2
        print(m, flush=True)
        n += 1
        try:
            j = json.loads(m)
        except ValueError:
            j = {}
        if isinstance(j, dict) and j.get("type") == "log":
            recs += 1
        if stop_type and isinstance(j, dict) and j.get("type") == stop_type:
            return 0
        if stop_count and n >= stop_count:
            return 0
        if stop_recs and recs >= stop_recs:
            return 0


if __name__ == "__main__":
    sys.exit(main())
