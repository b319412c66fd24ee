/*
 * serve-words.c: keruta-serve's words (words.c) against SQLite's FTS5.
 * Over a few thousand generated messages (ASCII words and digits in mixed
 * case between punctuation, accents, Greek, Cyrillic, CJK and emoji, and
 * some rows with NUL bytes or bytes that are not UTF-8), wq_match, and
 * kr_match in SQL, find the very rows FTS5's MATCH finds with the same
 * query, for a few hundred queries: words, phrases, prefixes, punctuation,
 * quotes, case and accents. The words of a few texts are the ones written
 * here. A zone's index holds the hash of each word of its rows and how
 * many rows hold it, counts the rows one word matches, and never rules
 * out a zone where a row matches; kr_zone says what wq_zone says. The
 * hash of a word depends on the seed.
 *
 * links: tools/keruta-serve/words.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "tap.h"
#include "../../tools/keruta-serve/words.h"

#define SEED	0x6b65727574615eedULL	/* the key of words_hash */
#define NMSG	2500		/* rows of generated UTF-8: rowids 1.. */
#define NODD	200		/* then rows with NUL or bytes not UTF-8 */
#define NROWS	(NMSG + NODD)
#define NQUERY	50		/* queries of each kind */
#define ZROWS	1024		/* the zone: rowids 1 to 1024, ids 0 to 1023 */
#define NSMALL	64		/* small zones: one row in 64 of the zone */
#define BIG	(10 << 20)	/* bytes of the big message */

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* What messages are made of, and queries: some words fold to others. */
static const char *const vocab[] = {
	"foo", "bar", "baz", "Foo", "FOO", "BaR", "ab", "abc", "abcd", "abd",
	"hello", "Hello", "HELLO", "world", "x", "42", "42x", "x42", "007",
	"0", "error", "errors", "err", "timeout", "GET", "id", "user", "a1b2",
	"café", "CAFÉ", "cafe", "Cafe", "cafe\xcc\x81", "naïve", "naive",
	"Straße", "strasse", "ÅNGSTRÖM", "angström", "Ελληνικά", "ελληνικα",
	"русский", "РУССКИЙ", "日本語", "日本", "über", "Ünïcode", "İstanbul",
	"ﬁne", "½", "٣", "x日本", "foo😀bar", "😀", "👍🏽", "\xcc\x81",
	"a\xcc\x81\xcc\x81" "b", "Łódź",
};

/* What separates words in messages ("" joins them). */
static const char *const seps[] = {
	" ", " ", " ", " ", "-", ".", "_", "/", "=", "@", ":", ",", ";",
	"\"", "'", "  ", "\t", "\n", "(", ")", "[", "]", "#", "%", "+", "*",
	"\\", "", ", ", "\xc2\xa0", "\xe2\x80\x93", "\xe2\x80\x8b",
	"\xc2\xad", "😀", "…", "«",
};

/* What separates the words of a phrase: no space, which q= splits at. */
static const char *const psep[] = {
	"-", ".", "_", "/", "=", "@", ":", ",", ";", "\"", "'", "\n", "(",
	")", "#", "*", "\\", "\xc2\xa0", "\xe2\x80\x93", "😀", "…", "\"\"",
	"--", "::",
};

/* Query words that hold no letter or digit. */
static const char *const punct[] = {
	"", "-", "--", ".", "\"", "\"\"", "_", "/", "@", "-_-", "😀", "*",
	"\xcc\x81", "…", "\xc2\xa0", "'", ":=", "\xe2\x80\x8b",
};

/* Query words in another case, with or without their accents. */
static const char *const folds[] = {
	"CAFE", "Café", "CAFÉ", "cafe", "cafe\xcc\x81", "caf\xc3\x89",
	"NAIVE", "NAÏVE", "naïve", "STRASSE", "straße", "STRAẞE", "ANGSTROM",
	"ångström", "ÅNGSTRÖM", "ΕΛΛΗΝΙΚΆ", "ελληνικά", "ελληνικα", "РУССКИЙ",
	"Русский", "日本語", "ÜBER", "uber", "UNICODE", "ünïcode", "İSTANBUL",
	"istanbul", "ISTANBUL", "FINE", "ﬁne", "ﬁNE", "HELLO", "hElLo", "FoO",
	"X42", "42X", "A1B2", "LODZ", "łódź", "ŁÓDŹ", "AB", "ÁB",
};

/* Words in no message. */
static const char *const absent[] = {
	"zzzq", "ZZZQ", "qqqz", "nothere", "foo-zzzq", "zzzq-foo",
	"café-zzzq", "日本語zz", "hello-hello-zzzq", "foo.baz.bar.x",
};

/* Bytes of the odd rows: NUL, and what is not UTF-8. */
static const struct {
	const char *s;
	size_t n;
} odd[] = {
#define F(s)	{ s, sizeof(s) - 1 }
	F("\0"), F("\0\0"), F("a\0b"), F("\xff"), F("\xc3"), F("\xc3("),
	F("\x80"), F("\x80" "abc"), F("\xe6\x97"), F("\xed\xa0\x80"),
	F("\xf4\x90\x80\x80"), F("\xc0\xaf"), F("caf\xc3"), F("\xfe\xff"),
	F("\xe2\x80"), F("x\xf0\x9f\x98"),
#undef F
};

static char *msg[NROWS + 1];		/* by rowid */
static size_t mlen[NROWS + 1];

/* ---- helpers ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* xorshift64: the same messages and queries on every run. */
static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t
pick(size_t n)
{
	return (size_t)(rnd() % n);
}

struct str {
	char *s;
	size_t len, cap;
};

static void
sadd(struct str *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((s = realloc(b->s, cap)) == NULL)
			abort();
		b->s = s;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sadds(struct str *b, const char *s)
{
	sadd(b, s, strlen(s));
}

/* Is s[0..n) UTF-8 (no overlong forms, surrogates, or past U+10FFFF)? */
static int
utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p++, need, cp;
		uint32_t min;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			min = 0x10000;
			cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(e - p) < need)
			return 0;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/*
 * s[0..n) as a C string would write it, between q (a quote): bytes above
 * 0x7f as they are if s is UTF-8. One of four buffers, in turn.
 */
static const char *
show(const char *s, size_t n, char q)
{
	static char buf[4][1024];
	static int k;
	char *out = buf[k++ & 3], *o = out;
	int u = utf8(s, n);
	size_t i;

	*o++ = q;
	for (i = 0; i < n && o < out + sizeof buf[0] - 48; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == (unsigned char)q) {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !u)) {
			o += sprintf(o, "\\x%02x", c);
			/* So that a hex digit after it is not read as one. */
			if (i + 1 < n && strchr("0123456789abcdefABCDEF",
			    s[i + 1]) != NULL && s[i + 1] != '\0') {
				*o++ = q;
				*o++ = q;
			}
		} else
			*o++ = (char)c;
	}
	*o++ = q;
	if (i < n)
		o += sprintf(o, "... (%zu bytes)", n);
	*o = '\0';
	return out;
}

