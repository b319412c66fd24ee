#!/bin/sh
# t0804-panel-units.t: the panel's pure functions (ANSI, time, events,
# queries) under node, without a browser.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_run units.test.mjs
