#!/bin/sh
# keruta-capture: partial lines, long lines, invalid UTF-8, NUL, CR, ANSI.
. "${0%/*}/lib.sh"
plan 22

msgs() { jq -c 'select(.source == "stdout") | [.lineNumber, .message,
    .partial, .continued]' "$@"; }

# A last line without "\n" comes out at EOF, marked partial.
keruta-capture -- printf 'a\nb' >out
msgs out >got
printf '%s\n' '[1,"a",null,null]' '[2,"b",true,null]' >want
diff_golden want got "a last line without newline is partial"

# After an idle pause the start of a line goes out; the rest follows later
# under the same lineNumber.
keruta-capture -- sh -c 'printf "progress"; i=0
    while ! grep -q "\"partial\":true" out && [ $i -lt 500 ]; do
	sleep 0.02; i=$((i + 1)); done
    echo " done"; echo next' >out
msgs out >got
printf '%s\n' '[1,"progress",true,null]' '[1," done",null,null]' \
    '[2,"next",null,null]' >want
diff_golden want got "--idle-flush: default 100ms flushes a pause"
keruta-capture --idle-flush 0 -- sh -c 'printf "progress"; sleep 0.3;
    echo " done"' >out
is "$(msgs out)" '[1,"progress done",null,null]' "--idle-flush 0 waits for the newline"
keruta-capture --idle-flush 2s -- sh -c 'printf "progress"; sleep 0.3;
    echo " done"' >out
is "$(msgs out)" '[1,"progress done",null,null]' "--idle-flush 2s waits longer"

# Empty lines are records too.
keruta-capture -- printf '\n\nx\n' >out
is "$(msgs out | tr '\n' ' ')" '[1,"",null,null] [2,"",null,null] [3,"x",null,null] ' \
    "empty lines are records"

# A 300 KB line: split at 64 KiB into continued records that join back.
python3 -c 'import sys; sys.stdout.write("".join(chr(48 + i % 43)
    for i in range(300000)) + "\n")' >long
keruta-capture -- cat long >out
is "$(jq -r 'select(.source == "stdout") | .continued' out | tr '\n' ' ')" \
    "true true true true null " "300 KB line: 5 records, the first 4 continued"
is "$(jq -r 'select(.source == "stdout") | .message | length' out | sort -u |
    head -n 1)" 37856 "the last part holds the rest"
is "$(jq -r 'select(.source == "stdout") | .lineNumber' out | sort -u)" 1 \
    "all parts carry the same lineNumber"
jq -j 'select(.source == "stdout") | .message' out >joined
echo >>joined
cmp -s long joined
check $? "the parts join back to the exact line"

# Multi-byte characters are never cut in two.
python3 -c 'print("é€𝄞" * 40000)' >wide
keruta-capture --max-line 1000 -- cat wide >out
jq -j 'select(.source == "stdout") | .message' out >joined
echo >>joined
cmp -s wide joined && ! grep -q '"bytes"' out
check $? "--max-line splits between characters, no U+FFFD"
jq -r 'select(.source == "stdout") | .message | utf8bytelength' out |
    sort -n | tail -n 1 >maxlen
[ "$(cat maxlen)" -le 1000 ]
check $? "--max-line bounds each part (largest $(cat maxlen) bytes)"

# A 10 MB line without any newline: bounded parts, nothing lost.
head -c 10000000 /dev/zero | tr '\0' 'x' >huge
keruta-capture -- cat huge >out
is "$(jq -r 'select(.source == "stdout") | [.continued, .partial] | @csv' out |
    LC_ALL=C sort | uniq -c | tr -s ' ' | tr '\n' ' ')" \
    ' 1 ,true  152 true, ' "10 MB without newline: 152 continued parts, 1 partial"
jq -j 'select(.source == "stdout") | .message' out | cmp -s huge -
check $? "the 10 MB line joins back exactly"

# Invalid UTF-8: U+FFFD in message, the exact bytes in base64.
printf 'ok \377\376 bad \300\257 \355\240\200 end\n' >bad
keruta-capture -- cat bad >out
is "$(jq -r 'select(.source == "stdout") | .message' out)" \
    "ok �� bad � � end" "invalid UTF-8 becomes U+FFFD in message"
jq -r 'select(.source == "stdout") | .bytes' out | base64 -d >orig
head -c -1 bad | cmp -s - orig
check $? "bytes holds the original bytes"
keruta-capture -- echo 'valid é' >out
is "$(jq -c 'select(.source == "stdout") | has("bytes")' out)" false \
    "valid UTF-8 has no bytes field"

# NUL, CR, ANSI escapes and a trailing CR.
printf 'a\000b\n1\r2\r\n\033[31mred\033[0m\n\t\\"q"\n' >ctl
keruta-capture -- cat ctl >out
grep '"source":"stdout"' out | sed 's/.*"message":\("[^}]*\),"lineNumber".*/\1/' >got
cat >want <<'W'
"a\u0000b"
"1\r2"
"\u001b[31mred\u001b[0m"
"\t\\\"q\""
W
diff_golden want got "NUL, CR, ANSI and quotes survive as escaped data"
jq -j 'select(.source == "stdout") | .message + "\n"' out >back
printf 'a\000b\n1\r2\n\033[31mred\033[0m\n\t\\"q"\n' | cmp -s - back
check $? "they decode back to the same bytes"

# Lines from many reads, and many lines in one read.
seq 1 100000 >many
keruta-capture -- cat many >out
jq -r 'select(.source == "stdout") | .message' out | cmp -s many -
check $? "100000 lines come through in order"
is "$(jq -r 'select(.source == "stdout") | .lineNumber' out | tail -n 1)" \
    100000 "lineNumber counts them"

# A reader that stops reading stops keruta-capture reading too: the
# command is not quiet then, and a line it has begun is not written as a
# partial record for the pause; its rest is read when reading goes on.
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	printf "line %d of a command that writes fast\n", i }' >fast
keruta-capture -- cat fast | { sleep 1; cat; } >out
is "$(jq -s '[length, map(select(.partial or .continued)) | length]' -c out)" \
    "[100002,0]" "a reader's pause splits no line"
jq -r 'select(.source == "stdout") | .message' out | cmp -s fast -
check $? "and every line is whole"