/* The length of the first k characters of s, k from 1 to all. */
static size_t
cut(const char *s)
{
	size_t n = strlen(s), i, nch = 0, k;

	for (i = 0; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			nch++;
	k = 1 + pick(nch);
	for (i = 0; i < n; i++)
		if ((s[i] & 0xc0) != 0x80 && k-- == 0)
			break;
	return i;
}

/* Appends word w[0..n) to query q: quoted, a quote doubled, '*' if pre. */
static void
qword(struct str *q, const char *w, size_t n, int pre)
{
	size_t i;

	sadds(q, q->len > 0 ? " \"" : "\"");
	for (i = 0; i < n; i++) {
		if (w[i] == '"')
			sadd(q, "\"", 1);
		sadd(q, w + i, 1);
	}
	sadds(q, pre ? "\"*" : "\"");
}

static void
qwords(struct str *q, const char *w, int pre)
{
	qword(q, w, strlen(w), pre);
}

/* ---- words_each ---- */

struct join {
	char buf[512];
	size_t len;
	int n, stop;
};

static int
join_fn(void *arg, const char *word, size_t len)
{
	struct join *j = arg;

	if (j->n++ > 0 && j->len < sizeof j->buf - 1)
		j->buf[j->len++] = '|';
	if (len > sizeof j->buf - 1 - j->len)
		len = sizeof j->buf - 1 - j->len;
	memcpy(j->buf + j->len, word, len);
	j->len += len;
	j->buf[j->len] = '\0';
	return j->stop > 0 && j->n == j->stop ? 7 : 0;
}

/*
 * The words of s[0..n), joined by '|' (read from a copy of n bytes, so
 * that the sanitizers see a read past them); stop: words_each stops after
 * this many. *rc what words_each returned.
 */
static const char *
words_of(struct words *w, const char *s, size_t n, int stop, int *rc)
{
	static struct join j;
	char *p = malloc(n > 0 ? n : 1);
	int r;

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	memset(&j, 0, sizeof j);
	j.stop = stop;
	r = words_each(w, p, n, join_fn, &j);
	if (rc != NULL)
		*rc = r;
	free(p);
	return j.buf;
}

#define WORDS(w, lit)	words_of((w), (lit), sizeof(lit) - 1, 0, NULL)

/* The number of words of s, and the last one (folded) in *last. */
struct count {
	int n;
	struct str last;
};

static int
count_fn(void *arg, const char *word, size_t len)
{
	struct count *c = arg;

	c->n++;
	c->last.len = 0;
	sadd(&c->last, word, len);
	return 0;
}

/* ---- wq_match by hand ---- */

/* Does match find msg, through wq_match? -1 if wq_new fails. */
static int
wqm(struct words *w, const char *match, const char *m, size_t n)
{
	struct wq *q = wq_new(w, match);
	int r;

	if (q == NULL)
		return -1;
	r = wq_match(q, m, n);
	wq_free(q);
	return r;
}

#define MATCH(w, q, lit)	wqm((w), (q), (lit), sizeof(lit) - 1)

/* An integer that SQL gives for sql with text arguments a and b. */
static long long
sql_int(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	long long r = -100;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -200;
	if (a != NULL)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		r = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

static void
test_words(struct words *w, sqlite3 *db)
{
	static const char *const tail[] = { "hello w", "naïve", "ab\xc3\xa9",
		"x\xe6\x97\xa5" };
	static const char *const want[] = { "hello|w", "naive", "abe",
		"x日" };
	size_t i;
	int rc;

	is(WORDS(w, "Hello, World! foo_bar-Baz 42x"),
	    "hello|world|foo|bar|baz|42x", "words of ASCII, folded");
	is(WORDS(w, "one\0two\0\0three\0"), "one|two|three",
	    "NUL separates words; those after it are seen");
	is(WORDS(w, "caf\xc3\xa9\0Na\xc3\xafve\0"), "cafe|naive",
	    "NUL separates words of text that is not ASCII");
	is(WORDS(w, "Café Ünïcode"), "cafe|unicode",
	    "accents and case folded");
	is(WORDS(w, "naïve-ÅNGSTRÖM.x日本語y😀end"),
	    "naive|angstrom|x日本語y|end",
	    "Latin letters lose their accents, CJK is letters, emoji is not");
	is(WORDS(w, "ΕΛΛΗΝΙΚΆ русский Straße STRAẞE"),
	    "ελληνικά|русский|straße|straße",
	    "Greek and Cyrillic folded; ß kept, ẞ made ß (as unicode61)");
	is(WORDS(w, "abc\xcc\x81" "d x日本 a\xe2\x80\x8b" "b c\xc2\xad" "d "
	    "e\xc2\xa0" "f \xcc\x81 İstanbul"),
	    "abcd|x日本|a|b|c|d|e|f|istanbul",
	    "a combining accent is dropped inside a word and alone; "
	    "zero-width space, soft hyphen, no-break space separate");
	is(WORDS(w, ""), "", "no text, no word");
	is(WORDS(w, "-- ... // \"'\" 😀 \xcc\x81"), "",
	    "punctuation, emoji, a lone accent: no word");
	is(words_of(w, "a b c d e", 9, 2, &rc), "a|b", "words_each stops "
	    "at the first fn that does not return 0 (ASCII)");
	ok(rc == 7, "and returns what it returned (ASCII): %d", rc);
	is(words_of(w, "café naïve über", strlen("café naïve über"), 2, &rc),
	    "cafe|naive", "words_each stops at the first fn that does not "
	    "return 0 (not ASCII)");
	ok(rc == 7, "and returns what it returned (not ASCII): %d", rc);
	for (i = 0; i < NELEM(tail); i++)
		is(words_of(w, tail[i], strlen(tail[i]), 0, NULL), want[i],
		    "words of s[0..n), no further: %s", tail[i]);

	ok(MATCH(w, "\"--\"", "-- a --") == 0 && MATCH(w, "\"--\"", "--") ==
	    0 && MATCH(w, "\"--\"", "") == 0,
	    "a query of only \"--\" matches nothing");
	ok(MATCH(w, "\"--\" \".\" \"\" \"😀\"*", "hello -- . 😀") == 0,
	    "nor one of several words with no letter or digit");
	ok(MATCH(w, "\"hello\" \"--\"", "hello --") == 1 &&
	    MATCH(w, "\"--\"* \"hello\"", "Hello") == 1 &&
	    MATCH(w, "\"hello\" \"--\"", "--") == 0,
	    "a word with no letter or digit is left out of a query");
	ok(MATCH(w, "\"CAFE\"", "un café") == 1 &&
	    MATCH(w, "\"café\"", "CAFE!") == 1 &&
	    MATCH(w, "\"CAFÉ\"", "cafe\xcc\x81") == 1,
	    "\"CAFE\" finds café, and café CAFE");
	ok(MATCH(w, "\"ca\"*", "Café") == 1 && MATCH(w, "\"caf\"", "Café") ==
	    0, "a prefix, and a word that is only a prefix");
	ok(MATCH(w, "\"foo-ba\"*", "x foo.bart") == 1 &&
	    MATCH(w, "\"foo-ba\"*", "foo x bart") == 0 &&
	    MATCH(w, "\"foo-ba\"*", "bart foo") == 0,
	    "a phrase's last word as a prefix, the words in a row");
	ok(MATCH(w, "\"a\"\"b\"", "a\"b") == 1 &&
	    MATCH(w, "\"a\"\"b\"", "x a b") == 1 &&
	    MATCH(w, "\"a\"\"b\"", "b a") == 0,
	    "a doubled quote is a quote in the word");
	ok(MATCH(w, "\"foo\"", "foo\0bar") == 1 &&
	    MATCH(w, "\"bar\"", "foo\0bar") == 1 &&
	    MATCH(w, "\"foo-bar\"", "foo\0bar") == 1,
	    "a message with NUL inside: the words after it are seen");
	ok(sql_int(db, "SELECT kr_match(?1, ?2)", "un café", "\"CAFE\"") ==
	    1 && sql_int(db, "SELECT kr_match(?1, ?2)", "--", "\"--\"") == 0,
	    "kr_match in SQL");
}

/* A message of 10 MB of one word: no crash, and it matches. */
static void
test_big(struct words *w)
{
	static const struct {
		const char *word, *yes, *no;
	} big[] = {
		{ "word ", "\"WORD\" \"wo\"* \"word-word\"",
		    "\"word\" \"other\"" },
		{ "café ", "\"CAFE\" \"caf\"* \"cafe.café\"", NULL },
	};
	struct wset *z;
	size_t k, len, n, wl;
	void *blob;
	char *m;
	uint64_t h;
	int yes, no;

	if ((m = malloc(BIG)) == NULL)
		abort();
	for (k = 0; k < NELEM(big); k++) {
		wl = strlen(big[k].word);
		for (n = 0; n + wl <= BIG; n += wl)
			memcpy(m + n, big[k].word, wl);
		yes = wqm(w, big[k].yes, m, n);
		no = big[k].no != NULL ? wqm(w, big[k].no, m, n) : 0;
		ok(yes == 1 && no == 0, "%zu bytes of \"%.*s\": %s matches "
		    "(%d)%s%s%s", n, (int)wl - 1, big[k].word, big[k].yes, yes,
		    big[k].no != NULL ? ", " : "",
		    big[k].no != NULL ? big[k].no : "",
		    big[k].no != NULL ? " does not" : "");
		if ((z = wset_new()) == NULL || wset_add(z, w, 7, m, n) != 0 ||
		    (blob = wset_blob(z, &len)) == NULL)
			abort();
		h = words_hash(w, k == 0 ? "word" : "cafe", 4);
		ok(len == 20 && wset_blob_rows(blob, len, h) == 1 &&
		    wset_blob_rows(blob, len, words_prefix_hash(w,
		    k == 0 ? "word" : "cafe")) == 1, "its index: one word "
		    "and its prefix, each in one row (%zu bytes)", len);
		free(blob);
		wset_free(z);
	}
	free(m);
}

/*
 * Words over 32768 bytes: FTS5 keeps their first 32768, in messages and
 * in queries alike, and so do words.c's, on either path.
 */
static void
test_long(struct words *w)
{
	static const struct {
		size_t msg, query;
		const char *pre;
		int want;
	} c[] = {
		{ 40000, 33000, "", 1 },	/* both cut: the same */
		{ 40000, 32768, "", 1 },
		{ 40000, 32767, "", 0 },
		{ 32767, 40000, "", 0 },
		{ 40000, 33000, "é ", 1 },	/* unicode61's path */
	};
	size_t k, pl;
	char *m, *q;

	for (k = 0; k < NELEM(c); k++) {
		pl = strlen(c[k].pre);
		if ((m = malloc(pl + c[k].msg)) == NULL ||
		    (q = malloc(c[k].query + 3)) == NULL)
			abort();
		memcpy(m, c[k].pre, pl);
		memset(m + pl, 'a', c[k].msg);
		q[0] = '"';
		memset(q + 1, 'a', c[k].query);
		memcpy(q + 1 + c[k].query, "\"", 2);
		ok(wqm(w, q, m, pl + c[k].msg) == c[k].want,
		    "a word of %zu bytes%s, a query of %zu: %s, as in FTS5",
		    c[k].msg, pl ? " after a non-ASCII one" : "", c[k].query,
		    c[k].want ? "found" : "not found");
		free(m);
		free(q);
	}
}

static void
test_hash(struct words *w, sqlite3 *db)
{
	struct words *same, *other;
	uint64_t h = words_hash(w, "hello", 5);

	if (words_open(&same, db, SEED) != 0 ||
	    words_open(&other, db, SEED + 1) != 0)
		abort();
	ok(words_hash(w, "hello", 5) == h && words_hash(same, "hello", 5) ==
	    h, "words_hash: the same for the same seed");
	ok(words_hash(other, "hello", 5) != h,
	    "words_hash: another for another seed");
	ok(words_hash(w, "hellp", 5) != h && words_hash(w, "hell", 4) != h &&
	    words_hash(w, "hello\0", 6) != h,
	    "words_hash: another for another word");
	words_close(same);
	words_close(other);
}

/* ---- the messages, in FTS5 ---- */

static void
gen_msg(struct str *b, int isodd)
{
	size_t i, n = 1 + pick(10);

	b->len = 0;
	if (pick(4) == 0)
		sadds(b, seps[pick(NELEM(seps))]);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sadds(b, seps[pick(NELEM(seps))]);
		sadds(b, vocab[pick(NELEM(vocab))]);
	}
	if (pick(4) == 0)
		sadds(b, seps[pick(NELEM(seps))]);
	if (isodd) {
		/* Odd bytes anywhere, even inside a character. */
		size_t at = pick(b->len + 1), k = pick(NELEM(odd));
		struct str t = { 0 };

		sadd(&t, b->s, at);
		sadd(&t, odd[k].s, odd[k].n);
		sadd(&t, b->s + at, b->len - at);
		b->len = 0;
		sadd(b, t.s, t.len);
		free(t.s);
	}
}

static int
fill(sqlite3 *db)
{
	struct str b = { 0 };
	sqlite3_stmt *st;
	int r, bad = 0;

	if (sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(m); BEGIN",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t(rowid, m) VALUES (?1, ?2)",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (r = 1; r <= NROWS; r++) {
		gen_msg(&b, r > NMSG);
		if ((msg[r] = malloc(b.len + 1)) == NULL)
			abort();
		memcpy(msg[r], b.s, b.len + 1);
		mlen[r] = b.len;
		sqlite3_bind_int(st, 1, r);
		sqlite3_bind_text(st, 2, msg[r], (int)mlen[r], SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			bad++;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(b.s);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		bad++;
	return bad ? -1 : 0;
}

/* ---- queries ---- */

enum { Q_ONE, Q_SEVERAL, Q_PHRASE, Q_PREFIX, Q_PUNCT, Q_FOLD, Q_ABSENT,
	NCAT };

static const char *const cats[NCAT] = {
	"one word", "several words", "phrases", "prefixes",
	"punctuation and quotes", "case and accents", "words in no row",
};

/* A word of the vocabulary, its ASCII letters sometimes made upper. */
static void
vword(struct str *w)
{
	size_t i;

	w->len = 0;
	sadds(w, vocab[pick(NELEM(vocab))]);
	if (pick(3) == 0)
		for (i = 0; i < w->len; i++)
			if (w->s[i] >= 'a' && w->s[i] <= 'z')
				w->s[i] -= 32;
}

/* Words of the vocabulary joined by what separates them, no space. */
static void
vphrase(struct str *w, size_t n)
{
	struct str t = { 0 };
	size_t i;

	w->len = 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			sadds(w, psep[pick(NELEM(psep))]);
		vword(&t);
		sadd(w, t.s, t.len);
	}
	free(t.s);
}

/*
 * A piece of a message, from after a space: as a word of q= (spaces and
 * tabs made '-'). Whole words at its end unless pre, when it ends in any
 * character.
 */
static void
piece(struct str *w, int pre)
{
	const char *m = msg[1 + pick(NMSG)];
	size_t n = strlen(m), a = pick(n), b, i;

	while (a > 0 && m[a - 1] != ' ')
		a--;
	b = a + 1 + pick(30);
	if (b > n)
		b = n;
	while (b < n && (m[b] & 0xc0) == 0x80)
		b++;
	if (!pre)
		while (b < n && (((unsigned char)m[b] >= '0' &&
		    (unsigned char)m[b] <= '9') ||
		    ((m[b] | 0x20) >= 'a' && (m[b] | 0x20) <= 'z') ||
		    (unsigned char)m[b] >= 0x80))
			b++;
	w->len = 0;
	for (i = a; i < b; i++)
		sadd(w, m[i] == ' ' || m[i] == '\t' ? "-" : m + i, 1);
}

static void
gen_query(struct str *q, int cat)
{
	struct str w = { 0 };
	size_t i, n;

	q->len = 0;
	switch (cat) {
	case Q_ONE:
		vword(&w);
		qword(q, w.s, w.len, 0);
		break;
	case Q_SEVERAL:
		n = 2 + pick(3);
		for (i = 0; i < n; i++) {
			vword(&w);
			qword(q, w.s, w.len, pick(5) == 0);
		}
		break;
	case Q_PHRASE:
		if (pick(2) == 0)
			vphrase(&w, 2 + pick(2));
		else
			piece(&w, 0);
		qword(q, w.s, w.len, 0);
		if (pick(3) == 0) {
			vword(&w);
			qword(q, w.s, w.len, 0);
		}
		break;
	case Q_PREFIX:
		switch (pick(3)) {
		case 0:
			vword(&w);
			w.len = cut(w.s);
			break;
		case 1:
			vphrase(&w, 2);
			w.len = cut(w.s);
			break;
		default:
			piece(&w, 1);
			break;
		}
		qword(q, w.s, w.len, 1);
		if (pick(3) == 0) {
			vword(&w);
			qword(q, w.s, w.len, pick(2));
		}
		break;
	case Q_PUNCT:
		switch (pick(6)) {
		case 0:		/* only punctuation */
			n = 1 + pick(2);
			for (i = 0; i < n; i++)
				qwords(q, punct[pick(NELEM(punct))],
				    pick(3) == 0);
			break;
		case 1:		/* punctuation and a word, in either order */
		case 2:
			vword(&w);
			n = pick(2);
			if (n)
				qword(q, w.s, w.len, 0);
			qwords(q, punct[pick(NELEM(punct))], pick(3) == 0);
			if (!n)
				qword(q, w.s, w.len, pick(4) == 0);
			break;
		case 3:		/* a quote inside a word */
			vphrase(&w, 1);
			sadds(&w, pick(2) ? "\"" : "\"\"");
			sadds(&w, vocab[pick(NELEM(vocab))]);
			qword(q, w.s, w.len, pick(4) == 0);
			break;
		case 4:		/* a quote at an end */
			w.len = 0;
			if (pick(2)) {
				sadds(&w, "\"");
				sadds(&w, vocab[pick(NELEM(vocab))]);
			} else {
				sadds(&w, vocab[pick(NELEM(vocab))]);
				sadds(&w, "\"");
			}
			qword(q, w.s, w.len, pick(2));
			break;
		default:	/* a piece of a message, quotes and all */
			piece(&w, 0);
			qword(q, w.s, w.len, 0);
			break;
		}
		break;
	case Q_FOLD:
		sadds(&w, folds[pick(NELEM(folds))]);
		if (pick(3) == 0) {
			w.len = cut(w.s);
			qword(q, w.s, w.len, 1);
		} else
			qword(q, w.s, w.len, 0);
		if (pick(4) == 0)
			qwords(q, folds[pick(NELEM(folds))], 0);
		break;
	default:
		if (pick(2)) {
			vword(&w);
			qword(q, w.s, w.len, 0);
		}
		if (pick(4) == 0)
			qwords(q, "zzq", 1);
		else
			qwords(q, absent[pick(NELEM(absent))], 0);
		break;
	}
	free(w.s);
}

/* ---- zones ---- */

struct zone {
	int row[ZROWS];		/* rowids */
	int n;
	void *blob;
	size_t len;
};

static struct zone zone[1 + NSMALL];	/* the zone, then the small ones */

struct hr {
	uint64_t h;
	unsigned row;
};

struct hrs {
	struct hr *v;
	size_t n, cap;
	unsigned row;
	struct words *w;
};

/* And the prefix of 4 bytes of a word that long. */
static int
hr_fn_prefix(struct hrs *a, const char *word)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		if ((a->v = realloc(a->v, a->cap * sizeof *a->v)) == NULL)
			abort();
	}
	a->v[a->n].h = words_prefix_hash(a->w, word);
	a->v[a->n].row = a->row;
	a->n++;
	return 0;
}

static int
hr_fn(void *arg, const char *word, size_t len)
{
	struct hrs *a = arg;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		if ((a->v = realloc(a->v, a->cap * sizeof *a->v)) == NULL)
			abort();
	}
	a->v[a->n].h = words_hash(a->w, word, len);
	a->v[a->n].row = a->row;
	a->n++;
	if (len >= 4)
		return hr_fn_prefix(a, word);
	return 0;
}

