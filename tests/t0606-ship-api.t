#!/bin/sh
# keruta-ship -p keruta-api: one POST a record with exactly level,
# message, source and metadata, against a server that rejects other keys.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 7

start_peer --mode api
URL=http://127.0.0.1:$PORT/api/v1
cat >in.ndjson <<'IN'
{"type":"log","taskId":"t1","runId":"r1","seq":1,"timestamp":"2026-11-28T10:15:03.000000001Z","source":"stdout","level":"TRACE","message":"deep","lineNumber":1}
{"type":"log","taskId":"t1","runId":"r1","seq":2,"timestamp":"2026-11-28T10:15:03.000000002Z","source":"stderr","level":"ERROR","message":"bad","lineNumber":1,"partial":true}
{"type":"log","taskId":"t1","runId":"r1","seq":3,"timestamp":"2026-11-28T10:15:03.000000003Z","source":"agent","level":"INFO","message":"exit","metadata":{"event":"exit","exitCode":0}}
{"type":"log","taskId":"t1","runId":"r1","seq":4,"timestamp":"2026-11-28T10:15:03.000000004Z","source":"stdout","level":"FATAL","message":"gone","continued":true,"custom":"x"}
IN
keruta-ship -p keruta-api -u "$URL" -S sp --summary sum <in.ndjson 2>err
is $? 0 "all accepted: exit 0"
is "$(jq -c '[.read, .acked]' sum)" "[4,4]" "4 records acked by 201"
is "$(grep -c '^POST /api/v1/tasks/t1/logs .* type=application/json ' peer.log)" 4 "one POST a record, as JSON"
cat >want <<'WANT'
{"timestamp":"2026-11-28T10:15:03.000000001Z","seq":1,"runId":"r1","lineNumber":1,"level":"DEBUG","message":"deep","source":"stdout","taskId":"t1"}
{"timestamp":"2026-11-28T10:15:03.000000002Z","seq":2,"runId":"r1","lineNumber":1,"partial":true,"level":"ERROR","message":"bad","source":"stderr","taskId":"t1"}
{"timestamp":"2026-11-28T10:15:03.000000003Z","seq":3,"runId":"r1","event":"exit","exitCode":0,"level":"INFO","message":"exit","source":"agent","taskId":"t1"}
{"timestamp":"2026-11-28T10:15:03.000000004Z","seq":4,"runId":"r1","continued":true,"custom":"x","level":"ERROR","message":"gone","source":"stdout","taskId":"t1"}
WANT
jq -cS . store >got
jq -cS . want >want.s
diff_golden want.s got "levels mapped, the rest in metadata (as the server saw it)"
# The server rejects any other key: what we send has none.
is "$(grep '^keys=' peer.log | sort -u)" "keys=level,message,metadata,source" "exactly the four keys in every POST"

# A server that refuses a record for good (4xx): set aside, exit 1.
gen 1 3 r2 | jq -c '.seq |= if . == 2 then 99 else . end' >in2
stop_peer
start_peer --mode api --reject-seq 99 --store "$T/store2"
URL=http://127.0.0.1:$PORT/api/v1
keruta-ship -p keruta-api -u "$URL" -S sp2 <in2 2>err
is $? 1 "a refused record: exit 1"
is "$(jq -c '[.runId, .seq]' sp2/rejected.ndjson)" '["r2",99]' "kept in rejected.ndjson as it came"
