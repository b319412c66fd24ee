/* rec.c: records in (validation into a batch) and out (JSON, CSV, text). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_jr.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_time.h"
#include "rec.h"

#define SEQ_MAX 9007199254740991.0	/* 2^53 - 1: exact in a double */

void
err_set(struct srv_err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	kr_buf_init(&b->arena, (size_t)1 << 31);
	kr_buf_init(&b->key, (size_t)1 << 31);
	kr_buf_init(&b->xtra, (size_t)1 << 31);
	batch_reset(b);
}

void
batch_reset(struct batch *b)
{
	b->n = 0;
	b->nbad = 0;
	b->arena.len = 0;
	/* Offset 0 means "none", so the arena never hands it out. */
	kr_buf_addc(&b->arena, 0);
}

void
batch_free(struct batch *b)
{
	free(b->rows);
	b->rows = NULL;
	b->n = b->cap = 0;
	kr_buf_free(&b->arena);
	kr_buf_free(&b->key);
	kr_buf_free(&b->xtra);
}

/* ---- records, read with lib's kr_jr ---- */

/*
 * A body is UTF-8 (checked first) without raw NUL bytes; other control
 * bytes in its strings are taken, and kept escaped.
 */
#define RD_FLAGS (KR_JR_CTRL | KR_JR_UTF8_OK | KR_JR_BATCH)

struct recp {
	struct batch *b;
	struct row *r;
	size_t idx;
	struct srv_err *e;
	int bad;		/* a field was refused; e says why */
	int nomem;
	int has_msg, has_src, has_ts;
	const char *meta, *meta_end;	/* the metadata object's text */
};

static void
refuse(struct recp *rp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
refuse(struct recp *rp, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rp->bad)
		return;
	rp->bad = 1;
	rp->e->status = status;
	rp->e->code = code;
	n = snprintf(rp->e->msg, sizeof rp->e->msg, "record %zu: ", rp->idx);
	va_start(ap, fmt);
	vsnprintf(rp->e->msg + n, sizeof rp->e->msg - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * Decodes a string value into the arena: its offset; 0 when the value is
 * not a string (it is left unread), (size_t)-1 on bad JSON or no memory.
 */
static size_t
arena_str(struct kr_jr *j, struct recp *rp, size_t *len)
{
	struct kr_buf *a = &rp->b->arena;
	struct kr_jr_str s;
	size_t off = a->len;

	if (kr_jr_peek(j) != KR_JR_STRING)
		return 0;
	if (kr_jr_string(j, &s, 0) == -1)
		return (size_t)-1;
	/* Each string is followed by a NUL, for the C functions. */
	if (kr_jr_decode(a, &s) == -1 || kr_buf_addc(a, '\0') == -1) {
		rp->nomem = 1;
		return (size_t)-1;
	}
	*len = a->len - off - 1;
	return off;
}

/* 1 when the value is null (read), 0 when not, -1 on bad JSON. */
static int
is_null(struct kr_jr *j)
{
	if (kr_jr_peek(j) != KR_JR_NULL)
		return 0;
	return kr_jr_literal(j) == KR_JR_NULL ? 1 : -1;
}

/*
 * Each member of a record has a reader: it reads the value at j->p (or
 * refuses it, and skips it). 0, or -1 on bad JSON (or no memory).
 */
static int
m_message(struct kr_jr *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0) {
		refuse(rp, 400, "BAD_RECORD", "message must be a string");
		return kr_jr_skip(j);
	}
	if (!rp->has_msg) {
		rp->r->o_msg = off;
		rp->r->msglen = len;
		rp->has_msg = 1;
	}
	return 0;
}

static int
m_level(struct kr_jr *j, struct recp *rp)
{
	size_t off, len = 0;
	int lv;

	if ((lv = is_null(j)) != 0)
		return lv == 1 ? 0 : -1;
	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || (lv = kr_level_parse(rp->b->arena.s + off,
	    len)) < 0) {
		refuse(rp, 400, "INVALID_LEVEL", "level must be one of "
		    "TRACE, DEBUG, INFO, WARN, ERROR, FATAL");
		return off == 0 ? kr_jr_skip(j) : 0;
	}
	rp->r->level = lv;
	return 0;
}

