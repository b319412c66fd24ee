#!/bin/sh
# make install puts programs and man pages under DESTDIR/PREFIX, and the
# installed tree works from any directory, with nothing of the source tree.
. "${0%/*}/lib.sh"
plan 9

B=${KR_BIN%/bin}
make -s -C "$KR_TOP" install B="$B" DESTDIR="$T/root" PREFIX=/opt/kr \
    >install.out 2>&1
check $? "make install with DESTDIR and PREFIX"

bin=$T/root/opt/kr/bin
n=0
for p in keruta-agent keruta-batch keruta-capture keruta-filter \
    keruta-serve keruta-ship keruta-tail; do
	[ -x "$bin/$p" ] && n=$((n + 1))
done
is "$n" 7 "the programs are installed"
is "$(ls "$T/root/opt/kr/share/man/man1" | grep -c '^keruta-.*\.1$')" \
    "$(ls "$KR_TOP/man" | grep -c '\.1$')" "every section 1 page is installed"
[ -f "$T/root/opt/kr/share/man/man7/keruta.7" ] &&
    [ -f "$T/root/opt/kr/share/man/man8/keruta-serve.8" ]
check $? "keruta.7 and keruta-serve.8 are installed"

# Run from elsewhere, with only the installed tree on PATH.
mkdir elsewhere && cd elsewhere || exit 1
PATH=$bin:/usr/bin:/bin
printf 'echo one\necho "password=hunter2" >&2\nexit 4\n' >job.sh
keruta-capture --task-id t -- sh job.sh | keruta-filter | keruta-batch \
    >out.ndjson
is "$(jq -r '.[] | select(.source != "agent") | .message' out.ndjson)" \
    "one
password=[REDACTED:password]" "the installed pipeline runs"

keruta-agent execute --task-id t --script job.sh --disable-log-streaming \
    >agent.out 2>agent.err
is "$?" 4 "the installed agent runs the script and keeps its status"

port=$(free_port)
keruta-serve --listen 127.0.0.1:"$port" --db "$T/s.db" 2>serve.err &
bg_pid $!
wait_for 10 curl -fs "http://127.0.0.1:$port/health"
check $? "the installed server starts"
curl -fs "http://127.0.0.1:$port/" >index.html
grep -qi '<html' index.html
check $? "it serves the panel with no files beside it"

make -s -C "$KR_TOP" uninstall B="$B" DESTDIR="$T/root" PREFIX=/opt/kr \
    >/dev/null 2>&1
is "$(find "$T/root" -type f | wc -l | tr -d ' ')" 0 \
    "make uninstall removes what install put there"
