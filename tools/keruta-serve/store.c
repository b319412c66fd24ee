/*
 * store.c: which store a server keeps its records in. A file name means
 * SQLite (store_sq.c), the embedded default; a PostgreSQL connection
 * string (a postgres:// or postgresql:// URI, or "key=value ..." as libpq
 * reads it) means PostgreSQL (store_pg.c), which several servers share.
 * Each function here hands the call to the one or the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_pg.h"
#include "store_sq.h"

struct store {
	struct sq *sq;
	struct pg *pg;		/* or this one */
};

int
store_is_pg(const char *db)
{
	size_t n = strspn(db, "abcdefghijklmnopqrstuvwxyz_");

	return strncmp(db, "postgres://", 11) == 0 ||
	    strncmp(db, "postgresql://", 13) == 0 ||
	    (n > 0 && db[n + strspn(db + n, " ")] == '=');
}

int
store_open(struct store **sp, const char *path, char *err, size_t elen)
{
	struct store *s;
	int rc;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, elen, "out of memory");
		return -1;
	}
	rc = store_is_pg(path) ? pg_open(&s->pg, path, err, elen) :
	    sq_open(&s->sq, path, err, elen);
	if (rc != 0) {
		free(s);
		return rc;
	}
	*sp = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->pg != NULL)
		pg_close(s->pg);
	else
		sq_close(s->sq);
	free(s);
}

void
store_setup(void)
{
	sq_setup();
}

int
store_shared(const struct store *s)
{
	return s->pg != NULL;
}

int
store_changes(struct store *s, change_fn fn, void *arg)
{
	return s->pg != NULL ? pg_changes(s->pg, fn, arg) : 0;
}

int
store_partition(struct store *s, long long span_ns)
{
	return s->pg != NULL ? pg_partition(s->pg, span_ns) : 0;
}

void
filter_free(struct filter *f)
{
	free(f->match);
	f->match = NULL;
}

struct memo *
memo_get(struct memos *ms, long long tid, const struct filter *f,
    long long after)
{
	struct kr_buf key = KR_BUF_INIT(1 << 16);
	struct memo *m;
	int i;

	kr_buf_printf(&key, "%lld %lld %x %d %lld %d %lld %d", tid, after,
	    f->levels, f->has_from, f->from, f->has_to, f->to, f->nsources);
	for (i = 0; i < f->nsources; i++)
		kr_buf_printf(&key, " %zu:%s", strlen(f->sources[i]),
		    f->sources[i]);
	kr_buf_printf(&key, " %s", f->match ? f->match : "");
	if (key.s == NULL) {
		kr_buf_free(&key);
		return NULL;
	}
	for (i = 0; i < NMEMO; i++)
		if (ms->m[i].key != NULL && strcmp(ms->m[i].key, key.s) == 0)
			break;
	if (i < NMEMO) {
		m = &ms->m[i];
		kr_buf_free(&key);
	} else {
		m = &ms->m[0];
		for (i = 1; i < NMEMO; i++)
			if (ms->m[i].used < m->used)
				m = &ms->m[i];
		free(m->key);
		m->key = key.s;
		m->upto = m->n = 0;
		m->gen = -1;
	}
	m->used = ++ms->clock;
	return m;
}

void
memo_forget(struct memos *ms)
{
	int i;

	for (i = 0; i < NMEMO; i++) {
		free(ms->m[i].key);
		ms->m[i].key = NULL;
	}
}

long long
store_task(struct store *s, const char *name, int create)
{
	return s->pg != NULL ? pg_task(s->pg, name, create) :
	    sq_task(s->sq, name, create);
}

int
store_insert(struct store *s, const char *task, struct batch *b,
    size_t *stored, size_t *dups)
{
	return s->pg != NULL ? pg_insert(s->pg, task, b, stored, dups) :
	    sq_insert(s->sq, task, b, stored, dups);
}

int
store_commit(struct store *s)
{
	return s->pg != NULL ? pg_commit(s->pg) : sq_commit(s->sq);
}

int
store_set_sync(struct store *s, int full)
{
	return s->pg != NULL ? pg_set_sync(s->pg, full) :
	    sq_set_sync(s->sq, full);
}

/* PostgreSQL's COMMIT is on disk when it returns: nothing is left. */
void
store_set_wake(struct store *s, void (*wake)(void *), void *arg)
{
	if (s->pg == NULL)
		sq_set_wake(s->sq, wake, arg);
}

unsigned long long
store_sync_gen(const struct store *s)
{
	return s->pg != NULL ? 0 : sq_sync_gen(s->sq);
}

long long
store_synced(struct store *s)
{
	return s->pg != NULL ? 0 : sq_synced(s->sq);
}

int
store_sync_now(struct store *s)
{
	return s->pg != NULL ? 0 : sq_sync_now(s->sq);
}

int
store_set_cache(struct store *s, size_t bytes)
{
	/* PostgreSQL's cache is its own (shared_buffers). */
	return s->pg != NULL ? 0 : sq_set_cache(s->sq, bytes);
}

