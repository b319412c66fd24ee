/*
 * store.h: the storage interface. Callers see an opaque struct store and
 * these functions; behind them, SQLite (store_sq.c) or PostgreSQL
 * (store_pg.c), as store.c chooses by the name of the database.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include "kr_buf.h"
#include "rec.h"

#define SRV_NSOURCES	16	/* source= values in one query */

struct store;

struct filter {
	unsigned levels;	/* bitmask of levels; 0: all */
	char sources[SRV_NSOURCES][SRV_SOURCE_MAX + 1];
	int nsources;
	long long from, to;	/* ns; to is exclusive; 0: unset */
	int has_from, has_to;
	/* The words of q=, each in double quotes (a quote in it doubled), a
	 * prefix followed by *: FTS5's syntax, which store_pg.c reads too.
	 * malloc'd, or NULL. */
	char *match;
};

/*
 * Counts that took reading the rows, remembered for the next pages of the
 * same query: rows are added to a task above its highest id, so the next
 * count reads those above upto only. Each store says when one no longer
 * holds (deletions, and on PostgreSQL, gen).
 */
#define NMEMO		16
struct memo {
	char *key;		/* the task and query, as text; NULL: free */
	long long upto;		/* counted among the ids up to this one */
	long long n;
	long long gen;		/* what the store tells changes by; -1: new */
	unsigned long long used;
};
struct memos {
	struct memo m[NMEMO];
	unsigned long long clock;
};

struct cursor {
	char task[SRV_ID_MAX + 1];
	long long tid;		/* task id in the store; 0: unknown task */
	struct filter f;
	long long after;	/* only ids > after */
	long long last;		/* keyset position: last id seen */
	long long offset;	/* rows to skip at the start */
	long long remaining;	/* rows still wanted; -1: all */
	int desc;
	int started, done;
};

/*
 * Opens (creates) the database at path and checks its pages. 0; or -1
 * (a system error: a retry may do) or -2 (not a database, or a damaged
 * one) with err filled in.
 */
int store_open(struct store **sp, const char *path, char *err, size_t elen);
void store_close(struct store *s);
/* The id of task name, creating it when create; 0 if absent, -1 on error. */
long long store_task(struct store *s, const char *name, int create);
/*
 * Stores a batch (its rows get their ids) in the open transaction, which
 * it opens if need be. 0, or -1 (nothing of the batch stored; the rest of
 * the transaction is kept).
 */
int store_insert(struct store *s, const char *task, struct batch *b,
    size_t *stored, size_t *dups);
/* Commits the open transaction, if any. 0, or -1 (all of it lost). */
int store_commit(struct store *s);
/*
 * full: each commit is on disk (fdatasync of the WAL) before it returns,
 * so an ack survives a power cut; otherwise only a crash of the process.
 * 0, or -1.
 */
int store_set_sync(struct store *s, int full);
/*
 * With full on SQLite, store_commit leaves the commit's sync to a thread
 * of its own: the commit is on disk once store_synced reaches the number
 * store_sync_gen gave right after it. store_synced: -1 (errno) once a
 * sync failed; store_sync_now syncs in the calling thread (0, or -1).
 * wake(arg) is called from that thread after each sync. On PostgreSQL,
 * and with full off, nothing is left: both numbers stay equal.
 */
void store_set_wake(struct store *s, void (*wake)(void *), void *arg);
unsigned long long store_sync_gen(const struct store *s);
long long store_synced(struct store *s);
int store_sync_now(struct store *s);
/* At most bytes for SQLite's page cache (PostgreSQL: nothing). 0, or -1. */
int store_set_cache(struct store *s, size_t bytes);
/*
 * Sees that the database file and its WAL are still those opened (by
 * device and inode): once either was removed or replaced, what is
 * committed would not survive a restart, so it warns once and refuses
 * every write from then on. 0, or -1 when gone.
 */
int store_check(struct store *s);
/*
 * NULL when the store is fine; else what is wrong, for /health, with
 * *down 1 when it will not get better by itself, 2 when the database is
 * out of reach for now (the server tries again each second), else 0.
 */
const char *store_problem(const struct store *s, int *down);
/* 1 once if a commit failed since the last call. */
int store_lost(struct store *s);
unsigned long long store_commits(const struct store *s);
int store_in_txn(const struct store *s);
/* The id of the stored (task, run, seq) record, or 0. */
long long store_find(struct store *s, long long tid, const char *run,
    size_t runlen, long long seq);
/* Highest stored seq of a run, 0 when none. */
long long store_max_seq(struct store *s, long long tid, const char *run,
    size_t runlen);
/* Brings the full-text index up to date, in steps of at most max rows
 * (0: all). Returns 1 when more remain. */
int store_fts_step(struct store *s, long long max);
/* Rows the full-text index is behind. */
long long store_fts_lag(const struct store *s);
/*
 * Runs one step of a cursor: formats up to a few hundred records with fmt
 * into out (first: the first record of the cursor). Returns the number
 * of rows, -1 on error; sets c->done.
 */
typedef int (*row_fmt)(struct kr_buf *out, const struct srec *r, int first,
    void *arg);
int store_cursor_step(struct store *s, struct cursor *c, row_fmt fmt,
    void *arg, struct kr_buf *out);
/*
 * Records of every task (of task only, or of the tasks whose name begins
 * with task when prefix), newest first: those f selects with ids between
 * after and before (0: no bound), up to size of them, each formatted
 * with fmt into out. The number of rows, or -1; *last is the id of the
 * last (oldest) one.
 */
