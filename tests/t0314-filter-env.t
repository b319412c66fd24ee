#!/bin/sh
# keruta-filter: which environment variables hold secrets, by their
# names; the files of a mounted secret directory (-d).
. "${0%/*}/lib.sh"
plan 5

printf '%s\n' '{"message":"v1=dk-value-01 v2=sk-value-02 v3=db-value-03 v4=pw-value-04 v5=pp-value-05 v6=au-value-06 v7=sentry-value-07 v8=conn-value-08 v9=hook-value-09 v10=enc-value-10"}' >in
env DEPLOY_KEY=dk-value-01 SIGNING_KEY=sk-value-02 DB_PASS=db-value-03 \
    MYSQL_PWD=pw-value-04 GPG_PASSPHRASE=pp-value-05 NPM_AUTH=au-value-06 \
    SENTRY_DSN=sentry-value-07 CONNECTION_STRING=conn-value-08 \
    SLACK_WEBHOOK_URL=hook-value-09 ENCRYPTION_KEY=enc-value-10 \
    keruta-filter <in >out
is "$(jq -r .message out)" "v1=[REDACTED:env:DEPLOY_KEY] v2=[REDACTED:env:SIGNING_KEY] v3=[REDACTED:env:DB_PASS] v4=[REDACTED:env:MYSQL_PWD] v5=[REDACTED:env:GPG_PASSPHRASE] v6=[REDACTED:env:NPM_AUTH] v7=[REDACTED:env:SENTRY_DSN] v8=[REDACTED:env:CONNECTION_STRING] v9=[REDACTED:env:SLACK_WEBHOOK_URL] v10=[REDACTED:env:ENCRYPTION_KEY]" \
    "the values of secret names are masked"

printf '%s\n' '{"message":"c1=cache-value-1 c2=sort-value-2 c3=primary-value-3 c4=/home/runner/work c5=author-value-5 c6=compass-value-6"}' >in
env CACHE_KEY=cache-value-1 SORT_KEY=sort-value-2 PRIMARY_KEY=primary-value-3 \
    PWD=/home/runner/work AUTHOR=author-value-5 COMPASS=compass-value-6 \
    keruta-filter <in >out
cmp -s in out
check $? "ordinary names are not: $(jq -r .message out)"

# A mounted Secret: each file is a value; the namespace and CA are not.
mkdir -p sec/..2026_11_28 sec/sa
printf 'db-user-name\n' >sec/username
printf 'Pa55-w0rd-from-a-file\n' >sec/password
printf 'production\n' >sec/sa/namespace
printf 'Pa55-w0rd-from-a-file\n' >sec/..2026_11_28/password
printf '%s\n' '{"message":"login db-user-name with Pa55-w0rd-from-a-file in production"}' >in
keruta-filter --secret-dir sec <in >out
is "$(jq -r .message out)" \
    "login [REDACTED:secret-file:username] with [REDACTED:secret-file:password] in production" \
    "-d: the files of a secret directory are masked as values"
keruta-filter --secret-dir sec <in >out
grep -q Pa55 out
check $((! $?)) "--secret-dir, the long form"
keruta-filter --secret-dir nonexistent <in >out 2>err
is "$?:$(cat err)" "100:keruta-filter: fatal: unable to read 'nonexistent': No such file or directory" \
    "-d: a directory that is not there is a usage error"
