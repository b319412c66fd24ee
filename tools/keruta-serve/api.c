/*
 * api.c: the REST API under /api/v1, /health, /metrics and the panel, as
 * functions of a parsed request (struct conn: method, path, arguments,
 * the headers that matter, the body) that describe the reply (status,
 * type, headers in c->rp, the body in c->out). No socket here: http.c
 * reads requests off libwebsockets and writes the replies; a unit test
 * calls api_route directly.
 */
#define _DEFAULT_SOURCE		/* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <sodium.h>

#include "kr_diag.h"
#include "kr_embed.h"
#include "kr_id.h"
#include "kr_io.h"
#include "kr_level.h"
#include "kr_parse.h"
#include "kr_time.h"
#include "api.h"
#include "auth.h"
#include "commit.h"
#include "feed.h"
#include "fts.h"
#include "metrics.h"
#include "rec.h"
#include "redact.h"
#include "srv.h"
#include "store.h"

#define SIZE_DEFAULT	100
#define SIZE_MAX_PAGE	1000
#define FILL_MAX	(256 * 1024)	/* bytes formatted per refill */

static void
out_reset(struct conn *c)
{
	static const char pre[LWS_PRE];

	c->out.len = 0;
	kr_buf_add(&c->out, pre, LWS_PRE);
	c->outoff = LWS_PRE;
}

/*
 * A full-text query wants the index up to date, and catching up a long way
 * at once would hold up every other client. When it is far behind, the
 * request waits while the index catches up in steps between the other
 * work (fts.c), and is then routed again. 1 if it waits.
 */
static int
fts_defer(struct srv *s, struct conn *c)
{
	if (c->cur.f.match == NULL || c->fts_ready)
		return 0;
	if (!fts_wait(&s->fts, &c->fw))
		return 0;
	filter_free(&c->cur.f);		/* parsed again then */
	return 1;
}

/* Makes an FTS5 expression from free text (all words must match). */
static char *
fts_expr(const char *q)
{
	struct kr_buf b = KR_BUF_INIT(1 << 20);
	const char *p = q, *e;
	int n = 0;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t");
		if (e == p)
			break;
		/* Each word is quoted, so no input is an FTS5 syntax error;
		 * a trailing '*' asks for a prefix. */
		{
			int pre = e - p > 1 && e[-1] == '*';
			const char *w;

			kr_buf_adds(&b, n ? " \"" : "\"");
			for (w = p; w < e - pre; w++) {
				if (*w == '"')
					kr_buf_addc(&b, '"');
				kr_buf_addc(&b, *w);
			}
			kr_buf_adds(&b, pre ? "\"*" : "\"");
		}
		n++;
		p = e;
	}
	if (n == 0) {
		kr_buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* ---- query arguments ---- */

/*
 * Every value of name (given with its '=') among the request's arguments,
 * joined by ','. 1 if any, -1 when they do not fit bufsz.
 */
static int
arg_get(const struct conn *c, const char *name, char *buf, size_t bufsz)
{
	const char *frag = c->args.s;
	size_t nl = strlen(name), len = 0, n;
	int i, found = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nargs; i++, frag += n + 1) {
		n = strlen(frag);
		if (n < nl || strncmp(frag, name, nl) != 0)
			continue;
		if (len + n - nl + 2 > bufsz)
			return -1;
		if (found)
			buf[len++] = ',';
		memcpy(buf + len, frag + nl, n - nl);
		len += n - nl;
		buf[len] = '\0';
		found = 1;
	}
	return found;
}

/* Reads the filter arguments; 0, or -1 with e set. */
static int
filter_args(const struct conn *c, struct filter *f, long long *after,
    struct srv_err *e)
{
	char v[1024], *p, *t;
	long long ll;
	int r;

