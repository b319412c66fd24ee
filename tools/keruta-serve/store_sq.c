/*
 * store_sq.c: the SQLite store. One connection, used only from the service
 * thread, plus one in a thread of its own that only checkpoints the WAL,
 * so that copying pages back to the database never holds up ingest. Ids
 * are assigned here (monotonic, never reused). Ingest goes into a
 * transaction that stays open across batches until sq_commit: the
 * server commits once per turn of its loop, so that a busy server writes
 * thousands of rows per commit and an idle one commits each batch at once.
 *
 * An index costs an entry for each row, so there is one: (tid, level),
 * for the levels other than INFO, the common one. A task's rows and their
 * duplicates are found by spans instead: a batch's rows of one run have
 * consecutive ids and seqs, so a span (the first id, the first seq and
 * how many) stands for all of them, and gives them their run and seq; a
 * task's rows are its spans' ranges of ids, and a row whose seq is above
 * its run's highest is new without a look. Time ranges use zones instead
 * of an index: for each task and each block of 1024 ids, the lowest and
 * highest timestamp in it; a range query reads only the blocks it
 * overlaps. The words of q= are indexed by zone too (words.h): each
 * zone's set of words is gathered in memory while its block fills, and
 * written once, when the next block begins. A query reads the zones whose
 * set holds its words, and matches their rows. A zone without a set (the
 * block being filled, or one whose rows changed) has all its rows
 * matched, and gets its set again in steps when the server is idle
 * (sq_fts_step).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kr_diag.h"
#include "kr_level.h"
#include "kr_time.h"
#include <sodium.h>
#include <sqlite3.h>

#include "store.h"
#include "store_sq.h"
#include "walbuf.h"
#include "words.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS tasks("
    " tid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " first_ts INTEGER, last_ts INTEGER, first_tsstr TEXT, last_tsstr TEXT,"
    " last_activity INTEGER, exited INTEGER NOT NULL DEFAULT 0,"
    " exit_code INTEGER);"
    "CREATE TABLE IF NOT EXISTS counts(tid INTEGER NOT NULL,"
    " level INTEGER NOT NULL, source TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(tid, level, source)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS logs(id INTEGER PRIMARY KEY,"
    " tid INTEGER NOT NULL, run TEXT, seq INTEGER, ts INTEGER NOT NULL,"
    " tsstr TEXT NOT NULL, level INTEGER NOT NULL, source TEXT NOT NULL,"
    " message TEXT NOT NULL, extra TEXT);"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER);"
    "INSERT OR IGNORE INTO meta VALUES('next_id', 1);"
    /* Layout 6 (spans_make). */
    "CREATE TABLE IF NOT EXISTS spans(tid INTEGER NOT NULL,"
    " lo INTEGER NOT NULL, n INTEGER NOT NULL, run TEXT, seq INTEGER,"
    " PRIMARY KEY(tid, lo)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS spans_run ON spans(tid, run, seq)"
    " WHERE seq IS NOT NULL;"
    /* Layout 7 (words_again). */
    "CREATE TABLE IF NOT EXISTS zsets(tid INTEGER NOT NULL,"
    " blk INTEGER NOT NULL, tok BLOB NOT NULL,"
    " PRIMARY KEY(tid, blk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS redactions(id INTEGER PRIMARY KEY,"
    " created TEXT NOT NULL, who TEXT NOT NULL, scope TEXT NOT NULL,"
    " state TEXT NOT NULL, scanned INTEGER NOT NULL DEFAULT 0,"
    " changed INTEGER NOT NULL DEFAULT 0, finished TEXT);"
    /* Values are never kept: a redaction cut short stays so. */
    "UPDATE redactions SET state = 'interrupted' WHERE state = 'running';";

/*
 * Layout 3, from layout 1 (which had (tid, level) and (tid, ts) whole) or
 * from layout 2 (whose zones had no row counts).
 */
static const char layout3_from1[] =
    "BEGIN;"
    "DROP INDEX IF EXISTS logs_level;"
    "DROP INDEX IF EXISTS logs_ts;"
    "CREATE INDEX IF NOT EXISTS logs_lvl ON logs(tid, level)"
    " WHERE level <> 2;"
    "CREATE TABLE IF NOT EXISTS zones(tid INTEGER NOT NULL,"
    " blk INTEGER NOT NULL, min_ts INTEGER, max_ts INTEGER, n INTEGER,"
    " PRIMARY KEY(tid, blk)) WITHOUT ROWID;"
    "DELETE FROM zones;"
    "INSERT INTO zones SELECT tid, id >> 10, min(ts), max(ts), count(*)"
    " FROM logs GROUP BY tid, id >> 10;"
    "INSERT OR REPLACE INTO meta VALUES('layout', 3);"
    "COMMIT;";
static const char layout3_from2[] =
    "BEGIN;"
    "ALTER TABLE zones ADD COLUMN n INTEGER;"
    "UPDATE zones SET n = (SELECT count(*) FROM logs WHERE"
    " id >= (zones.blk << 10) AND id < ((zones.blk + 1) << 10)"
    " AND tid = zones.tid);"
    "INSERT OR REPLACE INTO meta VALUES('layout', 3);"
    "COMMIT;";
/*
 * Layout 5, from 3 or 4: the words of each zone (zsets.tok since layout 7,
 * a table of its own so that zones stay small to read) replace the FTS5
 * index of the messages (logs_fts), which cost more than the rest of a
 * record's ingest. Zones get their sets in steps, as the server finds
 * time; meanwhile q= matches their rows.
 */
static const char layout5[] =
    "BEGIN;"
    "DROP TABLE IF EXISTS logs_fts;"
    "DELETE FROM meta WHERE k = 'fts_mark';"
    "INSERT OR REPLACE INTO meta VALUES('layout', 5);"
    "COMMIT;";

#define LAYOUT		7	/* this version's */
#define ZBITS		10	/* a zone is 1 << ZBITS ids */
#define ZJOIN		" FROM zones z CROSS JOIN logs l ON l.id >= (z.blk << 10)" \
			" AND l.id < ((z.blk + 1) << 10)"
/* A task's rows, in id order when ordered by (g.lo, l.id). */
#define SJOIN		" FROM spans g CROSS JOIN logs l ON l.id >= g.lo" \
			" AND l.id < g.lo + g.n"
/*
 * Of the spans of task T those that may hold ids from L on: the span
 * that holds L, if any, starts at or before it.
 */
#define SFROM(T, L)	"g.lo >= coalesce((SELECT max(lo) FROM spans" \
			" WHERE tid = " T " AND lo <= " L "), 0)"
/*
 * A row's run and seq, where its span g is joined: a row of a span of a
 * run (with both, so one that could be a duplicate) keeps neither; its
 * span gives them back. Rows stored before kept theirs.
 */
#define GRUN		" CASE WHEN l.run IS NULL AND l.seq IS NULL" \
			" THEN g.run ELSE l.run END"
#define GSEQ		" CASE WHEN l.run IS NULL AND l.seq IS NULL" \
			" THEN g.seq + l.id - g.lo ELSE l.seq END"
/* The span of row l, for a read that does not go through spans. */
#define GROW		" CROSS JOIN spans g ON g.tid = l.tid AND g.lo =" \
			" (SELECT max(lo) FROM spans WHERE tid = l.tid" \
			" AND lo <= l.id)"
/* The set of words of zone z, or NULL. */
#define ZTOK		"(SELECT w.tok FROM zsets w WHERE w.tid = z.tid" \
			" AND w.blk = z.blk)"
#define CKPT_PAGES	4096	/* WAL pages that wake the checkpointer */
#define CKPT_TAIL	512	/* what the service thread copies to finish one */
#define CKPT_HARD	65536	/* past this, the service thread checkpoints */
#define INS_LOG2	7	/* one INSERT stores up to 1 << INS_LOG2 rows */
#define CHUNK		256	/* rows per cursor step */
#define POOL_SETS	16	/* emptied word sets kept (zones_forget) */

/* Columns of a cursor row. */
enum { COL_ID, COL_TASK, COL_RUN, COL_SEQ, COL_TS, COL_SOURCE, COL_LEVEL,
	COL_MSG, COL_EXTRA };

enum { ST_SPAN_PUT, ST_TASK_GET, ST_TASK_NEW, ST_COUNT_ADD, ST_TASK_UPD,
	ST_META_SET, ST_FIND, ST_MAXSEQ, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_ZONE_UNTOK, ST_ZONE_TOK, ST_ZONE_ROWS, ST_LOG_DEL, ST_ZONE_ADD,
	ST_ZONE_FIX, ST_ZONE_DROP,
	ST_SAVE, ST_RELEASE, ST_ROLLTO, ST_NST };

static const char *const stmt_sql[ST_NST] = {
	[ST_SPAN_PUT] = "INSERT OR REPLACE INTO spans(tid, lo, n, run, seq)"
	    " VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_TASK_GET] = "SELECT tid FROM tasks WHERE name = ?",
	[ST_TASK_NEW] = "INSERT INTO tasks(name) VALUES(?)",
	[ST_COUNT_ADD] = "INSERT INTO counts(tid, level, source, n)"
	    " VALUES(?,?,?,?) ON CONFLICT(tid, level, source)"
	    " DO UPDATE SET n = n + excluded.n",
	[ST_TASK_UPD] = "UPDATE tasks SET"
	    " first_tsstr = CASE WHEN first_ts IS NULL OR ?1 < first_ts"
	    "  THEN ?2 ELSE first_tsstr END,"
	    " first_ts = CASE WHEN first_ts IS NULL OR ?1 < first_ts"
	    "  THEN ?1 ELSE first_ts END,"
	    " last_tsstr = CASE WHEN last_ts IS NULL OR ?3 >= last_ts"
	    "  THEN ?4 ELSE last_tsstr END,"
	    " last_ts = CASE WHEN last_ts IS NULL OR ?3 >= last_ts"
	    "  THEN ?3 ELSE last_ts END,"
	    " last_activity = ?5,"
	    " exited = CASE ?6 WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE exited END,"
	    " exit_code = CASE ?6 WHEN 1 THEN NULL WHEN 2 THEN ?7"
	    "  ELSE exit_code END"
	    " WHERE tid = ?8",
	[ST_META_SET] = "UPDATE meta SET v = ? WHERE k = ?",
	/* Spans of a run do not overlap: only the last to start at or
	 * before a seq may hold it. */
	[ST_FIND] = "SELECT lo + (?3 - seq), seq, n FROM"
	    " (SELECT lo, n, seq FROM spans INDEXED BY spans_run WHERE tid = ?1 AND run = ?2"
	    " AND seq IS NOT NULL AND seq <= ?3 ORDER BY seq DESC LIMIT 1)"
	    " WHERE seq + n > ?3",
	[ST_MAXSEQ] = "SELECT seq + n - 1 FROM spans INDEXED BY spans_run"
	    " WHERE tid = ?1 AND run = ?2 AND seq IS NOT NULL"
	    " ORDER BY seq DESC LIMIT 1",
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ZONE_UNTOK] = "DELETE FROM zsets WHERE tid = ?1 AND blk = ?2",
	[ST_ZONE_TOK] = "INSERT OR REPLACE INTO zsets(tok, tid, blk)"
	    " VALUES(?1, ?2, ?3)",
	[ST_ZONE_ROWS] = "SELECT id, message FROM logs WHERE id >= (?2 << 10)"
	    " AND id < ((?2 + 1) << 10) AND tid = ?1 ORDER BY id",
	[ST_LOG_DEL] = "DELETE FROM logs WHERE id = ?",
	[ST_ZONE_ADD] = "INSERT INTO zones(tid, blk, min_ts, max_ts, n)"
	    " VALUES(?1,?2,?3,?4,?5) ON CONFLICT(tid, blk) DO UPDATE SET"
	    " min_ts = min(min_ts, excluded.min_ts),"
	    " max_ts = max(max_ts, excluded.max_ts), n = n + excluded.n",
	[ST_ZONE_FIX] = "UPDATE zones SET"
	    " min_ts = (SELECT min(ts) FROM logs WHERE id >= (?2 << 10)"
	    "  AND id < ((?2 + 1) << 10) AND tid = ?1),"
	    " max_ts = (SELECT max(ts) FROM logs WHERE id >= (?2 << 10)"
	    "  AND id < ((?2 + 1) << 10) AND tid = ?1),"
	    " n = (SELECT count(*) FROM logs WHERE id >= (?2 << 10)"
	    "  AND id < ((?2 + 1) << 10) AND tid = ?1)"
	    " WHERE tid = ?1 AND blk = ?2",
	[ST_ZONE_DROP] = "DELETE FROM zones WHERE tid = ?1 AND blk = ?2"
	    " AND min_ts IS NULL",
	[ST_SAVE] = "SAVEPOINT batch",
	[ST_RELEASE] = "RELEASE batch",
	[ST_ROLLTO] = "ROLLBACK TO batch",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NST];
	sqlite3_stmt *ins[INS_LOG2 + 1];	/* of 1, 2, 4 ... rows */
	struct bound *insb[INS_LOG2 + 1];	/* what each has bound */
	long long next_id;
	/*
	 * The span being gathered, or the last one written (put): the next
	 * batch goes on with it when it goes on with its ids and seqs. Its
	 * run is a copy. Forgotten (tid 0) when what was written may have
	 * gone: a batch or a commit failed, or rows were deleted.
	 */
	struct span {
		long long tid, lo, n, seq;	/* seq 0: no run and seq */
		char *run;
		size_t runlen, runcap;
		int put;
	} span;
	/*
	 * The word sets of the zones of block zo_blk, one per task; written
	 * when the next block begins, unless spoilt: they did not see the
	 * block from its first id, or a batch or commit failed, or rows
	 * changed or went.
	 */
	struct words *words;
	struct zopen {
		long long tid;
		struct wset *set;
	} *zo;
	size_t nzo, zocap;
	struct wset *pool[POOL_SETS];	/* sets to use again, empty */
	size_t npool;
	long long zo_blk;
	int zo_spoilt;
	long long wz_from;	/* no zone below this block lacks its set */
	int in_txn;		/* a transaction is open (sq_commit) */
	int lost;		/* a commit failed */
	int failing;		/* the last write failed (a full disk) */
	char *path, *wal_path;
	/* The files opened, as their paths named them then. */
	dev_t dev, wal_dev;
	ino_t ino, wal_ino;
	int gone;		/* they are not there any more */
	int bad;		/* the check at start found damage */
	unsigned long long commits;
	int wal_pages;		/* WAL size after the last commit */
	int ck_at;		/* WAL size when the checkpointer was last woken */
	struct memos memos;	/* counts that took reading the rows */
	/* The checkpointer: its own connection and thread. */
	sqlite3 *ck_db;
	pthread_t ck_thread;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	int ck_started, ck_run, ck_want;
	int ck_busy, ck_done;	/* running; frames it copied (under ck_mu) */
	int ck_err;		/* and how its last failure failed */
	/*
	 * The syncer (--sync full): the commits of ingest (sq_commit) leave
	 * the WAL's sync to a thread of its own, which syncs the WAL through
	 * its own descriptor while the service thread goes on; what waits
	 * for a commit waits until sq_synced reaches its number (commit.c).
	 * Every other commit syncs as it returns.
	 */
	int sy_fd;		/* the WAL; -1: no syncer */
	/* Commits whose sync is left to it: written by the service thread
	 * only, under sy_mu. */
	unsigned long long sy_gen;
	pthread_t sy_thread;
	pthread_mutex_t sy_mu;
	pthread_cond_t sy_cv;
	int sy_run, sy_err;		/* under sy_mu */
	unsigned long long sy_done;	/* under sy_mu */
	void (*sy_wake)(void *);
	void *sy_arg;
	int purge;		/* PURGE_*: getting replaced text out */
};

