#!/bin/sh
# keruta-ship's spool and a power cut: what it acknowledged is delivered.
#
# For the spool, a record is acknowledged when a keruta-ship that read it
# reported it as spooled at its exit (--summary, "spooled") and exited:
# at exit with records left, the segments and the position are fsync'ed;
# a full segment is fsync'ed once the next is full; nothing else is.
#
# Three keruta-ship runs, one after the other, spool records on one spool
# (the first over 16 MiB, so that a segment rotates) against a port where
# no server listens, each exiting 111 with its records left; their file
# writes and fsyncs are written down (tests/preload/fslog.c). Then, for
# each of POWERLOSS_CUTS cut points (seeded: POWERLOSS_SEED, printed), the
# spool is rebuilt as a power cut there would have left it, unsynced
# writes kept, lost or torn (tests/data/powerloss-spool.py, which uses
# powerloss.py's rebuild), and keruta-ship replays it (</dev/null) to a
# live keruta-serve. After every cut: keruta-ship exits 0 (no signal, no
# sanitizer report) and empties the spool; the server holds exactly the
# records whose spool line is whole in the rebuilt segments, each once
# (so a torn or lost tail costs no record before the damage, nor after
# it), among them every record acknowledged and every one whose line was
# synced before the cut; nothing is received twice but what the rebuilt
# segments hold twice (a write a full disk cut short, then truncated away
# and written to the next segment, can survive a cut that loses its
# truncation), and keruta-ship's summary counts every whole line. Then the same after
# a run that met a full disk (POWERLOSS_CUTS / 4 cuts, at least 4).
# `make soak` runs it with 1,000 cuts.
. "${0%/*}/lib.sh"
. "$DATA/ship-lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 10

CUTS=${POWERLOSS_CUTS:-20}
SEED=${POWERLOSS_SEED:-$$}
PL=$DATA/powerloss-spool.py
diag "seed $SEED (POWERLOSS_SEED=$SEED to run these cuts again)"

mkdir fs
FS=$(cd fs && pwd -P)
SPOOL=$FS/sp
DEAD=ws://127.0.0.1:$(free_port)/ws/tasks

# spool N: keruta-ship on the spool, journaled, input from in.N.
spool() {
	KR_FSLOG_DIR=$FS KR_FSLOG=$T/journal.$1 \
	    LD_PRELOAD=$KR_MOCK/fslog.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    keruta-ship -u "$DEAD" -S "$SPOOL" --drain-timeout 200ms \
	    --reconnect-interval 100ms --summary "sum.$1" <"in.$1" 2>"err.$1"
}

# 1: 2,100 records of 8 KiB, 17 MB: seg.1 fills, seg.2 is begun.
gen 1 2100 r1 pl 8192 >in.1
# 2: another task, batches (arrays), and lines that are not JSON: those
# get keruta-ship's own runId and seq.
awk 'BEGIN {
	for (i = 1; i <= 300; i += 3)
		printf "[{\"taskId\":\"pl2\",\"runId\":\"r2\",\"seq\":%d,\"message\":\"b %d\"},{\"taskId\":\"pl2\",\"runId\":\"r2\",\"seq\":%d,\"message\":\"b %d\"},{\"taskId\":\"pl2\",\"runId\":\"r2\",\"seq\":%d,\"message\":\"b %d\"}]\n", i, i, i + 1, i + 1, i + 2, i + 2
	for (i = 1; i <= 40; i++)
		printf "plain text %d\n", i
}' >in.2
# 3: short records of the first task again.
awk 'BEGIN {
	for (i = 1; i <= 500; i++)
		printf "{\"taskId\":\"pl\",\"runId\":\"r3\",\"seq\":%d,\"level\":\"INFO\",\"message\":\"short %d\"}\n", i, i
}' >in.3

spool 1
r1=$?
spool 2
r2=$?
spool 3
is "$r1 $r2 $? $(jq -r .spooled sum.1 sum.2 sum.3 | tr '\n' ' ')" \
    "111 111 111 2100 2440 2940 " \
    "no server: each run exits 111, its records spooled"
