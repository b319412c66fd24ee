/*
 * keruta-batch: group keruta(7) records into batches.
 *
 * Reads records (or batches) as NDJSON on stdin and writes one JSON array
 * of records per line on stdout. Batches fill to --batch-size under load;
 * when the input pauses for --linger, what is held leaves at once, and no
 * record waits longer than --flush-interval. At most --buffer-size records
 * are held; past that, stdin is not read (--when-full block) or records are
 * dropped and reported by gap records (--when-full drop).
 *
 * Exits 0 at the end of input once everything is written, 100 on bad
 * usage, 111 when stdout failed or a second signal came before the held
 * records were written (the diagnostic says how many were not delivered).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kr_buf.h"
#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_jr.h"
#include "kr_json.h"
#include "kr_lr.h"
#include "kr_parse.h"
#include "kr_rec.h"
#include "kr_set.h"
#include "kr_time.h"

#define TOOL (&kr_tool_batch)

/* Batches are formed while less than this much output waits for stdout. */
#define OUT_HIGH (64u << 10)
/* Held bytes at most, unless two batches of --max-bytes need more. */
#define BUFFER_BYTES (16u << 20)
/* After a signal, stdin is read until quiet this long, this long at most. */
#define STOP_QUIET (50LL * 1000000)
#define STOP_MAX (1000LL * 1000000)
/* The longest taskId or runId copied from dropped records into a gap. */
#define ID_MAX 128

struct batch_opts {
	size_t batch_size, buffer_size, max_bytes;
	size_t buffer_bytes;	/* bytes held at most */
	long long flush_ms, linger_ms;
	double rate;		/* records per second; 0: no limit */
	int drop;		/* --when-full drop */
	const char *task_id;
	const char *last;	/* --last: "seq runId" of the last record */
};

/* A held record: its length in q (without the ',' after it), its arrival. */
struct qent {
	size_t len;
	long long t;
};

/* A batch in the output buffer: where it ends, how many records it has. */
struct oent {
	unsigned long long end;
	size_t n;
};

/* Drops not yet reported: one gap record, written when there is room. */
struct gap {
	unsigned long long count, from, to;
	const char *reason;
	char task[ID_MAX + 1], run[ID_MAX + 1];
	int mixed_task, mixed_run, mixed_seq;
};

struct batcher {
	const struct batch_opts *o;
	struct kr_lr lr;
	/* Held records, each followed by ',' in qb from qoff on. */
	struct kr_buf qb;
	size_t qoff, qbytes;
	struct qent *q;
	size_t qhead, qn, qcap;
	/* Complete batches waiting for stdout, written from ooff on. */
	struct kr_buf out;
	size_t ooff;
	unsigned long long obase;	/* bytes ever written before out.s */
	struct oent *ob;
	size_t obhead, obn, obcap, orecs;
	struct gap gap;
	struct kr_buf scratch;	/* a wrapped line */
	struct kr_buf gapbuf;	/* a gap record, while scratch is in use */
	char head[512];		/* the start of an over-long line */
	size_t headlen;
	double tokens;
	long long tok_t, last_in;
	int in_done, rate_held, out_blocked, sigfd[2];
	unsigned long long lineno, malformed, dropped, oversize;
	struct kr_ratelimit warn_rl;
	unsigned long long last_seq;	/* --last: 0, none yet */
	char last_run[ID_MAX + 1];
};

static volatile sig_atomic_t got_signal;
static int sig_wfd = -1;

/* The flags of the command line, by option id; NULL: not given. */
struct batch_args {
	const char *flag[KR_O_KEY];
	struct kr_cfg *cfg;
};

/* The value of the setting id: flag, environment, YAML file, default. */
static const char *
setting_get(const struct batch_args *a, int id)
{
	return kr_set_value(TOOL, a->cfg, id, a->flag[id], NULL);
}