/* What sq_purge_step does next. */
enum { PURGE_NONE, PURGE_CHECKPOINT };

static void db_warn(struct sq *s, const char *what);
static void zones_forget(struct sq *s);
static int spans_make(struct sq *s);
static int words_again(struct sq *s);
static void sql_tsstr(sqlite3_context *, int, sqlite3_value **);

/* Runs in the service thread after each commit. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq *s = arg;

	(void)db;
	(void)name;
	s->wal_pages = pages;
	/*
	 * A checkpoint that ran while commits went on leaves the WAL long:
	 * waking the checkpointer again at each commit would copy and sync
	 * the database for every batch. Once more per CKPT_PAGES is enough.
	 */
	if (pages < s->ck_at) {
		s->ck_at = 0;		/* the WAL started over */
		if (s->ck_started) {
			pthread_mutex_lock(&s->ck_mu);
			s->ck_done = 0;
			pthread_mutex_unlock(&s->ck_mu);
		}
	}
	if (pages >= s->ck_at + CKPT_PAGES && s->ck_started) {
		s->ck_at = pages;
		pthread_mutex_lock(&s->ck_mu);
		s->ck_want = 1;
		pthread_cond_signal(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
	}
	return SQLITE_OK;
}

static void *
ck_main(void *arg)
{
	struct sq *s = arg;
	int done, rc;

	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		while (s->ck_run && !s->ck_want)
			pthread_cond_wait(&s->ck_cv, &s->ck_mu);
		if (!s->ck_run)
			break;
		s->ck_want = 0;
		s->ck_busy = 1;
		pthread_mutex_unlock(&s->ck_mu);
		/* PASSIVE: never waits for the writer, never blocks it. */
		rc = sqlite3_wal_checkpoint_v2(s->ck_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &done);
		if (rc != SQLITE_OK)
			done = 0;
		pthread_mutex_lock(&s->ck_mu);
		s->ck_busy = 0;
		s->ck_done = done;
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			s->ck_err = rc;
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

/*
 * The checkpointer copies while commits go on, so it never catches up
 * all the way, and only a checkpoint that did lets the WAL start over.
 * Between two transactions, the service thread finishes the job when
 * little is left (or when the WAL is past CKPT_HARD): the next
 * transaction then writes the WAL from its start again.
 */
static void
ck_finish(struct sq *s)
{
	int busy = 0, done = 0, err = 0, rc;

	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		busy = s->ck_busy;
		done = s->ck_done;
		err = s->ck_err;
		s->ck_err = 0;
		pthread_mutex_unlock(&s->ck_mu);
	}
	/* The database file cannot take the WAL's pages back (a full disk,
	 * an I/O error): the WAL grows until writes fail too. */
	if (err != 0)
		kr_warn("database: checkpoint: %s", sqlite3_errstr(err));
	if (s->wal_pages < CKPT_HARD &&
	    (busy || s->wal_pages - done > CKPT_TAIL))
		return;
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		db_warn(s, "checkpoint: ");
	s->wal_pages = 0;
	s->ck_at = 0;
	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_done = 0;
		pthread_mutex_unlock(&s->ck_mu);
	}
}

