/* kr_set: getopt, usage and --help from a tool's table of settings. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_diag.h"
#include "kr_opt.h"
#include "kr_set.h"

#define SET_MAX		64	/* entries of one table at most */
#define HELP_COL	26	/* where the help text of an option starts */

/* What kr_set_getopt built for the table it was last called with. */
static struct {
	const struct kr_tool *t;
	char shorts[2 * SET_MAX + 2];
	struct option lo[SET_MAX + 1];
	int quiet, verbose;
} gs;

static char usage_buf[1024];
void (*kr_set_more_help)(void);
static const struct kr_tool *usage_of;

/* Letters first, in the order of the alphabet (A before a); then names. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct kr_set *x = *(const struct kr_set *const *)a;
	const struct kr_set *y = *(const struct kr_set *const *)b;
	int lx = x->id < 256, ly = y->id < 256;

	if (lx != ly)
		return ly - lx;
	if (lx && tolower(x->id) != tolower(y->id))
		return tolower(x->id) - tolower(y->id);
	if (lx)
		return x->id - y->id;
	return strcmp(x->name, y->name);
}

/* The options of t, sorted as the usage and --help show them. */
static size_t
sorted(const struct kr_tool *t, const struct kr_set **out)
{
	size_t i, n = 0;

	for (i = 0; i < t->n && n < SET_MAX; i++)
		if (t->set[i].name != NULL)
			out[n++] = &t->set[i];
	qsort(out, n, sizeof *out, cmp_entry);
	return n;
}

static void
build(const struct kr_tool *t)
{
	size_t i, s = 0, l = 0;

	memset(&gs, 0, sizeof gs);
	gs.t = t;
	if (t->in_order)
		gs.shorts[s++] = '+';
	for (i = 0; i < t->n && l < SET_MAX; i++) {
		const struct kr_set *e = &t->set[i];

		if (e->name == NULL)
			continue;
		if (e->id < 256) {
			/* An optional value is given to the long name only. */
			gs.shorts[s++] = (char)e->id;
			if (e->arg != NULL && !(e->flags & KR_SET_OPTIONAL))
				gs.shorts[s++] = ':';
		}
		gs.lo[l].name = e->name;
		gs.lo[l].has_arg = e->arg == NULL ? no_argument :
		    e->flags & KR_SET_OPTIONAL ? optional_argument :
		    required_argument;
		gs.lo[l++].val = e->id;
	}
}

int
kr_set_getopt(int argc, char *argv[], const struct kr_tool *t)
{
	int ch;

	if (gs.t != t)
		build(t);
	for (;;) {
		ch = kr_getopt(argc, argv, gs.shorts, gs.lo, NULL);
		switch (ch) {
		case 'h':
			kr_set_help(t);
			exit(fflush(stdout) == 0 ? KR_EX_OK : KR_EX_TEMP);
		case 'V':
			printf("%s %s\n", t->name, KR_VERSION);
			exit(fflush(stdout) == 0 ? KR_EX_OK : KR_EX_TEMP);
		case 'q':
			gs.quiet = 1;
			break;
		case 'v':
			gs.verbose++;
			break;
		case '?':
		case ':':
			kr_set_usage(t);
		default:
			return ch;
		}
		kr_diag_set_verbosity(gs.quiet ? KR_V_QUIET :
		    gs.verbose > KR_V_DEBUG ? KR_V_DEBUG : gs.verbose);
	}
}

/* Whether the letter of e takes a value. */
static int
takes_value(const struct kr_set *e)
{
	return e->arg != NULL && !(e->flags & KR_SET_OPTIONAL);
}

