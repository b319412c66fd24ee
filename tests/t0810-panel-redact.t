#!/bin/sh
# t0810-panel-redact.t: a redaction on the server reaches an open panel:
# the changed lines are shown again, scrubbed.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-redact.test.mjs
