/*
 * keruta-tail: print a task's log, then follow it live, like kubectl logs -f.
 *
 * Reads the WebSocket subscription /ws/tasks/{id} of keruta-serve (or, with
 * --stdin, keruta(7) records on standard input); with --since, --tail or
 * --grep, the history first from GET /api/v1/tasks/{id}/logs. Writes one
 * line per record, "time source level message", coloured by source and
 * level on a terminal, CI sections as headers, or the records themselves
 * with --json. Only colour sequences of a message reach the terminal. After
 * a dropped connection it reconnects and resumes after the last record it
 * printed, so no line is repeated.
 *
 * Exits 0 when the task's exit record arrives (with --exit-code: with the
 * script's own status), 1 when the server refuses the subscription, 100 on
 * bad usage, 111 when the server cannot be reached (--no-follow) or records
 * could not be passed on (--tee).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libwebsockets.h>
#include <sodium.h>

#include "kr_buf.h"
#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_jr.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_lr.h"
#include "kr_parse.h"
#include "kr_rec.h"
#include "kr_set.h"
#include "kr_time.h"
#include "kr_url.h"

#define TOOL (&kr_tool_tail)
#define SRC_STDOUT 1u
#define SRC_STDERR 2u
#define SRC_AGENT 4u
#define SRC_OTHER 8u
#define SRC_ALL (SRC_STDOUT | SRC_STDERR | SRC_AGENT | SRC_OTHER)
/* Give up after this many failed connections in a row (--no-follow). */
#define NOFOLLOW_TRIES 3
/* Without an end-of-history message, --no-follow ends after this idle time. */
#define NOFOLLOW_IDLE_US (1500 * LWS_US_PER_MS)
/*
 * An exit record ends the run unless another record follows this soon (a
 * rerun of the task, still in the history being sent).
 */
#define EXIT_GRACE_US (300 * LWS_US_PER_MS)

/*
 * CI section markers, as GitHub Actions, GitLab CI and Buildkite print
 * them. A section opens with a header line and closes with a line that
 * gives its duration; the lines inside are indented.
 */
#define SEC_MAX 8		/* deeper sections are shown, not nested */
#define SEC_INDENT "  "
enum { SEC_GITHUB = 1, SEC_GITLAB, SEC_BUILDKITE };
enum { MARK_START = 1, MARK_END, MARK_QUIET };

struct section {
	int kind;
	long long start_ns;	/* the time of its start record, or -1 */
	long long mark_s;	/* GitLab's own start time, or -1 */
	char name[128];		/* GitLab's section name */
	char title[512];
};

struct view {
	int color, timestamps;
	unsigned cont;		/* a split line is open: its source */
	int depth;		/* sections open */
	struct section sec[SEC_MAX];
};

struct marker {
	int what, kind;
	const char *title, *name;
	size_t tlen, nlen;
	long long mark_s;
};

struct tail_opts {
	const char *url, *token, *apikey, *task, *config, *last, *cacert;
	char **urls;		/* the servers of url, tried in turn */
	size_t nurls;
	int insecure;
	unsigned levels;	/* bit (1 << level) for each level shown */
	unsigned sources;
	long long after;
	int follow, json, exit_code, color, from_stdin, tee;
	int raw;		/* --raw: the lines as the script wrote them */
	int timestamps;
	long long since_ns;	/* --since: records from this time, or -1 */
	long long tail;		/* --tail: the last N lines, or -1: all */
	const char *grep;	/* --grep: words every message shown holds */
};

struct tail {
	struct tail_opts *o;
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_retry, sul_idle, sul_exit;
	char host[256], path[1024], proto[16];
	char base[1024];	/* the URL's path before /ws/tasks, for REST */
	size_t url_at;		/* the server in use: o->urls[url_at] */
	int tls_any;		/* one of them is wss or https */
	long long sub_after;	/* the first subscription's cursor, or -1 */
	int rest_down;		/* the REST API could not be reached */
	int rest_5xx;		/* it answered 5xx */
	int rest_more;		/* another server follows a failure */
	char rest_why[256];	/* why, unsaid when another is tried */
	int port, tls;
	struct kr_buf frame;	/* the WebSocket message being reassembled */
	struct kr_buf out;	/* formatted lines not yet written */
	struct kr_buf sub;	/* LWS_PRE bytes, then the subscribe message */
	long long cursor;	/* last record printed: its server id or seq */
	char run[128];		/* its runId, when seq is the cursor */
	int have_cursor, by_id;
	int subscribed, sent_sub, done, status, fails, warned_down;
	int exit_seen;		/* the newest record is an exit record */
	int exit_status;
	char exit_run[128];	/* the run of that exit record */
	char exit_how[64];	/* "with exit code 3", "killed by signal 9" */
	struct view view;	/* how lines are shown (format_record) */
	unsigned long printed;
};

/* Sets every colour back and shows the cursor. */
#define TERM_RESTORE "\033[0m\033[?25h"

/*
 * The descriptor of a coloured view, restored at every exit: signal
 * handlers see only this.
 */
static volatile sig_atomic_t restore_fd = -1;

static void
term_restore(void)
{
	int fd = restore_fd, e = errno;

	restore_fd = -1;
	/* A terminal already gone has nothing to restore: no check. */
	if (fd >= 0)
		(void)!write(fd, TERM_RESTORE, sizeof TERM_RESTORE - 1);
	errno = e;
}

/* Restores the terminal, then dies of the signal as if not caught. */
static void
restore_and_die(int sig)
{
	term_restore();
	raise(sig);	/* SA_RESETHAND: the default action, once unblocked */
}

static void
restore_on_exit(int fd)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
	struct sigaction sa;
	size_t i;

	restore_fd = fd;
	atexit(term_restore);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = restore_and_die;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	/* A signal ignored from the start (nohup) stays ignored. */
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

static const char *level_color[KR_NLEVELS] = {
	"\033[2m", "\033[2m", "\033[32m", "\033[33m", "\033[31m", "\033[1;31m"
};

static unsigned
source_bit(const char *s)
{
	if (s == NULL)
		return SRC_OTHER;
	if (strcmp(s, "stdout") == 0)
		return SRC_STDOUT;
	if (strcmp(s, "stderr") == 0)
		return SRC_STDERR;
	if (strcmp(s, "agent") == 0)
		return SRC_AGENT;
	return SRC_OTHER;
}

/* An optional yes/no argument: none is yes. */
static int
parse_bool(const char *name, const char *arg)
{
	int v;

	if (arg == NULL)
		return 1;
	if (kr_parse_bool(arg, &v) == -1)
		kr_die(KR_EX_USAGE, "bad --%s '%s': true or false", name, arg);
	return v;
}

/*
 * --since: a duration back from now ("10m", "2h", "30s"), when `ago`, or
 * an RFC 3339 time. Nanoseconds since the epoch.
 */
static long long
parse_since(const char *arg, int ago)
{
	long long ns, ms;

	if (kr_ts_parse(arg, strlen(arg), &ns) == 0)
		return ns;
	if (ago && kr_parse_duration_ms(arg, &ms) == 0 && ms >= 0)
		return kr_wall_ns() - ms * 1000000;
	kr_die(KR_EX_USAGE, ago ? "bad --since '%s': a duration (10m, 2h) or "
	    "an RFC 3339 time" : "bad --since-time '%s': an RFC 3339 time",
	    arg);
}

/* "stdout,stderr" or one name; adds to *bits. -1 on an unknown name. */
static int
parse_sources(const char *arg, unsigned *bits)
{
	const char *p = arg, *e;
	char name[16];

	for (;;) {
		size_t n;

		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof name)
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		if (source_bit(name) == SRC_OTHER)
			return -1;
		*bits |= source_bit(name);
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* Output: buffered, written when a batch of input has been handled. */
static int
out_flush(struct kr_buf *b, int fd)
{
	int r = 0;

	if (b->len > 0)
		r = kr_writeall(fd, b->s, b->len);
	b->len = 0;
	return r;
}

/*
 * Whether s[0..n) (after "ESC [") is an SGR sequence that only colours:
 * parameters of digits, ';' and ':', final 'm', and no 8 (concealed text).
 * Sets *len to the length of the parameters and the final byte.
 */
static int
sgr_ok(const char *s, size_t n, size_t *len)
{
	size_t i;
	long v = 0;
	int skip = 0, ext = 0, field = 0;

	for (i = 0; i < n && strchr("0123456789;:", s[i]) != NULL; i++)
		;
	if (i >= n || s[i] != 'm')
		return 0;
	*len = i + 1;
	/* 38;5;8 is colour 8: skip the arguments of 38, 48 and 58. */
	for (i = 0; i <= *len - 1; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (v < 1000)
				v = v * 10 + (s[i] - '0');
			continue;
		}
		if (skip > 0)
			skip--;
		else if (ext) {
			skip = v == 5 ? 1 : v == 2 ? 3 : 0;
			ext = 0;
		} else if (v == 38 || v == 48 || v == 58)
			ext = s[i] == ';';
		else if (v == 8 && field == 0)
			return 0;
		field = s[i] == ':';
		v = 0;
	}
	return 1;
}

/*
 * Appends message text that cannot drive the terminal. With colours on,
 * SGR sequences pass; every other control byte (ESC of any other sequence,
 * BEL, CR, the C1 controls U+0080 to U+009F) is shown as '?', the rest of
 * the sequence as text, so nothing moves the cursor, clears, retitles or
 * hides. Returns 1 when an SGR sequence passed.
 */
static int
add_text(struct kr_buf *b, const char *s, size_t n, int color)
{
	size_t i, start = 0, len;
	int sgr = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t bad = 1;

		if (c == 0x1b && color && i + 1 < n && s[i + 1] == '[' &&
		    sgr_ok(s + i + 2, n - i - 2, &len)) {
			i += 1 + len;
			sgr = 1;
			continue;
		}
		if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			bad = 2;
		else if ((c >= 0x20 && c != 0x7f) || c == '\t')
			continue;
		kr_buf_add(b, s + start, i - start);
		kr_buf_addc(b, '?');
		i += bad - 1;
		start = i + 1;
	}
	kr_buf_add(b, s + start, n - start);
	return sgr;
}

