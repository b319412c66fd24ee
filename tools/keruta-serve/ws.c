/*
 * ws.c: /ws/tasks/{taskId}. Shippers send records (acked once stored);
 * viewers subscribe and get the stored history after their cursor, then
 * live records. The seam has neither gap nor duplicate because one thread
 * does both: history is read from the store until a read comes back
 * short, and only then does the viewer join the live fan-out, which
 * passes on only ids above the last one sent.
 *
 * Every message to a client goes through its bounded queue; a viewer
 * whose queue overflows is told (SLOW_CONSUMER) and closed, so it never
 * holds ingest or other viewers back. It resumes with "after". Live
 * records are framed once for all their viewers, and a viewer's queue is
 * written a burst at a time, so the cost of a viewer is about what the
 * kernel takes to send it the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kr_diag.h"
#include "kr_id.h"
#include "kr_level.h"
#include "kr_time.h"
#include "srv.h"

enum { SUB_NONE, SUB_HISTORY, SUB_LIVE };

/*
 * What waits to be sent is whole WebSocket frames (server frames are not
 * masked, so the same bytes suit every client): a record is framed once,
 * a batch of live records once for all its viewers, and a queue entry is
 * a slice of such a shared buffer.
 */
struct qmsg {
	int ref;
	size_t len;
	unsigned char data[];
};

struct qent {
	struct qmsg *m;
	size_t off, len;
};

#define WRITE_MAX	65536	/* bytes gathered for one write */
#define WRITE_ALONE	8192	/* a slice this big is written without a copy */

/* Appends a text frame holding p[0..n). */
static int
frame_add(struct kr_buf *b, const char *p, size_t n)
{
	unsigned char h[10];
	size_t hl = 2, i;

	h[0] = 0x81;	/* FIN, text */
	if (n < 126)
		h[1] = (unsigned char)n;
	else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((unsigned long long)n >>
			    (56 - 8 * i));
		hl = 10;
	}
	if (kr_buf_add(b, h, hl) == -1)
		return -1;
	return kr_buf_add(b, p, n);
}

/* A shared buffer holding b's bytes (frames already). */
static struct qmsg *
qmsg_take(const struct kr_buf *b)
{
	struct qmsg *m = malloc(sizeof *m + b->len);

	if (m == NULL)
		return NULL;
	m->ref = 1;
	m->len = b->len;
	memcpy(m->data, b->s, b->len);
	return m;
}

/* One message, framed. */
static struct qmsg *
qmsg_new(const char *s, size_t n)
{
	struct kr_buf b = KR_BUF_INIT((size_t)1 << 31);
	struct qmsg *m = NULL;

	if (frame_add(&b, s, n) == 0)
		m = qmsg_take(&b);
	kr_buf_free(&b);
	return m;
}

static void
qmsg_unref(struct qmsg *m)
{
	if (m != NULL && --m->ref == 0)
		free(m);
}