/* Appends printf-style text to usage_buf. */
static void KR_PRINTF(1, 2)
add(const char *fmt, ...)
{
	size_t n = strlen(usage_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(usage_buf + n, sizeof usage_buf - n, fmt, ap);
	va_end(ap);
}

const char *
kr_set_usage_line(const struct kr_tool *t)
{
	const struct kr_set *e[SET_MAX];
	size_t i, n;

	if (usage_of == t)
		return usage_buf;
	usage_of = t;
	n = sorted(t, e);
	snprintf(usage_buf, sizeof usage_buf, "%s", t->name);
	add(" [-");
	for (i = 0; i < n; i++)
		if (e[i]->id < 256 && !takes_value(e[i]))
			add("%c", e[i]->id);
	add("]");
	for (i = 0; i < n; i++)
		if (e[i]->id < 256 && takes_value(e[i]))
			add(" [-%c %s]", e[i]->id, e[i]->arg);
	for (i = 0; i < n; i++) {
		if (e[i]->id < 256)
			continue;
		if (e[i]->arg == NULL)
			add(" [--%s]", e[i]->name);
		else if (e[i]->flags & KR_SET_OPTIONAL)
			add(" [--%s[=%s]]", e[i]->name, e[i]->arg);
		else
			add(" [--%s %s]", e[i]->name, e[i]->arg);
	}
	if (t->operands != NULL)
		add(" %s", t->operands);
	return usage_buf;
}

void
kr_set_usage(const struct kr_tool *t)
{
	kr_usage(kr_set_usage_line(t));
}

/* One option of --help: its names, then the help from HELP_COL on. */
static void
help_line(const struct kr_set *e)
{
	char names[128], more[160];
	size_t m = 0;

	if (e->id < 256)
		snprintf(names, sizeof names, "  -%c, --%s", e->id, e->name);
	else
		snprintf(names, sizeof names, "      --%s", e->name);
	if (e->arg != NULL)
		snprintf(names + strlen(names), sizeof names - strlen(names),
		    e->flags & KR_SET_OPTIONAL ? "[=%s]" : " %s", e->arg);
	more[0] = '\0';
	if (e->def != NULL)
		m += (size_t)snprintf(more, sizeof more, "%s", e->def);
	if (e->env != NULL && m < sizeof more)
		m += (size_t)snprintf(more + m, sizeof more - m, "%s%s",
		    m ? "; " : "", e->env);
	if (strlen(names) >= HELP_COL - 1)
		printf("%s\n%*s", names, HELP_COL, "");
	else
		printf("%-*s", HELP_COL, names);
	printf("%s", e->help);
	if (more[0] != '\0')
		printf(" (%s)", more);
	putchar('\n');
}

void
kr_set_help(const struct kr_tool *t)
{
	const struct kr_set *e[SET_MAX];
	size_t i, n;

	printf("usage: %s\n\n%s\n\n", kr_set_usage_line(t), t->about);
	n = sorted(t, e);
	for (i = 0; i < n; i++)
		help_line(e[i]);
	if (kr_set_more_help != NULL)
		kr_set_more_help();
}

const struct kr_set *
kr_set_find(const struct kr_tool *t, int id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->set[i].id == id)
			return &t->set[i];
	return NULL;
}

const char *
kr_set_key(const struct kr_tool *t, const struct kr_cfg *c, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->set[i].key != NULL && strcmp(t->set[i].key, key) == 0)
			return kr_cfg_get(c, key, t->set[i].env, t->set[i].def);
	kr_die(KR_EX_BUG, "%s has no setting '%s'", t->name, key);
}

const char *
kr_set_value(const struct kr_tool *t, const struct kr_cfg *c, int id,
    const char *flag, const char **from)
{
	const struct kr_set *e = kr_set_find(t, id);
	const char *v, *src = NULL;

	if (e == NULL)
		kr_die(KR_EX_BUG, "%s has no setting %d", t->name, id);
	if (flag != NULL) {
		v = flag;
		src = e->name;
	} else if (e->env != NULL && (v = getenv(e->env)) != NULL &&
	    *v != '\0') {
		src = e->env;
	} else if (e->key != NULL && (v = kr_cfg_yaml(c, e->key)) != NULL) {
		src = e->key;
	} else {
		v = e->def;
	}
	if (from != NULL)
		*from = src;
	return v;
}
