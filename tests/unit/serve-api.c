/*
 * Unit tests: keruta-serve's REST API (api.c) without a socket. Each
 * request is a connection filled in as http.c fills it (method, path,
 * arguments, headers, body); the reply is read from what api_route
 * describes: status, type, headers and body, exactly.
 *
 * links: tools/keruta-serve/api.c tools/keruta-serve/rec.c tools/keruta-serve/store.c tools/keruta-serve/store_sq.c tools/keruta-serve/words.c tools/keruta-serve/store_pg.c tools/keruta-serve/walbuf.c tools/keruta-serve/auth.c tools/keruta-serve/metrics.c tools/keruta-serve/commit.c tools/keruta-serve/fts.c tools/keruta-serve/feed.c tools/keruta-serve/redact.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "kr_embed.h"
#include "../../tools/keruta-serve/api.h"
#include "../../tools/keruta-serve/srv.h"

static const unsigned char page[] = "<p>panel</p>\n";
const struct kr_embed kr_embedded[] = {
	{ "/index.html", "text/html; charset=utf-8", page, sizeof page - 1 },
	{ NULL, NULL, NULL, 0 },
};

static struct srv s;
static struct conn c;
static char body[1 << 16];
static int released;

static void
release(struct waiter *w, int ok)
{
	(void)w;
	released = ok ? 1 : -1;
}

/*
 * Answers METHOD PATH?QUERY (arguments split at '&', not decoded) with
 * the content type CTYPE and the body IN; the reply's body, whole, in
 * body[]. The status is c.status.
 */
static void
call(int method, const char *path, const char *query, const char *ctype,
    const char *in)
{
	const char *p, *e;

	kr_buf_free(&c.out);
	kr_buf_free(&c.body);
	kr_buf_free(&c.args);
	filter_free(&c.cur.f);
	memset(&c, 0, sizeof c);
	kr_buf_init(&c.out, (size_t)1 << 30);
	kr_buf_init(&c.body, s.max_body);
	kr_buf_init(&c.args, 1 << 16);
	c.cw.release = release;
	c.method = method;
	snprintf(c.path, sizeof c.path, "%s", path);
	for (p = query; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "&");
		kr_buf_add(&c.args, p, (size_t)(e - p));
		kr_buf_addc(&c.args, '\0');
		c.nargs++;
	}
	snprintf(c.ctype, sizeof c.ctype, "%s", ctype ? ctype : "");
	if (in != NULL)
		kr_buf_adds(&c.body, in);
	released = 0;
	api_route(&s, &c);
	if (!c.rp.ready && c.cw.reply) {
		/* An ingest reply waits for the commit. */
		commit_sync(&s.commit);
		c.rp.ready = released == 1;
	}
	body[0] = '\0';
	if (!c.rp.ready)
		return;
	snprintf(body, sizeof body, "%.*s", (int)(c.out.len - c.outoff),
	    c.out.s + c.outoff);
	while (c.streaming && !c.cur.done) {
		if (api_refill(&s, &c) == -1)
			break;
		snprintf(body + strlen(body), sizeof body - strlen(body),
		    "%.*s", (int)(c.out.len - c.outoff), c.out.s + c.outoff);
	}
}

static const char *
status_type(void)
{
	static char b[256];

	snprintf(b, sizeof b, "%d %s%s%s%s", c.status, c.rp.ctype,
	    c.rp.known ? " (length known)" : "", c.rp.hname ? " " : "",
	    c.rp.hname ? c.rp.hval : "");
	return b;
}

