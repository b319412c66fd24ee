#!/usr/bin/env python3
"""powerloss-spool.py: what a power cut would have left of a keruta-ship spool.

  powerloss-spool.py cuts --cuts N --seed S --spool DIR RUN...
  powerloss-spool.py rebuild --seed S --spool DIR --out OUT RUN... <CUTS

Each RUN is JOURNAL:SUMMARY, one a keruta-ship run on the spool DIR (the
path keruta-ship opened), in the order they ran: JOURNAL what
tests/preload/fslog.c wrote during the run, SUMMARY its --summary file
or "-" when its count is not to be checked (the run's acknowledged
records are then the lines its spool held at its exit). The journals,
one after the other, are the ops cut into; an op's number counts across
them.

"cuts" checks that each run's summary counts the spool lines it left
(exits 2 otherwise: the test itself is wrong then) and prints N cut
points, one a line, sorted: right after each fsync once, then as
powerloss.py picks them (half right after an fsync, half anywhere).

"rebuild" reads lines "K C" on stdin, one at a time: for each, it
rebuilds the spool as a power cut right after op C would have left it
(powerloss.py: synced writes kept, unsynced ones kept, lost or torn at
random, the random of cut K of seed S) into OUT/spool, OUT emptied
first, and writes, one record a line as "taskId runId seq", sorted:

  OUT/want    every spool line that is whole in the rebuilt segments (its
              bytes those last written there, a truncation since or
              not): the records a replay of OUT/spool must deliver, each
              once
  OUT/again   a record for each time it is whole in the segments beyond
              the first: a write a full disk cut short, truncated away
              and written again to the next segment, can survive the cut
              with its truncation lost; a replay may send such a record
              twice (the server keeps it once)
  OUT/synced  the spool lines whose bytes were all synced before the cut
  OUT/acked   the records acknowledged before the cut: those spooled, as
              its summary said, by the last run that ended before it (its
              exit-time fsync done)

then prints one line on stdout, flushed, saying so: the records the
kernel held at the cut, those whole after it, those synced, those
acknowledged. A test reads it before it uses OUT.
"""
import argparse
import json
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import powerloss  # noqa: E402


def load_runs(specs):
    """The ops of all runs, and for each run (last op, summary)."""
    ops, runs = [], []
    for spec in specs:
        journal, summary = spec.rsplit(':', 1)
        ops.extend(powerloss.read_journal(journal))
        runs.append((len(ops) - 1, summary))
    return ops, runs


def copy(files):
    return {p: bytearray(b) for p, b in files.items()}


def kernel_at(durable, pending):
    """The files as the kernel had them: every write kept, in order."""
    for p, lst in pending.items():
        for op in lst:
            if p in durable or op[0] == 'W':
                powerloss.apply(durable, op)
    return durable


def written_at(ops, cut):
    """Each file with every write of ops[0..cut] in it, in order, and no
    truncation: a write cut off again (a full disk, a torn tail) may still
    be on the disk after a power cut."""
    files = {}
    for op in ops[:cut + 1]:
        kind, p = op[0], op[2]
        if kind == 'W':
            powerloss.apply(files, op)
        elif kind == 'U':
            files.pop(p, None)
        elif kind == 'R':
            if p in files:
                files[op[5].decode()] = files.pop(p)
    return files


def segments(files, spool):
    """The spool's segment files, by number."""
    segs = {}
    for p, b in files.items():
        name = os.path.basename(p)
        if os.path.dirname(p) != spool or not name.startswith('seg.'):
            continue
        if name[4:].isdigit():
            segs[int(name[4:])] = (p, b)
    return [segs[n] for n in sorted(segs)]


def lines(b):
    """The whole lines of b: (offset, bytes with the newline)."""
    out, at = [], 0
    while True:
        nl = b.find(b'\n', at)
        if nl == -1:
            return out
        out.append((at, bytes(b[at:nl + 1])))
        at = nl + 1


