#!/bin/sh
# keruta-serve: the panel's own files carry an ETag and Cache-Control:
# no-cache; If-None-Match with that ETag gets 304 without a body, and a
# changed file (--panel-dir) a new ETag. API replies stay no-store.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 8

mkdir panel
printf '<p>one</p>\n' >panel/index.html
start_serve --panel-dir "$T/panel" || exit 1
hdr() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip"; }
curl -s -D h1 -o /dev/null "$SERVE_URL/"
E=$(hdr h1 etag)
printf '%s\n' "$E" | grep -Eq '^"[0-9a-f]{16}"$'
check $? "an ETag"
is "$(hdr h1 cache-control)" no-cache "Cache-Control: no-cache"
is "$(curl -s -o body -w '%{http_code} %{size_download}' -H "If-None-Match: $E" \
    "$SERVE_URL/")" "304 0" "If-None-Match with it: 304, no body"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: \"0\", W/$E" \
    "$SERVE_URL/index.html")" 304 "among a list, weak: 304"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "0123456789abcdef"' \
    "$SERVE_URL/")" 200 "another ETag: 200"
printf '<p>two</p>\n' >panel/index.html
curl -s -D h2 -o body -H "If-None-Match: $E" "$SERVE_URL/"
is "$(head -n 1 h2 | cut -d' ' -f2) $(cat body)" "200 <p>two</p>" \
    "a changed file: 200 and the new content"
[ "$(hdr h2 etag)" != "$E" ]
check $? "with a new ETag"
curl -s -D h3 -o /dev/null "$SERVE_URL/health"
is "$(hdr h3 cache-control) $(hdr h3 etag)" "no-store " "API replies: no-store, no ETag"
