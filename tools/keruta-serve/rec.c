/* rec.c: records in (validation into a batch) and out (JSON, CSV, text). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- a JSON reader that keeps string lengths ---- */

#define JP_DEPTH 512

struct jp {
	const char *p, *end;
	int depth;
	int nomem;
};

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* The 4 hex digits at p (at least 4 bytes before end), or -1. */
static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = kr_hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * The code point of the \u escape at p (p[0] == '\\', p[1] == 'u'), a
 * surrogate pair taken whole; *len gets the bytes it spans. -1 when bad.
 */
static long
uescape(const char *p, const char *end, size_t *len)
{
	long hi = hex4(p + 2, end), lo;

	if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
		return -1;
	*len = 6;
	if (hi < 0xd800 || hi > 0xdbff)
		return hi;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
	    (lo = hex4(p + 8, end)) < 0xdc00 || lo > 0xdfff)
		return -1;
	*len = 12;
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

static int
utf8_put(struct kr_buf *b, long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return kr_buf_add(b, u, n);
}

/*
 * Reads the string at j->p. With dec, its decoded bytes are appended
 * (\u0000 gives a NUL byte); with raw, its JSON text, control characters
 * escaped. 0, or -1 when it is not a valid string. Over 80 lines: one
 * case per escape.
 */
static int
jp_string(struct jp *j, struct kr_buf *dec, struct kr_buf *raw)
{
	const char *p, *run, *end = j->end;
	char two[2] = { '\\', 0 };
	long cp;
	size_t el;
	int c;

	if (j->p >= end || *j->p != '"')
		return -1;
	p = j->p + 1;
	if (raw != NULL && kr_buf_addc(raw, '"') == -1)
		goto nomem;
	for (;;) {
		run = p;
		while (p < end && *p != '"' && *p != '\\' &&
		    (unsigned char)*p >= 0x20)
			p++;
		if (p > run && ((dec != NULL && kr_buf_add(dec, run,
		    (size_t)(p - run)) == -1) || (raw != NULL &&
		    kr_buf_add(raw, run, (size_t)(p - run)) == -1)))
			goto nomem;
		if (p >= end || *p == '\0')
			return -1;
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20) {
			/* Not JSON, but taken: kept escaped. */
			if (dec != NULL && kr_buf_addc(dec, *p) == -1)
				goto nomem;
			if (raw != NULL && kr_buf_printf(raw, "\\u%04x",
			    (unsigned char)*p) == -1)
				goto nomem;
			p++;
			continue;
		}
		if (end - p < 2)
			return -1;
		c = (unsigned char)p[1];
		el = 2;
		switch (c) {
		case '"': case '\\': case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if ((cp = uescape(p, end, &el)) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (dec != NULL && utf8_put(dec, cp) == -1)
			goto nomem;
		if (raw != NULL) {
			two[1] = (char)c;
			if (kr_buf_add(raw, c == 'u' ? p : two, el) == -1)
				goto nomem;
		}
		p += el;
	}
	if (raw != NULL && kr_buf_addc(raw, '"') == -1)
		goto nomem;
	j->p = p + 1;
	return 0;
nomem:
	j->nomem = 1;
	return -1;
}

static int
jp_lit(struct jp *j, const char *w, struct kr_buf *raw)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	if (raw != NULL && kr_buf_add(raw, w, n) == -1) {
		j->nomem = 1;
		return -1;
	}
	j->p += n;
	return 0;
}

static int
digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

static int
jp_number(struct jp *j, struct kr_buf *raw)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (digits(j) == -1)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (digits(j) == -1)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j) == -1)
			return -1;
	}
	if (raw != NULL && kr_buf_add(raw, s, (size_t)(j->p - s)) == -1) {
		j->nomem = 1;
		return -1;
	}
	return 0;
}