static int
ck_start(struct sq *s, const char *path)
{
	if (sqlite3_open_v2(path, &s->ck_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(s->ck_db, 5000);
	sqlite3_exec(s->ck_db, "PRAGMA synchronous=NORMAL;"
	    "PRAGMA wal_autocheckpoint=0;", NULL, NULL, NULL);
	if (pthread_mutex_init(&s->ck_mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&s->ck_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->ck_mu);
		return -1;
	}
	s->ck_run = 1;
	if (pthread_create(&s->ck_thread, NULL, ck_main, s) != 0) {
		pthread_cond_destroy(&s->ck_cv);
		pthread_mutex_destroy(&s->ck_mu);
		return -1;
	}
	s->ck_started = 1;
	return 0;
}

static void
ck_stop(struct sq *s)
{
	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_run = 0;
		pthread_cond_signal(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		pthread_join(s->ck_thread, NULL);
		pthread_cond_destroy(&s->ck_cv);
		pthread_mutex_destroy(&s->ck_mu);
		s->ck_started = 0;
	}
	if (s->ck_db != NULL)
		sqlite3_close(s->ck_db);
	s->ck_db = NULL;
}

static void *
sy_main(void *arg)
{
	struct sq *s = arg;
	unsigned long long g;
	int rc;

	pthread_mutex_lock(&s->sy_mu);
	for (;;) {
		while (s->sy_run && s->sy_gen == s->sy_done)
			pthread_cond_wait(&s->sy_cv, &s->sy_mu);
		if (s->sy_gen == s->sy_done || s->sy_err != 0)
			break;
		g = s->sy_gen;
		pthread_mutex_unlock(&s->sy_mu);
		rc = fdatasync(s->sy_fd);
		pthread_mutex_lock(&s->sy_mu);
		if (rc == -1)
			s->sy_err = errno;
		else if (g > s->sy_done)
			s->sy_done = g;
		if (s->sy_wake != NULL)
			s->sy_wake(s->sy_arg);
	}
	pthread_mutex_unlock(&s->sy_mu);
	return NULL;
}

/*
 * Opens the WAL for the syncer and makes its name durable in its
 * directory (what SQLite does at a WAL's first sync, which the syncer
 * now makes). -1 when it cannot: commits then sync themselves.
 */
static int
sy_start(struct sq *s)
{
	char *dir, *slash;
	int dfd;

	if ((s->sy_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((dir = strdup(s->wal_path)) != NULL) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (dfd != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	if (pthread_mutex_init(&s->sy_mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&s->sy_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->sy_mu);
		goto fail;
	}
	s->sy_run = 1;
	if (pthread_create(&s->sy_thread, NULL, sy_main, s) != 0) {
		pthread_cond_destroy(&s->sy_cv);
		pthread_mutex_destroy(&s->sy_mu);
		goto fail;
	}
	return 0;
fail:
	close(s->sy_fd);
	s->sy_fd = -1;
	return -1;
}

/* Lets the syncer finish what it was asked, then ends it. */
static void
sy_stop(struct sq *s)
{
	if (s->sy_fd == -1)
		return;
	pthread_mutex_lock(&s->sy_mu);
	s->sy_run = 0;
	pthread_cond_signal(&s->sy_cv);
	pthread_mutex_unlock(&s->sy_mu);
	pthread_join(s->sy_thread, NULL);
	pthread_cond_destroy(&s->sy_cv);
	pthread_mutex_destroy(&s->sy_mu);
	close(s->sy_fd);
	s->sy_fd = -1;
}

static int
exec(struct sq *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kr_warn("database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static long long
scalar(struct sq *s, const char *sql, long long def)
{
	sqlite3_stmt *st;
	long long v = def;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return def;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A database that fails (a full disk) fails every request: the first few
 * failures are told, then one every 10 seconds with how many were not.
 */
static void
db_warn(struct sq *s, const char *what)
{
	static struct kr_ratelimit rl = KR_RATELIMIT_INIT(5, 10);
	unsigned long n = rl.suppressed;

	if (!kr_ratelimit_ok(&rl))
		return;
	rl.suppressed = 0;
	if (n > 0)
		kr_warn("database: %s%s (and %lu more failures since)", what,
		    sqlite3_errmsg(s->db), n);
	else
		kr_warn("database: %s%s", what, sqlite3_errmsg(s->db));
}

/* Runs a one-shot prepared statement to its end; resets it. */
static int
run(struct sq *s, int k)
{
	int rc = sqlite3_step(s->st[k]);

	sqlite3_reset(s->st[k]);
	sqlite3_clear_bindings(s->st[k]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_warn(s, "");
		return -1;
	}
	return 0;
}

/*
 * Ends the open transaction, if an error has not ended it already (SQLite
 * rolls back by itself after some, a full disk among them).
 */
static void
rollback(struct sq *s)
{
	if (!sqlite3_get_autocommit(s->db))
		run(s, ST_ROLLBACK);
}

/* The device and inode of the file at path. 0, or -1 (errno set). */
static int
file_id(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* The file at path is not the one that was opened (or is not there). */
static int
moved(const char *path, dev_t dev, ino_t ino)
{
	dev_t d;
	ino_t i;

	return file_id(path, &d, &i) == -1 ? errno == ENOENT ||
	    errno == ENOTDIR : d != dev || i != ino;
}

int
sq_check(struct sq *s)
{
	if (s->gone)
		return -1;
	if (s->wal_ino == 0)	/* no WAL yet when opened */
		(void)file_id(s->wal_path, &s->wal_dev, &s->wal_ino);
	if (moved(s->path, s->dev, s->ino) || (s->wal_ino != 0 &&
	    moved(s->wal_path, s->wal_dev, s->wal_ino))) {
		s->gone = 1;
		kr_warn("database: '%s' or its WAL was removed or replaced "
		    "while in use: writes are refused from now on (503); "
		    "restart the server", s->path);
		return -1;
	}
	return 0;
}

const char *
sq_problem(const struct sq *s, int *down)
{
	*down = s->gone;
	if (s->gone)
		return "the database file was removed or replaced while in "
		    "use: writes are refused; restart the server";
	if (s->failing)
		return "the last write to the database failed (a full disk?): "
		    "writes are refused until one succeeds";
	return NULL;
}

/* The last error says the file is not a database, or a damaged one. */
static int
bad_file(struct sq *s)
{
	int e = s->db != NULL ? sqlite3_errcode(s->db) : SQLITE_OK;

	return s->bad || e == SQLITE_NOTADB || e == SQLITE_CORRUPT;
}

/*
 * SQLite's quick check of every page (not of what the indexes hold):
 * damage found now, at start, rather than by queries that fail or stop
 * short later. It reads the whole file. 0, or -1 with err set.
 */
static int
quick_check(struct sq *s, char *err, size_t elen)
{
	sqlite3_stmt *st;
	const char *msg = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, elen, "unable to use '%s': %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(st, 0);
		if (msg != NULL && strcmp(msg, "ok") == 0) {
			sqlite3_finalize(st);
			return 0;
		}
		if (msg != NULL && strncmp(msg, "*** in database main ***\n",
		    25) == 0)
			msg += 25;
	}
	if (msg == NULL)
		msg = sqlite3_errmsg(s->db);
	snprintf(err, elen, "'%s' is damaged (%.*s): restore it from a "
	    "backup, or move it away to start with an empty one", s->path,
	    (int)strcspn(msg, "\n"), msg);
	s->bad = rc == SQLITE_ROW || bad_file(s);
	sqlite3_finalize(st);
	return -1;
}

/* Over 80 lines: the steps of opening in order, each of which may fail. */
int
sq_open(struct sq **sp, const char *path, char *err, size_t elen)
{
	struct sq *s;
	long long layout;
	uint64_t seed;
	char sql[300];
	int i, rc;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    (s->wal_path = malloc(strlen(path) + 5)) == NULL) {
		if (s != NULL) {
			free(s->path);
			free(s);
		}
		snprintf(err, elen, "out of memory");
		return -1;
	}
	snprintf(s->wal_path, strlen(path) + 5, "%s-wal", path);
	s->sy_fd = -1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, elen, "unable to open '%s': %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (scalar(s, "PRAGMA journal_mode=WAL", 0) == 0 &&
	    sqlite3_errcode(s->db) != SQLITE_OK) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL;"
	    "PRAGMA temp_store=MEMORY;"
	    "PRAGMA journal_size_limit=67108864;PRAGMA mmap_size=268435456;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (quick_check(s, err, elen) == -1)
		goto fail;
	/* Before anything is written: a new file has no meta yet. */
	if ((layout = scalar(s, "SELECT v FROM meta WHERE k = 'layout'",
	    1)) > LAYOUT) {
		snprintf(err, elen, "unable to use '%s': its layout (%lld) is"
		    " a later keruta-serve's", path, layout);
		goto fail;
	}
	if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    (layout < 3 && sqlite3_exec(s->db, layout < 2 ? layout3_from1 :
	    layout3_from2, NULL, NULL, NULL) != SQLITE_OK) ||
	    (layout < 5 && sqlite3_exec(s->db, layout5, NULL, NULL,
	    NULL) != SQLITE_OK)) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	/*
	 * Which tasks have rows in a block (sq_search, sq_fts_step); added
	 * in place. The key of the words' hashes is the database's own.
	 */
	randombytes_buf(&seed, sizeof seed);
	snprintf(sql, sizeof sql, "CREATE INDEX IF NOT EXISTS zones_blk"
	    " ON zones(blk, tid);"
	    " INSERT OR IGNORE INTO meta VALUES('word_seed', %lld)",
	    (long long)(seed >> 1));
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	seed = (uint64_t)scalar(s, "SELECT v FROM meta WHERE k = 'word_seed'",
	    0);
	if (sqlite3_create_function(s->db, "kr_tsstr", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, sql_tsstr, NULL, NULL) != SQLITE_OK) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (words_open(&s->words, s->db, seed) == -1 ||
	    words_sql(s->words, s->db) == -1) {
		snprintf(err, elen, "unable to use '%s': no FTS5 tokenizer"
		    " in this SQLite", path);
		goto fail;
	}
	s->zo_blk = -1;
	/* Checkpoints are the checkpointer's (this replaces the automatic
	 * ones), or this thread's to finish one (ck_finish). */
	sqlite3_wal_hook(s->db, wal_hook, s);
	if (ck_start(s, path) == -1) {
		snprintf(err, elen, "unable to start the checkpointer");
		goto fail;
	}
	for (i = 0; i < ST_NST; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, elen, "unable to prepare a statement: %s",
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	if (file_id(s->path, &s->dev, &s->ino) == -1) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	(void)file_id(s->wal_path, &s->wal_dev, &s->wal_ino);
	s->next_id = scalar(s, "SELECT v FROM meta WHERE k = 'next_id'", 1);
	if (scalar(s, "SELECT max(id) FROM logs", 0) >= s->next_id)
		s->next_id = scalar(s, "SELECT max(id) FROM logs", 0) + 1;
	if (layout < 6 && spans_make(s) == -1) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		rollback(s);
		goto fail;
	}
	if (layout < 7 && words_again(s) == -1) {
		snprintf(err, elen, "unable to use '%s': %s", path,
		    sqlite3_errmsg(s->db));
		rollback(s);
		goto fail;
	}
	*sp = s;
	return 0;
fail:
	rc = bad_file(s) ? -2 : -1;
	sq_close(s);
	return rc;
}

void
sq_close(struct sq *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->in_txn)
		sq_commit(s);
	sy_stop(s);
	ck_stop(s);
	memo_forget(&s->memos);
	zones_forget(s);
	free(s->span.run);
	while (s->npool > 0)
		wset_free(s->pool[--s->npool]);
	free(s->zo);
	for (i = 0; i < ST_NST; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i <= INS_LOG2; i++) {
		sqlite3_finalize(s->ins[i]);
		free(s->insb[i]);
	}
	if (s->db != NULL) {
		int keep = 1;

		/* Whatever is at the path now is not ours to remove. */
		if (s->gone)
			sqlite3_file_control(s->db, "main",
			    SQLITE_FCNTL_PERSIST_WAL, &keep);
		else
			sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)",
			    NULL, NULL, NULL);
		if (sqlite3_close(s->db) != SQLITE_OK)
			kr_warn("database: close: %s", sqlite3_errmsg(s->db));
	}
	words_close(s->words);
	if (s->gone)
		kr_warn("database: '%s' was removed or replaced while in use: "
		    "what it held is lost with it", s->path);
	free(s->path);
	free(s->wal_path);
	free(s);
}

long long
sq_task(struct sq *s, const char *name, int create)
{
	sqlite3_stmt *st = s->st[ST_TASK_GET];
	long long tid = 0;
	int rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		tid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (tid != 0 || !create)
		return tid;
	sqlite3_bind_text(s->st[ST_TASK_NEW], 1, name, -1, SQLITE_STATIC);
	if (run(s, ST_TASK_NEW) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Per-batch tallies of (level, source), flushed into counts. */
struct tally {
	int level;
	const char *source;
	size_t srclen;
	long long n;
};

static int
count_add(struct sq *s, long long tid, int level, const char *source,
    size_t srclen, long long n)
{
	sqlite3_stmt *st = s->st[ST_COUNT_ADD];

	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_int(st, 2, level);
	sqlite3_bind_text(st, 3, source, (int)srclen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, n);
	return run(s, ST_COUNT_ADD);
}

static int
tally_flush(struct sq *s, long long tid, struct tally *t, int *nt)
{
	int i;

	for (i = 0; i < *nt; i++)
		if (count_add(s, tid, t[i].level, t[i].source, t[i].srclen,
		    t[i].n) == -1)
			return -1;
	*nt = 0;
	return 0;
}

#define NTALLY 32

static int
zone_add(struct sq *s, long long tid, long long blk, long long lo,
    long long hi, long long n)
{
	sqlite3_stmt *st = s->st[ST_ZONE_ADD];

	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_int64(st, 2, blk);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	sqlite3_bind_int64(st, 5, n);
	return run(s, ST_ZONE_ADD);
}

/* ---- the zones' words ---- */

/*
 * The open sets go, kept empty in the pool for the next block's, at most
 * POOL_SETS of them: a set keeps the room it grew to.
 */

static void
zones_forget(struct sq *s)
{
	size_t i;

	for (i = 0; i < s->nzo; i++) {
		if (s->npool < POOL_SETS) {
			wset_clear(s->zo[i].set);
			s->pool[s->npool++] = s->zo[i].set;
		} else
			wset_free(s->zo[i].set);
	}
	s->nzo = 0;
	s->zo_blk = -1;
}

/* Writes a zone's set of words (blob, len). 0, or -1. */
static int
zone_tok(struct sq *s, long long tid, long long blk, const void *blob,
    size_t len)
{
	sqlite3_stmt *st = s->st[ST_ZONE_TOK];

	sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, tid);
	sqlite3_bind_int64(st, 3, blk);
	return run(s, ST_ZONE_TOK);
}

/*
 * The sets of block zo_blk are done: written unless spoilt, else left to
 * sq_fts_step. 0, or -1.
 */
static int
zones_close(struct sq *s)
{
	size_t i, len;
	void *b;

	if (s->zo_spoilt && s->zo_blk < s->wz_from)
		s->wz_from = s->zo_blk;
	for (i = 0; !s->zo_spoilt && i < s->nzo; i++) {
		if ((b = wset_blob(s->zo[i].set, &len)) == NULL)
			return -1;
		if (zone_tok(s, s->zo[i].tid, s->zo_blk, b, len) == -1) {
			free(b);
			return -1;
		}
		free(b);
	}
	zones_forget(s);
	return 0;
}

/* Adds the words of stored row r of task tid to its zone's set. */
static int
zone_words(struct sq *s, long long tid, const struct row *r)
{
	long long blk = r->id >> ZBITS;
	struct zopen *z = NULL;
	size_t i;

	if (blk != s->zo_blk) {
		if (s->zo_blk >= 0 && zones_close(s) == -1)
			return -1;
		s->zo_blk = blk;
		/* A block not seen from its first id (ids start at 1). */
		s->zo_spoilt = r->id != blk << ZBITS && r->id != 1;
	}
	for (i = s->nzo; i-- > 0;)
		if (s->zo[i].tid == tid) {
			z = &s->zo[i];
			break;
		}
	if (z == NULL) {
		if (s->nzo == s->zocap) {
			size_t nc = s->zocap ? 2 * s->zocap : 8;
			struct zopen *n = realloc(s->zo, nc * sizeof *n);

			if (n == NULL)
				return -1;
			s->zo = n;
			s->zocap = nc;
		}
		z = &s->zo[s->nzo];
		if (s->npool > 0)
			z->set = s->pool[--s->npool];
		else if ((z->set = wset_new()) == NULL)
			return -1;
		z->tid = tid;
		s->nzo++;
	}
	return wset_add(z->set, s->words, (unsigned)(r->id & ((1 << ZBITS) -
	    1)), r->msg, r->msglen);
}

/* Rows of block blk changed: its open sets are no longer right. */
static void
zone_changed(struct sq *s, long long blk)
{
	if (blk == s->zo_blk)
		s->zo_spoilt = 1;
}

/*
 * What a parameter of an INSERT has bound: a statement keeps its values
 * from one run to the next, so a row's NULLs, its task, a level or a
 * text at the same place (SQLite reads a static text when it runs) need
 * not be bound again: a bind costs about as much as a column's insert.
 */
enum { B_NONE, B_NULL, B_INT, B_TEXT };

struct bound {
	int type;
	int n;
	long long v;
	const void *p;
};

static void
b_null(sqlite3_stmt *st, struct bound *b, int i)
{
	if (b[i].type != B_NULL) {
		sqlite3_bind_null(st, i + 1);
		b[i].type = B_NULL;
	}
}

static void
b_int(sqlite3_stmt *st, struct bound *b, int i, long long v)
{
	if (b[i].type != B_INT || b[i].v != v) {
		sqlite3_bind_int64(st, i + 1, v);
		b[i].type = B_INT;
		b[i].v = v;
	}
}

/* p[0..n) stays as it is until the statement has run. */
static void
b_text(sqlite3_stmt *st, struct bound *b, int i, const char *p, size_t n)
{
	if (b[i].type != B_TEXT || b[i].p != p || b[i].n != (int)n) {
		sqlite3_bind_text(st, i + 1, p, (int)n, SQLITE_STATIC);
		b[i].type = B_TEXT;
		b[i].p = p;
		b[i].n = (int)n;
	}
}

/* The INSERT of 1 << k rows, prepared the first time it is needed. */
static sqlite3_stmt *
ins_stmt(struct sq *s, int k)
{
	struct kr_buf b = KR_BUF_INIT(1 << 16);
	int i;

	if (s->ins[k] != NULL)
		return s->ins[k];
	if (s->insb[k] == NULL && (s->insb[k] = malloc(((size_t)10 << k) *
	    sizeof *s->insb[k])) == NULL)
		return NULL;
	/* A new statement has nothing bound. */
	memset(s->insb[k], 0, ((size_t)10 << k) * sizeof *s->insb[k]);
	kr_buf_adds(&b, "INSERT INTO logs(id, tid, run, seq, ts,"
	    " tsstr, level, source, message, extra) VALUES");
	for (i = 0; i < 1 << k; i++)
		kr_buf_adds(&b, i ? ",(?,?,?,?,?,?,?,?,?,?)" :
		    "(?,?,?,?,?,?,?,?,?,?)");
	if (b.s == NULL || sqlite3_prepare_v3(s->db, b.s, (int)b.len,
	    SQLITE_PREPARE_PERSISTENT, &s->ins[k], NULL) != SQLITE_OK)
		s->ins[k] = NULL;
	kr_buf_free(&b);
	return s->ins[k];
}

/* Whether a row can be a duplicate: NULLs are never equal. */
static int
keyed(const struct row *r)
{
	return r->run != NULL && r->seq != 0;
}

/*
 * kr_tsstr(tsstr, ts): a row's timestamp as it came. An empty tsstr is
 * one that was ts as kr_ts_format writes it (bind_row), as most are: 30
 * bytes a row not stored.
 */
static void
sql_tsstr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char b[KR_TS_LEN + 1];

	(void)argc;
	if (sqlite3_value_bytes(argv[0]) > 0 ||
	    sqlite3_value_type(argv[1]) != SQLITE_INTEGER) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	kr_ts_format_ns(sqlite3_value_int64(argv[1]), b);
	sqlite3_result_text(ctx, b, KR_TS_LEN, SQLITE_TRANSIENT);
}

static void
bind_row(sqlite3_stmt *st, struct bound *bd, int o, long long tid,
    const struct row *r)
{
	if (o == 0)
		b_int(st, bd, o, r->id);
	else
		b_null(st, bd, o);	/* see insert_rows */
	b_int(st, bd, o + 1, tid);
	/* Lengths are given: strings may hold NUL characters. */
	/* A row that could be a duplicate has its run and seq in its span
	 * (GRUN, GSEQ). */
	if (r->run != NULL && !keyed(r))
		b_text(st, bd, o + 2, r->run, r->runlen);
	else
		b_null(st, bd, o + 2);
	if (r->seq != 0 && !keyed(r))
		b_int(st, bd, o + 3, r->seq);
	else
		b_null(st, bd, o + 3);
	b_int(st, bd, o + 4, r->ts);
	/* r->ts is what kr_ts_parse read from r->tsstr (rec.c). */
	if (kr_ts_canonical(r->tsstr, r->tslen))
		b_text(st, bd, o + 5, "", 0);
	else
		b_text(st, bd, o + 5, r->tsstr, r->tslen);
	b_int(st, bd, o + 6, r->level);
	b_text(st, bd, o + 7, r->source, r->srclen);
	b_text(st, bd, o + 8, r->msg, r->msglen);
	if (r->extralen > 0)
		b_text(st, bd, o + 9, r->extra, r->extralen);
	else
		b_null(st, bd, o + 9);
}

/* Inserts the rows of b that have an id, many to a statement: a statement
 * per row costs twice as much. 0, or -1. */
static int
insert_rows(struct sq *s, long long tid, struct batch *b)
{
	sqlite3_stmt *st;
	size_t i = 0, m, left = 0;
	long long last = 0;
	int k, rc;

	for (m = 0; m < b->n; m++)
		left += b->rows[m].id != 0;
	while (left > 0) {
		for (k = INS_LOG2; (size_t)1 << k > left; k--)
			;
		if ((st = ins_stmt(s, k)) == NULL) {
			db_warn(s, "insert: ");
			return -1;
		}
		/*
		 * The rows after the first get their ids from SQLite: the
		 * next after the highest, which is the next of the batch's
		 * (its ids follow one another, above every other). A seek
		 * for each row's id cost more than the rest of its insert.
		 */
		for (m = 0; m < (size_t)1 << k; i++)
			if (b->rows[i].id != 0) {
				bind_row(st, s->insb[k], (int)(10 * m++), tid,
				    &b->rows[i]);
				last = b->rows[i].id;
			}
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_warn(s, "insert: ");
			return -1;
		}
		if (sqlite3_last_insert_rowid(s->db) != last) {
			kr_warn("database: insert: id %lld, not %lld",
			    (long long)sqlite3_last_insert_rowid(s->db), last);
			return -1;
		}
		left -= m;
	}
	return 0;
}

/* ---- spans: which ids are a task's, and which seqs of a run ---- */

static int span_add(struct sq *, long long, const struct row *);
static int span_put(struct sq *);
static void span_forget(struct sq *);

/*
 * Layout 6, from 5: the spans of the rows there are, made as ingest makes
 * them, replace the indexes of (tid, run, seq) and (tid). 0, or -1.
 */
static int
spans_make(struct sq *s)
{
	sqlite3_stmt *st = NULL;
	long long n = scalar(s, "SELECT count(*) FROM logs", 0);
	int rc;

	if (n > 0)
		kr_notice("database: making the spans of %lld records"
		    " (once, for this version)", n);
	if (exec(s, "BEGIN; DELETE FROM spans") == -1 ||
	    sqlite3_prepare_v2(s->db, "SELECT tid, id, run, seq FROM logs"
	    " ORDER BY tid, id", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row r;

		memset(&r, 0, sizeof r);
		r.id = sqlite3_column_int64(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    sqlite3_column_type(st, 3) != SQLITE_NULL) {
			r.run = (const char *)sqlite3_column_text(st, 2);
			r.runlen = (size_t)sqlite3_column_bytes(st, 2);
			r.seq = sqlite3_column_int64(st, 3);
		}
		if (span_add(s, sqlite3_column_int64(st, 0), &r) == -1)
			goto fail;
	}
	if (rc != SQLITE_DONE || span_put(s) == -1 ||
	    exec(s, "DROP INDEX IF EXISTS logs_key;"
	    "DROP INDEX IF EXISTS logs_tid;"
	    "INSERT OR REPLACE INTO meta VALUES('layout', 6); COMMIT") == -1)
		goto fail;
	sqlite3_finalize(st);
	span_forget(s);
	return 0;
fail:
	sqlite3_finalize(st);
	span_forget(s);
	return -1;
}

/*
 * Layout 7: the words' hashes are another function (words.c), so the
 * zones' sets of words are made again, in steps (sq_fts_step); until a
 * zone has its set, q= matches its rows. They are in a table of another
 * name (zsets), so that an earlier keruta-serve refuses the database (it
 * cannot prepare its statements) rather than read sets it cannot.
 */
static int
words_again(struct sq *s)
{
	long long n = scalar(s, "SELECT count(*) FROM zwords", 0);

	if (n > 0)
		kr_notice("database: making the word sets of %lld zones again"
		    " (once, for this version, while idle)", n);
	return exec(s, "BEGIN; DROP TABLE IF EXISTS zwords;"
	    "INSERT OR REPLACE INTO meta VALUES('layout', 7); COMMIT");
}

static void
span_forget(struct sq *s)
{
	s->span.tid = 0;
	s->span.n = 0;
}

/* Writes the span gathered, unless it is written already. 0, or -1. */
static int
span_put(struct sq *s)
{
	struct span *c = &s->span;
	sqlite3_stmt *st = s->st[ST_SPAN_PUT];

	if (c->put || c->n == 0)
		return 0;
	sqlite3_bind_int64(st, 1, c->tid);
	sqlite3_bind_int64(st, 2, c->lo);
	sqlite3_bind_int64(st, 3, c->n);
	if (c->seq != 0) {
		sqlite3_bind_text(st, 4, c->run, (int)c->runlen, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, c->seq);
	} else {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
	}
	if (run(s, ST_SPAN_PUT) == -1)
		return -1;
	c->put = 1;
	return 0;
}

/* Stored row r of task tid goes in the span gathered, or starts one. */
static int
span_add(struct sq *s, long long tid, const struct row *r)
{
	struct span *c = &s->span;

	if (c->tid == tid && c->lo + c->n == r->id &&
	    (keyed(r) ? c->seq != 0 && c->seq + c->n == r->seq &&
	    c->runlen == r->runlen && memcmp(c->run, r->run, r->runlen) == 0 :
	    c->seq == 0)) {
		c->n++;
		c->put = 0;
		return 0;
	}
	if (span_put(s) == -1)
		return -1;
	if (keyed(r) && r->runlen + 1 > c->runcap) {
		char *nr = realloc(c->run, r->runlen + 1);

		if (nr == NULL) {
			span_forget(s);
			return -1;
		}
		c->run = nr;
		c->runcap = r->runlen + 1;
	}
	c->tid = tid;
	c->lo = r->id;
	c->n = 1;
	c->seq = keyed(r) ? r->seq : 0;
	c->runlen = keyed(r) ? r->runlen : 0;
	if (keyed(r))
		memcpy(c->run, r->run, r->runlen);
	c->put = 0;
	return 0;
}

/*
 * The id of (run, seq) if stored, else 0; -1 on failure. The seqs of the
 * span that holds it in [*lo, *hi] (if hi is not NULL).
 */
static long long
span_find(struct sq *s, long long tid, const char *run_id, size_t runlen,
    long long seq, long long *lo, long long *hi)
{
	sqlite3_stmt *st = s->st[ST_FIND];
	long long id = 0;
	int rc;

	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_text(st, 2, run_id, (int)runlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (hi != NULL) {
			*lo = sqlite3_column_int64(st, 1);
			*hi = *lo + sqlite3_column_int64(st, 2) - 1;
		}
	} else if (rc != SQLITE_DONE)
		id = -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return id;
}

/* The highest seq of a run stored, 0 if none; -1 on failure. */
static long long
span_max(struct sq *s, long long tid, const char *run_id, size_t runlen)
{
	sqlite3_stmt *st = s->st[ST_MAXSEQ];
	long long v = 0;
	int rc;

	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_text(st, 2, run_id, (int)runlen, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		v = -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return v;
}

#define NRUNS	8	/* runs of a batch whose highest seq is kept */

/*
 * Gives ids to the rows of b that are neither refused nor duplicates (id
 * 0), and inserts them with their spans; the next free id in *next. A
 * run's seqs come in order, so that a row above its run's highest seq is
 * new without a look; only one at or below it is sought in the spans,
 * once those of the batch so far are written. 0, or -1.
 */
static int
insert_batch(struct sq *s, long long tid, struct batch *b,
    long long *next)
{
	/* A run's highest seq, and the seqs of the span a duplicate was
	 * last found in (a resend is many in a row). */
	struct {
		const char *run;
		size_t len;
		long long max, dlo, dhi;
	} rm[NRUNS];
	long long id = s->next_id, v;
	size_t i, nrm = 0, k;

	for (i = 0; i < b->n; i++) {
		struct row *r = &b->rows[i];

		r->id = 0;
		if (r->code != NULL)
			continue;	/* refused */
		if (keyed(r)) {
			for (k = 0; k < nrm && (rm[k].len != r->runlen ||
			    memcmp(rm[k].run, r->run, r->runlen) != 0); k++)
				;
			if (k == nrm) {
				/* The spans of the batch so far count too. */
				if (span_put(s) == -1 || (v = span_max(s, tid,
				    r->run, r->runlen)) == -1)
					return -1;
				k = nrm < NRUNS ? nrm++ : NRUNS - 1;
				rm[k].run = r->run;
				rm[k].len = r->runlen;
				rm[k].max = v;
				rm[k].dlo = 1;
				rm[k].dhi = 0;
			}
			if (r->seq >= rm[k].dlo && r->seq <= rm[k].dhi)
				continue;	/* a duplicate */
			if (r->seq <= rm[k].max) {
				if (span_put(s) == -1 || (v = span_find(s,
				    tid, r->run, r->runlen, r->seq, &rm[k].dlo,
				    &rm[k].dhi)) == -1)
					return -1;
				if (v != 0)
					continue;	/* a duplicate */
			} else
				rm[k].max = r->seq;
		}
		r->id = id++;
		if (span_add(s, tid, r) == -1)
			return -1;
	}
	if (span_put(s) == -1 || insert_rows(s, tid, b) == -1)
		return -1;
	*next = id;
	return 0;
}

/* What the stored rows of a batch add to their task's summaries. */
struct summary {
	struct tally t[NTALLY];	/* (level, source) counts */
	int nt;
	long long zb, zlo, zhi, zn;	/* the zone being gathered */
	long long minv, maxv;	/* the earliest and latest timestamps */
	size_t imin, imax;	/* and their rows */
	int ev;			/* the last agent event, and its exit code */
	long long xc;
	size_t nst;		/* rows stored */
};

/* Adds stored row i of b to the summaries. 0, or -1. */
static int
summary_add(struct sq *s, long long tid, struct summary *m,
    const struct batch *b, size_t i)
{
	const struct row *r = &b->rows[i];
	int k;

	m->nst++;
	if ((r->id >> ZBITS) != m->zb) {
		if (m->zb >= 0 && zone_add(s, tid, m->zb, m->zlo, m->zhi,
		    m->zn) == -1)
			return -1;
		m->zb = r->id >> ZBITS;
		m->zlo = m->zhi = r->ts;
		m->zn = 0;
	}
	m->zn++;
	if (zone_words(s, tid, r) == -1)
		return -1;
	if (r->ts < m->zlo)
		m->zlo = r->ts;
	else if (r->ts > m->zhi)
		m->zhi = r->ts;
	if (m->nst == 1 || r->ts < m->minv) {
		m->minv = r->ts;
		m->imin = i;
	}
	if (m->nst == 1 || r->ts >= m->maxv) {
		m->maxv = r->ts;
		m->imax = i;
	}
	if (r->event != 0) {
		m->ev = r->event;
		m->xc = r->exit_code;
	}
	for (k = 0; k < m->nt; k++)
		if (m->t[k].level == r->level &&
		    m->t[k].srclen == r->srclen &&
		    memcmp(m->t[k].source, r->source, r->srclen) == 0)
			break;
	if (k == m->nt) {
		if (m->nt == NTALLY && tally_flush(s, tid, m->t, &m->nt) == -1)
			return -1;
		k = m->nt++;
		m->t[k].level = r->level;
		m->t[k].source = r->source;
		m->t[k].srclen = r->srclen;
		m->t[k].n = 0;
	}
	m->t[k].n++;
	return 0;
}

/* Writes the summaries of at least one stored row. 0, or -1. */
static int
summary_flush(struct sq *s, long long tid, struct summary *m,
    const struct batch *b)
{
	sqlite3_stmt *up = s->st[ST_TASK_UPD];

	if (zone_add(s, tid, m->zb, m->zlo, m->zhi, m->zn) == -1 ||
	    tally_flush(s, tid, m->t, &m->nt) == -1)
		return -1;
	sqlite3_bind_int64(up, 1, m->minv);
	sqlite3_bind_text(up, 2, b->rows[m->imin].tsstr,
	    (int)b->rows[m->imin].tslen, SQLITE_STATIC);
	sqlite3_bind_int64(up, 3, m->maxv);
	sqlite3_bind_text(up, 4, b->rows[m->imax].tsstr,
	    (int)b->rows[m->imax].tslen, SQLITE_STATIC);
	sqlite3_bind_int64(up, 5, kr_wall_ns());
	sqlite3_bind_int(up, 6, m->ev);
	sqlite3_bind_int64(up, 7, m->xc);
	sqlite3_bind_int64(up, 8, tid);
	return run(s, ST_TASK_UPD);
}

int
sq_insert(struct sq *s, const char *task, struct batch *b,
    size_t *stored, size_t *dups)
{
	struct summary m;
	long long tid, next;
	size_t i, nd = 0;

	*stored = *dups = 0;
	if (s->gone)
		return -1;
	if (!s->in_txn) {
		if (run(s, ST_BEGIN) == -1)
			return -1;
		s->in_txn = 1;
	}
	/* A batch that fails takes nothing else of the transaction along. */
	if (run(s, ST_SAVE) == -1)
		return -1;
	if ((tid = sq_task(s, task, 1)) <= 0 ||
	    insert_batch(s, tid, b, &next) == -1)
		goto fail;
	memset(&m, 0, sizeof m);
	m.zb = -1;
	for (i = 0; i < b->n; i++) {
		if (b->rows[i].code != NULL)
			continue;	/* refused */
		if (b->rows[i].id == 0)
			nd++;
		else if (summary_add(s, tid, &m, b, i) == -1)
			goto fail;
	}
	if ((m.nst > 0 && summary_flush(s, tid, &m, b) == -1) ||
	    run(s, ST_RELEASE) == -1)
		goto fail;
	s->next_id = next;
	*stored = m.nst;
	*dups = nd;
	return 0;
fail:
	/* The sets written with it may be gone: the builder looks again. */
	s->zo_spoilt = 1;
	s->wz_from = 0;
	span_forget(s);
	if (sqlite3_get_autocommit(s->db)) {
		/* The error (a full disk) took the transaction with it, and
		 * the batches stored in it before: they are lost. */
		s->in_txn = 0;
		s->lost = 1;
		s->failing = 1;
	} else {
		run(s, ST_ROLLTO);
		run(s, ST_RELEASE);
	}
	for (i = 0; i < b->n; i++)
		b->rows[i].id = 0;
	return -1;
}

unsigned long long
sq_commits(const struct sq *s)
{
	return s->commits;
}

int
sq_set_sync(struct sq *s, int full)
{
	if (sqlite3_exec(s->db, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (full && s->sy_fd == -1 && sy_start(s) == -1)
		kr_warnsys("database: no syncer for '%s': each commit syncs "
		    "the WAL itself", s->wal_path);
	if (!full)
		sy_stop(s);
	return 0;
}

void
sq_set_wake(struct sq *s, void (*wake)(void *), void *arg)
{
	if (s->sy_fd != -1)
		pthread_mutex_lock(&s->sy_mu);
	s->sy_wake = wake;
	s->sy_arg = arg;
	if (s->sy_fd != -1)
		pthread_mutex_unlock(&s->sy_mu);
}

unsigned long long
sq_sync_gen(const struct sq *s)
{
	return s->sy_gen;
}

long long
sq_synced(struct sq *s)
{
	unsigned long long d;
	int e;

	if (s->sy_fd == -1)
		return (long long)s->sy_gen;
	pthread_mutex_lock(&s->sy_mu);
	d = s->sy_done;
	e = s->sy_err;
	pthread_mutex_unlock(&s->sy_mu);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return (long long)d;
}

int
sq_sync_now(struct sq *s)
{
	unsigned long long g = s->sy_gen;
	int e = 0;

	if (s->sy_fd == -1 || (long long)g == sq_synced(s))
		return 0;
	if (fdatasync(s->sy_fd) == -1)
		e = errno;
	pthread_mutex_lock(&s->sy_mu);
	if (e != 0 && s->sy_err == 0)
		s->sy_err = e;
	else if (e == 0 && g > s->sy_done)
		s->sy_done = g;
	e = s->sy_err;
	pthread_mutex_unlock(&s->sy_mu);
	errno = e;
	return e != 0 ? -1 : 0;
}

int
sq_set_cache(struct sq *s, size_t bytes)
{
	char sql[64];

	/* A negative cache_size is KiB. */
	snprintf(sql, sizeof sql, "PRAGMA cache_size=-%zu", bytes >> 10);
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    -1;
}

int
sq_lost(struct sq *s)
{
	int l = s->lost;

	s->lost = 0;
	return l;
}

int
sq_in_txn(const struct sq *s)
{
	return s->in_txn;
}

static int
meta_set(struct sq *s, const char *k, long long v)
{
	sqlite3_stmt *st = s->st[ST_META_SET];

	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	return run(s, ST_META_SET);
}

int
sq_commit(struct sq *s)
{
	int rc;

	if (!s->in_txn)
		return 0;
	s->in_txn = 0;
	/* Not acked into a file that is gone: it would not survive. */
	if (sq_check(s) == -1)
		goto fail;
	/*
	 * Only the commit's own sync is left to the syncer: no checkpoint
	 * runs inside COMMIT (wal_hook replaces SQLite's automatic one), and
	 * one must not, as it syncs the WAL before it copies from it.
	 */
	walbuf_defer_sync(s->sy_fd != -1);
	rc = run(s, ST_COMMIT);
	walbuf_defer_sync(0);
	if (rc == -1)
		goto fail;
	s->failing = 0;
	s->commits++;
	if (s->sy_fd != -1) {
		pthread_mutex_lock(&s->sy_mu);
		s->sy_gen++;
		pthread_cond_signal(&s->sy_cv);
		pthread_mutex_unlock(&s->sy_mu);
	}
	if (s->wal_pages >= CKPT_PAGES)
		ck_finish(s);
	return 0;
fail:
	/* The ids handed out are not handed out again. */
	s->zo_spoilt = 1;
	s->wz_from = 0;
	span_forget(s);
	rollback(s);
	s->lost = 1;
	s->failing = !s->gone;
	return -1;
}

long long
sq_find(struct sq *s, long long tid, const char *run_id, size_t runlen,
    long long seq)
{
	long long id = span_find(s, tid, run_id, runlen, seq, NULL, NULL);

	return id > 0 ? id : 0;
}

long long
sq_max_seq(struct sq *s, long long tid, const char *run_id,
    size_t runlen)
{
	long long v = span_max(s, tid, run_id, runlen);

	return v > 0 ? v : 0;
}

/* q= never waits: a zone without its set has its rows matched. */
long long
sq_fts_lag(const struct sq *s)
{
	(void)s;
	return 0;
}

/* The set of words of a zone, from its rows. 0, or -1. */
static int
zone_build(struct sq *s, long long tid, long long blk)
{
	sqlite3_stmt *rows = s->st[ST_ZONE_ROWS];
	struct wset *z = wset_new();
	void *b = NULL;
	size_t len;
	int rc;

	if (z == NULL)
		return -1;
	sqlite3_bind_int64(rows, 1, tid);
	sqlite3_bind_int64(rows, 2, blk);
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(rows, 1);

		if (wset_add(z, s->words, (unsigned)(sqlite3_column_int64(rows,
		    0) & ((1 << ZBITS) - 1)), m ? m : "",
		    (size_t)sqlite3_column_bytes(rows, 1)) == -1)
			break;
	}
	sqlite3_reset(rows);
	if (rc == SQLITE_DONE && (b = wset_blob(z, &len)) != NULL)
		rc = zone_tok(s, tid, blk, b, len);
	else
		rc = -1;
	free(b);
	wset_free(z);
	return rc;
}

/*
 * Gives up to max / 1024 zones their sets of words, those of whole blocks
 * that have none: after a restart, a failure, a redaction or a deletion,
 * and in a database of an older layout. 1 if there are more. Max 0: all,
 * a transaction for each 256 zones, so that a stop cut short keeps what
 * was made.
 */
int
sq_fts_step(struct sq *s, long long max)
{
	sqlite3_stmt *todo = NULL;
	long long n = 0, lim = (max >> ZBITS) + 1, blk = 0;
	long long top = s->next_id >> ZBITS, from = s->wz_from;
	int rc;

	if (max <= 0) {
		while (sq_fts_step(s, 255 << ZBITS) == 1)
			;
		return 0;
	}
	if (from >= top)
		return 0;
	if (s->in_txn && sq_commit(s) == -1)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT z.tid, z.blk FROM zones z"
	    " INDEXED BY zones_blk WHERE z.blk >= ?1 AND z.blk < ?2"
	    " AND z.blk <> ?3 AND NOT EXISTS (SELECT 1 FROM zsets w"
	    " WHERE w.tid = z.tid AND w.blk = z.blk) ORDER BY z.blk LIMIT ?4",
	    -1, &todo, NULL) != SQLITE_OK || run(s, ST_BEGIN) == -1)
		goto fail;
	sqlite3_bind_int64(todo, 1, from);
	sqlite3_bind_int64(todo, 2, top);
	sqlite3_bind_int64(todo, 3, s->zo_blk);
	sqlite3_bind_int64(todo, 4, lim);
	while ((rc = sqlite3_step(todo)) == SQLITE_ROW) {
		blk = sqlite3_column_int64(todo, 1);
		if (zone_build(s, sqlite3_column_int64(todo, 0), blk) == -1)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(todo);
	if (run(s, ST_COMMIT) == -1) {
		rollback(s);
		return 0;
	}
	/* Below the last one made, none is left; the block still being
	 * filled was passed over. */
	if (n == lim)
		s->wz_from = blk;
	else
		s->wz_from = s->zo_blk >= from && s->zo_blk < top ? s->zo_blk :
		    top;
	return n == lim;
fail:
	db_warn(s, "word index: ");
	sqlite3_finalize(todo);
	rollback(s);
	return 0;
}

/* ---- queries ---- */

struct bind {
	int text;
	long long i;
	const char *s;
};

struct sql {
	struct kr_buf b;
	struct bind v[SRV_NSOURCES + 16];
	int n;
};

static void
bind_i(struct sql *q, long long v)
{
	q->v[q->n].text = 0;
	q->v[q->n++].i = v;
	kr_buf_adds(&q->b, "?");
}

static void
bind_s(struct sql *q, const char *v)
{
	q->v[q->n].text = 1;
	q->v[q->n++].s = v;
	kr_buf_adds(&q->b, "?");
}

static sqlite3_stmt *
sql_prepare(struct sq *s, struct sql *q)
{
	sqlite3_stmt *st;
	int i;

	if (q->b.s == NULL)
		return NULL;
	if (sqlite3_prepare_v2(s->db, q->b.s, (int)q->b.len, &st, NULL) !=
	    SQLITE_OK) {
		kr_warn("database: query: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	for (i = 0; i < q->n; i++) {
		if (q->v[i].text)
			sqlite3_bind_text(st, i + 1, q->v[i].s, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, q->v[i].i);
	}
	return st;
}

/* Runs q, which selects one integer, and frees it. The integer, or -1. */
static long long
sql_scalar(struct sq *s, struct sql *q)
{
	sqlite3_stmt *st = sql_prepare(s, q);
	long long n = -1;

	kr_buf_free(&q->b);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
level_count(unsigned mask)
{
	int n = 0;

	for (; mask; mask >>= 1)
		n += mask & 1;
	return n;
}

/* Rows of a task with levels in mask, and all its rows, from counts. */
static void
counts_of(struct sq *s, long long tid, unsigned mask, long long *in,
    long long *all)
{
	sqlite3_stmt *st;

	*in = *all = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT level, sum(n) FROM counts"
	    " WHERE tid = ? GROUP BY level", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, tid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int lv = sqlite3_column_int(st, 0);
		long long n = sqlite3_column_int64(st, 1);

		*all += n;
		if (lv >= 0 && lv < 32 && (mask & (1u << lv)))
			*in += n;
	}
	sqlite3_finalize(st);
}

/* The conditions of f (and ids after after) on the rows l, as SQL. */
static void
filter_clauses(struct sql *q, const struct filter *f, long long after)
{
	int i;

	if (f->levels != 0 && f->levels != (1u << KR_NLEVELS) - 1) {
		int first = 1;

		kr_buf_adds(&q->b, " AND l.level IN (");
		for (i = 0; i < KR_NLEVELS; i++)
			if (f->levels & (1u << i)) {
				kr_buf_printf(&q->b, "%s%d", first ? "" : ",",
				    i);
				first = 0;
			}
		kr_buf_adds(&q->b, ")");
	}
	if (f->nsources > 0) {
		kr_buf_adds(&q->b, " AND l.source IN (");
		for (i = 0; i < f->nsources; i++) {
			if (i > 0)
				kr_buf_adds(&q->b, ",");
			bind_s(q, f->sources[i]);
		}
		kr_buf_adds(&q->b, ")");
	}
	if (f->has_from) {
		kr_buf_adds(&q->b, " AND l.ts >= ");
		bind_i(q, f->from);
	}
	if (f->has_to) {
		kr_buf_adds(&q->b, " AND l.ts < ");
		bind_i(q, f->to);
	}
	if (after > 0) {
		kr_buf_adds(&q->b, " AND l.id > ");
		bind_i(q, after);
	}
}

enum { BY_INDEX, BY_ZONES, BY_SPANS };

/* A bound of ids, as SQL: "max(e, ?)" or "min(e, ?)"; e alone if v is
 * 0. */
static void
bound(struct sql *q, const char *fn, const char *e, long long v)
{
	if (v == 0) {
		kr_buf_printf(&q->b, "(%s)", e);
		return;
	}
	kr_buf_printf(&q->b, "%s(%s, ", fn, e);
	bind_i(q, v);
	kr_buf_adds(&q->b, ")");
}

/*
 * The FROM and WHERE of a query of task tid's rows of ids above lo and,
 * unless hi is 0, below hi; and how it reads: BY_ZONES for q=, from and
 * to, rows in id order when ordered by (z.blk, g.lo, l.id); BY_SPANS,
 * the task's spans, by (g.lo, l.id); BY_INDEX, the partial index (tid,
 * level), by l.id, for one level.
 * With q=, only the zones whose words may match, and of their rows those
 * that do; but with a rare level, the level's rows (its index) that do.
 * For level filters without INFO, the index suits rare levels; for common
 * ones, walking the spans finds a page sooner.
 * A zone's rows of the task are read through the task's spans in its
 * block, so that other tasks' rows in the block are not read. Each id
 * range has one bound at each end, so that SQLite cannot start a span's
 * range at a bound of the whole query.
 */
static int
where(struct sq *s, struct sql *q, long long tid, const struct filter *f,
    long long lo, long long hi)
{
	int by = BY_SPANS;

	if (f->levels != 0 && !(f->levels & (1u << KR_INFO))) {
		long long in, all;

		if (level_count(f->levels) == 1 && f->match == NULL)
			by = BY_INDEX;
		else {
			/* With q=, the level's rows, each read through its
			 * index, rather than every row of the zones. */
			counts_of(s, tid, f->levels, &in, &all);
			if (in * (f->match != NULL ? 5 : 100) < all)
				by = BY_INDEX;
		}
	}
	if ((f->match != NULL && by != BY_INDEX) || f->has_from ||
	    f->has_to) {
		by = BY_ZONES;
		kr_buf_adds(&q->b, " FROM zones z CROSS JOIN spans g CROSS JOIN"
		    " logs l ON g.tid = z.tid AND g.lo >= coalesce((SELECT"
		    " max(lo) FROM spans WHERE tid = z.tid AND lo <= ");
		bound(q, "max", "z.blk << 10", lo > 0 ? lo + 1 : 0);
		kr_buf_adds(&q->b, "), 0) AND g.lo < ");
		bound(q, "min", "(z.blk + 1) << 10", hi);
		kr_buf_adds(&q->b, " AND l.id >= max(g.lo, ");
		bound(q, "max", "z.blk << 10", lo > 0 ? lo + 1 : 0);
		kr_buf_adds(&q->b, ") AND l.id < min(g.lo + g.n, ");
		bound(q, "min", "(z.blk + 1) << 10", hi);
		kr_buf_adds(&q->b, ") WHERE z.tid = ");
		bind_i(q, tid);
		if (f->match != NULL) {
			kr_buf_adds(&q->b, " AND kr_zone(" ZTOK ", ");
			bind_s(q, f->match);
			kr_buf_adds(&q->b, ")");
		}
		if (f->has_from) {
			kr_buf_adds(&q->b, " AND z.max_ts >= ");
			bind_i(q, f->from);
		}
		if (f->has_to) {
			kr_buf_adds(&q->b, " AND z.min_ts < ");
			bind_i(q, f->to);
		}
		if (lo > 0) {
			kr_buf_adds(&q->b, " AND z.blk >= ");
			bind_i(q, (lo + 1) >> ZBITS);
		}
		if (hi > 0) {
			kr_buf_adds(&q->b, " AND z.blk <= ");
			bind_i(q, (hi - 1) >> ZBITS);
		}
	} else if (by == BY_INDEX) {
		/* The partial index is only usable with its own condition. */
		kr_buf_adds(&q->b, " FROM logs l INDEXED BY logs_lvl" GROW
		    " WHERE l.level <> 2 AND l.tid = ");
		bind_i(q, tid);
		if (lo > 0) {
			kr_buf_adds(&q->b, " AND l.id > ");
			bind_i(q, lo);
		}
		if (hi > 0) {
			kr_buf_adds(&q->b, " AND l.id < ");
			bind_i(q, hi);
		}
	} else {
		/* A span's rows are all the task's. */
		kr_buf_adds(&q->b, " FROM spans g CROSS JOIN logs l"
		    " ON l.id >= ");
		bound(q, "max", "g.lo", lo > 0 ? lo + 1 : 0);
		kr_buf_adds(&q->b, " AND l.id < ");
		bound(q, "min", "g.lo + g.n", hi);
		kr_buf_adds(&q->b, " WHERE g.tid = ");
		bind_i(q, tid);
		if (lo > 0) {
			/* From the span that holds lo + 1. */
			kr_buf_adds(&q->b, " AND g.lo >= coalesce((SELECT"
			    " max(lo) FROM spans WHERE tid = ");
			bind_i(q, tid);
			kr_buf_adds(&q->b, " AND lo <= ");
			bind_i(q, lo + 1);
			kr_buf_adds(&q->b, "), 0)");
		}
		if (hi > 0) {
			kr_buf_adds(&q->b, " AND g.lo < ");
			bind_i(q, hi);
		}
	}
	filter_clauses(q, f, 0);
	if (f->match != NULL) {
		kr_buf_adds(&q->b, " AND kr_match(l.message, ");
		bind_s(q, f->match);
		kr_buf_adds(&q->b, ")");
	}
	return by;
}

/* The text of a column (NULL for SQL NULL), with its length. */
static const char *
col_text(sqlite3_stmt *st, int col, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	*len = (size_t)sqlite3_column_bytes(st, col);
	return t;
}

/* A row of a cursor's statement, as the formats see it. */
static void
cursor_row(sqlite3_stmt *st, struct srec *r)
{
	r->id = sqlite3_column_int64(st, COL_ID);
	r->task = col_text(st, COL_TASK, &r->tasklen);
	r->run = col_text(st, COL_RUN, &r->runlen);
	r->seq = sqlite3_column_type(st, COL_SEQ) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, COL_SEQ);
	r->ts = col_text(st, COL_TS, &r->tslen);
	r->source = col_text(st, COL_SOURCE, &r->srclen);
	r->level = sqlite3_column_int(st, COL_LEVEL);
	r->msg = col_text(st, COL_MSG, &r->msglen);
	r->extra = col_text(st, COL_EXTRA, &r->extralen);
}

int
sq_cursor_step(struct sq *s, struct cursor *c, row_fmt fmt, void *arg,
    struct kr_buf *out)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };
	sqlite3_stmt *st;
	const char *dir;
	long long lim = CHUNK, lo = c->after, hi = 0;
	int n = 0, rc, by;

	if (c->done)
		return 0;
	if (c->tid <= 0 || c->remaining == 0) {
		c->done = 1;
		return 0;
	}
	dir = c->desc ? "DESC" : "ASC";
	if (c->remaining > 0 && c->remaining < lim)
		lim = c->remaining;
	kr_buf_adds(&q.b, "SELECT l.id, ");
	bind_s(&q, c->task);
	kr_buf_adds(&q.b, "," GRUN "," GSEQ ", kr_tsstr(l.tsstr, l.ts),"
	    " l.source, l.level,"
	    " l.message, l.extra");
	if (c->started && c->desc)
		hi = c->last;
	else if (c->started && c->last > lo)
		lo = c->last;
	by = where(s, &q, c->tid, &c->f, lo, hi);
	if (by == BY_ZONES)
		kr_buf_printf(&q.b, " ORDER BY z.blk %s, g.lo %s, l.id %s"
		    " LIMIT ", dir, dir, dir);
	else if (by == BY_SPANS)
		kr_buf_printf(&q.b, " ORDER BY g.lo %s, l.id %s LIMIT ", dir,
		    dir);
	else
		kr_buf_printf(&q.b, " ORDER BY l.id %s LIMIT ", dir);
	bind_i(&q, lim);
	if (!c->started && c->offset > 0) {
		kr_buf_adds(&q.b, " OFFSET ");
		bind_i(&q, c->offset);
	}
	st = sql_prepare(s, &q);
	kr_buf_free(&q.b);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct srec r;

		cursor_row(st, &r);
		if (fmt(out, &r, !c->started && n == 0, arg) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		c->last = r.id;
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (n > 0)
		c->started = 1;
	if (c->remaining > 0)
		c->remaining -= n;
	if (n < lim || c->remaining == 0)
		c->done = 1;
	return n;
}

/* " AND col IN (the tasks named task, or by that prefix)", if any. */
static void
task_clause(struct sql *q, const char *col, const char *task, int prefix)
{
	if (task == NULL || task[0] == '\0')
		return;
	kr_buf_printf(&q->b, " AND %s IN (SELECT tid FROM tasks WHERE ", col);
	if (prefix) {
		kr_buf_adds(&q->b, "substr(name, 1, length(");
		bind_s(q, task);
		kr_buf_adds(&q->b, ")) = ");
	} else
		kr_buf_adds(&q->b, "name = ");
	bind_s(q, task);
	kr_buf_adds(&q->b, ")");
}

/*
 * The statement of a search's rows, newest first: those of every block
 * when blk is 0; else those of one block (ids from ?1 below ?2, the block
 * ?3) of the tasks whose zone's words may match. The LIMIT is its last
 * parameter.
 */
static sqlite3_stmt *
search_stmt(struct sq *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before, int blk)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };
	sqlite3_stmt *st;

	kr_buf_adds(&q.b, "SELECT l.id, (SELECT name FROM tasks t"
	    " WHERE t.tid = l.tid)," GRUN "," GSEQ ", kr_tsstr(l.tsstr, l.ts),"
	    " l.source, l.level,"
	    " l.message, l.extra");
	if (blk) {
		/* ?1, ?2: the ids sought in the block ?3 (search_rows). */
		kr_buf_adds(&q.b, " FROM zones z CROSS JOIN spans g CROSS JOIN"
		    " logs l ON g.tid = z.tid AND " SFROM("z.tid", "?1")
		    " AND g.lo < ?2 AND l.id >= max(g.lo, ?1)"
		    " AND l.id < min(g.lo + g.n, ?2) WHERE z.blk = ?3");
		for (; q.n < 3; q.n++) {
			q.v[q.n].text = 0;
			q.v[q.n].i = 0;
		}
		if (f->match != NULL) {
			kr_buf_adds(&q.b, " AND kr_zone(" ZTOK ", ");
			bind_s(&q, f->match);
			kr_buf_adds(&q.b, ")");
		}
		task_clause(&q, "z.tid", task, prefix);
		filter_clauses(&q, f, 0);
	} else {
		kr_buf_adds(&q.b, " FROM logs l" GROW " WHERE 1");
		filter_clauses(&q, f, after);
		if (before > 0) {
			kr_buf_adds(&q.b, " AND l.id < ");
			bind_i(&q, before);
		}
	}
	if (f->match != NULL) {
		kr_buf_adds(&q.b, " AND kr_match(l.message, ");
		bind_s(&q, f->match);
		kr_buf_adds(&q.b, ")");
	}
	kr_buf_adds(&q.b, " ORDER BY l.id DESC LIMIT ");
	bind_i(&q, 0);
	st = sql_prepare(s, &q);
	kr_buf_free(&q.b);
	return st;
}

