#!/bin/sh
# t0802-panel-large.t: the panel on a task of 100,000 lines: virtual rows,
# paging on demand, a bounded cache, keyboard and scroll-bar navigation.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-large.test.mjs