/*
 * "2026-11-28T10:15:03.123456789Z" becomes "2026-11-28T10:15:03.123Z": a
 * UTC time always to the millisecond, so that the columns line up. Other
 * forms are shown as they are.
 */
static void
add_time(struct kr_buf *b, const char *ts)
{
	const char *p;
	size_t n, digits;

	if (ts == NULL) {
		kr_buf_adds(b, "-");
		return;
	}
	n = strlen(ts);
	if (n < 20 || ts[10] != 'T' || (ts[19] != '.' && ts[19] != 'Z') ||
	    ts[n - 1] != 'Z' || strspn(ts, "0123456789-T:.Z") != n) {
		add_text(b, ts, n, 0);
		return;
	}
	kr_buf_add(b, ts, 19);
	p = ts + 19;
	kr_buf_addc(b, '.');
	digits = 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits < 3) {
				kr_buf_addc(b, *p);
				digits++;
			}
	for (; digits < 3; digits++)
		kr_buf_addc(b, '0');
	kr_buf_addc(b, 'Z');
}

/* An agent event without a message: "[exit] exitCode=3 durationMs=12". */
static void
add_event(struct kr_buf *b, const cJSON *meta)
{
	const cJSON *it;
	const char *ev = kr_rec_get_str(meta, "event");

	kr_buf_addc(b, '[');
	add_text(b, ev, strlen(ev), 0);
	kr_buf_addc(b, ']');
	cJSON_ArrayForEach(it, meta) {
		if (it->string == NULL || strcmp(it->string, "event") == 0)
			continue;
		kr_buf_addc(b, ' ');
		add_text(b, it->string, strlen(it->string), 0);
		kr_buf_addc(b, '=');
		if (cJSON_IsString(it))
			add_text(b, it->valuestring, strlen(it->valuestring),
			    0);
		else {
			char *s = cJSON_PrintUnformatted(it);

			if (s != NULL)
				add_text(b, s, strlen(s), 0);
			cJSON_free(s);
		}
	}
}

/* Skips the "ESC [ 0 K" (erase to the end of line) around GitLab markers. */
static const char *
skip_erase(const char *p, const char *e)
{
	while (e - p >= 3 && p[0] == '\033' && p[1] == '[') {
		const char *q = p + 2;

		while (q < e && *q >= '0' && *q <= '9')
			q++;
		if (q >= e || *q != 'K')
			break;
		p = q + 1;
	}
	return p;
}

/* GitLab: "section_start:<unix time>:<name>[options]\r\e[0K<header>". */
static int
parse_gitlab(const char *s, const char *e, struct marker *m)
{
	const char *p = skip_erase(s, e), *q;
	long long t = 0;

	if (e - p > 14 && memcmp(p, "section_start:", 14) == 0) {
		m->what = MARK_START;
		p += 14;
	} else if (e - p > 12 && memcmp(p, "section_end:", 12) == 0) {
		m->what = MARK_END;
		p += 12;
	} else
		return 0;
	for (q = p; q < e && *q >= '0' && *q <= '9'; q++)
		if (t < 1000000000000LL)
			t = t * 10 + (*q - '0');
	if (q == p || q >= e || *q != ':')
		return 0;
	m->mark_s = t;
	for (p = ++q; q < e && (isalnum((unsigned char)*q) ||
	    strchr("_.-", *q) != NULL); q++)
		;
	if (q == p)
		return 0;
	m->name = p;
	m->nlen = (size_t)(q - p);
	if (m->what == MARK_START && q < e && *q == '[') {
		while (q < e && *q != ']')
			q++;
		if (q >= e)
			return 0;
		q++;
	}
	if (q < e && *q == '\r')
		q++;
	q = skip_erase(q, e);
	m->kind = SEC_GITLAB;
	m->title = q;
	m->tlen = (size_t)(e - q);
	if (m->tlen == 0) {
		m->title = m->name;
		m->tlen = m->nlen;
	}
	return 1;
}

/* Whether a message is a section marker; fills *m. */
static int
parse_marker(const char *s, size_t n, struct marker *m)
{
	memset(m, 0, sizeof *m);
	m->mark_s = -1;
	if (n >= 9 && memcmp(s, "::group::", 9) == 0) {
		m->what = MARK_START;
		m->kind = SEC_GITHUB;
		m->title = s + 9;
		m->tlen = n - 9;
		return 1;
	}
	if (n == 12 && memcmp(s, "::endgroup::", 12) == 0) {
		m->what = MARK_END;
		m->kind = SEC_GITHUB;
		return 1;
	}
	if (n == 7 && memcmp(s, "^^^ +++", 7) == 0) {
		m->what = MARK_QUIET;	/* "expand the previous section" */
		return 1;
	}
	if (n > 4 && (memcmp(s, "--- ", 4) == 0 || memcmp(s, "+++ ", 4) == 0 ||
	    memcmp(s, "~~~ ", 4) == 0)) {
		size_t i = 4;

		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			return 0;
		m->what = MARK_START;
		m->kind = SEC_BUILDKITE;
		m->title = s + i;
		m->tlen = n - i;
		return 1;
	}
	return parse_gitlab(s, s + n, m);
}

/* "850ms", "2.5s", "3m05s", "1h02m03s". */
static void
add_duration(struct kr_buf *b, long long ns)
{
	long long ms = ns / 1000000, s = ns / 1000000000;

	if (ms < 1000)
		kr_buf_printf(b, "%lldms", ms);
	else if (s < 60)
		kr_buf_printf(b, "%lld.%llds", s, (ms % 1000) / 100);
	else if (s < 3600)
		kr_buf_printf(b, "%lldm%02llds", s / 60, s % 60);
	else
		kr_buf_printf(b, "%lldh%02lldm%02llds", s / 3600,
		    s / 60 % 60, s % 60);
}

static long long
record_ns(const cJSON *r)
{
	const char *ts = kr_rec_get_str(r, "timestamp");
	long long ns;

	if (ts == NULL || kr_ts_parse(ts, strlen(ts), &ns) == -1)
		return -1;
	return ns;
}

static const char *
source_color(unsigned sb)
{
	switch (sb) {
	case SRC_STDOUT:
		return "\033[36m";
	case SRC_STDERR:
		return "\033[35m";
	case SRC_AGENT:
		return "\033[34m";
	default:
		return NULL;
	}
}

/*
 * "time source level " with the colours on, then the indentation. Returns
 * the length before that space, for a line with nothing after it.
 */
static size_t
add_prefix(struct kr_buf *b, const cJSON *r, const struct view *v, int depth)
{
	const char *src = kr_rec_get_str(r, "source");
	const char *lvs = kr_rec_get_str(r, "level");
	const char *sc = source_color(source_bit(src));
	int lv = lvs ? kr_level_parse(lvs, strlen(lvs)) : -1;
	size_t n;

	if (v->timestamps) {
		if (v->color)
			kr_buf_adds(b, "\033[2m");
		add_time(b, kr_rec_get_str(r, "timestamp"));
		if (v->color)
			kr_buf_adds(b, "\033[0m");
		kr_buf_addc(b, ' ');
	}
	if (src == NULL)
		src = "-";
	if (v->color && sc != NULL)
		kr_buf_adds(b, sc);
	add_text(b, src, strlen(src), 0);
	if (v->color && sc != NULL)
		kr_buf_adds(b, "\033[0m");
	if ((n = strlen(src)) < 6)
		kr_buf_add(b, "      ", 6 - n);
	kr_buf_addc(b, ' ');
	if (v->color && lv >= 0)
		kr_buf_adds(b, level_color[lv]);
	if (lv >= 0)
		kr_buf_printf(b, "%-5s", kr_level_name(lv));
	else
		kr_buf_adds(b, "-    ");
	if (v->color && lv >= 0 && lv < KR_WARN)
		kr_buf_adds(b, "\033[0m");
	n = b->len;
	kr_buf_addc(b, ' ');
	for (; depth > 0; depth--)
		kr_buf_adds(b, SEC_INDENT);
	return n;
}

/*
 * Closes the open sections down to index `to`, each with a line
 * "<<< title (duration)" at record r. end_s: GitLab's own end time of
 * section `to`, or -1.
 */
static void
close_sections(struct kr_buf *b, const cJSON *r, struct view *v, int to,
    long long end_s)
{
	long long now = record_ns(r);

	while (v->depth > to) {
		struct section *sec = &v->sec[--v->depth];

		add_prefix(b, r, v, v->depth);
		if (v->color)
			kr_buf_adds(b, "\033[1m");
		kr_buf_adds(b, "<<< ");
		add_text(b, sec->title, strlen(sec->title), v->color);
		if (v->depth == to && end_s >= 0 && sec->mark_s >= 0 &&
		    end_s >= sec->mark_s &&
		    end_s - sec->mark_s <= LLONG_MAX / 1000000000LL) {
			kr_buf_adds(b, " (");
			add_duration(b, (end_s - sec->mark_s) * 1000000000LL);
			kr_buf_addc(b, ')');
		} else if (now >= 0 && sec->start_ns >= 0 &&
		    now >= sec->start_ns) {
			kr_buf_adds(b, " (");
			add_duration(b, now - sec->start_ns);
			kr_buf_addc(b, ')');
		}
		if (v->color)
			kr_buf_adds(b, "\033[0m");
		kr_buf_addc(b, '\n');
	}
}

/* The innermost open section of this kind (and name), or -1. */
static int
find_section(const struct view *v, int kind, const char *name, size_t n)
{
	int i;

	for (i = v->depth - 1; i >= 0; i--)
		if (v->sec[i].kind == kind && (name == NULL ||
		    (strlen(v->sec[i].name) == n &&
		    memcmp(v->sec[i].name, name, n) == 0)))
			return i;
	return -1;
}