static void
q_clear(struct conn *c)
{
	while (c->qlen > 0) {
		qmsg_unref(c->q[c->qhead].m);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	c->qbytes = 0;
	c->qready = 0;
}

static void ws_close(struct conn *c, const char *code, const char *msg);
static void ws_unheld(struct waiter *w, int ok);

/*
 * Appends m to the queue (taking its reference). While the store has a
 * transaction open, what depends on it (acks, live records) is held back
 * until the commit (ws_release), and so is all that follows it.
 */
static int
q_append(struct srv *s, struct conn *c, struct qmsg *m, size_t off,
    size_t len, int dep)
{
	struct qent *e;

	if (c->qlen == c->qcap) {
		size_t nc = c->qcap ? c->qcap * 2 : 16, i;
		struct qent *nq = malloc(nc * sizeof *nq);

		if (nq == NULL) {
			qmsg_unref(m);
			return -1;
		}
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qhead = 0;
		c->qcap = nc;
	}
	e = &c->q[(c->qhead + c->qlen) % c->qcap];
	e->m = m;
	e->off = off;
	e->len = len;
	c->qlen++;
	c->qbytes += len;
	if (dep && !c->cw.held && commit_pending(&s->commit)) {
		c->cw.release = ws_unheld;
		commit_hold(&s->commit, &c->cw);
	}
	if (!c->cw.held) {
		c->qready = c->qlen;
		lws_callback_on_writable(c->wsi);
	}
	return 0;
}

/*
 * Queues m (taking a reference). -1 when the queue is over its bound (not
 * checked for history, which is read only while the queue has room).
 */
static int
q_push(struct srv *s, struct conn *c, struct qmsg *m, size_t off, size_t len,
    int bounded)
{
	if (c->closing)
		return -1;
	if (bounded && c->qbytes + len > s->queue_max && c->qlen > 0) {
		s->m.slow_consumers++;
		ws_close(c, "SLOW_CONSUMER", "the client is reading too "
		    "slowly; reconnect and resume with after");
		return -1;
	}
	m->ref++;
	return q_append(s, c, m, off, len, 1);
}

/* Queues a message; these bypass the bound so errors get out. */
static void
send_dep(struct conn *c, const char *s, size_t n, int dep)
{
	struct qmsg *m = qmsg_new(s, n);

	if (m != NULL)
		q_append(srv_get(c->wsi), c, m, 0, m->len, dep);
}

static void
send_text(struct conn *c, const char *s, size_t n)
{
	send_dep(c, s, n, 0);
}

static void
send_buf(struct conn *c, struct kr_buf *b)
{
	send_text(c, b->s, b->len);
	b->len = 0;
}

static void
send_error(struct srv *s, struct conn *c, const char *code, const char *msg,
    int status)
{
	struct kr_buf *b = &s->tmp;

	b->len = 0;
	kr_buf_printf(b, "{\"type\":\"error\",\"code\":\"%s\",\"message\":",
	    code);
	json_str(b, msg, strlen(msg));
	kr_buf_printf(b, ",\"status\":%d}", status);
	send_buf(c, b);
}

/* Lets out what waited for the commit; or, when it failed, drops it. */
static void
ws_unheld(struct waiter *w, int ok)
{
	struct conn *c = lws_container_of(w, struct conn, cw);

	if (!ok) {
		/* Acks and records that were not stored: the client starts
		 * again from what is. */
		q_clear(c);
		ws_close(c, "STORE_FAILED", "the database failed; reconnect "
		    "and resume");
	}
	c->qready = c->qlen;
	if (c->qlen > 0)
		lws_callback_on_writable(c->wsi);
}

/* Sends an error, then closes once the queue has drained. */
static void
ws_close(struct conn *c, const char *code, const char *msg)
{
	struct srv *s = srv_get(c->wsi);

	if (c->closing)
		return;
	if (strcmp(code, "SLOW_CONSUMER") == 0)
		q_clear(c);
	send_error(s, c, code, msg, 0);
	c->closing = 1;
	c->close_msg = code;
	if (c->sub != SUB_NONE)
		s->m.subscribers--;
	c->sub = SUB_NONE;
}

static int
row_matches(const struct cursor *v, const struct row *r)
{
	int i;

	if (r->id <= v->last || r->id <= v->after)
		return 0;
	if (v->f.levels != 0 && !(v->f.levels & (1u << r->level)))
		return 0;
	if (v->f.nsources == 0)
		return 1;
	for (i = 0; i < v->f.nsources; i++)
		if (strlen(v->f.sources[i]) == r->srclen &&
		    memcmp(v->f.sources[i], r->source, r->srclen) == 0)
			return 1;
	return 0;
}

/* True when a viewer takes every record of the batch that is new to it. */
static int
takes_all(const struct cursor *v)
{
	return v->f.levels == 0 && v->f.nsources == 0;
}

/*
 * Passes just-stored rows to the live viewers of task. The rows are
 * framed once, into one buffer that every viewer's queue shares: a viewer
 * without filters gets one slice of it, a filtered one a slice per run of
 * the rows it wants. The work per viewer is a few pointers, not a copy.
 */
void
ws_broadcast(struct srv *s, const char *task, const struct batch *b)
{
	struct kr_buf *fb = &s->chunk;
	struct qmsg *m = NULL;
	size_t *offs = NULL, i, start, end;
	struct conn *c, *next;
	long long first = 0, last = 0;

	for (c = s->ws_list; c != NULL; c = next) {
		next = c->next;
		if (c->sub != SUB_LIVE || c->closing ||
		    strcmp(c->vc.task, task) != 0)
			continue;
		if (m == NULL) {
			/* offs[i]..offs[i + 1]: row i's frame (none if id 0) */
			if ((offs = malloc((b->n + 1) * sizeof *offs)) == NULL)
				return;
			fb->len = 0;
			for (i = 0; i < b->n; i++) {
				const struct row *r = &b->rows[i];

				offs[i] = fb->len;
				if (r->id == 0)
					continue;
				if (first == 0)
					first = r->id;
				last = r->id;
				s->tmp.len = 0;
				if (fmt_row(&s->tmp, task, r) == -1 ||
				    frame_add(fb, s->tmp.s, s->tmp.len) == -1)
					goto out;
			}
			offs[b->n] = fb->len;
			if (fb->len == 0 || (m = qmsg_take(fb)) == NULL)
				goto out;
		}
		if (takes_all(&c->vc) && c->vc.last < first &&
		    c->vc.after < first) {
			if (q_push(s, c, m, 0, m->len, 1) == 0)
				c->vc.last = last;
			continue;
		}
		/* Runs of wanted rows, each one slice. */
		for (i = 0; i < b->n && !c->closing; i = end) {
			while (i < b->n && (b->rows[i].id == 0 ||
			    !row_matches(&c->vc, &b->rows[i])))
				i++;
			if (i == b->n)
				break;
			start = i;
			for (end = i + 1; end < b->n && (b->rows[end].id == 0 ||
			    row_matches(&c->vc, &b->rows[end])); end++)
				;
			if (q_push(s, c, m, offs[start], offs[end] -
			    offs[start], 1) == -1)
				break;
			while (end > start && b->rows[end - 1].id == 0)
				end--;
			c->vc.last = b->rows[end - 1].id;
		}
	}
out:
	qmsg_unref(m);
	free(offs);
	if (fb->cap > (1u << 20))
		kr_buf_free(fb);
}

void
ws_close_all(struct srv *s)
{
	struct conn *c;

	for (c = s->ws_list; c != NULL; c = c->next)
		if (!c->closing)
			ws_close(c, "SHUTDOWN", "the server is shutting down");
}

/* ---- viewers ---- */

struct hist_arg {
	struct srv *s;
	struct conn *c;
};

/* Frames each row of a cursor step into the step's one buffer. */
static int
hist_row(struct kr_buf *out, sqlite3_stmt *st, int first, void *arg)
{
	struct hist_arg *h = arg;

	(void)first;
	out->len = 0;
	if (fmt_record(out, st) == -1)
		return -1;
	return frame_add(&h->s->chunk, out->s, out->len);
}

/* Sends the next slice of history; joins the live feed at its end. */
static void
history_step(struct srv *s, struct conn *c)
{
	struct hist_arg h = { s, c };
	struct kr_buf *b = &s->tmp;

	commit_sync(&s->commit);
	if (c->vc.tid <= 0)
		c->vc.tid = store_task(s->store, c->vc.task, 0);
	while (c->sub == SUB_HISTORY && !c->closing &&
	    c->qbytes < s->queue_max / 2 && c->qlen < 1024) {
		if (c->vc.tid <= 0)
			c->vc.done = 1;
		else {
			struct qmsg *m;

			s->chunk.len = 0;
			if (store_cursor_step(s->store, &c->vc, hist_row, &h,
			    b) == -1) {
				ws_close(c, "INTERNAL", "the database failed");
				return;
			}
			if (s->chunk.len > 0) {
				if ((m = qmsg_take(&s->chunk)) == NULL) {
					ws_close(c, "INTERNAL", "out of memory");
					return;
				}
				q_push(s, c, m, 0, m->len, 0);
				qmsg_unref(m);
			}
		}
		if (!c->vc.done)
			continue;
		if (c->vc.last < c->vc.after)
			c->vc.last = c->vc.after;
		b->len = 0;
		kr_buf_printf(b, "{\"type\":\"%s\",\"lastId\":%lld}",
		    c->realtime ? "live" : "end", c->vc.last);
		send_buf(c, b);
		if (c->realtime)
			c->sub = SUB_LIVE;
		else {
			c->sub = SUB_NONE;
			s->m.subscribers--;
		}
	}
}

static int
str_list(cJSON *a, struct filter *f)
{
	cJSON *e;

	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || f->nsources == SRV_NSOURCES ||
		    strlen(e->valuestring) > SRV_SOURCE_MAX)
			return -1;
		snprintf(f->sources[f->nsources++], SRV_SOURCE_MAX + 1, "%s",
		    e->valuestring);
	}
	return 0;
}

