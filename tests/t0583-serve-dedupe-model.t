#!/bin/sh
# keruta-serve: each (task, run, seq) is stored once, whatever the order
# records come in. Random batches to three tasks whose records interleave:
# runs that start again from seq 1, seqs out of order, with holes, repeated
# within a batch and across batches, records without a run or without a
# seq (never duplicates); a task deleted and sent again; the server
# stopped, and killed, between batches. Every reply's stored and
# duplicates, every task's records and every run's resume ack are checked
# against a model.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 6

cat >model.py <<'EOF'
import json, os, random, sys, urllib.request

API = os.environ["SERVE_API"]
WS = os.environ["SERVE_WS"]

def load():
    try:
        with open("model.json") as f:
            return json.load(f)
    except FileNotFoundError:
        return {"recs": [], "n": 0}

def key(t, r):
    return (t, r.get("runId"), r.get("seq"))

def send(batches, seed):
    st = load()
    rnd = random.Random(seed)
    seen = {tuple(k) for k in (key(t, r) for t, r in st["recs"])
            if k[1] is not None and k[2] is not None}
    mx = {}
    for t, r in st["recs"]:
        if "seq" in r:
            k = (t, r.get("runId"))
            mx[k] = max(mx.get(k, 0), r["seq"])
    bad = 0
    for _ in range(batches):
        task = rnd.choice("xyz")
        recs, want = [], [0, 0]
        for _ in range(rnd.choice([1, 2, 5, 20, 100, 400])):
            r = {}
            if rnd.random() < 0.95:
                r["runId"] = rnd.choice(["r1", "r2", "r3"])
            if rnd.random() < 0.95:
                # Mostly in order, some back and some far ahead.
                base = mx.get((task, r.get("runId")), 0)
                r["seq"] = max(1, base + rnd.choice([1] * 12 + [-3, 0, 2,
                               7, -40, 1]))
            st["n"] += 1
            r["message"] = "m%d" % st["n"]
            recs.append(r)
            k = key(task, r)
            if k[1] is not None and k[2] is not None and k in seen:
                want[1] += 1
                continue
            if k[1] is not None and k[2] is not None:
                seen.add(k)
            want[0] += 1
            st["recs"].append([task, r])
            if "seq" in r:
                k = (task, r.get("runId"))
                mx[k] = max(mx.get(k, 0), r["seq"])
        body = "".join(json.dumps(r) + "\n" for r in recs).encode()
        req = urllib.request.Request(API + "/tasks/%s/logs" % task,
            data=body, headers={"Content-Type": "application/x-ndjson"})
        got = json.load(urllib.request.urlopen(req))
        if [got["stored"], got["duplicates"]] != want:
            bad += 1
            if bad <= 3:
                print("# %s: want %s, got %s" % (task, want,
                      [got["stored"], got["duplicates"]]))
    with open("model.json", "w") as f:
        json.dump(st, f)
    sys.exit(1 if bad else 0)

def forget(task):
    st = load()
    st["recs"] = [x for x in st["recs"] if x[0] != task]
    with open("model.json", "w") as f:
        json.dump(st, f)

def check():
    st = load()
    bad = 0
    for task in "xyz":
        want = [[r.get("runId"), r.get("seq"), r["message"]]
                for t, r in st["recs"] if t == task]
        got = []
        u = "%s/tasks/%s/logs/export?format=ndjson" % (API, task)
        ids = []
        for line in urllib.request.urlopen(u).read().decode().splitlines():
            r = json.loads(line)
            got.append([r.get("runId"), r.get("seq"), r["message"]])
            ids.append(r["id"])
        if got != want:
            bad += 1
            print("# %s: %d records, the model %d" % (task, len(got),
                  len(want)))
        if ids != sorted(ids):
            bad += 1
            print("# %s: ids out of order" % task)
    print("# %d records" % len(st["recs"]))
    sys.exit(1 if bad else 0)

def maxseq():
    st = load()
    for task in "xyz":
        for run in ("r1", "r2", "r3"):
            print(task, run, max([r["seq"] for t, r in st["recs"]
                  if t == task and r.get("runId") == run and "seq" in r]
                  or [0]))

{"send": lambda: send(int(sys.argv[2]), int(sys.argv[3])),
 "forget": lambda: forget(sys.argv[2]),
 "check": check, "maxseq": maxseq}[sys.argv[1]]()
EOF

start_serve || exit 1
python3 model.py send 150 1 && python3 model.py check
check $? "random batches to three tasks: each record once, in order"

# The server's memory of the last span written is lost with it.
stop_serve
start_serve || exit 1
python3 model.py send 100 2 && kill9_serve && start_serve &&
    python3 model.py send 100 3 && python3 model.py check
check $? "after a restart and a kill between batches"

curl -s -o /dev/null -X DELETE "$SERVE_API/tasks/y/logs" &&
    python3 model.py forget y && python3 model.py send 100 4 &&
    python3 model.py check
check $? "a task deleted, and its records sent again, stored again"

python3 model.py maxseq >want
for t in x y z; do
	for r in r1 r2 r3; do
		echo "$t $r $(echo "{\"type\":\"resume\",\"runId\":\"$r\"}" |
		    serve_ws "$SERVE_WS/$t" --send - --stop-count 1 | jq .seq)"
	done
done >got
is "$(cat got)" "$(cat want)" "each run's resume is acked with its highest seq"
is "$(wc -l <want | tr -d ' ')" 9 "nine runs"
is "$(db_sound)" ok "the database is sound: each record once and counted"
stop_serve
