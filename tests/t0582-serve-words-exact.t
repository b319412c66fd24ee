#!/bin/sh
# keruta-serve: q= stays exact, pages and counts, whatever the state of the
# zones' word sets: three tasks whose records interleave within blocks, a
# server killed in the middle of a block (its sets in memory lost), a
# task's records deleted and sent again, sets made later in steps; with
# level= too (a rare level reads its own index). Every answer is checked
# against a model of the records (words as unicode61 splits ASCII: runs
# of letters and digits, any case).
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 5

cat >model.py <<'EOF'
import json, os, random, re, sys, urllib.parse, urllib.request

API = os.environ["SERVE_API"]
VOCAB = ["alpha", "Alpha", "ALPHA", "beta", "gamma", "delta", "omega",
         "req-7f3a", "req-7f3b", "7f3a9", "id=42", "42", "x", "timeout",
         "alphabet", "alp", "user@host", "a.b.c", "GET", "get"]
SEPS = [" ", " ", " ", "-", ".", "/", "=", ": ", ", "]

def words(m):
    return re.findall(r"[a-z0-9]+", m.lower())

def load():
    try:
        with open("model.json") as f:
            return json.load(f)
    except FileNotFoundError:
        return {"seq": {}, "recs": []}

def post(task, recs):
    body = "".join(json.dumps({"runId": "r", "seq": s, "message": m,
                               "level": lv}) + "\n"
                   for s, m, lv in recs).encode()
    req = urllib.request.Request(API + "/tasks/%s/logs" % task, data=body,
        headers={"Content-Type": "application/x-ndjson"})
    got = json.load(urllib.request.urlopen(req))
    assert got["stored"] == len(recs), got

def send(n, seed):
    st = load()
    rnd = random.Random(seed)
    left = n
    while left > 0:
        task = rnd.choice("abc")
        k = min(left, rnd.randint(1, 300))
        recs = []
        for _ in range(k):
            s = st["seq"].get(task, 0) + 1
            st["seq"][task] = s
            m = "".join(rnd.choice(SEPS) + rnd.choice(VOCAB)
                        for _ in range(rnd.randint(1, 6)))
            lv = rnd.choice(["ERROR"] * 2 + ["WARN"] * 5 + ["INFO"] * 93)
            recs.append((s, m, lv))
            st["recs"].append([task, s, m, lv])
        post(task, recs)
        left -= k
    with open("model.json", "w") as f:
        json.dump(st, f)

def forget(task):
    st = load()
    st["recs"] = [r for r in st["recs"] if r[0] != task]
    with open("model.json", "w") as f:
        json.dump(st, f)

def match(q, m):
    toks = words(m)
    ph = []
    for w in q.split(" "):
        pre = len(w) > 1 and w.endswith("*")
        parts = words(w[:-1] if pre else w)
        if parts:
            ph.append((parts, pre))
    if not ph:
        return False
    for parts, pre in ph:
        n = len(parts)
        ok = False
        for i in range(len(toks) - n + 1):
            if all(toks[i + j] == parts[j] if not (pre and j == n - 1)
                   else toks[i + j].startswith(parts[j]) for j in range(n)):
                ok = True
                break
        if not ok:
            return False
    return True

QUERIES = ["alpha", "ALPHA", "omega", "7f3a", "req", "42", "x", "get",
           "alpha beta", "alpha omega gamma", "req-7f3a", "a.b.c", "user@host",
           "id=42", "alp*", "alph*", "alpha*", "alphab*", "7f3*", "7f3a*",
           "req-7f*", "REQ-7F3A*", "beta alpha*", "nothere", "alpha nothere",
           "--", "get GET", "host user"]

