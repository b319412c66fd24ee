/* kr_io: reads and writes that survive EINTR, EAGAIN and short counts. */
#ifndef KR_IO_H
#define KR_IO_H

#include <stddef.h>
#include <sys/types.h>

/* read(2) retried on EINTR. -1 with EAGAIN means "not now". */
ssize_t kr_read(int fd, void *buf, size_t n);
/*
 * Writes all n bytes, polling when fd is non-blocking and full.
 * 0, or -1 with errno (EPIPE when the reader went away).
 */
int kr_writeall(int fd, const void *buf, size_t n);
int kr_set_nonblock(int fd, int on);
int kr_set_cloexec(int fd);
/*
 * Gives the pipe on fd room for KR_PIPE_BYTES (1 MiB, what Linux lets any
 * process ask by default) when it has less: the stages then read and write
 * a pipe in fewer, larger steps. A fd that is not a pipe, or a refusal
 * (a user over its pipe quota), leaves it as it is.
 */
#define KR_PIPE_BYTES	(1 << 20)
void kr_pipe_grow(int fd);
/* Ignores SIGPIPE so that EPIPE comes back as an error. */
void kr_ignore_sigpipe(void);
/* Reads a whole file of at most max bytes into a NUL-terminated malloc'd
 * buffer. NULL with errno (EFBIG past max). */
char *kr_read_file(const char *path, size_t max, size_t *lenp);

#endif