static int
hr_cmp(const void *pa, const void *pb)
{
	const struct hr *a = pa, *b = pb;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static unsigned
get16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

/* Adds z's rows to s with wset_add. -1 if one fails. */
static int
zone_add(struct words *w, struct wset *s, const struct zone *z)
{
	int i;

	for (i = 0; i < z->n; i++)
		if (wset_add(s, w, (unsigned)(z->row[i] - 1), msg[z->row[i]],
		    mlen[z->row[i]]) != 0)
			return -1;
	return 0;
}

/*
 * Is z's index what its rows make (the words a holds, with their rows,
 * sorted here): the hashes of the words of its rows, each once, and how
 * many rows hold each word? A diagnostic of the first difference.
 */
static int
blob_is(struct hrs *a, const struct zone *z, const char *name)
{
	const unsigned char *b = z->blob;
	size_t i, k, n = z->len / 10, nh;
	int bad = 0;

	if (a->n > 0)
		qsort(a->v, a->n, sizeof *a->v, hr_cmp);
	for (i = 0, nh = 0; i < a->n; i = k, nh++) {
		unsigned rows = 0;

		for (k = i; k < a->n && a->v[k].h == a->v[i].h; k++)
			if (k == i || a->v[k].row != a->v[k - 1].row)
				rows++;
		if (nh < n && get64(b + 8 * nh) == a->v[i].h &&
		    get16(b + 8 * n + 2 * nh) == rows)
			continue;
		if (bad++ == 0)
			printf("# %s: entry %zu: want hash %016llx in %u rows, "
			    "got %016llx in %u\n", name, nh,
			    (unsigned long long)a->v[i].h, rows,
			    nh < n ? (unsigned long long)get64(b + 8 * nh) : 0,
			    nh < n ? get16(b + 8 * n + 2 * nh) : 0);
	}
	if (nh != n && bad++ == 0)
		printf("# %s: want %zu words, got %zu\n", name, nh, n);
	return bad == 0;
}

/* The same of the zone of rows z->row. */
static int
zone_is(struct words *w, const struct zone *z, const char *name)
{
	struct hrs a = { 0 };
	size_t i;
	int same;

	a.w = w;
	for (i = 0; i < (size_t)z->n; i++) {
		a.row = (unsigned)z->row[i];
		words_each(w, msg[z->row[i]], mlen[z->row[i]], hr_fn, &a);
	}
	same = blob_is(&a, z, name);
	free(a.v);
	return same;
}

static void
test_blobs(struct words *w)
{
	const unsigned char *b;
	struct wset *s;
	struct zone *z;
	void *blob;
	size_t i, k, len;
	int asc = 1, same = 1, len10 = 1;

	for (i = 0; i < ZROWS; i++) {
		zone[0].row[i] = (int)i + 1;
		z = &zone[1 + i % NSMALL];
		z->row[z->n++] = (int)i + 1;
	}
	zone[0].n = ZROWS;
	/* One set for all: wset_blob leaves it empty. */
	if ((s = wset_new()) == NULL)
		abort();
	for (k = 0; k <= NSMALL; k++)
		if (zone_add(w, s, &zone[k]) != 0 ||
		    (zone[k].blob = wset_blob(s, &zone[k].len)) == NULL) {
			ok(0, "wset_add and wset_blob of zone %zu", k);
			exit(done_testing());
		}
	for (k = 0; k <= NSMALL; k++) {
		b = zone[k].blob;
		if (zone[k].len % 10 != 0)
			len10 = 0;
		for (i = 1; i < zone[k].len / 10; i++)
			if (get64(b + 8 * i) <= get64(b + 8 * (i - 1)))
				asc = 0;
		if (k > 0 && !zone_is(w, &zone[k], "small zone"))
			same = 0;
	}
	ok(len10, "the index of a zone is 10 bytes a word (%zu words in "
	    "the zone of %d rows)", zone[0].len / 10, ZROWS);
	ok(asc, "its hashes in strictly ascending order");
	ok(zone_is(w, &zone[0], "zone"), "the zone's index: the hash of "
	    "each word of its rows and the rows that hold it");
	ok(same, "so is the index of each of %d zones of %d rows, made "
	    "by the same set after wset_blob", NSMALL, ZROWS / NSMALL);

	/* wset_clear: on an empty set, and between the rows of two zones. */
	wset_clear(s);
	if (zone_add(w, s, &zone[1]) != 0)
		abort();
	wset_clear(s);
	if (zone_add(w, s, &zone[2]) != 0 ||
	    (blob = wset_blob(s, &len)) == NULL)
		abort();
	ok(len == zone[2].len && memcmp(blob, zone[2].blob, len) == 0,
	    "wset_clear empties a set: the index of the rows added after it "
	    "only");
	free(blob);

	/* A set grown past its room for keeps, then used again. */
	{
		struct str big = { 0 };
		char num[32];
		int j;

		for (j = 0; j < 50000; j++) {
			snprintf(num, sizeof num, "w%d ", j);
			sadds(&big, num);
		}
		if (wset_add(s, w, 0, big.s, big.len) != 0 ||
		    (blob = wset_blob(s, &len)) == NULL)
			abort();
		ok(len / 10 > 50000, "a set of %zu entries", len / 10);
		free(blob);
		free(big.s);
		if (zone_add(w, s, &zone[2]) != 0 ||
		    (blob = wset_blob(s, &len)) == NULL)
			abort();
		ok(len == zone[2].len && memcmp(blob, zone[2].blob, len) == 0,
		    "used again after it gave its room back: the index of "
		    "the rows added after");
		free(blob);
	}
	wset_free(s);
}

/*
 * Queries of one word: wq_words says which they are and gives its hash,
 * wset_blob_rows counts the rows of a zone wq_match finds, and wq_zone
 * rules out a zone exactly when no row holds the word. So for a prefix
 * of 4 bytes.
 */
static void
test_single(struct words *w, sqlite3 *db)
{
	struct str q = { 0 };
	struct count c;
	size_t i, k, nw = NELEM(vocab) + NELEM(folds) + NELEM(absent);
	int single = 0, bads = 0, badh = 0, badr = 0, badz = 0, nsingle = 0;
	int hits = 0, r, pre4, npre = 0, badp = 0;
	uint64_t h, h2;
	long long rows, want;
	struct wq *wq;
	const char *word;
	struct wset *s;
	void *blob;
	size_t len;

	for (i = 0; i < nw; i++) {
		word = i < NELEM(vocab) ? vocab[i] :
		    i < NELEM(vocab) + NELEM(folds) ?
		    folds[i - NELEM(vocab)] :
		    absent[i - NELEM(vocab) - NELEM(folds)];
		memset(&c, 0, sizeof c);
		words_each(w, word, strlen(word), count_fn, &c);
		q.len = 0;
		qwords(&q, word, 0);
		if ((wq = wq_new(w, q.s)) == NULL)
			abort();
		h = 0;
		single = (wq_words(wq, &h, 1) == 1);
		if (single != (c.n == 1) && bads++ == 0)
			printf("# wq_words(%s, 1): %d, the word has %d parts\n",
			    show(q.s, q.len, '\''), single, c.n);
		if (single == 1 && c.n == 1) {
			nsingle++;
			h2 = words_hash(w, c.last.s, c.last.len);
			if (h != h2 && badh++ == 0)
				printf("# wq_words(%s, 1): hash %016llx, "
				    "words_hash(%s) %016llx\n",
				    show(q.s, q.len, '\''),
				    (unsigned long long)h,
				    show(c.last.s, c.last.len, '"'),
				    (unsigned long long)h2);
			for (k = 0; k <= NSMALL; k++) {
				struct zone *z = &zone[k];
				int j;

				want = 0;
				for (j = 0; j < z->n; j++)
					want += wq_match(wq, msg[z->row[j]],
					    mlen[z->row[j]]) == 1;
				rows = wset_blob_rows(z->blob, z->len, h);
				if (rows != want && badr++ == 0)
					printf("# %s in zone %zu: "
					    "wset_blob_rows %lld, wq_match %lld"
					    "\n", show(q.s, q.len, '\''), k,
					    rows, want);
				r = wq_zone(wq, z->blob, z->len);
				if (r != (want > 0) && badz++ == 0)
					printf("# %s in zone %zu (%lld rows): "
					    "wq_zone %d\n",
					    show(q.s, q.len, '\''), k, want, r);
				hits += k == 0 && want > 0;
			}
		}
		wq_free(wq);
		/* A prefix, or two words, is not one word. */
		qwords(&q, "zzzq", 0);
		if ((wq = wq_new(w, q.s)) == NULL)
			abort();
		if (c.n > 0 && wq_words(wq, &h, 1) == 1 && bads++ == 0)
			printf("# wq_words(%s, 1) is 1\n",
			    show(q.s, q.len, '\''));
		wq_free(wq);
		q.len = 0;
		qwords(&q, word, 1);
		if ((wq = wq_new(w, q.s)) == NULL)
			abort();
		pre4 = c.n == 1 && c.last.len == 4;
		if ((wq_words(wq, &h, 1) == 1) != pre4 && bads++ == 0)
			printf("# wq_words(%s, 1) is %d\n",
			    show(q.s, q.len, '\''), !pre4);
		for (k = 0; pre4 && k <= NSMALL; k++) {
			struct zone *z = &zone[k];
			int j;

			npre += k == 0;
			want = 0;
			for (j = 0; j < z->n; j++)
				want += wq_match(wq, msg[z->row[j]],
				    mlen[z->row[j]]) == 1;
			rows = wset_blob_rows(z->blob, z->len, h);
			if ((rows != want || wq_zone(wq, z->blob, z->len) !=
			    (want > 0)) && badp++ == 0)
				printf("# %s in zone %zu: wset_blob_rows %lld,"
				    " wq_match %lld\n", show(q.s, q.len, '\''),
				    k, rows, want);
		}
		wq_free(wq);
		free(c.last.s);
	}
	free(q.s);
	ok(bads == 0, "wq_words is 1 for a query of one word of one part, "
	    "or a prefix of 4 bytes, else not (%zu words; two words; "
	    "prefixes)", nw);
	ok(badp == 0 && npre >= 5, "a prefix of 4 bytes: wset_blob_rows "
	    "counts the rows wq_match finds, wq_zone rules out the zones it "
	    "finds none in (%d prefixes)", npre);
	ok(badh == 0, "wq_words's hash is words_hash of the word folded");
	ok(badr == 0 && nsingle > 50 && hits > 40, "wset_blob_rows counts "
	    "the rows wq_match finds, a word twice in a row once (%d words, "
	    "%d in the zone, %d zones)", nsingle, hits, NSMALL + 1);
	ok(badz == 0, "wq_zone rules out a zone where one word is in no row, "
	    "and no other");

	/* A zone of rows with no word. */
	if ((s = wset_new()) == NULL ||
	    wset_add(s, w, 0, "-- ...", 6) != 0 ||
	    wset_add(s, w, 1, "😀 \xcc\x81", strlen("😀 \xcc\x81")) != 0)
		abort();
	blob = wset_blob(s, &len);
	wset_free(s);
	if ((wq = wq_new(w, "\"hello\"")) == NULL || !(wq_words(wq, &h, 1) == 1))
		abort();
	ok(len == 0 && wq_zone(wq, blob, len) == 0 &&
	    wset_blob_rows(blob, len, h) == 0,
	    "a zone whose rows hold no word: an empty index, which rules "
	    "out \"hello\" (%zu bytes)", len);
	wq_free(wq);
	free(blob);

	/* Words in no row rule out the zone, in C and in SQL. */
	for (i = 0; i < 5; i++) {
		static const char *const none[] = { "\"zzzq\"", "\"ZZZQ\"",
			"\"hello\" \"zzzq\"", "\"zzzq-foo\"",
			"\"foo\" \"--\" \"café-zzzq\"" };
		sqlite3_stmt *st;
		int sr = -1;

		if ((wq = wq_new(w, none[i])) == NULL)
			abort();
		r = wq_zone(wq, zone[0].blob, zone[0].len);
		wq_free(wq);
		if (sqlite3_prepare_v2(db, "SELECT kr_zone(?1, ?2)", -1, &st,
		    NULL) == SQLITE_OK) {
			sqlite3_bind_blob(st, 1, zone[0].blob, (int)zone[0].len,
			    SQLITE_STATIC);
			sqlite3_bind_text(st, 2, none[i], -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				sr = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		ok(r == 0 && sr == 0, "a word in no row rules out the zone: "
		    "%s (wq_zone %d, kr_zone %d)", none[i], r, sr);
	}
	ok(sql_int(db, "SELECT kr_zone(NULL, ?1)", "\"hello\"", NULL) == 1 &&
	    sql_int(db, "SELECT kr_zone(NULL, ?1)", "\"zzzq\"", NULL) == 1,
	    "kr_zone(NULL, ...): no index, so maybe");
}

/* ---- FTS5 against wq_match, kr_match, wq_zone and kr_zone ---- */

struct tally {
	int queries, hits, refused, bad, badsql;
};

static struct {
	sqlite3_stmt *fts, *krm, *krz;
	int badodd, oddhits;		/* in rows with odd bytes */
	int zones, zoneneg, badkrz;	/* zone checks, false negatives */
	int ruledout;
} g;

static unsigned char infts[NROWS + 1], got[NROWS + 1], sgot[NROWS + 1];

/* The rows stmt finds with match bound to ?1, in rows. -1 on error. */
static int
rows_of(sqlite3_stmt *st, const char *match, unsigned char *rows)
{
	int rc;

	memset(rows, 0, NROWS + 1);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long r = sqlite3_column_int64(st, 0);

		if (r >= 1 && r <= NROWS)
			rows[r] = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
mismatch(const char *what, const char *match, int r, int fts, int other)
{
	printf("# %s: message %s (rowid %d) query %s: FTS5 %d, %s %d\n",
	    r > NMSG ? "odd row" : "mismatch", show(msg[r], mlen[r], '"'), r,
	    show(match, strlen(match), '\''), fts, what, other);
}

static void
check_query(struct words *w, const char *match, struct tally *t)
{
	static int shown, shownsql, shownodd, shownz;
	struct wq *q;
	int r, k, any, hit = 0, badq = 0, badsq = 0;

	t->queries++;
	if (rows_of(g.fts, match, infts) != 0) {
		if (t->refused++ == 0)
			printf("# FTS5 refuses %s: %s\n",
			    show(match, strlen(match), '\''),
			    sqlite3_errmsg(sqlite3_db_handle(g.fts)));
		return;
	}
	if ((q = wq_new(w, match)) == NULL) {
		t->bad++;
		printf("# wq_new(%s) failed\n",
		    show(match, strlen(match), '\''));
		return;
	}
	for (r = 1; r <= NROWS; r++) {
		k = wq_match(q, msg[r], mlen[r]);
		got[r] = k == 0 || k == 1 ? (unsigned char)k : 2;
	}
	if (rows_of(g.krm, match, sgot) != 0) {
		badsq = 1;
		if (shownsql++ == 0)
			printf("# kr_match(m, %s): %s\n",
			    show(match, strlen(match), '\''),
			    sqlite3_errmsg(sqlite3_db_handle(g.krm)));
	}
	for (r = 1; r <= NROWS; r++) {
		hit |= infts[r] && r <= NMSG;
		g.oddhits += infts[r] && r > NMSG;
		if (got[r] != infts[r]) {
			if (r > NMSG)
				g.badodd++;
			else
				badq = 1;
			if (r > NMSG ? shownodd++ == 0 : shown++ == 0)
				mismatch("wq_match", match, r, infts[r],
				    got[r]);
		}
		if (sgot[r] != infts[r]) {
			if (r > NMSG)
				g.badodd++;
			else
				badsq = 1;
			if (r > NMSG ? shownodd++ == 0 : shownsql++ == 0)
				mismatch("kr_match", match, r, infts[r],
				    sgot[r]);
		}
	}
	t->hits += hit;
	t->bad += badq;
	t->badsql += badsq;

	/* No zone is ruled out where FTS5 finds a row; SQL says the same. */
	for (k = 0; k <= NSMALL; k++) {
		struct zone *z = &zone[k];
		int j, zr, sr = -1;

		for (j = 0, any = 0; j < z->n && !any; j++)
			any = infts[z->row[j]];
		zr = wq_zone(q, z->blob, z->len);
		g.zones++;
		g.ruledout += zr == 0;
		if (any && zr != 1) {
			g.zoneneg++;
			if (shownz++ == 0)
				printf("# zone %d: query %s matches a row, "
				    "wq_zone %d\n", k,
				    show(match, strlen(match), '\''), zr);
		}
		sqlite3_reset(g.krz);
		sqlite3_bind_blob(g.krz, 1, z->blob, (int)z->len,
		    SQLITE_STATIC);
		sqlite3_bind_text(g.krz, 2, match, -1, SQLITE_STATIC);
		if (sqlite3_step(g.krz) == SQLITE_ROW)
			sr = sqlite3_column_int(g.krz, 0);
		sqlite3_reset(g.krz);
		if (sr != zr && g.badkrz++ == 0)
			printf("# zone %d, query %s: wq_zone %d, kr_zone %d\n",
			    k, show(match, strlen(match), '\''), zr, sr);
	}
	wq_free(q);
}

static void
test_fts(struct words *w, sqlite3 *db)
{
	struct str q = { 0 };
	struct tally all = { 0 };
	int cat, i;

	if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1",
	    -1, &g.fts, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE kr_match(m, ?1)",
	    -1, &g.krm, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT kr_zone(?1, ?2)", -1, &g.krz,
	    NULL) != SQLITE_OK) {
		ok(0, "statements: %s", sqlite3_errmsg(db));
		return;
	}
	for (cat = 0; cat < NCAT; cat++) {
		struct tally t = { 0 };

		for (i = 0; i < NQUERY; i++) {
			gen_query(&q, cat);
			check_query(w, q.s, &t);
		}
		ok(t.refused == 0 && t.bad == 0, "%s: wq_match finds the rows "
		    "FTS5 finds (%d queries, %d find rows)", cats[cat],
		    t.queries, t.hits);
		ok(t.refused == 0 && t.badsql == 0,
		    "%s: kr_match in SQL finds them too", cats[cat]);
		all.queries += t.queries;
		all.hits += t.hits;
	}
	ok(all.hits > all.queries / 2 && all.hits < all.queries,
	    "the queries find rows, not all of them: %d of %d", all.hits,
	    all.queries);
	ok(g.badodd == 0 && g.oddhits > 100, "%d rows with NUL or bytes "
	    "not UTF-8: wq_match and kr_match find them as FTS5 does "
	    "(%d found)", NODD, g.oddhits);
	ok(g.zoneneg == 0 && g.ruledout > 0, "wq_zone never rules out a "
	    "zone where a row matches (%d zones, %d ruled out)", g.zones,
	    g.ruledout);
	ok(g.badkrz == 0, "kr_zone in SQL says what wq_zone says");
	sqlite3_finalize(g.fts);
	sqlite3_finalize(g.krm);
	sqlite3_finalize(g.krz);
	free(q.s);
}

/*
 * wset_add splits and hashes the words of ASCII on its own path, 64 bytes
 * at a time: its set of each of many messages must be that of words_each
 * and words_hash. The messages have words of 1 to 40 bytes in any case
 * (across the blocks' edges), separators of every kind (NUL too), now and
 * then a byte not ASCII, and a word longer than FTS5 keeps.
 */
static int
split_same(struct words *w, struct wset *z, const char *m, size_t n)
{
	struct hrs a = { 0 };
	const unsigned char *b;
	void *blob;
	size_t len, i, k, nh = 0;
	int same;

	a.w = w;
	if (wset_add(z, w, 5, m, n) != 0 ||
	    (blob = wset_blob(z, &len)) == NULL)
		abort();
	words_each(w, m, n, hr_fn, &a);
	if (a.n > 0)
		qsort(a.v, a.n, sizeof *a.v, hr_cmp);
	b = blob;
	same = len % 10 == 0;
	for (i = 0; same && i < a.n; i = k, nh++) {
		for (k = i; k < a.n && a.v[k].h == a.v[i].h; k++)
			;
		same = nh < len / 10 && get64(b + 8 * nh) == a.v[i].h &&
		    get16(b + len / 10 * 8 + 2 * nh) == 1;
	}
	same = same && nh == len / 10;
	free(a.v);
	free(blob);
	return same;
}

static void
test_split(struct words *w)
{
	static const char wch[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static const char sep[] = " \t\n-_.,:;/=?&'\"()[]{}<>@#~|\\`^!*+%$\x7f";
	static const char *const high[] = { "\xc3\xa9", "\xff", "\xe2\x80\x94",
	    "\xc3\x89t\xc3\xa9" };
	struct str m = { 0 };
	struct wset *z = wset_new();
	int i, bad = -1, nhigh = 0, nlong = 0;
	size_t j, len, n;

	if (z == NULL)
		abort();
	for (i = 0; i < 4000 && bad < 0; i++) {
		m.len = 0;
		n = pick(8) == 0 ? 1 + pick(600) : 1 + pick(120);
		while (m.len < n) {
			for (j = 0, len = 1 + pick(pick(4) == 0 ? 40 : 9);
			    j < len; j++)
				sadd(&m, &wch[pick(sizeof wch - 1)], 1);
			for (j = 0, len = 1 + pick(3); j < len; j++)
				sadd(&m, pick(16) == 0 ? "" :
				    &sep[pick(sizeof sep - 1)], 1);
		}
		if (pick(6) == 0) {
			const char *h = high[pick(NELEM(high))];
			size_t at = pick(m.len + 1);
			struct str t = { 0 };

			sadd(&t, m.s, at);
			sadds(&t, h);
			sadd(&t, m.s + at, m.len - at);
			free(m.s);
			m = t;
			nhigh++;
		}
		if (i % 500 == 0) {
			/* A word longer than FTS5 keeps, then more. */
			for (j = 0; j < 32770; j++)
				sadd(&m, &wch[j % 37], 1);
			sadds(&m, " after THE long one");
			nlong++;
		}
		if (!split_same(w, z, m.s, m.len))
			bad = i;
	}
	ok(bad < 0, "wset_add: the set of words_each and words_hash, on "
	    "%d messages (%d with a byte not ASCII, %d with a word over "
	    "32768 bytes)%s", i, nhigh, nlong, bad < 0 ? "" : ": not the last");
	if (bad >= 0)
		printf("# message: %s\n", show(m.s, m.len < 900 ? m.len : 900,
		    '"'));
	free(m.s);
	wset_free(z);
}

/*
 * Rows of one set that have the same words in the same places, most of
 * them (wset_add takes those of 8 bytes or fewer from the row before):
 * each row from a template of words, some of its places changed, and
 * words of its own after them, so that the set's table grows; the set
 * against words_each and words_hash of all the rows.
 */
static void
test_memo(struct words *w)
{
	static const char *const tpl[] = { "INFO", "worker", "GET", "api",
	    "v1", "items", "page", "status", "200", "took", "Took", "tookk",
	    "2026", "a", "ab", "abcdefgh", "abcdefghi", "ABCDEFGHIJKLMNOPQ",
	    "x\xc3\xa9y", "12345678" };
	struct hrs a = { 0 };
	struct str m = { 0 };
	struct wset *z = wset_new();
	struct zone one;
	int r, i, k, bad = -1, n;

	if (z == NULL)
		abort();
	for (k = 0; k < 200 && bad < 0; k++) {
		int place[24];

		n = 1 + (int)pick(24);
		for (i = 0; i < n; i++)
			place[i] = (int)pick(NELEM(tpl));
		a.n = 0;
		a.w = w;
		for (r = 0; r < 60; r++) {
			m.len = 0;
			for (i = 0; i < n; i++) {
				if (i > 0)
					sadds(&m, pick(3) ? " " : "=-");
				sadds(&m, tpl[pick(6) ? place[i] :
				    (int)pick(NELEM(tpl))]);
			}
			if (pick(10) == 0)
				sadds(&m, " one more");
			/* New words: the set's table grows between rows. */
			for (i = 0; i < 5; i++) {
				char u[32];

				snprintf(u, sizeof u, " u%dr%dk%d", i, r, k);
				sadds(&m, u);
			}
			if (wset_add(z, w, (unsigned)r, m.s, m.len) != 0)
				abort();
			a.row = (unsigned)r + 1;
			words_each(w, m.s, m.len, hr_fn, &a);
		}
		one.blob = wset_blob(z, &one.len);
		if (one.blob == NULL)
			abort();
		if (!blob_is(&a, &one, "templated rows"))
			bad = k;
		free(one.blob);
	}
	ok(bad < 0, "wset_add: rows of the same words in the same places, "
	    "200 sets of 60 rows, the sets of words_each and words_hash");
	free(a.v);
	free(m.s);
	wset_free(z);
}

int
main(void)
{
	struct words *w;
	sqlite3 *db;
	int r, k;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		ok(0, "sqlite3_open");
		return done_testing();
	}
	ok(words_open(&w, db, SEED) == 0 && words_sql(w, db) == 0,
	    "words_open and words_sql");
	if (w == NULL)
		return done_testing();
	test_words(w, db);
	test_big(w);
	test_long(w);
	test_split(w);
	test_memo(w);
	test_hash(w, db);
	ok(fill(db) == 0, "%d messages in FTS5", NROWS);
	test_blobs(w);
	test_single(w, db);
	test_fts(w, db);

	for (k = 0; k <= NSMALL; k++)
		free(zone[k].blob);
	for (r = 1; r <= NROWS; r++)
		free(msg[r]);
	words_close(w);
	sqlite3_close(db);
	return done_testing();
}