is "$(cd "$SPOOL" && echo seg.*)" "seg.1 seg.2" "the first segment was rotated"

RUNS="journal.1:sum.1 journal.2:sum.2 journal.3:sum.3"
# shellcheck disable=SC2086
python3 "$PL" cuts --cuts "$CUTS" --seed "$SEED" --spool "$SPOOL" \
    $RUNS >points
n=$(wc -l <points | tr -d ' ')
is "$n" "$CUTS" "$CUTS cut points"
[ "$n" = "$CUTS" ] || head -n 5 points | sed 's/^/# /'

start_serve || exit 1

metric() {
	curl -s "$SERVE_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# stored TASK...: what the server holds, "taskId runId seq" a line, sorted.
stored() {
	for t in "$@"; do
		curl -s "$SERVE_API/tasks/$t/logs/export?format=ndjson"
	done | jq -r '"\(.taskId) \(.runId) \(.seq)"' | sort
}

# The replays wait long for acks and for the drain: on a loaded machine
# a slow ack must not make keruta-ship send a frame again (the server
# would count it twice) or give up with records left.
# replay_cuts SPOOL TASKS RUNS POINTS: each cut of the file POINTS
# rebuilt, replayed and checked; a line in failed for each failure, the
# rebuild's line in report. The rebuilds are one process for all the
# cuts: a cut's number and op in on one fifo, a line out on the other
# when c/ is ready.
: >failed
: >report
k=0
replay_cuts() {
	rm -f to from
	mkfifo to from
	# shellcheck disable=SC2086
	python3 "$PL" rebuild --seed "$SEED" --spool "$1" --out c $3 \
	    <to >from 2>rebuild.err &
	bg_pid $!
	exec 3>to 4<from
	while read -r cut; do
		k=$((k + 1))
		echo "$k $cut" >&3
		if ! read -r line <&4; then
			echo "cut $k: no rebuild: $(tail -n 1 rebuild.err)" >>failed
			break
		fi
		echo "$line" >>report
		dup0=$(metric keruta_records_duplicate_total)
		keruta-ship -u "$SERVE_WS" -S c/spool --summary c/sum \
		    --timeout 60s --drain-timeout 120s \
		    </dev/null 2>c/err
		rc=$?
		# shellcheck disable=SC2086
		stored $2 >c/got
		dup1=$(metric keruta_records_duplicate_total)
		why=
		[ "$rc" -eq 0 ] || why="$why exit $rc;"
		! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' c/err ||
		    why="$why sanitizer report;"
		cmp -s c/want c/got ||
		    why="$why stored $(wc -l <c/got) records, $(wc -l <c/want) whole in the spool, $(comm -23 c/want c/got | wc -l) of them missing, $(comm -13 c/want c/got | wc -l) not in it;"
		[ -z "$(comm -23 c/acked c/got)" ] ||
		    why="$why $(comm -23 c/acked c/got | wc -l) acknowledged missing;"
		[ -z "$(comm -23 c/synced c/got)" ] ||
		    why="$why $(comm -23 c/synced c/got | wc -l) synced missing;"
		[ -z "$(uniq -d c/got)" ] || why="$why stored twice;"
		[ "$((dup1 - dup0))" -le "$(wc -l <c/again)" ] ||
		    why="$why $((dup1 - dup0)) records received twice, $(wc -l <c/again | tr -d ' ') whole twice in the spool;"
		[ "$(jq -r .acked c/sum 2>/dev/null)" = "$(cat c/want c/again | wc -l | tr -d ' ')" ] ||
		    why="$why summary $(cat c/sum 2>/dev/null);"
		[ "$(echo c/spool/seg.*)" = "c/spool/seg.*" ] ||
		    why="$why segments left;"
		[ -z "$why" ] ||
		    echo "cut $k (op $cut):$why $(tail -n 2 c/err | tr '\n' ' ')" >>failed
		for t in $2; do
			curl -s -X DELETE "$SERVE_API/tasks/$t/logs" >/dev/null
		done
	done <"$4"
	exec 3>&- 4<&-
}

replay_cuts "$SPOOL" "pl pl2" "$RUNS" points
is "$k" "$CUTS" "every cut replayed"
is "$(wc -l <failed | tr -d ' ')" 0 \
    "after every cut: exit 0, each whole record delivered once, none acknowledged lost"
head -n 10 failed | sed "s/^/# /" >&2
grep -q ', [1-9][0-9]* acked$' report
check $? "some cuts came after records were acknowledged"

# The uncut spool replays whole.
rm -rf c
cp -r "$SPOOL" c
keruta-ship -u "$SERVE_WS" -S c --summary c.sum --timeout 60s \
    --drain-timeout 120s </dev/null 2>c.err
is "$? $(jq -c '[.read, .acked, .resumed, .complete]' c.sum)" \
    "0 [0,2940,2940,true]" "the spool as left replays whole: exit 0"
stored pl pl2 >got
is "$(wc -l <got | tr -d ' ') $(uniq -d got | wc -l | tr -d ' ')" "2940 0" \
    "all 2940 stored, none twice"

# A full disk (a 1 MiB tmpfs in a mount namespace of its own, as in
# t0614) and no server: the segment the disk filled is left for a new one;
# keruta-ship exits on SIGTERM. What its spool held at exit must survive
# a cut after it. (Its summary is not checked here: it also counts the
# records that were still waiting in memory for room.)
DCUTS=$((CUTS / 4 > 4 ? CUTS / 4 : 4))
# shellcheck disable=SC2016
in_tmpfs() {
	unshare -rm sh -c 'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" &&
	    exec "$@"' "$T/small" "$@"
}
mkdir small
SMALL=$(cd small && pwd -P)
cp failed failed.all
if in_tmpfs true 2>/dev/null; then
	awk 'BEGIN {
		for (i = 1; i <= 30000; i++)
			printf "{\"taskId\":\"df\",\"runId\":\"r1\",\"seq\":%d,\"message\":\"line %d\"}\n", i, i
	}' >in.d
	# Not the function: $! is then keruta-ship itself.
	# shellcheck disable=SC2016
	KR_FSLOG_DIR=$SMALL KR_FSLOG=$T/journal.d \
	    LD_PRELOAD=$KR_MOCK/fslog.so \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    unshare -rm sh -c 'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" &&
	    exec "$@"' "$T/small" keruta-ship -u "$DEAD" -S "$SMALL/sp" \
	    --drain-timeout 200ms --reconnect-interval 100ms --summary sum.d \
	    <in.d 2>err.d &
	ship=$!
	bg_pid $ship
	wait_for 20 grep -q 'the disk is full' err.d
	kill -TERM $ship
	wait $ship
	is "$? $(grep -c 'the disk is full' err.d)" "111 1" \
	    "a full disk and no server: exit 111 on SIGTERM"
	python3 "$PL" cuts --cuts "$DCUTS" --seed "$SEED" --spool "$SMALL/sp" \
	    journal.d:- >points.d
	: >failed
	replay_cuts "$SMALL/sp" df journal.d:- points.d
	is "$(wc -l <points.d | tr -d ' ') $(wc -l <failed | tr -d ' ')" \
	    "$DCUTS 0" \
	    "a full disk, then a cut: every record its spool held at exit delivered"
	head -n 10 failed | sed "s/^/# /" >&2
	cat failed >>failed.all
else
	check 0 "# SKIP no mount namespace with a tmpfs here (unshare -rm)"
	check 0 "# SKIP no mount namespace with a tmpfs here (unshare -rm)"
	DCUTS=0
fi
diag "cuts $((CUTS + DCUTS)) ok $((CUTS + DCUTS - $(wc -l <failed.all))) acked-checked $(awk '{ n += $(NF - 1) } END { print n + 0 }' report) damaged $(awk '$(NF - 7) > $(NF - 5) { n++ } END { print n + 0 }' report) seed $SEED"
