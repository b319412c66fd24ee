/*
 * kr_jr: the record reader. One pass over one line of JSON as RFC 8259
 * has it: strict UTF-8 inside strings, \u escapes of surrogates only in
 * pairs, no control byte unescaped, numbers only in JSON's own form,
 * nesting at most KR_JR_DEPTH deep. It builds nothing and allocates
 * nothing: the caller pulls values, members and elements, and decodes
 * only the strings it wants.
 */
#ifndef KR_JR_H
#define KR_JR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kr_buf.h"

/* Nesting a record may have, counting itself (keruta(7)). */
#define KR_JR_DEPTH 256
/* Bytes of clean text (struct kr_jr) looked at in one go, at most. */
#define KR_JR_AHEAD 1024

enum kr_jr_err {
	KR_JR_OK,
	KR_JR_ESYNTAX,		/* a byte where JSON has none */
	KR_JR_EEND,		/* the text ends inside a value */
	KR_JR_EUTF8,		/* invalid UTF-8 in a string */
	KR_JR_ECTRL,		/* a raw control byte in a string */
	KR_JR_EESCAPE,		/* a bad escape */
	KR_JR_ESURROGATE,	/* a \u surrogate not in a pair */
	KR_JR_ENUMBER,		/* a number JSON does not write (01, -) */
	KR_JR_EDEPTH,		/* nested deeper than allowed */
	KR_JR_ETRAIL,		/* something after the value */
	KR_JR_ENOMEM		/* an output buffer is full */
};

enum kr_jr_type {
	KR_JR_NONE,		/* not the start of a value */
	KR_JR_STRING,
	KR_JR_NUMBER,
	KR_JR_OBJECT,
	KR_JR_ARRAY,
	KR_JR_TRUE,
	KR_JR_FALSE,
	KR_JR_NULL
};

enum {
	KR_JR_CTRL = 1,		/* raw control bytes taken in strings */
	KR_JR_UTF8_OK = 2,	/* the text is known to be valid UTF-8 */
	KR_JR_BATCH = 4,	/* an outermost array adds no depth */
	KR_JR_SPACES = 8	/* only ' ' is white space */
};

struct kr_jr {
	const char *s, *p, *end;
	int flags;
	int depth, maxdepth;
	size_t nummax;		/* the longest number read, in bytes */
	enum kr_jr_err err;	/* the first error */
	const char *errp;	/* and where it is */
	/* [clean0, clean): no '\\', no control byte, nothing above ASCII
	 * unless KR_JR_UTF8_OK; a string there ends at its next '"'.
	 * quotes has a bit for each '"' there, from clean0: the look that
	 * found the clean text found them too. */
	const char *clean0, *clean;
	uint64_t quotes[KR_JR_AHEAD / 64];
};

/* A string read: its text between the quotes, undecoded. */
struct kr_jr_str {
	const char *s;
	size_t n;
	int esc;		/* KR_JR_ESC, KR_JR_LONE */
};
enum { KR_JR_ESC = 1, KR_JR_LONE = 2 };

/* Reads s[0..n) with the KR_JR_* flags. */
void kr_jr_init(struct kr_jr *j, const char *s, size_t n, int flags);
/* The type of value each byte starts (kr_jr_peek). */
extern const unsigned char kr_jr_starts[256];
/* Skips white space (kr_jr_peek, when there is some). */
void kr_jr_ws(struct kr_jr *j);
/* Skips white space: the type of the value that starts there. Inline:
 * readers ask it of every value. */
static inline enum kr_jr_type
kr_jr_peek(struct kr_jr *j)
{
	if (j->p < j->end && (unsigned char)*j->p <= ' ')
		kr_jr_ws(j);
	if (j->p >= j->end)
		return KR_JR_NONE;
	return (enum kr_jr_type)kr_jr_starts[(unsigned char)*j->p];
}
/* Reads a value and checks it. 0, or -1 with j->err set. */
int kr_jr_skip(struct kr_jr *j);
/*
 * Reads a value and appends it to out as compact JSON: white space out,
 * raw control bytes (KR_JR_CTRL) escaped, all else as it came. 0, or -1
 * with j->err set (KR_JR_ENOMEM when out is full).
 */