/* Names where the rejected value came from. */
static void KR_NORETURN
setting_bad(const struct batch_args *a, int id)
{
	const struct kr_set *e = kr_set_find(TOOL, id);
	const char *from, *v = kr_set_value(TOOL, a->cfg, id, a->flag[id],
	    &from);

	if (a->flag[id] != NULL)
		kr_die(KR_EX_USAGE, "invalid --%s '%s'", e->name, v);
	if (e->env != NULL && from == e->env)
		kr_die(KR_EX_USAGE, "invalid %s '%s'", e->env, v);
	kr_die(KR_EX_USAGE, "invalid %s '%s' in the configuration", e->key,
	    v);
}

/* A number of the setting id, from lo to hi. */
static long long
setting_ll(const struct batch_args *a, int id, long long lo, long long hi)
{
	long long n;

	if (kr_parse_ll(setting_get(a, id), lo, hi, &n) == -1)
		setting_bad(a, id);
	return n;
}

/* A duration of the setting id, up to a day. */
static long long
setting_ms(const struct batch_args *a, int id)
{
	long long ms;

	if (kr_parse_duration_ms(setting_get(a, id), &ms) == -1 ||
	    ms > 86400000LL)
		setting_bad(a, id);
	return ms;
}

static void
on_signal(int sig)
{
	int e = errno;

	got_signal = sig;
	/* Wakes poll(); a full pipe already holds a wake-up. */
	if (sig_wfd != -1)
		(void)!write(sig_wfd, "", 1);
	errno = e;
}

/* write(2) retried on EINTR, for a non-blocking fd: -1/EAGAIN is "not now". */
static ssize_t
write_some(int fd, const void *p, size_t n)
{
	ssize_t w;

	do
		w = write(fd, p, n);
	while (w == -1 && errno == EINTR);
	return w;
}

static size_t
held(const struct batcher *b)
{
	return b->qn + b->orecs;
}

static int
has_room(const struct batcher *b)
{
	/* Bytes are bounded too, for records far bigger than usual. */
	return held(b) < b->o->buffer_size && (b->qb.len - b->qoff) +
	    (b->out.len - b->ooff) < b->o->buffer_bytes;
}

static void
nomem(void)
{
	kr_die(KR_EX_TEMP, "out of memory");
}

/* Appends one record (without newline) to the held queue. */
static void
q_push(struct batcher *b, const char *rec, size_t len, long long t)
{
	size_t i;

	if (b->qn == b->qcap) {
		size_t cap = b->qcap ? b->qcap * 2 : 64, k;
		struct qent *nq;

		if ((nq = malloc(cap * sizeof *nq)) == NULL)
			nomem();
		for (k = 0; k < b->qn; k++)
			nq[k] = b->q[(b->qhead + k) % b->qcap];
		free(b->q);
		b->q = nq;
		b->qcap = cap;
		b->qhead = 0;
	}
	if (kr_buf_reserve(&b->qb, len + 1) == -1)
		nomem();
	memcpy(b->qb.s + b->qb.len, rec, len);
	b->qb.s[b->qb.len + len] = ',';
	b->qb.len += len + 1;
	b->qb.s[b->qb.len] = '\0';
	b->qbytes += len;
	i = (b->qhead + b->qn) % b->qcap;
	b->q[i].len = len;
	b->q[i].t = t;
	b->qn++;
}

/* What a dropped record says of itself, for its gap record. */
struct rec_ids {
	char task[ID_MAX + 1], run[ID_MAX + 1];	/* "": none */
	unsigned long long seq;			/* 0: none */
	int seq_whole;		/* seq was digits alone, 1 to 10^16 - 1 */
};

/* A plain string (no escape) of at most ID_MAX bytes into out, or "". */
static void
id_value(struct kr_jr *j, char *out)
{
	struct kr_jr_str v;

	if (kr_jr_peek(j) != KR_JR_STRING) {
		(void)kr_jr_skip(j);
		return;
	}
	if (kr_jr_string(j, &v, 0) == -1 || v.esc || v.n > ID_MAX)
		return;
	memcpy(out, v.s, v.n);
	out[v.n] = '\0';
}

/*
 * The taskId, runId and seq of the record rec[0..n), the first of each,
 * from its members up to its end or to where it stops being JSON (rec
 * may be the head of a line cut short).
 */
