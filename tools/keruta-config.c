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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_opt.h"
#include "kr_level.h"
#include "kr_parse.h"

#define USAGE "keruta-config [-hs] [-c file] [key ...]"

enum kind { K_STR, K_BOOL, K_INT, K_DURATION, K_LEVEL, K_SECRET };

struct setting {
	const char *key, *env, *def;
	enum kind kind;
};

static const struct setting settings[] = {
	{ "logStreaming.enabled", "KERUTA_LOG_STREAMING_ENABLED", "true",
	    K_BOOL },
	{ "logStreaming.bufferSize", "KERUTA_LOG_BUFFER_SIZE", "1000", K_INT },
	{ "logStreaming.batchSize", "KERUTA_LOG_BATCH_SIZE", "10", K_INT },
	{ "logStreaming.flushInterval", "KERUTA_LOG_FLUSH_INTERVAL", "1s",
	    K_DURATION },
	{ "logStreaming.level", "KERUTA_LOG_LEVEL", "INFO", K_LEVEL },
	{ "logStreaming.pty", "KERUTA_LOG_PTY", "true", K_BOOL },
	{ "logStreaming.ackTimeout", "KERUTA_LOG_ACK_TIMEOUT", "30s",
	    K_DURATION },
	{ "logStreaming.maskEnv", "KERUTA_LOG_MASK_ENV", NULL, K_STR },
	{ "logStreaming.maskFile", "KERUTA_LOG_MASK_FILE", NULL, K_STR },
	/* keruta-ship's defaults: what a run uses when nothing is set. */
	{ "websocket.url", "KERUTA_WEBSOCKET_URL",
	    "ws://localhost:8080/ws/tasks", K_STR },
	{ "websocket.timeout", NULL, "10s", K_DURATION },
	{ "websocket.reconnectInterval", NULL, "5s", K_DURATION },
	{ "api.url", "KERUTA_API_URL", "http://localhost:8080/api/v1", K_STR },
	{ "api.timeout", NULL, "10s", K_DURATION },
	{ "api.retryCount", NULL, "3", K_INT },
	{ "api.token", "KERUTA_AUTH_TOKEN", NULL, K_SECRET },
	{ "api.key", "KERUTA_API_KEY", NULL, K_SECRET },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

/* Keys other tools read (keruta-serve(8)); not listed, but not misspelt. */
static const char *const other_keys[] = {
	"serve.apiKeys", "serve.db", "serve.jwtSecretFile", "serve.listen",
	"serve.maxBody", "serve.panelDir", "serve.queueMax", "serve.retention",
	"serve.sync",
	"serve.tlsCert", "serve.tlsKey",
};
#define NOTHER (sizeof other_keys / sizeof other_keys[0])

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "shell", no_argument, NULL, 's' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: %s\n\n"
	    "Print the resolved keruta settings: flags aside, the environment\n"
	    "beats the YAML file, which beats the defaults.\n\n"
	    "  -c, --config file   YAML configuration (default "
	    "$KERUTA_CONFIG)\n"
	    "  -h, --help          print this help and exit\n"
	    "  -s, --shell         print keys as shell assignments "
	    "(logStreaming_enabled='true')\n"
	    "      --version       print the version and exit\n\n"
	    "Settings:\n", USAGE);
	for (size_t i = 0; i < NSETTINGS; i++)
		printf("  %-28s %-30s %s\n", settings[i].key,
		    settings[i].env ? settings[i].env : "-",
		    settings[i].def ? settings[i].def : "");
	exit(KR_EX_OK);
}

/* The value of a setting, checked against its kind. */
static const char *
resolve(const struct kr_cfg *c, const struct setting *s)
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
	case K_BOOL:
		if (kr_parse_bool(v, &b) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: true or "
			    "false", s->key, v, from);
		return b ? "true" : "false";
	case K_INT:
		if (kr_parse_ll(v, 0, 1000000000, &ll) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: a number",
			    s->key, v, from);
		break;
	case K_DURATION:
		if (kr_parse_duration_ms(v, &ll) == -1)
			kr_die(KR_EX_USAGE, "bad %s '%s' from %s: a duration "
			    "like 250ms, 1s, 5m", s->key, v, from);
		break;
	case K_LEVEL:
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

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, k) == 0)
			return 1;
	for (i = 0; i < NOTHER; i++)
		if (strcmp(other_keys[i], k) == 0)
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
		for (j = 0; j < NSETTINGS + NOTHER; j++) {
			const char *cand = j < NSETTINGS ? settings[j].key :
			    other_keys[j - NSETTINGS];

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

int
main(int argc, char *argv[])
{
	const char *path = NULL;
	struct kr_cfg *c;
	char err[512];
	int ch, shell = 0, i;
	size_t j;

	kr_diag_init("keruta-config");
	while ((ch = kr_getopt(argc, argv, "c:hs", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			help();
			break;
		case 's':
			shell = 1;
			break;
		case 'V':
			printf("keruta-config " KR_VERSION "\n");
			return KR_EX_OK;
		default:
			kr_usage(USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (*k == '\0' || strspn(k, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(k))
			kr_die(KR_EX_USAGE, "bad key '%s'", k);
	}
	if ((c = kr_cfg_load(path, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	warn_unknown(c, argv, argc);
	if (argc == 0) {
		for (j = 0; j < NSETTINGS; j++) {
			const char *v = resolve(c, &settings[j]);

			if (settings[j].kind == K_SECRET && v != NULL &&
			    !shell)
				v = "(set)";
			if (settings[j].kind == K_SECRET && shell)
				continue;
			print_setting(settings[j].key, v, shell, 0);
		}
	}
	for (i = 0; i < argc; i++) {
		const char *v = NULL;

		for (j = 0; j < NSETTINGS; j++)
			if (strcmp(settings[j].key, argv[i]) == 0)
				break;
		if (j < NSETTINGS)
			v = resolve(c, &settings[j]);
		else
			v = kr_cfg_yaml(c, argv[i]);
		print_setting(argv[i], v, shell, 1);
	}
	kr_cfg_free(c);
	if (fflush(stdout) == EOF || ferror(stdout))
		kr_diesys(KR_EX_TEMP, "unable to write the settings");
	return KR_EX_OK;
}
