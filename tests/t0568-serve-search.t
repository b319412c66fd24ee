#!/bin/sh
# keruta-serve: GET /api/v1/logs searches every task the caller may read,
# newest first, with the filters of a task's logs, task= for the tasks
# whose id begins so, and before= for the next page; a token for one task
# searches that task alone.
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 11

printf 'the-secret-of-this-test-0123456789\n' >secret
start_serve --jwt-secret-file "$T/secret" || exit 1
A=$SERVE_API
R=$(jwt '{"scope":"logs:read logs:write"}')
ONE=$(jwt '{"scope":"logs:read","task":"app-2"}')
for t in app-1 app-2 other; do
	printf '{"runId":"r","seq":1,"message":"hello %s disk full"}\n{"runId":"r","seq":2,"level":"ERROR","source":"stderr","message":"bye %s"}\n' $t $t |
	    curl -s -o /dev/null -H "Authorization: Bearer $R" \
	    -H 'Content-Type: application/x-ndjson' --data-binary @- "$A/tasks/$t/logs"
done
get() { curl -s -H "Authorization: Bearer ${TOK:-$R}" "$A/logs?$1"; }
short() { jq -c '[[.content[] | [.id, .taskId, .message]], .next]'; }
is "$(get 'q=disk' | short)" \
    '[[[5,"other","hello other disk full"],[3,"app-2","hello app-2 disk full"],[1,"app-1","hello app-1 disk full"]],null]' \
    "q=: every task's hits, newest first"
is "$(get 'level=ERROR' | jq -c '[.content[].id]')" '[6,4,2]' "level=ERROR"
is "$(get 'task=app-&size=2' | short)" \
    '[[[4,"app-2","bye app-2"],[3,"app-2","hello app-2 disk full"]],3]' \
    "task=app-, two a page: the next page after id 3"
is "$(get 'task=app-&size=2&before=3' | short)" \
    '[[[2,"app-1","bye app-1"],[1,"app-1","hello app-1 disk full"]],1]' \
    "before=3: the page after"
is "$(get 'task=app-&size=2&before=1' | short)" '[[],null]' "and the end"
is "$(get 'q=BYE&source=stderr&task=app-1' | jq -c '[.content[].id]')" '[2]' \
    "q= with source= and task="
is "$(TOK=$ONE get 'q=disk' | short)" \
    '[[[3,"app-2","hello app-2 disk full"]],null]' \
    "a token for one task: that task alone"
is "$(TOK=$ONE get 'task=other' | jq -r .error.code)" FORBIDDEN \
    "and another task asked for: 403"
is "$(get 'size=0' | jq -r .error.message)" "size must be from 1 to 1000" \
    "size=0: 400"
is "$(get 'before=x' | jq -r .error.code) $(get 'task=a%20b' | jq -r .error.code)" \
    "BAD_PARAMETER BAD_PARAMETER" "a bad before= or task=: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$A/logs?q=disk")" 401 \
    "no token: 401"
stop_serve