static void
rec_ids(const char *rec, size_t n, struct rec_ids *id)
{
	struct kr_jr j;
	struct kr_jr_str k;
	const char *v;
	size_t vn, i;
	int m = 0;

	id->task[0] = id->run[0] = '\0';
	id->seq = 0;
	id->seq_whole = 0;
	kr_jr_init(&j, rec, n, 0);
	if (kr_jr_enter(&j) == -1)
		return;
	while (kr_jr_member(&j, &m, &k) == 1) {
		if (kr_jr_eq(&k, "taskId") && id->task[0] == '\0') {
			id_value(&j, id->task);
		} else if (kr_jr_eq(&k, "runId") && id->run[0] == '\0') {
			id_value(&j, id->run);
		} else if (kr_jr_eq(&k, "seq") && id->seq == 0 &&
		    kr_jr_peek(&j) == KR_JR_NUMBER) {
			if (kr_jr_number(&j, &v, &vn) == -1)
				return;
			/* The whole part of a number >= 0. */
			for (i = 0; i < vn && v[i] >= '0' && v[i] <= '9' &&
			    id->seq < ULLONG_MAX / 10; i++)
				id->seq = id->seq * 10 +
				    (unsigned long long)(v[i] - '0');
			id->seq_whole = i == vn && vn <= 16 && v[0] != '0';
		} else if (kr_jr_skip(&j) == -1) {
			return;
		}
	}
}

static void
gap_field(char *have, int *mixed, int first, const char *v)
{
	if (*mixed || *v == '\0')
		return;
	if (first || *have == '\0')
		memcpy(have, v, strlen(v) + 1);
	else if (strcmp(have, v) != 0)
		*mixed = 1;
}

/* Counts one dropped record (rec may be NULL: its bytes are gone). */
static void
gap_add(struct batcher *b, const char *rec, size_t len, const char *reason)
{
	struct gap *g = &b->gap;
	int first = g->count == 0;
	struct rec_ids id = { "", "", 0, 0 };
	unsigned long long seq;

	if (rec != NULL)
		rec_ids(rec, len, &id);
	seq = id.seq;

	if (first) {
		memset(g, 0, sizeof *g);
		g->reason = reason;
	}
	g->count++;
	b->dropped++;
	gap_field(g->task, &g->mixed_task, first, id.task);
	gap_field(g->run, &g->mixed_run, first, id.run);
	if (seq != 0 && !g->mixed_seq) {
		if (g->from == 0)
			g->from = g->to = seq;
		else if (seq > g->to)
			g->to = seq;
		else
			g->mixed_seq = 1;
	}
}

/* Writes the pending gap record into the queue. */
static void
gap_flush(struct batcher *b, long long now)
{
	struct gap *g = &b->gap;
	const char *task, *run;
	int seqs;

	if (g->count == 0)
		return;
	task = !g->mixed_task && g->task[0] ? g->task : b->o->task_id;
	run = !g->mixed_run && g->run[0] ? g->run : NULL;
	/* A seq range means something within one run only. */
	seqs = !g->mixed_run && !g->mixed_seq;
	b->gapbuf.len = 0;
	if (kr_rec_gap(&b->gapbuf, task, run, g->count, g->reason,
	    seqs ? g->from : 0, seqs ? g->to : 0) == -1)
		nomem();
	q_push(b, b->gapbuf.s, b->gapbuf.len - 1, now);
	g->count = 0;
}

/*
 * A record of len bytes too big for a batch: reported by a gap record.
 * rec[0..reclen) is what is left of it (rec may be NULL).
 */
static void
size_drop(struct batcher *b, const char *rec, size_t reclen, size_t len,
    long long now)
{
	b->oversize++;
	if (kr_ratelimit_ok(&b->warn_rl))
		kr_warn("line %llu: %zu bytes do not fit in a batch of %zu "
		    "bytes: reported as a gap", b->lineno, len,
		    b->o->max_bytes);
	gap_add(b, rec, reclen, "size");
	if (has_room(b) || !b->o->drop)
		gap_flush(b, now);
}

