#!/bin/sh
# keruta-filter: secrets split across continued records, private keys
# over several records, the "bytes" field.
. "${0%/*}/lib.sh"
plan 12

keruta-filter -R <"$DATA/filter-split.ndjson" >out 2>err
check $? "the filter exits 0"
jq -c '[.seq, .message]' out >got
cat >want <<'W'
[2,"interleaved"]
[1,"export T=[REDACTED:github-token]"]
[3,"[REDACTED:github-token] done"]
[4,"key [REDACTED:aws-access-key-id]"]
[5,"[REDACTED:aws-access-key-id]"]
[6,"[REDACTED:aws-access-key-id] end"]
[7,"password=[REDACTED:password]"]
[8,"[REDACTED:password] and more"]
[9,"[REDACTED:private-key]"]
[10,"[REDACTED:private-key]"]
[11,"[REDACTED:private-key]"]
[12,"warning: something else"]
[13,"[REDACTED:private-key]"]
[14,"-----END RSA PRIVATE KEY-----"]
[15,"after the key"]
[16,"[REDACTED:openssh-private-key]"]
[17,"[REDACTED:openssh-private-key]"]
[18,"Build finished: 3 warnings"]
[19,"tail continued alone"]
[null,"5 secrets redacted"]
W
diff_golden want got "split tokens masked in every part, key bodies masked"
is "$(jq -c .metadata.counts out | tail -n 1)" \
    '{"aws-access-key-id":1,"github-token":1,"private-key":1,"openssh-private-key":1,"password":1}' \
    "each split secret is counted once"
is "$(jq -c 'select(.seq == 1)' out)" \
    '{"seq":1,"source":"stdout","message":"export T=[REDACTED:github-token]","continued":true}' \
    "a held record keeps its other fields"

# A key printed in one message with real newlines, then more text.
jq -nc '{seq:1, message:"key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\nAoGAcLtV+/w==\n-----END EC PRIVATE KEY-----\nok"}' >in
keruta-filter <in >out
is "$(jq -r .message out)" "key:
[REDACTED:private-key]
[REDACTED:private-key]
[REDACTED:private-key]
-----END EC PRIVATE KEY-----
ok" "a key inside one message, line by line"

# A BEGIN without its END: a line that is not base64 ends the key.
printf '%s\n' '{"message":"-----BEGIN PRIVATE KEY-----"}' \
    '{"message":"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"}' \
    '{"message":"error: truncated key file"}' '{"message":"MIIEvQ=="}' >in
keruta-filter <in >out
is "$(jq -r .message out | tr '\n' '|')" \
    "[REDACTED:private-key]|[REDACTED:private-key]|error: truncated key file|MIIEvQ==|" \
    "a key without END ends at the first line that is not a body"

# bytes: dropped when the message is masked, wherever it is; re-encoded
# when only it holds a secret; kept when there is none.
b1=$(printf 'token=abc\377def' | base64 | tr -d '\n')
b2=$(printf 'password=hunter2\377' | base64 | tr -d '\n')
b3=$(printf 'plain \377 text' | base64 | tr -d '\n')
cat >in <<R
{"seq":1,"message":"token=abc\ufffddef","bytes":"$b1","source":"stdout"}
{"bytes":"$b1","seq":2,"message":"token=abc\ufffddef"}
{"seq":3,"bytes":"$b1" , "message":"token=abc\ufffddef"}
{"seq":4,"message":"harmless","bytes":"$b2"}
{"seq":5,"message":"plain \ufffd text","bytes":"$b3"}
{"seq":6,"message":"token=abc\ufffddef","bytes":"not base64!"}
R
keruta-filter <in >out
sed -n 1,3p out >got
cat >want <<'W'
{"seq":1,"message":"token=[REDACTED:token]","source":"stdout"}
{"seq":2,"message":"token=[REDACTED:token]"}
{"seq":3, "message":"token=[REDACTED:token]"}
W
diff_golden want got "bytes is dropped with a masked message, first, last or between"
is "$(sed -n 4p out | jq -r .bytes | base64 -d)" "password=[REDACTED:password]" \
    "bytes holding a secret of its own is masked and re-encoded"
is "$(sed -n 4p out | jq -r .message)" "harmless" "... the message kept"
is "$(sed -n 5p out)" "$(sed -n 5p in)" "bytes without a secret: the record is unchanged"
is "$(sed -n 6p out)" '{"seq":6,"message":"token=[REDACTED:token]"}' \
    "bad base64 in bytes with a masked message: dropped"
jq -e . out >/dev/null
check $? "every record out is valid JSON"