	memset(f, 0, sizeof *f);
	*after = 0;
	if ((r = arg_get(c, "level=", v, sizeof v)) != 0 &&
	    (r < 0 || parse_levels(v, &f->levels) == -1)) {
		err_set(e, 400, "INVALID_LEVEL", "level must be one of TRACE, "
		    "DEBUG, INFO, WARN, ERROR, FATAL, or a list of them");
		return -1;
	}
	if ((r = arg_get(c, "source=", v, sizeof v)) != 0) {
		if (r < 0)
			goto badsrc;
		for (p = strtok_r(v, ",", &t); p != NULL;
		    p = strtok_r(NULL, ",", &t)) {
			if (f->nsources == SRV_NSOURCES ||
			    strlen(p) > SRV_SOURCE_MAX)
				goto badsrc;
			snprintf(f->sources[f->nsources++], SRV_SOURCE_MAX + 1,
			    "%s", p);
		}
	}
	if ((r = arg_get(c, "from=", v, sizeof v)) != 0) {
		if (r < 0 || kr_ts_parse(v, strlen(v), &f->from) == -1)
			goto badts;
		f->has_from = 1;
	}
	if ((r = arg_get(c, "to=", v, sizeof v)) != 0) {
		if (r < 0 || kr_ts_parse(v, strlen(v), &f->to) == -1)
			goto badts;
		f->has_to = 1;
	}
	if ((r = arg_get(c, "after=", v, sizeof v)) != 0) {
		if (r < 0 || kr_parse_ll(v, 0, (1LL << 62), &ll) == -1) {
			err_set(e, 400, "BAD_PARAMETER",
			    "after must be a record id (an integer >= 0)");
			return -1;
		}
		*after = ll;
	}
	if ((r = arg_get(c, "q=", v, sizeof v)) != 0) {
		if (r < 0) {
			err_set(e, 400, "BAD_PARAMETER", "q is too long");
			return -1;
		}
		f->match = fts_expr(v);
	}
	return 0;
badsrc:
	err_set(e, 400, "BAD_PARAMETER", "source must be a list of at most "
	    "%d names of at most %d bytes", SRV_NSOURCES, SRV_SOURCE_MAX);
	return -1;
badts:
	err_set(e, 400, "INVALID_TIMESTAMP", "from and to must be RFC 3339 "
	    "times of the years 1678 to 2261, such as 2026-11-28T10:15:03Z");
	return -1;
}

/* ---- responses ---- */

static int
reply(struct conn *c, int status, const char *ctype)
{
	c->status = status;
	c->rp.ctype = ctype;
	c->rp.known = 1;
	c->rp.hname = NULL;
	c->rp.ready = 1;
	return 0;
}

static int
reply_json(struct conn *c, int status)
{
	return reply(c, status, "application/json");
}

int
api_error(struct conn *c, int status, const char *code, const char *msg)
{
	out_reset(c);
	kr_buf_adds(&c->out, "{\"error\":{\"code\":\"");
	kr_buf_adds(&c->out, code);
	kr_buf_adds(&c->out, "\",\"message\":");
	json_str(&c->out, msg, strlen(msg));
	kr_buf_printf(&c->out, ",\"status\":%d}}", status);
	return reply_json(c, status);
}

static int
reply_err(struct conn *c, const struct srv_err *e)
{
	return api_error(c, e->status, e->code, e->msg);
}

/* Fills c->out from the cursor; appends the epilogue when done. */
static int
refill(struct srv *s, struct conn *c)
{
	commit_sync(&s->commit);
	while (!c->cur.done && c->out.len - c->outoff < FILL_MAX)
		if (store_cursor_step(s->store, &c->cur, c->fmt, NULL,
		    &c->out) == -1)
			return -1;
	if (c->cur.done && c->epilogue[0] != '\0') {
		kr_buf_adds(&c->out, c->epilogue);
		c->epilogue[0] = '\0';
	}
	return 0;
}

int
api_refill(struct srv *s, struct conn *c)
{
	out_reset(c);
	return refill(s, c);
}

/*
 * Starts a streamed reply: when everything fits in the first fill, it goes
 * out with a Content-Length; otherwise without, and the connection closes
 * at the end.
 */
static int
reply_stream(struct srv *s, struct conn *c, int status, const char *ctype,
    const char *hname, const char *hval)
{
	c->streaming = 1;
	if (refill(s, c) == -1)
		return api_error(c, 500, "INTERNAL", "the database failed");
	reply(c, status, ctype);
	c->rp.known = c->cur.done;
	if (hname != NULL) {
		c->rp.hname = hname;
		snprintf(c->rp.hval, sizeof c->rp.hval, "%s", hval);
	}
	return 0;
}

/* ---- handlers ---- */

static int
need(struct srv *s, struct conn *c, unsigned scope,
    const char *task)
{
	const char *why;
	int st;

	if ((st = auth_allow(s->auth, &c->az, scope, task, &why)) == 0)
		return 0;
	api_error(c, st, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN",
	    why);
	return -1;
}

static int
page_args(const struct conn *c, long long *page, long long *size, int *desc,
    struct srv_err *e)
{
	char v[64];
	int r;

	*page = 0;
	*size = SIZE_DEFAULT;
	*desc = 0;
	if ((r = arg_get(c, "page=", v, sizeof v)) != 0 &&
	    (r < 0 || kr_parse_ll(v, 0, 1LL << 40, page) == -1)) {
		err_set(e, 400, "BAD_PARAMETER", "page must be an integer >= 0");
		return -1;
	}
	if ((r = arg_get(c, "size=", v, sizeof v)) != 0 &&
	    (r < 0 || kr_parse_ll(v, 1, SIZE_MAX_PAGE, size) == -1)) {
		err_set(e, 400, "BAD_PARAMETER", "size must be from 1 to %d",
		    SIZE_MAX_PAGE);
		return -1;
	}
	if ((r = arg_get(c, "order=", v, sizeof v)) != 0) {
		if (r > 0 && strcmp(v, "desc") == 0)
			*desc = 1;
		else if (r < 0 || strcmp(v, "asc") != 0) {
			err_set(e, 400, "BAD_PARAMETER",
			    "order must be asc or desc");
			return -1;
		}
	}
	return 0;
}