/* A marker becomes a header or an end line, never text. */
static void
section_marker(struct kr_buf *b, const cJSON *r, struct view *v,
    const struct marker *m)
{
	struct section *sec;
	int i;

	if (m->what == MARK_QUIET)
		return;
	if (m->what == MARK_END) {
		i = find_section(v, m->kind, m->kind == SEC_GITLAB ? m->name :
		    NULL, m->nlen);
		if (i >= 0)
			close_sections(b, r, v, i, m->mark_s);
		return;
	}
	/* GitHub groups and Buildkite sections do not nest: the next one
	 * closes the last. */
	if (m->kind != SEC_GITLAB &&
	    (i = find_section(v, m->kind, NULL, 0)) >= 0)
		close_sections(b, r, v, i, -1);
	add_prefix(b, r, v, v->depth);
	if (v->color)
		kr_buf_adds(b, "\033[1m");
	kr_buf_adds(b, ">>> ");
	add_text(b, m->title, m->tlen, v->color);
	if (v->color)
		kr_buf_adds(b, "\033[0m");
	kr_buf_addc(b, '\n');
	if (v->depth == SEC_MAX)
		return;
	sec = &v->sec[v->depth++];
	sec->kind = m->kind;
	sec->start_ns = record_ns(r);
	sec->mark_s = m->mark_s;
	snprintf(sec->name, sizeof sec->name, "%.*s", (int)m->nlen,
	    m->name ? m->name : "");
	snprintf(sec->title, sizeof sec->title, "%.*s", (int)m->tlen,
	    m->title);
}

static int is_exit_record(const cJSON *r, int *status);

static void
view_init(struct view *v, const struct tail_opts *o)
{
	memset(v, 0, sizeof *v);
	v->color = o->color;
	v->timestamps = o->timestamps;
}

/*
 * One display line for a record. A line split into "continued" records is
 * shown whole again: v->cont holds the source of a line left open, which a
 * record of another source closes first. Section markers become headers;
 * the task's exit closes every open section.
 */
static void
format_record(struct kr_buf *b, const cJSON *r, struct view *v)
{
	const char *src = kr_rec_get_str(r, "source");
	const char *lvs = kr_rec_get_str(r, "level");
	const char *msg = kr_rec_get_str(r, "message");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r, "metadata");
	int lv = lvs ? kr_level_parse(lvs, strlen(lvs)) : -1;
	int continued = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
	    "continued"));
	unsigned sb = source_bit(src);
	struct marker m;
	size_t bare;
	int sgr = 0, status;

	if (v->cont != 0 && v->cont != sb) {
		kr_buf_addc(b, '\n');
		v->cont = 0;
	}
	if (v->cont != 0) {
		if (v->color && lv >= KR_WARN)
			kr_buf_adds(b, level_color[lv]);
		if (msg != NULL)
			sgr = add_text(b, msg, strlen(msg), v->color);
		goto end;
	}
	if (msg != NULL && sb != SRC_AGENT && !continued &&
	    parse_marker(msg, strlen(msg), &m)) {
		section_marker(b, r, v, &m);
		return;
	}
	if (v->depth > 0 && is_exit_record(r, &status))
		close_sections(b, r, v, 0, -1);
	bare = add_prefix(b, r, v, v->depth);
	if (msg != NULL && *msg != '\0')
		sgr = add_text(b, msg, strlen(msg), v->color);
	else if (cJSON_IsObject(meta) && kr_rec_get_str(meta, "event"))
		add_event(b, meta);
	else
		b->len = bare;	/* nothing to show after the level */
end:
	/* A colour the message set ends with it. */
	if (v->color && (lv >= KR_WARN || sgr))
		kr_buf_adds(b, "\033[0m");
	if (continued)
		v->cont = sb;
	else {
		v->cont = 0;
		kr_buf_addc(b, '\n');
	}
}

static int
is_exit_record(const cJSON *r, int *status)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r, "metadata");
	const char *src = kr_rec_get_str(r, "source");
	const cJSON *sig;
	long long code;

	if (src == NULL || strcmp(src, "agent") != 0 || !cJSON_IsObject(meta))
		return 0;
	if (kr_rec_get_str(meta, "event") == NULL ||
	    strcmp(kr_rec_get_str(meta, "event"), "exit") != 0)
		return 0;
	code = kr_rec_get_int(meta, "exitCode", -1);
	sig = cJSON_GetObjectItemCaseSensitive(meta, "signal");
	if (code >= 0 && code <= 255)
		*status = (int)code;
	else if (cJSON_IsNumber(sig) && sig->valuedouble > 0 &&
	    sig->valuedouble < 128)
		*status = 128 + (int)sig->valuedouble;
	else
		*status = KR_EX_FAIL;
	return 1;
}

/* How an exit record says the script ended. */
static void
exit_how(char *out, size_t n, const cJSON *r)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r, "metadata");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(meta, "signal");
	long long code = kr_rec_get_int(meta, "exitCode", -1);

	if (code >= 0 && code <= 255)
		snprintf(out, n, "with exit code %lld", code);
	else if (cJSON_IsNumber(sig) && sig->valuedouble > 0 &&
	    sig->valuedouble < 128)
		snprintf(out, n, "killed by signal %d", (int)sig->valuedouble);
	else
		snprintf(out, n, "without an exit code");
}

/*
 * The next word of s[*i..n) as the server's full-text index sees words:
 * letters and digits (any byte past ASCII counts as a letter).
 */
static int
next_word(const char *s, size_t n, size_t *i, const char **w, size_t *len)
{
	size_t j;

	while (*i < n && !isalnum((unsigned char)s[*i]) &&
	    (unsigned char)s[*i] < 0x80)
		(*i)++;
	if (*i >= n)
		return 0;
	for (j = *i; j < n && (isalnum((unsigned char)s[j]) ||
	    (unsigned char)s[j] >= 0x80); j++)
		;
	*w = s + *i;
	*len = j - *i;
	*i = j;
	return 1;
}

/*
 * Whether the words of q[0..qn) come one after another in msg, any case;
 * with `prefix`, the last may be the start of a word.
 */
