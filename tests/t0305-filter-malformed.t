#!/bin/sh
# keruta-filter: bad input goes on as well-formed, redacted records, with
# rate-limited warnings that never quote it; huge and oversize lines.
. "${0%/*}/lib.sh"
plan 30

{
	printf '%s\n' '{"seq":1,"taskId":"t1","message":"first"}'
	printf '%s\n' '{"a": password=hunter22'
	printf 'x\000y password=hunter22\n'
	printf 'caf\351 token=abcdef99\n'
	printf '{"seq":5,"message":"caf\351 password=hunter22"}\n'
	printf '%s\n' '[1,2]' '"a string"' '42' '{"seq":9} trailing'
	printf '%s\n' '{"seq":10,"message":"ok","message":"password=hunter22"}'
	printf '%s\n' '{"seq":11,"mess\u0061ge":"password=hunter22"}'
	printf '\n\r\n'
	printf '{"seq":12,"message":"crlf"}\r\n'
	printf '%s\n' '{"seq":13,"message":"bad \x escape"}'
	printf '{"seq":14,"message":"raw\ttab"}\n'
	printf '%s' '{"seq":15,"message":"no newline at the end"}'
} >in
keruta-filter <in >out 2>err
check $? "the filter exits 0"
is "$(wc -l <out | tr -d ' ')" 15 "one record per non-empty line: nothing lost"
jq -e . out >/dev/null
check $? "every record out is valid JSON"
wrapped() { sed -n "${1}p" out | jq -c '[.source, .level, .taskId, .malformed, .message]'; }
is "$(wrapped 2)" '["stdout","INFO","t1",true,"{\"a\": password=[REDACTED:password]"]' \
    "broken JSON: wrapped, redacted, with the last task id"
is "$(wrapped 3)" '["stdout","INFO","t1",true,"x\u0000y password=[REDACTED:password]"]' \
    "a NUL byte: wrapped, kept as \\u0000"
is "$(wrapped 4)" '["stdout","INFO","t1",true,"caf� token=[REDACTED:token]"]' \
    "invalid UTF-8: wrapped with U+FFFD"
sed -n 4p out | jq -r .bytes | base64 -d >got
printf 'caf\351 token=[REDACTED:token]' >want
cmp -s want got
check $? "... and bytes holds the redacted original"
is "$(wrapped 5)" '["stdout","INFO","t1",true,"{\"seq\":5,\"message\":\"caf� password=[REDACTED:password]\"}"]' \
    "invalid UTF-8 inside a record: the line wrapped"
is "$(sed -n 6,9p out | jq -r .message | tr '\n' '|')" \
    '[1,2]|"a string"|42|{"seq":9} trailing|' "JSON that is not one object: wrapped"
is "$(wrapped 10)" '["stdout","INFO","t1",true,"{\"seq\":10,\"message\":\"ok\",\"message\":\"password=[REDACTED:password]\"}"]' \
    "a message field twice: wrapped, both redacted"
is "$(sed -n 11p out)" '{"seq":11,"mess\u0061ge":"password=[REDACTED:password]"}' \
    "a key spelt with escapes is still the message"
is "$(sed -n 12p out)" '{"seq":12,"message":"crlf"}' "CRLF: the CR goes, blank lines are skipped"
is "$(sed -n 13p out | jq -r .malformed)" true "a bad escape: wrapped"
is "$(sed -n 14p out | jq -r .malformed)" true "a raw tab in a string: wrapped"
is "$(sed -n 15p out)" '{"seq":15,"message":"no newline at the end"}' \
    "the last line without a newline"
! grep -q -e hunter -e abcdef99 -e caf -e trailing err
check $? "the warnings quote nothing"
grep -q '^keruta-filter: warning: line 3: NUL byte in a record (21 bytes): forwarded as text$' err
check $? "a warning gives the line number and size"

# Lone UTF-16 surrogates, refused by strict readers downstream.
printf '%s\n' '{"seq":1,"message":"a \ud83d b \udc00 c \ud83d\ude00"}' \
    '{"seq":2,"message":"m","x":"\udc00"}' >in
keruta-filter <in >out 2>err
is "$(sed -n 1p out)" '{"seq":1,"message":"a � b � c 😀"}' \
    "a lone surrogate in the message becomes U+FFFD"
is "$(sed -n 2p out | jq -r .malformed)" true "... elsewhere, the line is wrapped"
jq -e . out >/dev/null
check $? "... and both are valid for a strict reader"

# A message that is not a string still gets no secret through.
printf '%s\n' '{"message":{"a":"password=hunter22"},"x":1}' \
    '{"message":42}' >in
keruta-filter <in >out
is "$(sed -n 1p out)" '{"message":"{\"a\":\"password=[REDACTED:password]\"}","x":1}' \
    "a message object with a secret becomes a masked string"
is "$(sed -n 2p out)" '{"message":42}' "... and without one stays as it is"

# Rate limit: 40 bad lines give at most 10 warnings and a total.
i=0
while [ $i -lt 40 ]; do echo 'not json'; i=$((i + 1)); done >bad
keruta-filter <bad >out 2>err
is "$(wc -l <out | tr -d ' ')" 40 "40 bad lines, 40 records"
is "$(grep -c 'forwarded as text' err)" 10 "10 warnings"
is "$(tail -n 1 err)" "keruta-filter: warning: 40 malformed or oversize lines in all" \
    "... and the total"

# Deep nesting is not a crash.
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "["; print "" }' >deep
keruta-filter <deep >out 2>err
is "$(jq -r .malformed out)" true "5000 nested arrays: wrapped"

# A 6 MB message with a secret at each end; then a line over -L.
awk 'BEGIN { printf "{\"seq\":1,\"message\":\"password=hunter22 "
	for (i = 0; i < 100000; i++) printf "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	print " token=abcdef99\"}" }' >big
keruta-filter <big >out 2>err
is "$(jq -r '.message | (.[0:28] + "..." + .[-22:])' out)" \
    "password=[REDACTED:password]...token=[REDACTED:token]" "a 6 MB record is redacted whole"
{ printf '%s\n' '{"seq":1,"taskId":"t9","runId":"r9","message":"a"}'
  head -c 3000 big; echo
  printf '%s\n' '{"seq":3,"message":"b"}'; } >over
keruta-filter -m 1k <over >out 2>err
is "$(jq -c 'select(.source == "agent") | [.taskId, .runId, .level, .metadata]' out)" \
    '["t9","r9","WARN",{"event":"gap","count":1,"reason":"size"}]' \
    "a line over --max-bytes: a gap record"
is "$(jq -r '.seq // "gap"' out | tr '\n' ' ')" "1 gap 3 " "... in its place"
is "$(cat err)" "keruta-filter: warning: line 2: 3000 bytes, over the limit of 1024: dropped, gap record sent" \
    "... and a warning"
