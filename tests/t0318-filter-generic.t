#!/bin/sh
# keruta-filter: a high-entropy value near a credential word is a secret,
# whatever its format; hashes, ids and prose near the same words are not.
. "${0%/*}/lib.sh"

cat >cases <<'C'
your new token is q8Zr2LmX9vTb4NcW7yKp3Hs	your new token is [REDACTED:generic-secret]
Generated API key 7fK2pQ9xL4mZ8vB1nR6tY3wE for the service	Generated API key [REDACTED:generic-secret] for the service
auth 3kP9zQ2xW7mL5vN8bT4rY6uE accepted	auth [REDACTED:generic-secret] accepted
using secret a9F3kLmQ2zX8pR7vT1nB5wY4	using secret [REDACTED:generic-secret]
credentials for deploy: user svc-ci, key Zq4Lx8Pm2Wv7Tn3Kb9Rf	credentials for deploy: user svc-ci, key [REDACTED:generic-secret]
password reset for user 4412 done	=
token count 1532 of 2048	=
the token was refreshed at 2026-11-28T10:15:03Z	=
secret name is app-credentials-production	=
token for request 3f2504e0-4f89-11d3-9a0c-0305e82c3301	=
commit 9fceb02d0ae598e95dc970b74767f19372d61af8 passed	=
sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 layer	=
placeholder token (sensitive value) kept	=
token ${GITHUB_TOKEN} kept	=
password $(cat /run/secrets/db) kept	=
api key <redacted> kept	=
C
n=$(wc -l <cases)
plan $((n + 1))
cut -f1 cases | jq -Rc '{message:.}' >in
keruta-filter <in >out
check $? "the filter exits 0"
jq -r .message out >got
i=0
while IFS= read -r line; do
	i=$((i + 1))
	input=${line%%	*}
	want=${line#*	}
	[ "$want" = "=" ] && want=$input
	is "$(sed -n "${i}p" got)" "$want" "case $i: $(printf '%s' "$input" | cut -c1-50)"
done <cases