/* Reads any value; with raw, appends it as compact JSON text. */
static int
jp_value(struct jp *j, struct kr_buf *raw)
{
	char close;
	int n = 0;

	jp_ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '"':
		return jp_string(j, NULL, raw);
	case 't':
		return jp_lit(j, "true", raw);
	case 'f':
		return jp_lit(j, "false", raw);
	case 'n':
		return jp_lit(j, "null", raw);
	case '{':
	case '[':
		break;
	default:
		return jp_number(j, raw);
	}
	close = *j->p == '{' ? '}' : ']';
	if (++j->depth > JP_DEPTH)
		return -1;
	if (raw != NULL && kr_buf_addc(raw, *j->p) == -1)
		goto nomem;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close)
		goto done;
	for (;;) {
		if (n++ > 0 && raw != NULL && kr_buf_addc(raw, ',') == -1)
			goto nomem;
		if (close == '}') {
			jp_ws(j);
			if (jp_string(j, NULL, raw) == -1)
				return -1;
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
			if (raw != NULL && kr_buf_addc(raw, ':') == -1)
				goto nomem;
		}
		if (jp_value(j, raw) == -1)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close)
			break;
		return -1;
	}
done:
	if (raw != NULL && kr_buf_addc(raw, close) == -1)
		goto nomem;
	j->p++;
	j->depth--;
	return 0;
nomem:
	j->nomem = 1;
	return -1;
}

/* A number member as a double; -1 when the value is not a number. */
static int
jp_double(struct jp *j, double *v)
{
	const char *s;
	char buf[400];

	jp_ws(j);
	s = j->p;
	if (j->p >= j->end || !(*j->p == '-' || (*j->p >= '0' &&
	    *j->p <= '9')))
		return -1;
	if (jp_number(j, NULL) == -1 || (size_t)(j->p - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(j->p - s));
	buf[j->p - s] = '\0';
	*v = strtod(buf, NULL);
	return 0;
}

static int
is_key(const struct kr_buf *k, const char *name)
{
	size_t n = strlen(name);

	return k->len == n && memcmp(k->s, name, n) == 0;
}

/*
 * Walks the members of the object at j->p: for each one, calls fn with
 * the decoded key in key, j->p at the value; fn must read the value.
 * 0, or -1 on bad JSON (or when fn fails).
 */
typedef int (*member_fn)(struct jp *j, const struct kr_buf *key,
    const char *kstart, void *arg);

static int
jp_object(struct jp *j, struct kr_buf *key, member_fn fn, void *arg)
{
	const char *ks;

	jp_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return -1;
	if (++j->depth > JP_DEPTH)
		return -1;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(j);
		ks = j->p;
		key->len = 0;
		if (jp_string(j, key, NULL) == -1)
			return -1;
		jp_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return -1;
		j->p++;
		jp_ws(j);
		if (fn(j, key, ks, arg) == -1)
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}')
			break;
		return -1;
	}
	j->p++;
	j->depth--;
	return 0;
}

/* ---- records ---- */

struct recp {
	struct batch *b;
	struct row *r;
	size_t idx;
	struct srv_err *e;
	int bad;		/* a field was refused; e says why */
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

/* Decodes a string value into the arena: its offset, or 0 if not one. */
static size_t
arena_str(struct jp *j, struct batch *b, size_t *len)
{
	size_t off = b->arena.len;

	if (j->p >= j->end || *j->p != '"')
		return 0;
	if (jp_string(j, &b->arena, NULL) == -1)
		return (size_t)-1;
	*len = b->arena.len - off;
	/* Each string is followed by a NUL, for the C functions. */
	if (kr_buf_addc(&b->arena, '\0') == -1) {
		j->nomem = 1;
		return (size_t)-1;
	}
	return off;
}

static int
is_null(struct jp *j)
{
	return j->p < j->end && *j->p == 'n' && jp_lit(j, "null", NULL) == 0;
}

/*
 * Each member of a record has a reader: it reads the value at j->p (or
 * refuses it, and skips it). 0, or -1 on bad JSON (or no memory).
 */
static int
m_message(struct jp *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0) {
		refuse(rp, 400, "BAD_RECORD", "message must be a string");
		return jp_value(j, NULL);
	}
	if (!rp->has_msg) {
		rp->r->o_msg = off;
		rp->r->msglen = len;
		rp->has_msg = 1;
	}
	return 0;
}

