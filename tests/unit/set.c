/*
 * The settings tables: a letter means one thing in every program, a long
 * name has one letter (or none) everywhere, no table names an option
 * twice, and each man page lists exactly the options of its table.
 * KR_TOP names the source tree (make check sets it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_set.h"
#include "tap.h"

/* Each letter's long name, and each long name's letter, across tables. */
static void
check_letters(void)
{
	const char *by_letter[256] = { 0 }, *owner[256] = { 0 };
	char bad[4096] = "";
	size_t t, u, i, j;

	for (t = 0; kr_tools[t] != NULL; t++) {
		for (i = 0; i < kr_tools[t]->n; i++) {
			const struct kr_set *e = &kr_tools[t]->set[i];

			if (e->name == NULL || e->id >= 256)
				continue;
			if (by_letter[e->id] == NULL) {
				by_letter[e->id] = e->name;
				owner[e->id] = kr_tools[t]->name;
			} else if (strcmp(by_letter[e->id], e->name) != 0)
				snprintf(bad + strlen(bad), sizeof bad -
				    strlen(bad), " -%c: --%s in %s, --%s in %s;",
				    e->id, by_letter[e->id], owner[e->id],
				    e->name, kr_tools[t]->name);
		}
	}
	is(bad, "", "no letter has two meanings");
	bad[0] = '\0';
	for (t = 0; kr_tools[t] != NULL; t++)
		for (u = t + 1; kr_tools[u] != NULL; u++)
			for (i = 0; i < kr_tools[t]->n; i++)
				for (j = 0; j < kr_tools[u]->n; j++) {
					const struct kr_set *a =
					    &kr_tools[t]->set[i];
					const struct kr_set *b =
					    &kr_tools[u]->set[j];

					if (a->name == NULL || b->name ==
					    NULL || strcmp(a->name, b->name)
					    != 0 || a->id == b->id)
						continue;
					snprintf(bad + strlen(bad),
					    sizeof bad - strlen(bad),
					    " --%s in %s and %s;", a->name,
					    kr_tools[t]->name,
					    kr_tools[u]->name);
				}
	is(bad, "", "a long name has the same letter (or none) everywhere");
}

/* No table names an option, a letter or a key twice. */
static void
check_unique(const struct kr_tool *t)
{
	size_t i, j;
	int dup = 0;

	for (i = 0; i < t->n; i++)
		for (j = i + 1; j < t->n; j++) {
			const struct kr_set *a = &t->set[i], *b = &t->set[j];

			if ((a->name && b->name && !strcmp(a->name, b->name)) ||
			    (a->id != KR_O_KEY && a->id == b->id) ||
			    (a->key && b->key && !strcmp(a->key, b->key))) {
				printf("# %s: entries %zu and %zu clash\n",
				    t->name, i, j);
				dup = 1;
			}
		}
	ok(!dup, "%s names each option and key once", t->name);
}

/*
 * The options a man page lists: from each ".It Fl" line, "x name" or
 * "- name" for each long name (with the letter before it on the line).
 */
static void
man_options(const char *path, char *out, size_t outlen)
{
	char line[1024], *tok, *save, letter;
	FILE *f;

	out[0] = '\0';
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(out, outlen, "unable to open %s", path);
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		int fl = 0;

		if (strncmp(line, ".It Fl ", 7) != 0)
			continue;
		letter = '-';
		for (tok = strtok_r(line + 4, " \n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \n", &save)) {
			if (strcmp(tok, "Fl") == 0) {
				fl = 1;
				continue;
			}
			if (fl && tok[0] == '-' && tok[1] != '\0') {
				snprintf(out + strlen(out), outlen -
				    strlen(out), "%c %s\n", letter, tok + 1);
				letter = '-';
			} else if (fl && tok[1] == '\0')
				letter = tok[0];
			fl = 0;
		}
	}
	fclose(f);
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s, sorted, in place. */
static void
sort_lines(char *s)
{
	char *v[128], copy[8192], *p, *save;
	size_t n = 0, i;

	snprintf(copy, sizeof copy, "%s", s);
	for (p = strtok_r(copy, "\n", &save); p != NULL && n < 128;
	    p = strtok_r(NULL, "\n", &save))
		v[n++] = p;
	qsort(v, n, sizeof v[0], cmp_line);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(s + strlen(s), "%s\n", v[i]);
}

static void
check_man(const struct kr_tool *t, const char *top)
{
	char path[4096], got[8192], want[8192];
	size_t i;

	snprintf(path, sizeof path, "%s/man/%s.%d", top, t->name,
	    strcmp(t->name, "keruta-serve") == 0 ? 8 : 1);
	man_options(path, got, sizeof got);
	want[0] = '\0';
	for (i = 0; i < t->n; i++)
		if (t->set[i].name != NULL)
			sprintf(want + strlen(want), "%c %s\n",
			    t->set[i].id < 256 ? t->set[i].id : '-',
			    t->set[i].name);
	sort_lines(got);
	sort_lines(want);
	is(got, want, "%s's man page lists exactly the options of its table",
	    t->name);
}

int
main(void)
{
	const char *top = getenv("KR_TOP");
	size_t t;

	check_letters();
	for (t = 0; kr_tools[t] != NULL; t++)
		check_unique(kr_tools[t]);
	ok(top != NULL, "KR_TOP names the source tree");
	for (t = 0; top != NULL && kr_tools[t] != NULL; t++)
		check_man(kr_tools[t], top);
	return done_testing();
}
