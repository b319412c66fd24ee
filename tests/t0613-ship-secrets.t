#!/bin/sh
# keruta-ship: no diagnostic shows a credential. The userinfo of a URL,
# the value of a query parameter named like a secret, the token and the
# API key stay out of stderr in every failure: refused, 401, 404, DNS,
# TLS, an outage; at -vv too.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
command -v openssl >/dev/null || skip_all "no openssl"
plan 26

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout key.pem -out cert.pem -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null

# ship PROTO URL [ARGS...]: record 1 to URL, with every kind of secret.
ship() {
	_p=$1
	_u=$2
	shift 2
	rm -rf sp
	gen 1 1 | keruta-ship -vv -p "$_p" -u "$_u" -S sp -T hDr7ok -a k3yV4l \
	    --drain-timeout 1s --reconnect-interval 100ms --retry-count 0 "$@" 2>err
}

# noleak WHAT SHOWN: no secret in err, and the URL shows as SHOWN.
noleak() {
	if grep -q -e pAss1word -e qTok3n -e hDr7ok -e k3yV4l err; then
		check 1 "$1: no secret on stderr"
		grep -e pAss1word -e qTok3n -e hDr7ok -e k3yV4l err |
		    head -n 3 | sed 's/^/# /'
	else
		check 0 "$1: no secret on stderr"
	fi
	grep -qF "'$2'" err
	check $? "$1: the URL shows, masked"
}

# url PROTO HOSTPORT [PATH]: a URL with a password and a token in it.
url() {
	case $1 in ws) _s=ws ;; *) _s=http ;; esac
	echo "$_s://me:pAss1word@$2${3:-}?access_token=qTok3n&page=2"
}

# shown PROTO HOSTPORT [PATH]: that URL, as diagnostics show it.
shown() {
	case $1 in
	ws) echo "ws://***@$2${3:-}/ws/tasks/t1?access_token=***&page=2" ;;
	*) echo "http://***@$2${3:-}/api/v1/tasks/t1/logs?access_token=***&page=2" ;;
	esac
}

for p in ws rest; do
	PORT=$(free_port)
	ship $p "$(url $p 127.0.0.1:$PORT)"
	noleak "$p refused" "$(shown $p 127.0.0.1:$PORT)"

	ship $p "$(url $p nonexistent.invalid:1)"
	noleak "$p DNS failure" "$(shown $p nonexistent.invalid:1)"

	start_peer --token right
	ship $p "$(url $p 127.0.0.1:$PORT)"
	noleak "$p 401" "$(shown $p 127.0.0.1:$PORT)"
	stop_peer

	start_peer
	ship $p "$(url $p 127.0.0.1:$PORT /nope)"
	noleak "$p 404" "$(shown $p 127.0.0.1:$PORT /nope)"
	stop_peer

	start_peer --cert cert.pem --key key.pem
	u=$(url $p 127.0.0.1:$PORT | sed 's/^ws:/wss:/; s/^http:/https:/')
	ship $p "$u"
	noleak "$p TLS failure" "$(shown $p 127.0.0.1:$PORT |
	    sed 's/^ws:/wss:/; s/^http:/https:/')"
	stop_peer

	# An outage: the server is killed mid-stream.
	start_peer
	rm -rf sp fifo
	mkfifo fifo
	keruta-ship -vv -p $p -u "$(url $p 127.0.0.1:$PORT)" -S sp -T hDr7ok \
	    --drain-timeout 1s --reconnect-interval 100ms --timeout 500ms <fifo 2>err &
	pid=$!
	bg_pid $pid
	exec 3>fifo
	gen 1 1 >&3
	wait_for 20 test -s "$T/store"
	stop_peer
	gen 2 2 >&3
	sleep 1
	exec 3>&-
	wait $pid
	is $? 111 "$p outage: exit 111"
	noleak "$p outage" "$(shown $p 127.0.0.1:$PORT)"
	rm -f "$T/store"
done