/*
 * Runs st (search_stmt) for block blk (-1: st is of every block), its
 * ids above after and below before (if not 0), up to size rows in all
 * (*n so far), and resets it. 0, or -1.
 */
static int
search_rows(sqlite3_stmt *st, long long blk, long long after,
    long long before, long long size, row_fmt fmt, void *arg,
    struct kr_buf *out, long long *n, long long *last)
{
	long long lo, hi;
	int rc;

	if (blk >= 0) {
		lo = blk << ZBITS;
		hi = (blk + 1) << ZBITS;
		if (after >= lo)
			lo = after + 1;
		if (before > 0 && before < hi)
			hi = before;
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		sqlite3_bind_int64(st, 3, blk);
	}
	sqlite3_bind_int64(st, sqlite3_bind_parameter_count(st), size - *n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct srec r;

		cursor_row(st, &r);
		if (fmt(out, &r, *n == 0, arg) == -1) {
			sqlite3_reset(st);
			return -1;
		}
		*last = r.id;
		(*n)++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

long long
sq_search(struct sq *s, const char *task, int prefix,
    const struct filter *f, long long after, long long before,
    long long size, row_fmt fmt, void *arg, struct kr_buf *out,
    long long *last)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };
	sqlite3_stmt *st, *rows;
	long long n = 0, blk, prev = -1;
	int rc = SQLITE_DONE, bb;

