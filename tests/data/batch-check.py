#!/usr/bin/env python3
# batch-check.py FILE: reads keruta-batch output and prints
#   kept K dropped D gaps G batches B largest L longest N order ok|bad
#   cover ok|bad
# kept: records that are not gap records; dropped: the sum of the gap
# records' counts; largest: records in the biggest batch; longest: bytes
# of the longest line with its newline; order: whether the seq of the kept
# records only ever rises; cover: whether kept records and the gaps'
# fromSeq..toSeq ranges, in their order, make up 1, 2, 3 ... with no hole
# and no overlap (for input numbered so). Exits 1 on a line that is not a JSON array.
import json
import sys

kept = dropped = gaps = batches = largest = longest = 0
last = 0
order = "ok"
cover = "ok"
nxt = 1
with open(sys.argv[1], "rb") as f:
    for n, line in enumerate(f, 1):
        try:
            batch = json.loads(line)
        except ValueError:
            print("line %d: not JSON" % n)
            sys.exit(1)
        if not isinstance(batch, list) or not line.endswith(b"\n"):
            print("line %d: not a batch" % n)
            sys.exit(1)
        batches += 1
        largest = max(largest, len(batch))
        longest = max(longest, len(line))
        for r in batch:
            m = r.get("metadata") or {}
            if m.get("event") == "gap" and r.get("source") == "agent":
                gaps += 1
                dropped += m["count"]
                if m.get("fromSeq") != nxt or \
                        m.get("toSeq", 0) - nxt + 1 != m["count"]:
                    cover = "bad"
                nxt += m["count"]
                continue
            kept += 1
            s = r.get("seq", 0)
            if s <= last:
                order = "bad"
            if s != nxt:
                cover = "bad"
            nxt = s + 1
            last = s
print("kept %d dropped %d gaps %d batches %d largest %d longest %d order %s "
      "cover %s" % (kept, dropped, gaps, batches, largest, longest, order,
                    cover))
