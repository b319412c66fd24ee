#!/bin/sh
# t0808-panel-keys.t: the panel's task header (state, exit code, duration,
# runs), errors and search hits stepped through from the keyboard, every
# control reachable by Tab and named for screen readers.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-keys.test.mjs
