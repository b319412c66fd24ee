#!/usr/bin/env python3
"""redact-score: keruta-filter's recall and false positives on a corpus of
redact-corpus.py, per family.

    redact-score.py FILTER CORPUS [--leaks]

Prints "family: kept K of N secrets (R%)" per family, then "clean: changed
C of M lines (F%)" and the totals; with --leaks, each leaked or changed line.
"""
import json
import subprocess
import sys

filt, path = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t", 3) for l in open(path, encoding="utf-8")]
inp = "".join(json.dumps({"type": "log", "seq": i + 1, "source": "stdout",
                          "level": "INFO", "message": r[3]}) + "\n"
              for i, r in enumerate(rows))
out = subprocess.run([filt], input=inp.encode(), stdout=subprocess.PIPE,
                     env={"PATH": "/usr/bin:/bin"}, check=True).stdout
got = [json.loads(l)["message"] for l in out.decode().splitlines()]
if len(got) != len(rows):
    raise SystemExit("redact-score: %d records in, %d out" %
                     (len(rows), len(got)))
fams, leaks = {}, []
for (fam, kind, value, line), g in zip(rows, got):
    f = fams.setdefault(fam, [0, 0])
    f[1] += 1
    if kind == "secret":
        if value not in g:
            f[0] += 1
        else:
            leaks.append(fam + ": " + g)
    elif g != line:
        f[0] += 1
        leaks.append("clean: " + line + "  ->  " + g)
ks = kn = 0
for fam in sorted(k for k in fams if k != "clean"):
    k, n = fams[fam]
    ks, kn = ks + k, kn + n
    print("%s: kept %d of %d secrets (%.1f%%)" % (fam, k, n, 100.0 * k / n))
print("secrets: kept %d of %d (%.2f%%)" % (ks, kn, 100.0 * ks / kn))
c, m = fams.get("clean", [0, 0])
print("clean: changed %d of %d lines (%.2f%%)" % (c, m, 100.0 * c / max(m, 1)))
if "--leaks" in sys.argv:
    for l in leaks:
        print("  " + l)
