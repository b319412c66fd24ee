#!/bin/sh
# keruta-filter: every string of a record is searched, whatever its
# member and however deep; an array of strings (a command line) is
# searched as the words of one line.
. "${0%/*}/lib.sh"
plan 5

cat >in <<'R'
{"seq":1,"message":"ok","msg":"password=hunter22 ghp_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7"}
{"seq":2,"message":"ok","extra":{"a":"ghp_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7","b":[1,"x",{"c":"token=abcdef123456"}]}}
{"seq":3,"log":"export GITHUB_TOKEN=ghp_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7\n","stream":"stdout"}
{"seq":4,"type":"log","taskId":"t","runId":"r","source":"stdout","level":"INFO","timestamp":"2026-11-28T10:15:03Z","message":"plain","lineNumber":1,"text":"nothing here"}
R
keruta-filter <in >out
cat >want <<'W'
{"seq":1,"message":"ok","msg":"password=[REDACTED:password] [REDACTED:github-token]"}
{"seq":2,"message":"ok","extra":{"a":"[REDACTED:github-token]","b":[1,"x",{"c":"token=[REDACTED:token]"}]}}
{"seq":3,"log":"export GITHUB_TOKEN=[REDACTED:github-token]\n","stream":"stdout"}
{"seq":4,"type":"log","taskId":"t","runId":"r","source":"stdout","level":"INFO","timestamp":"2026-11-28T10:15:03Z","message":"plain","lineNumber":1,"text":"nothing here"}
W
diff_golden want out "secrets in any member are masked, the rest kept byte for byte"

# The agent's start record: the command line, masked by position.
cat >in <<'R'
{"seq":1,"source":"agent","message":"started: deploy --password [REDACTED:password] -v","metadata":{"event":"start","command":["deploy","--password","hunter22","-v"],"pid":42}}
{"seq":2,"source":"agent","metadata":{"event":"start","command":["mysql","-u","root","-pS3cretPw1","app"]}}
{"seq":3,"source":"agent","metadata":{"event":"start","command":["curl","-u","bob:S3cretPw1","https://x"]}}
{"seq":4,"source":"agent","metadata":{"event":"start","command":["make","-j4","install","--password"]}}
R
keruta-filter <in >out
is "$(jq -c .metadata.command out)" '["deploy","--password","[REDACTED:password]","-v"]
["mysql","-u","root","-p[REDACTED:password]","app"]
["curl","-u","bob:[REDACTED:password]","https://x"]
["make","-j4","install","--password"]' "command arrays are masked as the command line they are"
grep -q 'hunter22\|S3cretPw1' out
check $((! $?)) "no value left"

# Through the agent.
keruta-capture -- sh -c 'echo hi' --password hunter22 | keruta-filter >out
grep -q hunter22 out
check $((! $?)) "the agent's start record keeps no value"
is "$(jq -c 'select(.metadata.event == "start") | .metadata.command' out)"     '["sh","-c","echo hi","--password","[REDACTED:password]"]' "... in its command"
