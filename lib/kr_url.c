/* kr_url: server URLs, checked, joined to a task, masked for messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kr_url.h"

static const char *const secret_words[] = { "token", "key", "secret",
	"pass", "pwd", "auth", "cred", "sig", "session", "jwt", NULL };

static int
scheme(const char *url, struct kr_url *u)
{
	static const struct { const char *s; int ws, tls, port; } t[] = {
		{ "ws://", 1, 0, 80 }, { "wss://", 1, 1, 443 },
		{ "http://", 0, 0, 80 }, { "https://", 0, 1, 443 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strncasecmp(url, t[i].s, strlen(t[i].s)) == 0) {
			u->ws = t[i].ws;
			u->tls = t[i].tls;
			u->port = t[i].port;
			return (int)strlen(t[i].s);
		}
	return -1;
}

static int
host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* host[:port] or [v6][:port], n bytes at p. */
static int
host_port(const char *p, size_t n, struct kr_url *u, const char **why)
{
	const char *h = p, *e = p + n, *c;
	size_t hl;
	long port;

	if (n > 0 && *p == '[') {
		if ((c = memchr(p, ']', n)) == NULL) {
			*why = "an IPv6 address without its ']'";
			return -1;
		}
		h = p + 1;
		hl = (size_t)(c - h);
		for (p = h; p < c; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.') {
				*why = "a bad IPv6 address";
				return -1;
			}
		c++;
	} else {
		for (c = p; c < e && *c != ':'; c++)
			if (!host_char(*c)) {
				*why = "a bad character in the host";
				return -1;
			}
		hl = (size_t)(c - h);
	}
	if (hl == 0) {
		*why = "no host";
		return -1;
	}
	if (hl > KR_URL_HOST_MAX) {
		*why = "a host name too long";
		return -1;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (c == e)
		return 0;
	if (*c != ':' || ++c == e) {
		*why = "a bad port";
		return -1;
	}
	for (port = 0; c < e; c++) {
		if (!isdigit((unsigned char)*c) || (port = port * 10 +
		    (*c - '0')) > 65535) {
			*why = "a bad port";
			return -1;
		}
	}
	if (port == 0) {
		*why = "a bad port";
		return -1;
	}
	u->port = (int)port;
	return 0;
}

int
kr_url_parse(const char *url, struct kr_url *u, const char **why)
{
	const char *p, *a, *at;
	size_t n;
	int k;

	memset(u, 0, sizeof *u);
	if ((k = scheme(url, u)) == -1) {
		*why = "not ws://, wss://, http:// or https://";
		return -1;
	}
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*why = "a space, control or non-ASCII character";
			return -1;
		}
	if (strchr(url, '#') != NULL) {
		*why = "a fragment ('#')";
		return -1;
	}
	a = url + k;
	n = strcspn(a, "/?");
	/* The last '@' ends a userinfo: a password may hold '@' unescaped. */
	for (at = NULL, p = a; p < a + n; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		u->user = a;
		u->userlen = (size_t)(at - a);
		n -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	if (host_port(a, n, u, why) == -1)
		return -1;
	p = a + n;
	if (*p == '/') {
		u->path = p;
		u->pathlen = strcspn(p, "?");
		p += u->pathlen;
	}
	if (*p == '?')
		u->query = p + 1;
	return 0;
}

static int
ends_with(const char *p, size_t n, const char *tail)
{
	size_t k = strlen(tail);

	return n >= k && memcmp(p + n - k, tail, k) == 0;
}

int
kr_url_task(struct kr_buf *out, const char *url, enum kr_url_kind kind,
    const char *task, const char **why)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *family = kind == KR_URL_WS ? "/ws/tasks" : "/api/v1";
	struct kr_url u;
	const char *t;
	size_t pl, base;

	if (kr_url_parse(url, &u, why) == -1)
		return -1;
	base = u.path != NULL ? (size_t)(u.path - url) :
	    u.query != NULL ? (size_t)(u.query - 1 - url) : strlen(url);
	pl = u.pathlen;
	while (pl > 0 && u.path[pl - 1] == '/')
		pl--;
	*why = "too long";
	if (kr_buf_add(out, url, base) == -1 ||
	    (pl > 0 && kr_buf_add(out, u.path, pl) == -1) ||
	    (!ends_with(u.path ? u.path : "", pl, family) &&
	    kr_buf_adds(out, family) == -1) ||
	    kr_buf_adds(out, kind == KR_URL_WS ? "/" : "/tasks/") == -1)
		return -1;
	for (t = task; *t; t++) {
		unsigned char c = (unsigned char)*t;

		if (isalnum(c) || strchr("-._~:@", c) != NULL) {
			if (kr_buf_addc(out, (char)c) == -1)
				return -1;
		} else if (kr_buf_addc(out, '%') == -1 ||
		    kr_buf_addc(out, hex[c >> 4]) == -1 ||
		    kr_buf_addc(out, hex[c & 15]) == -1) {
			return -1;
		}
	}
	if ((kind == KR_URL_REST && kr_buf_adds(out, "/logs") == -1) ||
	    (u.query != NULL && (kr_buf_addc(out, '?') == -1 ||
	    kr_buf_adds(out, u.query) == -1)))
		return -1;
	return 0;
}

