/* kr_jr: the record reader, strict JSON in one pass, nothing allocated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "kr_json.h"
#include "kr_jr.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * Bytes in a string: 0 plain; 1 '"'; 2 '\\'; 3 a control byte; 4 the
 * first of a multibyte character (or not UTF-8 at all).
 */
static const unsigned char str_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static int
fail(struct kr_jr *j, enum kr_jr_err err, const char *p)
{
	if (j->err == KR_JR_OK) {
		j->err = err;
		j->errp = p;
	}
	return -1;
}

void
kr_jr_init(struct kr_jr *j, const char *s, size_t n, int flags)
{
	j->s = j->p = s;
	j->end = s + n;
	j->flags = flags;
	j->depth = 0;
	j->maxdepth = KR_JR_DEPTH;
	j->nummax = 0;
	j->err = KR_JR_OK;
	j->errp = NULL;
	j->clean0 = j->clean = s;
	if (flags & KR_JR_BATCH && kr_jr_peek(j) == KR_JR_ARRAY)
		j->maxdepth++;
}

static void
ws_run(struct kr_jr *j)
{
	const char *p = j->p, *e = j->end;

	if (j->flags & KR_JR_SPACES)
		while (p < e && *p == ' ')
			p++;
	else
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
	j->p = p;
}

/* Skips white space; most often there is none. */
static inline void
ws(struct kr_jr *j)
{
	if (j->p < j->end && (unsigned char)*j->p <= ' ')
		ws_run(j);
}

const unsigned char kr_jr_starts[256] = {
	['"'] = KR_JR_STRING, ['{'] = KR_JR_OBJECT, ['['] = KR_JR_ARRAY,
	['t'] = KR_JR_TRUE, ['f'] = KR_JR_FALSE, ['n'] = KR_JR_NULL,
	['-'] = KR_JR_NUMBER, ['0'] = KR_JR_NUMBER, ['1'] = KR_JR_NUMBER,
	['2'] = KR_JR_NUMBER, ['3'] = KR_JR_NUMBER, ['4'] = KR_JR_NUMBER,
	['5'] = KR_JR_NUMBER, ['6'] = KR_JR_NUMBER, ['7'] = KR_JR_NUMBER,
	['8'] = KR_JR_NUMBER, ['9'] = KR_JR_NUMBER,
};

void
kr_jr_ws(struct kr_jr *j)
{
	ws_run(j);
}

/* The 4 hex digits at p (at least 4 bytes before e), or -1. */
static long
hex4(const char *p, const char *e)
{
	long v = 0;
	int i, d;

	if (e - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = kr_hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The escape at p (p[0] == '\\'): the end after it, or NULL with j->err
 * set. *esc gets KR_JR_ESC, and KR_JR_LONE for a lone surrogate.
 */
static const char *
escape(struct kr_jr *j, const char *p, int *esc)
{
	const char *e = j->end, *q;
	long u, lo;

	*esc |= KR_JR_ESC;
	if (e - p < 2)
		return fail(j, KR_JR_EEND, e), NULL;
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		return p + 2;
	case 'u':
		break;
	default:
		return fail(j, KR_JR_EESCAPE, p), NULL;
	}
	if ((u = hex4(p + 2, e)) < 0) {
		for (q = p + 2; q < e && q < p + 6; q++)
			if (kr_hexval((unsigned char)*q) < 0)
				return fail(j, KR_JR_EESCAPE, p), NULL;
		return fail(j, KR_JR_EEND, p), NULL;
	}
	if (u < 0xd800 || u > 0xdfff)
		return p + 6;
	if (u <= 0xdbff && e - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
	    (lo = hex4(p + 8, e)) >= 0xdc00 && lo <= 0xdfff)
		return p + 12;
	*esc |= KR_JR_LONE;
	return p + 6;
}

/* Any byte of the word x that a string's plain run stops at. */
static uint64_t
stops(uint64_t x, uint64_t hi)
{
	return kr_json_stops(x) | (x & hi);
}

#ifdef __SSE2__
/*
 * The bytes of the 16 at p that a plain run stops at, 0xff each; its
 * '"' bytes a bit each in *q. A byte stops it when it is '\\', or below
 * t once flipped by x, signed: (0, ' ') takes the control bytes and
 * those above ASCII, (0x80, 0x80 + ' ') the control bytes alone.
 */
static inline __m128i
look16(const char *p, __m128i x, __m128i t, unsigned *q)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

	*q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8('"')));
	return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
	    _mm_cmplt_epi8(_mm_xor_si128(v, x), t));
}