static int
m_level(struct jp *j, struct recp *rp)
{
	size_t off, len = 0;
	int lv;

	if (is_null(j))
		return 0;
	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || (lv = kr_level_parse(rp->b->arena.s + off,
	    len)) < 0) {
		refuse(rp, 400, "INVALID_LEVEL", "level must be one of "
		    "TRACE, DEBUG, INFO, WARN, ERROR, FATAL");
		return off == 0 ? jp_value(j, NULL) : 0;
	}
	rp->r->level = lv;
	return 0;
}

/* source (src) or runId. */
static int
m_name(struct jp *j, struct recp *rp, int src)
{
	size_t off, len = 0, max = src ? SRV_SOURCE_MAX : SRV_ID_MAX;

	if (is_null(j))
		return 0;
	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || len == 0 || len > max) {
		refuse(rp, 400, "BAD_RECORD", "%s must be a string of 1 "
		    "to %zu bytes", src ? "source" : "runId", max);
		return off == 0 ? jp_value(j, NULL) : 0;
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
m_seq(struct jp *j, struct recp *rp)
{
	double d;

	if (is_null(j))
		return 0;
	if (jp_double(j, &d) == -1) {
		if (j->p < j->end && (*j->p == '-' || (*j->p >= '0' &&
		    *j->p <= '9')))
			return -1;	/* a bad number */
		refuse(rp, 400, "BAD_RECORD", "seq must be an integer "
		    "from 1 to 2^53-1");
		return jp_value(j, NULL);
	}
	if (d < 1 || d > SEQ_MAX || floor(d) != d)
		refuse(rp, 400, "BAD_RECORD", "seq must be an integer "
		    "from 1 to 2^53-1");
	else
		rp->r->seq = (long long)d;
	return 0;
}

static int
m_timestamp(struct jp *j, struct recp *rp)
{
	size_t off, len = 0;

	if (is_null(j))
		return 0;
	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || kr_ts_parse(rp->b->arena.s + off, len,
	    &rp->r->ts) == -1) {
		refuse(rp, 400, "INVALID_TIMESTAMP", "timestamp must "
		    "be an RFC 3339 time of the years 1678 to 2261");
		return off == 0 ? jp_value(j, NULL) : 0;
	}
	rp->r->o_ts = off;
	rp->r->tslen = len;
	rp->has_ts = 1;
	return 0;
}

static int
m_type(struct jp *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0 || len != 3 || memcmp(rp->b->arena.s + off, "log",
	    3) != 0) {
		refuse(rp, 400, "BAD_RECORD", "type must be \"log\"");
		return off == 0 ? jp_value(j, NULL) : 0;
	}
	return 0;
}

static int
m_task(struct jp *j, struct recp *rp)
{
	size_t off, len = 0;

	if ((off = arena_str(j, rp->b, &len)) == (size_t)-1)
		return -1;
	if (off == 0)
		return jp_value(j, NULL);
	rp->r->o_task = off;
	rp->r->tasklen = len;
	return 0;
}

/* Any other member is kept as it came, compact; ks is its key's text. */
static int
m_other(struct jp *j, struct recp *rp, const struct kr_buf *k,
    const char *ks)
{
	struct batch *b = rp->b;
	const char *meta = NULL;

	if (is_key(k, "metadata") && j->p < j->end && *j->p != 'n') {
		if (*j->p != '{') {
			refuse(rp, 400, "BAD_RECORD",
			    "metadata must be an object");
			return jp_value(j, NULL);
		}
		if (rp->meta == NULL)
			meta = rp->meta = j->p;
	}
	if (b->xtra.len > 0 && kr_buf_addc(&b->xtra, ',') == -1)
		goto nomem;
	{
		struct jp kj = { ks, j->end, 0, 0 };

		if (jp_string(&kj, NULL, &b->xtra) == -1 ||
		    kr_buf_addc(&b->xtra, ':') == -1)
			goto nomem;
	}
	if (jp_value(j, &b->xtra) == -1)
		return -1;
	if (meta != NULL)
		rp->meta_end = j->p;
	return 0;
nomem:
	j->nomem = 1;
	return -1;
}

