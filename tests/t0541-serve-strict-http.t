#!/bin/sh
# keruta-serve: strict on the wire (HTTP). A Content-Length that is not
# plain digits, two that disagree, or one beside Transfer-Encoding is a
# 400 and the connection closes, so nothing in front of the server can
# read a different request boundary. A client that half-closes after its
# request: a GET is answered, a POST's records are stored (its reply, which
# waits for the commit, is lost: keruta-serve(8), BUGS). A NUL in a path and a panel file reached
# through a symbolic link out of --panel-dir are refused.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 19

# req BYTES [half]: sends BYTES (printf escapes) on a new connection, half-
# closes it when asked, and prints the status line of the one reply, or
# CLOSED when the server closed without a reply, or TIMEOUT.
req() { http_raw --timeout 5 --text "$1" ${2:+--half}; }

mkdir -p panel outside
printf '<p>panel</p>\n' >panel/index.html
printf 'secret outside\n' >outside/secret.txt
ln -s ../outside/secret.txt panel/link.txt
ln -s ../outside panel/dir
start_serve --panel-dir "$T/panel" || exit 1
A=$SERVE_API
B='{"message":"x"}'
pre="POST /api/v1/tasks/cl/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

for cl in 0x10 15abc +15 -15 ' 15 15' '1e1' '99999999999999999999999'; do
	printf '%s\n' "$cl: $(req "${pre}Content-Length: $cl\r\n\r\n$B")"
done >got
cat >want <<'EOF'
0x10: HTTP/1.1 400 Bad Request
15abc: HTTP/1.1 400 Bad Request
+15: HTTP/1.1 400 Bad Request
-15: HTTP/1.1 400 Bad Request
 15 15: HTTP/1.1 400 Bad Request
1e1: HTTP/1.1 400 Bad Request
99999999999999999999999: HTTP/1.1 400 Bad Request
EOF
diff_golden want got "a Content-Length that is not plain digits: 400"
is "$(req "${pre}Content-Length: 15\r\nContent-Length: 16\r\n\r\n$B ")" \
    "HTTP/1.1 400 Bad Request" "two Content-Lengths that disagree: 400"
is "$(req "${pre}Content-Length: 15\r\nTransfer-Encoding: chunked\r\n\r\n$B")" \
    "HTTP/1.1 400 Bad Request" "Content-Length with Transfer-Encoding: 400"
is "$(req "${pre}Transfer-Encoding: chunked\r\nContent-Length: 15\r\n\r\n$B")" \
    "HTTP/1.1 400 Bad Request" "Transfer-Encoding, then Content-Length: 400"
is "$(req "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n")" \
    "HTTP/1.1 400 Bad Request" "a bad Content-Length on a GET: 400"
is "$(curl -s "$A/tasks/cl/logs/count")" '{"count":0}' "none of them stored"
for m in PUT PATCH; do
	curl -s -m 10 -o /dev/null -w '%{http_code} ' -X $m -H 'Content-Length: 0' \
	    "$A/tasks/cl/logs"
done >codes
is "$(cat codes)" "405 405 " "PUT and PATCH with an empty body: 405, no hang"
curl -s "$A/tasks/cl/logs" -H 'Content-Length: 0x10' -H 'Content-Type: application/json' \
    -d "$B" -o body
is "$(jq -r .error.code body)" BAD_CONTENT_LENGTH "the error says what is wrong"
is "$(req "${pre}Content-Length: 15\r\n\r\n$B")" "HTTP/1.1 201 " \
    "a plain Content-Length: stored"
is "$(req "${pre}Content-Length: 15\r\nContent-Length: 15\r\n\r\n$B")" "HTTP/1.1 201 " \
    "the same Content-Length twice: stored"

# A client that sends its request and half-closes: stored all the same.
for i in 1 2 3 4 5 6 7 8 9 10; do
	req "${pre}Content-Length: 15\r\n\r\n$B" half >/dev/null
done
is "$(curl -s "$A/tasks/cl/logs/count")" '{"count":12}' "and 10 records more"
is "$(req "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" half)" "HTTP/1.1 200 OK" \
    "a GET followed by a half-close: answered"

# Paths.
for p in '/api/v1/tasks/%00' '/api/v1/tasks/%00/logs' '/%00' \
    '/api/v1/tasks/%00?size=1' '/api/v1/tasks/x/logs/%00?level=INFO&size=2'; do
	curl -s -o /dev/null -w '%{http_code}\n' --path-as-is "$SERVE_URL$p"
done >codes
is "$(tr '\n' ' ' <codes)" "400 400 400 400 400 " "a NUL in a path: 400"
curl -s -o body "$SERVE_URL/api/v1/tasks/%00"
is "$(jq -r .error.code body)" BAD_PATH "%00 does not reach the task list"
is "$(curl -s -o body -w '%{http_code}' "$SERVE_URL/link.txt")" 404 \
    "a symbolic link out of --panel-dir: 404"
is "$(curl -s -o body -w '%{http_code}' "$SERVE_URL/dir/secret.txt")" 404 \
    "a linked directory out of --panel-dir: 404"
! grep -q 'secret outside' body
check $? "nothing from outside"
is "$(curl -s "$SERVE_URL/")" '<p>panel</p>' "the panel itself is still served"
is "$(curl -s "$A/tasks/cl/logs/count?level=INFO&size=1&q=x")" '{"count":12}' \
    "a query after a plain path is no NUL"