/* look16 for the 64 bytes at p, the bytes that stop a run a bit each:
 * most often none, told by one mask of the four. */
static inline uint64_t
look64(const char *p, __m128i x, __m128i t, uint64_t *q)
{
	unsigned q0, q1, q2, q3;
	__m128i s0, s1, s2, s3;

	s0 = look16(p, x, t, &q0);
	s1 = look16(p + 16, x, t, &q1);
	s2 = look16(p + 32, x, t, &q2);
	s3 = look16(p + 48, x, t, &q3);
	*q = (uint64_t)q0 | (uint64_t)q1 << 16 | (uint64_t)q2 << 32 |
	    (uint64_t)q3 << 48;
	if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(s0, s1),
	    _mm_or_si128(s2, s3))) == 0)
		return 0;
	return (uint64_t)(unsigned)_mm_movemask_epi8(s0) |
	    (uint64_t)(unsigned)_mm_movemask_epi8(s1) << 16 |
	    (uint64_t)(unsigned)_mm_movemask_epi8(s2) << 32 |
	    (uint64_t)(unsigned)_mm_movemask_epi8(s3) << 48;
}

/* look64 for the n < 64 bytes at p, in a text too short for a look. */
static uint64_t
look_bytes(const char *p, size_t n, int hi, uint64_t *q)
{
	uint64_t s = 0;
	size_t k;
	int c;

	*q = 0;
	for (k = 0; k < n; k++) {
		c = str_class[(unsigned char)p[k]];
		if (c == 1)
			*q |= (uint64_t)1 << k;
		else if (c == 2 || c == 3 || (c == 4 && hi))
			s |= (uint64_t)1 << k;
	}
	return s;
}

/*
 * Notes how far from p the text is clean, and its '"' bytes (see struct
 * kr_jr): one look at the bytes ahead serves every string in them, and
 * most records are clean from end to end.
 */
static void
clean_run(struct kr_jr *j, const char *p)
{
	const char *e = j->end;
	size_t n = (size_t)(e - p) < KR_JR_AHEAD ? (size_t)(e - p) :
	    KR_JR_AHEAD, i;
	int hi = !(j->flags & KR_JR_UTF8_OK);
	__m128i x = _mm_set1_epi8(hi ? 0 : (char)0x80);
	__m128i t = _mm_set1_epi8(hi ? ' ' : (char)(0x80 + ' '));
	uint64_t s, q;

	j->clean0 = p;
	for (i = 0; i < n; i += 64) {
		if (n - i >= 64)
			s = look64(p + i, x, t, &q);
		else if (p + n - j->s >= 64) {
			/* The last bytes: the 64 that end with them, read
			 * (within the text), those before shifted out. */
			s = look64(p + n - 64, x, t, &q) >> (64 - (n - i));
			q >>= 64 - (n - i);
		} else
			s = look_bytes(p + i, n - i, hi, &q);
		if (s != 0) {
			j->quotes[i / 64] = q & ((s & -s) - 1);
			j->clean = p + i + __builtin_ctzll(s);
			return;
		}
		j->quotes[i / 64] = q;
	}
	j->clean = p + n;
}

/*
 * Where the '"' is in the clean text from p, or NULL; p is in the clean
 * text [j->clean0, j->clean), and each word of quotes up to j->clean
 * was written by clean_run, without a bit at or past it.
 */
