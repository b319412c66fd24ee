/*
 * lexfix.h: what libwebsockets 4.1 reads of a request, mended on its way
 * in. Its header lexer, given a header whose name is a proper prefix of
 * one it knows (X-A, Acc, Ho), takes the colon for part of the name and
 * the rest of the request with it: no reply ever comes, or the headers
 * after it are lost. keruta-serve defines recv() and SSL_read(), which
 * the library calls, and on the connections it was told of changes the
 * last character of such a name to '~': a name the library does not
 * know, as it did not know the client's, and now reads as one. Request
 * bodies and WebSocket traffic pass untouched.
 */
#ifndef LEXFIX_H
#define LEXFIX_H

#include <stddef.h>
#include <sys/types.h>

/* Learns the library's header names; before the first connection. */
void lexfix_init(void);
/* A new HTTP connection on fd: what it reads is mended from now on. */
void lexfix_watch(int fd);

/* One connection's place in its requests. */
struct lexfix;

struct lexfix *lexfix_new(void);
void lexfix_free(struct lexfix *lf);
/*
 * Reads into buf (len bytes at most) with rd(arg, buf, len), which
 * returns as recv() does, and mends what came: what to hand on, as
 * recv() returns it. The last byte read may be kept for the next call;
 * when it was all that came, the call fails with EAGAIN if can_wait,
 * else it is handed on unmended.
 */
ssize_t lexfix_read(struct lexfix *lf, char *buf, size_t len,
    ssize_t (*rd)(void *arg, char *buf, size_t len), void *arg,
    int can_wait);
/* 1 once the connection is past HTTP (a WebSocket): nothing to mend. */
int lexfix_done(const struct lexfix *lf);

#endif