static int
phrase_in(const char *msg, size_t n, const char *q, size_t qn, int prefix)
{
	size_t at = 0, k = 0, qi = 0, ql, wl, mi, j;
	const char *w, *qw;

	while (next_word(q, qn, &qi, &qw, &ql))
		k++;
	if (k == 0)
		return 1;
	while (next_word(msg, n, &at, &w, &wl)) {
		mi = (size_t)(w - msg);
		qi = 0;
		for (j = 0; j < k; j++) {
			next_word(q, qn, &qi, &qw, &ql);
			if (!next_word(msg, n, &mi, &w, &wl) || ql > wl ||
			    (ql < wl && !(prefix && j == k - 1)) ||
			    strncasecmp(w, qw, ql) != 0)
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

/*
 * The local match of --grep, for live records: as the server's q=, every
 * word (split at spaces) must be in the message as a whole word, any case;
 * a word ending in '*' may be the start of one.
 */
static int
grep_match(const char *q, const char *msg)
{
	const char *p = q, *e;
	size_t n = msg ? strlen(msg) : 0;

	for (;;) {
		int prefix;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 1;
		e = p + strcspn(p, " \t");
		prefix = e - p > 1 && e[-1] == '*';
		if (!phrase_in(msg ? msg : "", n, p, (size_t)(e - p) - prefix,
		    prefix))
			return 0;
		p = e;
	}
}

/*
 * Whether the options let this record through. `local`: check --since and
 * --grep here too (the server did not).
 */
static int
wanted(const struct tail_opts *o, const cJSON *r, int local)
{
	const char *lvs = kr_rec_get_str(r, "level");
	int lv = lvs ? kr_level_parse(lvs, strlen(lvs)) : -1;
	const char *ts;
	long long ns;

	if (!(o->sources & source_bit(kr_rec_get_str(r, "source"))))
		return 0;
	if (lv >= 0 && !(o->levels & (1u << lv)))
		return 0;
	if (!local)
		return 1;
	if (o->since_ns >= 0 && (ts = kr_rec_get_str(r, "timestamp")) != NULL &&
	    kr_ts_parse(ts, strlen(ts), &ns) == 0 && ns < o->since_ns)
		return 0;
	if (o->grep != NULL && !grep_match(o->grep,
	    kr_rec_get_str(r, "message")))
		return 0;
	return 1;
}

/* Whether any option lets records through or not (wanted() then says). */
static int
filtering(const struct tail_opts *o)
{
	return o->sources != SRC_ALL || o->levels != (1u << KR_NLEVELS) - 1 ||
	    o->grep != NULL || o->since_ns >= 0;
}

/* What --stdin keeps of the records read: the exit code, the last seq. */
struct stdin_state {
	int code;
	long long seq;
	char run[256];
};

/* One line of --stdin: a record shown, or a line that is not one. */
static void
stdin_line(const struct tail_opts *o, struct view *v, struct kr_buf *view,
    const char *line, size_t len, struct stdin_state *st)
{
	cJSON *r = kr_rec_parse(line, len);

	if (r == NULL) {
		if (!o->json) {
			if (v->cont != 0)
				kr_buf_addc(view, '\n');
			v->cont = 0;
			add_text(view, line, len, 0);
			kr_buf_addc(view, '\n');
		}
		return;
	}
	if (wanted(o, r, 1)) {
		if (o->json) {
			kr_buf_add(view, line, len);
			kr_buf_addc(view, '\n');
		} else
			format_record(view, r, v);
	}
	is_exit_record(r, &st->code);
	if (kr_rec_get_int(r, "seq", -1) > 0) {
		const char *rid = kr_rec_get_str(r, "runId");

		st->seq = kr_rec_get_int(r, "seq", -1);
		snprintf(st->run, sizeof st->run, "%s", rid ? rid : "-");
	}
	cJSON_Delete(r);
}

/*
 * --raw: the line of a record as the script wrote it, its message alone
 * (control and escape sequences intact), a line cut into partial or
 * continued records made whole again; keruta's own records (source
 * agent) marked with "keruta-agent: ". The record is read with kr_jr, not
 * built as a tree: this is the echo of every line keruta-agent runs, and
 * it costs a fifth of the formatted view.
 */
struct raw_rec {
	struct kr_jr_str src, msg, run;
	int has_src, has_msg, has_run, open;
	int has_partial, has_cont;
	long long seq;
};

/* The members --raw needs: 0, or -1 when line is not a record. */
static int
raw_read(const char *line, size_t len, struct raw_rec *r)
{
	struct kr_jr j;
	struct kr_jr_str k;
	const char *num;
	size_t nn;
	int m = 0, rc;

	memset(r, 0, sizeof *r);
	kr_jr_init(&j, line, len, 0);
	if (kr_jr_peek(&j) != KR_JR_OBJECT || kr_jr_enter(&j) == -1)
		return -1;
	while ((rc = kr_jr_member(&j, &m, &k)) == 1) {
		enum kr_jr_type t = kr_jr_peek(&j);

		/* The first of a name counts, as in the formatted view. */
		if (t == KR_JR_STRING && !r->has_src &&
		    KR_JR_IS(&k, "source")) {
			rc = kr_jr_string(&j, &r->src, 1);
			r->has_src = 1;
		} else if (t == KR_JR_STRING && !r->has_msg &&
		    KR_JR_IS(&k, "message")) {
			rc = kr_jr_string(&j, &r->msg, 1);
			r->has_msg = 1;
		} else if (t == KR_JR_STRING && !r->has_run &&
		    KR_JR_IS(&k, "runId")) {
			rc = kr_jr_string(&j, &r->run, 1);
			r->has_run = 1;
		} else if (t == KR_JR_NUMBER && r->seq == 0 &&
		    KR_JR_IS(&k, "seq")) {
			/* A whole number below 10^16, read as digits (what
			 * strtod took was a tenth of --raw). */
			if ((rc = kr_jr_number(&j, &num, &nn)) == 0 &&
			    nn < 17) {
				size_t i;

				for (i = 0; i < nn && num[i] >= '0' &&
				    num[i] <= '9'; i++)
					r->seq = r->seq * 10 + (num[i] - '0');
				if (i < nn)
					r->seq = 0;	/* -1, 1.5, 1e3 */
			}
		} else if (!r->has_partial && KR_JR_IS(&k, "partial")) {
			r->has_partial = 1;
			r->open |= t == KR_JR_TRUE;
			rc = kr_jr_skip(&j);
		} else if (!r->has_cont && KR_JR_IS(&k, "continued")) {
			r->has_cont = 1;
			r->open |= t == KR_JR_TRUE;
			rc = kr_jr_skip(&j);
		} else
			rc = kr_jr_skip(&j);
		if (rc == -1)
			return -1;
	}
	return rc == 0 && kr_jr_end(&j) == 0 ? 0 : -1;
}

static void
raw_line(const struct tail_opts *o, struct view *v, struct kr_buf *view,
    const char *line, size_t len, struct stdin_state *st)
{
	struct raw_rec r;
	char src[16] = "";
	unsigned sb;

	if (raw_read(line, len, &r) == -1) {
		/* Not a record: the line as it came. */
		if (v->cont != 0)
			kr_buf_addc(view, '\n');
		v->cont = 0;
		kr_buf_add(view, line, len);
		kr_buf_addc(view, '\n');
		return;
	}
	if (r.seq > 0) {
		int plain = r.has_run && !r.run.esc;
		size_t n = plain ? r.run.n : 1;

		if (n >= sizeof st->run)
			n = sizeof st->run - 1;
		st->seq = r.seq;
		memcpy(st->run, plain ? r.run.s : "-", n);
		st->run[n] = '\0';
	}
	/* A filter or --exit-code reads the record whole, as the view does. */
	if (filtering(o) || o->exit_code) {
		cJSON *c = kr_rec_parse(line, len);
		int want = c != NULL && wanted(o, c, 1);

		if (c != NULL)
			is_exit_record(c, &st->code);
		cJSON_Delete(c);
		if (!want)
			return;
	}
	if (r.has_src && !r.src.esc && r.src.n < sizeof src)
		memcpy(src, r.src.s, r.src.n);
	sb = source_bit(r.has_src ? src : NULL);
	if (v->cont != 0 && v->cont != sb) {
		kr_buf_addc(view, '\n');
		v->cont = 0;
	}
	if (sb == SRC_AGENT)
		kr_buf_adds(view, "keruta-agent: ");
	if (r.has_msg)
		(void)kr_jr_decode(view, &r.msg);
	if (r.open && sb != SRC_AGENT)
		v->cont = sb;
	else {
		v->cont = 0;
		kr_buf_addc(view, '\n');
	}
}

/*
 * --stdin: records in, lines out (to stderr with --tee, the records then
 * going on to stdout unchanged).
 */
static int
run_stdin(struct tail_opts *o)
{
	struct kr_buf view = KR_BUF_INIT(KR_REC_MAX * 2);
	struct kr_buf pass = KR_BUF_INIT(KR_REC_MAX * 2);
	struct kr_lr lr;
	const char *line;
	size_t len;
	int view_fd = o->tee ? 2 : 1, pass_ok = 1, status = KR_EX_OK;
	struct stdin_state st = { -1, -1, "" };
	struct view v;
	enum kr_lr_kind k;

	view_init(&v, o);
	kr_pipe_grow(0);
	kr_lr_init(&lr, 0, KR_REC_MAX);
	for (;;) {
		k = kr_lr_next(&lr, &line, &len);
		if (k == KR_LR_NONE) {
			if (pass_ok && out_flush(&pass, 1) == -1) {
				if (errno != EPIPE)
					kr_warnsys("unable to write records");
				else
					kr_warn("records no longer passed on: "
					    "the reader went away");
				pass_ok = 0;
				status = KR_EX_TEMP;
			}
			pass.len = 0;
			if (view_fd >= 0 && out_flush(&view, view_fd) == -1) {
				/* The screen went away; keep passing. */
				if (!o->tee)
					break;
				view_fd = -1;
			}
			view.len = 0;
			if (kr_lr_fill(&lr) == -1) {
				kr_warnsys("unable to read standard input");
				status = KR_EX_TEMP;
				break;
			}
			continue;
		}
		if (k == KR_LR_EOF)
			break;
		if (k == KR_LR_OVERSIZE) {
			kr_warn("record of %zu bytes dropped: over the limit",
			    len);
			if (o->tee)
				kr_rec_gap(&pass, o->task, NULL, 1, "size", 0,
				    0);
			continue;
		}
		if (o->tee) {
			kr_buf_add(&pass, line, len);
			kr_buf_addc(&pass, '\n');
		}
		if (o->raw)
			raw_line(o, &v, &view, line, len, &st);
		else
			stdin_line(o, &v, &view, line, len, &st);
	}
	if (pass_ok && out_flush(&pass, 1) == -1)
		status = KR_EX_TEMP;
	if (v.cont != 0)
		kr_buf_addc(&view, '\n');
	if (view_fd >= 0)
		out_flush(&view, view_fd);
	if (o->last != NULL && st.seq > 0 && kr_rec_last_write(o->last,
	    (unsigned long long)st.seq, st.run) == -1)
		status = KR_EX_TEMP;
	kr_lr_free(&lr);
	kr_buf_free(&view);
	kr_buf_free(&pass);
	if (status == KR_EX_OK && o->exit_code && st.code >= 0)
		status = st.code;
	return status;
}

/* The WebSocket client. */

static void connect_now(lws_sorted_usec_list_t *sul);

static void
stop(struct tail *t, int status)
{
	t->done = 1;
	t->status = status;
	lws_cancel_service(t->ctx);
}

static void parse_url(struct tail *t, const char *url);

/*
 * The server in use failed (why): with a list, the next one, round-robin;
 * one warning says which, the first time the servers fail in a row (-v:
 * every time).
 */
static void
move_on(struct tail *t, const char *why)
{
	char was[sizeof t->host + 32];

	if (t->o->nurls < 2)
		return;
	snprintf(was, sizeof was, "%s://%s:%d", t->proto, t->host, t->port);
	t->url_at = (t->url_at + 1) % t->o->nurls;
	parse_url(t, t->o->urls[t->url_at]);
	if (!t->warned_down || kr_diag_verbosity() >= KR_V_INFO)
		kr_warn("server '%s' failed: %s; moving to '%s://%s:%d'", was,
		    why, t->proto, t->host, t->port);
	t->warned_down = 1;
}

/* Connects again after a failure (why), to the next server if any. */
static void
schedule_retry(struct tail *t, const char *why)
{
	static const unsigned backoff_ms[] = { 100, 250, 500, 1000, 2000,
	    3000 };
	unsigned n = sizeof backoff_ms / sizeof backoff_ms[0];
	unsigned i = t->fails > 0 ? (unsigned)t->fails - 1 : 0;

	t->wsi = NULL;
	if (t->done)
		return;
	if (!t->o->follow && t->fails >= NOFOLLOW_TRIES * (int)t->o->nurls) {
		kr_warn("unable to reach '%s://%s:%d'", t->proto, t->host,
		    t->port);
		stop(t, KR_EX_TEMP);
		return;
	}
	move_on(t, why);
	lws_sul_schedule(t->ctx, 0, &t->sul_retry, connect_now,
	    (lws_usec_t)backoff_ms[i < n ? i : n - 1] * LWS_US_PER_MS);
}

static void
connect_now(lws_sorted_usec_list_t *sul)
{
	struct tail *t = lws_container_of(sul, struct tail, sul_retry);
	struct lws_client_connect_info i;

	memset(&i, 0, sizeof i);
	i.context = t->ctx;
	i.address = t->host;
	i.port = t->port;
	i.path = t->path;
	i.host = t->host;
	i.origin = t->host;
	i.ssl_connection = t->tls ? LCCSCF_USE_SSL : 0;
	if (t->tls && t->o->insecure)
		i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
		    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	i.local_protocol_name = "keruta-tail";
	i.pwsi = &t->wsi;
	i.userdata = t;
	t->subscribed = 0;
	t->sent_sub = 0;
	t->frame.len = 0;
	kr_debug("connecting to '%s://%s:%d%s'", t->proto, t->host, t->port,
	    t->path);
	if (lws_client_connect_via_info(&i) == NULL && t->wsi == NULL) {
		t->fails++;
		schedule_retry(t, "unable to connect");
	}
}

/* The subscribe message, with the cursor of the last printed record. */
static void
build_subscribe(struct tail *t)
{
	struct kr_buf *b = &t->sub;
	int l, first = 1;

	b->len = 0;
	kr_buf_reserve(b, LWS_PRE);
	memset(b->s, 0, LWS_PRE);
	b->len = LWS_PRE;
	kr_buf_adds(b, "{\"type\":\"subscribe\",\"taskId\":\"");
	kr_json_escape_utf8(b, t->o->task, strlen(t->o->task));
	kr_buf_adds(b, "\",\"options\":{");
	/*
	 * Following, the exit record must come whatever the filters, so
	 * they apply here only; for the history alone the server applies them.
	 */
	if (!t->o->follow && (t->o->sources & SRC_ALL) != SRC_ALL) {
		kr_buf_adds(b, "\"sources\":[");
		if (t->o->sources & SRC_STDOUT)
			kr_buf_printf(b, "%s\"stdout\"", first ? "" : ","),
			    first = 0;
		if (t->o->sources & SRC_STDERR)
			kr_buf_printf(b, "%s\"stderr\"", first ? "" : ","),
			    first = 0;
		if (t->o->sources & SRC_AGENT)
			kr_buf_printf(b, "%s\"agent\"", first ? "" : ","),
			    first = 0;
		kr_buf_adds(b, "],");
	}
	if (!t->o->follow && t->o->levels != (1u << KR_NLEVELS) - 1) {
		kr_buf_adds(b, "\"levels\":[");
		first = 1;
		for (l = 0; l < KR_NLEVELS; l++) {
			if (!(t->o->levels & (1u << l)))
				continue;
			kr_buf_printf(b, "%s\"%s\"", first ? "" : ",",
			    kr_level_name(l));
			first = 0;
		}
		kr_buf_adds(b, "],");
	}
	kr_buf_printf(b, "\"realtime\":%s", t->o->follow ? "true" : "false");
	if (t->sub_after >= 0)
		kr_buf_printf(b, ",\"after\":%lld", t->sub_after);
	else if (t->have_cursor)
		kr_buf_printf(b, ",\"after\":%lld", t->cursor);
	kr_buf_adds(b, "}}");
}

/* With --no-follow and no end-of-history message: end when quiet. */
static void
idle_done(lws_sorted_usec_list_t *sul)
{
	struct tail *t = lws_container_of(sul, struct tail, sul_idle);

	stop(t, KR_EX_OK);
}

/*
 * Whether the task has ended: a later record of the same run (the agent's
 * summary) keeps the run ended; one of another run means the task runs
 * again.
 */
static void
track_state(struct tail *t, const cJSON *r)
{
	const char *run = kr_rec_get_str(r, "runId");
	int status;

	if (is_exit_record(r, &status)) {
		t->exit_seen = 1;
		t->exit_status = status;
		snprintf(t->exit_run, sizeof t->exit_run, "%s", run ? run : "");
		exit_how(t->exit_how, sizeof t->exit_how, r);
	} else if (run != NULL && strcmp(run, t->exit_run) != 0)
		t->exit_seen = 0;
}

/*
 * A record from the server. `local`: it came over the WebSocket, so
 * --since and --grep are checked here. A record at or before the cursor
 * was handled already (before a reconnect, or by the history): it only
 * counts for the task's state.
 */
static void
got_record(struct tail *t, const cJSON *r, const char *raw, size_t rawlen,
    int local)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	const char *run = kr_rec_get_str(r, "runId");
	long long cur;
	int by_id;

	/* The server's id orders a task's records; seq only within a run. */
	by_id = cJSON_IsNumber(id);
	cur = by_id ? (long long)id->valuedouble :
	    kr_rec_get_int(r, "seq", -1);
	if (cur >= 0 && t->have_cursor && by_id == t->by_id &&
	    cur <= t->cursor &&
	    (by_id || (run != NULL && strcmp(run, t->run) == 0)))
		goto state;
	if (cur >= 0) {
		t->cursor = cur;
		t->have_cursor = 1;
		t->by_id = by_id;
		snprintf(t->run, sizeof t->run, "%s", run ? run : "");
	}
	if (wanted(t->o, r, local)) {
		if (t->o->json) {
			kr_buf_add(&t->out, raw, rawlen);
			kr_buf_addc(&t->out, '\n');
		} else
			format_record(&t->out, r, &t->view);
		t->printed++;
	}
state:
	track_state(t, r);
}

/* The task ended: one line on standard error says how, unless -q. */
static void
exit_now(struct tail *t)
{
	struct kr_buf b = KR_BUF_INIT(4096);

	/* After the lines, so that it comes last on a terminal. */
	if (out_flush(&t->out, 1) == -1 && errno != EPIPE)
		kr_warnsys("unable to write to standard output");
	if (kr_diag_verbosity() >= KR_V_NORMAL) {
		kr_buf_printf(&b, "%s: task '", kr_progname());
		add_text(&b, t->o->task, strlen(t->o->task), 0);
		kr_buf_printf(&b, "' ended %s\n", t->exit_how);
		if (b.s != NULL)
			kr_writeall(2, b.s, b.len);
		kr_buf_free(&b);
	}
	stop(t, t->o->exit_code ? t->exit_status : KR_EX_OK);
}

static void
exit_grace_over(lws_sorted_usec_list_t *sul)
{
	exit_now(lws_container_of(sul, struct tail, sul_exit));
}

/*
 * Following, the task's exit record ends the run: at once when the server
 * said the history is complete, else when no other record follows soon.
 */
static void
maybe_finish(struct tail *t, int history_done)
{
	if (!t->o->follow) {
		if (history_done)
			stop(t, KR_EX_OK);
		return;
	}
	if (!t->exit_seen)
		lws_sul_cancel(&t->sul_exit);
	else if (history_done)
		exit_now(t);
	else
		lws_sul_schedule(t->ctx, 0, &t->sul_exit, exit_grace_over,
		    EXIT_GRACE_US);
}

static void redacted(struct tail *t, const cJSON *j);

/*
 * The stored history has been sent ("live": live records follow). lastId
 * is where a new subscription resumes.
 */
static void
history_sent(struct tail *t, const cJSON *j)
{
	long long last = kr_rec_get_int(j, "lastId", -1);

	if (last >= 0 && (!t->have_cursor || !t->by_id ||
	    last > t->cursor)) {
		t->cursor = last;
		t->have_cursor = 1;
		t->by_id = 1;
	}
	t->subscribed = 2;
	lws_sul_cancel(&t->sul_idle);
	maybe_finish(t, 1);
}

static void
server_error(struct tail *t, const cJSON *j)
{
	const char *msg = kr_rec_get_str(j, "message");
	const char *code = kr_rec_get_str(j, "code");

	kr_warn("server error%s%s%s%s", code ? " '" : "", code ? code : "",
	    code ? "'" : "", msg ? ": see the message below" : "");
	if (msg != NULL)
		kr_warn("server says: %s", msg);
	if (!t->subscribed)
		stop(t, KR_EX_FAIL);
}

static void
got_message(struct tail *t, const char *s, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(s, n);
	const char *type;
	const cJSON *it;

	if (j == NULL) {
		kr_warn("malformed message of %zu bytes from the server", n);
		return;
	}
	if (cJSON_IsArray(j)) {
		cJSON_ArrayForEach(it, j) {
			char *txt;

			if (!cJSON_IsObject(it))
				continue;
			txt = cJSON_PrintUnformatted(it);
			if (txt != NULL)
				got_record(t, it, txt, strlen(txt), 1);
			cJSON_free(txt);
		}
		maybe_finish(t, t->subscribed > 1);
		goto out;
	}
	type = kr_rec_get_str(j, "type");
	if (type == NULL || strcmp(type, "log") == 0) {
		/* A frame is one line: keep it as the record's text. */
		if (memchr(s, '\n', n) == NULL)
			got_record(t, j, s, n, 1);
		else {
			char *txt = cJSON_PrintUnformatted(j);

			if (txt != NULL)
				got_record(t, j, txt, strlen(txt), 1);
			cJSON_free(txt);
		}
		maybe_finish(t, t->subscribed > 1);
	} else if (strcmp(type, "subscribed") == 0) {
		t->subscribed = 1;
		t->sub_after = -1;
		t->fails = 0;
		t->warned_down = 0;
		kr_debug("subscribed to task '%s'", t->o->task);
	} else if (strcmp(type, "live") == 0 || strcmp(type, "end") == 0) {
		history_sent(t, j);
	} else if (strcmp(type, "redacted") == 0) {
		redacted(t, j);
	} else if (strcmp(type, "error") == 0) {
		server_error(t, j);
	} else
		kr_debug("ignored a '%s' message", type);
out:
	cJSON_Delete(j);
	if (!t->o->follow && !t->done && t->subscribed < 2)
		lws_sul_schedule(t->ctx, 0, &t->sul_idle, idle_done,
		    NOFOLLOW_IDLE_US);
	if (out_flush(&t->out, 1) == -1) {
		if (errno != EPIPE)
			kr_warnsys("unable to write to standard output");
		stop(t, errno == EPIPE ? KR_EX_OK : KR_EX_TEMP);
	}
}

/* The server refused the credentials (or their absence): says why. */
static void
refused(const struct tail *t, long code)
{
	if (t->o->token == NULL && t->o->apikey == NULL)
		kr_warn("the server wants a token: HTTP %ld (give -T or "
		    "KERUTA_AUTH_TOKEN)", code);
	else if (code == 401)
		kr_warn("the server refused the token: HTTP 401");
	else
		kr_warn("the token may not read task '%s': HTTP 403",
		    t->o->task);
}

/* The handshake's credentials: a bearer token, an API key. */
static int
handshake_headers(struct lws *wsi, const struct tail *t, void *in,
    size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char hdr[8192];

	if (t->o->token != NULL) {
		int n = snprintf(hdr, sizeof hdr, "Bearer %s", t->o->token);

		if (n < 0 || (size_t)n >= sizeof hdr ||
		    lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)hdr, n, p,
		    end))
			return -1;
	}
	if (t->o->apikey != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"x-api-key:",
	    (const unsigned char *)t->o->apikey, (int)strlen(t->o->apikey),
	    p, end))
		return -1;
	return 0;
}

