/*
 * fslog.so: an LD_PRELOAD shim that writes down what a program does to the
 * files below one directory, so that a test can rebuild what a power cut
 * at any moment would have left on disk (tests/data/powerloss.py).
 *
 *   KR_FSLOG_DIR=/abs/dir KR_FSLOG=/abs/journal LD_PRELOAD=.../fslog.so prog
 *
 * Each entry of the journal is one op, written after the real call
 * succeeded, with the CLOCK_MONOTONIC time it returned at:
 *
 *   u8 op, u64 ns, u32 pathlen, path, u64 off, u64 len, [len bytes]
 *
 * op 'W' wrote len bytes at off (the bytes follow); 'T' truncated to len;
 * 'S' fsync or fdatasync returned; 'C' created (or opened with O_TRUNC:
 * a 'T' 0 follows); 'U' unlinked; 'R' renamed (the new path follows, len
 * bytes). Everything is little-endian, as this machine is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *paths[MAXFD];
static char dir[PATH_MAX];
static size_t dirlen;
static int jfd = -1, ready;

static int (*r_open)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static int (*r_ftruncate)(int, off_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_close)(int);
static int (*r_unlink)(const char *);
static int (*r_rename)(const char *, const char *);

static void
init(void)
{
	const char *d, *j;

	if (ready)
		return;
	r_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	r_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
	    "openat");
	r_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
	    "write");
	r_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(
	    RTLD_NEXT, "pwrite");
	r_pwrite64 = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(
	    RTLD_NEXT, "pwrite64");
	r_writev = (ssize_t (*)(int, const struct iovec *, int))dlsym(
	    RTLD_NEXT, "writev");
	r_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
	r_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	r_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	r_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	r_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	r_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
	    "rename");
	d = getenv("KR_FSLOG_DIR");
	j = getenv("KR_FSLOG");
	if (d != NULL && j != NULL && strlen(d) < sizeof dir - 1) {
		strcpy(dir, d);
		dirlen = strlen(dir);
		while (dirlen > 1 && dir[dirlen - 1] == '/')
			dir[--dirlen] = '\0';
		jfd = r_open(j, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
	}
	ready = 1;
}

static int
watched(const char *p)
{
	return jfd != -1 && p != NULL && strncmp(p, dir, dirlen) == 0 &&
	    p[dirlen] == '/';
}

/* One entry, in one write so that threads' entries never interleave. */
static void
entry(char op, const char *path, uint64_t off, uint64_t len,
    const void *data, size_t dlen)
{
	struct timespec ts;
	uint64_t ns;
	uint32_t pl = (uint32_t)strlen(path);
	size_t n = 1 + 8 + 4 + pl + 8 + 8 + dlen, k = 0;
	char *b = malloc(n);

	if (b == NULL)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	b[k++] = op;
	memcpy(b + k, &ns, 8), k += 8;
	memcpy(b + k, &pl, 4), k += 4;
	memcpy(b + k, path, pl), k += pl;
	memcpy(b + k, &off, 8), k += 8;
	memcpy(b + k, &len, 8), k += 8;
	if (dlen)
		memcpy(b + k, data, dlen);
	if (r_write(jfd, b, n) != (ssize_t)n)
		abort();
	free(b);
}

static void
opened(int fd, const char *path, int flags, int existed)
{
	char *p;

	if (fd < 0 || fd >= MAXFD || !watched(path))
		return;
	if ((p = strdup(path)) == NULL)
		abort();
	pthread_mutex_lock(&mu);
	free(paths[fd]);
	paths[fd] = p;
	if (!existed && (flags & O_CREAT))
		entry('C', p, 0, 0, NULL, 0);
	if (flags & O_TRUNC)
		entry('T', p, 0, 0, NULL, 0);
	pthread_mutex_unlock(&mu);
}

