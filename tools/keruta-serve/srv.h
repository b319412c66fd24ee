/* srv.h: declarations shared by the parts of keruta-serve. */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>

#include <cJSON.h>
#include <libwebsockets.h>
#include <sqlite3.h>

#include "kr_buf.h"
#include "commit.h"
#include "feed.h"
#include "fts.h"
#include "metrics.h"

#define SRV_ID_MAX	128	/* taskId and runId, bytes */
#define SRV_SOURCE_MAX	64
#define SRV_NSOURCES	16	/* source= values in one query */
#define SRV_CHUNK	256	/* rows per cursor step */

/* ---- records (rec.c) ---- */

/*
 * One record on its way into the store. Its strings live in the batch's
 * arena, with their lengths: they may hold NUL characters.
 */
struct row {
	const char *run;	/* NULL: none */
	size_t runlen;
	long long seq;		/* 0: none */
	long long ts;		/* ns since the epoch */
	const char *tsstr;
	size_t tslen;
	int level;
	const char *source;
	size_t srclen;
	const char *msg;
	size_t msglen;
	const char *extra;	/* the other members, as JSON text; or NULL */
	size_t extralen;
	const char *task;	/* the record's own taskId; or NULL */
	size_t tasklen;
	int event;		/* 0, or EV_START / EV_EXIT for agent records */
	long long exit_code;
	long long id;		/* out: server id, 0 for a duplicate */
	const char *code;	/* a refused record: the error code */
	const char *why;	/* and the message */
	/* Arena offsets while the batch is parsed (0: none). */
	size_t o_run, o_ts, o_src, o_msg, o_extra, o_task, o_why;
};
enum { EV_START = 1, EV_EXIT = 2 };

struct batch {
	struct row *rows;
	size_t n, cap;
	size_t nbad;		/* rows refused (BP_EACH) */
	struct kr_buf arena;
	struct kr_buf key, xtra;	/* scratch */
};

/* An error to report: an HTTP status, a code and a message. */
struct srv_err {
	int status;
	const char *code;
	char msg[200];
};

void batch_init(struct batch *b);
void batch_reset(struct batch *b);
void batch_free(struct batch *b);
enum { BP_NDJSON = 1, BP_EACH = 2, BP_UTF8_OK = 4 };
/*
 * Parses a body: one object, an array of objects, or with BP_NDJSON one
 * object or array per line. *single is set when it was one bare object.
 * Without BP_EACH, any invalid record refuses the whole body; with it, an
 * invalid record is kept as a refused row (code and why set) and the rest
 * goes on. BP_UTF8_OK: s is known to be UTF-8 already. 0, or -1 with e
 * filled in (the batch is then empty).
 */
int batch_parse(struct batch *b, const char *s, size_t n, int flags,
    int *single, struct srv_err *e);
/*
 * The string member key of the JSON object s[0..n), decoded into out.
 * 1 when found, 0 when absent, 2 when not a string, -1 on bad JSON.
 */
int json_obj_str(const char *s, size_t n, const char *key,
    struct kr_buf *out);
