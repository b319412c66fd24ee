/*
 * bundle-launch: the one static program in a keruta bundle.  Every name in
 * the bundle's bin/ and libexec/ is a link to it; it runs the program of
 * that name with the bundle's own dynamic loader and libraries, so that
 * the bundle works from any directory of any x86-64 Linux.
 *
 * The bundle is laid out as
 *	bin/keruta-*		links to ../libexec/launch
 *	lib/			the loader (KR_LDSO) and the shared libraries
 *	libexec/launch		this program
 *	libexec/keruta-*	links to launch; a shell script of the same
 *				name is the script itself
 *	libexec/elf/keruta-*	the programs
 *	libexec/busybox		the shell that runs the scripts
 *	libexec/utils/		links to busybox: the utilities scripts call
 *
 * Reads: its own path (the name it was started by, its links resolved).
 * A program in libexec/elf/ runs as
 *	lib/KR_LDSO --library-path lib --argv0 argv0 libexec/elf/NAME args
 * so that the programs it starts in turn see none of the bundle's
 * libraries.  A script in libexec/ runs as
 *	libexec/busybox sh libexec/NAME args
 * with libexec/utils added at the end of PATH: the image's own utilities
 * come first, for the script's children too, and the bundle's fill in
 * what the image lacks.
 * Exits 127 when the bundle has no such program or is not whole, 126 when
 * it cannot be run; otherwise the program's own status, as it becomes it.
 */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KR_LDSO
#define KR_LDSO "ld-linux-x86-64.so.2"
#endif
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

static const char *name = "keruta";

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof msg, "%s: fatal: ", name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(msg);
	if (n < (int)sizeof msg - 1)
		msg[n++] = '\n';
	(void)!write(2, msg, (size_t)n);
	exit(code);
}

/* s with its last path component and the slash before it cut off. */
static void
cut_last(char *s)
{
	char *p = strrchr(s, '/');

	if (p == NULL)
		die(127, "no directory in '%s'", s);
	*p = '\0';
	if (*s == '\0') {
		s[0] = '/';
		s[1] = '\0';
	}
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s == NULL)
		die(126, "out of memory");
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* Where the link path points, or NULL when path is not a link. */
static char *
link_target(const char *path)
{
	char target[PATH_MAX], *dir, *s;
	ssize_t len;

	len = readlink(path, target, sizeof target - 1);
	if (len == -1)
		return NULL;
	target[len] = '\0';
	if (target[0] == '/' || strchr(path, '/') == NULL)
		return join(target, "");
	dir = join(path, "");
	*strrchr(dir, '/') = '\0';
	s = join(join(dir, "/"), target);
	free(dir);
	return s;
}

/*
 * The program's name: that of the last link on the way from path to this
 * program, so that a link of any name to bin/keruta-agent is keruta-agent.
 */
static const char *
name_of(const char *path)
{
	const char *cur = path, *base;
	char *next;
	struct stat st;
	int hops;

	for (hops = 0; hops < 40; hops++) {
		if ((next = link_target(cur)) == NULL)
			break;
		if (lstat(next, &st) == -1 || !S_ISLNK(st.st_mode))
			break;
		cur = next;
	}
	base = strrchr(cur, '/');
	return base != NULL ? base + 1 : cur;
}

int
main(int argc, char *argv[])
{
	const char *started = (const char *)getauxval(AT_EXECFN);
	char root[PATH_MAX], *prog, **av;
	struct stat st;
	int i, n = 0;

	if (started == NULL || *started == '\0')
		started = argc > 0 ? argv[0] : "";
	name = name_of(started);
	if (realpath(started, root) == NULL)
		die(127, "unable to find the bundle from '%s': %s", started,
		    strerror(errno));
	cut_last(root);			/* libexec/launch */
	cut_last(root);			/* libexec */
	/* The loader reads its library path as a list split at ':' or ';'. */
	if (strpbrk(root, ":;") != NULL)
		die(127, "the bundle's directory '%s' holds a ':' or ';': "
		    "move it", root);

	av = calloc((size_t)argc + 8, sizeof *av);
	if (av == NULL)
		die(126, "out of memory");
	prog = join(join(root, "/libexec/elf/"), name);
	if (strchr(name, '/') == NULL && strcmp(name, "launch") != 0 &&
	    stat(prog, &st) == 0 && S_ISREG(st.st_mode)) {
		av[n++] = join(root, "/lib/" KR_LDSO);
		av[n++] = "--library-path";
		av[n++] = join(root, "/lib");
		av[n++] = "--argv0";
		av[n++] = argc > 0 ? argv[0] : (char *)name;
		av[n++] = prog;
	} else {
		const char *path = getenv("PATH");

		prog = join(join(root, "/libexec/"), name);
		if (strchr(name, '/') != NULL || lstat(prog, &st) == -1 ||
		    !S_ISREG(st.st_mode) || strcmp(name, "launch") == 0 ||
		    strcmp(name, "busybox") == 0)
			die(127, "no program '%s' in the bundle '%s'", name,
			    root);
		path = path != NULL && *path != '\0' ? path : DEFAULT_PATH;
		path = join(join(path, ":"), join(root, "/libexec/utils"));
		if (setenv("PATH", path, 1) == -1)
			die(126, "unable to set PATH: %s", strerror(errno));
		av[n++] = "sh";
		av[n++] = prog;
	}
	for (i = 1; i < argc; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	if (n > 0 && strcmp(av[0], "sh") == 0) {
		execv(join(root, "/libexec/busybox"), av);
		die(126, "unable to run '%s/libexec/busybox': %s", root,
		    strerror(errno));
	}
	execv(av[0], av);
	die(126, "unable to run '%s': %s", av[0], strerror(errno));
}