static void
cursor_init(struct conn *c, const char *task, long long tid)
{
	snprintf(c->cur.task, sizeof c->cur.task, "%s", task);
	c->cur.tid = tid;
	c->cur.remaining = -1;
}

static int
get_logs(struct srv *s, struct conn *c, const char *task)
{
	struct srv_err e;
	long long tid, page, size, total, after;
	int desc;

	if (filter_args(c, &c->cur.f, &after, &e) == -1 ||
	    page_args(c, &page, &size, &desc, &e) == -1)
		return reply_err(c, &e);
	if (fts_defer(s, c))
		return 0;
	tid = store_task(s->store, task, 0);
	cursor_init(c, task, tid);
	c->cur.after = after;
	c->cur.desc = desc;
	c->cur.offset = page * size;
	c->cur.remaining = size;
	total = store_count(s->store, tid, &c->cur.f, after);
	if (total < 0)
		return api_error(c, 500, "INTERNAL",
		    "the database failed");
	if (c->cur.offset >= total)
		c->cur.done = 1;
	out_reset(c);
	kr_buf_adds(&c->out, "{\"content\":[");
	c->fmt = fmt_jsonarr;
	snprintf(c->epilogue, sizeof c->epilogue, "],\"totalElements\":%lld,"
	    "\"totalPages\":%lld,\"size\":%lld,\"number\":%lld}", total,
	    (total + size - 1) / size, size, page);
	return reply_stream(s, c, 200, "application/json", NULL, NULL);
}

static int
get_export(struct srv *s, struct conn *c, const char *task)
{
	static const struct {
		const char *name, *type, *pro, *epi;
		row_fmt fmt;
	} fmts[] = {
		{ "ndjson", "application/x-ndjson", "", "", fmt_ndjson },
		{ "json", "application/json", "[", "]\n", fmt_jsonarr },
		{ "csv", "text/csv; charset=utf-8", "", "", fmt_csv },
		{ "txt", "text/plain; charset=utf-8", "", "", fmt_txt },
	};
	struct srv_err e;
	char v[32], disp[SRV_ID_MAX + 64];
	long long after;
	int i = 0, r;

	if ((r = arg_get(c, "format=", v, sizeof v)) != 0) {
		for (i = 0; i < 4 && r > 0; i++)
			if (strcmp(v, fmts[i].name) == 0)
				break;
		if (r < 0 || i == 4)
			return api_error(c, 400, "BAD_PARAMETER",
			    "format must be ndjson, json, csv or txt");
	}
	if (filter_args(c, &c->cur.f, &after, &e) == -1)
		return reply_err(c, &e);
	if (fts_defer(s, c))
		return 0;
	cursor_init(c, task, store_task(s->store, task, 0));
	c->cur.after = after;
	out_reset(c);
	kr_buf_adds(&c->out, fmts[i].pro);
	c->fmt = fmts[i].fmt;
	snprintf(c->epilogue, sizeof c->epilogue, "%s", fmts[i].epi);
	/* csv without rows still gets its header line. */
	if (fmts[i].fmt == fmt_csv)
		kr_buf_adds(&c->out, "id,timestamp,taskId,runId,seq,source,"
		    "level,message\r\n");
	snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", task,
	    fmts[i].name);
	return reply_stream(s, c, 200, fmts[i].type,
	    "content-disposition:", disp);
}

static int
get_count(struct srv *s, struct conn *c, const char *task)
{
	struct srv_err e;
	long long after, n;

	if (filter_args(c, &c->cur.f, &after, &e) == -1)
		return reply_err(c, &e);
	if (fts_defer(s, c))
		return 0;
	n = store_count(s->store, store_task(s->store, task, 0), &c->cur.f,
	    after);
	if (n < 0)
		return api_error(c, 500, "INTERNAL",
		    "the database failed");
	out_reset(c);
	kr_buf_printf(&c->out, "{\"count\":%lld}", n);
	return reply_json(c, 200);
}

/* A task's counts, added up for its stats. */
struct stats {
	long long lv[KR_NLEVELS], total, std[3];
	/* Sources other than the usual three, summed in order. */
	struct kr_buf other;
	char last[SRV_SOURCE_MAX];	/* the one being summed */
	size_t lastlen;
	int have;
	long long ln;
};

