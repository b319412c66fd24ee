/*
 * lexfix.c: mends the requests libwebsockets 4.1 would misread (lexfix.h).
 *
 * Each watched connection is followed through its requests as HTTP/1.1
 * frames them: the request line, header lines up to an empty one, then
 * Content-Length bytes of body. A header name is matched, as it comes,
 * against the library's own names (lws_token_to_string); at its colon, a
 * name that is a proper prefix of one of them, and not itself one, gets
 * '~' for its last character. A request that upgrades, or whose framing
 * is not plain (Transfer-Encoding, a Content-Length that is not digits
 * or disagrees with another), ends the following: keruta-serve answers
 * those with a 400 and closes, and a WebSocket is not HTTP.
 *
 * The last character of a name may be the last byte read: it is kept
 * back until the next read shows whether a colon follows.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libwebsockets.h>

#include "kr_diag.h"
#include "lexfix.h"

#define NAME_MAX_LEN	64	/* longer than any name the library knows */
#define CLEN_MAX	(1ULL << 50)

enum { S_REQ, S_LINE, S_EOL, S_NAME, S_VALUE, S_BODY, S_PASS };
enum { H_OTHER, H_CLEN, H_TE, H_UPGRADE };

struct lexfix {
	int st;
	int req_seen;		/* the request line has some text */
	char name[NAME_MAX_LEN];
	size_t nname;		/* > NAME_MAX_LEN: too long to matter */
	long last;		/* the name's last byte in buf, or -1 */
	int hdr;		/* H_*: the header whose value is read */
	unsigned long long v;	/* its value, as digits so far */
	int vdigits;		/* digits seen */
	int vbad;		/* 1: not plain digits; 2: blank after them */
	unsigned long long clen;
	int has_clen, upgrade, bad;
	unsigned long long body;	/* body bytes still to come */
	int held;		/* a byte kept back (its value in hbyte) */
	char hbyte;
};

/* The library's names, lower case, with their ':' or ' '. */
static const char **names;	/* the library's own strings */
static size_t nnames;
static int off;		/* KERUTA_SERVE_LEXFIX=0: the library reads alone */
static pthread_t owner;	/* the service thread: only its reads are mended */

void
lexfix_init(void)
{
	const char *e = getenv("KERUTA_SERVE_LEXFIX");
	int i;

	off = e != NULL && strcmp(e, "0") == 0;
	owner = pthread_self();
	if (names != NULL)
		return;
	if ((names = calloc(WSI_TOKEN_COUNT, sizeof *names)) == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	for (i = 0; i < WSI_TOKEN_COUNT; i++) {
		const char *t = (const char *)lws_token_to_string(
		    (enum lws_token_indexes)i);

		if (t != NULL && *t != '\0')
			names[nnames++] = t;
	}
}

/*
 * 1 when the lexer would go wrong at the colon after name: it is a
 * proper prefix of a name the library knows, and not one followed by
 * ':'.
 */
static int
misread(const char *name, size_t n)
{
	size_t i;
	int prefix = 0;

	if (n == 0 || n >= NAME_MAX_LEN)
		return 0;
	for (i = 0; i < nnames; i++) {
		size_t k = strlen(names[i]);

		if (k <= n || memcmp(names[i], name, n) != 0)
			continue;
		if (names[i][n] == ':' && k == n + 1)
			return 0;	/* the name itself */
		prefix = 1;
	}
	return prefix;
}

struct lexfix *
lexfix_new(void)
{
	struct lexfix *lf = calloc(1, sizeof *lf);

	if (lf != NULL)
		lf->last = -1;
	return lf;
}

void
lexfix_free(struct lexfix *lf)
{
	free(lf);
}

int
lexfix_done(const struct lexfix *lf)
{
	return lf->st == S_PASS;
}

/* A header line's value is complete. */
static void
value_end(struct lexfix *lf)
{
	switch (lf->hdr) {
	case H_CLEN:
		if (lf->vbad == 1 || lf->vdigits == 0 ||
		    (lf->has_clen && lf->clen != lf->v))
			lf->bad = 1;
		lf->clen = lf->v;
		lf->has_clen = 1;
		break;
	case H_TE:
		lf->bad = 1;
		break;
	case H_UPGRADE:
		lf->upgrade = 1;
		break;
	}
}

/* The empty line: the headers are complete. */
static void
headers_end(struct lexfix *lf)
{
	if (lf->upgrade || lf->bad) {
		lf->st = S_PASS;
		return;
	}
	lf->body = lf->has_clen ? lf->clen : 0;
	lf->st = lf->body > 0 ? S_BODY : S_REQ;
	lf->req_seen = 0;
}

static void
request_start(struct lexfix *lf)
{
	lf->has_clen = lf->upgrade = lf->bad = 0;
	lf->clen = 0;
	lf->st = S_LINE;
}

/* At a colon: which header this is, and the name mended if it must be. */
static void
name_end(struct lexfix *lf, char *buf)
{
	static const struct {
		const char *name;
		int hdr;
	} known[] = {
		{ "content-length", H_CLEN },
		{ "transfer-encoding", H_TE },
		{ "upgrade", H_UPGRADE },
	};
	size_t i;

	lf->hdr = H_OTHER;
	if (lf->nname < NAME_MAX_LEN) {
		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i].name) == lf->nname &&
			    memcmp(known[i].name, lf->name, lf->nname) == 0)
				lf->hdr = known[i].hdr;
		if (lf->last >= 0 && misread(lf->name, lf->nname))
			buf[lf->last] = '~';
	}
	lf->v = 0;
	lf->vdigits = lf->vbad = 0;
	lf->st = S_VALUE;
}

