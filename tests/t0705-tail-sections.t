#!/bin/sh
# keruta-tail and CI section markers: GitHub's ::group::/::endgroup::,
# GitLab's section_start/section_end (wrapped in erase-line escapes),
# Buildkite's ---, +++ and ^^^ +++. Each section gets a header and an end
# line with its duration; the lines inside are indented; the markers are
# not shown as text; --json gives the records back unchanged.
. "${0%/*}/lib.sh"
plan 10

rec() {	# rec SECONDS SOURCE LEVEL MESSAGE-AS-JSON
	printf '{"type":"log","taskId":"t","runId":"r","timestamp":"2026-11-28T10:00:%sZ","source":"%s","level":"%s","message":"%s"}\n' \
	    "$1" "$2" "$3" "$4"
}
{
	rec 00 stdout INFO '::endgroup::'
	rec 00 stdout INFO '::group::Install'
	rec 01 stdout INFO 'npm ci'
	rec 03.5 stdout INFO '::endgroup::'
	rec 04 stdout INFO '\u001b[0Ksection_start:1764324004:build[collapsed=true]\r\u001b[0KBuild the tree'
	rec 05 stdout INFO 'cc -c a.c'
	rec 05 stderr WARN 'a.c:1: warning'
	rec 06 stdout INFO '\u001b[0Ksection_start:1764324006:link\r\u001b[0K'
	rec 07 stdout INFO 'ld'
	rec 08 stdout INFO '\u001b[0Ksection_end:1764324008:nosuch\r\u001b[0K'
	rec 09 stdout INFO '\u001b[0Ksection_end:1764324010:build\r\u001b[0K'
	rec 10 stdout INFO '--- :pipeline: Test'
	rec 11 stdout INFO 'ok 1'
	rec 11 stdout INFO '---'
	rec 11 stdout INFO '--- '
	rec 12 stdout INFO '+++ Deploy'
	rec 12 stdout INFO '^^^ +++'
	rec 13 stdout INFO '::group::Nested in deploy'
	rec 14 stdout INFO 'deploying'
	rec 15 stdout INFO '::group::Another'
	printf '{"timestamp":"2026-11-28T10:00:16Z","source":"agent","level":"INFO","message":"exited with status 0","metadata":{"event":"exit","exitCode":0}}\n'
} >in.ndjson

cat >want <<'W'
2026-11-28T10:00:00.000Z stdout INFO  >>> Install
2026-11-28T10:00:01.000Z stdout INFO    npm ci
2026-11-28T10:00:03.500Z stdout INFO  <<< Install (3.5s)
2026-11-28T10:00:04.000Z stdout INFO  >>> Build the tree
2026-11-28T10:00:05.000Z stdout INFO    cc -c a.c
2026-11-28T10:00:05.000Z stderr WARN    a.c:1: warning
2026-11-28T10:00:06.000Z stdout INFO    >>> link
2026-11-28T10:00:07.000Z stdout INFO      ld
2026-11-28T10:00:09.000Z stdout INFO    <<< link (3.0s)
2026-11-28T10:00:09.000Z stdout INFO  <<< Build the tree (6.0s)
2026-11-28T10:00:10.000Z stdout INFO  >>> :pipeline: Test
2026-11-28T10:00:11.000Z stdout INFO    ok 1
2026-11-28T10:00:11.000Z stdout INFO    ---
2026-11-28T10:00:11.000Z stdout INFO    --- 
2026-11-28T10:00:12.000Z stdout INFO  <<< :pipeline: Test (2.0s)
2026-11-28T10:00:12.000Z stdout INFO  >>> Deploy
2026-11-28T10:00:13.000Z stdout INFO    >>> Nested in deploy
2026-11-28T10:00:14.000Z stdout INFO      deploying
2026-11-28T10:00:15.000Z stdout INFO    <<< Nested in deploy (2.0s)
2026-11-28T10:00:15.000Z stdout INFO    >>> Another
2026-11-28T10:00:16.000Z agent  INFO    <<< Another (1.0s)
2026-11-28T10:00:16.000Z agent  INFO  <<< Deploy (4.0s)
2026-11-28T10:00:16.000Z agent  INFO  exited with status 0
W
keruta-tail --stdin <in.ndjson >got 2>err
check $? "exits 0"
diff_golden want got "headers, indented lines, end lines with durations, no marker text"
is "$(cat err)" "" "nothing on stderr"

keruta-tail --stdin --json <in.ndjson >got
diff_golden in.ndjson got "--json: the records unchanged, markers included"

keruta-tail --stdin --timestamps=false <in.ndjson >got
cut -c 26- want >want2
diff_golden want2 got "--timestamps=false: the same without the time"

esc=$(printf '\033')
keruta-tail --stdin --color=always <in.ndjson >col
is "$(sed -n 1p col)" "${esc}[2m2026-11-28T10:00:00.000Z${esc}[0m ${esc}[36mstdout${esc}[0m ${esc}[32mINFO ${esc}[0m ${esc}[1m>>> Install${esc}[0m" \
    "colours: the header in bold"
is "$(sed -n 3p col)" "${esc}[2m2026-11-28T10:00:03.500Z${esc}[0m ${esc}[36mstdout${esc}[0m ${esc}[32mINFO ${esc}[0m ${esc}[1m<<< Install (3.5s)${esc}[0m" \
    "colours: the end line in bold"

# Durations past a minute and an hour; a title that carries escapes.
{
	rec 00 stdout INFO '::group::long \u001b]0;x\u0007'
	printf '{"timestamp":"2026-11-28T11:02:05Z","source":"stdout","level":"INFO","message":"::endgroup::"}\n'
	rec 00 stdout INFO '--- short'
	printf '{"timestamp":"2026-11-28T10:00:00.25Z","source":"stdout","level":"INFO","message":"+++ next"}\n'
	printf '{"timestamp":"2026-11-28T10:03:05Z","source":"stdout","level":"INFO","message":"+++ last"}\n'
} >dur.ndjson
keruta-tail --stdin --timestamps=off <dur.ndjson >got
cat >want <<'W'
stdout INFO  >>> long ?]0;x?
stdout INFO  <<< long ?]0;x? (1h02m05s)
stdout INFO  >>> short
stdout INFO  <<< short (250ms)
stdout INFO  >>> next
stdout INFO  <<< next (3m04s)
stdout INFO  >>> last
W
diff_golden want got "durations in ms, m and h; a title cannot drive the terminal"
keruta-tail --stdin --timestamps=maybe </dev/null >/dev/null 2>err
is "$? $(cat err)" "100 keruta-tail: fatal: bad --timestamps 'maybe': true or false" \
    "a bad --timestamps value: a usage error"

# A GitLab header in colour: the colour passes on a terminal, not in a pipe.
rec 00 stdout INFO '\u001b[0Ksection_start:1764324000:c\r\u001b[0K\u001b[36;1mColoured\u001b[0;m' >c.ndjson
keruta-tail --stdin --color=always --timestamps=false <c.ndjson >col
keruta-tail --stdin --timestamps=false <c.ndjson >plain
is "$(head -n 1 col)|$(cat plain)" "${esc}[36mstdout${esc}[0m ${esc}[32mINFO ${esc}[0m ${esc}[1m>>> ${esc}[36;1mColoured${esc}[0;m${esc}[0m|stdout INFO  >>> ?[36;1mColoured?[0;m" \
    "a header's colours pass on a terminal only"
