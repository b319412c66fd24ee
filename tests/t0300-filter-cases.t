#!/bin/sh
# keruta-filter: every built-in rule against tests/data/redact.cases, one
# TAP line per case: secrets are masked, look-alikes pass untouched.
. "${0%/*}/lib.sh"
filter_cases "$DATA/redact.cases"
