/* kr_json: fast JSON string escaping, UTF-8 checks, base64. */
#ifndef KR_JSON_H
#define KR_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "kr_buf.h"

/*
 * The bytes of the word x (8 bytes of text) that a JSON string's plain
 * run stops at, '"', '\\' and control bytes, flagged in their high bit.
 * The lowest byte flagged is always one (a false one only comes above).
 */
static inline uint64_t
kr_json_stops(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x)) & (ones * 0x80);
}

/*
 * Appends s[0..n) to b as the inside of a JSON string: '"', '\\' and
 * control bytes escaped, all else copied (s must be valid UTF-8; see
 * kr_json_escape_utf8 otherwise). 0, or -1 with errno from kr_buf.
 */
int kr_json_escape(struct kr_buf *b, const char *s, size_t n);
/*
 * As kr_json_escape, but each invalid UTF-8 sequence becomes U+FFFD.
 * Returns the number of replacements, or -1 with errno.
 */
long kr_json_escape_utf8(struct kr_buf *b, const char *s, size_t n);
/* Length of the longest valid UTF-8 prefix of s[0..n). */
size_t kr_utf8_valid(const char *s, size_t n);
/*
 * Length of the valid UTF-8 character at p (before e), or 0 when it is
 * not one (overlong, a surrogate, past U+10FFFF, cut short).
 */
size_t kr_utf8_char(const unsigned char *p, const unsigned char *e);
/*
 * Length of a cut point <= n that does not split a UTF-8 sequence, for
 * splitting long lines; n itself when s[n] starts a character.
 */
size_t kr_utf8_cut(const char *s, size_t n);
/* The value of the hex digit c, or -1 when c is not one. */
int kr_hexval(int c);
/* Appends standard base64 (with padding) of p[0..n). */
int kr_base64_add(struct kr_buf *b, const void *p, size_t n);
/* Decodes standard base64; -1 on bad input. */
int kr_base64_decode(struct kr_buf *out, const char *s, size_t n);

#endif
