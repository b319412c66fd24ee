#!/bin/sh
# keruta-filter: a Kubernetes Secret manifest printed line by line (kubectl
# get secret -o yaml, a rendered chart): the values under data: and
# stringData: are masked; a ConfigMap's plain values and what follows
# the block are not.
. "${0%/*}/lib.sh"
plan 2

cat >manifest <<'Y'
apiVersion: v1
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
  username: YWRtaW4=
  api-token: czNjcjN0LXZhbHVlLTQyNDI=
kind: Secret
metadata:
  name: app-credentials
  namespace: prod
type: Opaque
---
apiVersion: v1
kind: Secret
stringData:
  db-url: postgres-main-replica-2
  note: rotated monthly
metadata:
  name: app-plain
---
apiVersion: v1
kind: ConfigMap
data:
  LOG_LEVEL: info
  PORT: "8080"
  feature.enabled: "true"
metadata:
  name: app-config
Y
jq -Rc '{message:.}' manifest | keruta-filter | jq -r .message >got
cat >want <<'W'
apiVersion: v1
data:
  tls.crt: [REDACTED:kubernetes-secret]
  username: [REDACTED:kubernetes-secret]
  api-token: [REDACTED:token]
kind: Secret
metadata:
  name: app-credentials
  namespace: prod
type: Opaque
---
apiVersion: v1
kind: Secret
stringData:
  db-url: [REDACTED:kubernetes-secret]
  note: [REDACTED:kubernetes-secret]
metadata:
  name: app-plain
---
apiVersion: v1
kind: ConfigMap
data:
  LOG_LEVEL: info
  PORT: "8080"
  feature.enabled: "true"
metadata:
  name: app-config
W
diff_golden want got "values under data: and stringData: are masked"
jq -Rc '{message:.}' manifest | keruta-filter | grep -c REDACTED >n
is "$(cat n)" 5 "five values, no more"