/* Follows buf[from..n), mending it; what may be handed on (n or n - 1). */
static size_t
scan(struct lexfix *lf, char *buf, size_t from, size_t n)
{
	size_t i;

	for (i = from; i < n && lf->st != S_PASS; i++) {
		unsigned char c = (unsigned char)buf[i];

		switch (lf->st) {
		case S_BODY:
			if (lf->body > n - i) {
				lf->body -= n - i;
				return n;
			}
			i += lf->body - 1;
			lf->body = 0;
			lf->st = S_REQ;
			lf->req_seen = 0;
			break;
		case S_REQ:
			if (c == '\n') {
				if (lf->req_seen)
					request_start(lf);
			} else if (c != '\r')
				lf->req_seen = 1;
			break;
		case S_LINE:
			if (c == '\r')
				lf->st = S_EOL;
			else if (c == '\n')
				headers_end(lf);
			else if (c == ' ' || c == '\t' || c == ':')
				lf->st = S_VALUE;	/* folded, or no name */
			else {
				lf->st = S_NAME;
				lf->nname = 0;
				goto name;
			}
			lf->hdr = H_OTHER;
			break;
		case S_EOL:
			if (c == '\n')
				headers_end(lf);
			else
				lf->st = S_PASS;
			break;
		case S_NAME:
		name:
			if (c == ':') {
				name_end(lf, buf);
				break;
			}
			if (c == '\n') {
				/* No colon: no header; the library's concern. */
				lf->st = S_LINE;
				break;
			}
			if (lf->nname < NAME_MAX_LEN)
				lf->name[lf->nname] = (char)(c >= 'A' &&
				    c <= 'Z' ? c + ('a' - 'A') : c);
			lf->nname++;
			lf->last = (long)i;
			break;
		case S_VALUE:
			if (c == '\n') {
				value_end(lf);
				lf->st = S_LINE;
			} else if (c >= '0' && c <= '9') {
				if (lf->vdigits > 0 && lf->vbad == 2)
					lf->vbad = 1;	/* "1 2" */
				lf->v = lf->v * 10 + (c - '0');
				if (lf->v > CLEN_MAX)
					lf->vbad = 1;
				lf->vdigits++;
			} else if (c == ' ' || c == '\t' || c == '\r') {
				if (lf->vdigits > 0 && !lf->vbad)
					lf->vbad = 2;	/* digits ended */
			} else
				lf->vbad = 1;
			break;
		}
	}
	if (lf->st == S_NAME && n > from && lf->last == (long)n - 1) {
		/* The name may go on, or its colon come next. */
		lf->held = 1;
		lf->hbyte = buf[n - 1];
		return n - 1;
	}
	lf->last = -1;
	return n;
}

