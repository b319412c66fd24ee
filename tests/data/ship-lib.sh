# ship-lib.sh: helpers for the keruta-ship tests, sourced after lib.sh.

PEER_PY=$KR_TOP/tests/mock/ship-peer.py

# start_peer ARGS...: the mock server on an ephemeral port (PORT), storing
# into $T/store unless --store is given.
start_peer() {
	rm -f "$T/port"
	python3 "$PEER_PY" --port-file "$T/port" --store "$T/store" \
	    --log "$T/peer.log" "$@" 2>>"$T/peer.err" 3>&- &
	PEER=$!
	bg_pid "$PEER"
	if ! wait_for 20 test -s "$T/port"; then
		echo "Bail out! the mock peer did not start"
		exit 1
	fi
	PORT=$(cat "$T/port")
}

# stop_peer: kill -9, as a crash would.
stop_peer() {
	kill -9 "$PEER" 2>/dev/null
	wait "$PEER" 2>/dev/null
	:
}

# gen FROM TO [RUN] [TASK] [PAD]: records FROM..TO of run RUN (r1) as
# NDJSON; with PAD, each message ends in PAD bytes of x.
gen() {
	awk -v a="$1" -v b="$2" -v run="${3:-r1}" -v task="${4:-t1}" \
	    -v n="${5:-0}" 'BEGIN {
		pad = "x"
		while (length(pad) < n)
			pad = pad pad
		pad = n > 0 ? " " substr(pad, 1, n) : ""
		for (i = a; i <= b; i++)
			printf "{\"type\":\"log\",\"taskId\":\"%s\",\"runId\":\"%s\",\"seq\":%d,\"timestamp\":\"2026-11-28T10:15:03.000000001Z\",\"source\":\"stdout\",\"level\":\"INFO\",\"message\":\"line %d%s\"}\n", task, run, i, i, pad
	}'
}

# slowgen TASK: a writer that takes a while: records 1..20000 of run r1,
# 500 every 50 ms.
slowgen() {
	_sg=1
	while [ $_sg -le 20000 ]; do
		gen $_sg $((_sg + 499)) r1 "$1"
		_sg=$((_sg + 500))
		sleep 0.05
	done
}

# stored_seqs [RUN]: the seqs stored for a run, one a line, sorted.
stored_seqs() {
	jq -r --arg run "${1:-r1}" 'select(.runId == $run) | .seq' \
	    "$T/store" 2>/dev/null | sort -n
}

# count_stored: how many records the peer stored.
count_stored() {
	if [ -f "$T/store" ]; then wc -l <"$T/store" | tr -d ' '; else echo 0; fi
}
