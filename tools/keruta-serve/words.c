/*
 * words.c: the words q= looks for, and the SQLite store's index of them
 * (see words.h). Used from the service thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "words.h"

#define WORD_MAX	32768	/* FTS5 cuts a word to this many bytes */

struct words {
	fts5_tokenizer api;
	Fts5Tokenizer *tok;	/* unicode61, for text that is not ASCII */
	uint64_t seed;
	char *fold;		/* an ASCII word folded */
	size_t foldcap;
	unsigned char *copy;	/* a message, padded (wset_add) */
	uint64_t *bits;		/* which of its bytes are in words */
	size_t room;		/* of copy, in 64-byte blocks */
};

/* One word of a query: its parts, folded, one after the other. */
struct phrase {
	size_t off, n;		/* its parts: part[off .. off + n) */
	int prefix;		/* the last part is a prefix */
};

struct part {
	size_t off, len;	/* in the text buffer */
	uint64_t hash;
	uint64_t phash;		/* of its first PRE_LEN bytes, as a prefix */
};

/* Words, one after the other in a text. */
struct parts {
	struct part *v;
	size_t n, cap;
	char *txt;
	size_t len, tcap;
};

struct wq {
	struct words *w;
	struct phrase *ph;
	size_t nph;
	struct parts q;		/* the query's words */
	struct parts m;		/* those of the message being matched */
	int none;		/* no word has a letter or digit */
	int ascii;		/* its words are in ASCII */
	int oom;
};

/* ---- splitting ---- */

/*
 * What separates, a letter or digit, a byte not ASCII, a capital: a word
 * has the bytes whose class is odd, a capital's is folded by adding
 * (class & 2) << 4.
 */
enum { SEP, WCH, HIGH, CAP };
#define H8	HIGH, HIGH, HIGH, HIGH, HIGH, HIGH, HIGH, HIGH
#define H64	H8, H8, H8, H8, H8, H8, H8, H8
static const unsigned char cls[256] = {
	['0'] = WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH,
	['A'] = CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP,
	CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP, CAP,
	['a'] = WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH,
	WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH, WCH,
	[0x80] = H64, H64,
};

struct tk_ctx {
	word_fn fn;
	void *arg;
	int rc;
};

static int
tk_word(void *ctx, int flags, const char *word, int len, int start, int end)
{
	struct tk_ctx *c = ctx;

	(void)flags;
	(void)start;
	(void)end;
	if (len > WORD_MAX)
		len = WORD_MAX;
	if ((c->rc = c->fn(c->arg, word, (size_t)len)) != 0)
		return SQLITE_DONE;
	return SQLITE_OK;
}

/*
 * Words of ASCII are split here. From the first byte that is not ASCII on,
 * the tokenizer splits the rest, from the start of the word it is in: it
 * starts each word afresh, so the words are the same as if it had split
 * the whole.
 */
int
words_each(struct words *w, const char *s, size_t n, word_fn fn, void *arg)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *b;
	size_t len, i;
	int rc, c, any;

	for (;;) {
		while (p < e && cls[*p] == SEP)
			p++;
		if (p == e)
			return 0;
		for (b = p, any = 0; p < e && ((c = cls[*p]) & 1); p++)
			any |= c;
		if (p < e && c == HIGH)
			break;
		if ((len = (size_t)(p - b)) > WORD_MAX)
			len = WORD_MAX;
		if (!(any & 2)) {
			rc = fn(arg, (const char *)b, len);
		} else {
			if (len > w->foldcap) {
				char *f = realloc(w->fold, len);

				if (f == NULL)
					return -1;
				w->fold = f;
				w->foldcap = len;
			}
			for (i = 0; i < len; i++)
				w->fold[i] = (char)(b[i] +
				    ((cls[b[i]] & 2) << 4));
			rc = fn(arg, w->fold, len);
		}
		if (rc != 0)
			return rc;
	}
	{
		struct tk_ctx t = { fn, arg, 0 };

		n = (size_t)(e - b);
		if (n > INT32_MAX)
			n = INT32_MAX;
		w->api.xTokenize(w->tok, &t, FTS5_TOKENIZE_DOCUMENT,
		    (const char *)b, (int)n, tk_word);
		return t.rc;
	}
}

