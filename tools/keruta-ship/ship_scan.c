/*
 * ship_scan.c: the quick look at an input line. Most lines are a record
 * or a batch of records in plain JSON, with a taskId, runId and seq that
 * keruta-ship can use as they are; for those it is enough to check the
 * JSON and find the three fields, without building a tree. Anything
 * else (control bytes, escapes where the fields are, numbers or nesting
 * out of the ordinary, elements that are not objects, surrogate escapes)
 * is left to the full parser, which decides as before.
 */
#include <stdlib.h>
#include <string.h>

#include "kr_json.h"
#include "ship.h"

#define SCAN_DEPTH	64	/* deeper: the full parser decides */
#define SCAN_NUM_MAX	32	/* longer numbers: the full parser decides */
#define STRICT_DEPTH	1000	/* as deep as the full parser goes */

/*
 * Bytes in a string: 0 plain; 1 '"' or '\\'; 2 part of a multibyte
 * character (the line is checked as UTF-8 at the end); 3 a control byte,
 * which JSON does not allow there: left to the full parser.
 */
static const unsigned char str_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

struct scan {
	const char *e;		/* the end of the line */
	int hi;			/* bytes >= 0x80 seen */
	int strict;		/* only check the JSON: no limits of our own */
};

/*
 * A string from just after its opening quote: the end after its closing
 * quote, or NULL. *esc is set when it holds an escape.
 */
static const char *
scan_str(struct scan *sc, const char *p, int *esc)
{
	const char *e = sc->e;
	unsigned u;
	int i, h;

	for (;;) {
		while (p < e && str_class[(unsigned char)*p] == 0)
			p++;
		if (p >= e)
			return NULL;
		switch (str_class[(unsigned char)*p]) {
		case 2:
			sc->hi = 1;
			p++;
			continue;
		case 3:
			return NULL;
		default:
			break;
		}
		if (*p++ == '"')
			return p;
		*esc = 1;
		if (p >= e)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p++;
			break;
		case 'u':
			if (e - p < 5)
				return NULL;
			for (u = 0, i = 1; i <= 4; i++) {
				if ((h = kr_hexval((unsigned char)p[i])) < 0)
					return NULL;
				u = u << 4 | (unsigned)h;
			}
			/* Surrogates: the full parser's rules apply. */
			if (u >= 0xd800 && u <= 0xdfff && !sc->strict)
				return NULL;
			p += 5;
			/* And when strict, they are the full parser's too: a
			 * high one, then a low one, or the line is refused. */
			if (u >= 0xdc00 && u <= 0xdfff)
				return NULL;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u')
					return NULL;
				for (u = 0, i = 2; i <= 5; i++) {
					if ((h = kr_hexval((unsigned char)p[i]))
					    < 0)
						return NULL;
					u = u << 4 | (unsigned)h;
				}
				if (u < 0xdc00 || u > 0xdfff)
					return NULL;
				p += 6;
			}
			break;
		default:
			return NULL;
		}
	}
}

static const char *
skip_ws(const struct scan *sc, const char *p)
{
	while (p < sc->e && *p == ' ')
		p++;
	return p;
}

static const char *
scan_num(const struct scan *sc, const char *p)
{
	const char *s = p, *e = sc->e;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < e && *p == '.') {
		if (++p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return p - s > SCAN_NUM_MAX && !sc->strict ? NULL : p;
}

static const char *scan_value(struct scan *sc, const char *p, int depth);

static const char *
scan_lit(const struct scan *sc, const char *p, const char *lit, size_t n)
{
	return (size_t)(sc->e - p) >= n && memcmp(p, lit, n) == 0 ? p + n :
	    NULL;
}

/* An object or array from its opening bracket. */
static const char *
scan_container(struct scan *sc, const char *p, int depth)
{
	int obj = *p == '{', esc;
	char close = obj ? '}' : ']';

	if (depth >= (sc->strict ? STRICT_DEPTH : SCAN_DEPTH))
		return NULL;
	p = skip_ws(sc, p + 1);
	if (p < sc->e && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (p >= sc->e || *p != '"' ||
			    (p = scan_str(sc, p + 1, &esc)) == NULL)
				return NULL;
			p = skip_ws(sc, p);
			if (p >= sc->e || *p != ':')
				return NULL;
			p = skip_ws(sc, p + 1);
		}
		if ((p = scan_value(sc, p, depth + 1)) == NULL)
			return NULL;
		p = skip_ws(sc, p);
		if (p >= sc->e)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(sc, p + 1);
	}
}

static const char *
scan_value(struct scan *sc, const char *p, int depth)
{
	int esc = 0;

	if (p >= sc->e)
		return NULL;
	switch (*p) {
	case '"':
		return scan_str(sc, p + 1, &esc);
	case '{':
	case '[':
		return scan_container(sc, p, depth);
	case 't':
		return scan_lit(sc, p, "true", 4);
	case 'f':
		return scan_lit(sc, p, "false", 5);
	case 'n':
		return scan_lit(sc, p, "null", 4);
	default:
		return scan_num(sc, p);
	}
}

