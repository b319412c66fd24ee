#!/bin/sh
# keruta-ship --check: every setting checked as a run checks it; nothing
# connects, stdin is not read, nothing is left on disk.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
plan 25

# refused WANT ARGS...: --check with ARGS exits 100 with the one line WANT.
refused() {
	_want=$1
	shift
	keruta-ship --check -S "$T/sp" "$@" </dev/null >out 2>err
	is "$? $(cat out)$(cat err)" "100 keruta-ship: fatal: $_want" \
	    "refused: $*"
}

start_peer
mkdir tmp
printf 'a record that must stay unread\n' >input
{ TMPDIR=$T/tmp keruta-ship --check -t t1 -u "ws://127.0.0.1:$PORT" \
    >out 2>err; echo "rc=$?"; cat; } <input >got
is "$(cat got)" "rc=0
a record that must stay unread" "fine: exit 0, stdin left unread"
is "$(cat out err)" "" "fine: nothing printed"
is "$(ls -A tmp)" "" "fine: the default spool was made and removed again"
(sleep 5; echo late) | keruta-ship --check -t t1 -S sp \
    -u "http://127.0.0.1:$PORT/api/v1" -p rest >out 2>err &
pid=$!
bg_pid $pid
wait_for 3 sh -c "! kill -0 $pid"
check $? "--check does not wait for the end of stdin"
mkdir sp2
keruta-ship --check -S sp2 -p keruta-api -u "https://127.0.0.1:$PORT" \
    -T tok -a key </dev/null 2>err
is "$? $(cat err) $(ls -A sp2)" "0  " "an existing spool is left as it was"
is "$(cat "$T/peer.log" 2>/dev/null)" "" "nothing connected to the server"
stop_peer

refused "unknown protocol 'pigeon' (ws, rest, keruta-api)" -p pigeon
refused "url 'http://h/api/v1' does not suit protocol ws" -u http://h/api/v1
refused "url 'ws://h/ws/tasks' does not suit protocol rest" -p rest \
    -u ws://h/ws/tasks
refused "bad url 'ws://h:0/ws/tasks': a bad port" -u ws://h:0/ws/tasks
refused "bad url 'ws://h:70000': a bad port" -u ws://h:70000
refused "bad url 'ws://': no host" -u ws://
refused "bad url 'ws://h o/': a space, control or non-ASCII character" \
    -u 'ws://h o/'
refused "bad url 'ftp://h': not ws://, wss://, http:// or https://" \
    -u ftp://h
refused "bad url 'ws://***@h:0/?token=***': a bad port" \
    -u 'ws://u:hunter2@h:0/?token=S3CR3T'
refused "bad task id 'a/b' (1 to 128 letters, digits or '-_.:@+=~')" -t a/b
refused "the token holds a space, a control or a non-ASCII character" \
    -T 'two words'
refused "the API key holds a space, a control or a non-ASCII character" \
    -a "$(printf 'k\001')"
refused "token file '/dev/null' is empty" --token-file /dev/null
refused "unable to read token file '$T/none': No such file or directory" \
    --token-file "$T/none"
refused "unable to read CA file '$T/none': No such file or directory" \
    --cacert "$T/none"
refused "unable to create spool 'input/sp': Not a directory" -S input/sp
refused "unable to write in spool 'input': Not a directory" -S input
TMPDIR=$T/input keruta-ship --check </dev/null 2>err
is "$? $(cat err)" "100 keruta-ship: fatal: unable to create \
'$T/input/keruta-ship-$(id -u)': Not a directory" "refused: a default spool \
under a file"
printf 'websocket: [\n' >bad.yaml
keruta-ship --check -c bad.yaml </dev/null 2>err
is "$? $(wc -l <err | tr -d ' ')" "100 1" "a malformed config: 100, one line"
