#!/bin/sh
# scripts/bundle: the bundle runs keruta-agent where nothing else is
# installed (a root holding only the bundle and busybox as the script's
# shell), from a path with spaces, and from a read-only file system with
# the spool in $TMPDIR; the script's records arrive and its exit code is
# kept.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"

[ -x /bin/busybox ] || skip_all "no /bin/busybox (Debian: busybox-static)"
[ "$(id -u)" -eq 0 ] || skip_all "chroot and mount need root"
plan 27
chroot=$(command -v chroot)

# Mounts made here, undone (innermost first) before the directory goes.
_bd_mounts=
bd_mount() {
	mount "$@" || return 1
	eval "_bd_last=\${$#}"
	_bd_mounts="$_bd_last
$_bd_mounts"
}
_bd_cleanup() {
	printf '%s\n' "$_bd_mounts" | while IFS= read -r m; do
		[ -z "$m" ] || umount -l "$m" 2>/dev/null
	done
}
trap '_bd_cleanup; _sv_cleanup; _kr_cleanup' EXIT

CC=${CC:-cc} "$KR_TOP/scripts/bundle" "$KR_BIN" "$T/out" 2>bundle.err
check $? "scripts/bundle makes the bundle"
tarball=$T/out/keruta-bundle-$(uname -m).tar.gz
test -s "$tarball"
check $? "and its tarball"

# Every library a program needs is one of the bundle's own.
b=$T/out/keruta
ldso=$(cd "$b/lib" && ls ld-*.so*)
: >outside
for p in "$b"/libexec/elf/*; do
	"$b/lib/$ldso" --library-path "$b/lib" --list "$p" |
	    awk -v lib="$b/lib/" '$2 == "=>" && index($3, lib) != 1' >>outside
done
is "$(cat outside)" "" "every library comes from the bundle's lib/"

# mkroot DIR [noproc]: a root holding the bundle, busybox as /bin/sh, and
# what a container runtime gives every container: /dev's usual nodes and
# /dev/pts, /proc, /tmp.
mkroot() {
	mkdir -p "$1/bin" "$1/dev/pts" "$1/proc" "$1/tmp" "$1/spool" &&
	    chmod 1777 "$1/tmp" &&
	    cp /bin/busybox "$1/bin/sh" &&
	    mknod -m 666 "$1/dev/null" c 1 3 &&
	    mknod -m 666 "$1/dev/zero" c 1 5 &&
	    mknod -m 666 "$1/dev/random" c 1 8 &&
	    mknod -m 666 "$1/dev/urandom" c 1 9 &&
	    mknod -m 666 "$1/dev/tty" c 5 0 &&
	    ln -s pts/ptmx "$1/dev/ptmx" &&
	    cp -al "$T/unpacked/keruta" "$1/keruta" || return 1
	printf '#!/bin/sh\necho "hello from $(echo chroot)"\necho oops >&2\nexit 3\n' \
	    >"$1/job.sh" && chmod 0755 "$1/job.sh" || return 1
	[ "${2-}" = noproc ] || bd_mount -t proc proc "$1/proc" ||
	    diag "no /proc in the root: mount refused"
	bd_mount -t devpts -o newinstance,ptmxmode=0666 devpts \
	    "$1/dev/pts" || diag "no /dev/pts in the root: mount refused"
	return 0
}
mkdir "$T/unpacked"
tar -C "$T/unpacked" -xzf "$tarball" && mkroot "$T/root"
check $? "an empty root with the unpacked bundle and busybox"

# Every program of the bundle starts in the root, and says who it is.
: >versions
for p in "$T/root/keruta/bin"/*; do
	n=${p##*/}
	v=$("$chroot" "$T/root" "/keruta/bin/$n" --version 2>&1 </dev/null)
	[ "${v%% *}" = "$n" ] || echo "$n: $v" >>versions
done
is "$(cat versions)" "" "in the root, every program of the bundle runs"

start_serve || diag "keruta-serve did not start: $(tail -n 3 "$SERVE_LOG")"

# records TASK: source, level and message of the task's records, those of
# the pipeline's own events left out; exit code of the script.
records() {
	curl -s "$SERVE_API/tasks/$1/logs?size=100" >"rec.$1"
	jq -r '.content[] | select(.source != "agent") |
	    "\(.source) \(.level) \(.message)"' "rec.$1"
}
exit_code() {
	jq -r '.content[] | select(.metadata.event == "exit") |
	    .metadata.exitCode' "rec.$1"
}

# in_root ROOT ARGS: keruta-agent execute ARGS in ROOT, with an environment
# of PATH (where the root has nothing but /bin/sh), the server's URL and
# the words VAR=VALUE of $root_env.
root_env=
in_root() {
	_r=$1
	shift
	# shellcheck disable=SC2086
	env -i PATH=/usr/local/bin:/usr/bin:/bin \
	    KERUTA_WEBSOCKET_URL="$SERVE_WS" $root_env \
	    "$chroot" "$_r" /keruta/bin/keruta-agent execute "$@" </dev/null
}

