#!/bin/sh
# One letter, one meaning: -V is the version and -h the help in every
# program, -c the configuration file, -t the task, -T the token.
. "${0%/*}/lib.sh"
progs="keruta-agent keruta-batch keruta-capture keruta-config keruta-filter
keruta-serve keruta-ship keruta-tail"
plan 14

for p in $progs; do
	is "$($p -V 2>&1)" "$p 0.1.0" "$p -V"
done
keruta-agent -h >out 2>err
check $? "keruta-agent -h"
printf 'logStreaming:\n  level: loud\n  batchSize: many\n' >bad.yaml
keruta-filter -c bad.yaml </dev/null >out 2>err
is "$?:$(cat err)" "100:keruta-filter: fatal: unknown level 'loud'" \
    "keruta-filter -c reads the file"
keruta-batch -c bad.yaml </dev/null >out 2>err
is "$?:$(cat err)" \
    "100:keruta-batch: fatal: invalid logStreaming.batchSize 'many' in the configuration" \
    "keruta-batch -c reads the file"
keruta-agent execute -c bad.yaml -t t1 --script /bin/true >out 2>err
is "$?:$(tail -n 1 err)" \
    "100:keruta-config: fatal: bad logStreaming.level 'loud' from the configuration file: a level" \
    "keruta-agent -c names the file and -t the task"
keruta-ship --check -t 'a b' </dev/null 2>err
is "$?" 100 "keruta-ship -t is the task"
keruta-tail --stdin -T tok </dev/null >out 2>err
is "$?" 0 "keruta-tail -T is the token"
