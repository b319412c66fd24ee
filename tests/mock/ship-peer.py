#!/usr/bin/env python3
"""ship-peer: a small keruta server for the keruta-ship tests.

Speaks the REST ingest (NDJSON or a JSON array, 2xx = stored), the keruta
API form (one object with exactly level, message, source, metadata; any
other key is a 400) and the WebSocket protocol (frames of records, acks
per run, resume). Stores records in an NDJSON file, deduplicated on
(taskId, runId, seq), flushed before the ack, so a kill -9 keeps them.

  ship-peer.py --port-file F --store F [--log F] [--mode rest|api]
      [--fail N:STATUS] [--reject-seq N] [--token T] [--api-key K]
      [--cert F --key F] [--close-after N] [--no-ack]
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
API_KEYS = {"level", "message", "source", "metadata"}

args = None
lock = threading.Lock()
seen = set()
highest = {}
fails_left = [0]
closes_left = [0]


def load_store():
    if not os.path.exists(args.store):
        return
    with open(args.store) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            note(r)


def note(r):
    key = (r.get("taskId"), r.get("runId"), r.get("seq"))
    if key[1] is not None and key[2] is not None:
        if key in seen:
            return False
        seen.add(key)
        h = highest.get((key[0], key[1]), 0)
        if isinstance(key[2], (int, float)) and key[2] > h:
            highest[(key[0], key[1])] = int(key[2])
    return True


def store(task, recs):
    out = []
    with lock:
        for r in recs:
            r = dict(r)
            r["taskId"] = task
            if note(r):
                out.append(json.dumps(r, separators=(",", ":")))
        if out:
            with open(args.store, "a") as f:
                f.write("\n".join(out) + "\n")
                f.flush()
    return len(out)


def log(line):
    if args.log:
        with lock:
            with open(args.log, "a") as f:
                f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorised(self):
        if args.token and self.headers.get("Authorization") != \
                "Bearer " + args.token:
            return False
        if args.api_key and self.headers.get("X-API-Key") != args.api_key:
            return False
        return True

    def task(self, prefix, suffix):
        p = self.path.split("?")[0]
        if not p.startswith(prefix) or not p.endswith(suffix):
            return None
        t = p[len(prefix):len(p) - len(suffix)]
        return t if t and "/" not in t else None

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        log("POST %s auth=%s key=%s type=%s expect=%s" % (
            self.path, self.headers.get("Authorization"),
            self.headers.get("X-API-Key"), self.headers.get("Content-Type"),
            self.headers.get("Expect")))
        task = self.task("/api/v1/tasks/", "/logs")
        if task is None:
            return self.reply(404, {"error": {"status": 404}})
        if not self.authorised():
            return self.reply(401, {"error": {"status": 401}})
        with lock:
            if fails_left[0] > 0:
                fails_left[0] -= 1
                code = args.fail_status
            else:
                code = 0
        if code:
            return self.reply(code, {"error": {"status": code}})
        try:
            text = body.decode("utf-8")
            if args.mode == "api":
                recs = [json.loads(text)]
                if isinstance(recs[0], dict):
                    log("keys=" + ",".join(sorted(recs[0].keys())))
                if not isinstance(recs[0], dict) or \
                        set(recs[0].keys()) != API_KEYS:
                    return self.reply(400, {"error": {"status": 400,
                                            "message": "unknown keys"}})
                m = recs[0]["metadata"]
                r = dict(m)
                r.update({k: recs[0][k] for k in ("level", "message",
                                                    "source")})
                recs = [r]
            elif text.lstrip().startswith("["):
                recs = json.loads(text)
            else:
                recs = [json.loads(l) for l in text.split("\n") if l.strip()]
        except ValueError:
            return self.reply(400, {"error": {"status": 400}})
        if args.reject_seq and any(r.get("seq") == args.reject_seq
                                   for r in recs):
            return self.reply(422, {"error": {"status": 422}})
        n = store(task, recs)
        self.reply(201 if args.mode == "api" else 200, {"stored": n})

    def do_GET(self):
        task = self.task("/ws/tasks/", "")
        log("GET %s auth=%s key=%s" % (self.path,
            self.headers.get("Authorization"), self.headers.get("X-API-Key")))
        if task is None or self.headers.get("Upgrade", "").lower() != \
                "websocket":
            return self.reply(404, {"error": {"status": 404}})
        if not self.authorised():
            return self.reply(401, {"error": {"status": 401}})
        key = self.headers.get("Sec-WebSocket-Key", "")
        acc = base64.b64encode(hashlib.sha1((key + WS_GUID).encode())
                               .digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", acc)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            self.ws(task)
        except (OSError, ConnectionError, ValueError):
            pass

    def ws_send(self, text, opcode=1):
        d = text.encode() if isinstance(text, str) else text
        if len(d) < 126:
            h = struct.pack("!BB", 0x80 | opcode, len(d))
        elif len(d) < 65536:
            h = struct.pack("!BBH", 0x80 | opcode, 126, len(d))
        else:
            h = struct.pack("!BBQ", 0x80 | opcode, 127, len(d))
        self.wfile.write(h + d)
        self.wfile.flush()

    def read_exact(self, n):
        d = self.rfile.read(n)
        if len(d) < n:
            raise ConnectionError("eof")
        return d

    def ws(self, task):
        msg = b""
        sent_max = {}
        frames = 0
        while True:
            b0, b1 = self.read_exact(2)
            op = b0 & 0x0f
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self.read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.read_exact(8))[0]
            mask = self.read_exact(4) if b1 & 0x80 else b"\0\0\0\0"
            d = bytearray(self.read_exact(n))
            for i in range(n):
                d[i] ^= mask[i % 4]
            if op == 8:
                self.ws_send(bytes(d[:2]), 8)
                return
            if op == 9:
                self.ws_send(bytes(d), 10)
                continue
            if op in (1, 0):
                msg += bytes(d)
                if not b0 & 0x80:
                    continue
                text, msg = msg.decode("utf-8"), b""
                m = json.loads(text)
                if isinstance(m, dict) and m.get("type") == "resume":
                    run = m.get("runId")
                    with lock:
                        h = highest.get((task, run), 0)
                    log("resume %s %d" % (run, h))
                    self.ws_send(json.dumps({"type": "ack", "runId": run,
                                             "seq": h}))
                    continue
                recs = m if isinstance(m, list) else [m]
                frames += 1
                with lock:
                    if closes_left[0] > 0 and frames > args.close_after:
                        closes_left[0] -= 1
                        raise ConnectionError("closing on purpose")
                store(task, recs)
                log("frame %d" % len(recs))
                if args.no_ack:
                    continue
                runs = {}
                for r in recs:
                    run, seq = r.get("runId"), r.get("seq")
                    if isinstance(seq, int):
                        sent_max[run] = max(sent_max.get(run, 0), seq)
                        runs[run] = 1
                for run in runs:
                    self.ws_send(json.dumps({"type": "ack", "runId": run,
                                             "seq": sent_max[run]}))


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--store", required=True)
    p.add_argument("--log")
    p.add_argument("--mode", default="rest")
    p.add_argument("--fail", default="0:503")
    p.add_argument("--reject-seq", type=int, default=0)
    p.add_argument("--token")
    p.add_argument("--api-key")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--close-after", type=int, default=-1)
    p.add_argument("--no-ack", action="store_true")
    args = p.parse_args()
    n, st = args.fail.split(":")
    fails_left[0] = int(n)
    args.fail_status = int(st)
    if args.close_after >= 0:
        closes_left[0] = 1
    load_store()
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