static inline const char *
clean_quote(const struct kr_jr *j, const char *p)
{
	size_t i = (size_t)(p - j->clean0), n;
	uint64_t w = j->quotes[i / 64] >> (i % 64);

	if (w != 0)
		return p + __builtin_ctzll(w);
	n = (size_t)(j->clean - j->clean0);
	for (i = (i | 63) + 1; i < n; i += 64)
		if ((w = j->quotes[i / 64]) != 0)
			return j->clean0 + i + __builtin_ctzll(w);
	return NULL;
}
#endif

/* string() past the clean text: escapes, UTF-8 checked, control bytes. */
static int
string_slow(struct kr_jr *j, struct kr_jr_str *str, int lone)
{
	const char *p = j->p + 1, *e = j->end;
	uint64_t hi = j->flags & KR_JR_UTF8_OK ? 0 : HIGHS, x;
	size_t k;
	int esc = 0;

	str->s = p;
#ifdef __SSE2__
	/* Clean text first, a look ahead at a time; from the first byte
	 * that is not clean, as below. */
	for (;;) {
		const char *q;

		if ((p < j->clean0 || p >= j->clean) && p != j->clean0)
			clean_run(j, p);
		if (p >= j->clean)
			break;
		if ((q = clean_quote(j, p)) != NULL) {
			str->n = (size_t)(q - str->s);
			str->esc = 0;
			j->p = q + 1;
			return 0;
		}
		p = j->clean;
	}
#endif
	for (;;) {
#ifdef __SSE2__
		/* Plain text 16 bytes at a time (every x86-64 has SSE2). */
		while (e - p >= 16) {
			__m128i v, c = _mm_set1_epi8(0x1f);
			unsigned m;

			v = _mm_loadu_si128((const __m128i *)(const void *)p);
			m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmpeq_epi8(_mm_max_epu8(v, c), c)));

			if (hi != 0)
				m |= (unsigned)_mm_movemask_epi8(v);
			if (m != 0) {
				p += __builtin_ctz(m);
				goto stop;
			}
			p += 16;
		}
#endif
		/* Plain text 8 bytes at a time; the lowest byte flagged is
		 * always one to stop at (a false one only comes above). */
		while (e - p >= 8) {
			memcpy(&x, p, 8);
			if ((x = stops(x, hi)) != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				p += __builtin_ctzll(x) >> 3;
#endif
				break;
			}
			p += 8;
		}
		while (p < e && str_class[(unsigned char)*p] == 0)
			p++;
		if (p >= e)
			return fail(j, KR_JR_EEND, e);
#ifdef __SSE2__
stop:
#endif
		switch (str_class[(unsigned char)*p]) {
		case 1:
			str->n = (size_t)(p - str->s);
			str->esc = esc;
			j->p = p + 1;
			return 0;
		case 2:
			if ((p = escape(j, p, &esc)) == NULL)
				return -1;
			if ((esc & KR_JR_LONE) && !lone)
				return fail(j, KR_JR_ESURROGATE, p - 6);
			break;
		case 3:
			if (!(j->flags & KR_JR_CTRL))
				return fail(j, KR_JR_ECTRL, p);
			p++;
			break;
		default:
			if (hi == 0) {
				p++;
				break;
			}
			if ((k = kr_utf8_char((const unsigned char *)p,
			    (const unsigned char *)e)) == 0)
				return fail(j, KR_JR_EUTF8, p);
			p += k;
			break;
		}
	}
}

#ifdef __SSE2__
/*
 * string() where the text is not known clean: looked at from the string
 * (not again when it was and none is clean), most often it is clean to
 * well past it and the strings after it.
 */
static int
string_look(struct kr_jr *j, struct kr_jr_str *str, int lone)
{
	const char *p = j->p + 1, *q;

	if (p != j->clean0)
		clean_run(j, p);
	if (p < j->clean && (q = clean_quote(j, p)) != NULL) {
		str->s = p;
		str->n = (size_t)(q - p);
		str->esc = 0;
		j->p = q + 1;
		return 0;
	}
	return string_slow(j, str, lone);
}
#endif