def check():
    st = load()
    bad = 0
    levels = {"": ("INFO", "WARN", "ERROR"), "WARN": ("WARN", "ERROR"),
              "ERROR": ("ERROR",)}
    for task, lv, q in ((t, l, q) for t in "abc" for l in levels
                        for q in QUERIES):
        recs = [(s, m) for t, s, m, v in st["recs"]
                if t == task and v in levels[lv]]
        want = [s for s, m in recs if match(q, m)]
        arg = "q=" + urllib.parse.quote(q) + ("&level=" + lv if lv else "")
        u = "%s/tasks/%s/logs?%s&size=5&order=desc" % (API, task, arg)
        got = json.load(urllib.request.urlopen(u))
        seqs = [r["seq"] for r in got["content"]]
        c = json.load(urllib.request.urlopen(
            "%s/tasks/%s/logs/count?%s" % (API, task, arg)))["count"]
        exp = sorted(want, reverse=True)[:5]
        if got["totalElements"] != len(want) or c != len(want) or \
           seqs != exp:
            bad += 1
            if bad <= 3:
                print("# %s %r level=%s: want %d %s, got %d/%d %s" % (
                      task, q, lv, len(want), exp, got["totalElements"], c,
                      seqs))
    # Many steps of a cursor, up and down: an export (ascending, 256 rows
    # a step) and a page of 600 newest first, with q= and without.
    for task, q in ((t, q) for t in "abc" for q in ("alpha", "x", "")):
        recs = [(s, m) for t, s, m, v in st["recs"] if t == task]
        want = sorted(s for s, m in recs if not q or match(q, m))
        arg = "q=" + q if q else "level=INFO,WARN,ERROR"
        got = [json.loads(l)["seq"] for l in urllib.request.urlopen(
            "%s/tasks/%s/logs/export?format=ndjson&%s" % (API, task, arg))
            .read().decode().splitlines()]
        down = [r["seq"] for r in json.load(urllib.request.urlopen(
            "%s/tasks/%s/logs?%s&size=600&order=desc" % (API, task,
            arg)))["content"]]
        if got != want or down != want[::-1][:600]:
            bad += 1
            print("# %s %r: export %d of %d, newest 600: %s" % (task, q,
                  len(got), len(want), down == want[::-1][:600]))
    print("# %d queries, 3 levels, 3 tasks, %d records" % (len(QUERIES),
          len(st["recs"])))
    sys.exit(1 if bad else 0)

{"send": lambda: send(int(sys.argv[2]), int(sys.argv[3])),
 "forget": lambda: forget(sys.argv[2]),
 "check": check}[sys.argv[1]]()
EOF

start_serve || exit 1
python3 model.py send 3000 1 && python3 model.py check
check $? "three tasks interleaved: every answer as the model's"

# Killed in the middle of a block: the sets it gathered are lost, and the
# block's zones must not get sets that miss its first records.
kill9_serve
start_serve || exit 1
python3 model.py send 2500 2 && python3 model.py check
check $? "after a kill in the middle of a block and more records"

curl -s -o /dev/null -X DELETE "$SERVE_API/tasks/c/logs" &&
    python3 model.py forget c && python3 model.py send 1500 3 &&
    python3 model.py check
check $? "after a task's records are deleted and others come"

# Steps, when idle: on SQLite the zones of whole blocks get their sets;
# on PostgreSQL, the rows their vectors.
if expr "$SERVE_DB" : postgres >/dev/null; then
	wait_for 30 sh -c "psql -qXAt '$SERVE_DB' -c \
	    'SELECT count(*) FROM logs WHERE tsv IS NULL' | grep -qx 0"
else
	top=$(sqlite3 "$SERVE_DB" 'SELECT max(blk) FROM zones')
	wait_for 30 sh -c "[ \"\$(sqlite3 '$SERVE_DB' 'SELECT count(*) FROM
	    zones z LEFT JOIN zsets w USING (tid, blk)
	    WHERE w.tok IS NULL AND z.blk < $top')\" = 0 ]"
fi
python3 model.py check
check $? "with the index made in steps, the same answers"
stop_serve
is "$SERVE_RC" 0 "the server stops cleanly"