/* source (src) or runId. */
static int
m_name(struct kr_jr *j, struct recp *rp, int src)
{
	size_t off, len = 0, max = src ? SRV_SOURCE_MAX : SRV_ID_MAX;
	int nl;

	if ((nl = is_null(j)) != 0)
		return nl == 1 ? 0 : -1;
	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || len == 0 || len > max) {
		refuse(rp, 400, "BAD_RECORD", "%s must be a string of 1 "
		    "to %zu bytes", src ? "source" : "runId", max);
		return off == 0 ? kr_jr_skip(j) : 0;
	}
	if (src) {
		rp->r->o_src = off;
		rp->r->srclen = len;
		rp->has_src = 1;
	} else {
		rp->r->o_run = off;
		rp->r->runlen = len;
	}
	return 0;
}

static int
m_seq(struct kr_jr *j, struct recp *rp)
{
	const char *s;
	size_t n;
	double d;
	int nl;

	if ((nl = is_null(j)) != 0)
		return nl == 1 ? 0 : -1;
	if (kr_jr_peek(j) != KR_JR_NUMBER) {
		refuse(rp, 400, "BAD_RECORD", "seq must be an integer "
		    "from 1 to 2^53-1");
		return kr_jr_skip(j);
	}
	if (kr_jr_number(j, &s, &n) == -1)
		return -1;
	d = kr_jr_double(s, n);
	if (d < 1 || d > SEQ_MAX || floor(d) != d)
		refuse(rp, 400, "BAD_RECORD", "seq must be an integer "
		    "from 1 to 2^53-1");
	else
		rp->r->seq = (long long)d;
	return 0;
}

static int
m_timestamp(struct kr_jr *j, struct recp *rp)
{
	size_t off, len = 0;
	int nl;

	if ((nl = is_null(j)) != 0)
		return nl == 1 ? 0 : -1;
	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || kr_ts_parse(rp->b->arena.s + off, len,
	    &rp->r->ts) == -1) {
		refuse(rp, 400, "INVALID_TIMESTAMP", "timestamp must "
		    "be an RFC 3339 time of the years 1678 to 2261");
		return off == 0 ? kr_jr_skip(j) : 0;
	}
	rp->r->o_ts = off;
	rp->r->tslen = len;
	rp->has_ts = 1;
	return 0;
}

static int
m_type(struct kr_jr *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || len != 3 || memcmp(rp->b->arena.s + off, "log",
	    3) != 0) {
		refuse(rp, 400, "BAD_RECORD", "type must be \"log\"");
		return off == 0 ? kr_jr_skip(j) : 0;
	}
	return 0;
}

static int
m_task(struct kr_jr *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp, &len)) == (size_t)-1)
		return -1;
	if (off == 0)
		return kr_jr_skip(j);
	rp->r->o_task = off;
	rp->r->tasklen = len;
	return 0;
}

/* Any other member is kept as it came, compact. */
static int
m_other(struct kr_jr *j, struct recp *rp, const struct kr_jr_str *k)
{
	struct kr_buf *x = &rp->b->xtra;
	enum kr_jr_type t = kr_jr_peek(j);
	const char *meta = NULL;

	if (KR_JR_IS(k, "metadata") && t != KR_JR_NULL && t != KR_JR_NONE) {
		if (t != KR_JR_OBJECT) {
			refuse(rp, 400, "BAD_RECORD",
			    "metadata must be an object");
			return kr_jr_skip(j);
		}
		if (rp->meta == NULL)
			meta = rp->meta = j->p;
	}
	if ((x->len > 0 && kr_buf_addc(x, ',') == -1) ||
	    kr_jr_str_json(x, k) == -1 || kr_buf_addc(x, ':') == -1) {
		rp->nomem = 1;
		return -1;
	}
	if (kr_jr_copy(j, x) == -1) {
		rp->nomem = j->err == KR_JR_ENOMEM;
		return -1;
	}
	if (meta != NULL)
		rp->meta_end = j->p;
	return 0;
}

