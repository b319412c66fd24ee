/*
 * keruta-capture: run a command and write one keruta(7) record per line of
 * its output to stdout.
 *
 * Reads: the command's stdout (a pipe, or a pseudo-terminal with --pty) and
 * stderr (a pipe), in one poll loop with a signal self-pipe.
 * Writes: records on stdout, an agent "start" record first and an "exit"
 * record last; diagnostics on stderr.
 * Exits: the command's status; 128 + N when a signal N killed it; 126 when
 * it could not be executed, 127 when it was not found; 100 on bad usage;
 * 111 when a system call failed before the command ran.
 */
#define _GNU_SOURCE	/* pipe2, cfmakeraw, TIOCSWINSZ */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "kr_id.h"
#include "kr_io.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_parse.h"
#include "kr_rand.h"
#include "kr_rec.h"
#include "kr_set.h"
#include "kr_time.h"

#define CHUNK		(32u << 10)	/* one read(2) */
#define OUT_SOFT	(32u << 10)	/* try to write out past this */
#define OUT_HIGH	(256u << 10)	/* wait for the reader past this */
#define MAX_LINE_MAX	(2u << 20)	/* keeps a record under KR_REC_MAX */
#define SCAN		256		/* bytes of a line searched for a level */
#define DRAIN_QUIET_NS	250000000LL	/* after the exit: quiet pipes end */
#define DRAIN_MAX_NS	2000000000LL	/* after the exit: at most this long */

enum { PIECE_CONT = 1, PIECE_PARTIAL = 2 };

struct opts {
	const char *task_id, *run_id, *exit_file;
	int pty, no_stdin;
	int out_level, err_level;
	long long idle_ms, timeout_ms, kill_after_ms;
	size_t max_line;
	char **argv;
};

/* One output stream of the command. */
struct src {
	const char *name;
	int fd;
	int level;			/* the default level */
	struct kr_buf pend;		/* the start of a line, no "\n" yet */
	char pend_ts[KR_TS_LEN + 1];	/* when its first byte was read */
	unsigned long long line;	/* number of the current line */
	int mid, mid_level;		/* part of the line already written */
	long long last_ns;		/* last read with data */
	struct kr_buf head[KR_NLEVELS];	/* ,"source":…,"level":…, by level */
};

struct cap {
	const struct opts *o;
	struct src src[2];
	struct kr_buf out;
	size_t out_off;
	size_t out_retry;		/* pending bytes that make emit write */
	int out_fl;			/* stdout's flags, -1: left alone */
	int out_dead;			/* EPIPE: the reader went away */
	unsigned long long seq;
	struct kr_buf ids;		/* {"type":"log","taskId":…,"runId":… */
	char *chunk;
	pid_t pid;
	int reaped, status, timed_out;
	int tty_fg;			/* the command has the terminal */
	long long t0, t_exit, timeout_at, kill_at;
};

static int sig_pipe[2] = { -1, -1 };

static const struct {
	int sig;
	const char *name;
} signames[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
	{ SIGCHLD, "CHLD" }, { SIGCONT, "CONT" }, { SIGSTOP, "STOP" },
	{ SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
	{ SIGURG, "URG" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" }, { SIGSYS, "SYS" },
#ifdef SIGWINCH
	{ SIGWINCH, "WINCH" },
#endif
#ifdef SIGIO
	{ SIGIO, "IO" },
#endif
#ifdef SIGPWR
	{ SIGPWR, "PWR" },
#endif
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "STKFLT" },
#endif
};

static const int caught[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

static void
on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;

	(void)!write(sig_pipe[1], &b, 1);
	errno = e;
}

static const char *
sig_name(int sig, char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof signames / sizeof signames[0]; i++)
		if (signames[i].sig == sig)
			return signames[i].name;
	snprintf(buf, n, "%d", sig);
	return buf;
}

static long long
mono_ns(void)
{
	return kr_mono_ns();
}

/*
 * Level from a JSON log line's "level", "severity" ... field; -1 when the
 * line is not a JSON object, -2 when it is one without a level.
 */
static int
json_level(const char *s, size_t n)
{
	static const char *const keys[] = { "level", "severity", "lvl",
		"log.level", "levelname", "loglevel" };
	const cJSON *v;
	cJSON *j;
	size_t i;
	int l = -2;

	if ((j = kr_rec_parse(s, n)) == NULL)
		return -1;
	for (i = 0; l < 0 && i < sizeof keys / sizeof keys[0]; i++) {
		v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
		if (cJSON_IsString(v))
			l = kr_level_parse(v->valuestring,
			    strlen(v->valuestring));
		else if (cJSON_IsNumber(v)) {
			/* pino and bunyan: 10 trace ... 60 fatal */
			int x = v->valueint;

			if (x >= 10 && x <= 60 && x % 10 == 0 &&
			    v->valuedouble == (double)x)
				l = KR_TRACE + (x / 10 - 1);
		}
		if (l == -1)
			l = -2;
	}
	cJSON_Delete(j);
	return l;
}

