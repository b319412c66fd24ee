#!/bin/sh
# keruta-filter: string values anywhere inside "metadata" are redacted
# like the message (the command line of a start record, JSON loggers'
# fields, env values deep inside); keys, numbers, booleans, other fields
# and the layout of the line are kept.
. "${0%/*}/lib.sh"
plan 16

GH=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789
V=Zq9-env-value-31
H='"type":"log","taskId":"t1","runId":"bb18083484f53452"'

# 1: the start record of keruta-capture, its argv in metadata.command.
# 2: an env value deep inside, keys that are not secrets, odd spacing.
# 3: a JSON logger's fields: a key naming a secret, a URL with escapes.
# 4: metadata without a secret, escapes and spacing: passes untouched.
# 5: metadata that is a string.
cat >in <<R
{$H,"seq":1,"source":"agent","level":"INFO","message":"started: deploy.sh --password=hunter2 $GH","metadata":{"event":"start","command":["deploy.sh","--password=hunter2","$GH"],"pid":4242}}
{$H,"seq":2,"source":"stdout","metadata": { "job" : {"steps":[{"name":"push","n":3,"ok":true,"x":null,"env":[{"value":"pushing with $V now"}]}]} } ,"message":"plain","note":"kept"}
{$H,"seq":3,"source":"stdout","message":"db ready","metadata":{"logger":"app.db","password":"s3cr3t-pw","passwordResetSent":"yes","url":"postgres:\/\/app:pa55w0rd@db.local\/x","token":"********"},"lineNumber":3}
{$H,"seq":4,"source":"stdout","message":"ok", "metadata" : {"path":"\/usr\/lib","caf\u00e9":"na\u00efve","list":[1,2.5,-3e2,"two",[],{}]} }
{$H,"seq":5,"source":"stdout","message":"m","metadata":"token=abcdef99xy"}
R
cat >want <<W
{$H,"seq":1,"source":"agent","level":"INFO","message":"started: deploy.sh --password=[REDACTED:password] [REDACTED:github-token]","metadata":{"event":"start","command":["deploy.sh","--password=[REDACTED:password]","[REDACTED:github-token]"],"pid":4242}}
{$H,"seq":2,"source":"stdout","metadata": { "job" : {"steps":[{"name":"push","n":3,"ok":true,"x":null,"env":[{"value":"pushing with [REDACTED:env:DEPLOY_SECRET] now"}]}]} } ,"message":"plain","note":"kept"}
{$H,"seq":3,"source":"stdout","message":"db ready","metadata":{"logger":"app.db","password":"[REDACTED:password]","passwordResetSent":"yes","url":"postgres://app:[REDACTED:database-url]@db.local/x","token":"********"},"lineNumber":3}
{$H,"seq":4,"source":"stdout","message":"ok", "metadata" : {"path":"\/usr\/lib","caf\u00e9":"na\u00efve","list":[1,2.5,-3e2,"two",[],{}]} }
{$H,"seq":5,"source":"stdout","message":"m","metadata":"token=[REDACTED:token]"}
W
DEPLOY_SECRET=$V keruta-filter -R -v <in >out 2>err
check $? "the filter exits 0"
head -n 5 out >got
diff_golden want got "metadata strings are masked, the rest of each line kept"
! grep -q -e hunter2 -e "$GH" -e "$V" -e s3cr3t -e pa55w0rd -e abcdef99 out err
check $? "no secret in the output or the diagnostics"
is "$(sed -n 4p out)" "$(sed -n 4p in)" \
    "metadata without a secret: the record byte for byte"
is "$(tail -n 1 out | jq -c .metadata.counts)" \
    '{"github-token":2,"database-url":1,"password":3,"token":1,"env:DEPLOY_SECRET":1}' \
    "--report counts metadata secrets with the message's"
grep -q 'info: redacted password: 3$' err
check $? "-v counts them too"

