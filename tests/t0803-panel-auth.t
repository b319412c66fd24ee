#!/bin/sh
# t0803-panel-auth.t: the panel with API-key auth on: the token field, the
# session, Bearer for REST, ?token= for the WebSocket and exports, scopes;
# a JWT that expires while live.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
. "$KR_TOP/tests/browser/env.sh"

panel_setup
KR_KEY=panel-rw-$$-key
KR_RO_KEY=panel-ro-$$-key
export KR_KEY KR_RO_KEY
{
	echo "rw $(printf %s "$KR_KEY" | keruta-serve --hash-key)" \
	    "logs:read,logs:write"
	echo "ro $(printf %s "$KR_RO_KEY" | keruta-serve --hash-key) logs:read"
} >keys
KR_JWT_SECRET=panel-jwt-secret-$$-0123456789
printf '%s\n' "$KR_JWT_SECRET" >jwt.secret
export KR_JWT_SECRET
panel_serve --api-keys "$T/keys" --jwt-secret-file "$T/jwt.secret"
panel_run panel-auth.test.mjs
