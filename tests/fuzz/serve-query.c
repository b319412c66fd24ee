/*
 * serve-query: keruta-serve's query arguments (level, source, from, to,
 * after, q, page, size, order) on any query string, split and decoded as
 * libwebsockets does for http.c ('&' between arguments, %XX and '+' decoded, an
 * argument too long for the buffer ends the list). Each is refused with
 * a 400 and an error code, or taken within its range: levels a mask of
 * known levels, at most 16 sources of at most 64 bytes, times that
 * format and parse back to the same instant, after, page and size within
 * their bounds, and q an expression FTS5 accepts (no query text is an
 * SQL error) that matches a message holding all its words (if one has a
 * letter or digit), and that the SQLite store's own matching (words.c)
 * matches exactly when FTS5 does.
 *
 * links: tools/keruta-serve/rec.c tools/keruta-serve/store.c tools/keruta-serve/store_sq.c tools/keruta-serve/words.c tools/keruta-serve/store_pg.c tools/keruta-serve/walbuf.c tools/keruta-serve/auth.c tools/keruta-serve/metrics.c tools/keruta-serve/commit.c tools/keruta-serve/fts.c tools/keruta-serve/feed.c tools/keruta-serve/redact.c
 */
#define _DEFAULT_SOURCE		/* realpath, in http.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <sqlite3.h>

#include "kr_embed.h"
#include "kr_json.h"
#include "../../tools/keruta-serve/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *qs;
static size_t qslen;

/* The idx-th argument of the query, as lws_hdr_copy_fragment gives it. */
static int
fragment(char *dst, int len, int idx)
{
	const char *p = qs, *e = qs + qslen, *amp;
	int n = 0, h;

	for (;;) {
		if (p > e)
			return -1;
		if ((amp = memchr(p, '&', (size_t)(e - p))) == NULL)
			amp = e;
		if (idx-- == 0)
			break;
		p = amp + 1;
	}
	for (; p < amp; p++) {
		char c = *p;

		if (c == '%' && amp - p >= 3 && kr_hexval(p[1]) >= 0 &&
		    kr_hexval(p[2]) >= 0) {
			h = kr_hexval(p[1]) * 16 + kr_hexval(p[2]);
			c = (char)h;
			p += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (n + 1 >= len)
			return -1;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n;
}

#undef _DEFAULT_SOURCE		/* api.c defines it again */
#include "../../tools/keruta-serve/api.c"

/* A request with the query's arguments, read as http.c reads them. */
static void
request(struct conn *c)
{
	char frag[1024];
	int i, n;

	memset(c, 0, sizeof *c);
	kr_buf_init(&c->args, (size_t)64 * sizeof frag);
	for (i = 0; i < 64; i++) {
		n = fragment(frag, sizeof frag, i);
		if (n < 0 || kr_buf_add(&c->args, frag, (size_t)n + 1) == -1)
			break;
		c->nargs++;
	}
}

/* The server's main loop is not here: the parsers never reach it. */
const struct kr_embed kr_embedded[] = { { NULL, NULL, NULL, 0 } };

/* An FTS5 table as the store has it, holding one message. */
static sqlite3 *
fts_db(void)
{
	static sqlite3 *db;

	if (db == NULL && (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE m USING fts5(message);",
	    NULL, NULL, NULL) != SQLITE_OK))
		abort();
	return db;
}

static int
has_term(const char *q)
{
	for (; *q != '\0'; q++)
		if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9'))
			return 1;
	return 0;
}

/*
 * q's expression is valid FTS5, and matches a message made of the
 * query's own text (every word in it).
 */
static void
check_match(const char *q, const char *expr)
{
	sqlite3 *db = fts_db();
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_exec(db, "DELETE FROM m;", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_prepare_v2(db, "INSERT INTO m VALUES(?)", -1, &st,
	    NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		abort();
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM m WHERE m MATCH ?",
	    -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		abort();	/* an FTS5 syntax error */
	/*
	 * A word with a '*' is a prefix: the message holds the whole. Words
	 * of no letter or digit are no terms: alone, they match nothing.
	 */
	if (sqlite3_column_int(st, 0) != 1 && has_term(q))
		abort();
	/* words.c, as FTS5. */
	{
		static struct words *w;
		struct wq *x;

		if (w == NULL && words_open(&w, db, 1) == -1)
			abort();
		if ((x = wq_new(w, expr)) == NULL)
			abort();
		if (wq_match(x, q, strlen(q)) != sqlite3_column_int(st, 0))
			abort();
		wq_free(x);
	}
	sqlite3_finalize(st);
}

static void
check_time(long long ns)
{
	struct timespec t;
	char buf[64];
	long long back;

	t.tv_sec = ns / 1000000000;
	t.tv_nsec = ns % 1000000000;
	if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000;
	}
	kr_ts_format(&t, buf);
	if (kr_ts_parse(buf, strlen(buf), &back) == -1 || back != ns)
		abort();
}

static void
refused(const struct srv_err *e)
{
	if (e->status != 400 || e->code == NULL || e->msg[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter f;
	struct srv_err e;
	long long after, page, sz;
	char q[1024];
	struct conn c;
	int desc, i;

	qs = (const char *)data;
	qslen = size;
	request(&c);
	memset(&e, 0, sizeof e);
	if (filter_args(&c, &f, &after, &e) == -1) {
		refused(&e);
	} else {
		if ((f.levels & ~((1u << KR_NLEVELS) - 1)) != 0)
			abort();
		if (f.nsources < 0 || f.nsources > SRV_NSOURCES)
			abort();
		for (i = 0; i < f.nsources; i++)
			if (f.sources[i][0] == '\0' ||
			    strlen(f.sources[i]) > SRV_SOURCE_MAX)
				abort();
		if (f.has_from)
			check_time(f.from);
		if (f.has_to)
			check_time(f.to);
		if (after < 0 || after > (1LL << 62))
			abort();
		if (f.match != NULL) {
			if (arg_get(&c, "q=", q, sizeof q) != 1)
				abort();
			check_match(q, f.match);
		}
		filter_free(&f);
	}
	memset(&e, 0, sizeof e);
	if (page_args(&c, &page, &sz, &desc, &e) == -1) {
		refused(&e);
	} else if (page < 0 || page > (1LL << 40) || sz < 1 ||
	    sz > SIZE_MAX_PAGE || (desc != 0 && desc != 1)) {
		abort();
	}
	kr_buf_free(&c.args);
	return 0;
}
