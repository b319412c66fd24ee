#!/bin/sh
# demo.sh: a script whose output shows what the keruta pipeline does:
# levels found in the lines, stderr, secrets masked before they leave, a
# long line split and joined again, a line without a newline, and a
# non-zero exit status that keruta-agent keeps.
echo "demo: building the example project"
echo "DEBUG: resolving dependencies (shipped with --log-level debug)"
echo "[warn] the cache is cold; this takes a moment"
echo 'level=error msg="a logfmt line with its own level"'
echo '{"level":"info","msg":"a JSON log line"}'
echo "this line went to stderr" >&2
for i in 1 2 3; do
	echo "step $i/3"
	sleep 0.2
done
echo "connecting with password=hunter2-demo"
echo "token ghp_0123456789abcdefghijklmnopqrstuvwxyz is masked too"
echo "the value of DEMO_API_TOKEN: ${DEMO_API_TOKEN:-unset}"
# A 100 000-character line: split into records marked "continued".
awk 'BEGIN { s = "long-line:"; while (length(s) < 100000) s = s "0123456789"; print s }'
printf 'a last line without a newline'
sleep 0.2
echo >&2 "FATAL: the demo fails on purpose, with status 3"
exit 3
