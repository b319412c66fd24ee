#!/bin/sh
# examples/k8s-serve-ha.yaml: keruta-serve as a Deployment of three replicas
# on one PostgreSQL, behind a Service; the database's URI from a Secret, a
# readiness probe on /health; the server starts with the manifest's
# options and /health is what the probe needs: 200, then 503 while the
# database is out of reach, then 200 again.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 7
E=$KR_TOP/examples

python3 - "$E/k8s-serve-ha.yaml" >ha 2>&1 <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
kinds = {d["kind"]: d for d in docs}
dep = kinds["Deployment"]
svc = kinds["Service"]
pod = dep["spec"]["template"]["spec"]
labels = dep["spec"]["template"]["metadata"]["labels"]
c = pod["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
sp = svc["spec"]["ports"][0]
print(sorted(kinds))
print("replicas", dep["spec"]["replicas"],
      dep["spec"]["selector"]["matchLabels"] == labels)
print("service", svc["spec"]["selector"] == labels, sp["port"],
      ports[sp["targetPort"]])
r = c["readinessProbe"]["httpGet"]
print("readiness", r["path"], ports[r["port"]])
print("liveness", sorted(c["livenessProbe"]),
      ports[c["livenessProbe"]["tcpSocket"]["port"]])
env = {e["name"]: e for e in c["env"]}
db = env["KERUTA_SERVE_DB"]
ref = db["valueFrom"]["secretKeyRef"]
print("db", "value" in db, ref["name"], ref["key"])
print(" ".join(c["command"] + c["args"]))
PY
sed '$d' ha >ha.head
cat >want <<'EOF'
['Deployment', 'PodDisruptionBudget', 'Service']
replicas 3 True
service True 8080 8080
readiness /health 8080
liveness ['failureThreshold', 'initialDelaySeconds', 'periodSeconds', 'tcpSocket', 'timeoutSeconds'] 8080
db False keruta-pg uri
EOF
diff_golden want ha.head "three replicas behind a Service, readiness on /health, liveness on the port alone, KERUTA_SERVE_DB from a Secret"

# The command line: keruta-serve on every address, with auth.
set -- $(tail -n 1 ha)
is "$1 $2 $3" "keruta-serve --listen 0.0.0.0:8080" \
    "keruta-serve listens on every address"
shift
case " $* " in
*" --jwt-secret-file /run/secrets/keruta/jwt "*) r=0 ;;
*) r=1 ;;
esac
check $r "with JWTs signed with the mounted secret"

# The same options, on this machine's loopback, the database a
# throwaway PostgreSQL given as the Secret would give it.
pg_own
KERUTA_SERVE_DB=$(pg_db ha) || exit 1
export KERUTA_SERVE_DB
openssl rand -hex 32 >jwt
args=$(printf '%s\n' "$@" | sed -e 's#^0.0.0.0:8080$#127.0.0.1:0#' \
    -e "s#^/run/secrets/keruta/jwt\$#$T/jwt#")
# shellcheck disable=SC2086
keruta-serve $args </dev/null 2>serve.log &
bg_pid $!
wait_for 20 grep -q 'listening on' serve.log
addr=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' serve.log)
health() {
	curl -s -o health.out -w '%{http_code}' "http://$addr/health"
	echo " $(jq -r '.status + " " + .database' health.out 2>/dev/null)"
}
is "$(health)" "200 UP ok" "keruta-serve starts with them on PostgreSQL; ready"
is "$(psql -qXAt "$KERUTA_SERVE_DB" -c \
    'SELECT max(version) > 0 FROM keruta_schema')" \
    t "it set the schema up in the database of the Secret"

"$KR_TOP/tests/pg-cluster" kill "$PG_DIR"
wait_for 20 sh -c "curl -s -o /dev/null -w '%{http_code}' \
    http://$addr/health | grep -qx 503"
is "$(health)" "503 DOWN unreachable" \
    "the database out of reach: not ready, out of the Service"
"$KR_TOP/tests/pg-cluster" restart "$PG_DIR"
wait_for 30 sh -c "curl -s -o /dev/null -w '%{http_code}' \
    http://$addr/health | grep -qx 200"
is "$(health)" "200 UP ok" "ready again once it has connected by itself"
