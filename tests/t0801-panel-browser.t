#!/bin/sh
# t0801-panel-browser.t: the admin panel in headless Chromium against a real
# keruta-serve: task list (live), history, live lines, follow, filters,
# search, stats, export, reconnect after a restart, delete.  Screenshots go
# to $KR_ARTIFACTS (default: the build directory's artifacts/).
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel.test.mjs