	*last = 0;
	/* Block by block when few blocks may hold what is sought. */
	bb = f->match != NULL || (task != NULL && task[0] != '\0');
	if ((rows = search_stmt(s, task, prefix, f, after, before, bb)) ==
	    NULL)
		return -1;
	if (!bb) {
		rc = search_rows(rows, -1, 0, 0, size, fmt, arg, out, &n,
		    last);
		sqlite3_finalize(rows);
		return rc == -1 ? -1 : n;
	}
	/* Block by block, newest first: of the tasks sought, whose words
	 * may match. */
	kr_buf_adds(&q.b, "SELECT z.blk FROM zones z INDEXED BY zones_blk"
	    " WHERE z.blk >= ");
	bind_i(&q, after > 0 ? after >> ZBITS : 0);
	if (before > 0) {
		kr_buf_adds(&q.b, " AND z.blk <= ");
		bind_i(&q, (before - 1) >> ZBITS);
	}
	if (f->has_from) {
		kr_buf_adds(&q.b, " AND z.max_ts >= ");
		bind_i(&q, f->from);
	}
	if (f->has_to) {
		kr_buf_adds(&q.b, " AND z.min_ts < ");
		bind_i(&q, f->to);
	}
	task_clause(&q, "z.tid", task, prefix);
	if (f->match != NULL) {
		kr_buf_adds(&q.b, " AND kr_zone(" ZTOK ", ");
		bind_s(&q, f->match);
		kr_buf_adds(&q.b, ")");
	}
	kr_buf_adds(&q.b, " ORDER BY z.blk DESC");
	st = sql_prepare(s, &q);
	kr_buf_free(&q.b);
	if (st == NULL) {
		sqlite3_finalize(rows);
		return -1;
	}
	while (n < size && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((blk = sqlite3_column_int64(st, 0)) == prev)
			continue;
		prev = blk;
		if (search_rows(rows, blk, after, before, size, fmt, arg, out,
		    &n, last) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(rows);
	return rc == SQLITE_DONE || (rc == SQLITE_ROW && n >= size) ? n : -1;
}

/* A zone wholly within the range, as SQL ("1" when unbounded). */
static void
zone_inside(struct sql *q, const struct filter *f)
{
	kr_buf_adds(&q->b, "(1");
	if (f->has_from) {
		kr_buf_adds(&q->b, " AND z.min_ts >= ");
		bind_i(q, f->from);
	}
	if (f->has_to) {
		kr_buf_adds(&q->b, " AND z.max_ts < ");
		bind_i(q, f->to);
	}
	kr_buf_adds(&q->b, ")");
}

/*
 * The records of a task in a time range, with no other filter: the zones
 * wholly within it count without reading a row; only the rows of the
 * zones across its ends are read.
 */
static long long
zone_count(struct sq *s, long long tid, const struct filter *f)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };

	kr_buf_adds(&q.b, "SELECT (SELECT coalesce(sum(z.n), 0) FROM zones z"
	    " WHERE z.tid = ");
	bind_i(&q, tid);
	kr_buf_adds(&q.b, " AND ");
	zone_inside(&q, f);
	kr_buf_adds(&q.b, ") + (SELECT count(*)");
	where(s, &q, tid, f, 0, 0);
	kr_buf_adds(&q.b, " AND NOT ");
	zone_inside(&q, f);
	kr_buf_adds(&q.b, ")");
	return sql_scalar(s, &q);
}

/* Finalizes st[0 .. n); returns v, telling the error when it is -1. */
static long long
stmts_done(struct sq *s, sqlite3_stmt **st, int n, long long v)
{
	if (v < 0)
		kr_warn("database: query: %s", sqlite3_errmsg(s->db));
	while (n-- > 0)
		sqlite3_finalize(st[n]);
	return v;
}

#define NWORDS	16	/* words that count by the zones' sets */

/*
 * How many rows of a zone of n rows hold every word of h[0 .. nh), by its
 * set (blob, len) alone; -1 when that takes reading them: more than one
 * word is in some of its rows but not all.
 */
static long long
zone_words_rows(const void *blob, size_t len, long long n,
    const uint64_t *h, int nh)
{
	long long c, some = n;
	int i, partial = 0;

	for (i = 0; i < nh; i++) {
		if ((c = wset_blob_rows(blob, len, h[i])) == 0)
			return 0;
		if (c < n) {
			partial++;
			some = c;
		}
	}
	return partial <= 1 ? some : -1;
}