long long store_search(struct store *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before,
    long long size, row_fmt fmt, void *arg, struct kr_buf *out,
    long long *last);
/* The number of records a filter selects. */
long long store_count(struct store *s, long long tid, const struct filter *f,
    long long after);
/* Deletes a task's records with ts < before (0: all). -1 on error. */
long long store_delete(struct store *s, long long tid, long long before);
/* Deletes up to max records older than cutoff; returns how many. */
long long store_expire(struct store *s, long long cutoff, long long max);
/* One count of a task's records: of a level, from a source (of srclen
 * bytes, NUL-terminated, a NUL in it possible). */
typedef int (*count_fn)(void *arg, int level, const char *source,
    size_t srclen, long long n);
/*
 * Calls fn for each count of task tid, in the order of their sources. 0,
 * or -1 on error.
 */
int store_counts(struct store *s, long long tid, count_fn fn, void *arg);

/* A task, with what its records add up to. */
struct task_info {
	const char *name;
	size_t namelen;
	long long count, errors;	/* records, and those ERROR or FATAL */
	const char *first_ts, *last_ts;	/* as they came; NULL: none */
	size_t first_len, last_len;
	long long last_activity;	/* ns since the epoch */
	int exited;			/* its agent said it exited */
	long long exit_code;
};
typedef int (*task_fn)(void *arg, const struct task_info *t);
/*
 * Calls fn for each task (only the task named only, when not NULL), the
 * most recently active first. 0, or -1 on error.
 */
int store_tasks(struct store *s, const char *only, task_fn fn, void *arg);
long long store_size(struct store *s);
/* The memory the store's page cache holds in this process (SQLite's; 0
 * on PostgreSQL, whose cache is its own). */
long long store_cache(struct store *s);
void filter_free(struct filter *f);

/* The count remembered of task tid's rows that match f above after; a
 * new one, counting nothing yet, when there is none (the least recently
 * used goes). NULL when out of memory. */
struct memo *memo_get(struct memos *ms, long long tid, const struct filter *f,
    long long after);
/* Forgets every count. */
void memo_forget(struct memos *ms);

/* ---- a value found after the fact, scrubbed from what is stored ---- */

/* Which tasks a rewrite covers: all, one, or those whose name begins so. */
enum { SC_ALL, SC_TASK, SC_PREFIX };
struct scope {
	int kind;
	char name[SRV_ID_MAX + 1];
};
/*
 * A record's text, rewritten: 1 with the new message and the new extra
 * members (JSON text, as stored) in nmsg and nextra, 0 when it stays, -1
 * on error.
 */
typedef int (*rewrite_fn)(void *arg, const char *msg, size_t msglen,
    const char *extra, size_t extralen, struct kr_buf *nmsg,
    struct kr_buf *nextra);
/* A record rewritten: its id and its task's store id. */
typedef void (*rewritten_fn)(void *arg, long long id, long long tid);
/*
 * Offers fn the records of sc with ids in (*from, upto], up to max of
 * them, in one transaction; the full-text index follows what changed,
 * and what is overwritten is overwritten with zeros in the file (SQLite's
 * secure_delete). Advances *from; adds the rows changed to *changed and
 * tells done of each. The rows looked at, or -1 (nothing changed).
 */
long long store_rewrite(struct store *s, const struct scope *sc,
    long long *from, long long upto, long long max, rewrite_fn fn,
    void *arg, long long *changed, rewritten_fn done, void *darg);
/* The highest record id handed out. */
long long store_last_id(const struct store *s);
/*
 * After rewrites, one bounded step of getting the old text out of the
 * files: the full-text index merged until no segment holds a replaced
 * entry, then the WAL checkpointed and truncated. 1 while more is to
 * do, 0 when done, -1 on error.
 */
int store_purge_step(struct store *s);

/* A redaction, as kept for the audit (never the values). */
struct redaction_info {
	long long id;
	const char *created, *who, *scope, *state, *finished;
	long long scanned, changed;
};
typedef int (*redaction_fn)(void *arg, const struct redaction_info *r);
/* A new audit entry, state "running": its id, or -1. */
long long store_redaction_new(struct store *s, const char *who,
    const char *scope_json);
/* Its progress and state ("running", "done", "failed", "interrupted"). */
int store_redaction_set(struct store *s, long long id, const char *state,
    long long scanned, long long changed);
/* Calls fn for redaction id (0: every one, newest first). 0, or -1. */
int store_redactions(struct store *s, long long id, redaction_fn fn,
    void *arg);

/*
 * Several servers share the store (PostgreSQL): live records reach the
 * viewers through store_changes, for the records of every server, not
 * from this server's ingest straight away.
 */
int store_shared(const struct store *s);
/* Task tid has new records up to id top; (0, 0): any task may have. */
typedef void (*change_fn)(void *arg, long long tid, long long top);
/*
 * Calls fn for each task with new records since the last call, this
 * server's committed ones and those other servers told of. The number
 * of calls.
 */
int store_changes(struct store *s, change_fn fn, void *arg);

/*
 * On PostgreSQL, the records are partitioned by the time they came: a
 * partition spans span_ns (a day unless told), and retention drops whole
 * partitions. Nothing on SQLite. 0, or -1.
 */
int store_partition(struct store *s, long long span_ns);

/* Sets the library up, before anything else: once, at start. */
void store_setup(void);
/* 1 when db names a PostgreSQL database rather than a file. */
int store_is_pg(const char *db);

#endif
