/*
 * keruta-filter: the rule registry, literal values to mask (secret
 * environment variables, --mask-env, --mask-file) in their common
 * encodings, and the user's --rules patterns (POSIX ERE).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "filter.h"
#include "kr_diag.h"
#include "kr_forms.h"
#include "kr_io.h"
#include "kr_json.h"

extern char **environ;

/* Explicit values shorter than this would mask ordinary words. */
#define VALUE_MIN 4
/* Secret environment variables are taken from this length on. */
#define ENV_VALUE_MIN 6

void
redactor_init(struct redactor *r)
{
	size_t i;

	memset(r, 0, sizeof *r);
	kr_buf_init(&r->scratch, (size_t)1 << 30);
	kr_buf_init(&r->view, (size_t)1 << 30);
	for (i = 0; i < nbuiltin_rules; i++)
		if (redactor_rule(r, builtin_rules[i]) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
}

void
redactor_free(struct redactor *r)
{
	struct lit *l, *next;
	size_t i;

	for (i = 0; i < r->nnames; i++)
		free(r->names[i].name);
	free(r->names);
	for (i = 0; i < LIT_BUCKETS; i++)
		for (l = r->lits.bucket[i]; l != NULL; l = next) {
			next = l->next;
			sodium_memzero(l->s, l->len);
			free(l->s);
			free(l);
		}
	for (i = 0; i < r->nur; i++)
		regfree(&r->ur[i].re);
	free(r->ur);
	if (r->scratch.s != NULL)
		sodium_memzero(r->scratch.s, r->scratch.cap);
	kr_buf_free(&r->scratch);
	if (r->view.s != NULL)
		sodium_memzero(r->view.s, r->view.cap);
	kr_buf_free(&r->view);
	free(r->map);
}

int
redactor_rule(struct redactor *r, const char *name)
{
	struct rule_name *v;
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i].name, name) == 0)
			return (int)i;
	if (r->nnames == r->capnames) {
		size_t cap = r->capnames ? r->capnames * 2 : 64;

		if ((v = realloc(r->names, cap * sizeof *v)) == NULL)
			return -1;
		r->names = v;
		r->capnames = cap;
	}
	if ((r->names[r->nnames].name = strdup(name)) == NULL)
		return -1;
	r->names[r->nnames].count = 0;
	return (int)r->nnames++;
}

static unsigned
hash4(const unsigned char *p)
{
	unsigned h = (unsigned)p[0] | (unsigned)p[1] << 8 |
		     (unsigned)p[2] << 16 | (unsigned)p[3] << 24;

	return (h * 2654435761u) >> 22; /* LIT_BUCKETS == 1 << 10 */
}

static int
lit_add(struct litset *ls, const char *s, size_t n, int rule)
{
	const unsigned char *u = (const unsigned char *)s;
	struct lit *l, **b;
	unsigned two;

	if (n < VALUE_MIN)
		return 0;
	b = &ls->bucket[hash4(u)];
	for (l = *b; l != NULL; l = l->next)
		if (l->len == n && memcmp(l->s, s, n) == 0)
			return 0;
	if ((l = malloc(sizeof *l)) == NULL || (l->s = malloc(n)) == NULL) {
		free(l);
		return -1;
	}
	memcpy(l->s, s, n);
	l->len = n;
	l->rule = rule;
	l->next = *b;
	*b = l;
	two = (unsigned)u[0] << 8 | u[1];
	ls->first2[two >> 3] |= (unsigned char)(1u << (two & 7));
	if (ls->n == 0 || n < ls->minlen)
		ls->minlen = n;
	if (n > ls->maxlen)
		ls->maxlen = n;
	ls->n++;
	return 0;
}

struct lit_to {
	struct litset *ls;
	int rule;
};

static int
lit_form(void *arg, const char *s, size_t n)
{
	struct lit_to *t = arg;

	return lit_add(t->ls, s, n, t->rule);
}