in_root "$T/root" --task-id c1 --script /job.sh \
    >c1.out 2>c1.err
is $? 3 "in the root, keruta-agent keeps the script's exit code"
is "$(records c1)" "stdout INFO hello from chroot
stderr ERROR oops" "the script's records reach keruta-serve outside"
is "$(exit_code c1)" 3 "with the exit event"
grep -q 'task c1: [0-9]* records shipped, .*; log complete$' \
    c1.err
check $? "the agent reports the log complete"
grep -i 'not found' c1.err >missing
is "$(cat missing)" "" "every utility the agent calls is in the bundle"

# The same run without the bundle's utilities, and without /proc (through
# which busybox runs its own applets when it can): the check above sees a
# missing one.
if [ -n "${KR_SANITIZE:-}" ]; then
	check 0 "# SKIP the sanitizers need /proc"
else
	mkroot "$T/bare" noproc
	find "$T/bare/keruta/libexec/utils" ! -type d ! -name sh -exec rm {} +
	# An agent without its utilities may wait for ever on a missing
	# sleep: timeout stops it, and every process of its group.
	env -i PATH=/usr/local/bin:/usr/bin:/bin \
	    KERUTA_WEBSOCKET_URL="$SERVE_WS" timeout -s KILL 5 \
	    "$chroot" "$T/bare" /keruta/bin/keruta-agent execute --task-id c2 \
	    --script /job.sh </dev/null >c2.out 2>c2.err
	grep -q 'not found' c2.err
	check $? "without them, the agent says what it did not find"
fi

# A script without the execute bit, run by the script's own shell.
printf 'echo plain\nexit 5\n' >"$T/root/plain.sh"
in_root "$T/root" --task-id c3 --script /plain.sh >c3.out 2>c3.err
is $? 5 "a script without the execute bit keeps its exit code"
is "$(records c3)" "stdout INFO plain" "and its records arrive"

# A server that is down: the records wait in the spool under $TMPDIR and
# are delivered from there later.
env -i PATH=/bin TMPDIR=/spool KERUTA_WEBSOCKET_URL=ws://127.0.0.1:1/ws/tasks \
    "$chroot" "$T/root" /keruta/bin/keruta-agent execute --task-id r2 \
    --script /job.sh --drain-timeout 1s </dev/null >r2.out 2>r2.err &
r2=$!
bg_pid $r2
wait_for 20 sh -c 'grep -q "\"event\":\"exit\"" "$1"/spool/keruta-ship-*/r2/seg.*' \
    sh "$T/root"
check $? "with the server down, the records are spooled in \$TMPDIR"
kill -TERM $r2 2>/dev/null
wait $r2
is $? 3 "stopped while it waits for the server, the agent keeps the exit code"
"$chroot" "$T/root" /keruta/bin/keruta-ship -u "$SERVE_WS" \
    --spool /spool/keruta-ship-0/r2 </dev/null >r2.ship 2>&1
is "$(records r2)" "stdout INFO hello from chroot
stderr ERROR oops" "keruta-ship delivers them from the spool"

# examples/: the bundle image's ENTRYPOINT copies the bundle into the
# volume as an unprivileged user; the Job's container runs the Job's
# command from that volume, as the Job's user, $TMPDIR as the Job sets it.
E=$KR_TOP/examples
sed -n '/^FROM scratch AS bundle$/,/^FROM /s/^ENTRYPOINT //p' \
    "$E/Dockerfile" | jq -r '.[]' >entrypoint