static int
stats_add(void *arg, int l, const char *src, size_t len, long long n)
{
	static const char *const names[3] = { "stdout", "stderr", "agent" };
	struct stats *t = arg;
	int i;

	if (l >= 0 && l < KR_NLEVELS)
		t->lv[l] += n;
	t->total += n;
	for (i = 0; i < 3; i++)
		if (len == strlen(names[i]) && memcmp(src, names[i], len) == 0)
			break;
	if (i < 3) {
		t->std[i] += n;
		return 0;
	}
	if (!t->have || len != t->lastlen || memcmp(src, t->last, len) != 0) {
		if (t->have)
			kr_buf_printf(&t->other, ":%lld", t->ln);
		kr_buf_addc(&t->other, ',');
		json_str(&t->other, src, len);
		t->lastlen = len < sizeof t->last ? len : sizeof t->last;
		memcpy(t->last, src, t->lastlen);
		t->have = 1;
		t->ln = 0;
	}
	t->ln += n;
	return 0;
}

/* A JSON string, or null for NULL. */
static void
str_or_null(struct kr_buf *b, const char *s, size_t n)
{
	if (s == NULL)
		kr_buf_adds(b, "null");
	else
		json_str(b, s, n);
}

/* The time range of the task, from its one entry in the list. */
static int
stats_range(void *arg, const struct task_info *t)
{
	struct kr_buf *out = arg;

	kr_buf_adds(out, "\"start\":");
	str_or_null(out, t->first_ts, t->first_len);
	kr_buf_adds(out, ",\"end\":");
	str_or_null(out, t->last_ts, t->last_len);
	return 0;
}

static int
get_stats(struct srv *s, struct conn *c, const char *task)
{
	struct stats t;
	size_t mark;
	int i, rc;

	memset(&t, 0, sizeof t);
	kr_buf_init(&t.other, 1 << 20);
	rc = store_counts(s->store, store_task(s->store, task, 0), stats_add,
	    &t);
	if (rc == 0 && t.have)
		kr_buf_printf(&t.other, ":%lld", t.ln);
	out_reset(c);
	kr_buf_adds(&c->out, "{\"taskId\":");
	json_str(&c->out, task, strlen(task));
	kr_buf_printf(&c->out, ",\"totalLogs\":%lld,\"logCounts\":{"
	    "\"stdout\":%lld,\"stderr\":%lld,\"agent\":%lld%s},"
	    "\"levelCounts\":{", t.total, t.std[0], t.std[1], t.std[2],
	    t.other.s ? t.other.s : "");
	kr_buf_free(&t.other);
	for (i = 0; i < KR_NLEVELS; i++)
		kr_buf_printf(&c->out, "%s\"%s\":%lld", i ? "," : "",
		    kr_level_name(i), t.lv[i]);
	kr_buf_adds(&c->out, "},\"timeRange\":{");
	mark = c->out.len;
	if (rc == -1 || store_tasks(s->store, task, stats_range,
	    &c->out) == -1)
		return api_error(c, 500, "INTERNAL",
		    "the database failed");
	if (c->out.len == mark)
		kr_buf_adds(&c->out, "\"start\":null,\"end\":null");
	kr_buf_adds(&c->out, "}}");
	return reply_json(c, 200);
}

static int
delete_logs(struct srv *s, struct conn *c, const char *task)
{
	char v[64];
	long long before = 0, n;
	int r;

	if ((r = arg_get(c, "before=", v, sizeof v)) != 0 &&
	    (r < 0 || kr_ts_parse(v, strlen(v), &before) == -1 ||
	    before <= 0))
		return api_error(c, 400, "INVALID_TIMESTAMP",
		    "before must be an RFC 3339 time of the years 1678 to "
		    "2261");
	n = store_delete(s->store, store_task(s->store, task, 0), before);
	if (n < 0)
		return api_error(c, 500, "INTERNAL",
		    "the database failed");
	out_reset(c);
	kr_buf_printf(&c->out, "{\"deletedCount\":%lld,\"message\":\"deleted "
	    "%lld record%s\"}", n, n, n == 1 ? "" : "s");
	return reply_json(c, 200);
}