static int
is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
word_is(const unsigned char *w, size_t n, const char *k)
{
	size_t i;

	if (strlen(k) != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((w[i] | 0x20) != k[i])
			return 0;
	return 1;
}

/*
 * Level from a marker near the start of a text line: "[warn]", "<error>",
 * "ERROR:", "error:", "level=warn", "severity: error", a bare upper-case
 * name ("2026-11-28 10:15:03 WARNING ..."), a glog prefix ("E1128 ..."),
 * a syslog priority as sd-daemon(3) writes it ("<3>...").
 * The first marker wins; -1 when there is none.
 */
static int
text_level(const unsigned char *s, size_t n)
{
	size_t i = 0, w, wl, j, end = n < SCAN ? n : SCAN, k;
	unsigned char prev = ' ', next;
	int l, caps;

	if (n >= 6 && (s[0] == 'I' || s[0] == 'W' || s[0] == 'E' ||
	    s[0] == 'F') && is_digit(s[1]) && is_digit(s[2]) &&
	    is_digit(s[3]) && is_digit(s[4]) && s[5] == ' ')
		return s[0] == 'I' ? KR_INFO : s[0] == 'W' ? KR_WARN :
		    s[0] == 'E' ? KR_ERROR : KR_FATAL;
	if (n >= 3 && s[0] == '<' && s[1] >= '0' && s[1] <= '7' && s[2] == '>')
		return s[1] <= '2' ? KR_FATAL : s[1] == '3' ? KR_ERROR :
		    s[1] == '4' ? KR_WARN : s[1] == '7' ? KR_DEBUG : KR_INFO;
	while (i < end) {
		if (s[i] == 0x1b) {
			/* An ANSI escape (colours) separates words. */
			i++;
			if (i < n && s[i] == '[') {
				for (i++; i < n && s[i] >= 0x20 && s[i] < 0x40;
				    i++)
					;
				i++;
			}
			prev = ' ';
			continue;
		}
		if (!is_alpha(s[i])) {
			prev = s[i++];
			continue;
		}
		w = i;
		caps = 1;
		for (; i < n && is_alpha(s[i]); i++)
			if (s[i] >= 'a')
				caps = 0;
		wl = i - w;
		next = i < n ? s[i] : ' ';
		if (is_digit(prev) || prev == '_' || wl > 11 ||
		    is_digit(next) || next == '_') {
			prev = s[i - 1];
			continue;
		}
		if (((s[w] | 0x20) == 'l' || (s[w] | 0x20) == 's') &&
		    (word_is(s + w, wl, "level") || word_is(s + w, wl, "lvl") ||
		    word_is(s + w, wl, "severity") ||
		    word_is(s + w, wl, "loglevel"))) {
			j = i;
			if (j < n && (s[j] == '"' || s[j] == '\''))
				j++;
			if (j < n && (s[j] == '=' || s[j] == ':')) {
				for (j++; j < n && s[j] == ' '; j++)
					;
				if (j < n && (s[j] == '"' || s[j] == '\''))
					j++;
				for (k = j; k < n && is_alpha(s[k]); k++)
					;
				if (k > j && (k == n || !is_digit(s[k])) &&
				    (l = kr_level_parse((const char *)s + j,
				    k - j)) >= 0)
					return l;
			}
		}
		/* Only words in a marker's place are looked up. */
		if (((prev == '[' && next == ']') ||
		    (prev == '<' && next == '>') ||
		    (prev == '(' && next == ')') || next == ':' ||
		    (caps && (next == ' ' || next == '\t' || next == ']' ||
		    next == '|' || next == '!' || next == ',' ||
		    next == 0x1b || i == n))) &&
		    (l = kr_level_parse((const char *)s + w, wl)) >= 0)
			return l;
		prev = s[i - 1];
	}
	return -1;
}

static int
detect_level(const char *s, size_t n)
{
	size_t i = 0;
	int l;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	/* In a JSON line only its level field counts, not the text. */
	if (i < n && s[i] == '{' && s[n - 1] == '}' &&
	    (l = json_level(s + i, n - i)) != -1)
		return l;
	return text_level((const unsigned char *)s, n);
}

static void handle_signals(struct cap *);
static void timers(struct cap *);

/*
 * Writes out what the buffer holds; with wait, until it is all written,
 * still passing signals on and keeping the timeouts while the reader is
 * slow.
 */
static void
flush_out(struct cap *c, int wait)
{
	ssize_t w;

	while (c->out_off < c->out.len) {
		w = write(1, c->out.s + c->out_off, c->out.len - c->out_off);
		if (w >= 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p[2] = { { 1, POLLOUT, 0 },
				{ sig_pipe[0], POLLIN, 0 } };

			if (!wait) {
				/* Moved to the front only once the written
				 * part is the larger, not at each try. */
				if (c->out_off > c->out.len / 2) {
					kr_buf_consume(&c->out, c->out_off);
					c->out_off = 0;
				}
				c->out_retry = c->out.len - c->out_off +
				    OUT_SOFT;
				return;
			}
			if (poll(p, 2, 100) > 0 && (p[1].revents & POLLIN))
				handle_signals(c);
			timers(c);
			continue;
		}
		if (errno == EPIPE)
			kr_warn("standard output closed; the command keeps "
			    "running, its output is discarded");
		else
			kr_warnsys("unable to write to standard output; the "
			    "command keeps running, its output is discarded");
		c->out_dead = 1;
		break;
	}
	c->out.len = c->out_off = 0;
	c->out_retry = OUT_SOFT;
}

static void
rec_fail(void)
{
	kr_diesys(KR_EX_TEMP, "unable to build a record");
}

static void
emit(struct cap *c, struct src *s, const char *ts, const char *p, size_t n,
    int flags)
{
	int l;

	c->seq++;
	if (c->out_dead)
		return;
	if (s->mid)
		l = s->mid_level;
	else if ((l = detect_level(p, n)) < 0)
		l = s->level;
	if (flags != 0) {
		s->mid = 1;
		s->mid_level = l;
	}
	/* The parts of the head that repeat are written once. */
	if ((c->ids.len == 0 &&
	    kr_rec_ids(&c->ids, c->o->task_id, c->o->run_id) == -1) ||
	    (s->head[l].len == 0 && kr_rec_src(&s->head[l], s->name,
	    kr_level_name((enum kr_level)l)) == -1))
		rec_fail();
	if (kr_rec_open_with(&c->out, &c->ids, c->seq, ts, &s->head[l]) == -1 ||
	    kr_rec_text(&c->out, "message", p, n, NULL) == -1 ||
	    kr_rec_int(&c->out, "lineNumber", (long long)s->line) == -1 ||
	    ((flags & PIECE_PARTIAL) &&
	    kr_rec_bool(&c->out, "partial", 1) == -1) ||
	    ((flags & PIECE_CONT) &&
	    kr_rec_bool(&c->out, "continued", 1) == -1) ||
	    kr_rec_close(&c->out) == -1)
		rec_fail();
	/* Small writes keep memory low; the reader's pace sets ours. A
	 * full pipe is tried again only OUT_SOFT bytes later. */
	if (c->out.len - c->out_off > c->out_retry)
		flush_out(c, c->out.len - c->out_off > OUT_HIGH);
}

/* Where to split a long piece: at most max bytes, not inside a character. */
static size_t
cut_at(const char *p, size_t max)
{
	size_t k = kr_utf8_cut(p, max);

	return k == 0 ? max : k;
}

/* A whole line (without "\n"), split when longer than --max-line. */
static void
emit_line(struct cap *c, struct src *s, const char *ts, const char *p,
    size_t n)
{
	size_t k;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	while (n > c->o->max_line) {
		k = cut_at(p, c->o->max_line);
		emit(c, s, ts, p, k, PIECE_CONT);
		p += k;
		n -= k;
	}
	emit(c, s, ts, p, n, 0);
	s->line++;
	s->mid = 0;
}

static void
flush_partial(struct cap *c, struct src *s)
{
	if (s->pend.len == 0)
		return;
	emit(c, s, s->pend_ts, s->pend.s, s->pend.len, PIECE_PARTIAL);
	s->pend.len = 0;
}

/* Bytes just read from s: whole lines go out, the rest waits. */
static void
feed(struct cap *c, struct src *s, const char *ts, const char *p, size_t n)
{
	const char *e = p + n, *nl;
	size_t k;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL) {
			if (s->pend.len == 0)
				memcpy(s->pend_ts, ts, sizeof s->pend_ts);
			if (kr_buf_add(&s->pend, p, (size_t)(e - p)) == -1)
				rec_fail();
			while (s->pend.len > c->o->max_line) {
				k = cut_at(s->pend.s, c->o->max_line);
				emit(c, s, s->pend_ts, s->pend.s, k,
				    PIECE_CONT);
				kr_buf_consume(&s->pend, k);
				memcpy(s->pend_ts, ts, sizeof s->pend_ts);
			}
			return;
		}
		if (s->pend.len > 0) {
			if (kr_buf_add(&s->pend, p, (size_t)(nl - p)) == -1)
				rec_fail();
			emit_line(c, s, s->pend_ts, s->pend.s, s->pend.len);
			s->pend.len = 0;
		} else
			emit_line(c, s, ts, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

static void
src_close(struct cap *c, struct src *s)
{
	flush_partial(c, s);
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* One read(2) from s. */
static void
src_read(struct cap *c, struct src *s)
{
	struct timespec t;
	char ts[KR_TS_LEN + 1];
	ssize_t r;

	r = kr_read(s->fd, c->chunk, CHUNK);
	if (r > 0) {
		clock_gettime(CLOCK_REALTIME, &t);
		kr_ts_format(&t, ts);
		s->last_ns = mono_ns();
		feed(c, s, ts, c->chunk, (size_t)r);
		return;
	}
	if (r == -1 && errno == EAGAIN)
		return;
	/* A pseudo-terminal says EIO once the last writer closed it. */
	if (r == -1 && !(errno == EIO && c->o->pty && s == &c->src[0]))
		kr_warnsys("unable to read the command's %s", s->name);
	src_close(c, s);
}

/* Hands the terminal on fd 0 to process group pg (from any group). */
static void
give_tty(pid_t pg)
{
	sigset_t s, old;

	sigemptyset(&s);
	sigaddset(&s, SIGTTOU);
	sigprocmask(SIG_BLOCK, &s, &old);
	(void)tcsetpgrp(0, pg);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
reap(struct cap *c)
{
	pid_t r;
	int st;

	if (c->reaped)
		return;
	do
		r = waitpid(c->pid, &st, WNOHANG | (c->tty_fg ? WUNTRACED : 0));
	while (r == -1 && errno == EINTR);
	if (r != c->pid)
		return;
	if (WIFSTOPPED(st)) {
		if (WSTOPSIG(st) != SIGTSTP)
			return;
		/*
		 * Stopped from the terminal (^Z): stop the whole job as the
		 * terminal would have, and hand the terminal back when the
		 * shell continues it.
		 */
		give_tty(getpgrp());
		kill(0, WSTOPSIG(st));
		give_tty(c->pid);
		kill(-c->pid, SIGCONT);
		return;
	}
	c->reaped = 1;
	c->status = st;
	c->t_exit = mono_ns();
	c->kill_at = 0;
}

static void
send_group(struct cap *c, int sig)
{
	char b[16];

	kr_debug("sending %s to process group %ld", sig_name(sig, b, sizeof b),
	    (long)c->pid);
	if (kill(-c->pid, sig) == -1 && errno != ESRCH)
		kr_warnsys("unable to signal process group %ld",
		    (long)c->pid);
}

/* A TERM or INT was sent: a SIGKILL follows unless the command ends. */
static void
arm_kill(struct cap *c)
{
	if (c->o->kill_after_ms > 0 && c->kill_at == 0 && !c->reaped)
		c->kill_at = mono_ns() + c->o->kill_after_ms * 1000000LL;
}

static void
handle_signals(struct cap *c)
{
	unsigned char b[64];
	ssize_t r, i;

	while ((r = kr_read(sig_pipe[0], b, sizeof b)) > 0) {
		for (i = 0; i < r; i++) {
			if (b[i] == SIGCHLD) {
				reap(c);
				continue;
			}
			send_group(c, b[i]);
			if (b[i] != SIGHUP)
				arm_kill(c);
		}
	}
}

static void
emit_agent(struct cap *c, const char *level, const char *msg, size_t msglen,
    const struct kr_buf *meta)
{
	struct kr_rec_head h;

	c->seq++;
	if (c->out_dead)
		return;
	h.task_id = c->o->task_id;
	h.run_id = c->o->run_id;
	h.seq = c->seq;
	h.ts = NULL;
	h.source = "agent";
	h.level = level;
	if (kr_rec_open(&c->out, &h) == -1 ||
	    kr_rec_text(&c->out, "message", msg, msglen, NULL) == -1 ||
	    kr_rec_raw(&c->out, "metadata", meta->s, meta->len) == -1 ||
	    kr_rec_close(&c->out) == -1)
		rec_fail();
}

static void
emit_start(struct cap *c)
{
	struct kr_buf msg = KR_BUF_INIT(KR_REC_MAX / 2);
	struct kr_buf meta = KR_BUF_INIT(KR_REC_MAX / 2);
	char **a;

	if (kr_buf_adds(&msg, "started:") == -1 ||
	    kr_buf_adds(&meta, "{\"event\":\"start\",\"command\":[") == -1)
		rec_fail();
	for (a = c->o->argv; *a != NULL; a++) {
		if (kr_buf_addc(&msg, ' ') == -1 ||
		    kr_buf_adds(&msg, *a) == -1 ||
		    (a != c->o->argv && kr_buf_addc(&meta, ',') == -1) ||
		    kr_buf_addc(&meta, '"') == -1 ||
		    kr_json_escape_utf8(&meta, *a, strlen(*a)) == -1 ||
		    kr_buf_addc(&meta, '"') == -1)
			rec_fail();
	}
	if (kr_buf_printf(&meta, "],\"pid\":%ld}", (long)c->pid) == -1)
		rec_fail();
	emit_agent(c, "INFO", msg.s, msg.len, &meta);
	kr_buf_free(&msg);
	kr_buf_free(&meta);
}

/* The exit record; returns keruta-capture's exit status. */
static int
emit_exit(struct cap *c, int exec_errno)
{
	struct kr_buf msg = KR_BUF_INIT(4096), meta = KR_BUF_INIT(4096);
	const char *sname = NULL;
	char sb[16];
	int code, sig = 0;

	if (exec_errno != 0) {
		code = exec_errno == ENOENT ? 127 : 126;
		kr_buf_printf(&msg, "%s", code == 127 ? "command not found" :
		    "cannot execute the command");
	} else if (WIFSIGNALED(c->status)) {
		sig = WTERMSIG(c->status);
		code = 128 + sig;
		sname = sig_name(sig, sb, sizeof sb);
		kr_buf_printf(&msg, "%skilled by signal %s",
		    c->timed_out ? "timed out, " : "", sname);
	} else {
		code = WEXITSTATUS(c->status);
		kr_buf_printf(&msg, "%sexited with status %d",
		    c->timed_out ? "timed out, " : "", code);
	}
	if (kr_buf_printf(&meta, "{\"event\":\"exit\",\"exitCode\":%d,"
	    "\"signal\":", code) == -1 ||
	    (sname != NULL ? kr_buf_printf(&meta, "\"%s\"", sname) :
	    kr_buf_adds(&meta, "null")) == -1 ||
	    kr_buf_printf(&meta, ",\"durationMs\":%lld",
	    (c->t_exit - c->t0) / 1000000) == -1 ||
	    (c->timed_out && kr_buf_adds(&meta, ",\"timedOut\":true") == -1) ||
	    (exec_errno != 0 && (kr_buf_adds(&meta, ",\"error\":\"") == -1 ||
	    kr_json_escape_utf8(&meta, strerror(exec_errno),
	    strlen(strerror(exec_errno))) == -1 ||
	    kr_buf_addc(&meta, '"') == -1)) ||
	    kr_buf_addc(&meta, '}') == -1 || msg.s == NULL)
		rec_fail();
	emit_agent(c, code == 0 ? "INFO" : "ERROR", msg.s, msg.len, &meta);
	kr_buf_free(&msg);
	kr_buf_free(&meta);
	return code;
}

/*
 * A raw pseudo-terminal: 0, or -1 with a warning when the system has none
 * to give (a container without /dev/pts), and the caller uses a pipe.
 */
static int
open_pty(int *master, int *slave)
{
	struct termios t;
	struct winsize ws = { 24, 80, 0, 0 };
	char name[128];

	*slave = -1;
	if ((*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(*master) == -1 || unlockpt(*master) == -1 ||
	    ptsname_r(*master, name, sizeof name) != 0 ||
	    (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		kr_warnsys("unable to open a pseudo-terminal; the command's "
		    "stdout is a pipe");
		if (*master != -1)
			close(*master);
		return -1;
	}
	/* Raw: bytes reach us as written, "\n" not turned into "\r\n". */
	if (tcgetattr(*slave, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(*slave, TCSANOW, &t);
	}
	(void)ioctl(*slave, TIOCSWINSZ, &ws);
	return 0;
}

/* Makes sure fds 0, 1 and 2 are open, so pipes never land on them. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* In the child, between fork and exec. */
static void KR_NORETURN
child(const struct opts *o, const sigset_t *mask, int out_w, int err_w,
    int errfd, int tty_fg)
{
	struct sigaction sa;
	size_t i;
	int e, fd;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof caught / sizeof caught[0]; i++)
		sigaction(caught[i], &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	(void)setpgid(0, 0);
	/* The command reads the terminal: its group must be in front. */
	if (tty_fg)
		give_tty(getpid());
	if (o->no_stdin) {
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1)
			goto fail;
		if (fd != 0)
			close(fd);
	}
	if (dup2(out_w, 1) == -1 || dup2(err_w, 2) == -1)
		goto fail;
	execvp(o->argv[0], o->argv);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof e);
	_exit(e == ENOENT ? 127 : 126);
}

static void
setup_signals(sigset_t *old, int stops)
{
	struct sigaction sa;
	sigset_t all;
	size_t i;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		kr_diesys(KR_EX_TEMP, "unable to create a pipe");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = stops ? 0 : SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof caught / sizeof caught[0]; i++)
		sigaction(caught[i], &sa, NULL);
	/* Blocked until the child has reset its handlers. */
	sigemptyset(&all);
	for (i = 0; i < sizeof caught / sizeof caught[0]; i++)
		sigaddset(&all, caught[i]);
	sigprocmask(SIG_BLOCK, &all, old);
}

/* Starts the command; 0, or the errno of a failed exec. */
static int
spawn(struct cap *c)
{
	const struct opts *o = c->o;
	int outp[2], errp[2], ep[2], e = 0;
	sigset_t old;
	ssize_t r;

	c->tty_fg = !o->no_stdin && isatty(0) && tcgetpgrp(0) == getpgrp();
	setup_signals(&old, c->tty_fg);
	if ((!o->pty || open_pty(&outp[0], &outp[1]) == -1) &&
	    pipe2(outp, O_CLOEXEC) == -1)
		kr_diesys(KR_EX_TEMP, "unable to create a pipe");
	if (pipe2(errp, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1)
		kr_diesys(KR_EX_TEMP, "unable to create a pipe");
	kr_pipe_grow(outp[0]);	/* a pty is left alone */
	kr_pipe_grow(errp[0]);
	c->t0 = mono_ns();
	if ((c->pid = fork()) == -1)
		kr_diesys(KR_EX_TEMP, "unable to fork");
	if (c->pid == 0)
		child(o, &old, outp[1], errp[1], ep[1], c->tty_fg);
	(void)setpgid(c->pid, c->pid);
	if (c->tty_fg)
		give_tty(c->pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(outp[1]);
	close(errp[1]);
	close(ep[1]);
	do
		r = read(ep[0], &e, sizeof e);
	while (r == -1 && errno == EINTR);
	close(ep[0]);
	if (r != (ssize_t)sizeof e)
		e = 0;
	c->src[0].fd = outp[0];
	c->src[1].fd = errp[0];
	if (kr_set_nonblock(outp[0], 1) == -1 ||
	    kr_set_nonblock(errp[0], 1) == -1)
		kr_diesys(KR_EX_TEMP, "unable to set up the command's output");
	return e;
}

/* --timeout and --kill-after. */
static void
timers(struct cap *c)
{
	long long now = mono_ns();

	if (!c->reaped && c->timeout_at != 0 && now >= c->timeout_at) {
		kr_warn("the command ran for %lld ms, sending TERM",
		    c->o->timeout_ms);
		c->timed_out = 1;
		c->timeout_at = 0;
		send_group(c, SIGTERM);
		arm_kill(c);
	}
	if (!c->reaped && c->kill_at != 0 && now >= c->kill_at) {
		kr_warn("the command is still running, sending KILL");
		c->kill_at = 0;
		send_group(c, SIGKILL);
	}
}

static int
min_timeout(long long now, long long at, int cur)
{
	long long ms;

	if (at == 0)
		return cur;
	ms = at <= now ? 0 : (at - now + 999999) / 1000000;
	if (ms > 60000)
		ms = 60000;
	return cur == -1 || ms < cur ? (int)ms : cur;
}

/*
 * After the command exited, its output is read until it closes, or is
 * quiet for a while, or for a while at most: 1 when that is over. Sets
 * *drain_at to when it will be (0 while the command runs).
 */
static int
drained(struct cap *c, long long now, long long *drain_at)
{
	long long last = c->t_exit, quiet_at;
	int i;

	*drain_at = 0;
	if (!c->reaped)
		return 0;
	if (c->src[0].fd == -1 && c->src[1].fd == -1)
		return 1;
	for (i = 0; i < 2; i++)
		if (c->src[i].last_ns > last)
			last = c->src[i].last_ns;
	quiet_at = last + DRAIN_QUIET_NS;
	*drain_at = c->t_exit + DRAIN_MAX_NS;
	if (quiet_at < *drain_at)
		*drain_at = quiet_at;
	if (now < *drain_at)
		return 0;
	kr_info("output still open after the command exited; not waiting "
	    "for it");
	return 1;
}

/* 1 when fd has bytes to read now. */
static int
readable(int fd)
{
	struct pollfd q = { fd, POLLIN, 0 };

	return poll(&q, 1, 0) == 1 && (q.revents & POLLIN);
}

static void
run_loop(struct cap *c)
{
	const struct opts *o = c->o;
	struct pollfd p[4];
	long long now, idle_at, drain_at;
	nfds_t np;
	int tmo, i, ix[2];

	c->timeout_at = o->timeout_ms > 0 ?
	    c->t0 + o->timeout_ms * 1000000LL : 0;
	for (;;) {
		now = mono_ns();
		for (i = 0; i < 2; i++) {
			struct src *s = &c->src[i];

			if (s->fd == -1 || s->pend.len == 0 || o->idle_ms == 0 ||
			    now < s->last_ns + o->idle_ms * 1000000LL)
				continue;
			/* Not read while the reader lagged: what follows may
			 * be waiting in the pipe, and then it was not quiet. */
			if (readable(s->fd))
				s->last_ns = now;
			else
				flush_partial(c, s);
		}
		timers(c);
		if (drained(c, now, &drain_at))
			break;
		flush_out(c, 0);

		np = 0;
		p[np].fd = sig_pipe[0];
		p[np++].events = POLLIN;
		ix[0] = ix[1] = -1;
		for (i = 0; i < 2; i++) {
			if (c->src[i].fd == -1 ||
			    c->out.len - c->out_off > OUT_HIGH)
				continue;
			ix[i] = (int)np;
			p[np].fd = c->src[i].fd;
			p[np++].events = POLLIN;
		}
		if (c->out.len > c->out_off) {
			p[np].fd = 1;
			p[np++].events = POLLOUT;
		}
		tmo = -1;
		tmo = min_timeout(now, c->timeout_at, tmo);
		tmo = min_timeout(now, c->kill_at, tmo);
		tmo = min_timeout(now, drain_at, tmo);
		for (i = 0; i < 2; i++) {
			struct src *s = &c->src[i];

			if (s->fd != -1 && s->pend.len > 0 && o->idle_ms > 0) {
				idle_at = s->last_ns + o->idle_ms * 1000000LL;
				tmo = min_timeout(now, idle_at, tmo);
			}
		}
		if (poll(p, np, tmo) == -1) {
			if (errno == EINTR)
				continue;
			kr_diesys(KR_EX_TEMP, "poll");
		}
		if (p[0].revents & POLLIN)
			handle_signals(c);
		for (i = 0; i < 2; i++)
			if (ix[i] != -1 && c->src[i].fd != -1 &&
			    (p[ix[i]].revents & (POLLIN | POLLHUP | POLLERR)))
				src_read(c, &c->src[i]);
	}
}

#define TOOL (&kr_tool_capture)

static void
parse_level(const char *s, int *l)
{
	if ((*l = kr_level_parse(s, strlen(s))) < 0) {
		kr_warn("unknown level '%s'", s);
		kr_set_usage(TOOL);
	}
}

static void
parse_duration(const char *s, long long *ms)
{
	if (kr_parse_duration_ms(s, ms) == -1 || *ms < 0) {
		kr_warn("bad duration '%s'", s);
		kr_set_usage(TOOL);
	}
}

/* An id of the command line or the environment, checked. */
static void
check_id(const char *id, const char *what)
{
	size_t n;

	if (id == NULL || kr_id_valid(id, strlen(id)))
		return;
	/* Cut after 64 bytes (kr_warn shows control bytes as '?'). */
	if ((n = strlen(id)) > 64)
		n = cut_at(id, 64);
	kr_warn("bad %s '%.*s%s' (%s)", what, (int)n, id,
	    id[n] != '\0' ? "..." : "", KR_ID_RULE);
	kr_set_usage(TOOL);
}

static void
parse_opts(int argc, char *argv[], struct opts *o)
{
	int ch;

	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		switch (ch) {
		case KR_O_EXIT_FILE:
			o->exit_file = optarg;
			break;
		case KR_O_IDLE_FLUSH:
			parse_duration(optarg, &o->idle_ms);
			break;
		case KR_O_KILL_AFTER:
			parse_duration(optarg, &o->kill_after_ms);
			break;
		case KR_O_MAX_LINE:
			if (kr_parse_size(optarg, 16, MAX_LINE_MAX,
			    &o->max_line) == -1) {
				kr_warn("bad --max-line '%s' (16 to 2MiB)",
				    optarg);
				kr_set_usage(TOOL);
			}
			break;
		case KR_O_NO_STDIN:
			o->no_stdin = 1;
			break;
		case KR_O_PTY:
			o->pty = 1;
			break;
		case 'r':
			o->run_id = optarg;
			break;
		case KR_O_STDERR_LEVEL:
			parse_level(optarg, &o->err_level);
			break;
		case KR_O_STDOUT_LEVEL:
			parse_level(optarg, &o->out_level);
			break;
		case 't':
			o->task_id = optarg;
			break;
		case KR_O_TIMEOUT:
			parse_duration(optarg, &o->timeout_ms);
			break;
		}
	}
	if (optind >= argc) {
		kr_warn("no command given");
		kr_set_usage(TOOL);
	}
	o->argv = argv + optind;
	if (o->task_id == NULL) {
		o->task_id = getenv("KERUTA_TASK_ID");
		if (o->task_id != NULL && *o->task_id == '\0')
			o->task_id = NULL;
	}
	check_id(o->task_id, "task id");
	check_id(o->run_id, "run id");
}

/*
 * The exit status, as a line, in a file that exists only once the exit
 * record has been handed to the next stage: a reader that finds no file
 * knows that the run has no exit record.
 */
static void
write_exit_file(const char *path, int code)
{
	char b[16];
	int fd, n;

	n = snprintf(b, sizeof b, "%d\n", code);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1) {
		kr_warnsys("unable to create '%s'", path);
		return;
	}
	if (kr_writeall(fd, b, (size_t)n) == -1)
		kr_warnsys("unable to write '%s'", path);
	if (close(fd) == -1)
		kr_warnsys("unable to write '%s'", path);
}

static void
src_init(struct src *s, const char *name, int level, size_t max_line)
{
	int l;

	memset(s, 0, sizeof *s);
	s->name = name;
	s->fd = -1;
	s->level = level;
	s->line = 1;
	kr_buf_init(&s->pend, max_line + CHUNK);
	for (l = 0; l < KR_NLEVELS; l++)
		kr_buf_init(&s->head[l], 4096);
}

/* The state of a run before the command starts; stdout non-blocking. */
static void
cap_init(struct cap *c, const struct opts *o)
{
	struct stat st;

	memset(c, 0, sizeof *c);
	c->o = o;
	c->out_fl = -1;
	c->out_retry = OUT_SOFT;
	src_init(&c->src[0], "stdout", o->out_level, o->max_line);
	src_init(&c->src[1], "stderr", o->err_level, o->max_line);
	kr_buf_init(&c->out, 64u << 20);
	kr_buf_init(&c->ids, 4096);
	if (kr_buf_reserve(&c->out, OUT_SOFT + 4096) == -1)
		kr_diesys(KR_EX_TEMP, "unable to allocate");
	if ((c->chunk = malloc(CHUNK)) == NULL)
		kr_diesys(KR_EX_TEMP, "unable to allocate");
	/* A pipe to the next stage: never block on it, keep reading. */
	if (fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode)) && (c->out_fl = fcntl(1, F_GETFL)) != -1 &&
	    fcntl(1, F_SETFL, c->out_fl | O_NONBLOCK) == -1)
		c->out_fl = -1;
}

/*
 * After the run (or a command that could not start, e): the last lines,
 * the exit record, the exit file; everything freed. The exit code.
 */
static int
cap_finish(struct cap *c, int e)
{
	const struct opts *o = c->o;
	int code, i, l;

	for (i = 0; i < 2; i++)
		src_close(c, &c->src[i]);
	if (!c->reaped) {
		/* Output still open: wait for the command itself. */
		while (waitpid(c->pid, &c->status, 0) == -1 && errno == EINTR)
			;
		c->t_exit = mono_ns();
	}
	if (c->tty_fg)
		give_tty(getpgrp());
	code = emit_exit(c, e);
	flush_out(c, 1);
	if (o->exit_file != NULL && !c->out_dead)
		write_exit_file(o->exit_file, code);
	if (c->out_fl != -1)
		(void)fcntl(1, F_SETFL, c->out_fl);
	for (i = 0; i < 2; i++) {
		kr_buf_free(&c->src[i].pend);
		for (l = 0; l < KR_NLEVELS; l++)
			kr_buf_free(&c->src[i].head[l]);
	}
	kr_buf_free(&c->ids);
	kr_buf_free(&c->out);
	free(c->chunk);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	return code;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .out_level = KR_INFO, .err_level = KR_ERROR,
	    .idle_ms = 100, .kill_after_ms = 10000, .max_line = 64u << 10 };
	struct cap c;
	char run_id[17];
	int e, code, st;

	kr_diag_init("keruta-capture");
	parse_opts(argc, argv, &o);
	if (o.run_id == NULL) {
		kr_random_hex(run_id, 8);
		o.run_id = run_id;
	}
	std_fds();
	kr_ignore_sigpipe();
	/* A file left by an earlier run must not vouch for this one. */
	if (o.exit_file != NULL && unlink(o.exit_file) == -1 &&
	    errno != ENOENT)
		kr_diesys(KR_EX_USAGE, "unable to remove '%s'", o.exit_file);
	cap_init(&c, &o);
	e = spawn(&c);
	emit_start(&c);
	if (e == 0) {
		run_loop(&c);
	} else {
		while (waitpid(c.pid, &st, 0) == -1 && errno == EINTR)
			;
		c.reaped = 1;
		c.t_exit = mono_ns();
	}
	code = cap_finish(&c, e);
	if (e == ENOENT)
		kr_die(code, "'%s': command not found", o.argv[0]);
	if (e != 0) {
		errno = e;
		kr_diesys(code, "unable to execute '%s'", o.argv[0]);
	}
	return code;
}
