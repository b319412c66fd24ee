#!/bin/sh
# examples/: the container recipe, the Kubernetes Job, the systemd unit and
# the sample configuration agree with the tools they describe.
. "${0%/*}/lib.sh"
plan 10
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
else
	for i in 1 2 3; do check 0 "# SKIP no python3 yaml"; done
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
