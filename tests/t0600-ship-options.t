#!/bin/sh
# keruta-ship: --help, --version, bad usage.
. "${0%/*}/lib.sh"
plan 12

keruta-ship --help >out 2>err
check $? "--help exits 0"
grep -q '^usage: keruta-ship' out
check $? "--help prints the usage on stdout"
is "$(wc -c <err | tr -d ' ')" 0 "--help prints nothing on stderr"
is "$(keruta-ship --version)" "keruta-ship 0.1.0" "--version"

keruta-ship --bogus </dev/null >out 2>err
is $? 100 "an unknown option exits 100"
keruta-ship -p carrier-pigeon </dev/null 2>err
is $? 100 "an unknown protocol exits 100"
is "$(cat err)" "keruta-ship: fatal: unknown protocol 'carrier-pigeon' (ws, rest, keruta-api)" "and says which"
keruta-ship -p rest -u ws://127.0.0.1:1/ws </dev/null 2>err
is $? 100 "a url that does not suit the protocol exits 100"
keruta-ship -t 'a/b' </dev/null 2>err
is $? 100 "a task id with a slash exits 100"
keruta-ship --summary-fd 9 </dev/null 2>err
is $? 100 "--summary-fd of a closed descriptor exits 100"
keruta-ship --token-file "$T/none" </dev/null 2>err
is $? 100 "a missing --token-file exits 100"
keruta-ship -d soon </dev/null 2>err
is $? 100 "a bad --drain-timeout exits 100"
