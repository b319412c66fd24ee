#!/bin/sh
# Bad usage reads the same in every tool: one "fatal:" line that names the
# option, then the usage, and exit status 100.
. "${0%/*}/lib.sh"
tools="keruta-capture keruta-filter keruta-batch keruta-ship keruta-tail
keruta-config keruta-serve"
plan 37

for t in $tools; do
	$t --bogus </dev/null >out 2>err
	is "$?:$(sed -n 1p err)" "100:$t: fatal: unknown option --bogus" \
	    "$t --bogus"
	is "$(sed -n 2p err | cut -d' ' -f1,2)" "usage: $t" "$t: then the usage"
	$t -Z </dev/null >out 2>err
	is "$?:$(sed -n 1p err)" "100:$t: fatal: unknown option -Z" "$t -Z"
	$t --help=yes </dev/null >out 2>err
	is "$?:$(sed -n 1p err)" "100:$t: fatal: option --help takes no value" \
	    "$t --help=yes"
done
for t in keruta-filter keruta-batch keruta-ship keruta-tail keruta-config \
    keruta-serve; do
	$t -c </dev/null >out 2>err
	is "$?:$(sed -n 1p err)" \
	    "100:$t: fatal: option -c (--config) needs a value" "$t -c"
done
keruta-ship --verbose --task-id </dev/null >out 2>err
is "$?:$(sed -n 1p err)" "100:keruta-ship: fatal: option --task-id needs a value" \
    "a long option without its value"
keruta-capture -q -r </dev/null >out 2>err
is "$?:$(sed -n 1p err)" "100:keruta-capture: fatal: option -r (--run-id) needs a value" \
    "a short option without its value"
keruta-ship --verbose -Zq </dev/null >out 2>err
is "$?:$(sed -n 1p err)" "100:keruta-ship: fatal: unknown option -Z" \
    "an unknown letter inside a group, after a long option"
