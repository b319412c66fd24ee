# tests/browser/env.sh: shell side of the panel's browser tests, sourced by
# tests/t08*-panel-*.t after lib.sh and serve.sh.
#
#   panel_setup          fail the test loudly when node, playwright-core or
#                        chromium are missing; set KR_ARTIFACTS
#   panel_serve ARGS...  start_serve ARGS, and tell the node side how to
#                        restart the same server (KR_SERVE_ARGV)
#   panel_run SCRIPT     run tests/browser/SCRIPT (it prints TAP)
panel_browser=$KR_TOP/tests/browser

panel_setup() {
	if [ ! -d "$panel_browser/node_modules/playwright-core" ] ||
	    ! command -v node >/dev/null 2>&1 ||
	    [ ! -x "${KR_CHROMIUM:-/usr/bin/chromium}" ]; then
		plan 1
		check 1 "node, playwright-core and chromium are installed" \
		    "(run scripts/install-deps)"
		exit 1
	fi
	: "${KR_ARTIFACTS:=$(dirname "$KR_BIN")/artifacts}"
	export KR_ARTIFACTS
}

panel_serve() {
	if ! start_serve "$@"; then
		plan 1
		check 1 "keruta-serve starts"
		exit 1
	fi
	KR_SERVE_ARGV=$(jq -cn --arg p "$KR_BIN/keruta-serve" \
	    --arg l "127.0.0.1:$SERVE_PORT" --arg d "$SERVE_DB" \
	    '[$p, "--listen", $l, "--db", $d] + $ARGS.positional' \
	    --args -- "$@")
	KR_SERVE_LOG=$SERVE_LOG
	export KR_SERVE_ARGV KR_SERVE_LOG
}

panel_run() {
	node "$panel_browser/$1"
}