static int
rec_member(struct kr_jr *j, const struct kr_jr_str *k, struct recp *rp)
{
	if (KR_JR_IS(k, "message"))
		return m_message(j, rp);
	if (KR_JR_IS(k, "level"))
		return m_level(j, rp);
	if (KR_JR_IS(k, "source"))
		return m_name(j, rp, 1);
	if (KR_JR_IS(k, "runId"))
		return m_name(j, rp, 0);
	if (KR_JR_IS(k, "seq"))
		return m_seq(j, rp);
	if (KR_JR_IS(k, "timestamp"))
		return m_timestamp(j, rp);
	if (KR_JR_IS(k, "type"))
		return m_type(j, rp);
	if (KR_JR_IS(k, "taskId"))
		return m_task(j, rp);
	if (KR_JR_IS(k, "id"))
		return kr_jr_skip(j);	/* the server's own */
	return m_other(j, rp, k);
}

/* An agent record's metadata: its event, and the exit code of an exit. */
static void
meta_scan(struct batch *b, struct row *r, const char *s, const char *e)
{
	struct kr_jr j;
	struct kr_jr_str k, v;
	const char *num;
	size_t numlen;
	long long code = -1;
	int n = 0, rc, event = 0;

	kr_jr_init(&j, s, (size_t)(e - s), RD_FLAGS);
	if (kr_jr_enter(&j) == -1)
		return;
	while ((rc = kr_jr_member(&j, &n, &k)) == 1) {
		if (KR_JR_IS(&k, "event") && kr_jr_peek(&j) == KR_JR_STRING) {
			b->key.len = 0;
			if (kr_jr_string(&j, &v, 0) == -1 ||
			    kr_jr_decode(&b->key, &v) == -1)
				return;
			if (b->key.len == 5 &&
			    memcmp(b->key.s, "start", 5) == 0)
				event = EV_START;
			else if (b->key.len == 4 &&
			    memcmp(b->key.s, "exit", 4) == 0)
				event = EV_EXIT;
		} else if (KR_JR_IS(&k, "exitCode") &&
		    kr_jr_peek(&j) == KR_JR_NUMBER) {
			if (kr_jr_number(&j, &num, &numlen) == -1)
				return;
			code = (long long)kr_jr_double(num, numlen);
		} else if (kr_jr_skip(&j) == -1) {
			return;
		}
	}
	if (rc == 0) {
		r->event = event;
		r->exit_code = event == EV_EXIT ? code : 0;
	}
}

static struct row *
row_new(struct batch *b)
{
	struct row *r;

	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		struct row *nr = realloc(b->rows, nc * sizeof *nr);

		if (nr == NULL)
			return NULL;
		b->rows = nr;
		b->cap = nc;
	}
	r = &b->rows[b->n];
	memset(r, 0, sizeof *r);
	r->level = KR_INFO;
	return r;
}

static int
arena_add(struct batch *b, const char *s, size_t n, size_t *off)
{
	*off = b->arena.len;
	if (kr_buf_add(&b->arena, s, n) == -1 ||
	    kr_buf_addc(&b->arena, '\0') == -1)
		return -1;
	return 0;
}

/* Reads the members of the record at j->p: 0, or -1 on bad JSON. */
static int
rec_members(struct kr_jr *j, struct recp *rp)
{
	struct kr_jr_str k;
	int n = 0, rc;

	if (kr_jr_peek(j) != KR_JR_OBJECT && j->p < j->end) {
		if (kr_jr_skip(j) == -1)
			return -1;
		refuse(rp, 400, "BAD_RECORD", "not a JSON object");
		return 0;
	}
	if (kr_jr_enter(j) == -1)
		return -1;
	while ((rc = kr_jr_member(j, &n, &k)) == 1)
		if (rec_member(j, &k, rp) == -1)
			return -1;
	return rc;
}

