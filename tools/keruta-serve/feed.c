/*
 * feed.c: what goes out on a WebSocket: the live feed of records to
 * viewers, the stored history before it, and every other message. The
 * seam between history and live has neither gap nor duplicate because
 * one thread does both: history is read from the store until a read
 * comes back short, and only then does the viewer join the live fan-out,
 * which passes on only ids above the last one sent.
 *
 * Every message to a client goes through its bounded queue; a viewer
 * whose queue overflows is told (SLOW_CONSUMER) and closed, so it never
 * holds ingest or other viewers back. It resumes with "after". Live
 * records are framed once for all their viewers, and a viewer's queue is
 * written a burst at a time, so the cost of a viewer is about what the
 * kernel takes to send it the bytes.
 *
 * When several servers share the store (PostgreSQL), live records do not
 * come from this server's ingest: each commit, here or on another server,
 * says which tasks have new records (store_changes), and their live
 * viewers read them from the store as history is read ("catch-up"),
 * after the last id sent; a task's ids become visible in order there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_time.h"
#include "commit.h"
#include "feed.h"
#include "metrics.h"
#include "rec.h"
#include "srv.h"
#include "store.h"

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
#define SLOW_NS		1000000000LL	/* behind this long, the socket full: slow */

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

static void feed_unheld(struct waiter *w, int ok);

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
		c->cw.release = feed_unheld;
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
		feed_close(c, "SLOW_CONSUMER", "the client is reading too "
		    "slowly; reconnect and resume with after");
		return -1;
	}
	m->ref++;
	return q_append(s, c, m, off, len, 1);
}

void
feed_send(struct conn *c, const char *s, size_t n, int dep)
{
	struct qmsg *m = qmsg_new(s, n);

	if (m != NULL)
		q_append(srv_get(c->wsi), c, m, 0, m->len, dep);
}

void
feed_buf(struct conn *c, struct kr_buf *b)
{
	feed_send(c, b->s, b->len, 0);
	b->len = 0;
}

void
feed_error(struct srv *s, struct conn *c, const char *code, const char *msg,
    int status)
{
	struct kr_buf *b = &s->tmp;

	b->len = 0;
	kr_buf_printf(b, "{\"type\":\"error\",\"code\":\"%s\",\"message\":",
	    code);
	json_str(b, msg, strlen(msg));
	kr_buf_printf(b, ",\"status\":%d}", status);
	feed_buf(c, b);
}

void
feed_redacted(struct srv *s, long long tid, long long rid,
    const long long *ids, size_t n)
{
	struct kr_buf *b = &s->tmp;
	struct conn *c;
	size_t i;

	b->len = 0;
	for (c = s->ws_list; c != NULL; c = c->next) {
		if (c->sub == SUB_NONE || c->closing || (c->vc.tid != 0 ?
		    c->vc.tid : store_task(s->store, c->vc.task, 0)) != tid)
			continue;
		if (b->len == 0) {
			kr_buf_printf(b, "{\"type\":\"redacted\",\"redaction\":"
			    "%lld,\"ids\":[", rid);
			for (i = 0; i < n; i++)
				kr_buf_printf(b, "%s%lld", i ? "," : "", ids[i]);
			kr_buf_adds(b, "]}");
		}
		feed_send(c, b->s, b->len, 0);
	}
	b->len = 0;
}

/* Lets out what waited for the commit; or, when it failed, drops it. */
static void
feed_unheld(struct waiter *w, int ok)
{
	struct conn *c = lws_container_of(w, struct conn, cw);

	if (!ok) {
		/* Acks and records that were not stored: the client starts
		 * again from what is. */
		q_clear(c);
		feed_close(c, "STORE_FAILED", "the database failed; reconnect "
		    "and resume");
	}
	c->qready = c->qlen;
	if (c->qlen > 0)
		lws_callback_on_writable(c->wsi);
}

