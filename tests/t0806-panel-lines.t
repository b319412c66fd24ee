#!/bin/sh
# t0806-panel-lines.t: the panel's line numbers (the line's place in the
# task's whole log, whatever the filter) and permalinks to a line or a range.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-lines.test.mjs
