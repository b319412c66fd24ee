/* kr_diag: diagnostics on stderr and the exit codes every tool shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kr_diag.h"
#include "kr_json.h"
#include "kr_time.h"

static const char *progname = "keruta";
static int verbosity;
static int json_mode;

void
kr_diag_init(const char *name)
{
	const char *e = getenv("KERUTA_DIAG");

	progname = name;
	json_mode = e != NULL && strcmp(e, "json") == 0;
}

const char *
kr_progname(void)
{
	return progname;
}

void
kr_diag_set_verbosity(int v)
{
	verbosity = v;
}

int
kr_diag_verbosity(void)
{
	return verbosity;
}

/* Formats one message and writes it in a single write(2). */
static void
emit(const char *level, int err, const char *fmt, va_list ap)
{
	char msg[1024], line[1536];
	struct kr_buf b;
	size_t n, i;
	int r;

	r = vsnprintf(msg, sizeof msg, fmt, ap);
	if (r < 0)
		r = 0;
	n = (size_t)r < sizeof msg ? (size_t)r : sizeof msg - 1;
	if (err != 0 && n < sizeof msg - 1) {
		r = snprintf(msg + n, sizeof msg - n, ": %s", strerror(err));
		if (r > 0)
			n = n + (size_t)r < sizeof msg ? n + (size_t)r :
			    sizeof msg - 1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (!json_mode) {
		r = snprintf(line, sizeof line, "%s: %s: %.*s\n", progname,
		    level, (int)n, msg);
		if (r > 0)
			(void)!write(2, line, (size_t)r < sizeof line ?
			    (size_t)r : sizeof line - 1);
		return;
	}
	{
		char ts[KR_TS_LEN + 1];
		const char *lv = strcmp(level, "fatal") == 0 ? "FATAL" :
		    strcmp(level, "warning") == 0 ? "WARN" :
		    strcmp(level, "debug") == 0 ? "DEBUG" : "INFO";

		kr_buf_init(&b, 4096);
		kr_ts_now(ts);
		kr_buf_adds(&b, "{\"type\":\"log\",\"timestamp\":\"");
		kr_buf_adds(&b, ts);
		kr_buf_adds(&b, "\",\"source\":\"");
		kr_json_escape(&b, progname, strlen(progname));
		kr_buf_adds(&b, "\",\"level\":\"");
		kr_buf_adds(&b, lv);
		kr_buf_adds(&b, "\",\"message\":\"");
		kr_json_escape(&b, msg, n);
		kr_buf_adds(&b, "\"}\n");
		if (b.s != NULL)
			(void)!write(2, b.s, b.len);
		kr_buf_free(&b);
	}
}

void
kr_die(int ex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(ex);
}

void
kr_diesys(int ex, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	emit("fatal", e, fmt, ap);
	va_end(ap);
	exit(ex);
}

void
kr_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("fatal", 0, fmt, ap);
	va_end(ap);
}

void
kr_warn(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < KR_V_NORMAL)
		return;
	va_start(ap, fmt);
	emit("warning", 0, fmt, ap);
	va_end(ap);
}

void
kr_warnsys(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	if (verbosity < KR_V_NORMAL)
		return;
	va_start(ap, fmt);
	emit("warning", e, fmt, ap);
	va_end(ap);
}

void
kr_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < KR_V_INFO)
		return;
	va_start(ap, fmt);
	emit("info", 0, fmt, ap);
	va_end(ap);
}

void
kr_notice(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < KR_V_NORMAL)
		return;
	va_start(ap, fmt);
	emit("info", 0, fmt, ap);
	va_end(ap);
}

void
kr_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < KR_V_DEBUG)
		return;
	va_start(ap, fmt);
	emit("debug", 0, fmt, ap);
	va_end(ap);
}

void
kr_usage(const char *usage)
{
	char line[1024];
	int r;

	r = snprintf(line, sizeof line, "usage: %s\n", usage);
	if (r > 0)
		(void)!write(2, line, (size_t)r < sizeof line ? (size_t)r :
		    sizeof line - 1);
	exit(KR_EX_USAGE);
}

int
kr_ratelimit_ok(struct kr_ratelimit *rl)
{
	long long now = kr_mono_ns() / 1000000000LL;

	if (rl->n < rl->burst) {
		rl->n++;
		rl->last = now;
		return 1;
	}
	if (rl->per_sec > 0 && now - rl->last >= (long long)rl->per_sec) {
		rl->last = now;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