static int
level_list(cJSON *a, unsigned *mask)
{
	cJSON *e;
	int lv;

	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || (lv = kr_level_parse(e->valuestring,
		    strlen(e->valuestring))) < 0)
			return -1;
		*mask |= 1u << lv;
	}
	return 0;
}

static const char *
msg_task(struct conn *c, cJSON *j)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "taskId");

	if (c->task[0] != '\0')
		return c->task;
	if (cJSON_IsString(t) && kr_id_valid(t->valuestring,
	    strlen(t->valuestring)))
		return t->valuestring;
	return NULL;
}

static void
subscribe(struct srv *s, struct conn *c, cJSON *j)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "options"), *v;
	const char *task = msg_task(c, j), *why;
	struct kr_buf *b = &s->tmp;
	struct filter f;
	long long after = 0;
	int st, realtime = 1;

	if (task == NULL) {
		send_error(s, c, "NO_TASK", "subscribe needs a taskId", 400);
		return;
	}
	if ((st = auth_allow(s->auth, &c->az, SCOPE_READ, task, &why)) != 0) {
		send_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	memset(&f, 0, sizeof f);
	if (o != NULL && !cJSON_IsObject(o))
		goto bad;
	if (str_list(cJSON_GetObjectItemCaseSensitive(o, "sources"), &f) == -1 ||
	    level_list(cJSON_GetObjectItemCaseSensitive(o, "levels"),
	    &f.levels) == -1)
		goto bad;
	v = cJSON_GetObjectItemCaseSensitive(o, "level");
	if (v != NULL && !cJSON_IsNull(v)) {
		unsigned m;

		if (!cJSON_IsString(v) || parse_levels(v->valuestring,
		    &m) == -1)
			goto bad;
		f.levels = f.levels ? (f.levels & m) : m;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "realtime");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsBool(v))
			goto bad;
		realtime = cJSON_IsTrue(v);
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "after");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > 9007199254740991.0)
			goto bad;
		after = (long long)v->valuedouble;
	} else if (strcmp(c->vc.task, task) == 0)
		/* Subscribed to this task before on this socket: what it
		 * was sent then is not sent again. */
		after = c->vc.last > c->vc.after ? c->vc.last : c->vc.after;
	if (c->sub == SUB_NONE)
		s->m.subscribers++;
	filter_free(&c->vc.f);
	memset(&c->vc, 0, sizeof c->vc);
	snprintf(c->vc.task, sizeof c->vc.task, "%s", task);
	c->vc.f = f;
	c->vc.after = after;
	c->vc.remaining = -1;
	c->vc.tid = store_task(s->store, task, 0);
	c->realtime = realtime;
	c->sub = SUB_HISTORY;
	b->len = 0;
	kr_buf_adds(b, "{\"type\":\"subscribed\",\"taskId\":");
	json_str(b, task, strlen(task));
	kr_buf_printf(b, ",\"after\":%lld,\"realtime\":%s}", after,
	    realtime ? "true" : "false");
	send_buf(c, b);
	history_step(s, c);
	return;