ssize_t
lexfix_read(struct lexfix *lf, char *buf, size_t len,
    ssize_t (*rd)(void *arg, char *buf, size_t len), void *arg,
    int can_wait)
{
	size_t k = 0, out;
	ssize_t r;

	if (len == 0 || lf->st == S_PASS)
		return rd(arg, buf, len);
	if (lf->held) {
		buf[0] = lf->hbyte;
		lf->held = 0;
		lf->last = 0;
		k = 1;
	}
	r = rd(arg, buf + k, len - k);
	if (r <= 0) {
		if (k == 0)
			return r;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    can_wait) {
			lf->held = 1;	/* still waiting for what follows */
			return -1;
		}
		/* What was kept goes, unmended; at the end, nothing more
		 * is followed. */
		lf->last = -1;
		if (r == 0)
			lf->st = S_PASS;
		return 1;
	}
	out = scan(lf, buf, k, k + (size_t)r);
	if (out == 0 && !can_wait) {
		lf->held = 0;
		lf->last = -1;
		return 1;
	}
	if (out == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)out;
}

/*
 * The connections watched, by descriptor, each with the identity of its
 * socket: a descriptor closed and opened again for something else (a
 * database connection) is not mended.
 */
struct watched {
	struct lexfix *lf;
	dev_t dev;
	ino_t ino;
};

static struct watched *fds;
static size_t nfds;

void
lexfix_watch(int fd)
{
	struct stat st;

	if (off || fd < 0 || fstat(fd, &st) == -1)
		return;
	if ((size_t)fd >= nfds) {
		size_t n = (size_t)fd * 2 + 64;
		struct watched *w = realloc(fds, n * sizeof *w);

		if (w == NULL)
			return;	/* unmended, as the library reads it */
		memset(w + nfds, 0, (n - nfds) * sizeof *w);
		fds = w;
		nfds = n;
	}
	lexfix_free(fds[fd].lf);
	fds[fd].lf = lexfix_new();
	fds[fd].dev = st.st_dev;
	fds[fd].ino = st.st_ino;
}

/*
 * The connection on fd, if it is one watched and still in HTTP. The table
 * is the service thread's; a read on another thread is not looked at.
 */
static struct lexfix *
watched(int fd)
{
	struct watched *w;
	struct stat st;

	if (names == NULL || !pthread_equal(pthread_self(), owner) ||
	    fd < 0 || (size_t)fd >= nfds || fds[fd].lf == NULL)
		return NULL;
	w = &fds[fd];
	if (lexfix_done(w->lf) || fstat(fd, &st) == -1 ||
	    st.st_dev != w->dev || st.st_ino != w->ino) {
		lexfix_free(w->lf);
		w->lf = NULL;
		return NULL;
	}
	return w->lf;
}

/* The reads the library makes, through the ones they stand for. */

typedef ssize_t (*recv_fn)(int, void *, size_t, int);

struct recv_arg {
	recv_fn fn;
	int fd;
};

static ssize_t
recv_rd(void *arg, char *buf, size_t len)
{
	struct recv_arg *a = arg;

	return a->fn(a->fd, buf, len, 0);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	static recv_fn next;
	struct recv_arg a;
	struct lexfix *lf;

	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "recv");
	if (flags != 0 || (lf = watched(fd)) == NULL)
		return next(fd, buf, len, flags);
	a.fn = next;
	a.fd = fd;
	return lexfix_read(lf, buf, len, recv_rd, &a, 1);
}

/* OpenSSL's, declared here: keruta-serve does not link it itself. */
typedef struct ssl_st SSL;
typedef int (*ssl_read_fn)(SSL *, void *, int);
typedef int (*ssl_get_fd_fn)(const SSL *);
int SSL_read(SSL *ssl, void *buf, int num);

struct ssl_arg {
	ssl_read_fn fn;
	SSL *ssl;
	int r;		/* what the real call returned, when not > 0 */
};

static ssize_t
ssl_rd(void *arg, char *buf, size_t len)
{
	struct ssl_arg *a = arg;

	a->r = a->fn(a->ssl, buf, (int)len);
	return a->r;
}

int
SSL_read(SSL *ssl, void *buf, int num)
{
	static ssl_read_fn next;
	static ssl_get_fd_fn get_fd;
	struct ssl_arg a;
	struct lexfix *lf;
	ssize_t r;

	if (next == NULL) {
		*(void **)&next = dlsym(RTLD_NEXT, "SSL_read");
		*(void **)&get_fd = dlsym(RTLD_NEXT, "SSL_get_fd");
	}
	if (num <= 0 || get_fd == NULL ||
	    (lf = watched(get_fd(ssl))) == NULL)
		return next(ssl, buf, num);
	a.fn = next;
	a.ssl = ssl;
	a.r = 1;
	r = lexfix_read(lf, buf, (size_t)num, ssl_rd, &a, 0);
	/* Not > 0: what the real call said, for SSL_get_error. */
	return r > 0 ? (int)r : a.r;
}