int
redactor_add_value(struct redactor *r, const char *v, size_t n, int rule)
{
	struct lit_to t = { &r->lits, rule };

	if (n < VALUE_MIN) {
		errno = EINVAL;
		return -2;
	}
	return kr_forms(v, n, lit_form, &t) == 0 ? 0 : -1;
}

/*
 * Names that say "the value is a secret": a word anywhere, or a last
 * word (DB_PASS, MYSQL_PWD, NPM_AUTH, SENTRY_DSN, but not PWD, the
 * directory). Keys that are not secrets (CACHE_KEY, SORT_KEY,
 * PRIMARY_KEY) name none of these.
 */
static int
secret_name(const char *name, size_t n)
{
	static const char *const words[] = {"TOKEN", "SECRET", "PASSWORD",
	    "PASSWD", "PASSPHRASE", "API_KEY", "APIKEY", "PRIVATE_KEY",
	    "CREDENTIAL", "ACCESS_KEY", "DEPLOY_KEY", "SIGNING_KEY",
	    "SIGN_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "LICENSE_KEY",
	    "HMAC_KEY", "SSH_KEY", "GPG_KEY", "JWT_KEY", "SESSION_KEY",
	    "CONNECTION_STRING", "CONN_STR", "WEBHOOK", NULL};
	static const char *const last[] = {"PASS", "PWD", "AUTH", "DSN", NULL};
	char up[256];
	const char *w;
	size_t i;

	if (n >= sizeof up)
		n = sizeof up - 1;
	for (i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[n] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strstr(up, words[i]) != NULL)
			return 1;
	if ((w = strrchr(up, '_')) != NULL)
		w++;
	else if (strcmp(up, "PWD") != 0)
		w = up;
	else
		return 0;
	for (i = 0; last[i] != NULL; i++)
		if (strcmp(w, last[i]) == 0)
			return w != up || strcmp(up, "PWD") != 0;
	return 0;
}

static int
env_rule(struct redactor *r, const char *name, size_t n)
{
	char buf[300];

	snprintf(buf, sizeof buf, "env:%.*s", (int)(n < 256 ? n : 256), name);
	return redactor_rule(r, buf);
}

size_t
redactor_add_env(struct redactor *r)
{
	char **e;
	const char *eq;
	size_t k = 0;
	int rule;

	for (e = environ; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL ||
		    !secret_name(*e, (size_t)(eq - *e)) ||
		    strlen(eq + 1) < ENV_VALUE_MIN)
			continue;
		if ((rule = env_rule(r, *e, (size_t)(eq - *e))) == -1 ||
		    redactor_add_value(r, eq + 1, strlen(eq + 1), rule) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
		k++;
	}
	return k;
}

int
redactor_add_env_name(struct redactor *r, const char *name)
{
	const char *v = getenv(name);
	int rule, rc;

	if (v == NULL)
		return -1;
	if (strlen(v) < VALUE_MIN)
		return -2;
	if ((rule = env_rule(r, name, strlen(name))) == -1 ||
	    (rc = redactor_add_value(r, v, strlen(v), rule)) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	return rc;
}

/* Files of a mounted Secret that are not secret. */
static int
public_file(const char *name)
{
	return strcmp(name, "namespace") == 0 || strcmp(name, "ca.crt") == 0 ||
	       strcmp(name, "service-ca.crt") == 0;
}

static void
add_secret_file(struct redactor *r, const char *path, const char *name)
{
	char *buf, *p, *e, *nl, rname[300];
	size_t size, len, l;
	int rule;

	if ((buf = kr_read_file(path, 1u << 16, &size)) == NULL)
		return;
	snprintf(rname, sizeof rname, "secret-file:%.256s", name);
	if ((rule = redactor_rule(r, rname)) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	l = size;
	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		l--;
	if (l >= ENV_VALUE_MIN && redactor_add_value(r, buf, l, rule) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	/* A file of several lines is printed line by line too. */
	if (memchr(buf, '\n', l) != NULL)
		for (p = buf, e = buf + l; p < e; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
				nl = e;
			len = (size_t)(nl - p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (len >= 8 &&
			    redactor_add_value(r, p, len, rule) == -1)
				kr_die(KR_EX_TEMP, "out of memory");
		}
	sodium_memzero(buf, size);
	free(buf);
}

static int
add_dir(struct redactor *r, const char *dir, int depth, size_t *k)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[4096];

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		/* Kubernetes' ..data and ..<time> hold the same files. */
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir,
			de->d_name) >= sizeof path ||
		    stat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 4)
			(void)add_dir(r, path, depth + 1, k);
		else if (S_ISREG(st.st_mode) && !public_file(de->d_name)) {
			add_secret_file(r, path, de->d_name);
			++*k;
		}
	}
	closedir(d);
	return 0;
}