int
store_check(struct store *s)
{
	return s->pg != NULL ? pg_check(s->pg) : sq_check(s->sq);
}

const char *
store_problem(const struct store *s, int *down)
{
	return s->pg != NULL ? pg_problem(s->pg, down) :
	    sq_problem(s->sq, down);
}

int
store_lost(struct store *s)
{
	return s->pg != NULL ? pg_lost(s->pg) : sq_lost(s->sq);
}

unsigned long long
store_commits(const struct store *s)
{
	return s->pg != NULL ? pg_commits(s->pg) : sq_commits(s->sq);
}

int
store_in_txn(const struct store *s)
{
	return s->pg != NULL ? pg_in_txn(s->pg) : sq_in_txn(s->sq);
}

long long
store_find(struct store *s, long long tid, const char *run,
    size_t runlen, long long seq)
{
	return s->pg != NULL ? pg_find(s->pg, tid, run, runlen, seq) :
	    sq_find(s->sq, tid, run, runlen, seq);
}

long long
store_max_seq(struct store *s, long long tid, const char *run,
    size_t runlen)
{
	return s->pg != NULL ? pg_max_seq(s->pg, tid, run, runlen) :
	    sq_max_seq(s->sq, tid, run, runlen);
}

int
store_fts_step(struct store *s, long long max)
{
	return s->pg != NULL ? pg_fts_step(s->pg, max) :
	    sq_fts_step(s->sq, max);
}

long long
store_fts_lag(const struct store *s)
{
	return s->pg != NULL ? pg_fts_lag(s->pg) : sq_fts_lag(s->sq);
}

int
store_cursor_step(struct store *s, struct cursor *c, row_fmt fmt,
    void *arg, struct kr_buf *out)
{
	return s->pg != NULL ? pg_cursor_step(s->pg, c, fmt, arg, out) :
	    sq_cursor_step(s->sq, c, fmt, arg, out);
}

long long
store_search(struct store *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before,
    long long size, row_fmt fmt, void *arg, struct kr_buf *out,
    long long *last)
{
	if (s->pg != NULL)
		return pg_search(s->pg, task, prefix, f, after, before, size,
		    fmt, arg, out, last);
	return sq_search(s->sq, task, prefix, f, after, before, size, fmt,
	    arg, out, last);
}

long long
store_count(struct store *s, long long tid, const struct filter *f,
    long long after)
{
	return s->pg != NULL ? pg_count(s->pg, tid, f, after) :
	    sq_count(s->sq, tid, f, after);
}

long long
store_delete(struct store *s, long long tid, long long before)
{
	return s->pg != NULL ? pg_delete(s->pg, tid, before) :
	    sq_delete(s->sq, tid, before);
}

long long
store_expire(struct store *s, long long cutoff, long long max)
{
	return s->pg != NULL ? pg_expire(s->pg, cutoff, max) :
	    sq_expire(s->sq, cutoff, max);
}

int
store_counts(struct store *s, long long tid, count_fn fn, void *arg)
{
	return s->pg != NULL ? pg_counts(s->pg, tid, fn, arg) :
	    sq_counts(s->sq, tid, fn, arg);
}

int
store_tasks(struct store *s, const char *only, task_fn fn, void *arg)
{
	return s->pg != NULL ? pg_tasks(s->pg, only, fn, arg) :
	    sq_tasks(s->sq, only, fn, arg);
}

long long
store_size(struct store *s)
{
	return s->pg != NULL ? pg_size(s->pg) : sq_size(s->sq);
}

long long
store_cache(struct store *s)
{
	return s->pg != NULL ? 0 : sq_cache(s->sq);
}

long long
store_rewrite(struct store *s, const struct scope *sc,
    long long *from, long long upto, long long max, rewrite_fn fn,
    void *arg, long long *changed, rewritten_fn done, void *darg)
{
	if (s->pg != NULL)
		return pg_rewrite(s->pg, sc, from, upto, max, fn, arg, changed,
		    done, darg);
	return sq_rewrite(s->sq, sc, from, upto, max, fn, arg, changed, done,
	    darg);
}

long long
store_last_id(const struct store *s)
{
	return s->pg != NULL ? pg_last_id(s->pg) : sq_last_id(s->sq);
}

int
store_purge_step(struct store *s)
{
	return s->pg != NULL ? pg_purge_step(s->pg) : sq_purge_step(s->sq);
}

long long
store_redaction_new(struct store *s, const char *who,
    const char *scope_json)
{
	return s->pg != NULL ? pg_redaction_new(s->pg, who, scope_json) :
	    sq_redaction_new(s->sq, who, scope_json);
}

int
store_redaction_set(struct store *s, long long id, const char *state,
    long long scanned, long long changed)
{
	return s->pg != NULL ? pg_redaction_set(s->pg, id, state, scanned, changed) :
	    sq_redaction_set(s->sq, id, state, scanned, changed);
}

int
store_redactions(struct store *s, long long id, redaction_fn fn,
    void *arg)
{
	return s->pg != NULL ? pg_redactions(s->pg, id, fn, arg) :
	    sq_redactions(s->sq, id, fn, arg);
}