/* Sends an error, then closes once the queue has drained. */
void
feed_close(struct conn *c, const char *code, const char *msg)
{
	struct srv *s = srv_get(c->wsi);

	if (c->closing)
		return;
	if (strcmp(code, "SLOW_CONSUMER") == 0)
		q_clear(c);
	feed_error(s, c, code, msg, 0);
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
feed_broadcast(struct srv *s, const char *task, const struct batch *b)
{
	struct kr_buf *fb = &s->chunk;
	struct qmsg *m = NULL;
	size_t *offs = NULL, i, start, end;
	struct conn *c, *next;
	long long first = 0, last = 0;

	/* Several servers: every live record comes through the store. */
	if (store_shared(s->store))
		return;
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
			metrics_batch(&s->m.age_sent, b, kr_wall_ns());
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

/*
 * Task tid has new records up to id top (tid 0: any task may have): its
 * live viewers read them from the store, after the last they were sent,
 * as history is read. Ids of one task become visible in their order, so
 * nothing is skipped and nothing sent twice.
 */
static void
changed(void *arg, long long tid, long long top)
{
	struct srv *s = arg;
	struct conn *c;

	for (c = s->ws_list; c != NULL; c = c->next) {
		if (c->sub != SUB_LIVE || c->closing)
			continue;
		if (c->vc.tid <= 0 && (tid == 0 ||
		    (c->vc.tid = store_task(s->store, c->vc.task, 0)) <= 0))
			continue;
		if ((tid != 0 && (c->vc.tid != tid || c->vc.last >= top)))
			continue;
		if (c->vc.last < c->vc.after)
			c->vc.last = c->vc.after;
		c->vc.started = 1;
		c->vc.done = 0;
		c->catchup = 1;
		c->behind_ns = kr_mono_ns();
		c->sub = SUB_HISTORY;
		lws_callback_on_writable(c->wsi);
	}
}

void
feed_changes(struct srv *s)
{
	if (store_shared(s->store))
		(void)store_changes(s->store, changed, s);
}

void
feed_slow(struct srv *s)
{
	long long now = kr_mono_ns();
	struct conn *c;

	/* Behind for a while, the socket full: as slow as a viewer whose
	 * queue overflows. */
	for (c = s->ws_list; c != NULL; c = c->next)
		if (c->catchup && !c->closing && c->sub == SUB_HISTORY &&
		    now - c->behind_ns > SLOW_NS &&
		    lws_send_pipe_choked(c->wsi)) {
			s->m.slow_consumers++;
			feed_close(c, "SLOW_CONSUMER", "the client is reading "
			    "too slowly; reconnect and resume with after");
			lws_callback_on_writable(c->wsi);
		}
}

void
feed_close_all(struct srv *s)
{
	struct conn *c;

	for (c = s->ws_list; c != NULL; c = c->next)
		if (!c->closing)
			feed_close(c, "SHUTDOWN", "the server is shutting down");
}

/* ---- viewers ---- */

struct hist_arg {
	struct srv *s;
	struct conn *c;
};

/* Frames each row of a cursor step into the step's one buffer. */
static int
hist_row(struct kr_buf *out, const struct srec *r, int first, void *arg)
{
	struct hist_arg *h = arg;
	long long ts;

	(void)first;
	/* Live records read from a shared store: their age when sent. */
	if (h->c->catchup && kr_ts_parse(r->ts, r->tslen, &ts) == 0)
		metrics_age(&h->s->m.age_sent, ((double)kr_wall_ns() -
		    (double)ts) / 1e9);
	out->len = 0;
	if (fmt_record(out, r) == -1)
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
				feed_close(c, "INTERNAL", "the database failed");
				return;
			}
			if (s->chunk.len > 0) {
				if ((m = qmsg_take(&s->chunk)) == NULL) {
					feed_close(c, "INTERNAL", "out of memory");
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
		if (c->catchup) {
			/* Back to live, without a word: it never left. */
			c->catchup = 0;
			c->sub = SUB_LIVE;
			break;
		}
		b->len = 0;
		kr_buf_printf(b, "{\"type\":\"%s\",\"lastId\":%lld}",
		    c->realtime ? "live" : "end", c->vc.last);
		feed_buf(c, b);
		if (c->realtime)
			c->sub = SUB_LIVE;
		else {
			c->sub = SUB_NONE;
			s->m.subscribers--;
		}
	}
}

/*
 * Writes what is ready: queue entries gathered into one buffer, up to
 * WRITE_MAX bytes a write, as long as the socket takes them. Over 80
 * lines: a big slice written alone and small ones gathered share the
 * queue's bookkeeping, and the close at the end waits for both.
 */
int
feed_write(struct srv *s, struct conn *c)
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

void
feed_subscribe(struct srv *s, struct conn *c, const char *task,
    const struct filter *f, long long after, int realtime)
{
	struct kr_buf *b = &s->tmp;

	if (after < 0 && strcmp(c->vc.task, task) == 0)
		/* Subscribed to this task before on this socket: what it
		 * was sent then is not sent again. */
		after = c->vc.last > c->vc.after ? c->vc.last : c->vc.after;
	else if (after < 0)
		after = 0;
	if (c->sub == SUB_NONE)
		s->m.subscribers++;
	filter_free(&c->vc.f);
	memset(&c->vc, 0, sizeof c->vc);
	snprintf(c->vc.task, sizeof c->vc.task, "%s", task);
	c->vc.f = *f;
	c->vc.after = after;
	c->vc.remaining = -1;
	c->vc.tid = store_task(s->store, task, 0);
	c->realtime = realtime;
	c->sub = SUB_HISTORY;
	c->catchup = 0;		/* a history of its own, told when it ends */
	b->len = 0;
	kr_buf_adds(b, "{\"type\":\"subscribed\",\"taskId\":");
	json_str(b, task, strlen(task));
	kr_buf_printf(b, ",\"after\":%lld,\"realtime\":%s}", after,
	    realtime ? "true" : "false");
	feed_buf(c, b);
	history_step(s, c);
}

void
feed_unsubscribe(struct srv *s, struct conn *c)
{
	if (c->sub != SUB_NONE)
		s->m.subscribers--;
	c->sub = SUB_NONE;
	c->catchup = 0;
	feed_send(c, "{\"type\":\"unsubscribed\"}", 23, 0);
}

void
feed_drop(struct srv *s, struct conn *c)
{
	if (c->sub != SUB_NONE)
		s->m.subscribers--;
	c->sub = SUB_NONE;
	q_clear(c);
	free(c->q);
	c->q = NULL;
	free(c->scratch);
	c->scratch = NULL;
	filter_free(&c->vc.f);
}
