/* kr_buf: a growable byte buffer with a hard maximum. */
#ifndef KR_BUF_H
#define KR_BUF_H

#include <stddef.h>

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
int kr_buf_add(struct kr_buf *b, const void *p, size_t n);
int kr_buf_adds(struct kr_buf *b, const char *s);
int kr_buf_addc(struct kr_buf *b, char c);
/* Appends the decimal form of v; faster than printf. */
int kr_buf_addu64(struct kr_buf *b, unsigned long long v);
int kr_buf_addi64(struct kr_buf *b, long long v);
int kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void kr_buf_consume(struct kr_buf *b, size_t n);

#endif
