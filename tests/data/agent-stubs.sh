# agent-stubs.sh: keruta-agent with stand-in stages, for tests that watch
# what the agent does around them. Source it after lib.sh; it makes
# $T/bin with the agent and the real keruta-capture, keruta-tail and
# keruta-config, and these stand-ins, which keep what they saw in $STUB
# ($T):
#   keruta-filter  passes records on; its KERUTA_* environment in
#                  filter.env; with STUB_FILTER_FAIL set, fails on the
#                  first record
#   keruta-batch   passes records on
#   keruta-ship    keeps its arguments in ship.args and its input in
#                  shipped; writes --summary as if all were acknowledged;
#                  with STUB_SHIP_FAIL set, exits 111; with
#                  STUB_SHIP_HANG_SUMMARY set, given the agent's summary
#                  record, creates summary-sending and hangs
# and sets A to the agent.
mkdir bin
cp "$KR_BIN/keruta-agent" bin/
for p in capture tail config; do ln -s "$KR_BIN/keruta-$p" bin/; done
cat >bin/keruta-filter <<'S'
#!/bin/sh
env | grep '^KERUTA_' | sort >"$STUB/filter.env"
# Failing on the first record: the settings check (no input) passes.
[ -z "${STUB_FILTER_FAIL:-}" ] || { ! read -r _l || exit 1; exit 0; }
exec cat
S
printf '#!/bin/sh\nexec cat\n' >bin/keruta-batch
cat >bin/keruta-ship <<'S'
#!/bin/sh
# The settings check (--check) passes.
[ "$1" != --check ] || exit 0
echo "$*" >>"$STUB/ship.args"
[ -z "${STUB_SHIP_FAIL:-}" ] || exit 111
sum=
while [ $# -gt 0 ]; do
	[ "$1" = --summary ] && sum=$2
	shift
done
cat >"$STUB/in"
cat "$STUB/in" >>"$STUB/shipped"
if [ -n "${STUB_SHIP_HANG_SUMMARY:-}" ] &&
    grep -q '"event":"summary"' "$STUB/in"; then
	: >"$STUB/summary-sending"
	exec sleep 60
fi
n=$(grep -c . "$STUB/in")
[ -z "$sum" ] || printf '{"read":%d,"acked":%d,"spooled":0,"rejected":0,"resumed":0,"complete":true,"spool":"/x"}\n' "$n" "$n" >"$sum"
S
chmod +x bin/keruta-filter bin/keruta-batch bin/keruta-ship
STUB=$T
export STUB
A=$T/bin/keruta-agent
