#!/bin/sh
# keruta-filter: the vendor formats against tests/data/filter-vendors.cases, one
# TAP line per case: secrets are masked, look-alikes pass untouched.
. "${0%/*}/lib.sh"
filter_cases "$DATA/filter-vendors.cases"
