/*
 * words.h: the words q= looks for, and the SQLite store's index of them.
 *
 * A word is what SQLite's unicode61 tokenizer makes of a text: a run of
 * letters and digits, its case and accents folded. Text in ASCII is split
 * here, the rest by the tokenizer itself (through the FTS5 API), so that
 * every word is the same as the one FTS5 made of it.
 *
 * The index is one set per zone (a task's rows in a block of 1024 ids):
 * each word's 64-bit hash (keyed by the database's own seed) and the
 * number of rows that hold it; and for the words of 4 bytes or more, the
 * same of their first 4 bytes as a prefix (hashed apart from the word of
 * those 4 bytes), for queries of a prefix. Stored as a blob, hashes in
 * ascending order, then the counts:
 *
 *	u64 hash[n] (little-endian), u16 rows[n] (little-endian)
 */
#ifndef KR_SERVE_WORDS_H
#define KR_SERVE_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct words;
struct wq;
struct wset;

/*
 * The tokenizer of db, with the hash key seed. 0, or -1 (no FTS5 in this
 * SQLite, or out of memory).
 */
int words_open(struct words **wp, sqlite3 *db, uint64_t seed);
void words_close(struct words *w);

/*
 * Calls fn on each word of s[0..n), folded and cut to 32768 bytes (as
 * FTS5 cuts them), in order; stops at the first fn that does not return
 * 0 and returns what it returned. NUL bytes separate words like any
 * other character that is no letter or digit.
 */
typedef int (*word_fn)(void *arg, const char *word, size_t len);
int words_each(struct words *w, const char *s, size_t n, word_fn fn,
    void *arg);

/* The hash of a folded word, under the key of w. */
uint64_t words_hash(const struct words *w, const char *word, size_t len);
/*
 * The hash of the first 4 bytes of a folded word of 4 bytes or more, as
 * a prefix: apart from the hash of the word of those 4 bytes.
 */
uint64_t words_prefix_hash(const struct words *w, const char *word);

/*
 * A query of q= in the store's syntax (store.h: filter.match): words in
 * double quotes ("" for a quote), separated by spaces, each that ends in
 * '*' after its quote a prefix. A message matches when every word is in
 * it: a word that splits into several (a-b) as those in a row, a prefix
 * one's last part as a prefix. Words with no letter or digit are left
 * out, and a query of only those matches nothing: as FTS5 did. NULL when
 * out of memory.
 */
struct wq *wq_new(struct words *w, const char *match);
void wq_free(struct wq *q);
int wq_match(struct wq *q, const char *msg, size_t len);
/* 0 if a zone's index (blob, len) rules out every row; 1 if it may not. */
int wq_zone(const struct wq *q, const void *blob, size_t len);
/*
 * When every word of q is one word of one part, not a prefix, or a prefix
 * of 4 bytes: their hashes (max at most), and their number; else -1. The
 * rows of a zone that hold one such word are counted by its index alone
 * (wset_blob_rows).
 */
int wq_words(const struct wq *q, uint64_t *hash, int max);

/* The rows of a zone's index (blob, len) that hold the word of hash. */
long long wset_blob_rows(const void *blob, size_t len, uint64_t hash);

/* A zone's set, built a row at a time. */
struct wset *wset_new(void);
void wset_free(struct wset *z);
/* Adds the words of the row (its id within the block) to z. 0, or -1. */
int wset_add(struct wset *z, struct words *w, unsigned row,
    const char *msg, size_t len);
/*
 * The blob of z (malloc'd; *len its size; NULL when out of memory); z is
 * empty again, as after wset_clear.
 */
void *wset_blob(struct wset *z, size_t *len);
void wset_clear(struct wset *z);

/*
 * Makes kr_match(message, match) and kr_zone(blob, match) SQL functions of
 * db: wq_match and wq_zone, each query compiled once per statement.
 */
int words_sql(struct words *w, sqlite3 *db);

#endif
