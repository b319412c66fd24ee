#!/bin/sh
# keruta-filter: values masked by their position, against tests/data/filter-position.cases, one
# TAP line per case: values are masked, look-alikes pass untouched.
. "${0%/*}/lib.sh"
filter_cases "$DATA/filter-position.cases"