int kr_jr_copy(struct kr_jr *j, struct kr_buf *out);
/* kr_jr_string past its common case. */
int kr_jr_string_at(struct kr_jr *j, struct kr_jr_str *str, int lone);
/*
 * Reads the string at j->p. A lone surrogate escape is an error unless
 * lone is set: then str->esc tells it. 0, or -1 with j->err set. Inline
 * for the common case: the string is where j->p is, in text known clean
 * (struct kr_jr), and ends within the same word of quotes.
 */
static inline int
kr_jr_string(struct kr_jr *j, struct kr_jr_str *str, int lone)
{
#if defined(__SSE2__) && defined(__GNUC__)
	size_t i = (size_t)(j->p - j->clean0) + 1;
	uint64_t w;

	if (j->p < j->end && *j->p == '"' &&
	    i < (size_t)(j->clean - j->clean0) &&
	    (w = j->quotes[i / 64] >> (i % 64)) != 0) {
		str->s = j->p + 1;
		str->n = (size_t)__builtin_ctzll(w);
		str->esc = 0;
		j->p += str->n + 2;
		return 0;
	}
#endif
	return kr_jr_string_at(j, str, lone);
}
/* Reads the number at j->p: its text. 0, or -1 with j->err set. */
int kr_jr_number(struct kr_jr *j, const char **s, size_t *n);
/* Reads a literal true, false or null when one is there: its type. */
enum kr_jr_type kr_jr_literal(struct kr_jr *j);
/*
 * Enters the object or array at j->p. 0, or -1 with j->err set (too
 * deep). Then kr_jr_member (object) or kr_jr_elem (array) is called
 * with *n = 0 until it returns 0, the value read each time it returns 1.
 */
int kr_jr_enter(struct kr_jr *j);
/*
 * The next member of the object entered: 1 with its key in key and j->p
 * at its value, 0 past the closing brace, -1 on an error.
 */
int kr_jr_member(struct kr_jr *j, int *n, struct kr_jr_str *key);
/* The next element of the array entered: as kr_jr_member. */
int kr_jr_elem(struct kr_jr *j, int *n);
/* The text ends here, white space aside: 0, or -1 (KR_JR_ETRAIL). */
int kr_jr_end(struct kr_jr *j);
/* s[0..n) is one JSON value, white space around it aside: 0, or -1. */
int kr_jr_valid(const char *s, size_t n, int flags);

/* kr_jr_decode for a string with escapes. */
int kr_jr_decode_esc(struct kr_buf *out, const struct kr_jr_str *str);
/*
 * Appends the decoded text of a string read by kr_jr_string; a lone
 * surrogate becomes U+FFFD. 0, or -1 with errno from kr_buf. Inline:
 * most strings have no escape, and are copied as they are.
 */
static inline int
kr_jr_decode(struct kr_buf *out, const struct kr_jr_str *str)
{
	if (!(str->esc & KR_JR_ESC))
		return kr_buf_add(out, str->s, str->n);
	return kr_jr_decode_esc(out, str);
}
/*
 * Appends a string read by kr_jr_string as JSON text, quotes included,
 * escapes as they came, raw control bytes escaped. 0, or -1 with errno.
 */
int kr_jr_str_json(struct kr_buf *out, const struct kr_jr_str *str);
/* Whether the string read is name, escapes decoded. */
int kr_jr_eq(const struct kr_jr_str *str, const char *name);
/* The same for a name of n bytes, quick for one without escapes. */
static inline int
kr_jr_eqn(const struct kr_jr_str *str, const char *name, size_t n)
{
	if (str->esc & KR_JR_ESC)
		return kr_jr_eq(str, name);
	return str->n == n && memcmp(str->s, name, n) == 0;
}
/* For a string literal name. */
#define KR_JR_IS(str, name) kr_jr_eqn((str), (name), sizeof (name) - 1)
/* A number's text as a double (it came through kr_jr_number). */
double kr_jr_double(const char *s, size_t n);
/* What an error is, in a few words ("invalid UTF-8"). */
const char *kr_jr_strerror(enum kr_jr_err err);

#endif
