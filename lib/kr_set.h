/*
 * kr_set: one table of settings per tool. An entry is an option, a setting
 * of the configuration file, or both; from the table come the getopt
 * letters and long options, the usage line, the option part of --help,
 * keruta-config's listing, and the defaults a tool falls back to.
 */
#ifndef KR_SET_H
#define KR_SET_H

#include <getopt.h>	/* optarg, optind */
#include <stddef.h>

#include "kr_cfg.h"

/* What a value is; keruta-config checks a setting against its kind. */
enum kr_kind {
	KR_K_FLAG,	/* takes no value */
	KR_K_STR,
	KR_K_FILE,
	KR_K_BOOL,	/* true, false, yes, no, 1, 0 */
	KR_K_INT,
	KR_K_DURATION,	/* 250ms, 1s, 5m, bare seconds */
	KR_K_SIZE,	/* 64k, 16M */
	KR_K_LEVEL,	/* TRACE ... FATAL */
	KR_K_SECRET,	/* never printed */
	KR_K_LIST	/* comma-separated, or repeated */
};

#define KR_SET_OPTIONAL	0x1	/* --name or --name=value */

/*
 * The value an option without a letter gives kr_set_getopt: one per long
 * name, the same in every tool.
 */
enum kr_opt_id {
	KR_O_ACK_TIMEOUT = 256, KR_O_AFTER, KR_O_API_KEYS, KR_O_CACERT,
	KR_O_CACHE_SIZE, KR_O_CHECK, KR_O_COLOR, KR_O_DISABLE, KR_O_DRAIN_TIMEOUT,
	KR_O_EXIT_FILE, KR_O_HASH_KEY, KR_O_IDLE_FLUSH, KR_O_JWT_SECRET_FILE,
	KR_O_KILL_AFTER, KR_O_LAST, KR_O_LINGER, KR_O_LIST_RULES,
	KR_O_LOG_LEVEL, KR_O_MASK_ENV, KR_O_MASK_FILE, KR_O_MAX_BODY,
	KR_O_MAX_LINE, KR_O_NO_ECHO, KR_O_NO_PTY, KR_O_NO_REDACT,
	KR_O_NO_STDIN, KR_O_PANEL_DIR, KR_O_PARTITION, KR_O_PTY,
	KR_O_QUEUE_MAX, KR_O_RATE, KR_O_RAW, KR_O_RECONNECT_INTERVAL,
	KR_O_RETENTION, KR_O_RETRY_COUNT, KR_O_RULES,
	KR_O_SAVE, KR_O_SCRIPT, KR_O_SECRET_DIR, KR_O_SHELL, KR_O_SINCE,
	KR_O_SINCE_TIME, KR_O_SPOOL_MAX, KR_O_STDERR_LEVEL, KR_O_STDIN,
	KR_O_STDOUT_LEVEL, KR_O_SUMMARY, KR_O_SUMMARY_FD, KR_O_SYNC,
	KR_O_TAIL, KR_O_TEE, KR_O_TIMEOUT, KR_O_TIMESTAMPS, KR_O_TLS_CERT,
	KR_O_TLS_KEY, KR_O_TOKEN_FILE,
	KR_O_KEY	/* a setting of the file alone: no option */
};

struct kr_set {
	int id;			/* the letter, a KR_O_* value, or KR_O_KEY */
	const char *name;	/* the long option; NULL: a file setting */
	const char *arg;	/* what its value is called; NULL: none */
	const char *env;	/* the KERUTA_* variable, or NULL */
	const char *key;	/* the YAML key, or NULL */
	const char *def;	/* the default, as a user would write it */
	enum kr_kind kind;
	unsigned flags;		/* KR_SET_* */
	const char *help;	/* one line */
};

struct kr_tool {
	const char *name;	/* "keruta-batch" */
	const char *operands;	/* after the options in the usage, or NULL */
	const char *about;	/* the first lines of --help */
	const struct kr_set *set;
	size_t n;
	int in_order;		/* options end at the first operand */
};

/* The tables, one per program, and all of them ending in NULL. */
extern const struct kr_tool kr_tool_agent, kr_tool_batch, kr_tool_capture,
    kr_tool_config, kr_tool_filter, kr_tool_serve, kr_tool_ship,
    kr_tool_tail;
extern const struct kr_tool *const kr_tools[];

/*
 * The next option of argv (kr_getopt with the table's letters and long
 * names): its id, with its value in optarg; -1 at the end. -h and -V
 * print the help or the version and exit 0; -q and -v set the verbosity
 * (-q wins; -v, -vv: info, debug); a bad option prints the fatal line and
 * the usage and exits 100. These are never returned.
 */
int kr_set_getopt(int argc, char *argv[], const struct kr_tool *t);
/* "usage: <the usage line>" on stderr, exit KR_EX_USAGE. */
void kr_set_usage(const struct kr_tool *t) __attribute__((noreturn));
/* The usage line, without "usage: ", built once from the table. */
const char *kr_set_usage_line(const struct kr_tool *t);
/*
 * --help on stdout: usage, the about text, one line per option, then what
 * kr_set_more_help prints when the tool has set it.
 */
void kr_set_help(const struct kr_tool *t);
extern void (*kr_set_more_help)(void);
/* The entry of id, or NULL. */
const struct kr_set *kr_set_find(const struct kr_tool *t, int id);
/*
 * The value of the setting of YAML key key: its environment variable when
 * set and not empty, else the file's value, else the table's default; a
 * key the table does not have is a bug (exit KR_EX_BUG).
 */
const char *kr_set_key(const struct kr_tool *t, const struct kr_cfg *c,
    const char *key);
/*
 * The value of the setting id: flag when not NULL, else its environment
 * variable when set and not empty, else its YAML key, else its default.
 * *from, when from is not NULL, says where it came from: the entry's long
 * name, its variable or its key (the table's own strings, so a pointer
 * comparison tells which), or NULL for the default.
 */
const char *kr_set_value(const struct kr_tool *t, const struct kr_cfg *c,
    int id, const char *flag, const char **from);

#endif
