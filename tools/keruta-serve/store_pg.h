/*
 * store_pg.h: the PostgreSQL store (store_pg.c), called through store.c; each
 * function does what store.h says of its store_ namesake.
 */
#ifndef STORE_PG_H
#define STORE_PG_H

#include "store.h"

struct pg;

int pg_open(struct pg **sp, const char *path, char *err, size_t elen);
void pg_close(struct pg *s);
long long pg_task(struct pg *s, const char *name, int create);
int pg_insert(struct pg *s, const char *task, struct batch *b,
    size_t *stored, size_t *dups);
int pg_commit(struct pg *s);
int pg_set_sync(struct pg *s, int full);
int pg_check(struct pg *s);
const char *pg_problem(const struct pg *s, int *down);
int pg_lost(struct pg *s);
unsigned long long pg_commits(const struct pg *s);
int pg_in_txn(const struct pg *s);
long long pg_find(struct pg *s, long long tid, const char *run,
    size_t runlen, long long seq);
long long pg_max_seq(struct pg *s, long long tid, const char *run,
    size_t runlen);
int pg_fts_step(struct pg *s, long long max);
long long pg_fts_lag(const struct pg *s);
int pg_cursor_step(struct pg *s, struct cursor *c, row_fmt fmt,
    void *arg, struct kr_buf *out);
long long pg_search(struct pg *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before,
    long long size, row_fmt fmt, void *arg, struct kr_buf *out,
    long long *last);
long long pg_count(struct pg *s, long long tid, const struct filter *f,
    long long after);
long long pg_delete(struct pg *s, long long tid, long long before);
long long pg_expire(struct pg *s, long long cutoff, long long max);
int pg_counts(struct pg *s, long long tid, count_fn fn, void *arg);
int pg_tasks(struct pg *s, const char *only, task_fn fn, void *arg);
long long pg_size(struct pg *s);
long long pg_rewrite(struct pg *s, const struct scope *sc,
    long long *from, long long upto, long long max, rewrite_fn fn,
    void *arg, long long *changed, rewritten_fn done, void *darg);
long long pg_last_id(const struct pg *s);
int pg_purge_step(struct pg *s);
long long pg_redaction_new(struct pg *s, const char *who,
    const char *scope_json);
int pg_redaction_set(struct pg *s, long long id, const char *state,
    long long scanned, long long changed);
int pg_redactions(struct pg *s, long long id, redaction_fn fn,
    void *arg);
int pg_changes(struct pg *s, change_fn fn, void *arg);
int pg_partition(struct pg *s, long long span_ns);

#endif