static int
post_logs(struct srv *s, struct conn *c, const char *task)
{
	struct batch *b = &s->batch;
	struct srv_err e;
	const char *ct = c->ctype;
	size_t stored, dups;
	int single, ndjson;

	if (c->body_over) {
		char m[96];

		snprintf(m, sizeof m, "the body is over the limit of %zu bytes",
		    s->max_body);
		return api_error(c, 413, "TOO_LARGE", m);
	}
	if (c->body.len == 0)
		return api_error(c, 400, "MALFORMED_REQUEST",
		    "the body is empty");
	ndjson = strncmp(ct, "application/x-ndjson", 20) == 0 ||
	    strncmp(ct, "application/ndjson", 18) == 0 ||
	    strncmp(ct, "application/jsonl", 17) == 0;
	s->m.bytes_in += c->body.len;
	if (batch_parse(b, c->body.s, c->body.len, ndjson ? BP_NDJSON : 0,
	    &single, &e) == -1) {
		s->m.rejected++;
		return reply_err(c, &e);
	}
	if (store_insert(s->store, task, b, &stored, &dups) == -1) {
		batch_reset(b);
		return api_error(c, 503, "STORE_FAILED",
		    "the database failed; retry later");
	}
	if (stored > 0) {
		metrics_batch(&s->m.age_stored, b, kr_wall_ns());
		feed_broadcast(s, task, b);
	}
	s->m.ingested += stored;
	s->m.ingested_http += stored;
	s->m.duplicates += dups;
	commit_noted(&s->commit, stored + dups);
	out_reset(c);
	c->status = 200;
	if (single && b->n == 1) {
		struct row *r = &b->rows[0];

		c->status = 201;
		if (r->id == 0) {
			/* A duplicate: answer with the record stored before. */
			r->id = store_find(s->store, store_task(s->store, task,
			    0), r->run, r->runlen, r->seq);
			c->status = 200;
		}
		fmt_row(&c->out, task, r);
	} else {
		kr_buf_printf(&c->out,
		    "{\"stored\":%zu,\"duplicates\":%zu,\"acks\":[",
		    stored, dups);
		acks_json(&c->out, b, "{\"runId\":", ",", "}");
		kr_buf_adds(&c->out, "]}");
	}
	batch_reset(b);
	reply_json(c, c->status);
	if (!commit_pending(&s->commit))
		return 0;
	/*
	 * A reply says stored, so it waits for the commit (commit_turn):
	 * requests whose bodies are on their way in share it. It is sent
	 * when the commit is done (DUE_REPLY), or a 503 (DUE_FAILED).
	 */
	c->rp.ready = 0;
	c->cw.reply = 1;
	commit_hold(&s->commit, &c->cw);
	return 0;
}

/* One task of the list, after a comma unless it is the first. */
static int
task_item(void *arg, const struct task_info *t)
{
	struct kr_buf *out = arg;
	char ts[KR_TS_LEN + 1];

	kr_ts_format_ns(t->last_activity, ts);
	kr_buf_adds(out, out->s[out->len - 1] == '[' ? "{\"taskId\":" :
	    ",{\"taskId\":");
	json_str(out, t->name, t->namelen);
	kr_buf_printf(out, ",\"count\":%lld,\"errors\":%lld,"
	    "\"firstTimestamp\":", t->count, t->errors);
	str_or_null(out, t->first_ts, t->first_len);
	kr_buf_adds(out, ",\"lastTimestamp\":");
	str_or_null(out, t->last_ts, t->last_len);
	kr_buf_printf(out, ",\"lastActivity\":\"%s\",\"status\":", ts);
	if (t->exited)
		kr_buf_printf(out, "\"exited\",\"exitCode\":%lld}",
		    t->exit_code);
	else
		kr_buf_adds(out, "\"running\",\"exitCode\":null}");
	return 0;
}

static int
get_tasks(struct srv *s, struct conn *c)
{
	out_reset(c);
	kr_buf_adds(&c->out, "{\"tasks\":[");
	if (store_tasks(s->store, c->az.task[0] ? c->az.task : NULL,
	    task_item, &c->out) == -1)
		return api_error(c, 500, "INTERNAL",
		    "the database failed");
	kr_buf_adds(&c->out, "]}");
	return reply_json(c, 200);
}

static int
get_health(struct srv *s, struct conn *c)
{
	const char *why;
	int down;

	out_reset(c);
	why = store_problem(s->store, &down);
	kr_buf_printf(&c->out, "{\"status\":\"%s\",\"version\":\"%s\","
	    "\"uptimeSeconds\":%lld,\"database\":\"%s\"", down ? "DOWN" :
	    "UP", KR_VERSION, (kr_mono_ns() - s->started_ns) / 1000000000,
	    why == NULL ? "ok" : down == 1 ? "gone" : down == 2 ?
	    "unreachable" : "failing");
	if (why != NULL) {
		kr_buf_adds(&c->out, ",\"message\":");
		json_str(&c->out, why, strlen(why));
	}
	kr_buf_adds(&c->out, "}");
	/* DOWN when the database is gone, or out of reach for now. */
	return reply_json(c, down ? 503 : 200);
}

static int
get_metrics(struct srv *s, struct conn *c)
{
	out_reset(c);
	metrics_write(&s->m, store_commits(s->store), store_size(s->store),
	    store_cache(s->store), &c->out);
	return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8");
}

