/*
 * keruta-config: print the settings the keruta tools resolve, from the
 * built-in defaults, the YAML file (--config, KERUTA_CONFIG) and the KERUTA_*
 * environment, in rising priority. With no key: every known setting as
 * "key=value" (secrets shown as "(set)"); with keys: their values alone, one
 * per line, an empty line for an unset one.
 *
 * Exits 0, or 100 when the file is unreadable or malformed or a value is
 * not of its setting's kind.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_level.h"
#include "kr_parse.h"
#include "kr_set.h"

#define TOOL (&kr_tool_config)
#define SETTINGS_MAX 128

/* The settings of the file, each key once, and how many are listed. */
static const struct kr_set *settings[SETTINGS_MAX];
static size_t nsettings, nlisted;

/* The programs whose settings are listed: the pipeline keruta-agent runs. */
static const struct kr_tool *const listed[] = {
	&kr_tool_agent, &kr_tool_capture, &kr_tool_filter, &kr_tool_batch,
	&kr_tool_ship,
};

static void
add_setting(const struct kr_set *e)
{
	size_t i;

	for (i = 0; i < nsettings; i++)
		if (strcmp(settings[i]->key, e->key) == 0)
			return;
	if (nsettings == SETTINGS_MAX)
		kr_die(KR_EX_BUG, "more than %d settings", SETTINGS_MAX);
	settings[nsettings++] = e;
}

/* The part of a key before its dot. */
static int
same_section(const char *a, const char *b)
{
	size_t n = strcspn(a, ".");

	return n == strcspn(b, ".") && strncmp(a, b, n) == 0;
}

/*
 * The settings with a YAML key, from the tables of the programs: those of
 * the pipeline first (listed), section by section in the order each
 * section first appears; then those that only other programs read (known,
 * not listed).
 */
static void
gather(void)
{
	const struct kr_set *all[SETTINGS_MAX];
	size_t t, i, j, k, n = 0;

	for (t = 0; t < sizeof listed / sizeof listed[0]; t++)
		for (i = 0; i < listed[t]->n && n < SETTINGS_MAX; i++)
			if (listed[t]->set[i].key != NULL)
				all[n++] = &listed[t]->set[i];
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && !same_section(all[k]->key, all[i]->key);
		    k++)
			;
		if (k < i)
			continue;	/* its section is in already */
		for (j = i; j < n; j++)
			if (same_section(all[j]->key, all[i]->key))
				add_setting(all[j]);
	}
	nlisted = nsettings;
	for (t = 0; kr_tools[t] != NULL; t++)
		for (i = 0; i < kr_tools[t]->n; i++)
			if (kr_tools[t]->set[i].key != NULL)
				add_setting(&kr_tools[t]->set[i]);
}

static void
more_help(void)
{
	size_t i;

	printf("\nSettings:\n");
	for (i = 0; i < nlisted; i++)
		printf("  %-28s %-30s %s\n", settings[i]->key,
		    settings[i]->env ? settings[i]->env : "-",
		    settings[i]->def ? settings[i]->def : "");
}

/* The value of a setting, checked against its kind. */
static const char *
resolve(const struct kr_cfg *c, const struct kr_set *s)
{
	const char *v, *from;
	long long ll;
	int b;

	v = kr_cfg_get(c, s->key, s->env, s->def);
	if (s->env && getenv(s->env) && *getenv(s->env))
		from = s->env;
	else if (kr_cfg_yaml(c, s->key))
		from = "the configuration file";
	else
		from = "the defaults";
	/* KERUTA_API_TOKEN is the older name of KERUTA_AUTH_TOKEN. */
	if (strcmp(s->key, "api.token") == 0 && (!s->env || !getenv(s->env) ||
	    !*getenv(s->env)) && getenv("KERUTA_API_TOKEN") &&
	    *getenv("KERUTA_API_TOKEN"))
		v = getenv("KERUTA_API_TOKEN");
	if (v == NULL)
		return NULL;
	switch (s->kind) {
	case KR_K_BOOL:
		if (kr_parse_bool(v, &b) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: true or "
			    "false", s->key, v, from);
		return b ? "true" : "false";
	case KR_K_INT:
		if (kr_parse_ll(v, 0, 1000000000, &ll) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: a number",
			    s->key, v, from);
		break;
	case KR_K_DURATION:
		if (kr_parse_duration_ms(v, &ll) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: a duration "
			    "like 250ms, 1s, 5m", s->key, v, from);
		break;
	case KR_K_LEVEL:
		if ((b = kr_level_parse(v, strlen(v))) < 0)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: a level",
			    s->key, v, from);
		return kr_level_name(b);
	default:
		break;
	}
	return v;
}

