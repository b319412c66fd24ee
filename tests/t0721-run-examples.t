#!/bin/sh
# examples/: the container recipe, the Kubernetes Job, the systemd unit and
# the sample configuration agree with the tools they describe.
. "${0%/*}/lib.sh"
plan 16
E=$KR_TOP/examples

# Every library the programs link directly comes from a package the image
# installs (those packages bring their own dependencies).
if command -v dpkg >/dev/null && command -v readelf >/dev/null &&
    [ -x "$KR_BIN/keruta-serve" ]; then
	sed -n '/^FROM debian:12-slim/,$p' "$E/Dockerfile" >runtime
	for p in "$KR_BIN"/keruta-*; do
		readelf -d "$p" 2>/dev/null |
		    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u >needed
	miss=
	while read -r lib; do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
		pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 |
		    cut -d: -f1)
		case $pkg in
		libc6 | libssl3 | zlib1g | '') continue ;;	# in the base image
		libasan* | libubsan* | liblsan* | libtsan*) continue ;; # sanitizers
		esac
		grep -qw "$pkg" runtime || miss="$miss $pkg"
	done <needed
	is "$miss" "" "the image installs every library the programs link"
else
	check 0 "# SKIP no dpkg, readelf or programs"
fi
grep -q 'ENTRYPOINT \["keruta-agent", "execute"\]' "$E/Dockerfile"
check $? "the image runs keruta-agent execute"

