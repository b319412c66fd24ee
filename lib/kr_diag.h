/* kr_diag: diagnostics on stderr and the exit codes every tool shares. */
#ifndef KR_DIAG_H
#define KR_DIAG_H

#define KR_VERSION "0.1.0"

#define KR_EX_OK	0	/* done */
#define KR_EX_FAIL	1	/* permanent failure: retrying won't help */
#define KR_EX_USAGE	100	/* bad usage or configuration */
#define KR_EX_BUG	101	/* internal inconsistency */
#define KR_EX_TEMP	111	/* system, network or disk failure: retry */

enum kr_verbosity { KR_V_QUIET = -1, KR_V_NORMAL = 0, KR_V_INFO = 1,
	KR_V_DEBUG = 2 };

#define KR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KR_NORETURN __attribute__((noreturn))

/*
 * Names the program in every message. KERUTA_DIAG=json makes each message
 * one keruta(7) record instead of "name: level: text".
 */
void kr_diag_init(const char *progname);
const char *kr_progname(void);
/* -q gives KR_V_QUIET (fatal only); -v, -vv give KR_V_INFO, KR_V_DEBUG. */
void kr_diag_set_verbosity(int v);
int kr_diag_verbosity(void);

/* One message, one line, one write(2); control characters become '?'. */
void kr_die(int ex, const char *fmt, ...) KR_PRINTF(2, 3) KR_NORETURN;
void kr_diesys(int ex, const char *fmt, ...) KR_PRINTF(2, 3) KR_NORETURN;
void kr_warn(const char *fmt, ...) KR_PRINTF(1, 2);
void kr_warnsys(const char *fmt, ...) KR_PRINTF(1, 2);
void kr_info(const char *fmt, ...) KR_PRINTF(1, 2);
/* An info message shown at the default verbosity too (not with -q). */
void kr_notice(const char *fmt, ...) KR_PRINTF(1, 2);
void kr_debug(const char *fmt, ...) KR_PRINTF(1, 2);
/* The "fatal:" line alone, for a caller that exits after more lines. */
void kr_fatal(const char *fmt, ...) KR_PRINTF(1, 2);
/* "usage: <usage>" on stderr, exit KR_EX_USAGE. */
void kr_usage(const char *usage) KR_NORETURN;

/*
 * A rate limit for repeated warnings (bad input lines): returns 1 when the
 * caller may warn now. At most `burst` warnings, then one per `per_sec`.
 */
struct kr_ratelimit {
	unsigned burst, per_sec, n;
	long long last;
	unsigned long suppressed;
};
#define KR_RATELIMIT_INIT(burst, per) { (burst), (per), 0, 0, 0 }
int kr_ratelimit_ok(struct kr_ratelimit *rl);

#endif
