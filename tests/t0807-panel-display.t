#!/bin/sh
# t0807-panel-display.t: how the panel shows lines: carriage returns as a
# terminal's last state, timestamps (clock, since the start, off), wrap or
# scroll, the raw log in one click, light and dark themes.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-display.test.mjs
