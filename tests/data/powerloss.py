#!/usr/bin/env python3
"""powerloss.py: what a power cut would have left of keruta-serve's files.

  powerloss.py JOURNAL ACKS DB --cuts N [--seed S] [--work DIR]

JOURNAL is what tests/preload/fslog.c wrote while keruta-serve ran; ACKS
has one line per acknowledged batch, "ns run seq-from seq-to", ns being the
CLOCK_MONOTONIC time the client had the ack in hand. DB is the database's
path as the server opened it.

For each of N cut points (half right after an fsync, half anywhere), the
files are rebuilt as a disk would hold them after losing power there:
every write and truncation followed by an fsync of the same file before the
cut is there; each one after its file's last fsync is kept, lost, or torn
(only some of its 512-byte sectors written), at random and in any order.
Creations, renames and unlinks are taken as done. The shared-memory index
is lost with the power. Then sqlite3 opens the rebuilt database:
PRAGMA integrity_check must say ok, and every record acknowledged before the
cut must be there. Prints one line a failing cut, then a summary line:
"cuts N ok K acked-checked M"; exits 1 when any cut failed.

The rebuild (read_journal, synced_at, lose_unsynced, pick_cuts) is imported by
powerloss-spool.py, which does the same for keruta-ship's spool.
"""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys


def read_journal(path):
    ops = []
    with open(path, 'rb') as f:
        data = f.read()
    i = 0
    while i < len(data):
        op = chr(data[i])
        ns, pl = struct.unpack_from('<QI', data, i + 1)
        i += 13
        p = data[i:i + pl].decode()
        i += pl
        off, ln = struct.unpack_from('<QQ', data, i)
        i += 16
        payload = b''
        if op in 'WR':
            payload = data[i:i + ln]
            i += ln
        ops.append((op, ns, p, off, ln, payload))
    return ops


def apply(files, op):
    kind, _, p, off, ln, payload = op
    if kind == 'W':
        b = files.setdefault(p, bytearray())
        if len(b) < off:
            b.extend(b'\0' * (off - len(b)))
        b[off:off + ln] = payload
    elif kind == 'T':
        b = files.setdefault(p, bytearray())
        if len(b) > ln:
            del b[ln:]
        else:
            b.extend(b'\0' * (ln - len(b)))


def torn(op, rng):
    """The write with only some of its 512-byte sectors."""
    kind, ns, p, off, ln, payload = op
    parts = []
    start = off
    while start < off + ln:
        end = min((start // 512 + 1) * 512, off + ln)
        if rng.random() < 0.5:
            parts.append(('W', ns, p, start, end - start,
                          payload[start - off:end - off]))
        start = end
    return parts


def synced_at(ops, cut):
    """The files after ops[0..cut], as far as fsyncs made them durable:
    (durable, pending), pending holding each file's writes and
    truncations after its last fsync, in order."""
    durable = {}
    pending = {}
    for op in ops[:cut + 1]:
        kind, p = op[0], op[2]
        if kind in 'WT':
            pending.setdefault(p, []).append(op)
        elif kind == 'S':
            for q in pending.pop(p, []):
                apply(durable, q)
        elif kind == 'C':
            durable.setdefault(p, bytearray())
        elif kind == 'U':
            durable.pop(p, None)
            pending.pop(p, None)
        elif kind == 'R':
            new = op[5].decode()
            if p in durable:
                durable[new] = durable.pop(p)
            if p in pending:
                pending[new] = pending.pop(p)
    return durable, pending


def lose_unsynced(durable, pending, rng):
    """What was not synced, onto durable: kept, lost or torn, and
    reordered."""
    for p, lst in pending.items():
        chosen = []
        for op in lst:
            r = rng.random()
            if r < 0.4:
                chosen.append(op)
            elif r < 0.7 and op[0] == 'W':
                chosen.extend(torn(op, rng))
        rng.shuffle(chosen)
        for op in chosen:
            if p in durable or op[0] == 'W':
                apply(durable, op)
    return durable


def state_at(ops, cut, rng):
    """The files as a power cut right after ops[cut] leaves them."""
    durable, pending = synced_at(ops, cut)
    return lose_unsynced(durable, pending, rng)


def pick_cuts(ops, n, rng):
    """n cut points, sorted: half right after an fsync, half anywhere."""
    syncs = [i for i, op in enumerate(ops) if op[0] == 'S']
    cuts = []
    for k in range(n):
        if k % 2 == 0:
            cuts.append(rng.choice(syncs))
        else:
            cuts.append(rng.randrange(len(ops)))
    return sorted(cuts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('journal')
    ap.add_argument('acks')
    ap.add_argument('db')
    ap.add_argument('--cuts', type=int, default=20)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--work', default='powerloss.work')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    ops = read_journal(a.journal)
    acks = []
    with open(a.acks) as f:
        for line in f:
            ns, run, lo, hi = line.split()
            acks.append((int(ns), run, int(lo), int(hi)))
    syncs = [i for i, op in enumerate(ops) if op[0] == 'S']
    if not ops or not syncs or not acks:
        print('powerloss: nothing to cut: %d ops, %d syncs, %d acks'
              % (len(ops), len(syncs), len(acks)))
        return 1
    cuts = pick_cuts(ops, a.cuts, rng)
    failed = 0
    checked = 0
    dbdir = os.path.dirname(a.db)
    for c in cuts:
        # The power went after op c: op c+1 never happened.
        limit = ops[c + 1][1] if c + 1 < len(ops) else 1 << 63
        want = [x for x in acks if x[0] < limit]
        files = state_at(ops, c, rng)
        shutil.rmtree(a.work, ignore_errors=True)
        os.makedirs(a.work)
        for p, b in files.items():
            if p.endswith('-shm') or os.path.dirname(p) != dbdir:
                continue
            with open(os.path.join(a.work, os.path.basename(p)), 'wb') as f:
                f.write(b)
        db = os.path.join(a.work, os.path.basename(a.db))
        sql = ['PRAGMA integrity_check;']
        # A record's run and seq are its span's (keruta-serve(8), Storage).
        for _, run, lo, hi in want:
            sql.append("SELECT count(*) = %d FROM spans g CROSS JOIN logs l"
                       " ON l.id >= g.lo + max(0, %d - g.seq)"
                       " AND l.id < g.lo + min(g.n, %d + 1 - g.seq)"
                       " WHERE g.run = '%s' AND g.seq <= %d"
                       " AND g.seq + g.n > %d;"
                       % (hi - lo + 1, lo, hi, run, hi, lo))
        r = subprocess.run(['sqlite3', '-batch', db], input='\n'.join(sql),
                           capture_output=True, text=True)
        out = r.stdout.split('\n')
        bad = []
        if r.returncode != 0 or not out or out[0] != 'ok':
            bad.append('integrity: %s %s' % (out[:3], r.stderr.strip()[:200]))
        else:
            for (ns, run, lo, hi), got in zip(want, out[1:]):
                if got != '1':
                    bad.append('acked %s %d-%d missing' % (run, lo, hi))
                    break
        checked += len(want)
        if bad:
            failed += 1
            print('cut %d (op %s of %d, %d acked batches before it): %s'
                  % (c, ops[c][0], len(ops), len(want), '; '.join(bad)))
    print('cuts %d ok %d acked-checked %d' % (len(cuts), len(cuts) - failed,
                                               checked))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
