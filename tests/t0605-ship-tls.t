#!/bin/sh
# keruta-ship over TLS: https and wss verify the certificate; --cacert
# trusts a private CA; --insecure works and warns.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v openssl >/dev/null || skip_all "no openssl"
plan 9

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=keruta test CA" \
    2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 2 -extfile ext 2>/dev/null
start_peer --cert srv.pem --key srv.key

gen 1 20 | keruta-ship -p rest -u "https://127.0.0.1:$PORT/api/v1" -S sp \
    --cacert ca.pem 2>err
is $? 0 "https with --cacert: delivered"
gen 21 40 | keruta-ship -u "wss://127.0.0.1:$PORT/ws/tasks" -S sp \
    --cacert ca.pem 2>err
is $? 0 "wss with --cacert: delivered"
is "$(stored_seqs | wc -l | tr -d ' ')" 40 "all 40 stored"

gen 41 41 | keruta-ship -p rest -u "https://127.0.0.1:$PORT/api/v1" -S sp2 \
    --retry-count 0 --drain-timeout 10s 2>err
is $? 111 "https without the CA: refused, exit 111"
grep -q "giving up on 'https://127.0.0.1:$PORT/api/v1/tasks/t1/logs'" err
check $? "and says it gave up"
gen 41 41 | keruta-ship -u "wss://127.0.0.1:$PORT/ws/tasks" -S sp2 \
    --retry-count 0 --drain-timeout 10s 2>err
is $? 111 "wss without the CA: refused, exit 111"

gen 41 50 | keruta-ship -p rest -k -u "https://127.0.0.1:$PORT/api/v1" \
    -S sp3 2>err
is $? 0 "https --insecure: delivered"
grep -q 'warning: --insecure: ' err
check $? "--insecure warns"
gen 51 60 | keruta-ship --insecure -u "wss://127.0.0.1:$PORT/ws/tasks" \
    -S sp3 2>err
is "$? $(stored_seqs | wc -l | tr -d ' ')" "0 60" "wss --insecure: delivered"