/* A fragment of a message; a whole one is handled. -1 to close. */
static int
received(struct lws *wsi, struct tail *t, const void *in, size_t len)
{
	if (kr_buf_add(&t->frame, in, len) == -1) {
		kr_warn("message from the server over %zu bytes: dropped",
		    t->frame.max);
		t->frame.len = 0;
		t->frame.max = 0;	/* skip to the end of it */
	}
	if (!lws_is_final_fragment(wsi))
		return 0;
	if (t->frame.max != 0)
		got_message(t, t->frame.s, t->frame.len);
	t->frame.len = 0;
	t->frame.max = KR_REC_MAX + 4096;
	return t->done ? -1 : 0;
}

/* The connection failed: refused for good, or tried again. */
static void
connect_failed(struct lws *wsi, struct tail *t, const char *why)
{
	int code = lws_http_client_http_response(wsi);
	char reason[256];

	if (code == 401 || code == 403) {
		refused(t, code);
		stop(t, KR_EX_FAIL);
		return;
	}
	if (code == 404 || code == 400) {
		kr_warn("the server has no such endpoint '%s': HTTP %d",
		    t->path, code);
		stop(t, KR_EX_FAIL);
		return;
	}
	t->fails++;
	if (code >= 500)
		snprintf(reason, sizeof reason, "HTTP %d", code);
	else
		snprintf(reason, sizeof reason, "%s", why ? why : "error");
	if (t->o->nurls > 1)
		;	/* moving on says it */
	else if (t->o->follow && !t->warned_down) {
		kr_warn("unable to connect to '%s://%s:%d': %s; retrying",
		    t->proto, t->host, t->port, why ? why : "error");
		t->warned_down = 1;
	} else
		kr_debug("connection failed: %s", why ? why : "error");
	schedule_retry(t, reason);
}