static int
secret_name(const char *p, size_t n)
{
	size_t i, k, w;

	for (w = 0; secret_words[w] != NULL; w++) {
		k = strlen(secret_words[w]);
		for (i = 0; i + k <= n; i++)
			if (strncasecmp(p + i, secret_words[w], k) == 0)
				return 1;
	}
	return 0;
}

int
kr_url_mask(struct kr_buf *out, const char *url)
{
	const char *a, *p, *q, *at = NULL, *e, *end;
	size_t n, nl;

	end = url + strcspn(url, "#");
	a = strstr(url, "://");
	a = a != NULL && a < end ? a + 3 : url;
	n = strcspn(a, "/?#");
	for (p = a; p < a + n; p++)
		if (*p == '@')
			at = p;
	if (kr_buf_add(out, url, (size_t)(a - url)) == -1 ||
	    (at != NULL && kr_buf_adds(out, "***") == -1))
		return -1;
	p = at != NULL ? at : a;
	q = memchr(p, '?', (size_t)(end - p));
	if (kr_buf_add(out, p, (size_t)((q != NULL ? q : end) - p)) == -1)
		return -1;
	/* Each parameter: name[=value], up to '&' or ';'. */
	for (p = q; p != NULL && p < end; p = e) {
		if (kr_buf_addc(out, *p++) == -1)
			return -1;
		for (e = p; e < end && *e != '&' && *e != ';'; e++)
			;
		for (nl = 0; p + nl < e && p[nl] != '='; nl++)
			;
		if (p + nl < e && secret_name(p, nl)) {
			if (kr_buf_add(out, p, nl + 1) == -1 ||
			    kr_buf_adds(out, "***") == -1)
				return -1;
		} else if (kr_buf_add(out, p, (size_t)(e - p)) == -1) {
			return -1;
		}
	}
	/* A fragment is never sent; what it holds is not shown either. */
	return *end == '#' ? kr_buf_adds(out, "#***") : 0;
}

char **
kr_url_split(const char *list, size_t *n)
{
	const char *p, *e, *k;
	char **v;
	size_t i, m;

	for (m = 1, p = list; (p = strchr(p, ',')) != NULL; p++)
		m++;
	if ((v = calloc(m, sizeof *v)) == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0, p = list; i < m; i++, p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		for (k = e; k > p && (k[-1] == ' ' || k[-1] == '\t'); k--)
			;
		p += strspn(p, " \t");
		if (p >= k || (v[i] = strndup(p, (size_t)(k - p))) == NULL) {
			*n = p >= k ? i + 1 : 0;
			while (i > 0)
				free(v[--i]);
			free(v);
			return NULL;
		}
	}
	*n = m;
	return v;
}
