#!/bin/sh
# keruta-agent takes the one id rule of keruta(7): a task id with a
# character of every allowed class (letters, digits, each of "-_.:@+=~")
# runs, is shipped and is stored under that id; one outside the rule is
# refused before the script runs.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 5

start_agent_serve
printf '#!/bin/sh\necho "in $1"\n: >ran\n' >job.sh
chmod +x job.sh
id='Az09-_.:@+=~x'
keruta-agent execute --task-id "$id" --script ./job.sh -- "$id" >out 2>err
is "$? $(tail -n 1 err)" "0 keruta-agent: task $id: 3 records shipped, 3 acknowledged, 0 spooled; log complete" \
    "every class: run, shipped, acknowledged"
enc=$(printf %s "$id" | jq -sRr @uri)
curl -fsS "$SERVE_API/tasks/$enc/logs?source=stdout" |
    jq -r '.content[] | "\(.taskId) \(.message)"' >got
is "$(cat got)" "$id in $id" "stored under that id"
is "$(curl -fsS "$SERVE_API/tasks" | jq -r --arg id "$id" \
    '[.tasks[] | select(.taskId == $id)] | length')" 1 "and listed as one task"
rm -f ran
keruta-agent execute --task-id 'build 42' --script ./job.sh >out 2>err
is $? 100 "a space is outside the rule: 100"
test ! -e ran
check $? "and the script did not run"
stop_serve