bad:
	send_error(s, c, "BAD_OPTIONS", "options: sources and levels are "
	    "arrays of strings, level a string, realtime a boolean, after a "
	    "record id", 400);
}

/* ---- shippers ---- */

static void resume(struct srv *s, struct conn *c, cJSON *j, const char *p,
    size_t n);

static void
on_control(struct srv *s, struct conn *c, cJSON *j, const char *p, size_t n)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");

	if (!cJSON_IsString(t))
		send_error(s, c, "BAD_REQUEST", "type must be a string", 400);
	else if (strcmp(t->valuestring, "subscribe") == 0)
		subscribe(s, c, j);
	else if (strcmp(t->valuestring, "unsubscribe") == 0) {
		if (c->sub != SUB_NONE)
			s->m.subscribers--;
		c->sub = SUB_NONE;
		send_text(c, "{\"type\":\"unsubscribed\"}", 23);
	} else if (strcmp(t->valuestring, "resume") == 0)
		resume(s, c, j, p, n);
	else if (strcmp(t->valuestring, "ping") == 0)
		send_text(c, "{\"type\":\"pong\"}", 15);
	else if (strcmp(t->valuestring, "pong") == 0)
		;
	else
		send_error(s, c, "UNKNOWN_TYPE", "type must be log, subscribe, "
		    "unsubscribe, resume or ping", 400);
}

/* Tells the shipper about each refused record of the batch. */
static void
send_refusals(struct srv *s, struct conn *c, const struct batch *bt)
{
	struct kr_buf *b = &s->tmp;
	size_t i;

	for (i = 0; i < bt->n; i++) {
		const struct row *r = &bt->rows[i];

		if (r->code == NULL)
			continue;
		b->len = 0;
		kr_buf_adds(b, "{\"type\":\"error\",\"code\":\"INVALID_RECORD\","
		    "\"reason\":\"");
		kr_buf_adds(b, r->code);
		kr_buf_printf(b, "\",\"index\":%zu", i);
		if (r->run != NULL) {
			kr_buf_adds(b, ",\"runId\":");
			json_str(b, r->run, r->runlen);
		}
		if (r->seq != 0)
			kr_buf_printf(b, ",\"seq\":%lld", r->seq);
		kr_buf_adds(b, ",\"message\":");
		json_str(b, r->why, strlen(r->why));
		kr_buf_adds(b, ",\"status\":400}");
		send_buf(c, b);
	}
}