/* The connection closed: the history's end, or lost. */
static void
closed(struct tail *t)
{
	if (t->done)
		return;
	if (!t->o->follow && t->subscribed && t->o->nurls < 2) {
		/*
		 * The server ended the history by closing. With several,
		 * keruta-serve's "end" does: a close before it is a loss, and
		 * the next one goes on after the last record printed.
		 */
		stop(t, KR_EX_OK);
		return;
	}
	if (t->o->nurls < 2 && !t->warned_down) {
		kr_warn("connection to the server lost; reconnecting");
		t->warned_down = 1;
	}
	t->fails++;
	schedule_retry(t, "connection lost");
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct tail *t = lws_context_user(lws_get_context(wsi));

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return handshake_headers(wsi, t, in, len);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		kr_debug("connected");
		build_subscribe(t);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (t->sent_sub)
			break;
		t->sent_sub = 1;
		if (lws_write(wsi, (unsigned char *)t->sub.s + LWS_PRE,
		    t->sub.len - LWS_PRE, LWS_WRITE_TEXT) <
		    (int)(t->sub.len - LWS_PRE))
			return -1;
		if (!t->o->follow)
			lws_sul_schedule(t->ctx, 0, &t->sul_idle, idle_done,
			    NOFOLLOW_IDLE_US);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return received(wsi, t, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		connect_failed(wsi, t, in);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		closed(t);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (t->wsi == wsi)
			t->wsi = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "keruta-tail", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const lws_retry_bo_t keepalive = {
	.secs_since_valid_ping = 5,
	.secs_since_valid_hangup = 15,
};

/* Appends s percent-encoded for a URL path segment. */
static void
add_path_segment(struct kr_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			kr_buf_addc(b, (char)c);
		else
			kr_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/*
 * ws://host:port/base -> host, port, path base + /ws/tasks/{id}, and the
 * base for REST (base + /api/v1/...). A URL given in the WebSocket form
 * (ending in /ws/tasks or /ws) or the REST form (/api/v1) has its base
 * taken from it.
 */
static void
parse_url(struct tail *t, const char *url)
{
	static const char *ends[] = { "/ws/tasks", "/ws", "/api/v1/tasks",
	    "/api/v1" };
	struct kr_buf p = KR_BUF_INIT(sizeof t->path - 1);
	const char *prot, *addr, *path;
	char *copy;
	size_t i, n;

	if ((copy = strdup(url)) == NULL)
		kr_diesys(KR_EX_TEMP, "unable to allocate");
	if (lws_parse_uri(copy, &prot, &addr, &t->port, &path) != 0 ||
	    *addr == '\0') {
		free(copy);
		kr_die(KR_EX_USAGE, "bad URL '%s'", url);
	}
	if (strcmp(prot, "ws") == 0 || strcmp(prot, "http") == 0)
		t->tls = 0;
	else if (strcmp(prot, "wss") == 0 || strcmp(prot, "https") == 0)
		t->tls = 1;
	else {
		free(copy);
		kr_die(KR_EX_USAGE, "bad URL '%s': not ws, wss, http or https",
		    url);
	}
	snprintf(t->proto, sizeof t->proto, "%s", t->tls ? "wss" : "ws");
	if (strlen(addr) >= sizeof t->host) {
		free(copy);
		kr_die(KR_EX_USAGE, "bad URL '%s': host name too long", url);
	}
	snprintf(t->host, sizeof t->host, "%s", addr);
	kr_buf_addc(&p, '/');
	kr_buf_adds(&p, path);
	free(copy);
	while (p.len > 0 && p.s[p.len - 1] == '/')
		p.s[--p.len] = '\0';
	for (i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		n = strlen(ends[i]);
		if (p.len >= n && strcmp(p.s + p.len - n, ends[i]) == 0) {
			p.s[p.len -= n] = '\0';
			break;
		}
	}
	if (p.s == NULL || p.len >= sizeof t->base) {
		kr_buf_free(&p);
		kr_die(KR_EX_USAGE, "bad URL '%s': path too long", url);
	}
	memcpy(t->base, p.s, p.len);
	t->base[p.len] = '\0';
	kr_buf_adds(&p, "/ws/tasks/");
	add_path_segment(&p, t->o->task);
	if (p.s == NULL || p.len >= sizeof t->path - 1) {
		kr_buf_free(&p);
		kr_die(KR_EX_USAGE, "bad URL '%s': path too long", url);
	}
	snprintf(t->path, sizeof t->path, "%s", p.s);
	kr_buf_free(&p);
}

/*
 * REST: with --since, --tail or --grep the history comes from
 * GET /api/v1/tasks/{id}/logs, which filters by time and searches the
 * text; the WebSocket then follows from where the history began to be
 * read, so that the task's state is known and no live record is missed.
 */
#define REST_PAGE 500		/* records a page, halved when too big */
#define REST_BODY_MAX (256u << 20)

static size_t
rest_write(char *p, size_t size, size_t n, void *arg)
{
	return kr_buf_add(arg, p, size * n) == -1 ? 0 : size * n;
}

/* The query of the options' filters, each after a '&'. */
static void
rest_filters(struct kr_buf *q, const struct tail_opts *o)
{
	char ts[KR_TS_LEN + 1];
	int l;

	if (o->levels != (1u << KR_NLEVELS) - 1) {
		for (l = 0; l < KR_NLEVELS && !(o->levels & (1u << l)); l++)
			;
		kr_buf_printf(q, "&level=%s", kr_level_name(l));
	}
	if ((o->sources & SRC_ALL) != SRC_ALL)
		kr_buf_printf(q, "&source=%s%s%s%s%s",
		    o->sources & SRC_STDOUT ? "stdout" : "",
		    (o->sources & SRC_STDOUT) && (o->sources & SRC_STDERR) ?
		    "," : "", o->sources & SRC_STDERR ? "stderr" : "",
		    (o->sources & (SRC_STDOUT | SRC_STDERR)) &&
		    (o->sources & SRC_AGENT) ? "," : "",
		    o->sources & SRC_AGENT ? "agent" : "");
	if (o->since_ns >= 0) {
		kr_ts_format_ns(o->since_ns, ts);
		kr_buf_printf(q, "&from=%s", ts);
	}
	if (o->grep != NULL) {
		kr_buf_adds(q, "&q=");
		add_path_segment(q, o->grep);
	}
}

/* c set for a GET of url into body, with the credentials; its headers. */
static struct curl_slist *
rest_setup(const struct tail *t, CURL *c, const char *url, struct kr_buf *hdr,
    struct kr_buf *body)
{
	struct curl_slist *h = NULL;

	h = curl_slist_append(h, "Accept: application/json");
	if (t->o->token != NULL) {
		kr_buf_printf(hdr, "Authorization: Bearer %s", t->o->token);
		h = curl_slist_append(h, hdr->s);
		hdr->len = 0;
	}
	if (t->o->apikey != NULL) {
		kr_buf_printf(hdr, "X-API-Key: %s", t->o->apikey);
		h = curl_slist_append(h, hdr->s);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rest_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	if (t->o->cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, t->o->cacert);
	if (t->o->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return h;
}

/*
 * GET .../logs?query into *reply. 0; 1 when the page was over the limit
 * (ask for a smaller one); or an exit status, after saying why.
 */
static int
rest_get(struct tail *t, CURL *c, const char *query, cJSON **reply)
{
	struct kr_buf url = KR_BUF_INIT(8192);
	struct kr_buf body = KR_BUF_INIT(REST_BODY_MAX);
	struct kr_buf hdr = KR_BUF_INIT(16384);
	struct curl_slist *h = NULL;
	long code = 0;
	CURLcode rc;
	int ret = 0;

	*reply = NULL;
	kr_buf_printf(&url, "%s://%s%s%s:%d%s/api/v1/tasks/",
	    t->tls ? "https" : "http", strchr(t->host, ':') ? "[" : "",
	    t->host, strchr(t->host, ':') ? "]" : "", t->port, t->base);
	add_path_segment(&url, t->o->task);
	kr_buf_printf(&url, "/logs?%s", query);
	h = rest_setup(t, c, url.s, &hdr, &body);
	kr_debug("GET '%s'", url.s);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_WRITE_ERROR)	/* only rest_write fails so */
		ret = 1;
	else if (rc != CURLE_OK) {
		/* Following, it is tried again: said once. */
		snprintf(t->rest_why, sizeof t->rest_why, "%s",
		    curl_easy_strerror(rc));
		if (!t->rest_more && (!t->warned_down || !t->o->follow))
			kr_warn("unable to reach '%s://%s:%d': %s%s",
			    t->tls ? "https" : "http", t->host, t->port,
			    curl_easy_strerror(rc),
			    t->o->follow ? "; retrying" : "");
		if (!t->rest_more)
			t->warned_down = t->o->follow;
		t->rest_down = 1;
		ret = KR_EX_TEMP;
	} else if (code == 401 || code == 403) {
		refused(t, code);
		ret = KR_EX_FAIL;
	} else if (code != 200) {
		cJSON *e = cJSON_ParseWithLength(body.s ? body.s : "",
		    body.len);
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(e, "error");
		const char *ec = kr_rec_get_str(err, "code");

		snprintf(t->rest_why, sizeof t->rest_why, "HTTP %ld", code);
		t->rest_5xx = code >= 500;
		if (!t->rest_5xx || !t->rest_more)
			kr_warn("the server answered HTTP %ld%s%s%s to '%s%s'",
			    code, ec ? " '" : "", ec ? ec : "", ec ? "'" : "",
			    t->base, "/api/v1/tasks/.../logs");
		cJSON_Delete(e);
		ret = code >= 500 ? KR_EX_TEMP : KR_EX_FAIL;
	} else if ((*reply = cJSON_ParseWithLength(body.s ? body.s : "",
	    body.len)) == NULL || !cJSON_IsArray(
	    cJSON_GetObjectItemCaseSensitive(*reply, "content"))) {
		kr_warn("malformed reply of %zu bytes from the server",
		    body.len);
		cJSON_Delete(*reply);
		*reply = NULL;
		ret = KR_EX_TEMP;
	}
	curl_slist_free_all(h);
	kr_buf_free(&url);
	kr_buf_free(&body);
	if (hdr.s != NULL)
		sodium_memzero(hdr.s, hdr.cap);
	kr_buf_free(&hdr);
	return ret;
}

static long long
rec_id(const cJSON *r)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");

	return cJSON_IsNumber(id) ? (long long)id->valuedouble : -1;
}

/* The history; 0, or the status to exit with. */
/*
 * Records the server changed (a redaction) that may have been shown: one
 * line says so, then they are shown again as they now are (read back
 * through the REST API); with --json, as records of the same ids.
 */
static void
redacted(struct tail *t, const cJSON *j)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(j, "ids"), *e,
	    *content, *it;
	long long lo = -1, hi = -1, id, rid = kr_rec_get_int(j, "redaction", 0);
	cJSON *reply = NULL;
	char q[96];
	CURL *c;

	cJSON_ArrayForEach(e, ids)
		if (cJSON_IsNumber(e)) {
			id = (long long)e->valuedouble;
			lo = lo < 0 || id < lo ? id : lo;
			hi = id > hi ? id : hi;
		}
	if (lo < 1 || (t->have_cursor && t->by_id && lo > t->cursor))
		return;		/* none of them shown yet */
	if (!t->o->json) {
		kr_buf_printf(&t->out, "-- redaction %lld on the server changed "
		    "%d record%s shown; as they now are:\n", rid,
		    cJSON_GetArraySize(ids), cJSON_GetArraySize(ids) == 1 ?
		    "" : "s");
	}
	if ((c = curl_easy_init()) == NULL)
		return;
	/* A step's ids: at most a few hundred, close together. */
	snprintf(q, sizeof q, "after=%lld&size=%lld&order=asc", lo - 1,
	    hi - lo + 1 > 1000 ? 1000 : hi - lo + 1);
	if (rest_get(t, c, q, &reply) == 0) {
		content = cJSON_GetObjectItemCaseSensitive(reply, "content");
		cJSON_ArrayForEach(it, content) {
			id = kr_rec_get_int(it, "id", -1);
			cJSON_ArrayForEach(e, ids)
				if (cJSON_IsNumber(e) &&
				    (long long)e->valuedouble == id)
					break;
			if (e == NULL || !wanted(t->o, it, 0))
				continue;
			if (t->o->json) {
				char *txt = cJSON_PrintUnformatted(it);

				if (txt != NULL) {
					kr_buf_adds(&t->out, txt);
					kr_buf_addc(&t->out, '\n');
				}
				cJSON_free(txt);
			} else
				format_record(&t->out, it, &t->view);
		}
	}
	cJSON_Delete(reply);
	curl_easy_cleanup(c);
}

/* Where the task ends now (*top), and whether it has ended. */
static int
history_top(struct tail *t, CURL *c, long long *top)
{
	const cJSON *content;
	cJSON *reply = NULL;
	int r, i;

	*top = 0;
	if ((r = rest_get(t, c, "order=desc&size=10", &reply)) != 0)
		return r;
	content = cJSON_GetObjectItemCaseSensitive(reply, "content");
	if (cJSON_GetArraySize(content) > 0 &&
	    (*top = rec_id(cJSON_GetArrayItem(content, 0))) < 0)
		*top = 0;
	for (i = cJSON_GetArraySize(content) - 1; i >= 0; i--)
		track_state(t, cJSON_GetArrayItem(content, i));
	cJSON_Delete(reply);
	return 0;
}

/* --tail N: the Nth last record shown starts the history (*after). */
static int
history_tail(struct tail *t, CURL *c, long long *after)
{
	const struct tail_opts *o = t->o;
	struct kr_buf q = KR_BUF_INIT(1 << 20);
	long long sz = o->tail < 1000 ? o->tail : 1000, id;
	const cJSON *content, *it;
	cJSON *reply = NULL;
	int r;

	kr_buf_printf(&q, "order=desc&size=%lld&page=%lld&after=%lld", sz,
	    (o->tail - 1) / sz, *after);
	rest_filters(&q, o);
	if ((r = rest_get(t, c, q.s, &reply)) == 0) {
		content = cJSON_GetObjectItemCaseSensitive(reply, "content");
		it = cJSON_GetArrayItem(content, (int)((o->tail - 1) % sz));
		if (it != NULL && (id = rec_id(it)) > *after)
			*after = id - 1;
	}
	cJSON_Delete(reply);
	kr_buf_free(&q);
	return r;
}

/*
 * One page of the history after *after, shown; *after moves on and *n
 * says how many came. 1 when a record would not fit (ask for fewer), 0,
 * or an exit status (-1: the reader went away).
 */
static int
history_page(struct tail *t, CURL *c, size_t size, long long *after,
    long long *n)
{
	struct kr_buf q = KR_BUF_INIT(1 << 20);
	const cJSON *content, *it;
	cJSON *reply = NULL;
	long long id;
	int r;

	kr_buf_printf(&q, "order=asc&size=%zu&after=%lld", size, *after);
	rest_filters(&q, t->o);
	r = rest_get(t, c, q.s, &reply);
	kr_buf_free(&q);
	if (r != 0)
		return r;
	content = cJSON_GetObjectItemCaseSensitive(reply, "content");
	*n = 0;
	cJSON_ArrayForEach(it, content) {
		char *txt = cJSON_PrintUnformatted(it);

		if (txt != NULL)
			got_record(t, it, txt, strlen(txt), 0);
		cJSON_free(txt);
		if ((id = rec_id(it)) > *after)
			*after = id;
		(*n)++;
	}
	cJSON_Delete(reply);
	if (out_flush(&t->out, 1) == -1) {
		if (errno == EPIPE)
			return -1;
		kr_warnsys("unable to write to standard output");
		return KR_EX_TEMP;
	}
	return 0;
}

static int
rest_history(struct tail *t)
{
	const struct tail_opts *o = t->o;
	long long after = o->after >= 0 ? o->after : 0, top, from, n;
	size_t size = REST_PAGE;
	CURL *c;
	int r;

	if ((c = curl_easy_init()) == NULL)
		kr_die(KR_EX_TEMP, "unable to start libcurl");
	if ((r = history_top(t, c, &top)) != 0)
		goto out;
	if (o->tail == 0)
		after = top > after ? top : after;
	else if (o->tail > 0 && (r = history_tail(t, c, &after)) != 0)
		goto out;
	for (;;) {
		from = after;
		if ((r = history_page(t, c, size, &after, &n)) == 1 &&
		    size > 1) {
			size /= 2;
			continue;
		}
		if (r == 1) {
			kr_warn("a record of the history is over %u bytes",
			    REST_BODY_MAX);
			r = KR_EX_TEMP;
		}
		if (r != 0)
			goto out;
		if ((size_t)n < size)
			break;
		if (after == from) {	/* the same page would come again */
			kr_warn("records without an id from the server");
			r = KR_EX_TEMP;
			goto out;
		}
	}
	/* The WebSocket goes on from where the history began to be read. */
	if (top > t->cursor || !t->have_cursor) {
		t->cursor = top > t->cursor ? top : t->cursor;
		t->have_cursor = 1;
		t->by_id = 1;
	}
	t->sub_after = top > o->after ? top : o->after;
	r = 0;
out:
	curl_easy_cleanup(c);
	return r;
}

/*
 * The REST history before the WebSocket: following, a server not up yet
 * is waited for, as the WebSocket waits; with several, each is tried in
 * turn, and without following each once. 0, or the status to exit with
 * (-1: the reader went away).
 */
static int
history_first(struct tail *t)
{
	const struct tail_opts *o = t->o;
	long long ms = 100;
	size_t tries;
	int r;

	for (tries = 1;; tries++) {
		struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

		t->rest_down = t->rest_5xx = 0;
		t->rest_more = o->nurls > 1 && (o->follow || tries < o->nurls);
		r = rest_history(t);
		if (r == KR_EX_TEMP && t->rest_more &&
		    (t->rest_down || t->rest_5xx)) {
			move_on(t, t->rest_why);
			if (tries % o->nurls != 0)
				continue;
		} else if (r != KR_EX_TEMP || !t->rest_down || !o->follow)
			break;
		nanosleep(&ts, NULL);
		ms = ms < 1500 ? ms * 2 : 3000;
	}
	t->rest_more = 0;
	t->warned_down = 0;
	return r;
}

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && line[n - 1] == '\n')
		n--;
	kr_debug("libwebsockets: %.*s", (int)n, line);
}