/*
 * The rows of a task above after that hold the words of hashes h[0 ..
 * nh) (see wq_words), with no other filter. A zone with its set of words
 * counts by the set alone, without reading a row, when at most one of
 * the words is in some of its rows but not all (a word in all of them
 * adds nothing); the rows of the others (and of the zone after falls in,
 * and those without a set: the block being filled, a zone whose set is
 * being made again) are matched.
 */
static long long
words_count(struct sq *s, long long tid, const char *match,
    const uint64_t *h, int nh, long long after)
{
	static const char *const sql[2] = {
		"SELECT z.blk, w.tok, z.n FROM zones z LEFT JOIN zsets w"
		" ON w.tid = z.tid AND w.blk = z.blk WHERE z.tid = ?1"
		" AND z.blk >= ?2 ORDER BY z.blk",
		"SELECT count(*) FROM spans g CROSS JOIN logs l"
		" ON l.id >= max(g.lo, ?2 << 10, ?3 + 1)"
		" AND l.id < min(g.lo + g.n, (?2 + 1) << 10) WHERE g.tid = ?1"
		" AND " SFROM("?1", "max(?2 << 10, ?3 + 1)")
		" AND g.lo < ((?2 + 1) << 10) AND kr_match(l.message, ?4)",
	};
	sqlite3_stmt *st[2] = { NULL, NULL };
	long long n = 0, blk, k;
	int i, rc;

	for (i = 0; i < 2; i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st[i], NULL) !=
		    SQLITE_OK)
			return stmts_done(s, st, i, -1);
	sqlite3_bind_int64(st[0], 1, tid);
	sqlite3_bind_int64(st[0], 2, after >> ZBITS);
	sqlite3_bind_int64(st[1], 1, tid);
	sqlite3_bind_int64(st[1], 3, after);
	sqlite3_bind_text(st[1], 4, match, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st[0])) == SQLITE_ROW) {
		blk = sqlite3_column_int64(st[0], 0);
		if (sqlite3_column_type(st[0], 1) == SQLITE_BLOB &&
		    blk << ZBITS > after && (k = zone_words_rows(
		    sqlite3_column_blob(st[0], 1),
		    (size_t)sqlite3_column_bytes(st[0], 1),
		    sqlite3_column_int64(st[0], 2), h, nh)) >= 0) {
			n += k;
			continue;
		}
		sqlite3_bind_int64(st[1], 2, blk);
		rc = sqlite3_step(st[1]);
		if (rc == SQLITE_ROW)
			n += sqlite3_column_int64(st[1], 0);
		sqlite3_reset(st[1]);
		if (rc != SQLITE_ROW)
			return stmts_done(s, st, 2, -1);
	}
	return stmts_done(s, st, 2, rc == SQLITE_DONE ? n : -1);
}

/*
 * Counts the rows that match by reading them (a full-text query that
 * matches millions takes a while). The count is remembered: the next page
 * of the same query counts only the rows that came since. Rows are only
 * added above the highest id, except by deletion, which forgets them all.
 */
static long long
count_rows(struct sq *s, long long tid, const struct filter *f,
    long long after)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };
	struct memo *m;
	struct wq *w = NULL;
	long long top, n;
	uint64_t h[NWORDS];
	int nh = -1;

	top = s->next_id - 1;
	if ((m = memo_get(&s->memos, tid, f, after)) == NULL)
		return -1;
	if (m->upto >= top)
		return m->n;
	if (m->upto > after)
		after = m->upto;
	/* Words of one part, and no other filter: */
	if (f->match != NULL && f->nsources == 0 && !f->has_from &&
	    !f->has_to && (f->levels == 0 ||
	    f->levels == (1u << KR_NLEVELS) - 1) &&
	    (w = wq_new(s->words, f->match)) != NULL &&
	    (nh = wq_words(w, h, NWORDS)) > 0)
		n = words_count(s, tid, f->match, h, nh, after);
	else {
		kr_buf_adds(&q.b, "SELECT count(*)");
		where(s, &q, tid, f, after, 0);
		n = sql_scalar(s, &q);
	}
	wq_free(w);
	if (n < 0)
		return -1;
	m->n += n;
	m->upto = top;
	return m->n;
}

long long
sq_count(struct sq *s, long long tid, const struct filter *f,
    long long after)
{
	struct sql q = { KR_BUF_INIT(1 << 16), { { 0, 0, NULL } }, 0 };

	if (tid <= 0)
		return 0;
	if (f->match == NULL && (f->has_from || f->has_to) && after <= 0 &&
	    (f->levels == 0 || f->levels == (1u << KR_NLEVELS) - 1) &&
	    f->nsources == 0)
		return zone_count(s, tid, f);
	if (f->match == NULL && !f->has_from && !f->has_to && after <= 0) {
		/* The counts table answers without touching the logs. */
		int i;

		kr_buf_adds(&q.b, "SELECT coalesce(sum(n), 0) FROM counts"
		    " WHERE tid = ");
		bind_i(&q, tid);
		if (f->levels != 0) {
			kr_buf_adds(&q.b, " AND level IN (-1");
			for (i = 0; i < KR_NLEVELS; i++)
				if (f->levels & (1u << i))
					kr_buf_printf(&q.b, ",%d", i);
			kr_buf_adds(&q.b, ")");
		}
		if (f->nsources > 0) {
			kr_buf_adds(&q.b, " AND source IN (");
			for (i = 0; i < f->nsources; i++) {
				if (i > 0)
					kr_buf_adds(&q.b, ",");
				bind_s(&q, f->sources[i]);
			}
			kr_buf_adds(&q.b, ")");
		}
	} else
		return count_rows(s, tid, f, after);
	return sql_scalar(s, &q);
}

/* ---- deletion ---- */

/* Sets first/last times of a task again, or drops it when empty. */
static int
task_refresh(struct sq *s, long long tid)
{
	char sql[2048];

	snprintf(sql, sizeof sql,
	    "DELETE FROM counts WHERE tid = %lld AND n <= 0;"
	    "UPDATE tasks SET"
	    " first_ts = (SELECT min(min_ts) FROM zones WHERE tid = %lld),"
	    " last_ts = (SELECT max(max_ts) FROM zones WHERE tid = %lld)"
	    " WHERE tid = %lld;"
	    "UPDATE tasks SET"
	    " first_tsstr = (SELECT kr_tsstr(l.tsstr, l.ts)" ZJOIN
	    "  WHERE z.tid = %lld"
	    "  AND z.min_ts = first_ts AND l.tid = %lld AND l.ts = first_ts"
	    "  LIMIT 1),"
	    " last_tsstr = (SELECT kr_tsstr(l.tsstr, l.ts)" ZJOIN
	    "  WHERE z.tid = %lld"
	    "  AND z.max_ts = last_ts AND l.tid = %lld AND l.ts = last_ts"
	    "  LIMIT 1)"
	    " WHERE tid = %lld;"
	    "DELETE FROM tasks WHERE tid = %lld AND first_ts IS NULL;"
	    /* A task's tid may be given again once it is gone. */
	    "DELETE FROM spans WHERE tid = %lld AND NOT EXISTS"
	    " (SELECT 1 FROM tasks WHERE tid = %lld);",
	    tid, tid, tid, tid, tid, tid, tid, tid, tid, tid, tid, tid);
	return exec(s, sql);
}

/* The set of words of a zone goes (sq_fts_step makes it again). */
static int
zone_untok(struct sq *s, long long tid, long long blk)
{
	sqlite3_stmt *un = s->st[ST_ZONE_UNTOK];

	if (blk < s->wz_from)
		s->wz_from = blk;
	sqlite3_bind_int64(un, 1, tid);
	sqlite3_bind_int64(un, 2, blk);
	return run(s, ST_ZONE_UNTOK);
}

/*
 * Sets a zone's times again after deletions, or drops it when empty; its
 * set of words goes.
 */
static int
zone_fix(struct sq *s, long long tid, long long blk)
{
	int k;

	for (k = ST_ZONE_FIX; k <= ST_ZONE_DROP; k++) {
		sqlite3_bind_int64(s->st[k], 1, tid);
		sqlite3_bind_int64(s->st[k], 2, blk);
		if (run(s, k) == -1)
			return -1;
	}
	return zone_untok(s, tid, blk);
}

/* A time before every other: "before" it means of any age. */
#define ANY_AGE		LLONG_MIN

/*
 * Deletes up to max rows of a task older than before (ANY_AGE: any age,
 * and the task's zones are left to the caller). A retention cutoff may be
 * before 1970: it is a time like another, not "any age". Over 80 lines:
 * the rows, their full-text entries, zones and counts go in one pass.
 */
