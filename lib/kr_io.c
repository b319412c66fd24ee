/* kr_io: reads and writes that survive EINTR, EAGAIN and short counts. */
#define _GNU_SOURCE		/* F_GETPIPE_SZ, F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "kr_io.h"

ssize_t
kr_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r == -1 && errno == EINTR);
	return r;
}

int
kr_writeall(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };

				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					return -1;
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
kr_pipe_grow(int fd)
{
	int n = fcntl(fd, F_GETPIPE_SZ);

	if (n != -1 && n < KR_PIPE_BYTES)
		(void)fcntl(fd, F_SETPIPE_SZ, KR_PIPE_BYTES);
}

int
kr_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int
kr_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

void
kr_ignore_sigpipe(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

char *
kr_read_file(const char *path, size_t max, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *s, *t;
	ssize_t r;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((s = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1) {
				errno = EFBIG;
				goto fail;
			}
			if ((t = realloc(s, cap * 2)) == NULL)
				goto fail;
			s = t;
			cap *= 2;
		}
		r = kr_read(fd, s + len, cap - len - 1);
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return s;
fail:
	e = errno;
	free(s);
	close(fd);
	errno = e;
	return NULL;
}