static int
run_ws(struct tail_opts *o)
{
	struct lws_context_creation_info info;
	struct tail t;
	size_t i;

	memset(&t, 0, sizeof t);
	t.o = o;
	view_init(&t.view, o);
	kr_buf_init(&t.frame, KR_REC_MAX + 4096);
	kr_buf_init(&t.out, KR_REC_MAX * 2);
	kr_buf_init(&t.sub, 64 * 1024);
	if (o->after >= 0) {
		t.cursor = o->after;
		t.have_cursor = 1;
		t.by_id = 1;
	}
	t.sub_after = -1;
	/* Each server is checked, in order; the first is used. */
	for (i = 0; i < o->nurls; i++) {
		parse_url(&t, o->urls[i]);
		t.tls_any |= t.tls;
	}
	parse_url(&t, o->urls[0]);
	if (o->since_ns >= 0 || o->tail >= 0 || o->grep != NULL) {
		int r = history_first(&t);

		if (r != 0 || !o->follow) {
			if (t.view.cont != 0)
				kr_buf_addc(&t.out, '\n');
			out_flush(&t.out, 1);
			kr_buf_free(&t.frame);
			kr_buf_free(&t.out);
			kr_buf_free(&t.sub);
			return r == -1 ? KR_EX_OK : r;
		}
	}
	lws_set_log_level(kr_diag_verbosity() >= KR_V_DEBUG ?
	    LLL_ERR | LLL_WARN : 0, lws_log);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &t;
	info.pt_serv_buf_size = 16384;
	info.retry_and_idle_policy = &keepalive;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	if (t.tls_any) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = o->cacert;
	}
	if ((t.ctx = lws_create_context(&info)) == NULL)
		kr_die(KR_EX_TEMP, "unable to create the WebSocket context");
	t.status = KR_EX_OK;
	connect_now(&t.sul_retry);
	while (!t.done)
		if (lws_service(t.ctx, 0) < 0)
			break;
	lws_sul_cancel(&t.sul_retry);
	lws_sul_cancel(&t.sul_idle);
	lws_sul_cancel(&t.sul_exit);
	if (t.view.cont != 0)
		kr_buf_addc(&t.out, '\n');
	out_flush(&t.out, 1);
	lws_context_destroy(t.ctx);
	kr_buf_free(&t.frame);
	kr_buf_free(&t.out);
	kr_buf_free(&t.sub);
	return t.status;
}

