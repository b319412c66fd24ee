#!/bin/sh
# keruta-ship takes the one id rule (lib/kr_id): 1 to 128 letters, digits
# or "-_.:@+=~", as the server stores them. --task-id build:42 ships, and
# so does an id of every class, over each protocol, to keruta-serve.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v keruta-serve >/dev/null || skip_all "keruta-serve is not built"
. "$KR_TOP/tests/serve.sh"
plan 11

# count ID: what the server stores for task ID (its marks %-encoded).
count() {
	_e=$(printf %s "$1" | jq -sRr @uri)
	curl -fsS "$SERVE_API/tasks/$_e/logs/count" | jq -r .count
}

start_serve || exit 1
all='Az09-_.:@+=~x'
for p in ws rest keruta-api; do
	case $p in ws) u=$SERVE_WS ;; *) u=$SERVE_API ;; esac
	gen 1 3 "r$p" | keruta-ship -p $p -u "$u" -S sp --task-id build:42 \
	    2>err
	is "$? $(cat err)" "0 " "$p: --task-id build:42 ships"
	gen 1 2 "r$p" "$all" | keruta-ship -p $p -u "$u" -S sp 2>err
	is "$? $(cat err)" "0 " "$p: a record's taskId of every class ships"
done
is "$(count build:42)" 9 "build:42: every record stored"
is "$(count "$all")" 6 "$all: every record stored"
keruta-ship --check -t 'a b' </dev/null 2>err
is "$? $(cat err)" "100 keruta-ship: fatal: bad task id 'a b' (1 to 128 \
letters, digits or '-_.:@+=~')" "a space is not in the rule"
long=$(printf '%0129d' 0)
keruta-ship --check -t "$long" </dev/null 2>/dev/null
is $? 100 "129 bytes are too many"
keruta-ship --check -t "${long#0}" </dev/null 2>err
is "$? $(cat err)" "0 " "128 are not"
stop_serve