static int
rec_member(struct jp *j, const struct kr_buf *k, const char *ks, void *arg)
{
	struct recp *rp = arg;

	if (is_key(k, "message"))
		return m_message(j, rp);
	if (is_key(k, "level"))
		return m_level(j, rp);
	if (is_key(k, "source") || is_key(k, "runId"))
		return m_name(j, rp, k->s[0] == 's');
	if (is_key(k, "seq"))
		return m_seq(j, rp);
	if (is_key(k, "timestamp"))
		return m_timestamp(j, rp);
	if (is_key(k, "type"))
		return m_type(j, rp);
	if (is_key(k, "taskId"))
		return m_task(j, rp);
	if (is_key(k, "id"))
		return jp_value(j, NULL);	/* the server's own */
	return m_other(j, rp, k, ks);
}

struct meta_scan {
	int event;
	long long exit_code;
	struct kr_buf *val;
};

static int
meta_member(struct jp *j, const struct kr_buf *k, const char *ks, void *arg)
{
	struct meta_scan *m = arg;
	double d;

	(void)ks;
	if (is_key(k, "event") && j->p < j->end && *j->p == '"') {
		m->val->len = 0;
		if (jp_string(j, m->val, NULL) == -1)
			return -1;
		if (m->val->len == 5 && memcmp(m->val->s, "start", 5) == 0)
			m->event = EV_START;
		else if (m->val->len == 4 && memcmp(m->val->s, "exit", 4) == 0)
			m->event = EV_EXIT;
		return 0;
	}
	if (is_key(k, "exitCode") && j->p < j->end && (*j->p == '-' ||
	    (*j->p >= '0' && *j->p <= '9'))) {
		if (jp_double(j, &d) == -1)
			return -1;
		m->exit_code = (long long)d;
		return 0;
	}
	return jp_value(j, NULL);
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

/*
 * Reads the record at j->p into a new row. 0 when it is valid, 1 when it
 * was read but refused (e says why), -1 on bad JSON (or no memory).
 */
static int
rec_parse(struct batch *b, struct jp *j, size_t idx, struct srv_err *e)
{
	struct recp rp;
	struct row *r;

	if ((r = row_new(b)) == NULL) {
		j->nomem = 1;
		return -1;
	}
	memset(&rp, 0, sizeof rp);
	rp.b = b;
	rp.r = r;
	rp.idx = idx;
	rp.e = e;
	b->xtra.len = 0;
	jp_ws(j);
	if (j->p < j->end && *j->p != '{') {
		if (jp_value(j, NULL) == -1)
			return -1;
		refuse(&rp, 400, "BAD_RECORD", "not a JSON object");
	} else if (jp_object(j, &b->key, rec_member, &rp) == -1)
		return -1;
	if (!rp.has_msg)
		refuse(&rp, 400, "BAD_RECORD", "message is missing");
	if (!rp.has_src) {
		if (arena_add(b, "task", 4, &r->o_src) == -1)
			j->nomem = 1;
		r->srclen = 4;
	}
	if (!rp.has_ts) {
		char ts[KR_TS_LEN + 1];

		kr_ts_now(ts);
		kr_ts_parse(ts, KR_TS_LEN, &r->ts);
		if (arena_add(b, ts, KR_TS_LEN, &r->o_ts) == -1)
			j->nomem = 1;
		r->tslen = KR_TS_LEN;
	}
	if (rp.meta != NULL && rp.meta_end != NULL && r->srclen == 5 &&
	    memcmp(b->arena.s + r->o_src, "agent", 5) == 0) {
		struct meta_scan m = { 0, -1, &b->key };
		struct jp mj = { rp.meta, rp.meta_end, 0, 0 };
		struct kr_buf k2 = KR_BUF_INIT(1 << 20);

		if (jp_object(&mj, &k2, meta_member, &m) == 0) {
			r->event = m.event;
			r->exit_code = m.event == EV_EXIT ? m.exit_code : 0;
		}
		kr_buf_free(&k2);
	}
	if (b->xtra.len > 0) {
		if (arena_add(b, b->xtra.s, b->xtra.len, &r->o_extra) == -1)
			j->nomem = 1;
		r->extralen = b->xtra.len;
	}
	if (j->nomem)
		return -1;
	b->n++;
	if (rp.bad) {
		r->code = e->code;
		if (arena_add(b, e->msg, strlen(e->msg), &r->o_why) == -1) {
			j->nomem = 1;
			return -1;
		}
		b->nbad++;
		return 1;
	}
	return 0;
}

/* Reads a record or an array of records. */
static int
top_value(struct batch *b, struct jp *j, size_t *idx, int flags,
    struct srv_err *e)
{
	int rc;

	jp_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '{') {
		rc = rec_parse(b, j, (*idx)++, e);
		return rc == 1 && !(flags & BP_EACH) ? 1 : rc < 0 ? -1 : 0;
	}
	if (*j->p != '[')
		return -2;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		rc = rec_parse(b, j, (*idx)++, e);
		if (rc == -1)
			return -1;
		if (rc == 1 && !(flags & BP_EACH))
			return 1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']')
			break;
		return -1;
	}
	j->p++;
	return 0;
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