static inline uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/* One store on a little-endian machine: compilers see the pattern. */
static inline void
put64(unsigned char *p, uint64_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
	p[4] = (unsigned char)(v >> 32);
	p[5] = (unsigned char)(v >> 40);
	p[6] = (unsigned char)(v >> 48);
	p[7] = (unsigned char)(v >> 56);
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * A word's hash: its bytes 8 at a time (little-endian, the last ones
 * padded with zeros), each mixed into the key by a multiply, then its
 * length and a final mix. Eight bytes a step, so that wset_add hashes
 * the words of ASCII straight from the message, folded as they are read.
 */
#define MIX_K		0x9fb21c651e98df25ULL

static inline uint64_t
mix8(uint64_t h, uint64_t v)
{
	h = (h ^ v) * MIX_K;
	return h ^ h >> 32;
}

static inline uint64_t
hash_end(uint64_t h, size_t len)
{
	h = (h ^ len) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 32;
}

uint64_t
words_hash(const struct words *w, const char *word, size_t len)
{
	const unsigned char *p = (const unsigned char *)word;
	unsigned char last[8] = { 0 };
	uint64_t h = w->seed;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		h = mix8(h, le64(p + i));
	if (i < len) {
		memcpy(last, p + i, len - i);
		h = mix8(h, le64(last));
	}
	return hash_end(h, len);
}

#define PRE_LEN		4
#define PRE_MARK	0x9e3779b97f4a7c15ULL

/* The hash of v, a word's first PRE_LEN bytes, as a prefix. */
static inline uint64_t
prefix_hash(uint64_t seed, uint32_t v)
{
	return hash_end(mix8(seed ^ PRE_MARK, v), PRE_LEN);
}

uint64_t
words_prefix_hash(const struct words *w, const char *word)
{
	return prefix_hash(w->seed, le32((const unsigned char *)word));
}

int
words_open(struct words **wp, sqlite3 *db, uint64_t seed)
{
	struct words *w;
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	void *ud;

	*wp = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (api == NULL || (w = calloc(1, sizeof *w)) == NULL)
		return -1;
	if (api->xFindTokenizer(api, "unicode61", &ud, &w->api) !=
	    SQLITE_OK || w->api.xCreate(ud, NULL, 0, &w->tok) != SQLITE_OK) {
		free(w);
		return -1;
	}
	w->seed = seed;
	*wp = w;
	return 0;
}

void
words_close(struct words *w)
{
	if (w == NULL)
		return;
	w->api.xDelete(w->tok);
	free(w->fold);
	free(w->copy);
	free(w->bits);
	free(w);
}

/* ---- queries ---- */

/*
 * An array p of *cap elements of size bytes, with room for need: p, or
 * p moved (*cap then its new room); NULL when out of memory.
 */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if ((p = realloc(p, c * size)) != NULL)
		*cap = c;
	return p;
}

/* Appends a word to ps: the part it is, or NULL when out of memory. */
static struct part *
parts_add(struct parts *ps, const char *word, size_t len)
{
	struct part *v;
	char *t;

	if ((v = grow(ps->v, &ps->cap, ps->n + 1, sizeof *v)) == NULL)
		return NULL;
	ps->v = v;
	if ((t = grow(ps->txt, &ps->tcap, ps->len + len, 1)) == NULL)
		return NULL;
	ps->txt = t;
	v += ps->n++;
	v->off = ps->len;
	v->len = len;
	memcpy(ps->txt + ps->len, word, len);
	ps->len += len;
	return v;
}

/* Appends a word to the query's, with its hashes. */
static int
q_part(void *arg, const char *word, size_t len)
{
	struct wq *q = arg;
	struct part *pt;

	if ((pt = parts_add(&q->q, word, len)) == NULL)
		return -1;
	pt->hash = words_hash(q->w, word, len);
	pt->phash = len >= PRE_LEN ? words_prefix_hash(q->w, word) : 0;
	return 0;
}

