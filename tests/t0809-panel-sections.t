#!/bin/sh
# t0809-panel-sections.t: the section markers of GitHub, GitLab and
# Buildkite shown as headers with durations, folded or open as asked,
# nested, opened by an error; the stored records unchanged.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
panel_serve
panel_run panel-sections.test.mjs