# The same text gives the same mask in the message and in metadata.
grep -v -e '^#' -e '^$' "$DATA/redact.cases" | cut -f1 |
    jq -Rc '{seq:1,message:.,metadata:{a:{b:[.]}}}' | keruta-filter >same
is "$(jq -c 'select(.message != .metadata.a.b[0]) | .message' same)" "" \
    "every case of redact.cases: metadata masked as the message"
masked=$(jq -c 'select(.metadata.a.b[0] | test("REDACTED"))' same | wc -l)
[ "$masked" -ge 90 ]
check $? "... $masked of them masked"

# A private key in a metadata value, with its newlines escaped.
jq -nc '{seq:1,message:"k",metadata:{key:"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nAoGAcLtV+/w==\n-----END RSA PRIVATE KEY-----\n"}}' >in
keruta-filter <in >out
is "$(jq -c .metadata out)" \
    '{"key":"[REDACTED:private-key]\n[REDACTED:private-key]\n[REDACTED:private-key]\n-----END RSA PRIVATE KEY-----\n"}' \
    "a private key in metadata"

# Keys are left as they are; the strings of other members are searched
# as metadata's are.
printf '%s\n' "{\"seq\":1,\"message\":\"m\",\"metadata\":{\"$GH\":1},\"other\":\"password=hunter2\"}" >in
keruta-filter <in >out
is "$(cat out)" "{\"seq\":1,\"message\":\"m\",\"metadata\":{\"$GH\":1},\"other\":\"password=[REDACTED:password]\"}" \
    "keys are not rewritten, other top-level strings are masked"

# A continued record with metadata is held, then goes out masked.
cat >in <<R
{"seq":1,"source":"stdout","message":"export T=ghp_aBcDeFgHiJkLmNoPq","continued":true,"metadata":{"argv":["--token=ab12cd34ef"]}}
{"seq":2,"source":"stdout","message":"RsTuVwXyZ0123456789 done","metadata":{"k":"$GH"}}
R
keruta-filter -R <in >out
is "$(jq -c '[.seq, .message, .metadata]' out | head -n 2 | tr '\n' '|')" \
    '[1,"export T=[REDACTED:github-token]",{"argv":["--token=[REDACTED:token]"]}]|[2,"[REDACTED:github-token] done",{"k":"[REDACTED:github-token]"}]|' \
    "continued records: message and metadata masked"
is "$(tail -n 1 out | jq -c .metadata.counts)" \
    '{"github-token":2,"token":1}' "... each secret counted once"

# bytes stays when only metadata is masked; goes when the message is.
b=$(printf 'caf\351' | base64)
printf '%s\n' "{\"seq\":1,\"message\":\"caf\\ufffd\",\"bytes\":\"$b\",\"metadata\":{\"t\":\"$GH\"}}" >in
keruta-filter <in >out
is "$(cat out)" "{\"seq\":1,\"message\":\"caf\\ufffd\",\"bytes\":\"$b\",\"metadata\":{\"t\":\"[REDACTED:github-token]\"}}" \
    "bytes kept when only metadata holds a secret"

# metadata twice: readers disagree on which counts, so the line is text.
printf '%s\n' '{"seq":1,"message":"m","metadata":{},"metadata":{"p":"password=hunter2"}}' >in
keruta-filter <in >out 2>err
is "$(jq -c '[.malformed, .message]' out)" \
    '[true,"{\"seq\":1,\"message\":\"m\",\"metadata\":{},\"metadata\":{\"p\":\"password=[REDACTED:password]\"}}"]' \
    "metadata twice: forwarded as text, redacted"
! grep -q hunter2 err
check $? "... the warning does not quote it"

# --no-redact leaves metadata alone.
printf '%s\n' "{\"seq\":1,\"message\":\"m\",\"metadata\":{\"t\":\"$GH\"}}" >in
keruta-filter --no-redact <in >out
cmp -s in out
check $? "--no-redact: metadata untouched"