/* Edit distance between a and b, ignoring case, given up past 3. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64], prev, t;

	if (lb + 1 > sizeof d / sizeof d[0] || la > lb + 3 || lb > la + 3)
		return 4;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			t = d[j];
			d[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (t + 1 < d[j])
				d[j] = t + 1;
			prev = t;
		}
	}
	return d[lb];
}

static int
known(const char *k)
{
	size_t i;

	for (i = 0; i < nsettings; i++)
		if (strcmp(settings[i]->key, k) == 0)
			return 1;
	return 0;
}

/*
 * Warns about each key of the file that no tool reads (a misspelling is
 * otherwise silently ignored), naming the closest known key; keys asked
 * for on the command line are the user's own.
 */
static void
warn_unknown(const struct kr_cfg *c, char **asked, int nasked)
{
	const char *k, *best;
	unsigned long line;
	size_t i, j, d, bd;
	int a;

	for (i = 0; (k = kr_cfg_key(c, i, &line)) != NULL; i++) {
		if (known(k))
			continue;
		for (a = 0; a < nasked; a++)
			if (strcmp(asked[a], k) == 0)
				break;
		if (a < nasked)
			continue;
		best = NULL;
		bd = 3;
		for (j = 0; j < nsettings; j++) {
			const char *cand = settings[j]->key;

			if ((d = distance(k, cand)) < bd) {
				bd = d;
				best = cand;
			}
		}
		if (best != NULL)
			kr_warn("unknown key '%s' in '%s' line %lu; did you mean "
			    "'%s'?", k, kr_cfg_path(c), line, best);
		else
			kr_warn("unknown key '%s' in '%s' line %lu", k,
			    kr_cfg_path(c), line);
	}
}

/* Prints v single-quoted for sh. */
static void
print_quoted(const char *v)
{
	putchar('\'');
	for (; *v; v++) {
		if (*v == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*v);
	}
	putchar('\'');
}

static void
print_setting(const char *key, const char *v, int shell, int named)
{
	if (shell) {
		for (const char *k = key; *k; k++)
			putchar(*k == '.' ? '_' : *k);
		putchar('=');
		print_quoted(v ? v : "");
		putchar('\n');
	} else if (named)
		printf("%s\n", v ? v : "");
	else
		printf("%s=%s\n", key, v ? v : "");
}

/* The setting of key, or NULL. */
static const struct kr_set *
find(const char *key)
{
	size_t i;

	for (i = 0; i < nsettings; i++)
		if (strcmp(settings[i]->key, key) == 0)
			return settings[i];
	return NULL;
}

/* Every listed setting; secrets as "(set)", or left out for the shell. */
static void
print_all(const struct kr_cfg *c, int shell)
{
	const char *v;
	size_t i;

	for (i = 0; i < nlisted; i++) {
		if (settings[i]->kind == KR_K_SECRET && shell)
			continue;
		v = resolve(c, settings[i]);
		if (settings[i]->kind == KR_K_SECRET && v != NULL)
			v = "(set)";
		print_setting(settings[i]->key, v, shell, 0);
	}
}

int
main(int argc, char *argv[])
{
	const struct kr_set *e;
	const char *path = NULL, *v;
	struct kr_cfg *c;
	char err[512];
	int ch, shell = 0, i;

	kr_diag_init("keruta-config");
	gather();
	kr_set_more_help = more_help;
	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == KR_O_SHELL)
			shell = 1;
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < argc; i++)
		if (*argv[i] == '\0' || strspn(argv[i], "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(argv[i]))
			kr_die(KR_EX_USAGE, "bad key '%s'", argv[i]);
	if ((c = kr_cfg_load(path, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	warn_unknown(c, argv, argc);
	if (argc == 0)
		print_all(c, shell);
	for (i = 0; i < argc; i++) {
		v = (e = find(argv[i])) != NULL ? resolve(c, e) :
		    kr_cfg_yaml(c, argv[i]);
		print_setting(argv[i], v, shell, 1);
	}
	kr_cfg_free(c);
	if (fflush(stdout) == EOF || ferror(stdout))
		kr_diesys(KR_EX_TEMP, "unable to write the settings");
	return KR_EX_OK;
}
