# tests/lib.sh: TAP helpers for the shell tests, sourced by tests/t*.t.
#
#   plan N | check STATUS DESC | is GOT WANT DESC | diff_golden WANT GOT DESC
#   skip_all REASON (prints the reason; only for what the machine lacks)
#   free_port, wait_for CMD..., run_tool PROG ARGS...
#
# Each test runs in its own temporary directory ($T), removed at exit, with
# the freshly built programs ($KR_BIN) first on PATH.
set -u

: "${KR_TOP:=$(cd "${0%/*}/.." && pwd)}"
: "${KR_BIN:=$KR_TOP/build/bin}"
: "${KR_MOCK:=$KR_TOP/build/mock}"
DATA=$KR_TOP/tests/data
PATH=$KR_BIN:$PATH
export PATH KR_TOP KR_BIN KR_MOCK DATA
# A test must not pick up the configuration of the machine it runs on.
unset KERUTA_CONFIG KERUTA_TASK_ID KERUTA_LOG_LEVEL KERUTA_AUTH_TOKEN \
    KERUTA_API_TOKEN KERUTA_API_KEY KERUTA_WEBSOCKET_URL KERUTA_API_URL \
    KERUTA_LOG_BATCH_SIZE KERUTA_LOG_BUFFER_SIZE KERUTA_LOG_FLUSH_INTERVAL \
    KERUTA_LOG_STREAMING_ENABLED KERUTA_DIAG KERUTA_SERVE_LEXFIX 2>/dev/null || :

T=$(mktemp -d "${TMPDIR:-/tmp}/keruta-test.XXXXXX")
_kr_pids=
_kr_cleanup() {
	for p in $_kr_pids; do kill "$p" 2>/dev/null; done
	for p in $_kr_pids; do wait "$p" 2>/dev/null; done
	cd / && rm -rf "$T"
}
trap _kr_cleanup EXIT
trap 'exit 143' TERM INT
cd "$T" || exit 1
# Debian's python3 (scripts/install-deps installs it) comes first on PATH,
# before any version manager's shim: pyenv's costs half a second of CPU
# at each start, and the tests start Python hundreds of times.
if [ -x /usr/bin/python3 ] && mkdir .python &&
    ln -s /usr/bin/python3 .python/python3; then
	PATH=$T/.python:$PATH
fi

_kr_n=0
_kr_failed=0
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$@"; }

# check STATUS DESC: ok when STATUS is 0.
check() {
	_kr_n=$((_kr_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_kr_n - $2"
	else
		echo "not ok $_kr_n - $2"
		_kr_failed=$((_kr_failed + 1))
	fi
}

# is GOT WANT DESC: ok when the strings are equal; shows both otherwise.
is() {
	if [ "$1" = "$2" ]; then
		check 0 "$3"
	else
		check 1 "$3"
		# On stderr, which prove shows without -v: a CI log has it.
		printf '#          got: %s\n#     expected: %s\n' "$1" "$2" >&2
	fi
}

# diff_golden WANT GOT DESC: ok when the files are equal; shows the diff.
diff_golden() {
	if diff -u "$1" "$2" >"$T/.diff" 2>&1; then
		check 0 "$3"
	else
		check 1 "$3"
		sed 's/^/# /' "$T/.diff" | head -n 40 >&2
	fi
}

# Register a background pid to be killed at exit.
bg_pid() { _kr_pids="$_kr_pids $1"; }

# wait_for SECONDS CMD...: run CMD every 20 ms until it succeeds.
wait_for() {
	_kr_t=$(($1 * 50))
	shift
	while [ "$_kr_t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
		_kr_t=$((_kr_t - 1))
	done
	return 1
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Normalise what changes from run to run in records: timestamps, run ids,
# pids, durations.
normalise() {
	sed -E -e 's/"timestamp":"[^"]*"/"timestamp":"T"/g' \
	    -e 's/"runId":"[0-9a-f]*"/"runId":"R"/g' \
	    -e 's/"pid":[0-9]+/"pid":0/g' \
	    -e 's/"durationMs":[0-9]+/"durationMs":0/g' "$@"
}

# filter_cases FILE: keruta-filter against a case table (input TAB expected,
# "=" for unchanged; '#' comments), one TAP line per case, with the plan.
filter_cases() {
	grep -v -e '^#' -e '^$' "$1" >cases
	_kr_fc_n=$(wc -l <cases)
	plan $((_kr_fc_n + 2))
	cut -f1 cases | jq -Rc '{type:"log",seq:1,source:"stdout",level:"INFO",
	    message:.}' >in
	keruta-filter <in >out 2>err
	check $? "the filter exits 0"
	is "$(wc -l <out | tr -d ' ')" "$_kr_fc_n" "one record out per record in"
	jq -r .message out >got
	_kr_fc_i=0
	while IFS= read -r _kr_fc_line; do
		_kr_fc_i=$((_kr_fc_i + 1))
		_kr_fc_in=${_kr_fc_line%%	*}
		_kr_fc_want=${_kr_fc_line#*	}
		[ "$_kr_fc_want" = "=" ] && _kr_fc_want=$_kr_fc_in
		# '#' would make a TAP directive of the description.
		is "$(sed -n "${_kr_fc_i}p" got)" "$_kr_fc_want" \
		    "case $_kr_fc_i: $(printf '%s' "$_kr_fc_in" | tr '#' _ |
		    cut -c1-60)"
	done <cases
}