/*
 * The string at j->p ('"'): j->p ends past it. A lone surrogate is an
 * error unless lone. 0, or -1 with j->err set. Most strings lie in text
 * already known clean and end at the next '"'.
 */
static inline int
string(struct kr_jr *j, struct kr_jr_str *str, int lone)
{
#ifdef __SSE2__
	const char *p = j->p + 1, *q;

	if ((size_t)(p - j->clean0) >= (size_t)(j->clean - j->clean0))
		return string_look(j, str, lone);
	if ((q = clean_quote(j, p)) != NULL) {
		str->s = p;
		str->n = (size_t)(q - p);
		str->esc = 0;
		j->p = q + 1;
		return 0;
	}
#endif
	return string_slow(j, str, lone);
}

int
kr_jr_string_at(struct kr_jr *j, struct kr_jr_str *str, int lone)
{
	ws(j);
	if (j->p >= j->end)
		return fail(j, KR_JR_EEND, j->p);
	if (*j->p != '"')
		return fail(j, KR_JR_ESYNTAX, j->p);
	return string(j, str, lone);
}

/* Bytes in a number: 1 a digit; 2 '.', 'e', 'E', '+' or '-'. */
static const unsigned char num_class[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['.'] = 2, ['e'] = 2, ['E'] = 2, ['+'] = 2, ['-'] = 2,
};

static const char *
digits(const char *p, const char *e)
{
	while (p < e && num_class[(unsigned char)*p] == 1)
		p++;
	return p;
}

/* number() for any number JSON writes, and for what it does not. */
static int
number_slow(struct kr_jr *j, const char **s, size_t *n)
{
	const char *p, *e = j->end, *d;

	p = *s = j->p;
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if ((d = digits(p, e)) > p)
		p = d;
	else
		return fail(j, p < e || p > *s ? KR_JR_ENUMBER : KR_JR_EEND,
		    *s);
	if (p < e && *p == '.') {
		if ((d = digits(p + 1, e)) == p + 1)
			return fail(j, KR_JR_ENUMBER, *s);
		p = d;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if ((d = digits(p, e)) == p)
			return fail(j, KR_JR_ENUMBER, *s);
		p = d;
	}
	/* 01, 1.2.3, 1e5e5: JSON has no such number. */
	if (p < e && num_class[(unsigned char)*p] != 0)
		return fail(j, KR_JR_ENUMBER, *s);
	*n = (size_t)(p - *s);
	if (*n > j->nummax)
		j->nummax = *n;
	j->p = p;
	return 0;
}

/*
 * The number at j->p: its text. 0, or -1 with j->err set. Most are
 * whole numbers from 1 up (seqs, line numbers), read here; what comes
 * after the digits may make it another, or none.
 */
static inline int
number(struct kr_jr *j, const char **s, size_t *n)
{
	const char *p = j->p, *e = j->end;

	if (p < e && num_class[(unsigned char)*p] == 1 && *p != '0') {
		while (++p < e && num_class[(unsigned char)*p] == 1)
			;
		if (p == e || num_class[(unsigned char)*p] == 0) {
			*s = j->p;
			*n = (size_t)(p - j->p);
			if (*n > j->nummax)
				j->nummax = *n;
			j->p = p;
			return 0;
		}
	}
	return number_slow(j, s, n);
}

int
kr_jr_number(struct kr_jr *j, const char **s, size_t *n)
{
	ws(j);
	return number(j, s, n);
}

enum kr_jr_type
kr_jr_literal(struct kr_jr *j)
{
	static const char *const w[] = { "true", "false", "null" };
	static const size_t wn[] = { 4, 5, 4 };
	enum kr_jr_type t = kr_jr_peek(j);
	int i;

	if (t != KR_JR_TRUE && t != KR_JR_FALSE && t != KR_JR_NULL)
		return KR_JR_NONE;
	i = t - KR_JR_TRUE;
	if ((size_t)(j->end - j->p) < wn[i] ||
	    memcmp(j->p, w[i], wn[i]) != 0) {
		fail(j, (size_t)(j->end - j->p) < wn[i] &&
		    memcmp(j->p, w[i], (size_t)(j->end - j->p)) == 0 ?
		    KR_JR_EEND : KR_JR_ESYNTAX, j->p);
		return KR_JR_NONE;
	}
	j->p += wn[i];
	return t;
}