def rec_id(line):
    f = line.split(b'\t', 3)
    return '%s %s %s' % (f[0].decode(), f[1].decode(), f[2].decode())


def spooled(files, spool):
    return [rec_id(ln) for _, b in segments(files, spool)
            for _, ln in lines(b)]


def write_ids(path, ids):
    with open(path, 'w') as f:
        for x in sorted(ids):
            f.write(x + '\n')


def check_runs(ops, runs, spool):
    """Each run's summary counts the lines its spool held at its exit."""
    for last, summary in runs:
        if summary == '-':
            continue
        with open(summary) as f:
            n = json.load(f)['spooled']
        held = len(spooled(kernel_at(*powerloss.synced_at(ops, last)),
                           spool))
        if held != n:
            print('run ending at op %d: its summary says %d spooled, the '
                  'spool holds %d' % (last, n, held))
            return False
    return True


def rebuild(ops, runs, spool, cut, rng, out, acked_at):
    durable, pending = powerloss.synced_at(ops, cut)
    files = powerloss.lose_unsynced(copy(durable), pending, rng)
    kernel = kernel_at(copy(durable), pending)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, 'spool'))
    for p, b in files.items():
        if os.path.dirname(p) != spool:
            continue
        with open(os.path.join(out, 'spool', os.path.basename(p)),
                  'wb') as f:
            f.write(b)
    # Whole: the bytes between two newlines are those written there.
    written = written_at(ops, cut)
    want = []
    for p, b in segments(files, spool):
        k = written.get(p, b'')
        for at, ln in lines(b):
            if k[at:at + len(ln)] == ln:
                want.append(rec_id(ln))
    synced = spooled(durable, spool)
    # Acknowledged: what the last run to end before the cut left.
    done = [last for last, _ in runs if last <= cut]
    acked = []
    if done:
        if done[-1] not in acked_at:
            acked_at[done[-1]] = spooled(
                kernel_at(*powerloss.synced_at(ops, done[-1])), spool)
        acked = acked_at[done[-1]]
    write_ids(os.path.join(out, 'want'), set(want))
    seen, again = set(), []
    for x in want:
        if x in seen:
            again.append(x)
        seen.add(x)
    write_ids(os.path.join(out, 'again'), again)
    write_ids(os.path.join(out, 'synced'), synced)
    write_ids(os.path.join(out, 'acked'), acked)
    return '%d held, %d whole, %d synced, %d acked' % (
        len(spooled(kernel, spool)), len(seen), len(synced), len(acked))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['cuts', 'rebuild'])
    ap.add_argument('runs', nargs='+')
    ap.add_argument('--cuts', type=int, default=20)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--spool', required=True)
    ap.add_argument('--out', default='cut')
    a = ap.parse_args()
    ops, runs = load_runs(a.runs)
    spool = a.spool.rstrip('/')
    if a.mode == 'cuts':
        if not any(op[0] == 'S' for op in ops):
            print('powerloss-spool: nothing to cut: %d ops, no fsync'
                  % len(ops))
            return 1
        if not check_runs(ops, runs, spool):
            return 2
        # Every fsync once, then powerloss.py's random picks.
        syncs = [i for i, op in enumerate(ops) if op[0] == 'S'][:a.cuts]
        rng = random.Random(a.seed)
        for c in sorted(syncs + powerloss.pick_cuts(ops, a.cuts - len(syncs),
                                                     rng)):
            print(c)
        return 0
    acked_at = {}
    for line in sys.stdin:
        key, cut = (int(x) for x in line.split())
        rng = random.Random(a.seed * 1000003 + key)
        what = rebuild(ops, runs, spool, cut, rng, a.out, acked_at)
        print('cut %d: after op %d (%s %s) of %d: %s'
              % (key, cut, ops[cut][0], os.path.basename(ops[cut][2]),
                 len(ops), what), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