/* Over 80 lines: a JSON body and an NDJSON one, each with its errors. */
int
batch_parse(struct batch *b, const char *s, size_t n, int flags, int *single,
    struct srv_err *e)
{
	const char *p, *nl, *end = s + n;
	size_t idx = 0, line = 0;
	struct jp j;
	int rc;

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
	if (!(flags & BP_NDJSON)) {
		j.p = s;
		j.end = end;
		j.depth = 0;
		j.nomem = 0;
		jp_ws(&j);
		*single = j.p < end && *j.p == '{';
		rc = top_value(b, &j, &idx, flags, e);
		if (rc == 0) {
			jp_ws(&j);
			if (j.p != end)
				rc = -1;
		}
		if (rc == -2) {
			struct jp v = j;

			if (jp_value(&v, NULL) == 0) {
				jp_ws(&v);
				if (v.p == end) {
					err_set(e, 400, "MALFORMED_REQUEST",
					    "the body must be a JSON object "
					    "or array");
					goto fail;
				}
			}
			rc = -1;
		}
		if (rc == -1 && j.nomem)
			err_set(e, 413, "TOO_LARGE", "the body is too large");
		else if (rc == -1)
			err_set(e, 400, "MALFORMED_REQUEST",
			    "the body is not valid JSON");
		if (rc != 0)
			goto fail;
		batch_fix(b);
		return 0;
	}
	for (p = s; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		j.p = p;
		j.end = nl;
		j.depth = 0;
		j.nomem = 0;
		jp_ws(&j);
		if (j.p == nl)
			continue;
		rc = top_value(b, &j, &idx, flags, e);
		if (rc == 0) {
			jp_ws(&j);
			if (j.p != nl)
				rc = -1;
		}
		if (rc == -1 && j.nomem)
			err_set(e, 413, "TOO_LARGE", "the body is too large");
		else if (rc < 0)
			err_set(e, 400, "MALFORMED_REQUEST",
			    "line %zu is not a JSON object or array", line);
		if (rc != 0)
			goto fail;
	}
	batch_fix(b);
	return 0;
fail:
	batch_reset(b);
	return -1;
}

static int
find_member(struct jp *j, const struct kr_buf *k, const char *ks, void *arg)
{
	struct { const char *key; struct kr_buf *out; int found; } *f = arg;

	(void)ks;
	if (f->found != 0 || !is_key(k, f->key))
		return jp_value(j, NULL);
	if (j->p < j->end && *j->p == '"') {
		f->found = 1;
		f->out->len = 0;
		return jp_string(j, f->out, NULL);
	}
	f->found = 2;
	return jp_value(j, NULL);
}

int
json_obj_str(const char *s, size_t n, const char *key, struct kr_buf *out)
{
	struct { const char *key; struct kr_buf *out; int found; } f =
	    { key, out, 0 };
	struct kr_buf k = KR_BUF_INIT(1 << 20);
	struct jp j = { s, s + n, 0, 0 };
	int rc;

	rc = jp_object(&j, &k, find_member, &f);
	kr_buf_free(&k);
	if (rc == -1)
		return -1;
	jp_ws(&j);
	if (j.p != j.end)
		return -1;
	return f.found;
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