struct wq *
wq_new(struct words *w, const char *match)
{
	struct wq *q = calloc(1, sizeof *q);
	const char *p = match;
	char *word = NULL, *t;
	size_t nword, cap = 0, phcap = 0, k;

	if (q == NULL)
		return NULL;
	q->w = w;
	while (*p == ' ')
		p++;
	while (*p == '"') {
		struct phrase ph;

		nword = 0;
		for (p++; *p != '\0' && !(p[0] == '"' && p[1] != '"'); p++) {
			if (*p == '"')
				p++;
			if ((t = grow(word, &cap, nword + 1, 1)) == NULL)
				goto fail;
			word = t;
			word[nword++] = *p;
		}
		if (*p == '"')
			p++;
		ph.off = q->q.n;
		ph.prefix = *p == '*';
		if (ph.prefix)
			p++;
		if (words_each(w, word, nword, q_part, q) != 0)
			goto fail;
		ph.n = q->q.n - ph.off;
		if (ph.n > 0) {
			struct phrase *np;

			if ((np = grow(q->ph, &phcap, q->nph + 1,
			    sizeof *np)) == NULL)
				goto fail;
			q->ph = np;
			q->ph[q->nph++] = ph;
		}
		while (*p == ' ')
			p++;
	}
	free(word);
	q->none = q->nph == 0;
	q->ascii = 1;
	for (k = 0; k < q->q.len; k++)
		if ((unsigned char)q->q.txt[k] >= 0x80)
			q->ascii = 0;
	return q;
fail:
	free(word);
	wq_free(q);
	return NULL;
}

void
wq_free(struct wq *q)
{
	if (q == NULL)
		return;
	free(q->ph);
	free(q->q.v);
	free(q->q.txt);
	free(q->m.v);
	free(q->m.txt);
	free(q);
}

/* Appends a word to the message's words. */
static int
m_word(void *arg, const char *word, size_t len)
{
	struct wq *q = arg;

	return parts_add(&q->m, word, len) == NULL ? -1 : 0;
}

/* Is the query's part k the message's word i (its prefix, if pre)? */
static int
same(const struct wq *q, size_t k, size_t i, int pre)
{
	const struct part *a = &q->q.v[k], *b = &q->m.v[i];

	if (pre ? b->len < a->len : b->len != a->len)
		return 0;
	return memcmp(q->q.txt + a->off, q->m.txt + b->off, a->len) == 0;
}

/* Is there a word at m[i]: a letter or digit not after one? */
#define IS_W(c)		(cls[(unsigned char)(c)] & 1)
#define WORD_AT(m, i)	(IS_W((m)[i]) && ((i) == 0 || !IS_W((m)[(i) - 1])))

/*
 * Is part pt the word of m at i (its start, if open)? The end of what
 * matched, or 0.
 */
static size_t
word_is(const struct wq *q, const struct part *pt, int open,
    const unsigned char *m, size_t len, size_t i)
{
	const unsigned char *t = (const unsigned char *)q->q.txt + pt->off;
	size_t n = pt->len, j;

	if (n > len - i)
		return 0;
	for (j = 0; j < n; j++)
		if ((unsigned char)(m[i + j] + ((cls[m[i + j]] & 2) << 4)) !=
		    t[j])
			return 0;
	if (!open && n != WORD_MAX && i + n < len && IS_W(m[i + n]))
		return 0;
	return i + n;
}

/*
 * wq_match for words in ASCII, on a message in ASCII: each word's parts
 * are sought as they are, any case, the first at the start of a word of
 * the message, each next one at the start of the next word; each whole
 * (but a prefix, or one cut as FTS5 cuts words). No word of the message
 * is made.
 */
static int
match_ascii(const struct wq *q, const unsigned char *m, size_t len)
{
	size_t k, i, j, pos, e;

	for (k = 0; k < q->nph; k++) {
		const struct phrase *ph = &q->ph[k];
		const struct part *pt = &q->q.v[ph->off];
		unsigned char t0 = (unsigned char)q->q.txt[pt->off];
		int found = 0;

		for (i = 0; !found && i < len; i++) {
			if ((unsigned char)(m[i] + ((cls[m[i]] & 2) << 4)) !=
			    t0 || !WORD_AT(m, i))
				continue;
			for (j = 0, pos = i; j < ph->n; j++) {
				if (j > 0)
					while (pos < len && !IS_W(m[pos]))
						pos++;
				if ((e = word_is(q, &pt[j], ph->prefix &&
				    j == ph->n - 1, m, len, pos)) == 0)
					break;
				/* To the word's end: past what FTS5 cut. */
				for (pos = e; pos < len && IS_W(m[pos]); pos++)
					;
			}
			found = j == ph->n;
		}
		if (!found)
			return 0;
	}
	return 1;
}

