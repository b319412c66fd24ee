#!/bin/sh
# t0801-panel-browser.t: the admin panel in headless Chromium against a real
# keruta-serve: task list, history, live lines, follow, filters, search,
# stats, export, reconnect after a restart, delete.  Screenshots go to
# $KR_ARTIFACTS (default: the build directory's artifacts/).
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"

browser=$KR_TOP/tests/browser
if [ ! -d "$browser/node_modules/playwright-core" ] ||
    ! command -v node >/dev/null 2>&1 ||
    [ ! -x "${KR_CHROMIUM:-/usr/bin/chromium}" ]; then
	plan 1
	check 1 "node, playwright-core and chromium are installed" \
	    "(run scripts/install-deps)"
	exit 1
fi
: "${KR_ARTIFACTS:=$(dirname "$KR_BIN")/artifacts}"
export KR_ARTIFACTS

if ! start_serve; then
	plan 1
	check 1 "keruta-serve starts"
	exit 1
fi
KR_SERVE_ARGV=$(jq -cn --arg p "$KR_BIN/keruta-serve" \
    --arg l "127.0.0.1:$SERVE_PORT" --arg d "$SERVE_DB" \
    '[$p, "--listen", $l, "--db", $d]')
KR_SERVE_LOG=$SERVE_LOG
export KR_SERVE_ARGV KR_SERVE_LOG

node "$browser/panel.test.mjs"