/* One record for the queue: kept when there is room, else dropped. */
static void
admit(struct batcher *b, const char *rec, size_t len, long long now)
{
	if (b->gap.count > 0 && has_room(b))
		gap_flush(b, now);
	if (len + 3 > b->o->max_bytes) {
		size_drop(b, rec, len, len, now);
		return;
	}
	if (b->o->drop && !has_room(b)) {
		gap_add(b, rec, len, b->rate_held ? "rate" : "buffer");
		return;
	}
	q_push(b, rec, len, now);
}

/*
 * Whether s[0..n) is one JSON object as keruta(7) has a record: a record
 * that can go on verbatim.
 */
static int
json_object(const char *s, size_t n)
{
	return n > 0 && *s == '{' && kr_jr_valid(s, n, 0) == 0;
}

/* A line that is not a record: carried as a malformed one. */
static void
wrap(struct batcher *b, const char *line, size_t len, long long now)
{
	b->malformed++;
	if (kr_ratelimit_ok(&b->warn_rl))
		kr_warn("line %llu: not a JSON record (%zu bytes): forwarded "
		    "as a malformed record", b->lineno, len);
	b->scratch.len = 0;
	if (kr_rec_wrap(&b->scratch, line, len, b->o->task_id) == -1) {
		if (errno != ENOBUFS)
			nomem();
		if (b->gap.count > 0 && has_room(b))
			gap_flush(b, now);
		size_drop(b, NULL, 0, len, now);
		return;
	}
	admit(b, b->scratch.s, b->scratch.len - 1, now);
}

/*
 * A line holding a JSON array: its records are batched anew. Anything
 * else (a value not an object, bytes after the array, white space that
 * JSON does not allow) makes the whole line one malformed record, so
 * that nothing of it is lost; a record of the array that is not UTF-8
 * is wrapped alone.
 */
static void
split_batch(struct batcher *b, const char *line, size_t len,
    const char *orig, size_t olen, long long now)
{
	const int fl = KR_JR_BATCH | KR_JR_UTF8_OK;
	struct kr_jr j;
	const char *p;
	int n = 0, r;

	kr_jr_init(&j, line, len, fl);
	if (kr_jr_enter(&j) == -1)
		r = -1;
	else
		while ((r = kr_jr_elem(&j, &n)) == 1)
			if (kr_jr_peek(&j) != KR_JR_OBJECT ||
			    kr_jr_skip(&j) == -1) {
				r = -1;
				break;
			}
	if (r == -1 || kr_jr_end(&j) == -1) {
		wrap(b, orig, olen, now);
		return;
	}
	/* Valid JSON of objects: each goes on, or is wrapped, alone. */
	kr_jr_init(&j, line, len, fl);
	(void)kr_jr_enter(&j);
	n = 0;
	while (kr_jr_elem(&j, &n) == 1) {
		p = j.p;
		(void)kr_jr_skip(&j);
		if (kr_utf8_valid(p, (size_t)(j.p - p)) == (size_t)(j.p - p))
			admit(b, p, (size_t)(j.p - p), now);
		else
			wrap(b, p, (size_t)(j.p - p), now);
	}
}

static void
take_line(struct batcher *b, const char *line, size_t len, long long now)
{
	const char *s = line, *e = line + len;

	b->lineno++;
	/* An empty line carries nothing; blanks alone are text. */
	if (len == 0 || (len == 1 && *line == '\r'))
		return;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (s == e)
		wrap(b, line, len, now);
	else if (e[-1] == '}' && json_object(s, (size_t)(e - s)))
		admit(b, s, (size_t)(e - s), now);
	else if (*s == '[' && e[-1] == ']')
		split_batch(b, s, (size_t)(e - s), line, len, now);
	else
		wrap(b, line, len, now);
}

static void
refill_tokens(struct batcher *b, long long now)
{
	if (b->o->rate <= 0)
		return;
	b->tokens += (double)(now - b->tok_t) * b->o->rate / 1e9;
	if (b->tokens > b->o->rate)
		b->tokens = b->o->rate;
	b->tok_t = now;
}

/*
 * --last: the seq and runId of the last of the first k held records
 * (body bytes) that has a seq, read backwards from the last: most often
 * one record is read a batch.
 */