int
wq_match(struct wq *q, const char *msg, size_t len)
{
	size_t k, i, j;

	if (q->none)
		return 0;
	if (q->ascii) {
		unsigned char any = 0;

		for (i = 0; i < len; i++)
			any |= (unsigned char)msg[i];
		if (any < 0x80)
			return match_ascii(q, (const unsigned char *)msg, len);
	}
	q->m.n = q->m.len = 0;
	if (words_each(q->w, msg, len, m_word, q) != 0) {
		q->oom = 1;
		return 0;
	}
	for (k = 0; k < q->nph; k++) {
		const struct phrase *ph = &q->ph[k];
		int found = 0;

		for (i = 0; !found && i + ph->n <= q->m.n; i++) {
			for (j = 0; j < ph->n; j++)
				if (!same(q, ph->off + j, i + j,
				    ph->prefix && j == ph->n - 1))
					break;
			found = j == ph->n;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Is hash among the n sorted hashes of blob? Its index, or -1. */
static long
blob_find(const unsigned char *blob, size_t n, uint64_t hash)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t h = le64(blob + 8 * mid);

		if (h == hash)
			return (long)mid;
		if (h < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
wq_zone(const struct wq *q, const void *blob, size_t len)
{
	size_t k, j, n = len / 10;

	if (q->none)
		return 0;
	if (len % 10 != 0)
		return 1;	/* not an index: it rules nothing out */
	for (k = 0; k < q->nph; k++) {
		const struct phrase *ph = &q->ph[k];

		for (j = 0; j < ph->n; j++) {
			const struct part *pt = &q->q.v[ph->off + j];

			if (ph->prefix && j == ph->n - 1) {
				if (pt->len >= PRE_LEN &&
				    blob_find(blob, n, pt->phash) < 0)
					return 0;
				break;
			}
			if (blob_find(blob, n, pt->hash) < 0)
				return 0;
		}
	}
	return 1;
}

int
wq_words(const struct wq *q, uint64_t *hash, int max)
{
	size_t k;

	if (q->none || q->nph > (size_t)max)
		return -1;
	for (k = 0; k < q->nph; k++) {
		const struct part *pt = &q->q.v[q->ph[k].off];

		if (q->ph[k].n != 1 ||
		    (q->ph[k].prefix && pt->len != PRE_LEN))
			return -1;
		hash[k] = q->ph[k].prefix ? pt->phash : pt->hash;
	}
	return (int)q->nph;
}

long long
wset_blob_rows(const void *blob, size_t len, uint64_t hash)
{
	const unsigned char *b = blob;
	size_t n = len / 10;
	long i;

	if (len % 10 != 0 || (i = blob_find(b, n, hash)) < 0)
		return 0;
	b += 8 * n + 2 * (size_t)i;
	return b[0] | b[1] << 8;
}

/* ---- a zone's set ---- */

struct wslot {
	uint64_t hash;
	uint16_t rows;
	uint16_t last;		/* the last row counted, plus one */
	uint32_t gen;		/* in use if the set's */
};

/*
 * A word's slot is first sought at the top bits of its hash: the table
 * is then in the order of the hashes, but for the few that went on to
 * the next free slot, and sorting it (wset_blob) is one short pass.
 */
/*
 * A word of 8 bytes or fewer of the last rows, by its place in its row:
 * its bytes folded, and its slots (word and prefix). Rows of one stream
 * have the same words in the same places, most of them.
 */
#define MEMO	32

struct memo {
	uint64_t v;
	uint32_t n;		/* its length; 0: none */
	uint32_t slot, pslot;
};

struct wset {
	struct wslot *t;
	size_t cap, n;		/* cap a power of two, n < cap / 2 */
	int shift;		/* 64 - log2(cap) */
	uint32_t gen;		/* of the slots in use: emptied by a bump */
	struct words *w;
	unsigned row;
	unsigned nmemo;		/* valid while the slots stay where they are */
	struct memo memo[MEMO];
};

struct wset *
wset_new(void)
{
	struct wset *z = calloc(1, sizeof *z);

	if (z != NULL)
		z->gen = 1;
	return z;
}

void
wset_free(struct wset *z)
{
	if (z == NULL)
		return;
	free(z->t);
	free(z);
}

static int
wset_grow(struct wset *z)
{
	size_t cap = z->cap ? z->cap * 2 : 256, i, j;
	struct wslot *t = calloc(cap, sizeof *t);
	int shift = z->cap ? z->shift - 1 : 64 - 8;

	if (t == NULL)
		return -1;
	for (i = 0; i < z->cap; i++) {
		if (z->t[i].gen != z->gen)
			continue;
		for (j = z->t[i].hash >> shift; t[j].gen == z->gen;
		    j = (j + 1) & (cap - 1))
			;
		t[j] = z->t[i];
	}
	free(z->t);
	z->t = t;
	z->cap = cap;
	z->shift = shift;
	z->nmemo = 0;
	return 0;
}

/*
 * The slot of the word of hash h, in a table t of mask + 1 slots with room
 * for it; *added is 1 if the word is new. Inline, with the set's fields
 * passed in registers: it runs for each word of each record.
 */
static inline size_t
z_slot(struct wslot *t, size_t mask, int shift, uint32_t gen, uint64_t h,
    size_t *added)
{
	size_t j;

	for (j = h >> shift; t[j].hash != h || t[j].gen != gen;
	    j = (j + 1) & mask)
		if (t[j].gen != gen) {
			t[j].hash = h;
			t[j].rows = t[j].last = 0;
			t[j].gen = gen;
			++*added;
			break;
		}
	return j;
}

/* Counts the row (row1 less one) in slot j. */
static inline void
z_row(struct wslot *t, size_t j, uint16_t row1)
{
	if (t[j].last != row1) {
		t[j].last = row1;
		t[j].rows++;
	}
}

/* Counts the row in the slot of the word of hash h. 0, or -1. */
static int
z_hash(struct wset *z, uint64_t h)
{
	size_t added = 0;

	if (2 * (z->n + 1) > z->cap && wset_grow(z) == -1)
		return -1;
	z_row(z->t, z_slot(z->t, z->cap - 1, z->shift, z->gen, h, &added),
	    (uint16_t)(z->row + 1));
	z->n += added;
	return 0;
}

static int
z_word(void *arg, const char *word, size_t len)
{
	struct wset *z = arg;

	if (len >= PRE_LEN && z_hash(z, words_prefix_hash(z->w, word)) == -1)
		return -1;
	return z_hash(z, words_hash(z->w, word, len));
}

/*
 * The bits of 64 bytes at p: set for a letter, a digit, or a byte not
 * ASCII (which stops the words of ASCII, see wset_add); those of the
 * bytes not ASCII in *high.
 */
static inline uint64_t
bits64(const unsigned char *p, uint64_t *high)
{
	uint64_t m = 0, hm = 0;
	int i;

#ifdef __SSE2__
	for (i = 0; i < 64; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i y = _mm_or_si128(x, _mm_set1_epi8(0x20));
		__m128i d = _mm_and_si128(_mm_cmpgt_epi8(x,
		    _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x,
		    _mm_set1_epi8('9' + 1)));
		__m128i l = _mm_and_si128(_mm_cmpgt_epi8(y,
		    _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(y,
		    _mm_set1_epi8('z' + 1)));

		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(d,
		    l)) << i;
		hm |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << i;
	}
#else
	for (i = 0; i < 64; i++) {
		m |= (uint64_t)(cls[p[i]] & 1) << i;
		hm |= (uint64_t)(p[i] >> 7) << i;
	}
#endif
	*high = hm;
	return m | hm;
}

/*
 * msg copied to w->copy, zeros after it (past its last block and 8 bytes
 * more, for the loads of wset_add); the bits of its blocks in w->bits,
 * the first byte not ASCII in *high (len if none), the number of words
 * in *nword. The blocks' number, or 0 when out of memory.
 */
static size_t
split(struct words *w, const char *msg, size_t len, size_t *high,
    size_t *nword)
{
	size_t nw = len / 64 + 1, k;
	uint64_t hm, m, carry = 0;

	if (nw > w->room) {
		unsigned char *c = realloc(w->copy, 64 * nw + 8);
		uint64_t *b;

		if (c == NULL)
			return 0;
		w->copy = c;
		if ((b = realloc(w->bits, nw * sizeof *b)) == NULL)
			return 0;
		w->bits = b;
		w->room = nw;
	}
	memcpy(w->copy, msg, len);
	memset(w->copy + len, 0, 64 * nw + 8 - len);
	*high = len;
	*nword = 0;
	for (k = 0; k < nw; k++) {
		w->bits[k] = m = bits64(w->copy + 64 * k, &hm);
		if (hm != 0 && *high == len)
			*high = 64 * k + (size_t)__builtin_ctzll(hm);
		/* The words that start in the block. */
		*nword += (size_t)__builtin_popcountll(m & ~(m << 1 | carry));
		carry = m >> 63;
	}
	return nw;
}

/* A copy this many blocks long, of a huge message, is not kept. */
#define COPY_KEEP	1024

#define FOLD8	0x2020202020202020ULL

/* The bytes of a word shorter than 8, of the 8 read. */
static const uint64_t low[8] = { 0, 0xff, 0xffff, 0xffffff, 0xffffffff,
	0xffffffffffULL, 0xffffffffffffULL, 0xffffffffffffffULL };

int
wset_add(struct wset *z, struct words *w, unsigned row, const char *msg,
    size_t len)
{
	const unsigned char *c, *q;
	const uint64_t *bits;
	size_t nw, nword, b, e, n, k, high, mask, added = 0, wi = 0, j, pj;
	size_t nm;
	uint64_t x, y, h, v, seed = w->seed;
	uint16_t row1 = (uint16_t)(row + 1);
	struct wslot *t;
	struct memo *m;
	uint32_t gen;
	int shift, rc = 0;

	z->w = w;
	z->row = row;
	if ((nw = split(w, msg, len, &high, &nword)) == 0)
		return -1;
	/* Room for each word and its prefix, then the table's fields in
	 * registers. */
	while (2 * (z->n + 2 * nword) > z->cap)
		if (wset_grow(z) == -1)
			return -1;
	t = z->t;
	mask = z->cap - 1;
	shift = z->shift;
	gen = z->gen;
	nm = z->nmemo;		/* after the table grew: then none */
	c = w->copy;
	bits = w->bits;
	/*
	 * The words of ASCII, up to the one a byte not ASCII is in (or one
	 * longer than FTS5 keeps): folded as they are read, a letter or a
	 * digit has the bit 0x20 once folded. Each word is a run of bits:
	 * the zeros after the last block's bytes end the last one.
	 */
	for (k = 0, x = bits[0];; wi++) {
		while (x == 0)
			if (++k == nw)
				goto done;
			else
				x = bits[k];
		b = 64 * k + (size_t)__builtin_ctzll(x);
		for (y = ~bits[k] & ~0ULL << (b & 63); y == 0; y = ~bits[++k])
			;
		e = 64 * k + (size_t)__builtin_ctzll(y);
		x = bits[k] & ~0ULL << (e & 63);
		if (e > high || (n = e - b) > WORD_MAX) {
			z->n += added;
			added = 0;
			rc = words_each(w, (const char *)c + b, len - b,
			    z_word, z) != 0 ? -1 : 0;
			nm = 0;		/* the table may have grown */
			break;
		}
		q = c + b;
		v = le64(q) | FOLD8;
		if (n < 8)
			v &= low[n];
		if (wi < nm && z->memo[wi].n == n && z->memo[wi].v == v) {
			/* The word of the last row in this place. */
			m = &z->memo[wi];
			if (n >= PRE_LEN)
				z_row(t, m->pslot, row1);
			z_row(t, m->slot, row1);
			continue;
		}
		pj = 0;
		if (n >= PRE_LEN) {
			pj = z_slot(t, mask, shift, gen, prefix_hash(seed,
			    (uint32_t)v), &added);
			z_row(t, pj, row1);
		}
		h = mix8(seed, v);
		for (k = 8; k < n; k += 8)
			h = mix8(h, (le64(q + k) | FOLD8) & (n - k >= 8 ?
			    ~0ULL : ~0ULL >> (64 - 8 * (n - k))));
		j = z_slot(t, mask, shift, gen, hash_end(h, n), &added);
		z_row(t, j, row1);
		k = e >> 6;
		if (wi < MEMO) {
			m = &z->memo[wi];
			m->n = n <= 8 ? (uint32_t)n : 0;
			m->v = v;
			m->slot = (uint32_t)j;
			m->pslot = (uint32_t)pj;
			if (wi >= nm)
				nm = wi + 1;
		}
	}
done:
	z->n += added;
	z->nmemo = (unsigned)nm;
	if (w->room > COPY_KEEP) {
		free(w->copy);
		free(w->bits);
		w->copy = NULL;
		w->bits = NULL;
		w->room = 0;
	}
	return rc;
}

void *
wset_blob(struct wset *z, size_t *len)
{
	unsigned char *b, *c;
	size_t i, k;

	/* In place: the slots in use first, in the order of their hash
	 * (an insertion sort: they are nearly so). */
	for (i = k = 0; i < z->cap; i++) {
		struct wslot v;
		size_t j;

		if (z->t[i].gen != z->gen)
			continue;
		v = z->t[i];
		for (j = k++; j > 0 && z->t[j - 1].hash > v.hash; j--)
			z->t[j] = z->t[j - 1];
		z->t[j] = v;
	}
	*len = 10 * k;
	if ((b = malloc(*len ? *len : 1)) == NULL)
		return NULL;
	for (i = 0, c = b; i < k; i++, c += 8)
		put64(c, z->t[i].hash);
	for (i = 0; i < k; i++, c += 2) {
		c[0] = (unsigned char)z->t[i].rows;
		c[1] = (unsigned char)(z->t[i].rows >> 8);
	}
	wset_clear(z);
	return b;
}

/* A set that grew past this many slots (a block of huge messages) gives
 * its room back when emptied. */
#define WSET_KEEP	65536

void
wset_clear(struct wset *z)
{
	z->nmemo = 0;
	if (z->cap > WSET_KEEP) {
		free(z->t);
		z->t = NULL;
		z->cap = 0;
	} else if (z->n > 0 && ++z->gen == 0) {
		memset(z->t, 0, z->cap * sizeof *z->t);
		z->gen = 1;
	}
	z->n = 0;
}

/* ---- SQL ---- */

/* The query of argument 1, compiled once per statement; NULL if none. */
static struct wq *
sql_query(sqlite3_context *ctx, sqlite3_value **argv)
{
	struct wq *q = sqlite3_get_auxdata(ctx, 1);
	const char *m;

	if (q != NULL)
		return q;
	if ((m = (const char *)sqlite3_value_text(argv[1])) == NULL)
		return NULL;
	if ((q = wq_new(sqlite3_user_data(ctx), m)) == NULL)
		sqlite3_result_error_nomem(ctx);
	return q;
}

/* Keeps q for the next row (SQLite may free it at once). */
static void
sql_keep(sqlite3_context *ctx, struct wq *q)
{
	if (sqlite3_get_auxdata(ctx, 1) != q)
		sqlite3_set_auxdata(ctx, 1, q, (void (*)(void *))wq_free);
}

static void
sql_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct wq *q = sql_query(ctx, argv);
	const char *t;
	int r;

	(void)argc;
	if (q == NULL)
		return;
	t = (const char *)sqlite3_value_text(argv[0]);
	r = t != NULL && wq_match(q, t, (size_t)sqlite3_value_bytes(argv[0]));
	if (q->oom) {
		q->oom = 0;
		sqlite3_result_error_nomem(ctx);
	} else
		sqlite3_result_int(ctx, r);
	sql_keep(ctx, q);
}

static void
sql_zone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct wq *q;
	const void *b;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_int(ctx, 1);	/* no index: maybe */
		return;
	}
	if ((q = sql_query(ctx, argv)) == NULL)
		return;
	b = sqlite3_value_blob(argv[0]);
	sqlite3_result_int(ctx, wq_zone(q, b,
	    (size_t)sqlite3_value_bytes(argv[0])));
	sql_keep(ctx, q);
}

int
words_sql(struct words *w, sqlite3 *db)
{
	if (sqlite3_create_function(db, "kr_match", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, w, sql_match, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "kr_zone", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, w, sql_zone, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}
