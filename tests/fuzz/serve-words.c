/*
 * serve-words: keruta-serve's words (words.c) on any bytes, against FTS5.
 * The input is a query, a NUL, then messages separated by NULs (or one
 * message: the query's own text). The query is made of the words of q= as
 * keruta-serve makes them (each quoted, a trailing '*' a prefix). Each
 * message is matched as FTS5 matches it, however it is split (ASCII here,
 * the rest by unicode61, bytes not UTF-8 included), and the zone's set of
 * words of the messages never rules out one that matches; a query of
 * words of one part counts by the set as many messages as match.
 *
 * links: tools/keruta-serve/words.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../tools/keruta-serve/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NMSG	64		/* messages an input may hold */

static sqlite3 *db;
static sqlite3_stmt *ins, *match;
static struct words *w;

static void
setup(void)
{
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE m USING fts5(t)", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO m(rowid, t) VALUES(?1, ?2)",
	    -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT rowid FROM m WHERE m MATCH ?1"
	    " ORDER BY rowid", -1, &match, NULL) != SQLITE_OK ||
	    words_open(&w, db, 0x6b657275746121ULL) != 0)
		abort();
}

/*
 * The match of q= text q[0 .. n) as keruta-serve's api.c makes it: its
 * words (split at spaces and tabs) each in double quotes, a quote in one
 * doubled, a trailing '*' after the closing quote. NULL if no word.
 */
static char *
expr(const char *q, size_t n)
{
	char *m = malloc(3 * n + 8), *o = m;
	size_t i = 0, e;

	if (m == NULL)
		abort();
	while (i < n) {
		while (i < n && (q[i] == ' ' || q[i] == '\t'))
			i++;
		for (e = i; e < n && q[e] != ' ' && q[e] != '\t'; e++)
			;
		if (e == i)
			break;
		{
			int pre = e - i > 1 && q[e - 1] == '*';
			size_t k;

			if (o > m)
				*o++ = ' ';
			*o++ = '"';
			for (k = i; k < e - pre; k++) {
				if (q[k] == '"')
					*o++ = '"';
				*o++ = q[k];
			}
			*o++ = '"';
			if (pre)
				*o++ = '*';
		}
		i = e;
	}
	*o = '\0';
	if (o == m) {
		free(m);
		return NULL;
	}
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *msg[NMSG];
	size_t mlen[NMSG], qlen, i, n = 0, len;
	int found[NMSG], nfound = 0, r;
	struct wset *z;
	struct wq *q;
	uint64_t h;
	char *m;
	void *blob;

	if (db == NULL)
		setup();
	/* The query, up to its NUL, holds no NUL: q= is a C string. */
	for (qlen = 0; qlen < size && in[qlen] != '\0'; qlen++)
		;
	if (qlen == size) {
		msg[n] = in;
		mlen[n++] = size;
	} else {
		const char *p = in + qlen + 1, *e = in + size, *s;

		while (p <= e && n < NMSG) {
			for (s = p; s < e && *s != '\0'; s++)
				;
			msg[n] = p;
			mlen[n++] = (size_t)(s - p);
			p = s + 1;
		}
	}
	{
		char *qs = malloc(qlen + 1);

		if (qs == NULL)
			abort();
		memcpy(qs, in, qlen);
		qs[qlen] = '\0';
		m = expr(qs, qlen);
		free(qs);
	}
	if (m == NULL)
		return 0;
	if (sqlite3_exec(db, "DELETE FROM m", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(ins, 2, msg[i], (int)mlen[i], SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			abort();
		sqlite3_reset(ins);
		found[i] = 0;
	}
	sqlite3_bind_text(match, 1, m, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(match)) == SQLITE_ROW)
		found[sqlite3_column_int64(match, 0) - 1] = 1;
	sqlite3_reset(match);
	if (r != SQLITE_DONE)
		abort();	/* an FTS5 syntax error: api.c's quoting failed */
	if ((q = wq_new(w, m)) == NULL || (z = wset_new()) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (wq_match(q, msg[i], mlen[i]) != found[i])
			abort();
		nfound += found[i];
		if (wset_add(z, w, (unsigned)i, msg[i], mlen[i]) != 0)
			abort();
	}
	if ((blob = wset_blob(z, &len)) == NULL || len % 10 != 0)
		abort();
	if (nfound > 0 && !wq_zone(q, blob, len))
		abort();
	if (wq_words(q, &h, 1) == 1 && wset_blob_rows(blob, len, h) != nfound)
		abort();
	free(blob);
	wset_free(z);
	wq_free(q);
	free(m);
	return 0;
}
