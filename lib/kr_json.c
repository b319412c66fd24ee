/* kr_json: fast JSON string escaping, UTF-8 checks, base64. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <sodium.h>

#include "kr_json.h"

/* 0: copy as is; 'u': \u00XX; other: the letter after '\\'. */
static const char esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'u', 'u', 'u', 'u', 0, 0, '"', [92] = '\\',
};

int
kr_json_escape(struct kr_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *run;
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };

	/* Worst case is 6 bytes out per byte in; reserving up front keeps
	 * the loop free of capacity checks for the common short line. */
	if (kr_buf_reserve(b, n) == -1)
		return -1;
	while (p < e) {
		run = p;
#ifdef __SSE2__
		/* Plain text 16 bytes at a time (every x86-64 has SSE2). */
		while (e - p >= 16) {
			__m128i v, c = _mm_set1_epi8(0x1f);

			v = _mm_loadu_si128((const __m128i *)(const void *)p);
			if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmpeq_epi8(_mm_max_epu8(v, c), c))) != 0)
				break;
			p += 16;
		}
#endif
		/* Plain text 8 bytes at a time: a word with no '"', '\\' or
		 * control byte in it is copied whole. */
		while (e - p >= 8) {
			uint64_t x;

			memcpy(&x, p, 8);
			if (kr_json_stops(x) != 0)
				break;
			p += 8;
		}
		while (p < e && esc[*p] == 0)
			p++;
		if (p > run && kr_buf_add(b, run, (size_t)(p - run)) == -1)
			return -1;
		if (p == e)
			break;
		if (esc[*p] == 'u') {
			u[4] = hex[*p >> 4];
			u[5] = hex[*p & 15];
			if (kr_buf_add(b, u, 6) == -1)
				return -1;
		} else {
			char two[2] = { '\\', esc[*p] };

			if (kr_buf_add(b, two, 2) == -1)
				return -1;
		}
		p++;
	}
	return 0;
}

size_t
kr_utf8_char(const unsigned char *p, const unsigned char *e)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		if (e - p < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xf0) {
		if (e - p < 3 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c < 0xf5) {
		if (e - p < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;	/* past U+10FFFF */
		return 4;
	}
	return 0;
}

size_t
kr_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t k;

	while (p < e) {
		if (*p < 0x80) {
			uint64_t w;

			/* ASCII, the common case: 32 bytes at a time, then
			 * 8. */
			p++;
#ifdef __SSE2__
			while (e - p >= 32 && _mm_movemask_epi8(_mm_or_si128(
			    _mm_loadu_si128((const __m128i *)(const void *)p),
			    _mm_loadu_si128((const __m128i *)(const void *)
			    (p + 16)))) == 0)
				p += 32;
#endif
			while (e - p >= 8) {
				memcpy(&w, p, 8);
				if (w & 0x8080808080808080ULL)
					break;
				p += 8;
			}
			continue;
		}
		if ((k = kr_utf8_char(p, e)) == 0)
			break;
		p += k;
	}
	return (size_t)(p - (const unsigned char *)s);
}

size_t
kr_utf8_cut(const char *s, size_t n)
{
	size_t i = n, back = 0;

	/* Step back over at most 3 continuation bytes to a lead byte. */
	while (i > 0 && back < 3 && ((unsigned char)s[i] & 0xc0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0 || ((unsigned char)s[i] & 0xc0) == 0x80)
		return n;
	return i;
}

long
kr_json_escape_utf8(struct kr_buf *b, const char *s, size_t n)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	long bad = 0;
	size_t ok;

	while (p < e) {
		ok = kr_utf8_valid((const char *)p, (size_t)(e - p));
		if (kr_json_escape(b, (const char *)p, ok) == -1)
			return -1;
		p += ok;
		if (p == e)
			break;
		if (kr_buf_add(b, fffd, 3) == -1)
			return -1;
		bad++;
		p++;
		/* One U+FFFD per maximal bad subpart: skip its
		 * continuation bytes. */
		while (p < e && (*p & 0xc0) == 0x80)
			p++;
	}
	return bad;
}

int
kr_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kr_base64_add(struct kr_buf *b, const void *p, size_t n)
{
	size_t m = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);

	if (kr_buf_reserve(b, m) == -1)
		return -1;
	sodium_bin2base64(b->s + b->len, m, p, n,
	    sodium_base64_VARIANT_ORIGINAL);
	b->len += m - 1;
	return 0;
}

int
kr_base64_decode(struct kr_buf *out, const char *s, size_t n)
{
	const char *end;
	size_t len;

	if (kr_buf_reserve(out, n / 4 * 3 + 3) == -1)
		return -1;
	if (sodium_base642bin((unsigned char *)out->s + out->len,
	    out->cap - out->len - 1, s, n, NULL, &len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n) {
		errno = EINVAL;
		return -1;
	}
	out->len += len;
	out->s[out->len] = '\0';
	return 0;
}
