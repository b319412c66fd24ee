/*
 * preadlog.so: an LD_PRELOAD shim that writes down each pread of a file
 * below one directory, as a line "name offset length" (the file's name in
 * it, what the call returned), so
 * that a test can see what a program read back of the files it wrote.
 *
 *   KR_PREADLOG_DIR=/abs/dir KR_PREADLOG=/abs/log LD_PRELOAD=.../preadlog.so prog
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t (*r_pread)(int, void *, size_t, off_t);

static void
note(int fd, off_t off, ssize_t r)
{
	const char *dir = getenv("KR_PREADLOG_DIR"), *log = getenv("KR_PREADLOG");
	char link[64], path[PATH_MAX], line[PATH_MAX + 64];
	ssize_t n;
	int lfd;

	if (dir == NULL || log == NULL || r < 0)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return;
	path[n] = '\0';
	if (strncmp(path, dir, strlen(dir)) != 0 || path[strlen(dir)] != '/')
		return;
	if ((lfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return;
	n = snprintf(line, sizeof line, "%s %lld %zd\n",
	    path + strlen(dir) + 1, (long long)off, r);
	(void)!write(lfd, line, (size_t)n);
	close(lfd);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t r;

	if (r_pread == NULL)
		r_pread = (ssize_t (*)(int, void *, size_t, off_t))dlsym(
		    RTLD_NEXT, "pread");
	r = r_pread(fd, buf, len, off);
	note(fd, off, r);
	return r;
}

/* off_t is 64 bits here, as for fslog.c's open64. */
ssize_t pread64(int fd, void *buf, size_t len, off_t off)
    __attribute__((alias("pread")));