int
redactor_add_dir(struct redactor *r, const char *dir, size_t *k)
{
	*k = 0;
	return add_dir(r, dir, 0, k);
}

int
redactor_add_file(struct redactor *r, const char *path, size_t *lineno)
{
	char *buf, *p, *e, *nl;
	size_t len, l;
	int rule, rc = 0;

	*lineno = 0;
	if ((buf = kr_read_file(path, 16u << 20, &len)) == NULL)
		return -1;
	if ((rule = redactor_rule(r, "mask-file")) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	for (p = buf, e = buf + len; p < e && rc == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		++*lineno;
		l = (size_t)(nl - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0)
			continue;
		if ((rc = redactor_add_value(r, p, l, rule)) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
	}
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

int
redactor_load_rules(
    struct redactor *r, const char *path, char *err, size_t errlen)
{
	struct user_rule *v;
	char *buf, *p, *e, *nl, *name, *re, *end, msg[128];
	size_t len, lineno = 0;
	int rc, k;

	if ((buf = kr_read_file(path, 1u << 20, &len)) == NULL) {
		snprintf(err, errlen, "unable to read '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	for (p = buf, e = buf + len; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		*nl = '\0';
		lineno++;
		end = nl;
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		name = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		re = p;
		for (k = 0; name[k] != '\0'; k++)
			if (!isalnum((unsigned char)name[k]) &&
			    strchr("_.:-", name[k]) == NULL)
				break;
		if (name[k] != '\0' || k > 64 || *re == '\0') {
			snprintf(err, errlen,
			    "%s:%zu: expected a rule name "
			    "([A-Za-z0-9_.:-], at most 64) and a pattern",
			    path, lineno);
			goto fail;
		}
		if ((v = realloc(r->ur, (r->nur + 1) * sizeof *v)) == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		r->ur = v;
		v = &r->ur[r->nur];
		if ((rc = regcomp(&v->re, re, REG_EXTENDED)) != 0) {
			regerror(rc, &v->re, msg, sizeof msg);
			snprintf(err, errlen,
			    "%s:%zu: bad pattern for '%s': %s", path, lineno,
			    name, msg);
			goto fail;
		}
		v->group = v->re.re_nsub > 0;
		if ((v->rule = redactor_rule(r, name)) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
		r->nur++;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * Literal values in t[0..n); with map, t is a view and map[i] the offset
 * in the text of its byte i.
 */
static void
scan_lits_in(struct redactor *r, const char *t, size_t n, size_t from,
    const size_t *map, struct spans *sp)
{
	const struct litset *ls = &r->lits;
	const unsigned char *u = (const unsigned char *)t;
	const struct lit *l, *best;
	size_t i = 0;
	unsigned two;

	if (ls->n == 0 || n < ls->minlen)
		return;
	while (i + ls->minlen <= n) {
		two = (unsigned)u[i] << 8 | u[i + 1];
		if (!(ls->first2[two >> 3] & (1u << (two & 7)))) {
			i++;
			continue;
		}
		best = NULL;
		for (l = ls->bucket[hash4(u + i)]; l != NULL; l = l->next)
			if (l->len <= n - i &&
			    (best == NULL || l->len > best->len) &&
			    memcmp(l->s, t + i, l->len) == 0)
				best = l;
		if (best == NULL) {
			i++;
			continue;
		}
		if (map == NULL) {
			if (i + best->len > from)
				spans_add(sp, i, i + best->len, best->rule, 1);
		} else if (map[i + best->len - 1] + 1 > from)
			spans_add(sp, map[i], map[i + best->len - 1] + 1,
			    best->rule, 1);
		i += best->len;
	}
}

size_t
redactor_tail_prefix(struct redactor *r, const char *t, size_t n)
{
	const struct litset *ls = &r->lits;
	const unsigned char *u = (const unsigned char *)t;
	const struct lit *l;
	size_t p;
	unsigned two;

	if (ls->n == 0 || n < 4)
		return 0;
	for (p = n - 4 > ls->maxlen ? n - ls->maxlen : 0; p + 4 <= n; p++) {
		two = (unsigned)u[p] << 8 | u[p + 1];
		if (!(ls->first2[two >> 3] & (1u << (two & 7))))
			continue;
		for (l = ls->bucket[hash4(u + p)]; l != NULL; l = l->next)
			if (l->len > n - p && memcmp(l->s, t + p, n - p) == 0)
				return n - p;
	}
	return 0;
}

/* Views are made of texts up to this size. */
#define VIEW_MAX ((size_t)1 << 20)

static void
view_add(struct redactor *r, char c, size_t at)
{
	if (r->view.len == r->mapcap) {
		size_t cap = r->mapcap ? r->mapcap * 2 : 4096;
		size_t *m = realloc(r->map, cap * sizeof *m);

		if (m == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		r->map = m;
		r->mapcap = cap;
	}
	r->map[r->view.len] = at;
	if (kr_buf_addc(&r->view, c) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
}

/* The length of a character that is not seen: zero-width, soft hyphen. */
static size_t
unseen(const unsigned char *u, size_t i, size_t n)
{
	if (u[i] == 0xc2 && i + 1 < n && u[i + 1] == 0xad)
		return 2;
	if (i + 2 >= n)
		return 0;
	if (u[i] == 0xe2 && u[i + 1] == 0x80 && u[i + 2] >= 0x8b &&
	    u[i + 2] <= 0x8f)
		return 3; /* U+200B..U+200F */
	if (u[i] == 0xe2 && u[i + 1] == 0x81 && u[i + 2] == 0xa0)
		return 3; /* U+2060 */
	if (u[i] == 0xef && u[i + 1] == 0xbb && u[i + 2] == 0xbf)
		return 3; /* U+FEFF */
	return 0;
}

/*
 * The text without what a terminal does not show inside a value: line
 * breaks, carriage returns, ANSI escape sequences, zero-width characters.
 */
static void
view_plain(struct redactor *r, const char *t, size_t n)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t i = 0, k;

	r->view.len = 0;
	while (i < n) {
		if (u[i] == '\r' || u[i] == '\n') {
			i++;
		} else if (u[i] == 0x1b) {
			/* ESC [ parameters intermediates final, or ESC x */
			if (i + 1 < n && u[i + 1] == '[') {
				for (i += 2; i < n && u[i] >= 0x20 && u[i] < 0x40;
				     i++)
					;
				i += i < n;
			} else
				i += 2;
		} else if ((k = unseen(u, i, n)) > 0) {
			i += k;
		} else {
			view_add(r, t[i], i);
			i++;
		}
	}
}

static int
hexd(const unsigned char *u, size_t i, size_t n)
{
	return i < n && kr_hexval(u[i]) >= 0;
}

/*
 * The hex digits of the text, lowercased, without what separates the
 * bytes of a hex dump or an escaped string: ':', spaces, "0x", "\x",
 * "%", "\u00".
 */
static void
view_hex(struct redactor *r, const char *t, size_t n)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t i = 0, pre = (size_t)-1;

	r->view.len = 0;
	while (i < n) {
		if (u[i] == '\\' && i + 5 < n && u[i + 1] == 'u' &&
		    u[i + 2] == '0' && u[i + 3] == '0' && hexd(u, i + 4, n) &&
		    hexd(u, i + 5, n)) {
			view_add(r, (char)(u[i + 4] | 0x20), i);
			view_add(r, (char)(u[i + 5] | 0x20), i + 5);
			i += 6;
		} else if ((u[i] == '\\' || u[i] == '0') && i + 2 < n &&
			   (u[i + 1] == 'x' || u[i + 1] == 'X') &&
			   hexd(u, i + 2, n)) {
			pre = i; /* a masked byte takes its prefix along */
			i += 2;
		} else if (u[i] == '%' && hexd(u, i + 1, n) &&
			   hexd(u, i + 2, n)) {
			pre = i++;
		} else if (kr_hexval(u[i]) >= 0) {
			view_add(r, (char)(u[i] >= 'A' ? u[i] | 0x20 : u[i]),
			    pre != (size_t)-1 ? pre : i);
			pre = (size_t)-1;
			i++;
		} else
			i++;
	}
}

/* Bytes that make a plain view worth building. */
static const unsigned char plain_hint[256] = {
	['\r'] = 1, ['\n'] = 1, [0x1b] = 1, [0xc2] = 1, [0xe2] = 1, [0xef] = 1,
};

static void
scan_lits(
    struct redactor *r, const char *t, size_t n, size_t from, struct spans *sp)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t i, hex = 0, run = 0, best = 0;
	int plain = 0;

	if (r->lits.n == 0 || n < r->lits.minlen)
		return;
	scan_lits_in(r, t, n, from, NULL, sp);
	if (n > VIEW_MAX)
		return;
	/* Hex forms: a run of hex digits and separators long enough. */
	for (i = 0; i < n; i++) {
		plain |= plain_hint[u[i]];
		if (kr_hexval(u[i]) >= 0) {
			hex++;
			run++;
		} else if (u[i] != ':' && u[i] != ' ' && u[i] != '\\' &&
			   u[i] != 'x' && u[i] != '%' && u[i] != ',' &&
			   u[i] != 'u' && u[i] != '-' && u[i] != '\n' &&
			   u[i] != '\r') {
			if (run > best)
				best = run;
			run = 0;
		}
	}
	if (run > best)
		best = run;
	if (plain) {
		view_plain(r, t, n);
		if (r->view.len >= r->lits.minlen)
			scan_lits_in(r, r->view.s, r->view.len, from, r->map, sp);
	}
	if (best >= 2 * r->lits.minlen) {
		view_hex(r, t, n);
		if (r->view.len >= r->lits.minlen)
			scan_lits_in(r, r->view.s, r->view.len, from, r->map, sp);
	}
}

static void
scan_user(
    struct redactor *r, const char *t, size_t n, size_t from, struct spans *sp)
{
	regmatch_t m[2];
	const char *seg, *end;
	size_t i, off, slen;
	int flags;

	/* regexec wants a C string: copy, and match NUL-free pieces. */
	r->scratch.len = 0;
	if (kr_buf_add(&r->scratch, t, n) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	for (seg = r->scratch.s, end = seg + n; seg <= end; seg += slen + 1) {
		slen = strlen(seg);
		for (i = 0; i < r->nur; i++) {
			struct user_rule *u = &r->ur[i];

			for (off = 0, flags = 0; off <= slen;
			     flags = REG_NOTBOL) {
				if (regexec(&u->re, seg + off, 2, m, flags) !=
				    0)
					break;
				regmatch_t *g = u->group && m[1].rm_so != -1
						    ? &m[1]
						    : &m[0];
				size_t s = (size_t)(seg - r->scratch.s) + off +
					   (size_t)g->rm_so;
				size_t e = (size_t)(seg - r->scratch.s) + off +
					   (size_t)g->rm_eo;

				if (e > s && e > from)
					spans_add(sp, s, e, u->rule, 1);
				off += m[0].rm_eo > 0 ? (size_t)m[0].rm_eo : 1;
			}
		}
	}
}

int
redactor_scan_extra(
    struct redactor *r, const char *t, size_t n, size_t from, struct spans *sp)
{
	scan_lits(r, t, n, from, sp);
	if (r->nur > 0)
		scan_user(r, t, n, from, sp);
	return 0;
}