static long long
delete_some(struct sq *s, long long tid, long long before, long long max)
{
	sqlite3_stmt *st;
	struct tally t[NTALLY];
	char *srcs[NTALLY];
	long long *blks = NULL;
	size_t nb = 0, cb = 0, b;
	int nt = 0, k, rc;
	long long n = 0, id;
	const char *sql = before != ANY_AGE ?
	    "SELECT l.id, l.level, l.source, l.message" ZJOIN
	    " WHERE z.tid = ?1 AND z.min_ts < ?2 AND l.tid = ?1"
	    " AND l.ts < ?2 LIMIT ?3" :
	    "SELECT l.id, l.level, l.source, l.message" SJOIN
	    " WHERE g.tid = ?1 LIMIT ?3";

	/*
	 * Ids are never handed out again: the next one is max(id) + 1 on
	 * opening, unless rows at the end go, so it is saved before they do.
	 */
	memo_forget(&s->memos);
	if (meta_set(s, "next_id", s->next_id) == -1 ||
	    sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, tid);
	if (before != ANY_AGE)
		sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int lv = sqlite3_column_int(st, 1);
		const char *src = (const char *)sqlite3_column_text(st, 2);
		size_t sl = (size_t)sqlite3_column_bytes(st, 2);

		id = sqlite3_column_int64(st, 0);
		zone_changed(s, id >> ZBITS);
		sqlite3_bind_int64(s->st[ST_LOG_DEL], 1, id);
		if (run(s, ST_LOG_DEL) == -1)
			goto fail;
		if (before != ANY_AGE && (nb == 0 ||
		    blks[nb - 1] != id >> ZBITS)) {
			if (nb == cb) {
				size_t nc = cb ? cb * 2 : 64;
				long long *nbk = realloc(blks, nc * sizeof *nbk);

				if (nbk == NULL)
					goto fail;
				blks = nbk;
				cb = nc;
			}
			blks[nb++] = id >> ZBITS;
		}
		for (k = 0; k < nt; k++)
			if (t[k].level == lv && t[k].srclen == sl &&
			    memcmp(t[k].source, src, sl) == 0)
				break;
		if (k == nt) {
			if (nt == NTALLY) {
				for (k = 0; k < nt; k++) {
					if (count_add(s, tid, t[k].level,
					    t[k].source, t[k].srclen,
					    -t[k].n) == -1)
						goto fail;
					free(srcs[k]);
				}
				nt = 0;
			}
			if ((srcs[nt] = malloc(sl + 1)) == NULL)
				goto fail;
			k = nt++;
			memcpy(srcs[k], src ? src : "", sl);
			srcs[k][sl] = '\0';
			t[k].level = lv;
			t[k].source = srcs[k];
			t[k].srclen = sl;
			t[k].n = 0;
		}
		t[k].n++;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	for (k = 0; k < nt; k++)
		if (count_add(s, tid, t[k].level, t[k].source, t[k].srclen,
		    -t[k].n) == -1)
			goto fail;
	/* Zones come in order, but a block may show up again. */
	for (b = 0; b < nb; b++)
		if (zone_fix(s, tid, blks[b]) == -1)
			goto fail;
	for (k = 0; k < nt; k++)
		free(srcs[k]);
	free(blks);
	return n;
fail:
	kr_warn("database: delete: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	for (k = 0; k < nt; k++)
		free(srcs[k]);
	free(blks);
	return -1;
}

long long
sq_delete(struct sq *s, long long tid, long long before)
{
	char sql[160];
	long long n, total = 0;

	if (tid <= 0)
		return 0;
	if (before == 0)
		before = ANY_AGE;
	if (s->in_txn && sq_commit(s) == -1)
		return -1;
	span_forget(s);
	do {
		if (run(s, ST_BEGIN) == -1)
			return -1;
		if ((n = delete_some(s, tid, before, 10000)) == -1)
			goto fail;
		if (before == ANY_AGE && n < 10000) {
			snprintf(sql, sizeof sql,
			    "DELETE FROM zones WHERE tid = %lld;"
			    "DELETE FROM zsets WHERE tid = %lld", tid, tid);
			if (exec(s, sql) == -1)
				goto fail;
		}
		if (task_refresh(s, tid) == -1 || run(s, ST_COMMIT) == -1)
			goto fail;
		total += n;
	} while (n == 10000);
	return total;
fail:
	rollback(s);
	return -1;
}

long long
sq_expire(struct sq *s, long long cutoff, long long max)
{
	sqlite3_stmt *st;
	long long tids[64], n, total = 0;
	int nt = 0, i;

	if (s->in_txn && sq_commit(s) == -1)
		return -1;
	span_forget(s);
	if (sqlite3_prepare_v2(s->db, "SELECT tid FROM tasks WHERE first_ts < ?"
	    " LIMIT 64", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	while (sqlite3_step(st) == SQLITE_ROW && nt < 64)
		tids[nt++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (i = 0; i < nt && total < max; i++) {
		if (run(s, ST_BEGIN) == -1)
			return -1;
		if ((n = delete_some(s, tids[i], cutoff, max - total)) == -1 ||
		    task_refresh(s, tids[i]) == -1 ||
		    run(s, ST_COMMIT) == -1) {
			rollback(s);
			return -1;
		}
		total += n;
	}
	return total;
}

/* ---- summaries ---- */

int
sq_counts(struct sq *s, long long tid, count_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT level, source, n FROM counts"
	    " WHERE tid = ? ORDER BY source", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, tid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1),
		    sqlite3_column_int64(st, 2)) == -1)
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
sq_tasks(struct sq *s, const char *only, task_fn fn, void *arg)
{
	sqlite3_stmt *st;
	struct task_info t;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT t.name, t.first_tsstr,"
	    " t.last_tsstr, t.last_activity, t.exited, t.exit_code,"
	    " (SELECT coalesce(sum(n), 0) FROM counts c WHERE c.tid = t.tid),"
	    " (SELECT coalesce(sum(n), 0) FROM counts c WHERE c.tid = t.tid"
	    "  AND c.level >= 4)"
	    " FROM tasks t WHERE ?1 IS NULL OR t.name = ?1"
	    " ORDER BY t.last_activity DESC, t.name", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (only != NULL)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t.name = col_text(st, 0, &t.namelen);
		t.first_ts = col_text(st, 1, &t.first_len);
		t.last_ts = col_text(st, 2, &t.last_len);
		t.last_activity = sqlite3_column_int64(st, 3);
		t.exited = sqlite3_column_int(st, 4);
		t.exit_code = sqlite3_column_int64(st, 5);
		t.count = sqlite3_column_int64(st, 6);
		t.errors = sqlite3_column_int64(st, 7);
		if (fn(arg, &t) == -1)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

long long
sq_size(struct sq *s)
{
	return scalar(s, "PRAGMA page_count", 0) *
	    scalar(s, "PRAGMA page_size", 0);
}

/* The memory SQLite's page cache holds for the database. */
long long
sq_cache(struct sq *s)
{
	int cur = 0, hi = 0;

	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi,
	    0) != SQLITE_OK)
		return 0;
	return cur;
}

void
sq_setup(void)
{
	/* No global lock on each malloc for statistics nobody reads. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* Without it (another default VFS), WAL writes go one by one. */
	(void)walbuf_register();
}

/* ---- scrubbing ---- */

long long
sq_last_id(const struct sq *s)
{
	return s->next_id - 1;
}

/* Zones, as (tid, blk) pairs. */
struct zlist {
	long long *v;
	size_t n, cap;
};

/* Adds (tid, blk) to l unless it is its last. 0, or -1. */
static int
zlist_add(struct zlist *l, long long tid, long long blk)
{
	if (l->n > 0 && l->v[l->n - 2] == tid && l->v[l->n - 1] == blk)
		return 0;
	if (l->n + 2 > l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 64;
		long long *v = realloc(l->v, nc * sizeof *v);

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = tid;
	l->v[l->n++] = blk;
	return 0;
}

/*
 * The zones of l had rows changed: their sets of words, which held the
 * old ones, are made again from the rows as they are now, in place
 * (secure_delete overwrites them), or go when the block is still being
 * filled. 0, or -1.
 */
static int
zones_redo(struct sq *s, const struct zlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i += 2) {
		long long tid = l->v[i], blk = l->v[i + 1];

		zone_changed(s, blk);
		if (blk < s->next_id >> ZBITS && blk != s->zo_blk) {
			if (zone_build(s, tid, blk) == -1)
				return -1;
		} else if (zone_untok(s, tid, blk) == -1)
			return -1;
	}
	return 0;
}

/* Replaces a record's message and extra members; its zone goes in l. */
static int
rewrite_row(sqlite3_stmt *up, long long id, long long tid,
    const struct kr_buf *nmsg, const struct kr_buf *nextra,
    struct zlist *l)
{
	if (zlist_add(l, tid, id >> ZBITS) == -1)
		return -1;
	sqlite3_bind_text(up, 1, nmsg->s ? nmsg->s : "", (int)nmsg->len,
	    SQLITE_STATIC);
	if (nextra->len > 0)
		sqlite3_bind_text(up, 2, nextra->s, (int)nextra->len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 2);
	sqlite3_bind_int64(up, 3, id);
	if (sqlite3_step(up) != SQLITE_DONE)
		return -1;
	sqlite3_reset(up);
	return 0;
}

/* The row st is on, offered to fn, and rewritten when fn changed it. */
static int
offer_row(sqlite3_stmt *st, sqlite3_stmt *up,
    rewrite_fn fn, void *arg, struct kr_buf *nmsg, struct kr_buf *nextra,
    struct zlist *l)
{
	const char *x = (const char *)sqlite3_column_text(st, 3);
	int rc;

	rc = fn(arg, (const char *)sqlite3_column_text(st, 2),
	    (size_t)sqlite3_column_bytes(st, 2), x,
	    x ? (size_t)sqlite3_column_bytes(st, 3) : 0, nmsg, nextra);
	if (rc == 1 && rewrite_row(up, sqlite3_column_int64(st, 0),
	    sqlite3_column_int64(st, 1), nmsg, nextra, l) == -1)
		return -1;
	return rc;
}

long long
sq_rewrite(struct sq *s, const struct scope *sc, long long *from,
    long long upto, long long max, rewrite_fn fn, void *arg,
    long long *changed, rewritten_fn done, void *darg)
{
	static const char *const where[] = {
		[SC_ALL] = "",
		[SC_PREFIX] = " AND tid IN (SELECT tid FROM tasks"
		    " WHERE substr(name, 1, length(?4)) = ?4)",
	};
	/* One task's rows: its spans', not all of them. */
	static const char task_rows[] = "SELECT l.id, l.tid, l.message,"
	    " l.extra FROM spans g CROSS JOIN logs l ON l.id >= max(g.lo,"
	    " ?1 + 1) AND l.id < min(g.lo + g.n, ?2 + 1)"
	    " WHERE g.tid = (SELECT tid FROM tasks WHERE name = ?4)"
	    " AND " SFROM("(SELECT tid FROM tasks WHERE name = ?4)", "?1 + 1")
	    " AND g.lo <= ?2 ORDER BY g.lo, l.id LIMIT ?3";
	struct kr_buf nmsg = KR_BUF_INIT((size_t)1 << 30),
		      nextra = KR_BUF_INIT((size_t)1 << 30);
	struct zlist zl = { NULL, 0, 0 };
	sqlite3_stmt *st = NULL, *up = NULL;
	char sql[512];
	long long n = 0, k = 0;
	int rc;

	if (s->in_txn && sq_commit(s) == -1)
		return -1;
	if (sc->kind == SC_TASK)
		snprintf(sql, sizeof sql, "%s", task_rows);
	else
		snprintf(sql, sizeof sql, "SELECT id, tid, message, extra"
		    " FROM logs WHERE id > ?1 AND id <= ?2%s ORDER BY id"
		    " LIMIT ?3", where[sc->kind]);
	if (exec(s, "PRAGMA secure_delete=ON") == -1 ||
	    sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE logs SET message = ?1,"
	    " extra = ?2 WHERE id = ?3", -1, &up, NULL) != SQLITE_OK ||
	    run(s, ST_BEGIN) == -1)
		goto fail;
	sqlite3_bind_int64(st, 1, *from);
	sqlite3_bind_int64(st, 2, upto);
	sqlite3_bind_int64(st, 3, max);
	if (sc->kind != SC_ALL)
		sqlite3_bind_text(st, 4, sc->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		*from = sqlite3_column_int64(st, 0);
		nmsg.len = nextra.len = 0;
		if ((rc = offer_row(st, up, fn, arg, &nmsg, &nextra,
		    &zl)) == -1)
			goto fail;
		if (rc == 1) {
			k++;
			done(darg, *from, sqlite3_column_int64(st, 1));
		}
	}
	if (rc != SQLITE_DONE || zones_redo(s, &zl) == -1)
		goto fail;
	/* Every row up to upto was looked at when fewer came than asked. */
	if (n < max)
		*from = upto;
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	st = up = NULL;
	if (run(s, ST_COMMIT) == -1)
		goto fail;
	if (k > 0) {
		memo_forget(&s->memos);
		s->purge = PURGE_CHECKPOINT;
	}
	*changed += k;
	goto out;
fail:
	db_warn(s, "redaction: ");
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	rollback(s);
	n = -1;
out:
	if (nmsg.s != NULL)
		sodium_memzero(nmsg.s, nmsg.cap);
	if (nextra.s != NULL)
		sodium_memzero(nextra.s, nextra.cap);
	kr_buf_free(&nmsg);
	kr_buf_free(&nextra);
	free(zl.v);
	return n;
}

/*
 * The WAL still holds the pages as they were before a redaction: it is
 * checkpointed and truncated.
 */
int
sq_purge_step(struct sq *s)
{
	int rc;

	switch (s->purge) {
	case PURGE_CHECKPOINT:
		if (s->in_txn && sq_commit(s) == -1)
			return -1;
		rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (rc == SQLITE_BUSY)
			return 1;	/* the checkpointer is at it: again */
		if (rc != SQLITE_OK) {
			db_warn(s, "checkpoint: ");
			return -1;
		}
		exec(s, "PRAGMA secure_delete=OFF");
		s->purge = PURGE_NONE;
		return 0;
	}
	return 0;
}

long long
sq_redaction_new(struct sq *s, const char *who, const char *scope_json)
{
	sqlite3_stmt *st;
	struct timespec now;
	char ts[KR_TS_LEN + 1];
	long long id = -1;

	if (s->in_txn && sq_commit(s) == -1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	kr_ts_format(&now, ts);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO redactions(created, who,"
	    " scope, state) VALUES(?, ?, ?, 'running')", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope_json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	else
		db_warn(s, "redaction: ");
	sqlite3_finalize(st);
	return id;
}

int
sq_redaction_set(struct sq *s, long long id, const char *state,
    long long scanned, long long changed)
{
	sqlite3_stmt *st;
	struct timespec now;
	char ts[KR_TS_LEN + 1];
	int rc;

	if (s->in_txn && sq_commit(s) == -1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	kr_ts_format(&now, ts);
	if (sqlite3_prepare_v2(s->db, "UPDATE redactions SET state = ?1,"
	    " scanned = ?2, changed = ?3, finished = CASE ?1 WHEN 'running'"
	    " THEN NULL ELSE ?4 END WHERE id = ?5", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, scanned);
	sqlite3_bind_int64(st, 3, changed);
	sqlite3_bind_text(st, 4, ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

int
sq_redactions(struct sq *s, long long id, redaction_fn fn, void *arg)
{
	struct redaction_info r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, created, who, scope, state,"
	    " scanned, changed, finished FROM redactions"
	    " WHERE ?1 = 0 OR id = ?1 ORDER BY id DESC", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.created = (const char *)sqlite3_column_text(st, 1);
		r.who = (const char *)sqlite3_column_text(st, 2);
		r.scope = (const char *)sqlite3_column_text(st, 3);
		r.state = (const char *)sqlite3_column_text(st, 4);
		r.scanned = sqlite3_column_int64(st, 5);
		r.changed = sqlite3_column_int64(st, 6);
		r.finished = (const char *)sqlite3_column_text(st, 7);
		if (fn(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