static void
note_last(struct batcher *b, size_t k, size_t body)
{
	size_t end = b->qoff + body, i = k;
	struct rec_ids id;

	while (i-- > 0) {
		size_t len = b->q[(b->qhead + i) % b->qcap].len;

		end -= len + 1;
		rec_ids(b->qb.s + end, len, &id);
		if (id.seq_whole) {
			b->last_seq = id.seq;
			snprintf(b->last_run, sizeof b->last_run, "%s",
			    id.run[0] ? id.run : "-");
			return;
		}
	}
}

/*
 * The first k held records (body bytes, their newlines counted) out as
 * one batch, a JSON array on a line; the queue moves on.
 */
static void
emit_batch(struct batcher *b, size_t k, size_t body)
{
	if (b->obn == b->obcap) {
		size_t cap = b->obcap ? b->obcap * 2 : 64, n;
		struct oent *nb;

		if ((nb = malloc(cap * sizeof *nb)) == NULL)
			nomem();
		for (n = 0; n < b->obn; n++)
			nb[n] = b->ob[(b->obhead + n) % b->obcap];
		free(b->ob);
		b->ob = nb;
		b->obcap = cap;
		b->obhead = 0;
	}
	if (b->o->last != NULL)
		note_last(b, k, body);
	if (kr_buf_reserve(&b->out, body + 2) == -1)
		nomem();
	b->out.s[b->out.len] = '[';
	memcpy(b->out.s + b->out.len + 1, b->qb.s + b->qoff, body);
	b->out.len += body + 1;
	b->out.s[b->out.len - 1] = ']';
	b->out.s[b->out.len++] = '\n';
	b->out.s[b->out.len] = '\0';
	b->ob[(b->obhead + b->obn) % b->obcap].end = b->obase + b->out.len;
	b->ob[(b->obhead + b->obn) % b->obcap].n = k;
	b->obn++;
	b->orecs += k;
	b->qoff += body;
	b->qbytes -= body - k;
	b->qhead = (b->qhead + k) % b->qcap;
	b->qn -= k;
	if (b->qn == 0) {
		b->qb.len = b->qoff = 0;
		b->qhead = 0;
	} else if (b->qoff >= (1u << 20) && b->qoff >= b->qb.len / 2) {
		kr_buf_consume(&b->qb, b->qoff);
		b->qoff = 0;
	}
}

/*
 * Moves batches from the queue to the output buffer while they are due.
 * Returns the time at which the next one falls due (LLONG_MAX: none).
 */
static long long
form_batches(struct batcher *b, long long now)
{
	const struct batch_opts *o = b->o;

	while (b->qn > 0 && b->out.len - b->ooff < OUT_HIGH) {
		size_t k = 0, bytes = 1, body = 0, i, need;
		const struct qent *h;
		long long due = LLONG_MAX, t;

		if (b->gap.count > 0 && has_room(b))
			gap_flush(b, now);
		h = &b->q[b->qhead];
		if (!(b->qn >= o->batch_size || !has_room(b) ||
		    b->qbytes + b->qn + 2 > o->max_bytes || b->in_done)) {
			due = h->t + o->flush_ms * 1000000LL;
			t = b->last_in + o->linger_ms * 1000000LL;
			if (t < due)
				due = t;
			if (due > now)
				return due;
		}
		for (i = 0; i < b->qn && k < o->batch_size; i++) {
			size_t l = b->q[(b->qhead + i) % b->qcap].len;

			if (bytes + l + (k > 0) + 2 > o->max_bytes)
				break;
			bytes += l + (k > 0);
			body += l + 1;
			k++;
		}
		if (k == 0)
			kr_die(KR_EX_BUG, "a held record of %zu bytes does not "
			    "fit in a batch", h->len);
		if (o->rate > 0) {
			need = k < (size_t)o->rate ? k : (size_t)o->rate;
			if (need == 0)
				need = 1;
			if (b->tokens < (double)need) {
				b->rate_held = 1;
				return b->tok_t + (long long)(((double)need -
				    b->tokens) * 1e9 / o->rate) + 1;
			}
			if ((double)k > b->tokens) {
				/* Fewer records: recount the body. */
				k = (size_t)b->tokens;
				for (i = 0, body = 0; i < k; i++)
					body += b->q[(b->qhead + i) %
					    b->qcap].len + 1;
			}
			b->tokens -= (double)k;
		}
		b->rate_held = 0;
		emit_batch(b, k, body);
	}
	if (b->gap.count > 0 && has_room(b))
		gap_flush(b, now);
	return b->qn > 0 && b->out.len - b->ooff < OUT_HIGH ? now : LLONG_MAX;
}