void err_set(struct srv_err *e, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- the store (store.c) ---- */

struct store;

struct filter {
	unsigned levels;	/* bitmask of levels; 0: all */
	char sources[SRV_NSOURCES][SRV_SOURCE_MAX + 1];
	int nsources;
	long long from, to;	/* ns; to is exclusive; 0: unset */
	int has_from, has_to;
	char *match;		/* FTS5 expression, malloc'd, or NULL */
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
sqlite3 *store_db(struct store *s);
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
 * Sees that the database file and its WAL are still those opened (by
 * device and inode): once either was removed or replaced, what is
 * committed would not survive a restart, so it warns once and refuses
 * every write from then on. 0, or -1 when gone.
 */
int store_check(struct store *s);
/*
 * NULL when the store is fine; else what is wrong, for /health, with
 * *down set when it will not get better by itself.
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
 * Runs one step of a cursor: formats up to SRV_CHUNK records with fmt
 * into out. Returns the number of rows, -1 on error; sets c->done.
 */
typedef int (*row_fmt)(struct kr_buf *out, sqlite3_stmt *st, int first,
    void *arg);
int store_cursor_step(struct store *s, struct cursor *c, row_fmt fmt,
    void *arg, struct kr_buf *out);
/* The number of records a filter selects. */
long long store_count(struct store *s, long long tid, const struct filter *f,
    long long after);
/* Deletes a task's records with ts < before (0: all). -1 on error. */
long long store_delete(struct store *s, long long tid, long long before);
/* Deletes up to max records older than cutoff; returns how many. */
long long store_expire(struct store *s, long long cutoff, long long max);
/* Writes the stats object of a task into out. */
int store_stats(struct store *s, const char *task, long long tid,
    struct kr_buf *out);
/* Writes the tasks array (only task when not NULL). */
int store_tasks(struct store *s, const char *only, struct kr_buf *out);
long long store_size(struct store *s);
void filter_free(struct filter *f);

/* Columns of a cursor row (fmt callbacks read them). */
enum { COL_ID, COL_TASK, COL_RUN, COL_SEQ, COL_TS, COL_SOURCE, COL_LEVEL,
	COL_MSG, COL_EXTRA };

/* ---- output formats (rec.c) ---- */

/* A stored record as one JSON object (no newline). */
int fmt_record(struct kr_buf *out, sqlite3_stmt *st);
/* A just-stored batch row as one JSON object. */
int fmt_row(struct kr_buf *out, const char *task, const struct row *r);
int fmt_ndjson(struct kr_buf *out, sqlite3_stmt *st, int first, void *arg);
int fmt_jsonarr(struct kr_buf *out, sqlite3_stmt *st, int first, void *arg);
int fmt_csv(struct kr_buf *out, sqlite3_stmt *st, int first, void *arg);
int fmt_txt(struct kr_buf *out, sqlite3_stmt *st, int first, void *arg);
/* Appends a JSON string (quoted). */
int json_str(struct kr_buf *b, const char *s, size_t n);
/* Appends one pre..post item per run: its highest seq in the batch. */
int acks_json(struct kr_buf *out, const struct batch *b, const char *pre,
    const char *sep, const char *post);
/* Parses a query's levels ("WARN" = minimum, "WARN,ERROR" = list). */
int parse_levels(const char *s, unsigned *mask);

/* ---- auth (auth.c) ---- */

enum { SCOPE_READ = 1, SCOPE_WRITE = 2 };

struct authz {
	int ok;			/* a credential was given and is valid */
	int status;		/* when !ok: 401 */
	unsigned scopes;
	char task[SRV_ID_MAX + 1];	/* restriction; "" for none */
	long long exp;		/* the token's exp (seconds), 0 for none */
	const char *why;
};

struct auth;
/* NULL files: no auth (open). Exits on a bad file. */
struct auth *auth_load(const char *jwt_file, const char *keys_file);
void auth_free(struct auth *a);
int auth_enabled(const struct auth *a);
/* Checks the credentials of a request. */
void auth_check(const struct auth *a, struct lws *wsi, struct authz *z);
/*
 * 0 when z allows scope on task (NULL: any task); else the HTTP status
 * (401 or 403) with *why set.
 */
int auth_allow(const struct auth *a, const struct authz *z, unsigned scope,
    const char *task, const char **why);
/*
 * The time (seconds since the epoch) after which the credential of z no
 * longer holds (its exp, with the leeway), or 0 when it does not expire.
 */
long long auth_deadline(const struct authz *z);
/* Verifies a JWT; exported for tests of the same module. */
int jwt_verify(const unsigned char *key, size_t keylen, const char *tok,
    size_t n, long long now, struct authz *z);

/* ---- the server (main.c, http.c, ws.c) ---- */


struct conn;

struct srv {
	struct store *store;
	struct auth *auth;
	struct lws_context *ctx;
	const char *panel_dir;
	size_t max_body;	/* request bodies and ws messages */
	size_t queue_max;	/* bytes queued for one ws connection */
	long long retention_ms;	/* 0: keep everything */
	const char *retention;	/* as given */
	long long expire_cutoff;	/* of the retention pass under way */
	long long expire_n;	/* records it deleted so far */
	struct conn *ws_list;	/* every open ws connection */
	unsigned bodies;	/* request bodies on their way in */
	struct fts fts;		/* the full-text index catching up */
	struct metrics m;
	struct batch batch;	/* reused by each ingest */
	struct kr_buf tmp;	/* reused for formatting */
	struct kr_buf chunk;	/* frames being gathered for a queue */
	lws_sorted_usec_list_t sul_retention, sul_stop, sul_commit;
	lws_sorted_usec_list_t sul_check;
	struct commit commit;	/* the open transaction, and who waits */
	int stopping;
	long long inflight;	/* HTTP requests not yet answered */
	long long started_ns;
};

/* What a writable callback owes a request that waited. */
enum { DUE_NONE, DUE_REPLY, DUE_FAILED, DUE_ROUTE };

/* One connection: an HTTP transaction or a WebSocket. */
struct qent;

struct conn {
	struct lws *wsi;
	int is_ws;
	/* http */
	int method;
	char path[512];
	struct kr_buf body;
	int body_over, responded, streaming, counted;
	int close_after;	/* the connection closes after the reply */
	size_t sent;		/* bytes of the reply's body sent */
	int head;		/* HEAD: the headers of GET, no body */
	char etag[20];		/* a panel file's ETag, or "" */
	const char *cache;	/* Cache-Control; NULL: no-store */
	struct kr_buf out;
	size_t outoff;
	struct cursor cur;
	row_fmt fmt;
	char epilogue[200];
	int status;
	int due;		/* DUE_*: what the next writable callback does */
	int fts_ready;		/* routed again after waiting for the index */
	struct waiter fw;	/* waits for the index */
	int receiving;		/* counted in srv.bodies */
	long long t0;
	struct authz az;
	/* ws */
	char task[SRV_ID_MAX + 1];
	long long tid;
	struct kr_buf rx;
	int rx_drop;		/* 1: skipping an over-long message */
	struct qent *q;		/* a ring of qcap entries */
	size_t qhead, qlen, qcap, qbytes;
	size_t qready;		/* messages at the head that may go out */
	struct waiter cw;	/* waits for the commit (ws: messages;
				 * http: the reply) */
	int sub;		/* 0 none, 1 history, 2 live */
	int realtime;
	struct cursor vc;	/* the viewer's cursor */
	int closing;
	const char *close_msg;
	unsigned char *scratch;
	size_t scratch_cap;
	struct conn *next, *prev;
};

/* The server a connection belongs to. */
static inline struct srv *
srv_get(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}


#endif