if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$E/k8s-job.yaml" >k8s 2>&1 <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
job = [d for d in docs if d["kind"] == "Job"][0]
c = job["spec"]["template"]["spec"]["containers"][0]
env = {e["name"]: e for e in c["env"]}
print(" ".join(c["args"]))
print(env["KERUTA_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]["name"])
print(job["spec"]["template"]["spec"]["restartPolicy"])
PY
	is "$(sed -n 1p k8s)" "--task-id build-42 --script /scripts/build.sh" \
	    "the Job runs the documented command line"
	is "$(sed -n 2p k8s)" keruta-token "the token comes from a Secret"
	is "$(sed -n 3p k8s)" Never "the Job does not restart the script"

	# The bundle: copied by an init container into a volume that the
	# Job's own image runs keruta-agent from; the spool on a claim.
	python3 - "$E/k8s-job.yaml" >k8s-bundle 2>&1 <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
kinds = {d["kind"]: d for d in docs}
pod = kinds["Job"]["spec"]["template"]["spec"]
job = pod["containers"][0]
init = pod["initContainers"][0]
vols = {v["name"]: v for v in pod["volumes"]}
def mounts(c):
    return {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
print(" ".join(job["command"]))
print(job["image"], init["image"])
kvol = mounts(job)["/keruta"]
print(kvol == mounts(init).get("/mnt/keruta"), "emptyDir" in vols[kvol])
env = {e["name"]: e.get("value") for e in job["env"]}
svol = vols[mounts(job)[env["TMPDIR"]]]
claim = svol["persistentVolumeClaim"]["claimName"]
print("claim", claim == kinds["PersistentVolumeClaim"]["metadata"]["name"])
sc = pod["securityContext"]
print("nonroot", sc["runAsNonRoot"], sc["runAsUser"] != 0)
for c in (init, job):
    csc = c["securityContext"]
    r = c["resources"]
    print(c["name"], csc["readOnlyRootFilesystem"],
          csc["allowPrivilegeEscalation"], csc["capabilities"]["drop"],
          sorted(r["requests"]), sorted(r["limits"]))
PY
	cat >want <<'EOF'
/keruta/bin/keruta-agent execute
python:3.12-slim keruta-bundle:latest
True True
claim True
nonroot True True
keruta True False ['ALL'] ['cpu', 'memory'] ['cpu', 'memory']
job True False ['ALL'] ['cpu', 'memory'] ['cpu', 'memory']
EOF
	diff_golden want k8s-bundle "the Job runs keruta-agent from a bundle copied by an init container, spools on a claim, confined, with resources"
else
	for i in 1 2 3 4; do check 0 "# SKIP no python3 yaml"; done
fi

# The bundle image: the bundle alone, copied where the Job's init
# container mounts its volume.
sed -n '/^FROM scratch AS bundle$/,/^FROM /p' "$E/Dockerfile" >bundle-stage
grep -q '^COPY --from=build /src/build/bundle/keruta /keruta$' bundle-stage &&
    grep -q '^ENTRYPOINT \["/keruta/libexec/busybox", "cp", "-R", "/keruta/.", "/mnt/keruta/"\]$' \
    bundle-stage
check $? "a bundle stage holds the bundle and copies it to /mnt/keruta"

# keruta-serve's manifest: a StatefulSet on a claim, a Service, probes.
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$E/k8s-serve.yaml" >k8s-serve 2>&1 <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
kinds = {d["kind"]: d for d in docs}
sts = kinds["StatefulSet"]
svc = kinds["Service"]
pod = sts["spec"]["template"]["spec"]
c = pod["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
sp = svc["spec"]["ports"][0]
print(svc["spec"]["selector"] == sts["spec"]["template"]["metadata"]["labels"],
      sp["port"], ports[sp["targetPort"]])
for p in ("readinessProbe", "livenessProbe"):
    g = c[p]["httpGet"]
    print(p, g["path"], ports[g["port"]])
args = c["args"]
db = args[args.index("-d") + 1]
m = {v["mountPath"]: v["name"] for v in c["volumeMounts"]}
claims = [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]]
print("data", m[db.rsplit("/", 1)[0]] in claims)
print("nonroot", pod["securityContext"]["runAsNonRoot"],
      c["securityContext"]["readOnlyRootFilesystem"],
      sorted(c["resources"]["requests"]), sorted(c["resources"]["limits"]))
print(" ".join(c["command"] + args))
PY
	sed '$d' k8s-serve >k8s-serve.head
	cat >want <<'EOF'
True 8080 8080
readinessProbe /health 8080
livenessProbe /health 8080
data True
nonroot True True ['cpu', 'memory'] ['cpu', 'memory']
EOF
	diff_golden want k8s-serve.head "keruta-serve: a StatefulSet on a claim, a Service, probes on /health"
	# It starts with the manifest's options, and the probes' path answers.
	set -- $(tail -n 1 k8s-serve)
	shift
	openssl rand -hex 32 >jwt
	args=$(printf '%s\n' "$@" | sed -e 's#^0.0.0.0:8080$#127.0.0.1:0#' \
	    -e "s#^/var/lib/keruta/keruta.db\$#$T/k8s.db#" \
	    -e "s#^/run/secrets/keruta/jwt\$#$T/jwt#")
	if [ -x "$KR_BIN/keruta-serve" ]; then
		# shellcheck disable=SC2086
		keruta-serve $args 2>k8s-serve.log &
		bg_pid $!
		wait_for 10 grep -q 'listening on' k8s-serve.log
		addr=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' \
		    k8s-serve.log)
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://$addr/health")
		is "$code" 200 "keruta-serve starts with them; /health answers"
	else
		check 0 "# SKIP keruta-serve is not built"
	fi
else
	for i in 1 2; do check 0 "# SKIP no python3 yaml"; done
fi

# .dockerignore leaves out builds and git, and no file of the sources.
grep -qx build "$KR_TOP/.dockerignore" &&
    grep -qx .git "$KR_TOP/.dockerignore"
check $? ".dockerignore leaves out build/ and .git"
if git -C "$KR_TOP" ls-files >tracked 2>/dev/null && [ -s tracked ]; then
	python3 - "$KR_TOP/.dockerignore" tracked >ignored <<'PY'
import fnmatch, sys
pats = [l.strip() for l in open(sys.argv[1])
        if l.strip() and not l.startswith("#")]
def hit(f, p):
    p = p.replace("**/", "")
    parts = f.split("/")
    return any(fnmatch.fnmatch("/".join(parts[:i + 1]), p) or
               fnmatch.fnmatch(parts[i], p) for i in range(len(parts)))
for f in open(sys.argv[2]).read().split():
    if any(hit(f, p) for p in pats):
        print(f)
PY
	is "$(cat ignored)" "" "and no file of the sources"
else
	check 0 "# SKIP not in a git checkout"
fi

# The unit's ExecStart flags are the server's, and it starts with them.
line=$(sed -n 's/^ExecStart=//p' "$E/keruta-serve.service")
set -- $line
is "$1" /usr/local/bin/keruta-serve "ExecStart runs keruta-serve"
shift
args=$(printf '%s\n' "$@" | sed -e 's#^127.0.0.1:8080$#127.0.0.1:0#' \
    -e "s#^/var/lib/keruta/keruta.db\$#$T/unit.db#")
if [ -x "$KR_BIN/keruta-serve" ]; then
	# shellcheck disable=SC2086
	keruta-serve $args 2>unit.log &
	bg_pid $!
	wait_for 10 grep -q 'listening on' unit.log
	check $? "keruta-serve starts with the unit's options"
else
	check 0 "# SKIP keruta-serve is not built"
fi

keruta-config -c "$E/keruta.yaml" >cfg
check $? "the sample configuration is valid"
grep -q '^websocket.url=ws://127.0.0.1:8080/ws/tasks$' cfg
check $? "and names the WebSocket URL"

sh "$E/demo.sh" >demo.out 2>demo.err
is $? 3 "the demo script fails on purpose with 3"