int
kr_jr_enter(struct kr_jr *j)
{
	enum kr_jr_type t = kr_jr_peek(j);

	if (t != KR_JR_OBJECT && t != KR_JR_ARRAY)
		return fail(j, j->p < j->end ? KR_JR_ESYNTAX : KR_JR_EEND,
		    j->p);
	if (++j->depth > j->maxdepth)
		return fail(j, KR_JR_EDEPTH, j->p);
	j->p++;
	return 0;
}

/*
 * After a value inside a container: the closing byte (1 past it), a
 * comma (0 past it; never before the first), or -1.
 */
static int
next(struct kr_jr *j, int *n, char close)
{
	ws(j);
	if (j->p >= j->end)
		return fail(j, KR_JR_EEND, j->p);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 1;
	}
	if (*n > 0) {
		if (*j->p != ',')
			return fail(j, KR_JR_ESYNTAX, j->p);
		j->p++;
		ws(j);
		if (j->p >= j->end)
			return fail(j, KR_JR_EEND, j->p);
	}
	(*n)++;
	return 0;
}

/* Past the ':' after a key. 0, or -1 with j->err set. */
static inline int
colon(struct kr_jr *j)
{
	if (j->p < j->end && *j->p == ':') {
		j->p++;
		return 0;
	}
	ws(j);
	if (j->p >= j->end)
		return fail(j, KR_JR_EEND, j->p);
	if (*j->p != ':')
		return fail(j, KR_JR_ESYNTAX, j->p);
	j->p++;
	return 0;
}

int
kr_jr_member(struct kr_jr *j, int *n, struct kr_jr_str *key)
{
	const char *p = j->p;
	int r;

	/* Most often the key follows the ',' at once (next() is that). */
	if (*n > 0 && j->end - p >= 2 && p[0] == ',' && p[1] == '"') {
		j->p = p + 1;
		(*n)++;
	} else if ((r = next(j, n, '}')) != 0)
		return r == 1 ? 0 : -1;
	else if (*j->p != '"')
		return fail(j, KR_JR_ESYNTAX, j->p);
	if (string(j, key, 0) == -1 || colon(j) == -1)
		return -1;
	return 1;
}

int
kr_jr_elem(struct kr_jr *j, int *n)
{
	const char *p = j->p;
	int r;

	/* Most often the value follows the ',' at once (next() is that). */
	if (*n > 0 && j->end - p >= 2 && p[0] == ',' &&
	    (unsigned char)p[1] > ' ') {
		j->p = p + 1;
		(*n)++;
		return 1;
	}
	if ((r = next(j, n, ']')) != 0)
		return r == 1 ? 0 : -1;
	return 1;
}

static int skip_value(struct kr_jr *j);

/* skip_value, strings and numbers read here: most values are. */
static inline int
value(struct kr_jr *j)
{
	struct kr_jr_str s;
	const char *np;
	size_t nn;

	if (j->p < j->end) {
		if (*j->p == '"')
			return string(j, &s, 0);
		if (kr_jr_starts[(unsigned char)*j->p] == KR_JR_NUMBER)
			return number(j, &np, &nn);
	}
	return skip_value(j);
}

/* The object or array at j->p, read and checked. */
static int
skip_container(struct kr_jr *j, char close)
{
	struct kr_jr_str k;

	if (++j->depth > j->maxdepth)
		return fail(j, KR_JR_EDEPTH, j->p);
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (j->p >= j->end)
				return fail(j, KR_JR_EEND, j->p);
			if (*j->p != '"')
				return fail(j, KR_JR_ESYNTAX, j->p);
			if (string(j, &k, 0) == -1 || colon(j) == -1)
				return -1;
		}
		if (value(j) == -1)
			return -1;
		ws(j);
		if (j->p >= j->end)
			return fail(j, KR_JR_EEND, j->p);
		if (*j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (*j->p != close)
			return fail(j, KR_JR_ESYNTAX, j->p);
		j->p++;
		j->depth--;
		return 0;
	}
}