python3 - "$E/k8s-job.yaml" >k8s.job <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
pod = [d for d in docs if d["kind"] == "Job"][0]["spec"]["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e.get("value") for e in c["env"]}
print(pod["securityContext"]["runAsUser"], env["TMPDIR"])
print("\n".join(c["command"]))
PY
read -r uid tmpdir <k8s.job

# The README's Job: the init container mounts the volume where the bundle
# image copies to; the Job's command is a program of the bundle there.
python3 - "$KR_TOP/README.md" >readme.job <<'PY'
import re, sys, yaml
text = open(sys.argv[1]).read()
sec = text.split("## Add live logs to an existing Job", 1)[1]
pod = yaml.safe_load(re.search(r"```yaml\n(.*?)```", sec, re.S).group(1))
pod = pod["spec"]["template"]["spec"]
init = pod["initContainers"][0]
job = pod["containers"][0]
vol = pod["volumes"][0]
jm = [m for m in job["volumeMounts"] if m["name"] == vol["name"]][0]
im = [m for m in init["volumeMounts"] if m["name"] == vol["name"]][0]
print(im["mountPath"] + "/")
cmd = job["command"][0]
print(cmd[len(jm["mountPath"]) + 1:] if cmd.startswith(jm["mountPath"] + "/")
      else "not in the volume: " + cmd)
PY
is "$(sed -n 1p readme.job)" "$(tail -n 1 entrypoint)" \
    "README: the init container mounts the volume where the bundle image copies"
test -x "$T/unpacked/keruta/$(sed -n 2p readme.job)"
check $? "README: the Job runs a program of the bundle"
mkdir -p "$T/img/mnt/keruta"
chmod 0777 "$T/img/mnt/keruta"
cp -al "$T/unpacked/keruta" "$T/img/keruta"
IFS='
'
# shellcheck disable=SC2046
"$chroot" --userspec=65534:65534 "$T/img" $(cat entrypoint) 2>cp.err
check $? "the bundle image's ENTRYPOINT copies the bundle as nobody"
unset IFS
mkroot "$T/k8s"
rm -rf "$T/k8s/keruta"
mv "$T/img/mnt/keruta" "$T/k8s/keruta"
mkdir -p "$T/k8s$tmpdir" "$T/ro" "$T/spool"
chown "$uid" "$T/spool"
# Read-only, as readOnlyRootFilesystem and the readOnly volume make it; the
# spool goes to $TMPDIR, a writable volume.
if bd_mount --rbind "$T/k8s" "$T/ro" &&
    mount -o remount,bind,ro "$T/ro" &&
    bd_mount --bind "$T/spool" "$T/ro$tmpdir"; then
	touch "$T/ro/keruta/x" 2>/dev/null || touch "$T/ro/tmp/x" 2>/dev/null
	is $? 1 "the Job's root is read-only, the bundle with it"
else
	check 0 "# SKIP mount refused: the root is not read-only"
	rmdir "$T/ro"
	ln -s k8s "$T/ro"
fi
IFS='
'
# shellcheck disable=SC2046
env -i PATH=/usr/local/bin:/usr/bin:/bin KERUTA_WEBSOCKET_URL="$SERVE_WS" \
    TMPDIR="$tmpdir" "$chroot" --userspec="$uid:$uid" "$T/ro" \
    $(sed 1d k8s.job) --task-id k8s --script /job.sh </dev/null >k8s.out 2>k8s.err
is "$? $(records k8s)" "3 stdout INFO hello from chroot
stderr ERROR oops" "the Job's command runs from the copy: records arrive, exit code kept"
unset IFS

# From a path with spaces, outside any root, through a link.
mkdir -p "$T/a dir/with spaces"
cp -al "$T/unpacked/keruta" "$T/a dir/with spaces/keruta"
ln -s "$T/a dir/with spaces/keruta/bin/keruta-agent" "$T/agent link"
printf '#!/bin/sh\necho spaced\nexit 7\n' >"$T/job 2.sh"
chmod 0755 "$T/job 2.sh"
KERUTA_WEBSOCKET_URL=$SERVE_WS "$T/agent link" execute --task-id s1 \
    --script "$T/job 2.sh" </dev/null >s1.out 2>s1.err
is $? 7 "from a path with spaces, through a link, the exit code is kept"
is "$(records s1)" "stdout INFO spaced" "and the records arrive"

# A name the bundle has no program for.
ln -s "$T/a dir/with spaces/keruta/libexec/launch" "$T/keruta-nope"
"$T/keruta-nope" >nope.out 2>nope.err
is "$? $(cat nope.err)" "127 keruta-nope: fatal: no program 'keruta-nope' in the bundle '$T/a dir/with spaces/keruta'" \
    "the launcher names a program it does not have"

# A busybox that is not static is refused before any work.
BUSYBOX=$KR_BIN/keruta-config "$KR_TOP/scripts/bundle" "$KR_BIN" "$T/out2" \
    >dyn.out 2>dyn.err
is "$? $(cat dyn.err)" "1 bundle: fatal: '$KR_BIN/keruta-config' is dynamically linked: a static busybox is needed" \
    "scripts/bundle refuses a busybox that needs a loader"

# The loader splits its library path at ':': such a directory is refused.
mkdir -p "$T/a:b"
cp -al "$T/unpacked/keruta" "$T/a:b/keruta"
"$T/a:b/keruta/bin/keruta-config" --version >colon.out 2>colon.err
is "$? $(cat colon.err)" "127 keruta-config: fatal: the bundle's directory '$T/a:b/keruta' holds a ':' or ';': move it" \
    "a directory with a ':' is refused with a message"

# keruta-capture --pty (a terminal for the script) works in the root.
printf '#!/bin/sh\n[ -t 1 ] && echo terminal\n' >"$T/root/tty.sh"
chmod 0755 "$T/root/tty.sh"
if [ -c "$T/root/dev/pts/ptmx" ]; then
	"$chroot" "$T/root" /keruta/bin/keruta-capture --pty -- /tty.sh \
	    </dev/null 2>pty.err | jq -r 'select(.source == "stdout") | .message' >pty.out
	is "$(cat pty.out)" terminal "in the root, the script can have a terminal"
else
	check 0 "# SKIP no /dev/pts in the root: mount refused"
fi