/* What a record lacks: its source and its time. */
static void
rec_defaults(struct batch *b, struct row *r, struct recp *rp)
{
	char ts[KR_TS_LEN + 1];

	if (!rp->has_src) {
		if (arena_add(b, "task", 4, &r->o_src) == -1)
			rp->nomem = 1;
		r->srclen = 4;
	}
	if (!rp->has_ts) {
		kr_ts_now(ts);
		kr_ts_parse(ts, KR_TS_LEN, &r->ts);
		if (arena_add(b, ts, KR_TS_LEN, &r->o_ts) == -1)
			rp->nomem = 1;
		r->tslen = KR_TS_LEN;
	}
}

/*
 * Reads the record at j->p into a new row. 0 when it is valid, 1 when it
 * was read but refused (e says why), -1 on bad JSON (or no memory, then
 * *nomem is set).
 */
static int
rec_parse(struct batch *b, struct kr_jr *j, size_t idx, struct srv_err *e,
    int *nomem)
{
	struct recp rp;
	struct row *r;

	if ((r = row_new(b)) == NULL) {
		*nomem = 1;
		return -1;
	}
	memset(&rp, 0, sizeof rp);
	rp.b = b;
	rp.r = r;
	rp.idx = idx;
	rp.e = e;
	b->xtra.len = 0;
	if (rec_members(j, &rp) == -1) {
		*nomem = rp.nomem;
		return -1;
	}
	if (!rp.has_msg)
		refuse(&rp, 400, "BAD_RECORD", "message is missing");
	rec_defaults(b, r, &rp);
	if (rp.meta != NULL && rp.meta_end != NULL && r->srclen == 5 &&
	    memcmp(b->arena.s + r->o_src, "agent", 5) == 0)
		meta_scan(b, r, rp.meta, rp.meta_end);
	if (b->xtra.len > 0) {
		if (arena_add(b, b->xtra.s, b->xtra.len, &r->o_extra) == -1)
			rp.nomem = 1;
		r->extralen = b->xtra.len;
	}
	if (!rp.bad || rp.nomem) {
		*nomem = rp.nomem;
		if (rp.nomem)
			return -1;
		b->n++;
		return 0;
	}
	b->n++;
	r->code = e->code;
	if (arena_add(b, e->msg, strlen(e->msg), &r->o_why) == -1) {
		*nomem = 1;
		return -1;
	}
	b->nbad++;
	return 1;
}

/* Reads a record or an array of records; -2 when it is neither. */
static int
top_value(struct batch *b, struct kr_jr *j, size_t *idx, int flags,
    struct srv_err *e, int *nomem)
{
	int rc, n = 0, r;

	switch (kr_jr_peek(j)) {
	case KR_JR_OBJECT:
		rc = rec_parse(b, j, (*idx)++, e, nomem);
		return rc == 1 && !(flags & BP_EACH) ? 1 : rc < 0 ? -1 : 0;
	case KR_JR_ARRAY:
		break;
	default:
		return j->p < j->end ? -2 : -1;
	}
	if (kr_jr_enter(j) == -1)
		return -1;
	while ((r = kr_jr_elem(j, &n)) == 1) {
		rc = rec_parse(b, j, (*idx)++, e, nomem);
		if (rc == -1)
			return -1;
		if (rc == 1 && !(flags & BP_EACH))
			return 1;
	}
	return r;
}

static void
batch_fix(struct batch *b)
{
	const char *a = b->arena.s;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct row *r = &b->rows[i];

		r->run = r->o_run ? a + r->o_run : NULL;
		r->tsstr = a + r->o_ts;
		r->source = a + r->o_src;
		r->msg = r->o_msg ? a + r->o_msg : "";
		r->extra = r->o_extra ? a + r->o_extra : NULL;
		r->task = r->o_task ? a + r->o_task : NULL;
		r->why = r->o_why ? a + r->o_why : NULL;
	}
}

/* A body of one JSON value: a record or an array of records. */
static int
body_json(struct batch *b, const char *s, size_t n, int flags, int *single,
    struct srv_err *e)
{
	struct kr_jr j, v;
	size_t idx = 0;
	int rc, nomem = 0;