/*
 * GET /api/v1/logs: lines of every task the caller may read (of those
 * whose id begins with task=), newest first, a page of size at a time;
 * before= the last id of a page gives the next.
 */
static int
get_search(struct srv *s, struct conn *c)
{
	struct srv_err e;
	char v[SRV_ID_MAX + 2], task[SRV_ID_MAX + 1] = "";
	long long after, before = 0, size = SIZE_DEFAULT, n, last;
	int r, prefix = 1;

	if (filter_args(c, &c->cur.f, &after, &e) == -1)
		return reply_err(c, &e);
	if ((r = arg_get(c, "task=", v, sizeof v)) != 0) {
		if (r < 0 || !kr_id_valid(v, strlen(v)))
			return api_error(c, 400, "BAD_PARAMETER", "task must be "
			    "the beginning of a taskId");
		snprintf(task, sizeof task, "%s", v);
	}
	if ((r = arg_get(c, "before=", v, sizeof v)) != 0 &&
	    (r < 0 || kr_parse_ll(v, 1, 1LL << 62, &before) == -1))
		return api_error(c, 400, "BAD_PARAMETER", "before must be a "
		    "record id (an integer > 0)");
	if ((r = arg_get(c, "size=", v, sizeof v)) != 0 &&
	    (r < 0 || kr_parse_ll(v, 1, SIZE_MAX_PAGE, &size) == -1))
		return api_error(c, 400, "BAD_PARAMETER",
		    "size must be from 1 to 1000");
	/* A token for one task searches that task alone. */
	if (c->az.task[0] != '\0') {
		if (task[0] != '\0' && strncmp(c->az.task, task,
		    strlen(task)) != 0)
			return api_error(c, 403, "FORBIDDEN", "the token is "
			    "restricted to another task");
		snprintf(task, sizeof task, "%s", c->az.task);
		prefix = 0;
	}
	if (fts_defer(s, c))
		return 0;
	out_reset(c);
	kr_buf_adds(&c->out, "{\"content\":[");
	n = store_search(s->store, task, prefix, &c->cur.f, after, before, size,
	    fmt_jsonarr, NULL, &c->out, &last);
	filter_free(&c->cur.f);
	if (n < 0)
		return api_error(c, 500, "INTERNAL", "the database failed");
	kr_buf_printf(&c->out, "],\"size\":%lld,\"next\":", size);
	if (n == size)
		kr_buf_printf(&c->out, "%lld}", last);
	else
		kr_buf_adds(&c->out, "null}");
	return reply_json(c, 200);
}

/* ---- redactions ---- */

/*
 * {"values":[...]} or {"pattern":"..."}, with "task" or "taskPrefix" (or
 * neither: every task): a redaction, started.
 */
static int
post_redaction(struct srv *s, struct conn *c)
{
	const char *vals[REDACT_VALUES], *pattern = NULL, *why = NULL;
	size_t lens[REDACT_VALUES], n = 0;
	struct scope sc = { SC_ALL, "" };
	struct srv_err e;
	cJSON *j, *v, *t, *tp;
	long long id;

	j = c->body_over || c->body.len == 0 ? NULL :
	    cJSON_ParseWithLength(c->body.s, c->body.len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return api_error(c, 400, "MALFORMED_REQUEST", "the body must "
		    "be a JSON object with values or pattern");
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "values");
	t = cJSON_GetObjectItemCaseSensitive(j, "task");
	tp = cJSON_GetObjectItemCaseSensitive(j, "taskPrefix");
	if (cJSON_IsArray(v)) {
		cJSON *e2;

		cJSON_ArrayForEach(e2, v) {
			size_t l = cJSON_IsString(e2) ?
			    strlen(e2->valuestring) : 0;

			if (n == REDACT_VALUES || l < REDACT_VALUE_MIN ||
			    l > REDACT_VALUE_MAX) {
				why = "values must be 1 to 64 strings of 4 to "
				    "4096 bytes";
				break;
			}
			vals[n] = e2->valuestring;
			lens[n++] = l;
		}
	}
	if (why == NULL && (v = cJSON_GetObjectItemCaseSensitive(j,
	    "pattern")) != NULL) {
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
			why = "pattern must be a POSIX extended regular "
			    "expression";
		else
			pattern = v->valuestring;
	}
	if (why == NULL && (n == 0) == (pattern == NULL))
		why = "give values or pattern, one of the two";
	if (why == NULL && t != NULL && tp != NULL)
		why = "give task or taskPrefix, not both";
	if (why == NULL && (t != NULL || tp != NULL)) {
		cJSON *x = t != NULL ? t : tp;

		if (!cJSON_IsString(x) || !kr_id_valid(x->valuestring,
		    strlen(x->valuestring)))
			why = "task and taskPrefix are 1 to 128 letters, "
			    "digits or -_.:@+=~";
		else {
			sc.kind = t != NULL ? SC_TASK : SC_PREFIX;
			snprintf(sc.name, sizeof sc.name, "%s",
			    x->valuestring);
		}
	}
	if (why != NULL) {
		cJSON_Delete(j);
		return api_error(c, 400, "BAD_PARAMETER", why);
	}
	id = redact_start(&s->redact, &sc, vals, lens, n, pattern,
	    c->az.who[0] ? c->az.who : "anonymous", &e);
	cJSON_Delete(j);
	sodium_memzero(c->body.s, c->body.len);
	if (id == -1)
		return reply_err(c, &e);
	out_reset(c);
	kr_buf_printf(&c->out, "{\"id\":%lld,\"state\":\"running\"}", id);
	return reply_json(c, 202);
}