static int
skip_value(struct kr_jr *j)
{
	struct kr_jr_str s;
	const char *np;
	size_t nn;

	ws(j);
	if (j->p >= j->end)
		return fail(j, KR_JR_EEND, j->p);
	switch (*j->p) {
	case '"':
		return string(j, &s, 0);
	case '{':
		return skip_container(j, '}');
	case '[':
		return skip_container(j, ']');
	case 't':
	case 'f':
	case 'n':
		return kr_jr_literal(j) == KR_JR_NONE ? -1 : 0;
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		return number(j, &np, &nn);
	default:
		return fail(j, KR_JR_ESYNTAX, j->p);
	}
}

int
kr_jr_skip(struct kr_jr *j)
{
	ws(j);
	return value(j);
}

/* The bytes <= ' ' of the word x: the lowest one flagged, and maybe
 * others above it; none when there is none. */
static inline uint64_t
spaces(uint64_t x)
{
	return (x - ONES * 0x21) & ~x & HIGHS;
}

/* Whether s[0..n) has a byte <= ' ': words that overlap at the end
 * rather than a byte at a time (most values copied are short). */
static int
spaced(const char *s, size_t n)
{
	uint64_t x, m = 0;
	uint32_t a, b;
	size_t i;

	if (n >= 8) {
		for (i = 0; n - i > 8 && m == 0; i += 8) {
			memcpy(&x, s + i, 8);
			m = spaces(x);
		}
		memcpy(&x, s + n - 8, 8);
		return (m | spaces(x)) != 0;
	}
	if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		return spaces((uint64_t)a | (uint64_t)b << 32) != 0;
	}
	for (i = 0; i < n; i++)
		m |= (unsigned char)s[i] <= ' ';
	return m != 0;
}

/* Appends the checked JSON text s[0..n) without its white space. */
static int
compact(struct kr_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = s, *e = s + n, *run;
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };
	int str = 0;

	/* Most values have no byte <= ' ' at all: copied whole. */
	if (!spaced(s, n))
		return kr_buf_add(out, s, n);
	while (p < e) {
		run = p;
		while (p < e && (unsigned char)*p > ' ' && *p != '"' &&
		    *p != '\\')
			p++;
		if (p > run && kr_buf_add(out, run, (size_t)(p - run)) == -1)
			return -1;
		if (p >= e)
			break;
		if (*p == '"') {
			str = !str;
		} else if (*p == '\\') {
			/* The escaped byte is never the string's end. */
			if (kr_buf_add(out, p, 2) == -1)
				return -1;
			p += 2;
			continue;
		} else if (!str) {
			p++;	/* white space */
			continue;
		} else if ((unsigned char)*p < ' ') {
			u[4] = hex[(unsigned char)*p >> 4];
			u[5] = hex[*p & 15];
			if (kr_buf_add(out, u, 6) == -1)
				return -1;
			p++;
			continue;
		}
		if (kr_buf_addc(out, *p++) == -1)
			return -1;
	}
	return 0;
}

int
kr_jr_copy(struct kr_jr *j, struct kr_buf *out)
{
	const char *s;

	ws(j);
	s = j->p;
	if (kr_jr_skip(j) == -1)
		return -1;
	if (compact(out, s, (size_t)(j->p - s)) == -1)
		return fail(j, KR_JR_ENOMEM, s);
	return 0;
}

int
kr_jr_str_json(struct kr_buf *out, const struct kr_jr_str *str)
{
	return compact(out, str->s - 1, str->n + 2);
}

int
kr_jr_end(struct kr_jr *j)
{
	ws(j);
	return j->p == j->end ? 0 : fail(j, KR_JR_ETRAIL, j->p);
}