/* What the configuration may supply: left for the settle_ functions. */
struct tail_args {
	const char *level, *color, *token, *url;
};

/* The command line into o and a: one case per option. */
static void
parse_args(int argc, char *argv[], struct tail_opts *o, struct tail_args *a)
{
	int ch;

	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		switch (ch) {
		case KR_O_AFTER:
			if (kr_parse_ll(optarg, 0, LLONG_MAX, &o->after) == -1)
				kr_die(KR_EX_USAGE, "bad cursor '%s'", optarg);
			break;
		case KR_O_CACERT:
			o->cacert = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'e':
			o->exit_code = 1;
			break;
		case 'f':
			o->follow = parse_bool("follow", optarg);
			break;
		case 'g':
			o->grep = optarg;
			break;
		case KR_O_SINCE:
			o->since_ns = parse_since(optarg, 1);
			break;
		case KR_O_SINCE_TIME:
			o->since_ns = parse_since(optarg, 0);
			break;
		case KR_O_TAIL:
			if (kr_parse_ll(optarg, -1, LLONG_MAX, &o->tail) == -1)
				kr_die(KR_EX_USAGE, "bad --tail '%s': a number "
				    "of lines, -1 for all", optarg);
			break;
		case 'j':
			o->json = 1;
			break;
		case 'k':
			o->insecure = 1;
			break;
		case KR_O_LAST:
			o->last = optarg;
			break;
		case 'n':
			o->follow = 0;
			break;
		case 's':
			if (parse_sources(optarg, &o->sources) == -1)
				kr_die(KR_EX_USAGE, "bad source '%s': "
				    "stdout, stderr or agent", optarg);
			break;
		case KR_O_STDIN:
			o->from_stdin = 1;
			break;
		case KR_O_TEE:
			o->tee = 1;
			break;
		case KR_O_RAW:
			o->raw = 1;
			break;
		case KR_O_TIMESTAMPS:
			o->timestamps = parse_bool("timestamps", optarg);
			break;
		case 'l':
			a->level = optarg;
			break;
		case KR_O_COLOR:
			a->color = optarg;
			break;
		case 'T':
			a->token = optarg;
			break;
		case 'u':
			a->url = optarg;
			break;
		}
	}
}

/* The operands and the combinations of options. */
static void
check_args(int argc, char *argv[], struct tail_opts *o)
{
	argc -= optind;
	argv += optind;
	if ((o->tee || o->last || o->raw) && !o->from_stdin)
		kr_die(KR_EX_USAGE, "--tee, --last and --raw need --stdin");
	if (o->raw && o->json)
		kr_die(KR_EX_USAGE, "--raw and --json are two ways to print: "
		    "one at a time");
	if (o->tail >= 0 && o->from_stdin)
		kr_die(KR_EX_USAGE, "--tail needs a server, not --stdin");
	if (o->grep != NULL && strspn(o->grep, " \t") == strlen(o->grep))
		kr_die(KR_EX_USAGE, "--grep needs a word");
	if (o->from_stdin ? argc > 1 : argc != 1)
		kr_set_usage(TOOL);
	o->task = argc == 1 ? argv[0] : NULL;
	if (o->task != NULL && *o->task == '\0')
		kr_die(KR_EX_USAGE, "empty task id");
	if (o->sources == 0)
		o->sources = SRC_ALL;
}

/* The levels shown, from -l or the YAML file: all when neither. */
static void
settle_levels(struct tail_opts *o, const struct kr_cfg *cfg,
    const char *level)
{
	int l, lv;

	level = kr_set_value(TOOL, cfg, 'l', level, NULL);
	if (level == NULL) {
		o->levels = (1u << KR_NLEVELS) - 1;
		return;
	}
	if ((lv = kr_level_parse(level, strlen(level))) < 0)
		kr_die(KR_EX_USAGE, "bad level '%s'", level);
	for (l = lv; l < KR_NLEVELS; l++)
		o->levels |= 1u << l;
}

static void
settle_color(struct tail_opts *o, const char *color)
{
	const char *nc = getenv("NO_COLOR");

	if (color == NULL || strcmp(color, "auto") == 0)
		o->color = isatty(o->tee ? 2 : 1) && (nc == NULL ||
		    *nc == '\0');
	else if (strcmp(color, "always") == 0)
		o->color = 1;
	else if (strcmp(color, "never") == 0)
		o->color = 0;
	else
		kr_die(KR_EX_USAGE, "bad --color '%s': auto, always or never",
		    color);
	if (o->json)
		o->color = 0;
	if (o->color)
		restore_on_exit(o->tee ? 2 : 1);
}

/*
 * The servers of o->url, "url[,url...]": blanks around an element are
 * dropped; an empty element is bad usage.
 */
static void
split_urls(struct tail_opts *o)
{
	if ((o->urls = kr_url_split(o->url, &o->nurls)) != NULL)
		return;
	if (o->nurls == 0)
		kr_diesys(KR_EX_TEMP, "unable to allocate");
	kr_die(KR_EX_USAGE, "bad URL list '%s': element %zu is empty", o->url,
	    o->nurls);
}

/* The servers' URLs, the token and the API key. */
static void
settle_server(struct tail_opts *o, const struct kr_cfg *cfg,
    const char *url, const char *tok)
{
	o->url = kr_set_value(TOOL, cfg, 'u', url, NULL);
	split_urls(o);
	if (tok == NULL)
		tok = kr_cfg_get(cfg, "api.token", "KERUTA_AUTH_TOKEN",
		    getenv("KERUTA_API_TOKEN"));
	o->token = tok != NULL && *tok != '\0' ? tok : NULL;
	o->apikey = getenv("KERUTA_API_KEY");
	if (o->apikey != NULL && *o->apikey == '\0')
		o->apikey = NULL;
}

int
main(int argc, char *argv[])
{
	/* Static: the URL and token may point into the configuration. */
	static struct tail_opts o = { .after = -1, .follow = 1,
	    .timestamps = 1, .since_ns = -1, .tail = -1 };
	/* Static: reachable still when a bad setting exits. */
	static struct kr_cfg *cfg;
	struct tail_args a = { NULL, NULL, NULL, NULL };
	char err[512];
	int status;

	kr_diag_init("keruta-tail");
	kr_ignore_sigpipe();
	parse_args(argc, argv, &o, &a);
	check_args(argc, argv, &o);
	if ((cfg = kr_cfg_load(o.config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	settle_levels(&o, cfg, a.level);
	settle_color(&o, a.color);
	if (o.from_stdin) {
		kr_cfg_free(cfg);
		return run_stdin(&o);
	}
	settle_server(&o, cfg, a.url, a.token);
	status = run_ws(&o);
	while (o.nurls > 0)
		free(o.urls[--o.nurls]);
	free(o.urls);
	kr_cfg_free(cfg);
	return status;
}
