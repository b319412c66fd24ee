/*
 * store_sq.h: the SQLite store (store_sq.c), called through store.c; each
 * function does what store.h says of its store_ namesake.
 */
#ifndef STORE_SQ_H
#define STORE_SQ_H

#include "store.h"

struct sq;

int sq_open(struct sq **sp, const char *path, char *err, size_t elen);
void sq_close(struct sq *s);
long long sq_task(struct sq *s, const char *name, int create);
int sq_insert(struct sq *s, const char *task, struct batch *b,
    size_t *stored, size_t *dups);
int sq_commit(struct sq *s);
int sq_set_sync(struct sq *s, int full);
void sq_set_wake(struct sq *s, void (*wake)(void *), void *arg);
unsigned long long sq_sync_gen(const struct sq *s);
long long sq_synced(struct sq *s);
int sq_sync_now(struct sq *s);
int sq_set_cache(struct sq *s, size_t bytes);
int sq_check(struct sq *s);
const char *sq_problem(const struct sq *s, int *down);
int sq_lost(struct sq *s);
unsigned long long sq_commits(const struct sq *s);
int sq_in_txn(const struct sq *s);
long long sq_find(struct sq *s, long long tid, const char *run,
    size_t runlen, long long seq);
long long sq_max_seq(struct sq *s, long long tid, const char *run,
    size_t runlen);
int sq_fts_step(struct sq *s, long long max);
long long sq_fts_lag(const struct sq *s);
int sq_cursor_step(struct sq *s, struct cursor *c, row_fmt fmt,
    void *arg, struct kr_buf *out);
long long sq_search(struct sq *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before,
    long long size, row_fmt fmt, void *arg, struct kr_buf *out,
    long long *last);
long long sq_count(struct sq *s, long long tid, const struct filter *f,
    long long after);
long long sq_delete(struct sq *s, long long tid, long long before);
long long sq_expire(struct sq *s, long long cutoff, long long max);
int sq_counts(struct sq *s, long long tid, count_fn fn, void *arg);
int sq_tasks(struct sq *s, const char *only, task_fn fn, void *arg);
long long sq_size(struct sq *s);
long long sq_cache(struct sq *s);
long long sq_rewrite(struct sq *s, const struct scope *sc,
    long long *from, long long upto, long long max, rewrite_fn fn,
    void *arg, long long *changed, rewritten_fn done, void *darg);
long long sq_last_id(const struct sq *s);
int sq_purge_step(struct sq *s);
long long sq_redaction_new(struct sq *s, const char *who,
    const char *scope_json);
int sq_redaction_set(struct sq *s, long long id, const char *state,
    long long scanned, long long changed);
int sq_redactions(struct sq *s, long long id, redaction_fn fn,
    void *arg);
void sq_setup(void);

#endif
