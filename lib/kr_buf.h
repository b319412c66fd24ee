/* kr_buf: a growable byte buffer with a hard maximum. */
#ifndef KR_BUF_H
#define KR_BUF_H

#include <stddef.h>
#include <string.h>

/*
 * s holds len bytes and is always NUL-terminated when non-NULL (cap counts
 * the NUL). Capacity doubles up to max bytes of content; past it, adding
 * fails with ENOBUFS and leaves the buffer as it was.
 */
struct kr_buf {
	char *s;
	size_t len, cap, max;
};
#define KR_BUF_INIT(max) { NULL, 0, 0, (max) }

void kr_buf_init(struct kr_buf *b, size_t max);
void kr_buf_free(struct kr_buf *b);
/* Room for n more bytes. 0, or -1 with errno ENOBUFS or ENOMEM. */
int kr_buf_reserve(struct kr_buf *b, size_t n);
/* What kr_buf_add does when the room is not there yet: grows, then adds. */
int kr_buf_add_grow(struct kr_buf *b, const void *p, size_t n);

/*
 * Appends are inline: the common one fits, and costs a compare and a
 * copy rather than two calls (a third of what keruta-capture spent).
 * cap never passes max + 1, so what fits is within max.
 */
static inline int
kr_buf_add(struct kr_buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len) {
		if (n > 0)
			memcpy(b->s + b->len, p, n);
		b->len += n;
		b->s[b->len] = '\0';
		return 0;
	}
	return kr_buf_add_grow(b, p, n);
}

static inline int
kr_buf_adds(struct kr_buf *b, const char *s)
{
	return kr_buf_add(b, s, strlen(s));
}

static inline int
kr_buf_addc(struct kr_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->s[b->len++] = c;
		b->s[b->len] = '\0';
		return 0;
	}
	return kr_buf_add_grow(b, &c, 1);
}
/* Appends the decimal form of v; faster than printf. */
int kr_buf_addu64(struct kr_buf *b, unsigned long long v);
int kr_buf_addi64(struct kr_buf *b, long long v);
int kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void kr_buf_consume(struct kr_buf *b, size_t n);

#endif