int
main(void)
{
	char dir[] = "/tmp/keruta-api.XXXXXX", db[64], err[256], etag[20];

	store_setup();
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(db, sizeof db, "%s/t.db", dir);
	if (store_open(&s.store, db, err, sizeof err) < 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	s.commit.store = s.store;
	s.fts.commit = &s.commit;
	s.auth = auth_load(NULL, NULL);
	s.max_body = 1 << 20;
	batch_init(&s.batch);
	kr_buf_init(&s.tmp, (size_t)1 << 31);
	kr_buf_init(&s.chunk, (size_t)1 << 31);

	call(M_POST, "/api/v1/tasks/t1/logs", NULL, "application/json",
	    "{\"runId\":\"r\",\"seq\":1,\"timestamp\":\"2026-12-04T10:00:00Z\","
	    "\"source\":\"stdout\",\"level\":\"INFO\",\"message\":\"hello\"}");
	is(status_type(), "201 application/json (length known)",
	    "one record: 201, once committed");
	ok(released == 1, "the reply waited for the commit");
	is(body, "{\"id\":1,\"type\":\"log\",\"taskId\":\"t1\",\"runId\":\"r\",\"seq\":1,"
	    "\"timestamp\":\"2026-12-04T10:00:00Z\",\"source\":\"stdout\","
	    "\"level\":\"INFO\",\"message\":\"hello\"}", "the stored record");

	call(M_POST, "/api/v1/tasks/t1/logs", NULL, "application/x-ndjson",
	    "{\"runId\":\"r\",\"seq\":2,\"timestamp\":\"2026-12-04T10:00:01Z\","
	    "\"level\":\"ERROR\",\"message\":\"bad thing\"}\n"
	    "{\"runId\":\"r\",\"seq\":1,\"message\":\"hello again\"}\n");
	is(body, "{\"stored\":1,\"duplicates\":1,\"acks\":[{\"runId\":\"r\","
	    "\"seq\":2}]}", "NDJSON: one stored, one duplicate, the run "
	    "acked to its highest seq");

	call(M_GET, "/api/v1/tasks/t1/logs", "level=ERROR", NULL, NULL);
	is(status_type(), "200 application/json (length known)",
	    "a page: 200");
	is(body, "{\"content\":[{\"id\":2,\"type\":\"log\",\"taskId\":\"t1\","
	    "\"runId\":\"r\",\"seq\":2,\"timestamp\":\"2026-12-04T10:00:01Z\","
	    "\"source\":\"task\",\"level\":\"ERROR\",\"message\":\"bad thing\"}],"
	    "\"totalElements\":1,\"totalPages\":1,\"size\":100,\"number\":0}",
	    "level=ERROR: the one record");

	call(M_GET, "/api/v1/tasks/t1/logs", "level=LOUD", NULL, NULL);
	is(status_type(), "400 application/json (length known)",
	    "level=LOUD: 400");
	is(body, "{\"error\":{\"code\":\"INVALID_LEVEL\",\"message\":\"level "
	    "must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, or a list "
	    "of them\",\"status\":400}}", "and says why");

	call(M_GET, "/api/v1/tasks/t1/logs/count", "q=HELLO", NULL, NULL);
	is(body, "{\"count\":1}", "q= matches any case");

	call(M_GET, "/api/v1/tasks/t1/logs/export", "format=csv", NULL, NULL);
	is(status_type(), "200 text/csv; charset=utf-8 (length known) "
	    "attachment; filename=\"t1.csv\"", "export: type and file name");
	is(body, "id,timestamp,taskId,runId,seq,source,level,message\r\n"
	    "1,2026-12-04T10:00:00Z,t1,r,1,stdout,INFO,hello\r\n"
	    "2,2026-12-04T10:00:01Z,t1,r,2,task,ERROR,bad thing\r\n",
	    "export: CSV rows");

	call(M_GET, "/api/v1/tasks", NULL, NULL, NULL);
	ok(strncmp(body, "{\"tasks\":[{\"taskId\":\"t1\",\"count\":2,"
	    "\"errors\":1,", 45) == 0, "the task list: %s", body);

	call(M_PUT, "/api/v1/tasks/t1/logs", NULL, NULL, NULL);
	is(status_type(), "405 application/json (length known)", "PUT: 405");
	call(M_GET, "/api/v1/tasks/a b/logs", NULL, NULL, NULL);
	is(body, "{\"error\":{\"code\":\"INVALID_TASK_ID\",\"message\":\"a "
	    "taskId is 1 to 128 letters, digits or -_.:@+=~\",\"status\":"
	    "400}}", "a task id outside the rule: 400");

	call(M_GET, "/", NULL, NULL, NULL);
	is(status_type(), "200 text/html; charset=utf-8 (length known)",
	    "the panel's page");
	is(body, "<p>panel</p>\n", "its bytes");
	snprintf(etag, sizeof etag, "%s", c.etag);
	ok(strlen(etag) == 18 && etag[0] == '"', "with an ETag: %s", etag);
	call(M_GET, "/", NULL, NULL, NULL);
	snprintf(c.inm, sizeof c.inm, "W/%s", etag);
	c.rp.ready = 0;
	api_route(&s, &c);
	ok(c.status == 304 && c.head, "If-None-Match with it: 304, no body");
	call(M_GET, "/nothing.js", NULL, NULL, NULL);
	is(status_type(), "404 application/json (length known)",
	    "no such page: 404");

	call(M_HEAD, "/health", NULL, NULL, NULL);
	ok(c.status == 200 && c.head, "HEAD /health: 200, headers only");
	ok(strncmp(body, "{\"status\":\"UP\",", 15) == 0, "health: %s", body);

	call(M_DELETE, "/api/v1/tasks/t1/logs", NULL, NULL, NULL);
	is(body, "{\"deletedCount\":2,\"message\":\"deleted 2 records\"}",
	    "DELETE: both records");

	store_close(s.store);
	snprintf(err, sizeof err, "rm -rf '%s'", dir);
	if (system(err) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