/* /api/v1/redactions[/id]: rest is what follows "/redactions". */
static int
redactions(struct srv *s, struct conn *c, const char *rest, int m)
{
	long long id = 0;
	int r;

	if (need(s, c, SCOPE_ADMIN, NULL) == -1)
		return 0;
	if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) {
		if (m == M_POST)
			return post_redaction(s, c);
		if (m != M_GET)
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "use GET or POST here");
	} else if (kr_parse_ll(rest + 1, 1, 1LL << 62, &id) == -1) {
		return api_error(c, 404, "NOT_FOUND", "no such redaction");
	} else if (m != M_GET) {
		return api_error(c, 405, "METHOD_NOT_ALLOWED",
		    "only GET is allowed here");
	}
	out_reset(c);
	if ((r = redact_json(&s->redact, id, &c->out)) == -1)
		return api_error(c, 500, "INTERNAL", "the database failed");
	if (r == 0)
		return api_error(c, 404, "NOT_FOUND", "no such redaction");
	return reply_json(c, 200);
}

/* ---- the panel ---- */

static const char *
mime(const char *path)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".json", "application/json" }, { ".svg", "image/svg+xml" },
		{ ".png", "image/png" }, { ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	size_t i, n = strlen(path), k;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		k = strlen(t[i].ext);
		if (n >= k && strcmp(path + n - k, t[i].ext) == 0)
			return t[i].type;
	}
	return "application/octet-stream";
}

/*
 * 1 when path, its symbolic links followed, is a file under dir (also
 * resolved): a link in the panel's folder may not lead out of it.
 */
static int
inside(const char *dir, const char *path)
{
	char *d, *p;
	size_t n;
	int r = 0;

	if ((d = realpath(dir, NULL)) == NULL)
		return 0;
	if ((p = realpath(path, NULL)) != NULL) {
		n = strlen(d);
		r = strncmp(p, d, n) == 0 && (p[n] == '/' ||
		    (n == 1 && d[0] == '/'));
	}
	free(d);
	free(p);
	return r;
}

/*
 * A panel file from c->out, with an ETag (a hash of its bytes): cached by
 * the browser, which asks again each time (no-cache) and gets a 304
 * without the body while the file is the same.
 */
static int
reply_file(struct conn *c, const char *ctype)
{
	unsigned char h[8];
	char inm[sizeof c->inm], *p, *t;
	int i;

	crypto_generichash(h, sizeof h, (const unsigned char *)c->out.s +
	    c->outoff, c->out.len - c->outoff, NULL, 0);
	c->etag[0] = '"';
	for (i = 0; i < 8; i++)
		snprintf(c->etag + 1 + 2 * i, 3, "%02x", h[i]);
	c->etag[17] = '"';
	c->etag[18] = '\0';
	c->cache = "no-cache";
	memcpy(inm, c->inm, sizeof inm);
	for (p = strtok_r(inm, ", \t", &t); p != NULL;
		    p = strtok_r(NULL, ", \t", &t)) {
			if (strncmp(p, "W/", 2) == 0)
				p += 2;
			if (strcmp(p, c->etag) == 0 || strcmp(p, "*") == 0) {
				/* The file's length, as for HEAD; no body. */
				c->head = 1;
				return reply(c, 304, ctype);
			}
		}
	return reply(c, 200, ctype);
}

