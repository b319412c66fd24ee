#!/usr/bin/env python3
"""redact-corpus: a corpus of log lines to measure keruta-filter on
secrets of formats no rule names (made-up vendors, random passwords), in
the places CI output shows them, and on clean look-alikes.

    redact-corpus.py SEED N  > corpus.tsv

Each line: family TAB kind TAB value TAB line, kind "secret" or "clean".
A secret line is kept out when value is no longer in the filtered line; a
clean line must come out unchanged. Same seed, same corpus.
"""
import random
import string
import sys

rng = random.Random(int(sys.argv[1]))
N = int(sys.argv[2])

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
PUNCT = "!#%^*()-_+=.,?~"


def pick(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def vendor_token():
    """A made-up vendor's token: a prefix no rule knows, then random."""
    pre = pick(string.ascii_lowercase, rng.randint(2, 5))
    sep = rng.choice(["_", "-", "_live_", "_test_", "-pat-", "_sk_", ""])
    body = pick(rng.choice([ALNUM, URLSAFE, HEX]), rng.randint(24, 56))
    if rng.random() < 0.3:
        pre = pre.upper()
    return pre + sep + body


def password():
    """What people choose: words and digits, or a manager's random string."""
    r = rng.random()
    if r < 0.35:
        words = ["summer", "dragon", "Winter", "blue", "monkey", "Sunshine",
                 "tiger", "Falcon", "river", "orange", "Coffee", "rocket"]
        return (rng.choice(words) + rng.choice(words) +
                str(rng.randint(1, 9999)) + rng.choice(["", "!", "#", "$"]))
    if r < 0.7:
        return pick(ALNUM + PUNCT, rng.randint(12, 24))
    return pick(ALNUM, rng.randint(10, 32))


def keyish():
    """A random key of one of the usual encodings."""
    r = rng.random()
    if r < 0.3:
        return pick(HEX, rng.choice([32, 40, 48, 64]))
    if r < 0.6:
        n = rng.choice([24, 32, 40, 44, 64])
        return pick(B64, n - 1) + "="
    if r < 0.8:
        return pick(URLSAFE, rng.randint(20, 48))
    return vendor_token()


def name(words):
    """A setting name in one of the usual spellings."""
    style = rng.choice(["snake", "SNAKE", "camel", "kebab", "Pascal"])
    ws = [w.lower() for w in words]
    if style == "snake":
        return "_".join(ws)
    if style == "SNAKE":
        return "_".join(ws).upper()
    if style == "camel":
        return ws[0] + "".join(w.capitalize() for w in ws[1:])
    if style == "kebab":
        return "-".join(ws)
    return "".join(w.capitalize() for w in ws)


SECRET_NAMES = [["password"], ["db", "password"], ["passwd"], ["pwd"],
                ["secret"], ["client", "secret"], ["app", "secret"],
                ["token"], ["auth", "token"], ["access", "token"],
                ["api", "key"], ["apikey"], ["access", "key"],
                ["secret", "key"], ["private", "key"], ["credential"],
                ["credentials"], ["auth"], ["signing", "key"],
                ["deploy", "key"], ["webhook", "secret"],
                ["refresh", "token"], ["session", "token"],
                ["smtp", "password"], ["registry", "password"]]
APPS = ["acme", "zq", "billing", "mylab", "svc", "ci", "northwind",
        "payments", "search", "relay"]


def secret_line(fam):
    v = keyish() if rng.random() < 0.6 else password()
    n = name([rng.choice(APPS)] + rng.choice(SECRET_NAMES))
    if fam == "env":
        line = rng.choice(["export {n}={v}", "{n}={v}", "{n}=\"{v}\"",
                           "+ export {n}='{v}'", "set {n}={v}",
                           "env: {n}={v} GOFLAGS=-mod=mod"])
    elif fam == "yaml":
        line = rng.choice(["  {n}: {v}", "{n}: \"{v}\"", "    - {n}: '{v}'",
                           "  {n}: {v}  # rotated monthly"])
    elif fam == "json":
        line = rng.choice(['{{"{n}": "{v}"}}', '  "{n}": "{v}",',
                           '{{"user":"ci","{n}":"{v}","ttl":3600}}',
                           'payload={{"{n}":"{v}"}}'])
    elif fam == "ini":
        line = rng.choice(["{n} = {v}", "{n}={v}", "[auth] {n} = {v}",
                           "{n} := \"{v}\"", "<{n}>{v}</{n}>",
                           "<add key=\"{n}\" value=\"{v}\" />",
                           "{n}: {v}"])
    elif fam == "flag":
        u = rng.choice(["ci", "deploy", "admin", "root"])
        line = rng.choice(["mysql -u {u} -p{v} -h db app",
                           "mysql --user={u} --password={v} app",
                           "psql --password {v}",
                           "docker login -u {u} -p {v} registry.local",
                           "curl -u {u}:{v} https://repo.local/api",
                           "tool --token {v} deploy",
                           "tool --token={v} deploy",
                           "cli auth --api-key {v}",
                           "cli --client-secret={v} --client-id=abc",
                           "kubectl create secret generic s "
                           "--from-literal=key={v}",
                           "helm install --set auth.password={v} x .",
                           "sshpass -p {v} ssh {u}@host",
                           "aws configure set aws_secret_access_key {v}"])
        return line.format(u=u, v=v), v
    elif fam == "header":
        line = rng.choice(["Authorization: Bearer {v}",
                           "authorization: token {v}",
                           "curl -H \"Authorization: Bearer {v}\" https://a",
                           "-H 'X-Api-Key: {v}'", "X-Auth-Token: {v}",
                           "Private-Token: {v}",
                           "> Authorization: Basic {v}",
                           "Cookie: session={v}; theme=dark",
                           "Proxy-Authorization: Bearer {v}"])
    elif fam == "url":
        # In a URL, what is not unreserved is percent-encoded.
        v = "".join(ch if ch in URLSAFE + ".~" else "%%%02X" % ord(ch)
                    for ch in v)
        u = rng.choice(["ci", "deploy", "git", "admin"])
        line = rng.choice(["git clone https://{u}:{v}@git.local/a/b.git",
                           "fetching https://api.local/v1?access_token={v}",
                           "GET /hook?token={v}&page=2 200",
                           "redis://:{v}@cache:6379/0",
                           "amqp://{u}:{v}@mq:5672/",
                           "https://hooks.local/services/T0/B1?api_key={v}",
                           "mongodb+srv://{u}:{v}@cluster0.local/db",
                           "url=https://h.local/x?sig={v}&se=2026"])
        return line.format(u=u, v=v), v
    elif fam == "connstr":
        line = rng.choice(["Server=db;Database=app;User Id=sa;Password={v};",
                           "Data Source=db;Initial Catalog=x;"
                           "User ID=u;Pwd={v}",
                           "jdbc:postgresql://db/app?user=u&password={v}",
                           "host=db user=app password={v} dbname=x",
                           "DSN=pgsql://app:{pv}@db/app"])
        pv = "".join(ch if ch in URLSAFE + ".~" else "%%%02X" % ord(ch)
                     for ch in v)
        return line.format(n=n, v=v, pv=pv), (pv if "{pv}" in line else v)
    elif fam == "file":
        line = rng.choice(["machine git.local login ci password {v}",
                           "db.local:5432:app:ci:{v}",
                           "https://ci:{pv}@git.local",
                           "//registry.local/:_authToken={v}",
                           "aws_secret_access_key = {v}",
                           "  password {v}"])
        pv = "".join(ch if ch in URLSAFE + ".~" else "%%%02X" % ord(ch)
                     for ch in v)
        return line.format(n=n, v=v, pv=pv), (pv if "{pv}" in line else v)
    else:
        raise SystemExit("unknown family " + fam)
    return line.format(n=n, v=v), v


def clean_line():
    """Build output that looks like a secret and is not one."""
    h40, h64 = pick(HEX, 40), pick(HEX, 64)
    uuid = "-".join(pick(HEX, k) for k in (8, 4, 4, 4, 12))
    b64 = pick(B64, 86) + "=="
    w = rng.choice(["token", "password", "secret", "key", "auth"])
    return rng.choice([
        "commit " + h40, "Merge: " + h40[:7] + " " + pick(HEX, 7),
        "sha256:" + h64, "digest: sha256:" + h64 + " size: 1573",
        "Request ID: " + uuid, "x-request-id=" + uuid,
        "trace_id=" + pick(HEX, 32) + " span_id=" + pick(HEX, 16),
        "integrity sha512-" + b64,
        "github.com/pkg/errors v0.9.1 h1:" + pick(B64, 43) + "=",
        "Successfully built " + pick(HEX, 12),
        " ---> " + pick(HEX, 12),
        "ETag: \"" + pick(HEX, 32) + "\"",
        "Downloaded from central: https://repo.local/a/b/1.2/b-1.2.jar "
        "(" + str(rng.randint(1, 999)) + " kB at 1.2 MB/s)",
        "checksum " + pick(HEX, 64) + "  dist/app.tar.gz",
        "build id " + uuid + " finished in 12.3s",
        "resolved " + pick(HEX, 40) + " for ref main",
        "{} count: {}".format(w, rng.randint(0, 99)),
        "the {} was rotated at 10:15".format(w),
        "{}: ********".format(w), "{}=<redacted>".format(w),
        "{}: (sensitive value)".format(w), w.upper() + "=${" + w.upper() +
        "}", "--{}-stdin".format(w), "{}: [REDACTED]".format(w),
        "read {} from $(cat /run/secrets/x)".format(w),
        "test_{}_rotation PASSED".format(w),
        "  {}_ttl: 3600".format(w), "docker image id " + pick(HEX, 12),
        "  - {}: ${{{{ secrets.{} }}}}".format(w, w.upper()),
        "cache key: linux-node-" + pick(HEX, 64),
        "Pod {}-{} Running".format(rng.choice(APPS), pick(
            string.ascii_lowercase + string.digits, 5)),
    ])


FAMILIES = ["env", "yaml", "json", "ini", "flag", "header", "url",
            "connstr", "file"]
for i in range(N):
    fam = FAMILIES[i % len(FAMILIES)]
    line, v = secret_line(fam)
    print("\t".join([fam, "secret", v, line]))
for i in range(N):
    print("\t".join(["clean", "clean", "-", clean_line()]))