/* Records read but not delivered: held, and whole lines not yet taken. */
static unsigned long long
undelivered(const struct batcher *b)
{
	unsigned long long n = held(b);
	const char *p, *e;

	if (b->lr.b.s == NULL)
		return n;
	p = b->lr.b.s + b->lr.off;
	e = b->lr.b.s + b->lr.b.len;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

static void
batcher_free(struct batcher *b)
{
	kr_lr_free(&b->lr);
	kr_buf_free(&b->qb);
	kr_buf_free(&b->out);
	kr_buf_free(&b->scratch);
	kr_buf_free(&b->gapbuf);
	free(b->q);
	free(b->ob);
	sig_wfd = -1;
	close(b->sigfd[0]);
	close(b->sigfd[1]);
	(void)kr_set_nonblock(1, 0);
}

static void KR_NORETURN
fail(struct batcher *b, int err, const char *what)
{
	unsigned long long n = undelivered(b) + (b->gap.count > 0);

	batcher_free(b);
	kr_die(KR_EX_TEMP, "%s%s%s: %llu record%s not delivered", what,
	    err ? ": " : "", err ? strerror(err) : "", n, n == 1 ? "" : "s");
}

/* Writes what stdout takes now. */
static void
flush_out(struct batcher *b)
{
	ssize_t w;

	while (!b->out_blocked && b->ooff < b->out.len) {
		w = write_some(1, b->out.s + b->ooff, b->out.len - b->ooff);
		if (w == -1) {
			if (errno == EAGAIN) {
				/* Until poll() says stdout takes more. */
				b->out_blocked = 1;
				break;
			}
			fail(b, errno, "unable to write to stdout");
		}
		b->ooff += (size_t)w;
		while (b->obn > 0 && b->ob[b->obhead].end <= b->obase +
		    b->ooff) {
			b->orecs -= b->ob[b->obhead].n;
			b->obhead = (b->obhead + 1) % b->obcap;
			b->obn--;
		}
	}
	if (b->ooff == b->out.len) {
		b->obase += b->ooff;
		b->out.len = b->ooff = 0;
	} else if (b->ooff >= OUT_HIGH && b->ooff >= b->out.len / 2) {
		b->obase += b->ooff;
		kr_buf_consume(&b->out, b->ooff);
		b->ooff = 0;
	}
}

/*
 * kr_lr_next, keeping the head of a line that is about to be skipped as
 * over-long: it tells the gap record the line's seq, taskId and runId.
 */
static enum kr_lr_kind
next_line(struct batcher *b, const char **line, size_t *len)
{
	struct kr_lr *lr = &b->lr;
	struct kr_jr j;
	const char *p;
	size_t avail;

	if (lr->b.s != NULL && lr->skipped == 0) {
		avail = lr->b.len - lr->off;
		p = lr->b.s + lr->off;
		if (avail > lr->max && memchr(p, '\n', lr->max + 1) == NULL) {
			b->headlen = 0;
			kr_jr_init(&j, p, avail, 0);
			if (kr_jr_peek(&j) == KR_JR_OBJECT) {
				b->headlen = sizeof b->head;
				memcpy(b->head, p, b->headlen);
			}
		}
	}
	return kr_lr_next(lr, line, len);
}

/* Takes buffered input lines while there is room; 1 when more are needed. */
static int
take_input(struct batcher *b, long long now)
{
	const char *line;
	size_t len;

	if (b->in_done)
		return 0;
	for (;;) {
		if (!has_room(b)) {
			if (!b->o->drop)
				return 0;
			/* Drop only what cannot leave now. */
			(void)form_batches(b, now);
			flush_out(b);
		}
		switch (next_line(b, &line, &len)) {
		case KR_LR_NONE:
			return 1;
		case KR_LR_LINE:
		case KR_LR_LAST:
			take_line(b, line, len, now);
			break;
		case KR_LR_OVERSIZE:
			b->lineno++;
			if (b->gap.count > 0 && has_room(b))
				gap_flush(b, now);
			size_drop(b, b->headlen ? b->head : NULL, b->headlen,
			    len, now);
			b->headlen = 0;
			break;
		case KR_LR_EOF:
			b->in_done = 1;
			return 0;
		}
	}
}

/* The batcher's buffers and clock, and the signals it answers. */
static void
batcher_init(struct batcher *b, const struct batch_opts *o)
{
	struct sigaction sa;

	memset(b, 0, sizeof *b);
	b->o = o;
	kr_pipe_grow(0);
	kr_lr_init(&b->lr, 0, o->max_bytes);
	kr_buf_init(&b->qb, SIZE_MAX / 4);
	kr_buf_init(&b->out, SIZE_MAX / 4);
	kr_buf_init(&b->scratch, o->max_bytes + 4096);
	kr_buf_init(&b->gapbuf, 4096 + (o->task_id != NULL ?
	    6 * strlen(o->task_id) : 0));
	b->warn_rl = (struct kr_ratelimit)KR_RATELIMIT_INIT(10, 10);
	b->tokens = o->rate;
	b->tok_t = b->last_in = kr_mono_ns();
	if (pipe(b->sigfd) == -1)
		kr_diesys(KR_EX_TEMP, "unable to create a pipe");
	kr_set_nonblock(b->sigfd[0], 1);
	kr_set_nonblock(b->sigfd[1], 1);
	kr_set_cloexec(b->sigfd[0]);
	kr_set_cloexec(b->sigfd[1]);
	sig_wfd = b->sigfd[1];
	kr_ignore_sigpipe();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (kr_set_nonblock(1, 1) == -1)
		kr_diesys(KR_EX_TEMP, "unable to set stdout non-blocking");
}

/*
 * Waits until due (LLONG_MAX: for ever) for stdin (when want_in), room
 * on stdout (when something waits to go) or a signal; reads what came.
 * KR_EX_OK, or KR_EX_TEMP when stdin failed.
 */
static int
wait_io(struct batcher *b, int want_in, long long due, long long now)
{
	struct pollfd pfd[3];
	int nfd = 0, timeout, in_i = -1, out_i = -1;

	pfd[nfd].fd = b->sigfd[0];
	pfd[nfd++].events = POLLIN;
	if (want_in && !b->in_done && !b->lr.eof) {
		in_i = nfd;
		pfd[nfd].fd = 0;
		pfd[nfd++].events = POLLIN;
	}
	if (b->ooff < b->out.len) {
		out_i = nfd;
		pfd[nfd].fd = 1;
		pfd[nfd++].events = POLLOUT;
	}
	if (due == LLONG_MAX)
		timeout = -1;
	else if (due <= now)
		timeout = 0;
	else
		timeout = (int)((due - now + 999999) / 1000000);
	if (poll(pfd, (nfds_t)nfd, timeout) == -1) {
		if (errno == EINTR)
			return KR_EX_OK;
		fail(b, errno, "poll");
	}
	if (pfd[0].revents) {
		char sink[64];

		while (kr_read(b->sigfd[0], sink, sizeof sink) > 0)
			continue;
	}
	if (out_i >= 0 && pfd[out_i].revents)
		b->out_blocked = 0;
	if (in_i >= 0 && pfd[in_i].revents) {
		ssize_t r = kr_lr_fill(&b->lr);

		if (r > 0) {
			b->last_in = kr_mono_ns();
		} else if (r == -1 && errno != EAGAIN) {
			kr_warnsys("unable to read stdin");
			b->lr.eof = 1;
			return KR_EX_TEMP;
		}
	}
	return KR_EX_OK;
}

static int
run(const struct batch_opts *o)
{
	struct batcher b;
	int rc = KR_EX_OK, signals = 0;
	long long stop_t = 0, stop_dl = LLONG_MAX;

	batcher_init(&b, o);
	for (;;) {
		long long now = kr_mono_ns(), due;
		int want_in, progress;

		if (got_signal) {
			got_signal = 0;
			if (++signals > 1)
				fail(&b, 0, "interrupted twice");
			kr_info("signal: writing what is held, then exiting");
			stop_t = now;
		}
		if (stop_t != 0 && !b.lr.eof) {
			/*
			 * Stages before this one flush on the same signal:
			 * read on until stdin is quiet, for a while at most.
			 */
			stop_dl = (stop_t > b.last_in ? stop_t : b.last_in) +
			    STOP_QUIET;
			if (stop_dl > stop_t + STOP_MAX)
				stop_dl = stop_t + STOP_MAX;
			if (now >= stop_dl)
				b.lr.eof = 1;
		}
		/* Until stdout stops taking what is formed. */
		do {
			unsigned long long before = b.obase + b.ooff;

			refill_tokens(&b, now);
			want_in = take_input(&b, now);
			due = form_batches(&b, now);
			flush_out(&b);
			progress = b.obase + b.ooff != before;
		} while (progress);
		if (b.in_done && b.qn == 0 && b.out.len == 0 &&
		    b.gap.count == 0)
			break;
		if (stop_t != 0 && !b.lr.eof && stop_dl < due)
			due = stop_dl;
		if (wait_io(&b, want_in, due, now) != KR_EX_OK)
			rc = KR_EX_TEMP;
	}
	if (b.malformed > 0)
		kr_info("%llu malformed lines forwarded", b.malformed);
	if (b.dropped > 0)
		kr_info("%llu records dropped, all reported by gap records",
		    b.dropped);
	if (o->last != NULL && b.last_seq > 0 &&
	    kr_rec_last_write(o->last, b.last_seq, b.last_run) == -1)
		rc = KR_EX_TEMP;
	batcher_free(&b);
	return rc;
}

/* The options into a; exits on bad usage. */
static void
parse_args(int argc, char *argv[], struct batch_args *a)
{
	const char *config = NULL;
	char err[512];
	int ch;

	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		if (ch == 'c')
			config = optarg;
		else if (ch >= 0 && ch < KR_O_KEY)
			a->flag[ch] = optarg;
	}
	if (optind != argc)
		kr_set_usage(TOOL);
	if ((a->cfg = kr_cfg_load(config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
}

/* The settings, checked, into o. */
static void
settle(const struct batch_args *a, struct batch_opts *o)
{
	const char *v;

	o->batch_size = (size_t)setting_ll(a, 'b', 1, 1000000);
	o->buffer_size = (size_t)setting_ll(a, 'B', 1, 10000000);
	o->flush_ms = setting_ms(a, 'i');
	o->linger_ms = setting_ms(a, KR_O_LINGER);
	if (kr_parse_size(setting_get(a, 'm'), 1024, KR_REC_MAX,
	    &o->max_bytes) == -1)
		setting_bad(a, 'm');
	o->buffer_bytes = BUFFER_BYTES > 2 * o->max_bytes ? BUFFER_BYTES :
	    2 * o->max_bytes;
	o->rate = (double)setting_ll(a, KR_O_RATE, 0, 1000000000);
	v = setting_get(a, 'w');
	if (strcmp(v, "drop") == 0)
		o->drop = 1;
	else if (strcmp(v, "block") != 0)
		setting_bad(a, 'w');
	o->task_id = setting_get(a, 't');
	o->last = setting_get(a, KR_O_LAST);
}

int
main(int argc, char *argv[])
{
	/* Static: the configuration stays reachable when a setting is bad. */
	static struct batch_args a;
	struct batch_opts o;

	kr_diag_init("keruta-batch");
	memset(&o, 0, sizeof o);
	parse_args(argc, argv, &a);
	settle(&a, &o);
	kr_cfg_free(a.cfg);
	return run(&o);
}
