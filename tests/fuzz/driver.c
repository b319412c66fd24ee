/*
 * driver: runs a fuzz harness over its seed corpus without libFuzzer, so
 * that `make check` replays every corpus with whatever compiler and
 * sanitizers the build uses. Prints TAP: one test per corpus file.
 *
 * The corpus is tests/fuzz/corpus/<name>/ below KR_TOP (or the current
 * directory); <name> is the program's own name without ".t".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return -1;
	do {
		if (n == cap) {
			uint8_t *q = realloc(p, cap = cap ? cap * 2 : 4096);

			if (q == NULL) {
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	/* The harness gets exactly the file's bytes, as libFuzzer gives them. */
	LLVMFuzzerTestOneInput(n ? p : (const uint8_t *)"", n);
	free(p);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *top = getenv("KR_TOP"), *name;
	char dir[4096], path[8192], **v = NULL;
	struct dirent *e;
	size_t nv = 0, i, len;
	DIR *d;
	int failed = 0;

	(void)argc;
	name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	len = strlen(name);
	if (len > 2 && strcmp(name + len - 2, ".t") == 0)
		len -= 2;
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%.*s",
	    top ? top : ".", (int)len, name);
	if ((d = opendir(dir)) == NULL) {
		printf("1..1\nnot ok 1 - corpus %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		char **w;

		if (e->d_name[0] == '.')
			continue;
		if ((w = realloc(v, (nv + 1) * sizeof *v)) == NULL)
			return 1;
		v = w;
		if ((v[nv++] = strdup(e->d_name)) == NULL)
			return 1;
	}
	closedir(d);
	qsort(v, nv, sizeof *v, cmp);
	/* A harness that aborts leaves the input it aborted on named. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", nv ? nv : 1);
	if (nv == 0)
		printf("not ok 1 - corpus %s is empty\n", dir);
	for (i = 0; i < nv; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, v[i]);
		printf("# %s\n", v[i]);
		if (run(path) == -1) {
			printf("not ok %zu - %s: %s\n", i + 1, v[i],
			    strerror(errno));
			failed = 1;
		} else {
			printf("ok %zu - %s\n", i + 1, v[i]);
		}
		free(v[i]);
	}
	free(v);
	return failed || nv == 0;
}