static int
key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

/*
 * A record: an object whose keys hold no escapes, whose runId, when
 * there, is a plain string and whose seq, when there, is a plain
 * positive integer; each of taskId, runId and seq at most once. The end
 * after it, or NULL.
 */
static const char *
scan_record(struct scan *sc, const char *p, struct ship_srec *r)
{
	const char *e = sc->e, *k, *v, *q;
	size_t kn;
	int esc;

	memset(r, 0, sizeof *r);
	r->p = p;
	r->empty = 1;
	p = skip_ws(sc, p + 1);
	if (p < e && *p == '}')
		goto done;
	for (;;) {
		esc = 0;
		if (p >= e || *p != '"' || (q = scan_str(sc, p + 1,
		    &esc)) == NULL || esc)
			return NULL;
		k = p + 1;
		kn = (size_t)(q - k - 1);
		p = skip_ws(sc, q);
		if (p >= e || *p != ':')
			return NULL;
		v = p = skip_ws(sc, p + 1);
		r->empty = 0;
		if (key_is(k, kn, "taskId") || key_is(k, kn, "runId")) {
			int task = k[0] == 't';

			if ((task ? r->has_task : r->has_run) || p >= e)
				return NULL;
			esc = 0;
			if (*p == '"') {
				if ((p = scan_str(sc, p + 1, &esc)) == NULL ||
				    (esc && !task))
					return NULL;
			} else {
				if (!task || (p = scan_value(sc, p, 1)) == NULL)
					return NULL;
				esc = 1;	/* not a string: no task */
			}
			if (task) {
				r->has_task = 1;
				r->task_odd = esc;
				r->task = v + 1;
				r->tasklen = esc ? 0 : (size_t)(p - v - 2);
			} else {
				r->has_run = 1;
				r->run = v + 1;
				r->runlen = (size_t)(p - v - 2);
			}
		} else if (key_is(k, kn, "seq")) {
			unsigned long long n = 0;

			if (r->has_seq || p >= e || *p < '1' || *p > '9')
				return NULL;
			while (p < e && *p >= '0' && *p <= '9') {
				if (p - v == 16)
					return NULL;
				n = n * 10 + (unsigned long long)(*p++ - '0');
			}
			if (p < e && (*p == '.' || *p == 'e' || *p == 'E'))
				return NULL;
			r->has_seq = 1;
			r->seq = n;
		} else if ((p = scan_value(sc, p, 1)) == NULL) {
			return NULL;
		}
		p = skip_ws(sc, p);
		if (p >= e)
			return NULL;
		if (*p == '}')
			break;
		if (*p != ',')
			return NULL;
		p = skip_ws(sc, p + 1);
	}
done:
	r->n = (size_t)(p + 1 - r->p);
	return p + 1;
}

static struct ship_srec *
scan_slot(struct ship_scan *ss)
{
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 64;
		struct ship_srec *r = realloc(ss->r, cap * sizeof *r);

		if (r == NULL)
			return NULL;
		ss->r = r;
		ss->cap = cap;
	}
	return &ss->r[ss->n];
}

/* The line is all of it, and valid UTF-8. */
static int
scan_end(const struct scan *sc, const char *line, size_t n, const char *p)
{
	return p == sc->e && (!sc->hi || kr_utf8_valid(line, n) == n);
}

int
ship_scan_line(const char *line, size_t n, struct ship_scan *ss)
{
	struct scan sc = { line + n, 0, 0 };
	const char *p = line, *e = line + n;
	struct ship_srec *r;

	ss->n = 0;
	if (p < e && *p == '{') {
		if ((r = scan_slot(ss)) == NULL ||
		    (p = scan_record(&sc, p, r)) == NULL ||
		    !scan_end(&sc, line, n, p))
			return -1;
		ss->n = 1;
		return 1;
	}
	if (p >= e || *p != '[')
		return -1;
	p = skip_ws(&sc, p + 1);
	if (p < e && *p == ']')
		return scan_end(&sc, line, n, p + 1) ? 0 : -1;
	for (;;) {
		if (p >= e || *p != '{' || (r = scan_slot(ss)) == NULL ||
		    (p = scan_record(&sc, p, r)) == NULL)
			return -1;
		ss->n++;
		p = skip_ws(&sc, p);
		if (p >= e)
			return -1;
		if (*p == ']')
			break;
		if (*p != ',')
			return -1;
		p = skip_ws(&sc, p + 1);
	}
	return scan_end(&sc, line, n, p + 1) ? (int)ss->n : -1;
}

int
ship_json_strict(const char *line, size_t n)
{
	struct scan sc = { line + n, 0, 1 };
	const char *p;

	p = scan_value(&sc, skip_ws(&sc, line), 0);
	return p != NULL && skip_ws(&sc, p) == sc.e;
}
