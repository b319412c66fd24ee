/* kr_buf: a growable byte buffer with a hard maximum. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_buf.h"

void
kr_buf_init(struct kr_buf *b, size_t max)
{
	b->s = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
kr_buf_free(struct kr_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int
kr_buf_reserve(struct kr_buf *b, size_t n)
{
	size_t need, cap;
	char *s;

	if (n > b->max || b->len > b->max - n) {
		errno = ENOBUFS;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((s = realloc(b->s, cap)) == NULL)
		return -1;
	b->s = s;
	b->cap = cap;
	return 0;
}

int
kr_buf_add_grow(struct kr_buf *b, const void *p, size_t n)
{
	if (kr_buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
kr_buf_addu64(struct kr_buf *b, unsigned long long v)
{
	char d[24], *p = d + sizeof d;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return kr_buf_add(b, p, (size_t)(d + sizeof d - p));
}

int
kr_buf_addi64(struct kr_buf *b, long long v)
{
	if (v < 0) {
		if (kr_buf_addc(b, '-') == -1)
			return -1;
		return kr_buf_addu64(b, 0ULL - (unsigned long long)v);
	}
	return kr_buf_addu64(b, (unsigned long long)v);
}

int
kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || kr_buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
kr_buf_consume(struct kr_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->s, b->s + n, b->len - n);
		b->len -= n;
	}
	if (b->s != NULL)
		b->s[b->len] = '\0';
}