static int
same_task(const struct row *r, const char *task)
{
	return r->tasklen == strlen(task) &&
	    memcmp(r->task, task, r->tasklen) == 0;
}

/*
 * Stores the records of a message. Each invalid record is refused alone
 * (INVALID_RECORD, with its runId and seq) and the ack covers it, so a
 * shipper moves past it; only a message that is not JSON at all, a
 * forbidden task or a failed database refuse the whole message.
 */
static void
ingest(struct srv *s, struct conn *c, const char *p, size_t n)
{
	static struct kr_ratelimit rl = KR_RATELIMIT_INIT(10, 1);
	struct batch *bt = &s->batch;
	struct kr_buf *b = &s->tmp;
	struct srv_err e;
	const char *why;
	char task[SRV_ID_MAX + 1] = "";
	size_t i, stored = 0, dups = 0, bad;
	int st, single;

	/* lws checked the UTF-8 of text messages already. */
	if (batch_parse(bt, p, n, BP_EACH | BP_UTF8_OK, &single, &e) == -1)
		goto fail;
	if (bt->n == 0)
		return;		/* an empty array */
	if (c->task[0] != '\0')
		snprintf(task, sizeof task, "%s", c->task);
	else {
		/* The first usable taskId is the message's. */
		for (i = 0; i < bt->n && task[0] == '\0'; i++) {
			const struct row *r = &bt->rows[i];

			if (r->code == NULL && r->task != NULL &&
			    kr_id_valid(r->task, r->tasklen)) {
				memcpy(task, r->task, r->tasklen);
				task[r->tasklen] = '\0';
			}
		}
		for (i = 0; i < bt->n; i++) {
			struct row *r = &bt->rows[i];

			if (r->code != NULL)
				continue;
			if (r->task == NULL || !kr_id_valid(r->task,
			    r->tasklen)) {
				r->code = "NO_TASK";
				r->why = "a record sent to /ws/tasks needs a "
				    "taskId";
				bt->nbad++;
			} else if (!same_task(r, task)) {
				r->code = "BAD_RECORD";
				r->why = "another taskId in the same message";
				bt->nbad++;
			}
		}
	}
	if (task[0] != '\0' && (st = auth_allow(s->auth, &c->az, SCOPE_WRITE,
	    task, &why)) != 0) {
		batch_reset(bt);
		send_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	if (bt->nbad < bt->n && store_insert(s->store, task, bt, &stored,
	    &dups) == -1) {
		err_set(&e, 503, "STORE_FAILED", "the database failed; "
		    "send again");
		goto fail;
	}
	bad = bt->nbad;
	commit_noted(&s->commit, stored + dups);
	s->m.ingested += stored;
	s->m.ingested_ws += stored;
	s->m.duplicates += dups;
	if (bad > 0) {
		s->m.refused += bad;
		for (i = 0; bt->rows[i].code == NULL; i++)
			;
		if (kr_ratelimit_ok(&rl))
			kr_warn("task '%s': refused %zu of %zu records (first: "
			    "%s: %s)", task[0] ? task : "none", bad, bt->n,
			    bt->rows[i].code, bt->rows[i].why);
		send_refusals(s, c, bt);
	}
	b->len = 0;
	if (acks_json(b, bt, "{\"type\":\"ack\",\"runId\":", "\n", "}") == 0)
		kr_buf_printf(b, "{\"type\":\"ack\",\"stored\":%zu,"
		    "\"duplicates\":%zu,\"refused\":%zu}", stored, dups, bad);
	/* One message per run: split the lines. */
	{
		char *q = b->s, *e2, *end = b->s + b->len;

		for (; q < end; q = e2 + 1) {
			if ((e2 = memchr(q, '\n', (size_t)(end - q))) == NULL)
				e2 = end;
			send_dep(c, q, (size_t)(e2 - q), 1);
		}
	}
	if (stored > 0)
		ws_broadcast(s, task, bt);
	batch_reset(bt);
	return;
fail:
	batch_reset(bt);
	s->m.rejected++;
	send_error(s, c, e.code, e.msg, e.status);
}

static void
resume(struct srv *s, struct conn *c, cJSON *j, const char *p, size_t n)
{
	struct kr_buf run = KR_BUF_INIT(SRV_ID_MAX + 1);
	const char *task = msg_task(c, j), *why;
	struct kr_buf *b = &s->tmp;
	long long tid, seq = 0;
	int st;

	if (task == NULL) {
		send_error(s, c, "NO_TASK", "resume needs a taskId", 400);
		return;
	}
	if (json_obj_str(p, n, "runId", &run) != 1 || run.len == 0 ||
	    run.len > SRV_ID_MAX) {
		kr_buf_free(&run);
		send_error(s, c, "BAD_REQUEST", "resume needs a runId", 400);
		return;
	}
	if ((st = auth_allow(s->auth, &c->az, SCOPE_WRITE, task, &why)) != 0) {
		kr_buf_free(&run);
		send_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	commit_sync(&s->commit);
	if ((tid = store_task(s->store, task, 0)) > 0)
		seq = store_max_seq(s->store, tid, run.s, run.len);
	b->len = 0;
	kr_buf_adds(b, "{\"type\":\"ack\",\"runId\":");
	json_str(b, run.s, run.len);
	kr_buf_printf(b, ",\"seq\":%lld}", seq);
	kr_buf_free(&run);
	send_buf(c, b);
}

static void
on_message(struct srv *s, struct conn *c, const char *p, size_t n)
{
	struct kr_buf type = KR_BUF_INIT(64);
	const char *q = p, *end = p + n;
	cJSON *j;
	int rc;

	s->m.ws_frames++;
	s->m.bytes_in += n;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
		q++;
	if (q < end && *q == '[') {
		ingest(s, c, p, n);
		return;
	}
	if (q == end || *q != '{' ||
	    (rc = json_obj_str(p, n, "type", &type)) == -1) {
		kr_buf_free(&type);
		s->m.rejected++;
		send_error(s, c, "MALFORMED_REQUEST", "a message is a JSON "
		    "object or an array of records", 400);
		return;
	}
	if (rc == 0 || (rc == 1 && type.len == 3 &&
	    memcmp(type.s, "log", 3) == 0)) {
		kr_buf_free(&type);
		ingest(s, c, p, n);
		return;
	}
	kr_buf_free(&type);
	/* A control message, small: the general parser is fine. */
	if ((j = cJSON_ParseWithLength(p, n)) == NULL) {
		s->m.rejected++;
		send_error(s, c, "MALFORMED_REQUEST", "a message is a JSON "
		    "object or an array of records", 400);
		return;
	}
	on_control(s, c, j, p, n);
	cJSON_Delete(j);
}

/* ---- the callback ---- */

/* The taskId in /ws/tasks/{taskId}: 1, 0 for /ws/tasks, -1 otherwise. */
static int
ws_path(struct lws *wsi, char *task, size_t tsz)
{
	char uri[512];
	const char *p;
	int n;

	n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	if (n <= 0)
		return -1;
	if (strcmp(uri, "/ws/tasks") == 0 || strcmp(uri, "/ws/tasks/") == 0) {
		task[0] = '\0';
		return 0;
	}
	if (strncmp(uri, "/ws/tasks/", 10) != 0)
		return -1;
	p = uri + 10;
	n = (int)strlen(p);
	if (n > 0 && p[n - 1] == '/')
		n--;
	if (!kr_id_valid(p, (size_t)n) || (size_t)n >= tsz)
		return -1;
	memcpy(task, p, (size_t)n);
	task[n] = '\0';
	return 1;
}

/* The handshake asks for version 13 (RFC 6455), the only one spoken. */
static int
version_ok(struct lws *wsi)
{
	char v[8];

	return lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_VERSION) == 2 &&
	    strcmp(v, "13") == 0;
}

/*
 * No subprotocol is offered, or "keruta" is among those offered (lws then
 * names it in its answer). Offered others alone, lws would drop the
 * connection without a word.
 */
static int
subprotocol_ok(struct lws *wsi)
{
	char buf[512], *p, *t;
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);

	if (n <= 0)
		return 1;
	if (n >= (int)sizeof buf || lws_hdr_copy(wsi, buf, sizeof buf,
	    WSI_TOKEN_PROTOCOL) < 0)
		return 0;
	for (p = strtok_r(buf, ", \t", &t); p != NULL;
	    p = strtok_r(NULL, ", \t", &t))
		if (strcmp(p, "keruta") == 0)
			return 1;
	return 0;
}

