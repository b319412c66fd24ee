#!/bin/sh
# keruta-serve and a power cut: what it acknowledged is on disk. The
# server's file writes and fsyncs are written down (tests/preload/fslog.c)
# while batches are posted and acknowledged; then the files are rebuilt as
# a power cut at many points would have left them, unsynced writes lost,
# kept or torn (tests/data/powerloss.py): the database must pass
# integrity_check and hold every record acknowledged before the cut.
# `make soak` runs the same with 1,000 cuts. The default is --sync full;
# --sync normal trades this for speed.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
sqlite_only "the WAL and its VFS under a power cut"
plan 7

mkdir db
SERVE_DB=$T/db/serve.db
KR_FSLOG_DIR=$T/db KR_FSLOG=$T/journal LD_PRELOAD=$KR_MOCK/fslog.so \
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export KR_FSLOG_DIR KR_FSLOG LD_PRELOAD ASAN_OPTIONS
start_serve || exit 1
unset LD_PRELOAD KR_FSLOG_DIR KR_FSLOG
python3 "$DATA/powerloss-client.py" 127.0.0.1 "$SERVE_PORT" pl run1 \
    "${POWERLOSS_BATCHES:-400}" 50 >acks
is "$(wc -l <acks)" "${POWERLOSS_BATCHES:-400}" "every batch acknowledged"
kill9_serve
python3 "$DATA/powerloss.py" journal acks "$SERVE_DB" \
    --cuts "${POWERLOSS_CUTS:-20}" --seed "${POWERLOSS_SEED:-$$}" >result
tail -n 1 result | grep -q "^cuts ${POWERLOSS_CUTS:-20} ok ${POWERLOSS_CUTS:-20} "
check $? "after every cut: integrity ok, every acknowledged record there"
sed 's/^/# /' result | tail -n 6
sqlite3 "$SERVE_DB" 'PRAGMA integrity_check' >ic
is "$(cat ic)" ok "the files as the server left them are sound too"

keruta-serve --sync sometimes 2>err
is $? 100 "bad --sync: 100"
is "$(cat err)" "keruta-serve: fatal: bad --sync 'sometimes' (full or normal)" \
    "says what it takes"
keruta-serve --help | grep -q -- '--sync full|normal'
check $? "--help lists --sync"
SERVE_DB=$T/normal.db
start_serve --sync normal || exit 1
is "$(curl -s -H 'Content-Type: application/json' -d '{"level":"INFO","message":"m"}' \
    "$SERVE_API/tasks/n/logs" | jq -c '{level,message}')" \
    '{"level":"INFO","message":"m"}' "--sync normal stores and acks"
