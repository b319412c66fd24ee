#!/bin/sh
# keruta-config: defaults < YAML < KERUTA_* environment, checked values.
. "${0%/*}/lib.sh"
plan 15

cat >c.yaml <<'Y'
logStreaming:
  enabled: "no"
  level: warn
  batchSize: 50
websocket: {url: "ws://example:1/ws/tasks"}
api:
  token: from-file
custom:
  list: [a, b]
Y
keruta-config >all
check $? "no file: exit 0"
grep -E '^(logStreaming|api)' all >got
cat >want <<'W'
logStreaming.enabled=true
logStreaming.level=INFO
logStreaming.pty=true
logStreaming.ackTimeout=30s
logStreaming.maskEnv=
logStreaming.maskFile=
logStreaming.bufferSize=1000
logStreaming.batchSize=10
logStreaming.flushInterval=1s
api.url=http://localhost:8080/api/v1
api.timeout=10s
api.retryCount=3
api.token=
api.key=
W
diff_golden want got "the defaults"

keruta-config -c c.yaml logStreaming.enabled logStreaming.level \
    logStreaming.batchSize websocket.url custom.list nothing.here >got
printf 'false\nWARN\n50\nws://example:1/ws/tasks\na,b\n\n' >want
diff_golden want got "YAML beats the defaults; named keys print values"

KERUTA_CONFIG=c.yaml KERUTA_LOG_LEVEL=error KERUTA_LOG_STREAMING_ENABLED=on \
    keruta-config logStreaming.level logStreaming.enabled >got 2>warn
printf 'ERROR\ntrue\n' >want
diff_golden want got "the environment beats the YAML (KERUTA_CONFIG)"

KERUTA_LOG_LEVEL= keruta-config -c c.yaml logStreaming.level >got 2>warn
is "$(cat got)" WARN "an empty variable counts as unset"

keruta-config -c c.yaml 2>warn | grep '^api.token=' >got
is "$(cat got)" "api.token=(set)" "a token is not printed in the listing"
KERUTA_API_TOKEN=old keruta-config api.token >got
is "$(cat got)" old "KERUTA_API_TOKEN is the token's older name"

keruta-config -c c.yaml --shell logStreaming.enabled websocket.url >got \
    2>warn
is "$(cat warn)" "keruta-config: warning: unknown key 'custom.list' in 'c.yaml' line 9" \
    "a key no tool reads is warned about"
printf "logStreaming_enabled='false'\nwebsocket_url='ws://example:1/ws/tasks'\n" >want
diff_golden want got "--shell assignments"
printf "api:\n  url: \"it's\"\n" >q.yaml
(eval "$(keruta-config -c q.yaml --shell api.url)"; printf '%s' "$api_url") >got
is "$(cat got)" "it's" "--shell quotes for eval"

KERUTA_LOG_STREAMING_ENABLED=maybe keruta-config logStreaming.enabled 2>err
is $? 100 "a bad boolean: 100"
is "$(cat err)" "keruta-config: fatal: bad logStreaming.enabled 'maybe' from KERUTA_LOG_STREAMING_ENABLED: true or false" \
    "the diagnostic names the setting and where it came from"
printf 'a: [\n' >bad.yaml
keruta-config -c bad.yaml 2>err
is $? 100 "malformed YAML: 100"
keruta-config -c missing.yaml 2>err
is $? 100 "missing file: 100"
is "$(keruta-config --version)" "keruta-config 0.1.0" "--version"