/* Refuses a handshake with status, an optional header and a short text. */
static void
refuse(struct lws *wsi, unsigned status, const char *hname, const char *hval,
    const char *text)
{
	unsigned char b[LWS_PRE + 1024], *start = b + LWS_PRE, *p = start,
	    *end = b + sizeof b - 1;
	size_t n = strlen(text);

	if (lws_add_http_header_status(wsi, status, &p, end) ||
	    (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hval,
	    (int)strlen(hval), &p, end)) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)"text/plain; charset=utf-8", 25, &p, end) ||
	    lws_add_http_header_content_length(wsi, n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < n)
		return;
	memcpy(p, text, n);
	p += n;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
}

/* Closes a connection whose token has expired. 1 if it did. */
static int
expired(struct conn *c)
{
	long long d = auth_deadline(&c->az);

	if (d == 0 || (long long)time(NULL) <= d)
		return 0;
	ws_close(c, "TOKEN_EXPIRED", "the token has expired; reconnect with "
	    "a new one");
	return 1;
}

/*
 * Writes what is ready: queue entries gathered into one buffer, up to
 * WRITE_MAX bytes a write, as long as the socket takes them.
 */
static int
ws_write(struct srv *s, struct conn *c)
{
	struct qent *e;
	size_t n, want;
	int k;

	if (c->sub == SUB_HISTORY)
		history_step(s, c);
	for (k = 0; c->qready > 0; k++) {
		if (k > 0 && lws_send_pipe_choked(c->wsi))
			break;
		/* How much goes in this write: at least one entry. */
		/* Small entries are gathered; a big one goes alone. */
		want = 0;
		for (n = 0; n < c->qready; n++) {
			e = &c->q[(c->qhead + n) % c->qcap];
			if (n > 0 && (want + e->len > WRITE_MAX ||
			    e->len >= WRITE_ALONE))
				break;
			want += e->len;
			if (e->len >= WRITE_ALONE) {
				n++;
				break;
			}
		}
		if (n == 1) {
			/* One slice: written from the shared buffer itself
			 * (a raw write adds nothing in front, and lws keeps a
			 * copy of what the socket does not take). */
			e = &c->q[c->qhead];
			if (lws_write(c->wsi, e->m->data + e->off, e->len,
			    LWS_WRITE_RAW) < (int)e->len)
				return -1;
			c->qbytes -= e->len;
			qmsg_unref(e->m);
			c->qhead = (c->qhead + 1) % c->qcap;
			c->qlen--;
			c->qready--;
			continue;
		}
		if (c->scratch_cap < LWS_PRE + want) {
			free(c->scratch);
			c->scratch_cap = LWS_PRE + (want > WRITE_MAX ? want :
			    WRITE_MAX);
			if ((c->scratch = malloc(c->scratch_cap)) == NULL) {
				c->scratch_cap = 0;
				return -1;
			}
		}
		want = 0;
		while (n-- > 0) {
			e = &c->q[c->qhead];
			memcpy(c->scratch + LWS_PRE + want, e->m->data + e->off,
			    e->len);
			want += e->len;
			c->qbytes -= e->len;
			qmsg_unref(e->m);
			c->qhead = (c->qhead + 1) % c->qcap;
			c->qlen--;
			c->qready--;
		}
		/* Whole frames already: written as they are. */
		if (lws_write(c->wsi, c->scratch + LWS_PRE, want,
		    LWS_WRITE_RAW) < (int)want)
			return -1;
		if (c->sub == SUB_HISTORY && c->qlen < 64)
			history_step(s, c);
	}
	if (c->qready > 0 || (c->sub == SUB_HISTORY && !c->cw.held)) {
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->qlen > 0)
		return 0;	/* held until the commit */
	if (c->closing) {
		const char *why = c->close_msg ? c->close_msg : "closing";

		lws_close_reason(c->wsi, strcmp(why, "SHUTDOWN") == 0 ?
		    LWS_CLOSE_STATUS_GOINGAWAY : LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    (unsigned char *)why, strlen(why));
		return -1;
	}
	/* A large buffer from a big frame is not kept for ever. */
	if (c->scratch_cap > LWS_PRE + WRITE_MAX) {
		free(c->scratch);
		c->scratch = NULL;
		c->scratch_cap = 0;
	}
	return 0;
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct srv *s = srv_get(wsi);
	struct conn *c = user;
	char task[SRV_ID_MAX + 1];
	struct authz z;
	const char *why;
	size_t rem;
	int st;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (in == NULL || strcmp(in, "websocket") != 0) {
			lws_return_http_status(wsi, 400, NULL);
			return 1;
		}
		if (!version_ok(wsi)) {
			metrics_status(&s->m, 426);
			refuse(wsi, 426, "sec-websocket-version:", "13",
			    "this server speaks WebSocket version 13 only\n");
			return 1;
		}
		if (!subprotocol_ok(wsi)) {
			metrics_status(&s->m, 400);
			refuse(wsi, 400, NULL, NULL, "the only subprotocol is "
			    "keruta: offer it, or none\n");
			return 1;
		}
		if (ws_path(wsi, task, sizeof task) == -1) {
			metrics_status(&s->m, 404);
			lws_return_http_status(wsi, 404, NULL);
			return 1;
		}
		auth_check(s->auth, wsi, &z);
		if ((st = auth_allow(s->auth, &z, SCOPE_READ | SCOPE_WRITE,
		    task[0] ? task : NULL, &why)) != 0) {
			metrics_status(&s->m, st);
			lws_return_http_status(wsi, (unsigned)st, NULL);
			return 1;
		}
		if (s->stopping) {
			metrics_status(&s->m, 503);
			lws_return_http_status(wsi, 503, NULL);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		memset(c, 0, sizeof *c);
		if (ws_path(wsi, c->task, sizeof c->task) == -1)
			return 1;
		auth_check(s->auth, wsi, &c->az);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		c->wsi = wsi;
		c->is_ws = 1;
		kr_buf_init(&c->rx, s->max_body);
		c->next = s->ws_list;
		if (s->ws_list != NULL)
			s->ws_list->prev = c;
		s->ws_list = c;
		s->m.ws_conns++;
		metrics_status(&s->m, 101);
		if (auth_deadline(&c->az) != 0)
			lws_set_timer_usecs(wsi, LWS_US_PER_SEC);
		return 0;
	case LWS_CALLBACK_TIMER:
		/* A token that expires closes the connection, whether or
		 * not the client sends anything. */
		if (c == NULL || !c->is_ws || c->closing)
			return 0;
		if (!expired(c))
			lws_set_timer_usecs(wsi, LWS_US_PER_SEC);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (c->closing || expired(c))
			return 0;
		if (lws_frame_is_binary(wsi)) {
			if (lws_is_final_fragment(wsi) &&
			    lws_remaining_packet_payload(wsi) == 0)
				send_error(s, c, "BAD_REQUEST", "binary "
				    "messages are not accepted", 400);
			return 0;
		}
		/*
		 * An over-long message is read to its end (so that the error
		 * reaches a client still sending), unless what it announces
		 * is absurd: then the connection closes at once.
		 */
		rem = lws_remaining_packet_payload(wsi);
		if (!c->rx_drop && (c->rx.len + len + rem > s->max_body ||
		    kr_buf_add(&c->rx, in, len) == -1)) {
			kr_buf_free(&c->rx);
			c->rx_drop = 1;
		}
		if (c->rx_drop && rem > 4 * s->max_body)
			c->rx_drop = 2;
		if (c->rx_drop != 2 && (!lws_is_final_fragment(wsi) ||
		    rem > 0))
			return 0;
		if (c->rx_drop) {
			char m[96];

			snprintf(m, sizeof m, "a message may hold at most %zu "
			    "bytes", s->max_body);
			c->rx_drop = 0;
			ws_close(c, "TOO_LARGE", m);
			return 0;
		}
		on_message(s, c, c->rx.s ? c->rx.s : "", c->rx.len);
		c->rx.len = 0;
		if (c->rx.cap > 1u << 20)
			kr_buf_free(&c->rx);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_write(s, c);
	case LWS_CALLBACK_CLOSED:
		/* Also said of a socket that never became a WebSocket (the
		 * listening one, when it closes at SIGTERM). */
		if (c == NULL || !c->is_ws)
			return 0;
		if (c->prev != NULL)
			c->prev->next = c->next;
		else if (s->ws_list == c)
			s->ws_list = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		c->next = c->prev = NULL;
		commit_unhold(&s->commit, &c->cw);
		s->m.ws_conns--;
		if (c->sub != SUB_NONE)
			s->m.subscribers--;
		c->sub = SUB_NONE;
		q_clear(c);
		free(c->q);
		c->q = NULL;
		free(c->scratch);
		c->scratch = NULL;
		kr_buf_free(&c->rx);
		filter_free(&c->vc.f);
		return 0;
	default:
		break;
	}
	return 0;
}
