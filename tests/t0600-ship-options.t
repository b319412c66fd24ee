#!/bin/sh
# keruta-ship: --help, --version, bad usage.
. "${0%/*}/lib.sh"
plan 20

keruta-ship --help >out 2>err
check $? "--help exits 0"
grep -q '^usage: keruta-ship' out
check $? "--help prints the usage on stdout"
is "$(wc -c <err | tr -d ' ')" 0 "--help prints nothing on stderr"
is "$(keruta-ship --version)" "keruta-ship 0.1.0" "--version"

keruta-ship --bogus </dev/null >out 2>err
is $? 100 "an unknown option exits 100"
keruta-ship -p carrier-pigeon </dev/null 2>err
is $? 100 "an unknown protocol exits 100"
is "$(cat err)" "keruta-ship: fatal: unknown protocol 'carrier-pigeon' (ws, rest, keruta-api)" "and says which"
keruta-ship -p rest -u ws://127.0.0.1:1/ws </dev/null 2>err
is $? 100 "a url that does not suit the protocol exits 100"
keruta-ship -t 'a/b' </dev/null 2>err
is $? 100 "a task id with a slash exits 100"
keruta-ship --summary-fd 9 </dev/null 2>err
is $? 100 "--summary-fd of a closed descriptor exits 100"
keruta-ship --token-file "$T/none" </dev/null 2>err
is $? 100 "a missing --token-file exits 100"
keruta-ship --drain-timeout soon </dev/null 2>err
is $? 100 "a bad --drain-timeout exits 100"

# --config: websocket.url and api.url from YAML; flags win over it.
. "$DATA/ship-lib.sh"
start_peer
cat >cfg.yaml <<YAML
websocket:
  url: ws://127.0.0.1:$PORT/ws/tasks
  timeout: 5s
  reconnectInterval: 1s
api:
  url: http://127.0.0.1:$PORT/api/v1
  retryCount: 2
YAML
gen 1 3 | keruta-ship -c cfg.yaml -S sp 2>err
is "$? $(stored_seqs | tr '\n' ' ')" "0 1 2 3 " "--config gives the WebSocket url"
gen 4 6 | keruta-ship -p rest -c cfg.yaml -S sp --timeout 2s 2>err
is "$? $(stored_seqs | tr '\n' ' ')" "0 1 2 3 4 5 6 " "and the API url, with --timeout"
gen 7 7 | KERUTA_CONFIG=cfg.yaml keruta-ship -S sp -v 2>err
is "$? $(cat err)" "0 keruta-ship: info: 1 records read, 1 acked, 0 spooled, 0 rejected" "KERUTA_CONFIG; -v prints the summary line"
printf 'nope\n' | keruta-ship -c cfg.yaml -t t1 -S sp -q 2>err
is "$? $(wc -c <err | tr -d ' ')" "0 0" "-q: no warning for a line that is not JSON"
printf 'websocket: [\n' >bad.yaml
keruta-ship -c bad.yaml </dev/null 2>err
is $? 100 "a malformed config exits 100"
stop_peer

# --spool-max: with the server down, reading stops when the spool is full.
PORT=$(free_port)
mkfifo fifo
keruta-ship -u "ws://127.0.0.1:$PORT/ws/tasks" -S spm --spool-max 1M \
    --reconnect-interval 200ms <fifo 2>err &
ship=$!
bg_pid $ship
gen 1 20000 >fifo &
writer=$!
bg_pid $writer
sleep 2
kill -0 $writer 2>/dev/null
check $? "--spool-max: the writer is held back"
size=$(cat spm/seg.* | wc -c)
test "$size" -lt 1500000
check $? "--spool-max: the spool stays near 1 MiB ($size bytes)"
start_peer --port "$PORT"
wait $writer
wait $ship
is "$? $(stored_seqs | wc -l | tr -d ' ')" "0 20000" "the server back: all 20000 delivered"