	kr_jr_init(&j, s, n, RD_FLAGS);
	*single = kr_jr_peek(&j) == KR_JR_OBJECT;
	rc = top_value(b, &j, &idx, flags, e, &nomem);
	if (rc == 0 && kr_jr_end(&j) == -1)
		rc = -1;
	if (rc == -2) {
		v = j;
		if (kr_jr_skip(&v) == 0 && kr_jr_end(&v) == 0) {
			err_set(e, 400, "MALFORMED_REQUEST", "the body must "
			    "be a JSON object or array");
			return -1;
		}
		rc = -1;
	}
	if (rc == -1 && nomem)
		err_set(e, 413, "TOO_LARGE", "the body is too large");
	else if (rc == -1)
		err_set(e, 400, "MALFORMED_REQUEST",
		    "the body is not valid JSON");
	return rc == 0 ? 0 : -1;
}

/* An NDJSON body: a record or an array of records a line. */
static int
body_ndjson(struct batch *b, const char *s, size_t n, int flags,
    struct srv_err *e)
{
	const char *p, *nl, *end = s + n;
	size_t idx = 0, line = 0;
	struct kr_jr j;
	int rc, nomem;

	for (p = s; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		kr_jr_init(&j, p, (size_t)(nl - p), RD_FLAGS);
		if (kr_jr_peek(&j) == KR_JR_NONE && j.p == nl)
			continue;
		nomem = 0;
		rc = top_value(b, &j, &idx, flags, e, &nomem);
		if (rc == 0 && kr_jr_end(&j) == -1)
			rc = -1;
		if (rc == -1 && nomem)
			err_set(e, 413, "TOO_LARGE", "the body is too large");
		else if (rc < 0)
			err_set(e, 400, "MALFORMED_REQUEST",
			    "line %zu is not a JSON object or array", line);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
batch_parse(struct batch *b, const char *s, size_t n, int flags, int *single,
    struct srv_err *e)
{
	*single = 0;
	batch_reset(b);
	if (!(flags & BP_UTF8_OK) && kr_utf8_valid(s, n) != n) {
		err_set(e, 400, "INVALID_UTF8", "the body is not valid UTF-8");
		return -1;
	}
	if (memchr(s, '\0', n) != NULL) {
		err_set(e, 400, "MALFORMED_REQUEST", "a raw NUL byte is not "
		    "JSON (a NUL character is written \\u0000)");
		return -1;
	}
	if ((flags & BP_NDJSON ? body_ndjson(b, s, n, flags, e) :
	    body_json(b, s, n, flags, single, e)) == -1) {
		batch_reset(b);
		return -1;
	}
	batch_fix(b);
	return 0;
}

int
json_obj_str(const char *s, size_t n, const char *key, struct kr_buf *out)
{
	struct kr_jr j;
	struct kr_jr_str k, v;
	int m = 0, rc, found = 0;

	kr_jr_init(&j, s, n, KR_JR_CTRL | KR_JR_UTF8_OK);
	if (kr_jr_enter(&j) == -1)
		return -1;
	while ((rc = kr_jr_member(&j, &m, &k)) == 1) {
		if (found != 0 || !kr_jr_eq(&k, key)) {
			if (kr_jr_skip(&j) == -1)
				return -1;
		} else if (kr_jr_peek(&j) == KR_JR_STRING) {
			found = 1;
			out->len = 0;
			if (kr_jr_string(&j, &v, 0) == -1 ||
			    kr_jr_decode(out, &v) == -1)
				return -1;
		} else {
			found = 2;
			if (kr_jr_skip(&j) == -1)
				return -1;
		}
	}
	if (rc == -1 || kr_jr_end(&j) == -1)
		return -1;
	return found;
}

/* ---- output ---- */

int
parse_levels(const char *s, unsigned *mask)
{
	const char *p = s, *e;
	int lv, n = 0;
	unsigned m = 0;

	while (*p != '\0') {
		e = p + strcspn(p, ",");
		if (e > p) {
			if ((lv = kr_level_parse(p, (size_t)(e - p))) < 0)
				return -1;
			m |= 1u << lv;
			n++;
		}
		p = *e ? e + 1 : e;
	}
	if (n == 0)
		return -1;
	/* One level is a minimum; several are a list. */
	if (n == 1)
		m = ((1u << KR_NLEVELS) - 1) & ~(m - 1);
	*mask = m;
	return 0;
}

static int
same_run(const struct row *a, const struct row *b)
{
	return a->run != NULL && b->run != NULL && a->seq != 0 &&
	    b->seq != 0 && a->runlen == b->runlen &&
	    memcmp(a->run, b->run, a->runlen) == 0;
}

int
acks_json(struct kr_buf *out, const struct batch *b, const char *pre,
    const char *sep, const char *post)
{
	size_t i, j;
	int n = 0;

	for (i = 0; i < b->n; i++) {
		const struct row *r = &b->rows[i];
		long long max = r->seq;

		if (r->run == NULL || r->seq == 0)
			continue;
		for (j = 0; j < i; j++)
			if (same_run(&b->rows[j], r))
				break;
		if (j < i)
			continue;	/* this run was done already */
		for (j = i + 1; j < b->n; j++)
			if (same_run(&b->rows[j], r) && b->rows[j].seq > max)
				max = b->rows[j].seq;
		kr_buf_adds(out, n++ ? sep : "");
		kr_buf_adds(out, pre);
		json_str(out, r->run, r->runlen);
		kr_buf_printf(out, ",\"seq\":%lld%s", max, post);
	}
	return n;
}

int
json_str(struct kr_buf *b, const char *s, size_t n)
{
	if (kr_buf_addc(b, '"') == -1 || kr_json_escape_utf8(b, s, n) == -1)
		return -1;
	return kr_buf_addc(b, '"');
}

int
fmt_record(struct kr_buf *b, const struct srec *r)
{
	if (kr_buf_adds(b, "{\"id\":") == -1 ||
	    kr_buf_addi64(b, r->id) == -1 ||
	    kr_buf_adds(b, ",\"type\":\"log\",\"taskId\":") == -1 ||
	    json_str(b, r->task, r->tasklen) == -1)
		return -1;
	if (r->run != NULL && (kr_buf_adds(b, ",\"runId\":") == -1 ||
	    json_str(b, r->run, r->runlen) == -1))
		return -1;
	if (r->seq != 0 && (kr_buf_adds(b, ",\"seq\":") == -1 ||
	    kr_buf_addi64(b, r->seq) == -1))
		return -1;
	if (kr_buf_adds(b, ",\"timestamp\":") == -1 ||
	    json_str(b, r->ts, r->tslen) == -1 ||
	    kr_buf_adds(b, ",\"source\":") == -1 ||
	    json_str(b, r->source, r->srclen) == -1 ||
	    kr_buf_adds(b, ",\"level\":\"") == -1 ||
	    kr_buf_adds(b, kr_level_name(r->level)) == -1 ||
	    kr_buf_adds(b, "\",\"message\":") == -1 ||
	    json_str(b, r->msg, r->msglen) == -1)
		return -1;
	if (r->extralen > 0 && (kr_buf_addc(b, ',') == -1 ||
	    kr_buf_add(b, r->extra, r->extralen) == -1))
		return -1;
	return kr_buf_addc(b, '}');
}

int
fmt_row(struct kr_buf *b, const char *task, const struct row *r)
{
	if (kr_buf_adds(b, "{\"id\":") == -1 ||
	    kr_buf_addi64(b, r->id) == -1 ||
	    kr_buf_adds(b, ",\"type\":\"log\",\"taskId\":") == -1 ||
	    json_str(b, task, strlen(task)) == -1)
		return -1;
	if (r->run != NULL && (kr_buf_adds(b, ",\"runId\":") == -1 ||
	    json_str(b, r->run, r->runlen) == -1))
		return -1;
	if (r->seq != 0 && (kr_buf_adds(b, ",\"seq\":") == -1 ||
	    kr_buf_addi64(b, r->seq) == -1))
		return -1;
	if (kr_buf_adds(b, ",\"timestamp\":") == -1 ||
	    json_str(b, r->tsstr, r->tslen) == -1 ||
	    kr_buf_adds(b, ",\"source\":") == -1 ||
	    json_str(b, r->source, r->srclen) == -1 ||
	    kr_buf_adds(b, ",\"level\":\"") == -1 ||
	    kr_buf_adds(b, kr_level_name(r->level)) == -1 ||
	    kr_buf_adds(b, "\",\"message\":") == -1 ||
	    json_str(b, r->msg, r->msglen) == -1)
		return -1;
	if (r->extralen > 0 && (kr_buf_addc(b, ',') == -1 ||
	    kr_buf_add(b, r->extra, r->extralen) == -1))
		return -1;
	return kr_buf_addc(b, '}');
}

int
fmt_ndjson(struct kr_buf *b, const struct srec *r, int first, void *arg)
{
	(void)first;
	(void)arg;
	if (fmt_record(b, r) == -1)
		return -1;
	return kr_buf_addc(b, '\n');
}

int
fmt_jsonarr(struct kr_buf *b, const struct srec *r, int first, void *arg)
{
	(void)arg;
	if (!first && kr_buf_addc(b, ',') == -1)
		return -1;
	return fmt_record(b, r);
}

/*
 * One CSV cell. A cell that a spreadsheet would read as a formula (it
 * begins with =, +, -, @, a tab or a carriage return) gets a leading
 * single quote, inside quotes, as OWASP's advice on CSV injection has it:
 * the sheet then shows the text and runs nothing.
 */
static int
csv_field(struct kr_buf *b, const char *s, size_t n)
{
	size_t i;
	int formula = n > 0 && memchr("=+-@\t\r", s[0], 6) != NULL;

	if (!formula && strcspn(s, ",\"\r\n") >= n)
		return kr_buf_add(b, s, n);
	if (kr_buf_addc(b, '"') == -1 || (formula &&
	    kr_buf_addc(b, '\'') == -1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '"' && kr_buf_addc(b, '"') == -1)
			return -1;
		if (kr_buf_addc(b, s[i]) == -1)
			return -1;
	}
	return kr_buf_addc(b, '"');
}

/* A number cell; 0 is an empty one (no seq). */
static int
csv_num(struct kr_buf *b, long long v)
{
	char n[24];

	if (v == 0)
		return 0;
	snprintf(n, sizeof n, "%lld", v);
	return csv_field(b, n, strlen(n));
}

int
fmt_csv(struct kr_buf *b, const struct srec *r, int first, void *arg)
{
	(void)arg;
	(void)first;
	if (csv_num(b, r->id) == -1 || kr_buf_addc(b, ',') == -1 ||
	    csv_field(b, r->ts, r->tslen) == -1 ||
	    kr_buf_addc(b, ',') == -1 ||
	    csv_field(b, r->task, r->tasklen) == -1 ||
	    kr_buf_addc(b, ',') == -1 || (r->run != NULL &&
	    csv_field(b, r->run, r->runlen) == -1) ||
	    kr_buf_addc(b, ',') == -1 || csv_num(b, r->seq) == -1 ||
	    kr_buf_addc(b, ',') == -1 ||
	    csv_field(b, r->source, r->srclen) == -1 ||
	    kr_buf_addc(b, ',') == -1 ||
	    kr_buf_adds(b, kr_level_name(r->level)) == -1 ||
	    kr_buf_addc(b, ',') == -1 ||
	    csv_field(b, r->msg, r->msglen) == -1)
		return -1;
	return kr_buf_add(b, "\r\n", 2);
}

int
fmt_txt(struct kr_buf *b, const struct srec *r, int first, void *arg)
{
	(void)first;
	(void)arg;
	if (kr_buf_add(b, r->ts, r->tslen) == -1 ||
	    kr_buf_printf(b, " %-5s ", kr_level_name(r->level)) == -1 ||
	    kr_buf_add(b, r->source, r->srclen) == -1 ||
	    kr_buf_addc(b, ' ') == -1 ||
	    kr_buf_add(b, r->msg, r->msglen) == -1)
		return -1;
	return kr_buf_addc(b, '\n');
}
