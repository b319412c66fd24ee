#!/bin/sh
# t0805-panel-url.t: the panel's address holds the task, the filters and the
# selected lines, so that a link shows what its sender saw; a task that does
# not exist yet is said to be so, and watched for.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-url.test.mjs
