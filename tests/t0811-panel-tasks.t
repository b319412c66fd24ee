#!/bin/sh
# t0811-panel-tasks.t: the task list's state filter and durations, and the
# search across every task.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-tasks.test.mjs
