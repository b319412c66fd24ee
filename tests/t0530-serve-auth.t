#!/bin/sh
# keruta-serve: JWT HS256 and API keys, scopes, task restriction, on REST
# and WebSocket; and the files that configure them.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 35

printf 'the-secret-of-this-test-0123456789\n' >secret
now=$(date +%s)
R=$(jwt "{\"sub\":\"viewer\",\"scope\":\"logs:read\",\"exp\":$((now + 600))}")
WR=$(jwt "{\"sub\":\"ship\",\"scope\":\"logs:write\",\"exp\":$((now + 600))}")
RW=$(jwt "{\"sub\":\"admin\",\"scope\":[\"logs:read\",\"logs:write\"]}")
T1=$(jwt "{\"sub\":\"t\",\"scope\":\"logs:read logs:write\",\"task\":\"t1\"}")
EXP=$(jwt "{\"scope\":\"logs:read\",\"exp\":$((now - 3600))}")
NBF=$(jwt "{\"scope\":\"logs:read\",\"nbf\":$((now + 3600))}")
NONE=$(jwt '{"scope":"logs:read"}' none)
OTHER=$(jwt '{"scope":"logs:read"}' HS256 another-secret-entirely)
HS384=$(jwt '{"scope":"logs:read"}' HS384)
{
	echo '# name hash scopes [task]'
	echo "reader $(printf 'key-r' | keruta-serve --hash-key) logs:read"
	echo "writer sha256:$(printf 'key-w' | keruta-serve --hash-key) logs:write,logs:read t2"
} >keys

start_serve --jwt-secret-file "$T/secret" --api-keys "$T/keys" || exit 1
A=$SERVE_API
# st [CURL ARGS...] URL: the status.
st() { curl -s -o body -w '%{http_code}' -H 'Expect:' "$@"; }
get() { st -H "Authorization: Bearer $1" "$A/tasks/$2/logs"; }
post() { st -H "Authorization: Bearer $1" -d '{"message":"m"}' "$A/tasks/$2/logs"; }

is "$(st "$A/tasks/t1/logs")" 401 "no credential: 401"
is "$(cat body)" '{"error":{"code":"UNAUTHORIZED","message":"authentication required","status":401}}' \
    "the 401 error object"
is "$(get "$R" t1)" 200 "read token, GET: 200"
is "$(post "$R" t1)" 403 "read token, POST: 403"
is "$(jq -r .error.code body)" FORBIDDEN "FORBIDDEN"
is "$(post "$WR" t1)" 201 "write token, POST: 201"
is "$(get "$WR" t1)" 403 "write token, GET: 403"
is "$(get "$RW" t1)" 200 "both scopes as an array, no exp: 200"
is "$(get "$EXP" t1)" 401 "expired: 401"
is "$(jq -r .error.message body)" "the token has expired" "says it expired"
is "$(get "$NBF" t1)" 401 "not before a future time: 401"
is "$(get "$NONE" t1)" 401 "alg none: 401"
is "$(get "$OTHER" t1)" 401 "signed with another secret: 401"
is "$(get "$HS384" t1)" 401 "another alg name: 401"
is "$(get "${R%?}x" t1)" 401 "a changed signature: 401"
is "$(get "garbage.garbage.garbage" t1)" 401 "garbage: 401"
is "$(get "$T1" t1)" 200 "task claim, its task: 200"
is "$(get "$T1" t2)" 403 "task claim, another task: 403"
post "$RW" t2 >/dev/null
st -H "Authorization: Bearer $T1" "$A/tasks" >/dev/null
is "$(jq -c '[.tasks[].taskId]' body)" '["t1"]' "task claim: /tasks shows only its task"
is "$(st "$A/tasks/t1/logs?token=$R")" 200 "?token= for browsers"
is "$(st -H 'X-API-Key: key-r' "$A/tasks/t1/logs")" 200 "API key, read: 200"
is "$(st -H 'X-API-Key: key-r' -d '{"message":"m"}' "$A/tasks/t1/logs")" 403 \
    "API key without write: 403"
is "$(st -H 'X-API-Key: key-w' -d '{"message":"m"}' "$A/tasks/t2/logs")" 201 \
    "API key with write, its task: 201"
is "$(st -H 'X-API-Key: key-w' "$A/tasks/t1/logs")" 403 "API key, another task: 403"
is "$(st -H 'X-API-Key: key-x' "$A/tasks/t1/logs")" 401 "unknown API key: 401"
is "$(st -H 'Authorization: Bearer key-r' "$A/tasks/t1/logs")" 200 "API key as a Bearer token"
is "$(st -H 'Authorization: Basic a2V5LXI=' "$A/tasks/t1/logs")" 401 "Basic: 401"
is "$(st "$SERVE_URL/health")" 200 "/health needs nothing"

# WebSocket: refused at the upgrade, scopes checked per message.
is "$(serve_ws "$SERVE_WS/t1")" "HTTP 401" "ws without a credential: HTTP 401"
is "$(serve_ws "$SERVE_WS/t2" -H "Authorization: Bearer $T1")" "HTTP 403" \
    "ws to another task than the token's: HTTP 403"
echo '{"runId":"a","seq":1,"message":"x"}
{"type":"subscribe"}' | serve_ws "$SERVE_WS/t1" -H "Authorization: Bearer $WR" \
    --send - --stop-count 2 | jq -c '[.type,.code]' >out
printf '%s\n' '["ack",null]' '["error","FORBIDDEN"]' >want
diff_golden want out "ws: write token ships, may not subscribe"
echo '{"type":"subscribe"}' | serve_ws "$SERVE_WS/t1?token=$R" --send - \
    --stop-type live | jq -r .type | head -n 1 >out
is "$(cat out)" subscribed "ws: ?token= subscribes"
stop_serve

# Bad auth files stop it at start.
echo 'reader nothex logs:read' >badkeys
keruta-serve -L 127.0.0.1:0 -d "$T/x.db" --api-keys badkeys 2>err
is $? 100 "a bad key hash: 100"
echo 'short' >short
keruta-serve -L 127.0.0.1:0 -d "$T/x.db" --jwt-secret-file short 2>err
is $? 100 "a JWT secret under 16 bytes: 100"
keruta-serve -L 127.0.0.1:0 -d "$T/x.db" --api-keys nowhere 2>err
is $? 100 "a missing keys file: 100"