static int
exists(const char *path)
{
	struct stat st;

	return watched(path) && stat(path, &st) == 0;
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd, existed;

	init();
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	existed = exists(path);
	fd = r_open(path, flags, mode);
	opened(fd, path, flags, existed);
	return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int
openat(int at, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd, existed;

	init();
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	existed = exists(path);
	fd = r_openat(at, path, flags, mode);
	/* Only absolute paths are watched: that is what the tests give. */
	opened(fd, path, flags, existed);
	return fd;
}

int openat64(int at, const char *path, int flags, ...)
    __attribute__((alias("openat")));

static void
wrote(int fd, const void *p, ssize_t n, off_t off)
{
	if (n <= 0 || fd < 0 || fd >= MAXFD)
		return;
	pthread_mutex_lock(&mu);
	if (paths[fd] != NULL)
		entry('W', paths[fd], (uint64_t)off, (uint64_t)n, p, (size_t)n);
	pthread_mutex_unlock(&mu);
}

static int
tracked(int fd)
{
	int t;

	if (fd < 0 || fd >= MAXFD)
		return 0;
	pthread_mutex_lock(&mu);
	t = paths[fd] != NULL;
	pthread_mutex_unlock(&mu);
	return t;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	off_t off = 0;
	ssize_t r;
	int t;

	init();
	if ((t = tracked(fd))) {
		if (fcntl(fd, F_GETFL) & O_APPEND)
			off = lseek(fd, 0, SEEK_END);
		else
			off = lseek(fd, 0, SEEK_CUR);
	}
	r = r_write(fd, p, n);
	if (t)
		wrote(fd, p, r, off);
	return r;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t r;

	init();
	r = r_pwrite(fd, p, n, off);
	wrote(fd, p, r, off);
	return r;
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	ssize_t r;

	init();
	r = r_pwrite64(fd, p, n, off);
	wrote(fd, p, r, off);
	return r;
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	off_t off = 0;
	ssize_t r, left;
	int t, i;

	init();
	if ((t = tracked(fd)))
		off = lseek(fd, 0, SEEK_CUR);
	r = r_writev(fd, iov, cnt);
	for (i = 0, left = r; t && i < cnt && left > 0; i++) {
		ssize_t k = (ssize_t)iov[i].iov_len < left ?
		    (ssize_t)iov[i].iov_len : left;

		wrote(fd, iov[i].iov_base, k, off);
		off += k;
		left -= k;
	}
	return r;
}

int
ftruncate(int fd, off_t len)
{
	int r;

	init();
	r = r_ftruncate(fd, len);
	if (r == 0 && fd >= 0 && fd < MAXFD) {
		pthread_mutex_lock(&mu);
		if (paths[fd] != NULL)
			entry('T', paths[fd], 0, (uint64_t)len, NULL, 0);
		pthread_mutex_unlock(&mu);
	}
	return r;
}

int ftruncate64(int fd, off_t len) __attribute__((alias("ftruncate")));

static int
synced(int fd, int r)
{
	if (r == 0 && fd >= 0 && fd < MAXFD) {
		pthread_mutex_lock(&mu);
		if (paths[fd] != NULL)
			entry('S', paths[fd], 0, 0, NULL, 0);
		pthread_mutex_unlock(&mu);
	}
	return r;
}

int
fsync(int fd)
{
	init();
	return synced(fd, r_fsync(fd));
}

int
fdatasync(int fd)
{
	init();
	return synced(fd, r_fdatasync(fd));
}

int
close(int fd)
{
	init();
	if (fd >= 0 && fd < MAXFD) {
		pthread_mutex_lock(&mu);
		free(paths[fd]);
		paths[fd] = NULL;
		pthread_mutex_unlock(&mu);
	}
	return r_close(fd);
}

int
unlink(const char *path)
{
	int r;

	init();
	r = r_unlink(path);
	if (r == 0 && watched(path)) {
		pthread_mutex_lock(&mu);
		entry('U', path, 0, 0, NULL, 0);
		pthread_mutex_unlock(&mu);
	}
	return r;
}

int
rename(const char *from, const char *to)
{
	int r;

	init();
	r = r_rename(from, to);
	if (r == 0 && watched(from)) {
		pthread_mutex_lock(&mu);
		entry('R', from, 0, strlen(to), to, strlen(to));
		pthread_mutex_unlock(&mu);
	}
	return r;
}