int
kr_jr_valid(const char *s, size_t n, int flags)
{
	struct kr_jr j;

	kr_jr_init(&j, s, n, flags);
	return kr_jr_skip(&j) == -1 ? -1 : kr_jr_end(&j);
}

/*
 * The unit at str->s[*i] (a run byte or an escape) decoded into u: its
 * length in u. *i ends past it.
 */
static size_t
unit(const struct kr_jr_str *str, size_t *i, char u[4])
{
	const char *p = str->s + *i, *e = str->s + str->n;
	long c, lo;

	if (*p != '\\') {
		u[0] = *p;
		*i += 1;
		return 1;
	}
	*i += 2;
	switch (p[1]) {
	case 'b':
		u[0] = '\b';
		return 1;
	case 'f':
		u[0] = '\f';
		return 1;
	case 'n':
		u[0] = '\n';
		return 1;
	case 'r':
		u[0] = '\r';
		return 1;
	case 't':
		u[0] = '\t';
		return 1;
	case 'u':
		break;
	default:
		u[0] = p[1];
		return 1;
	}
	c = hex4(p + 2, e);
	*i += 4;
	if (c >= 0xd800 && c <= 0xdbff && e - p >= 12 && p[6] == '\\' &&
	    p[7] == 'u' && (lo = hex4(p + 8, e)) >= 0xdc00 && lo <= 0xdfff) {
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		*i += 6;
	} else if (c < 0 || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		u[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | c >> 18);
	u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	u[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int
kr_jr_decode_esc(struct kr_buf *out, const struct kr_jr_str *str)
{
	const char *bs;
	size_t i = 0, k;
	char u[4];

	if (!(str->esc & KR_JR_ESC))
		return kr_buf_add(out, str->s, str->n);
	if (kr_buf_reserve(out, str->n) == -1)
		return -1;
	while (i < str->n) {
		bs = memchr(str->s + i, '\\', str->n - i);
		k = bs != NULL ? (size_t)(bs - str->s) : str->n;
		if (k > i && kr_buf_add(out, str->s + i, k - i) == -1)
			return -1;
		if ((i = k) >= str->n)
			break;
		k = unit(str, &i, u);
		if (kr_buf_add(out, u, k) == -1)
			return -1;
	}
	return 0;
}

int
kr_jr_eq(const struct kr_jr_str *str, const char *name)
{
	size_t n = strlen(name), i = 0, at = 0, k;
	char u[4];

	if (!(str->esc & KR_JR_ESC))
		return str->n == n && memcmp(str->s, name, n) == 0;
	while (i < str->n) {
		k = unit(str, &i, u);
		if (at + k > n || memcmp(name + at, u, k) != 0)
			return 0;
		at += k;
	}
	return at == n;
}

double
kr_jr_double(const char *s, size_t n)
{
	char buf[128], *t = buf;
	double v;
	size_t i = n > 0 && s[0] == '-';

	/* An integer of up to 15 digits (most are: seqs, codes) is exact
	 * in a double; strtod only for the rest. */
	if (n > i && n - i <= 15) {
		for (v = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			v = v * 10 + (s[i] - '0');
		if (i == n)
			return s[0] == '-' ? -v : v;
	}
	if (n >= sizeof buf && (t = malloc(n + 1)) == NULL)
		return 0;
	memcpy(t, s, n);
	t[n] = '\0';
	v = strtod(t, NULL);
	if (t != buf)
		free(t);
	return v;
}

const char *
kr_jr_strerror(enum kr_jr_err err)
{
	static const char *const msg[] = {
		"valid JSON", "not JSON", "cut short", "invalid UTF-8",
		"a control byte in a string", "a bad escape",
		"a lone UTF-16 surrogate", "a bad number", "nested too deep",
		"bytes after the value", "out of memory",
	};

	return (unsigned)err < sizeof msg / sizeof msg[0] ? msg[err] :
	    "unknown";
}