static int
get_static(struct srv *s, struct conn *c, const char *path)
{
	const struct kr_embed *f;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if (strstr(path, "/.") != NULL || strstr(path, "//") != NULL)
		return api_error(c, 404, "NOT_FOUND", "no such page");
	out_reset(c);
	if (s->panel_dir != NULL) {
		char full[4096];
		struct stat sb;
		char *data;
		size_t len;

		if (snprintf(full, sizeof full, "%s%s", s->panel_dir, path) >=
		    (int)sizeof full || !inside(s->panel_dir, full) ||
		    stat(full, &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    (data = kr_read_file(full, 64u << 20, &len)) == NULL)
			return api_error(c, 404, "NOT_FOUND",
			    "no such page");
		kr_buf_add(&c->out, data, len);
		free(data);
		return reply_file(c, mime(path));
	}
	for (f = kr_embedded; f->path != NULL; f++)
		if (strcmp(f->path, path) == 0) {
			kr_buf_add(&c->out, f->data, f->len);
			return reply_file(c, f->type);
		}
	return api_error(c, 404, "NOT_FOUND", "no such page");
}

/* ---- routing ---- */

static int
method_name_ok(int m, int want)
{
	return m == want;
}

/*
 * Routes a request whose body (if any) is complete. path is the URI
 * path, urldecoded; lws has already resolved "..". Over 80 lines: it is
 * the table of paths and methods, read best in one piece.
 */
int
api_route(struct srv *s, struct conn *c)
{
	char task[SRV_ID_MAX + 1];
	const char *p = c->path, *rest, *slash;
	int m = c->method;
	size_t tl;

	/*
	 * Every request sees what was acked before it, and nothing that
	 * might yet be rolled back; ingest joins the open transaction.
	 */
	if (m != M_POST)
		commit_sync(&s->commit);
	/* HEAD is GET without the body, wherever GET is served. */
	if (m == M_HEAD) {
		c->head = 1;
		m = M_GET;
	}
	if (strncmp(p, "/api/v1/", 8) == 0 || strcmp(p, "/api/v1") == 0)
		p += 7;
	else if (strcmp(p, "/health") != 0 && strcmp(p, "/metrics") != 0) {
		if (m != M_GET)
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "only GET is allowed here");
		return get_static(s, c, p);
	}
	if (strcmp(p, "/health") == 0 || strcmp(p, "/metrics") == 0) {
		if (!method_name_ok(m, M_GET))
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "only GET is allowed here");
		return p[1] == 'h' ? get_health(s, c) :
		    get_metrics(s, c);
	}
	if (strcmp(p, "/tasks") == 0 || strcmp(p, "/tasks/") == 0) {
		if (m != M_GET)
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "only GET is allowed here");
		if (need(s, c, SCOPE_READ, NULL) == -1)
			return 0;
		return get_tasks(s, c);
	}
	if (strcmp(p, "/logs") == 0 || strcmp(p, "/logs/") == 0) {
		if (m != M_GET)
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "only GET is allowed here");
		if (need(s, c, SCOPE_READ, NULL) == -1)
			return 0;
		return get_search(s, c);
	}
	if (strncmp(p, "/redactions", 11) == 0 && (p[11] == '\0' ||
	    p[11] == '/'))
		return redactions(s, c, p + 11, m);
	if (strncmp(p, "/tasks/", 7) != 0)
		return api_error(c, 404, "NOT_FOUND", "no such resource");
	p += 7;
	slash = strchr(p, '/');
	tl = slash ? (size_t)(slash - p) : strlen(p);
	if (!kr_id_valid(p, tl))
		return api_error(c, slash ? 400 : 404,
		    slash ? "INVALID_TASK_ID" : "NOT_FOUND",
		    slash ? "a taskId is 1 to 128 letters, digits or -_.:@+=~" :
		    "no such resource");
	memcpy(task, p, tl);
	task[tl] = '\0';
	rest = p + tl;
	if (strcmp(rest, "/logs") == 0 || strcmp(rest, "/logs/") == 0) {
		if (m == M_GET) {
			if (need(s, c, SCOPE_READ, task) == -1)
				return 0;
			return get_logs(s, c, task);
		}
		if (m == M_POST) {
			if (need(s, c, SCOPE_WRITE, task) == -1)
				return 0;
			return post_logs(s, c, task);
		}
		if (m == M_DELETE) {
			if (need(s, c, SCOPE_WRITE, task) == -1)
				return 0;
			return delete_logs(s, c, task);
		}
		return api_error(c, 405, "METHOD_NOT_ALLOWED",
		    "use GET, POST or DELETE here");
	}
	if (strcmp(rest, "/logs/stats") == 0 ||
	    strcmp(rest, "/logs/count") == 0 ||
	    strcmp(rest, "/logs/export") == 0) {
		if (m != M_GET)
			return api_error(c, 405, "METHOD_NOT_ALLOWED",
			    "only GET is allowed here");
		if (need(s, c, SCOPE_READ, task) == -1)
			return 0;
		if (rest[6] == 's')
			return get_stats(s, c, task);
		if (rest[6] == 'c')
			return get_count(s, c, task);
		return get_export(s, c, task);
	}
	return api_error(c, 404, "NOT_FOUND", "no such resource");
}
