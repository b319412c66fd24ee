#!/bin/sh
# keruta-filter: the value of a secret environment variable in the forms
# tools print it: \x and \u escapes, hex dumps (colon-separated, spaced,
# xxd, upper case), a zero-width, ANSI or carriage-return character put
# inside it, a line break inside it, wrapped over two lines.
. "${0%/*}/lib.sh"
plan 6

V='Xq7-hunter-42'
M='[REDACTED:env:DB_PASSWORD]'
hexl=$(printf '%s' "$V" | od -An -tx1 | tr -d ' \n')
hexu=$(printf '%s' "$hexl" | tr a-f A-F)
pairs() { printf '%s' "$1" | sed 's/../&'"$2"'/g; s/'"$2"'$//'; }
esc_x=$(printf '%s' "$hexl" | sed 's/../\\\\x&/g')
esc_X=$(printf '%s' "$hexu" | sed 's/../\\\\x&/g')
esc_u=$(printf '%s' "$hexl" | sed 's/../\\\\u00&/g')
xxd_g=$(printf '%s' "$hexl" | sed 's/..../& /g; s/ $//')
{
	printf '{"message":"C string \\"%s\\" end"}\n' "$esc_x"
	printf '{"message":"C string \\"%s\\" end"}\n' "$esc_X"
	printf '{"message":"JSON \\"%s\\" end"}\n' "$esc_u"
	printf '{"message":"colons %s end"}\n' "$(pairs "$hexl" :)"
	printf '{"message":"COLONS %s end"}\n' "$(pairs "$hexu" :)"
	printf '{"message":"spaced %s end"}\n' "$(pairs "$hexl" ' ')"
	printf '{"message":"00000000: %s  ......"}\n' "$xxd_g"
	printf '{"message":"bytes 0x%s end"}\n' "$(pairs "$hexl" ', 0x')"
	printf '{"message":"zero width Xq7-hun\342\200\213ter-42 end"}\n'
	printf '{"message":"ansi Xq7-\\u001b[1mhunter\\u001b[0m-42 end"}\n'
	printf '{"message":"cr Xq7-hunt\\rer-42 end"}\n'
	printf '{"message":"nl Xq7-hunt\\ner-42 end"}\n'
} >in
DB_PASSWORD=$V keruta-filter <in >out 2>err
check $? "the filter exits 0"
jq -r .message out >got
cat >want <<W
C string "$M" end
C string "$M" end
JSON "$M" end
colons $M end
COLONS $M end
spaced $M end
00000000: $M  ......
bytes $M end
zero width $M end
ansi $M end
cr $M end
nl $M end
W
diff_golden want got "each form is masked, the text around it kept"

# Ordinary hex and escapes are left alone.
printf '%s\n' '{"message":"sha 58:71:37:2d:68:75:6e:74 and \\x41\\x42 kept"}' >in
DB_PASSWORD=$V keruta-filter <in >out
is "$(jq -r .message out)" 'sha 58:71:37:2d:68:75:6e:74 and \x41\x42 kept' \
    "a part of the value is not the value"

# Split over two lines, and base64 wrapped at 76 columns.
printf '%s\n' '{"message":"password part Xq7-hun"}' '{"message":"ter-42 end"}' >in
DB_PASSWORD=$V keruta-filter <in >out
is "$(jq -r .message out | tr '\n' '|')" "password part $M|$M end|" \
    "a value split over two lines: both parts masked"
b=$(printf 'some config file\nwith the value in it: %s\nand more lines\n' "$V" |
    base64 -w 60)
printf '%s\n' "$b" | jq -Rc '{message:.}' >in
DB_PASSWORD=$V keruta-filter <in >out
jq -r .message out >got
is "$(grep -c 'REDACTED' got)" 2 "wrapped base64: both lines masked"
sed -n 1p got | grep -q '[^]]\[REDACTED:env:DB_PASSWORD\]$' &&
    sed -n 2p got | grep -q '^\[REDACTED:env:DB_PASSWORD\][^[]'
check $? "... at the end of the first and the start of the second: $(cat got)"
