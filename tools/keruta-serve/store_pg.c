/*
 * store_pg.c: the PostgreSQL store, which several servers share. One
 * connection, used only from the service thread, in libpq's blocking
 * mode: a batch costs a few round trips to a server that is usually near.
 *
 * What one server could take for granted, several must arrange:
 * - Ids come from one sequence, handed out at INSERT but seen at COMMIT,
 *   so that two writers of a task could make id 101 visible before 100
 *   and a reader past 101 would never see 100. The writers of a task are
 *   serialized by a lock held until COMMIT (a transaction-scoped advisory
 *   lock on its name), and its ids are taken under it: a task's ids
 *   become visible in their order, and a cursor over one task never
 *   skips. The same lock makes the check for duplicates exact.
 * - A transaction that would wait for a task's lock while holding
 *   others is committed first, so that two servers never wait for each
 *   other (no deadlock).
 * - The schema is applied once, whoever starts first: versioned steps in
 *   one transaction, under an advisory lock.
 * The full-text index (tsvector with the 'simple' configuration, GIN) is
 * filled after the fact, as in the SQLite store; a query reads the rows
 * not indexed yet by computing their vectors on the spot, so that its
 * answer does not depend on how far the index got.
 *
 * Text in PostgreSQL is UTF-8 without NUL: a value that holds a NUL, is
 * not UTF-8 or begins with U+E000 is stored escaped (see esc_put), and
 * read back as it came.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_time.h"
#include "store.h"
#include "store_pg.h"

#define LOCK_SCHEMA	1802662144	/* advisory lock keys: the schema, */
#define LOCK_TASK	1802662145	/* and a task's writers (its name) */
#define NLOCKED		64	/* tasks remembered as locked, per txn */
#define CHUNK		256	/* rows per cursor step */
#define DEL_ROWS	10000	/* rows deleted per transaction */
#define FTS_ROWS	10000	/* rows indexed per statement */
#define NPARAMS		2100	/* q= of 1024 bytes: 1024 words at most, twice */
#define RECONNECT_NS	1000000000LL
#define MARK		"\xee\x80\x80"	/* U+E000: an escaped value */
#define NCHANGES	256	/* changes kept until pg_changes */
#define NKNOWN		256	/* tasks whose last run is remembered */
#define STREAM_BYTES	8192	/* rows sent to the COPY once this many */
#define LOCK_PART	1802662146	/* advisory lock: the partitions */
#define DAY_NS		86400000000000LL
#define ZBITS		10	/* a zone is 1 << ZBITS ids */
#define GEN_BUMP	"UPDATE keruta_gen SET gen = gen + 1"
#define ZJOIN		" FROM zones z JOIN logs l ON l.tid = z.tid" \
			" AND l.id >= z.blk * 1024 AND l.id < (z.blk + 1) * 1024"
/* Ids a partition may take: 1 << PART_BITS (4 billion), so that ids stay
 * below 2^53, whole in a JavaScript number, for 2 million partitions; a
 * partition three quarters used is followed by the next at once. */
#define PART_BITS	32
/* A partition is full once the next has been in use this long (or its
 * span, when shorter): what took its ids before has committed. */
#define PART_SETTLE_NS	60000000000LL

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE tasks(tid bigserial PRIMARY KEY, name text NOT NULL"
	" UNIQUE, first_ts bigint, last_ts bigint, first_tsstr text,"
	" last_tsstr text, last_activity bigint,"
	" exited integer NOT NULL DEFAULT 0, exit_code bigint);"
	"CREATE TABLE counts(tid bigint NOT NULL, level integer NOT NULL,"
	" source text NOT NULL, n bigint NOT NULL,"
	" PRIMARY KEY(tid, level, source));"
	"CREATE SEQUENCE log_ids;"
	"CREATE TABLE logs(id bigint PRIMARY KEY, tid bigint NOT NULL,"
	" run text, seq bigint, ts bigint NOT NULL, tsstr text NOT NULL,"
	" level integer NOT NULL, source text NOT NULL, message text NOT NULL,"
	" extra text, tsv tsvector) PARTITION BY RANGE (id);"
	/* Not UNIQUE: a partitioned table's unique keys must hold the
	 * partition key; the writers of a task check under its lock. */
	"CREATE INDEX logs_key ON logs(tid, run, seq);"
	/* The partitions, one per span of ingest time (--partition), each
	 * 1 << PART_BITS ids; max_ts once it is full. */
	/* As in the SQLite store: for each task and block of 1024 ids, the
	 * lowest and highest time in it and its records, so that a time
	 * range reads only the blocks it overlaps, in id order. */
	"CREATE TABLE zones(tid bigint NOT NULL, blk bigint NOT NULL,"
	" min_ts bigint, max_ts bigint, n bigint NOT NULL,"
	" PRIMARY KEY(tid, blk));"
	"CREATE INDEX zones_blk ON zones(blk);"
	"CREATE TABLE parts(lo bigint PRIMARY KEY, start_ns bigint NOT NULL,"
	" max_ts bigint, detached boolean NOT NULL DEFAULT false);"
	"CREATE INDEX logs_tid ON logs(tid, id);"
	"CREATE INDEX logs_lvl ON logs(tid, level, id) WHERE level <> 2;"
	/* Times, as the SQLite store's zones: the lowest and highest of
	 * each run of 32 pages, which arrive in about time order; almost
	 * free to keep, where a b-tree costs a quarter of ingest. */
	"CREATE INDEX logs_ts ON logs USING brin(ts) WITH"
	" (pages_per_range = 32);"
	/* Without the rows not indexed yet: GIN keeps an entry for each
	 * NULL too, which costs a quarter of ingest. */
	"CREATE INDEX logs_fts ON logs USING gin(tsv) WHERE tsv IS NOT NULL;"
	/* Words as SQLite's unicode61 sees them: what is not a letter or a
	 * digit separates (the parser alone keeps a.b.c, a@b.c, x-y whole). */
	"CREATE FUNCTION keruta_words(t text) RETURNS text LANGUAGE sql"
	" IMMUTABLE PARALLEL SAFE AS $$SELECT regexp_replace(t,"
	" '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f"
	"\\u00a0-\\u00bf\\u2000-\\u206f\\u3000-\\u303f"
	"\\ufff0-\\uffff]+', ' ', 'g')$$;"
	/* A prefix query of words: the last one a prefix. */
	"CREATE FUNCTION keruta_prefix(t text) RETURNS tsquery LANGUAGE sql"
	" IMMUTABLE PARALLEL SAFE AS $$SELECT to_tsquery('simple',"
	" array_to_string(array(SELECT quote_literal(w) FROM"
	" regexp_split_to_table(btrim(keruta_words(t)), ' +') w"
	" WHERE w <> ''), ' <-> ') || ':*')$$;"
	"CREATE INDEX logs_unindexed ON logs(id) WHERE tsv IS NULL;"
	/* Bumped by whatever takes rows away or changes them: counts
	 * remembered before (pg_count) are then counted again. */
	"CREATE TABLE keruta_gen(gen bigint NOT NULL);"
	"INSERT INTO keruta_gen VALUES(0);"
	"CREATE TABLE redactions(id bigserial PRIMARY KEY,"
	" created text NOT NULL, who text NOT NULL, scope text NOT NULL,"
	" state text NOT NULL, scanned bigint NOT NULL DEFAULT 0,"
	" changed bigint NOT NULL DEFAULT 0, finished text,"
	" owner integer NOT NULL DEFAULT 0);"
	/* What the rows of task t with ids lo to hi add to it: counts per
	 * (level, source), zones, first and last times; ev the agent's last
	 * event among them (1 start, 2 exit with code xc). Run once per task
	 * at COMMIT, on the rows just written, still in memory. */
	"CREATE FUNCTION keruta_summarize(t bigint, lo bigint, hi bigint,"
	" ev integer, xc bigint, now bigint) RETURNS void"
	" LANGUAGE plpgsql AS $$BEGIN"
	" WITH k AS MATERIALIZED (SELECT l.id >> 10 AS blk, l.ts, l.tsstr,"
	"  l.level, l.source, l.id FROM logs l"
	"  WHERE l.tid = t AND l.id BETWEEN lo AND hi),"
	" z AS (INSERT INTO zones(tid, blk, min_ts, max_ts, n) SELECT t, k.blk,"
	"  min(k.ts), max(k.ts), count(*) FROM k GROUP BY k.blk"
	"  ON CONFLICT(tid, blk) DO UPDATE SET"
	"  min_ts = least(zones.min_ts, excluded.min_ts),"
	"  max_ts = greatest(zones.max_ts, excluded.max_ts),"
	"  n = zones.n + excluded.n RETURNING 1),"
	" c AS (INSERT INTO counts(tid, level, source, n) SELECT t, k.level,"
	"  k.source, count(*) FROM k GROUP BY k.level, k.source"
	"  ON CONFLICT(tid, level, source) DO UPDATE"
	"  SET n = counts.n + excluded.n RETURNING 1)"
	" UPDATE tasks SET"
	"  first_tsstr = CASE WHEN first_ts IS NULL OR f.ts < first_ts"
	"   THEN f.tsstr ELSE first_tsstr END,"
	"  first_ts = least(first_ts, f.ts),"
	"  last_tsstr = CASE WHEN last_ts IS NULL OR e.ts >= last_ts"
	"   THEN e.tsstr ELSE last_tsstr END,"
	"  last_ts = greatest(last_ts, e.ts), last_activity = now,"
	"  exited = CASE ev WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE exited END,"
	"  exit_code = CASE ev WHEN 1 THEN NULL WHEN 2 THEN xc"
	"   ELSE exit_code END"
	"  FROM (SELECT k.ts, k.tsstr FROM k ORDER BY k.ts, k.id LIMIT 1) f,"
	"  (SELECT k.ts, k.tsstr FROM k ORDER BY k.ts DESC, k.id DESC"
	"  LIMIT 1) e WHERE tasks.tid = t;"
	" END$$;",
	/* 2: a task's count of writes, one more at each COMMIT that stored
	 * some of its records (see struct known). */
	"ALTER TABLE tasks ADD COLUMN wgen bigint NOT NULL DEFAULT 0;",
};
#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

#define NZONE		8	/* zones a task's rows of a transaction */
#define NCOUNT		8	/* span, (level, source) pairs they have, */
#define SUM_STR		64	/* and the longest source or time text, */
				/* summed by the server (struct sum) */

/*
 * What a transaction's rows of a task add to its zones, counts and first
 * and last times, summed as they are stored, so that the summary written
 * at COMMIT need not read them back. Rows with more than that to sum are
 * summed by PostgreSQL (keruta_summarize), from the rows.
 */
struct sum {
	int bad;		/* too much to sum here */
	int any;		/* a row is summed */
	int nz, nc;
	struct {
		long long blk, min, max, n;
	} z[NZONE];
	struct {
		int level;
		size_t len;
		long long n;
		char src[SUM_STR];
	} c[NCOUNT];
	long long first, last;	/* the earliest and latest time */
	size_t fslen, lslen;
	char fs[SUM_STR], ls[SUM_STR];	/* their text */
};

/* A run's name, as far as it is kept. */
struct known_run {
	char run[64];
	size_t runlen;		/* sizeof run + 1: too long to keep */
};

struct pg {
	PGconn *db;
	char *conninfo;
	int in_txn;		/* a transaction is open (pg_commit) */
	int lost;		/* a commit failed */
	int failing;		/* the last write failed */
	int down;		/* the connection is lost */
	int purge;		/* rewritten rows: VACUUM them away */
	long long retry_at;	/* when to try connecting again */
	unsigned long long commits;
	long long fts_lag;	/* rows stored here and not indexed yet */
	/* Tasks locked by the open transaction, and their last ids. */
	struct locked {
		long long tid, top;
		/* Its rows stored in the transaction, summarized at COMMIT
		 * (keruta_summarize): their ids, the agent's last event. */
		long long lo, hi, xc;
		int ev;
		struct sum sum;
		/* What is stored of it, as far as known: every seq of run
		 * run is kmax or less (kvalid), so that a batch of that run
		 * above kmax needs no check for duplicates. wgen: the
		 * task's count of writes (tasks.wgen) when locked. */
		long long wgen, kmax;
		int kvalid;
		struct known_run kr;
		char name[SRV_ID_MAX + 1];
	} lk[NLOCKED];
	/* The same, kept from one transaction to the next: valid while
	 * nobody else wrote the task (its wgen is still the one our own
	 * last commit left). */
	struct known {
		long long tid, wgen, kmax;
		struct known_run kr;
	} kn[NKNOWN];
	int nkn, kn_next;
	int nlk;
	int lk_over;		/* more than NLOCKED tasks in it */
	/* What changed: tasks and their last ids, told by pg_changes. */
	struct change {
		long long tid, top;
	} ch[NCHANGES];
	int nch;
	int ch_all;		/* too many, or some missed: every task */
	PGconn *ear;		/* LISTENs for the commits of other servers */
	PGconn *fx;		/* indexes in the background (pg_fts_step) */
	long long fx_at;	/* when to try connecting it again */
	int fx_busy;		/* a step is under way on it */
	long long fx_busy_n;	/* of this many rows at most */
	long long ear_at;	/* when to try connecting it again */
	struct kr_buf copy;	/* rows stored, as COPY reads them, until
				 * sent (copy_send) */
	int copying;		/* a COPY is open on db: rows stream in
				 * while more are parsed, until a statement
				 * ends it (copy_end) */
	int prepared;		/* ST_CHECK is, on this connection */
	/* Ids taken after the locks of the transaction, in order, for its
	 * rows. A task locked later makes them void (task_locked). */
	long long *pool;
	size_t pool_n, pool_i, pool_cap;
	PGconn *idc;		/* takes ids while a COPY is open */
	long long idc_at;	/* when to try connecting it again */
	struct kr_buf dec;	/* a row's values as they came */
	long long part_ns;	/* the span of ingest time of a partition */
	long long part_start;	/* when the newest one began (0: unknown) */
	long long part_at;	/* when to try again after a failure */
	long long part_lo;	/* its first id */
	long long top_id;	/* the highest id taken here */
	/* Counts that took reading the rows: a task's rows come in id order
	 * (its writers take turns); gen is keruta_gen's when counted. */
	struct memos memos;
};

static int ear_connect(struct pg *p);
static int copy_end(struct pg *p);
static void known_put(struct pg *p, const struct locked *k);
static void summary_sql(struct kr_buf *sql, const struct locked *k,
    int first);
static int sums_sql(struct pg *p, struct kr_buf *sql,
    const struct locked *k, int n);
static int part_roll(struct pg *p);

/* ---- text in and out ---- */

static int
needs_esc(const char *s, size_t n)
{
	return (n >= 3 && memcmp(s, MARK, 3) == 0) || memchr(s, 0, n) != NULL ||
	    kr_utf8_valid(s, n) != n;
}

/*
 * Appends s[0..n) as text PostgreSQL takes: as it is, or escaped: MARK,
 * then each valid character as it is, except NUL and U+E000..U+E0FF, and
 * each other byte b as the character U+E000 + b.
 */
static int
esc_put(struct kr_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t k;

	if (!needs_esc(s, n))
		return kr_buf_add(b, s, n);
	if (kr_buf_adds(b, MARK) == -1)
		return -1;
	while (p < e) {
		k = *p != 0 ? kr_utf8_char(p, e) : 0;
		if (k > 0 && !(p[0] == 0xee && (p[1] & 0xfc) == 0x80)) {
			if (kr_buf_add(b, p, k) == -1)
				return -1;
			p += k;
			continue;
		}
		for (k = k ? k : 1; k > 0; k--, p++) {
			char u[3] = { (char)0xee, (char)(0x80 | (*p >> 6)),
				(char)(0x80 | (*p & 0x3f)) };

			if (kr_buf_add(b, u, 3) == -1)
				return -1;
		}
	}
	return 0;
}

/* Appends the value s[0..n) read from the database, as it came. */
static int
esc_get(struct kr_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	if (n < 3 || memcmp(s, MARK, 3) != 0)
		return kr_buf_add(b, s, n);
	for (p += 3; p < e; p++) {
		if (e - p >= 3 && p[0] == 0xee && (p[1] & 0xfc) == 0x80) {
			if (kr_buf_addc(b, (char)(((p[1] & 3) << 6) |
			    (p[2] & 0x3f))) == -1)
				return -1;
			p += 2;
		} else if (kr_buf_addc(b, (char)*p) == -1)
			return -1;
	}
	return 0;
}

/* Appends a value as a COPY field (text format); NULL for s NULL. */
static int
copy_field(struct kr_buf *b, struct kr_buf *tmp, const char *s, size_t n)
{
	size_t i, from = 0;

	if (s == NULL)
		return kr_buf_adds(b, "\\N");
	tmp->len = 0;
	if (esc_put(tmp, s, n) == -1)
		return -1;
	for (i = 0; i < tmp->len; i++) {
		const char *r;

		switch (tmp->s[i]) {
		case '\\': r = "\\\\"; break;
		case '\n': r = "\\n"; break;
		case '\r': r = "\\r"; break;
		case '\t': r = "\\t"; break;
		default: continue;
		}
		if (kr_buf_add(b, tmp->s + from, i - from) == -1 ||
		    kr_buf_adds(b, r) == -1)
			return -1;
		from = i + 1;
	}
	return kr_buf_add(b, tmp->s + from, tmp->len - from);
}

/* ---- statements ---- */

/* A statement with its parameters, in text. */
struct q {
	struct kr_buf sql, vals;
	size_t off[NPARAMS];
	int n, bad;
};

static void
q_init(struct q *q)
{
	kr_buf_init(&q->sql, (size_t)1 << 20);
	kr_buf_init(&q->vals, (size_t)1 << 30);
	q->n = q->bad = 0;
}

static void
q_free(struct q *q)
{
	kr_buf_free(&q->sql);
	kr_buf_free(&q->vals);
}

static void
q_adds(struct q *q, const char *s)
{
	if (kr_buf_adds(&q->sql, s) == -1)
		q->bad = 1;
}

/* A parameter: $n in the text, the value escaped if need be. */
static void
q_val(struct q *q, const char *s, size_t n)
{
	if (q->n == NPARAMS || kr_buf_printf(&q->sql, "$%d", q->n + 1) == -1) {
		q->bad = 1;
		return;
	}
	q->off[q->n++] = q->vals.len;
	if (esc_put(&q->vals, s, n) == -1 || kr_buf_addc(&q->vals, 0) == -1)
		q->bad = 1;
}

static void
q_s(struct q *q, const char *s)
{
	q_val(q, s, strlen(s));
}

static void
q_i(struct q *q, long long v)
{
	char t[24];

	snprintf(t, sizeof t, "%lld", v);
	q_val(q, t, strlen(t));
}

/* The first line of what the server or libpq said. */
static const char *
first_line(const char *m, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", (int)strcspn(m, "\n"), m);
	return buf;
}

/* Forgets the open transaction and what it held. */
static void
txn_forget(struct pg *p)
{
	p->in_txn = 0;
	p->nlk = p->lk_over = 0;
	p->copy.len = 0;
	p->pool_i = p->pool_n = 0;
}

/* Rolls the open transaction back, ending its COPY first if need be. */
static void
rollback(struct pg *p)
{
	PGresult *r;

	if (p->copying) {
		p->copying = 0;
		if (PQputCopyEnd(p->db, "abandoned") == 1)
			while ((r = PQgetResult(p->db)) != NULL)
				PQclear(r);
	}
	if (p->in_txn && PQstatus(p->db) == CONNECTION_OK)
		PQclear(PQexec(p->db, "ROLLBACK"));
	txn_forget(p);
	/* What was known of tasks may have been of rows now gone. */
	p->nkn = 0;
}

/*
 * Says what failed; a lost connection is marked down, and the open
 * transaction, if any, is gone with what it held.
 */
static void
db_fail(struct pg *p, const char *what, const PGresult *r)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : "";
	char buf[300];

	if (m[0] == '\0')
		m = PQerrorMessage(p->db);
	kr_warn("database: %s: %s", what, first_line(m, buf, sizeof buf));
	if (PQstatus(p->db) != CONNECTION_OK && !p->down) {
		p->down = 1;
		p->retry_at = kr_mono_ns() + RECONNECT_NS;
		kr_warn("database: the connection is lost: writes are refused "
		    "until it is back");
	}
	if (p->in_txn) {
		rollback(p);
		p->lost = 1;
	}
	p->failing = 1;
}

/* The result of a statement that succeeded, or NULL (said). */
static PGresult *
ok(struct pg *p, PGresult *r, const char *what)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_COPY_IN)
		return r;
	db_fail(p, what, r);
	PQclear(r);
	return NULL;
}

/* ---- rows streamed in (COPY) ---- */

/* Whether rows are on their way in (in p->copy or sent to the COPY):
 * a statement that must see them ends the COPY first (copy_end). */
static int
pending(const struct pg *p)
{
	return p->copying || p->copy.len > 0;
}

/* Sends the rows waiting in p->copy to a COPY, started if need be:
 * PostgreSQL writes them while more are parsed. 0, or -1. */
static int
copy_send(struct pg *p)
{
	struct kr_buf *c = &p->copy;
	PGresult *r;
	int bad;

	if (c->len == 0)
		return 0;
	if (!p->copying) {
		r = ok(p, PQexec(p->db, "COPY logs(id, tid, run, seq, ts,"
		    " tsstr, level, source, message, extra) FROM STDIN"),
		    "insert");
		if (r == NULL) {
			c->len = 0;
			return -1;
		}
		PQclear(r);
		p->copying = 1;
	}
	bad = PQputCopyData(p->db, c->s, (int)c->len) != 1 ||
	    PQflush(p->db) != 0;
	c->len = 0;
	if (c->cap > ((size_t)1 << 24))
		kr_buf_free(c);
	if (bad) {
		db_fail(p, "insert", NULL);
		return -1;
	}
	return 0;
}

/* Ends the COPY, once what waits is sent: a statement may follow, and
 * sees the rows. 0, or -1. */
static int
copy_end(struct pg *p)
{
	PGresult *r;
	int bad;

	if (copy_send(p) == -1)
		return -1;
	if (!p->copying)
		return 0;
	p->copying = 0;
	if (PQputCopyEnd(p->db, NULL) != 1) {
		db_fail(p, "insert", NULL);
		return -1;
	}
	r = ok(p, PQgetResult(p->db), "insert");
	bad = r == NULL;
	PQclear(r);
	while ((r = PQgetResult(p->db)) != NULL)
		PQclear(r);
	return bad ? -1 : 0;
}

/* PQexec on db, once the COPY under way, if any, is over. */
static PGresult *
exec(struct pg *p, const char *sql)
{
	if (pending(p) && copy_end(p) == -1)
		return NULL;
	return PQexec(p->db, sql);
}

/* Runs q and frees it: its result, or NULL. */
static PGresult *
q_run(struct pg *p, struct q *q, const char *what)
{
	const char *v[NPARAMS];
	PGresult *r = NULL;
	int i;

	if (pending(p) && copy_end(p) == -1)
		q->bad = 1;
	else if (!q->bad && q->sql.s != NULL) {
		for (i = 0; i < q->n; i++)
			v[i] = q->vals.s + q->off[i];
		r = ok(p, PQexecParams(p->db, q->sql.s, q->n, NULL, v, NULL,
		    NULL, 0), what);
	} else
		kr_warn("database: %s: %s", what, q->n == NPARAMS ?
		    "too many parameters" : "out of memory");
	q_free(q);
	return r;
}

/* Runs q, frees it, and forgets its result: 0, or -1 (said). */
static int
q_do(struct pg *p, struct q *q, const char *what)
{
	PGresult *r = q_run(p, q, what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

/* Runs sql, without parameters: 0, or -1 (said). */
static int
cmd(struct pg *p, const char *sql, const char *what)
{
	PGresult *r = ok(p, exec(p, sql), what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

/* The integer in the first column of the first row of r, or def. */
static long long
int_of(PGresult *r, long long def)
{
	long long v = def;

	if (r != NULL && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* ---- opening ---- */

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A new connection to the database (check its status). */
static PGconn *
pg_connect(const struct pg *p)
{
	/* Later keywords win: what the string says overrides these. */
	const char *const kw[] = { "connect_timeout", "application_name",
		"dbname", NULL };
	const char *const val[] = { "5", "keruta-serve", p->conninfo, NULL };

	return PQconnectdbParams(kw, val, 1);
}

/* Connects (again): 0, or -1 with err filled in. */
static int
connect_db(struct pg *p, char *err, size_t elen)
{
	char buf[300];

	PQfinish(p->db);
	p->db = pg_connect(p);
	if (p->db == NULL || PQstatus(p->db) != CONNECTION_OK) {
		snprintf(err, elen, "unable to connect to PostgreSQL: %s",
		    p->db == NULL ? "out of memory" :
		    first_line(PQerrorMessage(p->db), buf, sizeof buf));
		return -1;
	}
	PQsetNoticeProcessor(p->db, quiet, NULL);
	if (PQsetClientEncoding(p->db, "UTF8") != 0 ||
	    cmd(p, "SET lock_timeout = '10s'", "settings") == -1 ||
	    /* Compiling a plan costs a quarter of a second, where our
	     * queries take milliseconds. */
	    cmd(p, "SET jit = off", "settings") == -1) {
		snprintf(err, elen, "unable to use PostgreSQL: %s",
		    first_line(PQerrorMessage(p->db), buf, sizeof buf));
		return -1;
	}
	p->down = 0;
	p->prepared = 0;
	return 0;
}

/* Brings the schema up to this version, once whoever comes first. */
static int
migrate(struct pg *p, char *err, size_t elen)
{
	PGresult *r;
	long long v;
	char buf[300];
	int i;

	if (cmd(p, "BEGIN", "schema") == -1 ||
	    cmd(p, "SELECT pg_advisory_xact_lock(1802662144)", "schema") == -1 ||
	    cmd(p, "CREATE TABLE IF NOT EXISTS keruta_schema("
	    "version integer NOT NULL)", "schema") == -1)
		goto fail;
	r = ok(p, PQexec(p->db, "SELECT max(version) FROM keruta_schema"),
	    "schema");
	if (r == NULL)
		goto fail;
	v = int_of(r, 0);
	if (v > NMIGRATIONS) {
		PQclear(PQexec(p->db, "ROLLBACK"));
		snprintf(err, elen, "the database's schema (version %lld) is "
		    "newer than this keruta-serve's (%d)", v, NMIGRATIONS);
		return -1;
	}
	for (i = (int)v; i < NMIGRATIONS; i++)
		if (cmd(p, migrations[i], "schema") == -1)
			goto fail;
	snprintf(buf, sizeof buf, "DELETE FROM keruta_schema;"
	    "INSERT INTO keruta_schema VALUES(%d)", NMIGRATIONS);
	if (cmd(p, buf, "schema") == -1 || cmd(p, "COMMIT", "schema") == -1)
		goto fail;
	/* A redaction whose server is gone was cut short. */
	if (cmd(p, "UPDATE redactions SET state = 'interrupted'"
	    " WHERE state = 'running' AND owner NOT IN"
	    " (SELECT pid FROM pg_stat_activity)", "schema") == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, elen, "unable to set the schema up: %s",
	    first_line(PQerrorMessage(p->db), buf, sizeof buf));
	PQclear(PQexec(p->db, "ROLLBACK"));
	return -1;
}

int
pg_open(struct pg **pp, const char *conninfo, char *err, size_t elen)
{
	struct pg *p;

	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->conninfo = strdup(conninfo)) == NULL) {
		free(p);
		snprintf(err, elen, "out of memory");
		return -1;
	}
	kr_buf_init(&p->copy, (size_t)1 << 30);
	kr_buf_init(&p->dec, (size_t)1 << 30);
	if (connect_db(p, err, elen) == -1 || migrate(p, err, elen) == -1) {
		pg_close(p);
		return -1;
	}
	p->part_ns = DAY_NS;
	if (part_roll(p) == -1) {
		snprintf(err, elen, "unable to make the records' partition");
		pg_close(p);
		return -1;
	}
	(void)ear_connect(p);
	p->ch_all = 0;
	*pp = p;
	return 0;
}

void
pg_close(struct pg *p)
{
	if (p == NULL)
		return;
	if (p->in_txn)
		pg_commit(p);
	PQfinish(p->db);
	PQfinish(p->ear);
	PQfinish(p->fx);
	PQfinish(p->idc);
	free(p->pool);
	kr_buf_free(&p->copy);
	kr_buf_free(&p->dec);
	memo_forget(&p->memos);
	free(p->conninfo);
	free(p);
}

int
pg_check(struct pg *p)
{
	char err[300];
	long long now;

	if (!p->down && PQstatus(p->db) == CONNECTION_OK) {
		(void)part_roll(p);
		return p->down ? -1 : 0;
	}
	if (!p->down) {
		/* What the open transaction held is lost with it. */
		p->down = 1;
		p->lost |= p->in_txn;
		txn_forget(p);
		p->copying = 0;
		p->nkn = 0;
	}
	if ((now = kr_mono_ns()) < p->retry_at)
		return -1;
	p->retry_at = now + RECONNECT_NS;
	if (connect_db(p, err, sizeof err) == -1) {
		p->down = 1;
		return -1;
	}
	p->failing = 0;
	kr_warn("database: connected again");
	return 0;
}

const char *
pg_problem(const struct pg *p, int *down)
{
	*down = p->down ? 2 : 0;
	if (p->down)
		return "the database is out of reach: writes are refused "
		    "until it is back";
	if (p->failing)
		return "the last write to the database failed: writes are "
		    "refused until one succeeds";
	return NULL;
}

int
pg_set_sync(struct pg *p, int full)
{
	/* A COMMIT is durable in PostgreSQL (synchronous_commit): acks
	 * survive a crash of either server, whatever full says. */
	(void)p;
	(void)full;
	return 0;
}

int
pg_lost(struct pg *p)
{
	int l = p->lost;

	p->lost = 0;
	return l;
}

unsigned long long
pg_commits(const struct pg *p)
{
	return p->commits;
}

int
pg_in_txn(const struct pg *p)
{
	return p->in_txn;
}

/* Task tid changed up to id top (0, 0: any task may have). */
static void
change_add(struct pg *p, long long tid, long long top)
{
	int i;

	if (tid == 0) {
		p->ch_all = 1;
		return;
	}
	for (i = 0; i < p->nch; i++)
		if (p->ch[i].tid == tid) {
			if (top > p->ch[i].top)
				p->ch[i].top = top;
			return;
		}
	if (p->nch == NCHANGES) {
		p->ch_all = 1;
		return;
	}
	p->ch[p->nch].tid = tid;
	p->ch[p->nch++].top = top;
}

/*
 * Commits, telling the other servers (LISTEN keruta_logs) which tasks
 * have new records and up to which id: NOTIFY is delivered at COMMIT, in
 * the same round trip.
 */
int
pg_commit(struct pg *p)
{
	struct kr_buf sql = KR_BUF_INIT(1 << 20);
	PGresult *r;
	int good, k, n = 0;

	if (!p->in_txn)
		return 0;
	good = copy_end(p) == 0;
	p->in_txn = 0;
	if (good && sums_sql(p, &sql, p->lk, p->nlk) == -1) {
		kr_warn("database: commit: out of memory");
		good = 0;
	}
	for (k = 0; k < p->nlk; k++)
		if (p->lk[k].top > 0)
			kr_buf_printf(&sql, "%s pg_notify('keruta_logs',"
			    " '%lld %lld')", n++ ? "," : "SELECT",
			    p->lk[k].tid, p->lk[k].top);
	if (p->lk_over)
		kr_buf_printf(&sql, "%s pg_notify('keruta_logs', '0 0')",
		    n++ ? "," : "SELECT");
	kr_buf_adds(&sql, n ? "; COMMIT" : "COMMIT");
	r = good ? PQexec(p->db, sql.s != NULL ? sql.s : "COMMIT") : NULL;
	kr_buf_free(&sql);
	/* An aborted transaction "commits" as a ROLLBACK. */
	good = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (!good) {
		txn_forget(p);
		p->nkn = 0;
		if (r != NULL)
			db_fail(p, "commit", r);
		PQclear(r);
		/* A statement before COMMIT that failed left it open. */
		if (PQstatus(p->db) == CONNECTION_OK &&
		    PQtransactionStatus(p->db) != PQTRANS_IDLE)
			PQclear(PQexec(p->db, "ROLLBACK"));
		p->lost = 1;
		return -1;
	}
	PQclear(r);
	for (k = 0; k < p->nlk; k++) {
		if (p->lk[k].top > 0)
			change_add(p, p->lk[k].tid, p->lk[k].top);
		known_put(p, &p->lk[k]);
	}
	if (p->lk_over)
		change_add(p, 0, 0);
	txn_forget(p);
	p->failing = 0;
	p->commits++;
	return 0;
}

/* Connects the listener (again), at most once a second. 0, or -1. */
static int
ear_connect(struct pg *p)
{
	PGresult *r;
	long long now = kr_mono_ns();

	if (now < p->ear_at)
		return -1;
	p->ear_at = now + RECONNECT_NS;
	PQfinish(p->ear);
	p->ear = pg_connect(p);
	if (p->ear == NULL || PQstatus(p->ear) != CONNECTION_OK)
		return -1;
	r = PQexec(p->ear, "LISTEN keruta_logs");
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		PQfinish(p->ear);
		p->ear = NULL;
		return -1;
	}
	PQclear(r);
	PQsetnonblocking(p->ear, 1);
	/* What was told while it was not listening is not known. */
	change_add(p, 0, 0);
	return 0;
}

int
pg_changes(struct pg *p, change_fn fn, void *arg)
{
	PGnotify *n;
	long long tid, top;
	int i, told = 0;

	if (p->ear == NULL || PQstatus(p->ear) != CONNECTION_OK)
		(void)ear_connect(p);
	if (p->ear != NULL && PQconsumeInput(p->ear) == 0) {
		PQfinish(p->ear);
		p->ear = NULL;
	} else if (p->ear != NULL)
		while ((n = PQnotifies(p->ear)) != NULL) {
			if (n->be_pid != PQbackendPID(p->db) &&
			    sscanf(n->extra, "%lld %lld", &tid, &top) == 2)
				change_add(p, tid, top);
			PQfreemem(n);
		}
	if (p->ch_all) {
		fn(arg, 0, 0);
		told = 1;
	} else
		for (i = 0; i < p->nch; i++, told++)
			fn(arg, p->ch[i].tid, p->ch[i].top);
	p->nch = 0;
	p->ch_all = 0;
	return told;
}

/* ---- ingest ---- */

long long
pg_task(struct pg *p, const char *name, int create)
{
	struct q q;
	long long tid;

	q_init(&q);
	q_adds(&q, "SELECT tid FROM tasks WHERE name = ");
	q_s(&q, name);
	if ((tid = int_of(q_run(p, &q, "task"), 0)) != 0 || !create)
		return tid;
	q_init(&q);
	q_adds(&q, "INSERT INTO tasks(name) VALUES(");
	q_s(&q, name);
	q_adds(&q, ") ON CONFLICT(name) DO NOTHING RETURNING tid");
	if ((tid = int_of(q_run(p, &q, "task"), 0)) != 0)
		return tid;
	q_init(&q);
	q_adds(&q, "SELECT tid FROM tasks WHERE name = ");
	q_s(&q, name);
	tid = int_of(q_run(p, &q, "task"), -1);
	return tid == 0 ? -1 : tid;
}

/* Takes a task's lock (blocking when wait), held until COMMIT. 1 if
 * taken, 0 if not, -1 on error. */
static int
task_lock(struct pg *p, const char *name, int wait)
{
	struct q q;

	q_init(&q);
	q_adds(&q, wait ? "SELECT 1 FROM pg_advisory_xact_lock(1802662145,"
	    " hashtext(" : "SELECT pg_try_advisory_xact_lock(1802662145,"
	    " hashtext(");
	q_s(&q, name);
	q_adds(&q, wait ? "))" : "))::integer");
	return (int)int_of(q_run(p, &q, "lock"), -1);
}

/* ---- ids ---- */

/* The next number of an array's text ("{1,2}"): 1, or 0 at its end. */
static int
arr_next(const char **s, long long *v)
{
	char *e;

	while (**s == '{' || **s == ',')
		(*s)++;
	if (**s < '0' || **s > '9')
		return 0;
	*v = strtoll(*s, &e, 10);
	*s = e;
	return 1;
}

/* Appends to the pool the ids of the array text a ("{1,2}"). */
static int
pool_add(struct pg *p, const char *a)
{
	long long v;

	if (p->pool_i > 0) {
		memmove(p->pool, p->pool + p->pool_i,
		    (p->pool_n - p->pool_i) * sizeof *p->pool);
		p->pool_n -= p->pool_i;
		p->pool_i = 0;
	}
	while (arr_next(&a, &v)) {
		if (p->pool_n == p->pool_cap) {
			size_t nc = p->pool_cap ? 2 * p->pool_cap : 1024;
			long long *np = realloc(p->pool, nc * sizeof *np);

			if (np == NULL) {
				kr_warn("database: insert: out of memory");
				return -1;
			}
			p->pool = np;
			p->pool_cap = nc;
		}
		p->pool[p->pool_n++] = v;
	}
	return 0;
}

/* The statement that takes n ids, in order, as an array. */
#define ST_IDS		"keruta_ids"
#define SQL_IDS		"SELECT ARRAY(SELECT nextval('log_ids') AS id" \
			" FROM generate_series(1, %s::bigint) ORDER BY id)"

static void
ids_sql(char *sql, size_t len, const char *n)
{
	snprintf(sql, len, SQL_IDS, n);
}

/* Forgets the connection that takes ids, to try again in a second. */
static void
idc_drop(struct pg *p)
{
	PQfinish(p->idc);
	p->idc = NULL;
	p->idc_at = kr_mono_ns() + RECONNECT_NS;
}

/* Whether the connection that takes ids is there, connected if need
 * be, with its statement prepared. */
static int
idc_ready(struct pg *p)
{
	char sql[200];
	PGresult *r;

	if (p->idc != NULL)
		return 1;
	if (kr_mono_ns() < p->idc_at)
		return 0;
	p->idc = pg_connect(p);
	ids_sql(sql, sizeof sql, "$1");
	if (p->idc == NULL || PQstatus(p->idc) != CONNECTION_OK ||
	    (r = PQprepare(p->idc, ST_IDS, sql, 1, NULL)) == NULL) {
		idc_drop(p);
		return 0;
	}
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		idc_drop(p);
		return 0;
	}
	PQclear(r);
	return 1;
}

/*
 * Makes sure n ids wait in the pool, taken after every lock the
 * transaction holds, so that a task's ids are above those of whoever
 * wrote it before. While a COPY is open they are taken on a connection
 * of their own (idc), so that the COPY goes on. 0, or -1.
 */
static int
pool_fill(struct pg *p, size_t n)
{
	char sql[200], w[24];
	const char *v[1] = { w };
	PGresult *r;
	int bad;

	if (p->pool_n - p->pool_i >= n)
		return 0;
	snprintf(w, sizeof w, "%zu", n - (p->pool_n - p->pool_i));
	if (pending(p) && idc_ready(p)) {
		r = PQexecPrepared(p->idc, ST_IDS, 1, v, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			bad = pool_add(p, PQgetvalue(r, 0, 0));
			PQclear(r);
			return bad;
		}
		/* Lost: the COPY ends, and the ids are taken after it. */
		PQclear(r);
		idc_drop(p);
	}
	ids_sql(sql, sizeof sql, w);
	r = ok(p, exec(p, sql), "insert");
	if (r == NULL)
		return -1;
	bad = PQntuples(r) != 1 || pool_add(p, PQgetvalue(r, 0, 0)) == -1;
	PQclear(r);
	return bad ? -1 : 0;
}

/* ---- what is stored of a task's run ---- */

static int
run_is(const struct known_run *k, const char *run, size_t runlen)
{
	return k->runlen == runlen && runlen <= sizeof k->run &&
	    memcmp(k->run, run, runlen) == 0;
}

static void
run_set(struct known_run *k, const char *run, size_t runlen)
{
	k->runlen = runlen <= sizeof k->run ? runlen : sizeof k->run + 1;
	if (runlen <= sizeof k->run)
		memcpy(k->run, run, runlen);
}

/* What an earlier transaction knew of k's task, if still true. */
static void
known_get(const struct pg *p, struct locked *k)
{
	int i;

	for (i = 0; i < p->nkn; i++)
		if (p->kn[i].tid == k->tid) {
			if (p->kn[i].wgen == k->wgen) {
				k->kvalid = 1;
				k->kmax = p->kn[i].kmax;
				k->kr = p->kn[i].kr;
			}
			return;
		}
}

/* Keeps what the transaction just committed knew of k's task: its
 * summary counted one more write (keruta_summarize) if it wrote. */
static void
known_put(struct pg *p, const struct locked *k)
{
	struct known *e = NULL;
	int i;

	for (i = 0; i < p->nkn && e == NULL; i++)
		if (p->kn[i].tid == k->tid)
			e = &p->kn[i];
	if (e == NULL && !k->kvalid)
		return;
	if (e == NULL && p->nkn < NKNOWN)
		e = &p->kn[p->nkn++];
	else if (e == NULL) {
		e = &p->kn[p->kn_next];
		p->kn_next = (p->kn_next + 1) % NKNOWN;
	}
	e->tid = k->kvalid ? k->tid : 0;
	e->wgen = k->wgen + (k->lo > 0);
	e->kmax = k->kmax;
	e->kr = k->kr;
}

/* ---- ingest ---- */

/*
 * The id of task name, with its lock held by the open transaction. When
 * another server holds it, what this transaction holds is committed first:
 * a wait while holding locks could wait forever. Ids are taken under the
 * new lock, and those taken before it are let go.
 */
static long long
task_locked(struct pg *p, const char *name)
{
	long long tid = 0, wgen = 0;
	struct locked *k;
	PGresult *r;
	struct q q;
	int i, t;

	for (i = 0; i < p->nlk; i++)
		if (strcmp(p->lk[i].name, name) == 0)
			return p->lk[i].tid;
	if ((t = task_lock(p, name, 0)) == -1)
		return -1;
	if (t == 0) {
		if (pg_commit(p) == -1 || cmd(p, "BEGIN", "begin") == -1)
			return -1;
		p->in_txn = 1;
		if (task_lock(p, name, 1) != 1)
			return -1;
	}
	p->pool_i = p->pool_n = 0;
	q_init(&q);
	q_adds(&q, "SELECT tid, wgen FROM tasks WHERE name = ");
	q_s(&q, name);
	if ((r = q_run(p, &q, "task")) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		tid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		wgen = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	if (tid == 0)
		tid = pg_task(p, name, 1);
	if (tid <= 0)
		return -1;
	if (p->nlk < NLOCKED) {
		k = &p->lk[p->nlk++];
		memset(k, 0, sizeof *k);
		k->tid = tid;
		k->wgen = wgen;
		snprintf(k->name, sizeof k->name, "%s", name);
		known_get(p, k);
	}
	return tid;
}

static const struct batch *sort_b;

/* Rows by (run, seq); rows without either first. */
static int
by_key(const void *x, const void *y)
{
	const struct row *a = &sort_b->rows[*(const size_t *)x],
			 *b = &sort_b->rows[*(const size_t *)y];
	size_t n = a->runlen < b->runlen ? a->runlen : b->runlen;
	int c;

	if ((a->run == NULL) != (b->run == NULL))
		return a->run == NULL ? -1 : 1;
	if (a->run != NULL && ((c = memcmp(a->run, b->run, n)) != 0 ||
	    (c = (a->runlen > b->runlen) - (a->runlen < b->runlen)) != 0))
		return c;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return (*(const size_t *)x > *(const size_t *)y) -
	    (*(const size_t *)x < *(const size_t *)y);
}

static int
same_run(const struct row *a, const struct row *b)
{
	return a->runlen == b->runlen && memcmp(a->run, b->run, a->runlen) == 0;
}

/* The statement that checks the rows of a batch of one run ($2): of
 * their seqs ($5, from $3 to $4), those stored before; the highest seq
 * of the run stored; and the ids of the rest of the $6 rows, in order. */
#define ST_CHECK	"keruta_check"
#define SQL_CHECK	"WITH d AS MATERIALIZED (SELECT seq FROM logs" \
			" WHERE tid = $1 AND run = $2 AND seq BETWEEN $3 AND $4" \
			" AND seq = ANY($5::bigint[])) SELECT ARRAY(SELECT seq" \
			" FROM d), (SELECT max(seq) FROM logs WHERE tid = $1" \
			" AND run = $2), ARRAY(SELECT nextval('log_ids') AS id" \
			" FROM generate_series(1, $6::bigint - (SELECT count(*)" \
			" FROM d)) ORDER BY id)"

/* The seqs of the rows ix[i..j) (of one run) stored before, as id 0. */
static int
mark_stored(struct pg *p, long long tid, struct batch *b, const size_t *ix,
    size_t i, size_t j)
{
	const struct row *r = &b->rows[ix[i]];
	PGresult *res;
	struct q q;
	int t;

	q_init(&q);
	q_adds(&q, "SELECT seq FROM logs WHERE tid = ");
	q_i(&q, tid);
	q_adds(&q, " AND run = ");
	q_val(&q, r->run, r->runlen);
	q_adds(&q, " AND seq BETWEEN ");
	q_i(&q, r->seq);
	q_adds(&q, " AND ");
	q_i(&q, b->rows[ix[j - 1]].seq);
	if ((res = q_run(p, &q, "insert")) == NULL)
		return -1;
	for (t = 0; t < PQntuples(res); t++) {
		long long s = strtoll(PQgetvalue(res, t, 0), NULL, 10);
		size_t m;

		for (m = i; m < j; m++)
			if (b->rows[ix[m]].seq == s)
				b->rows[ix[m]].id = 0;
	}
	PQclear(res);
	return 0;
}

/*
 * Checks the k rows ix (sorted, of one run) against what is stored: those
 * stored before as id 0, in one round trip, which also takes the ids of
 * the rest of the want rows of b to store. Of the run, the highest seq
 * stored (0: none) in *max. 0, or -1.
 */
static int
mark_one_run(struct pg *p, long long tid, struct batch *b, const size_t *ix,
    size_t k, long long want, long long *max)
{
	char t[24], lo[24], hi[24], w[24];
	const char *v[6] = { t, NULL, lo, hi, NULL, w };
	const struct row *f = &b->rows[ix[0]];
	const char *a;
	long long n;
	PGresult *r;
	size_t i, off;

	if (pending(p) && copy_end(p) == -1)
		return -1;
	if (!p->prepared) {
		r = ok(p, PQprepare(p->db, ST_CHECK, SQL_CHECK, 6, NULL),
		    "insert");
		if (r == NULL)
			return -1;
		PQclear(r);
		p->prepared = 1;
	}
	snprintf(t, sizeof t, "%lld", tid);
	snprintf(lo, sizeof lo, "%lld", f->seq);
	snprintf(hi, sizeof hi, "%lld", b->rows[ix[k - 1]].seq);
	snprintf(w, sizeof w, "%lld", want);
	p->dec.len = 0;
	if (esc_put(&p->dec, f->run, f->runlen) == -1 ||
	    kr_buf_addc(&p->dec, 0) == -1)
		return -1;
	off = p->dec.len;
	for (i = 0; i < k; i++)
		if (b->rows[ix[i]].id != 0 && kr_buf_printf(&p->dec, "%c%lld",
		    off == p->dec.len ? '{' : ',', b->rows[ix[i]].seq) == -1)
			return -1;
	if (kr_buf_adds(&p->dec, "}") == -1 || kr_buf_addc(&p->dec, 0) == -1)
		return -1;
	v[1] = p->dec.s;
	v[4] = p->dec.s + off;
	if ((r = ok(p, PQexecPrepared(p->db, ST_CHECK, 6, v, NULL, NULL, 0),
	    "insert")) == NULL)
		return -1;
	p->pool_i = p->pool_n = 0;
	if (pool_add(p, PQgetvalue(r, 0, 2)) == -1) {
		PQclear(r);
		return -1;
	}
	for (a = PQgetvalue(r, 0, 0); arr_next(&a, &n); )
		for (i = 0; i < k; i++)
			if (b->rows[ix[i]].seq == n)
				b->rows[ix[i]].id = 0;
	*max = PQgetisnull(r, 0, 1) ? 0 : strtoll(PQgetvalue(r, 0, 1),
	    NULL, 10);
	PQclear(r);
	return 0;
}

/*
 * The duplicates of b as id 0 (of a row stored before, or of one before
 * it in b), and its other rows their ids, in order. The rows of the run
 * lk knows, all above what is stored of it, need no round trip (a task's
 * writers take turns: nobody else stores them meanwhile); the others are
 * checked. The number to store, or -1.
 */
static long long
mark_ids(struct pg *p, long long tid, struct locked *lk, struct batch *b,
    size_t *dups)
{
	size_t *ix, i, j, k, runs = 0;
	long long n = 0, max = 0;
	const struct row *f;

	*dups = 0;
	if ((ix = malloc((b->n + 1) * sizeof *ix)) == NULL)
		return -1;
	for (i = k = 0; i < b->n; i++) {
		b->rows[i].id = b->rows[i].code == NULL;
		if (b->rows[i].id && b->rows[i].run != NULL &&
		    b->rows[i].seq != 0)
			ix[k++] = i;
	}
	sort_b = b;
	qsort(ix, k, sizeof *ix, by_key);
	for (i = 0; i < k; i = j, runs++)
		for (j = i + 1; j < k && same_run(&b->rows[ix[i]],
		    &b->rows[ix[j]]); j++)
			if (b->rows[ix[j]].seq == b->rows[ix[j - 1]].seq)
				b->rows[ix[j]].id = 0;
	f = k > 0 ? &b->rows[ix[0]] : NULL;
	if (f != NULL && lk != NULL && lk->kvalid && runs == 1 &&
	    run_is(&lk->kr, f->run, f->runlen) && f->seq > lk->kmax)
		lk->kmax = b->rows[ix[k - 1]].seq;
	else if (f != NULL && runs == 1) {
		for (i = 0; i < b->n; i++)
			n += b->rows[i].id != 0 && b->rows[i].code == NULL;
		if (mark_one_run(p, tid, b, ix, k, n, &max) == -1)
			goto fail;
		n = 0;
		if (lk != NULL) {
			run_set(&lk->kr, f->run, f->runlen);
			lk->kvalid = lk->kr.runlen <= sizeof lk->kr.run;
			lk->kmax = b->rows[ix[k - 1]].seq > max ?
			    b->rows[ix[k - 1]].seq : max;
		}
	} else if (f != NULL) {
		if (lk != NULL)
			lk->kvalid = 0;
		for (i = 0; i < k; i = j) {
			for (j = i + 1; j < k && same_run(&b->rows[ix[i]],
			    &b->rows[ix[j]]); j++)
				;
			if (mark_stored(p, tid, b, ix, i, j) == -1)
				goto fail;
		}
	}
	free(ix);
	for (i = 0; i < b->n; i++) {
		if (b->rows[i].code != NULL)
			continue;
		if (b->rows[i].id)
			n++;
		else
			(*dups)++;
	}
	if (n > 0 && pool_fill(p, (size_t)n) == -1)
		return -1;
	for (i = 0; i < b->n; i++)
		if (b->rows[i].id != 0 && b->rows[i].code == NULL)
			b->rows[i].id = p->top_id = p->pool[p->pool_i++];
	return n;
fail:
	free(ix);
	return -1;
}

/* Adds the rows of b with an id to those COPY will write. 0, or -1. */
static int
copy_add(struct pg *p, long long tid, const struct batch *b)
{
	struct kr_buf *c = &p->copy;
	struct kr_buf tmp = KR_BUF_INIT((size_t)1 << 30);
	size_t i;
	int bad = 0;

	for (i = 0; i < b->n && !bad; i++) {
		const struct row *w = &b->rows[i];

		if (w->id == 0 || w->code != NULL)
			continue;
		bad = kr_buf_printf(c, "%lld\t%lld\t", w->id, tid) == -1 ||
		    copy_field(c, &tmp, w->run, w->runlen) == -1 ||
		    (w->seq != 0 ? kr_buf_printf(c, "\t%lld\t", w->seq) :
		    kr_buf_adds(c, "\t\\N\t")) == -1 ||
		    kr_buf_printf(c, "%lld\t", w->ts) == -1 ||
		    copy_field(c, &tmp, w->tsstr, w->tslen) == -1 ||
		    kr_buf_printf(c, "\t%d\t", w->level) == -1 ||
		    copy_field(c, &tmp, w->source, w->srclen) == -1 ||
		    kr_buf_addc(c, '\t') == -1 ||
		    copy_field(c, &tmp, w->msg, w->msglen) == -1 ||
		    kr_buf_addc(c, '\t') == -1 ||
		    copy_field(c, &tmp, w->extralen ? w->extra : NULL,
		    w->extralen) == -1 || kr_buf_addc(c, '\n') == -1;
	}
	kr_buf_free(&tmp);
	if (bad) {
		kr_warn("database: insert: out of memory");
		return -1;
	}
	return 0;
}

/* Appends the summary of task k's rows (keruta_summarize) to sql. */
static void
summary_sql(struct kr_buf *sql, const struct locked *k, int first)
{
	kr_buf_printf(sql, "%s keruta_summarize(%lld, %lld, %lld, %d, %lld,"
	    " %lld)", first ? "SELECT" : ",", k->tid, k->lo, k->hi, k->ev,
	    k->xc, kr_wall_ns());
}

/* Appends s[0..n) to sql as a string literal, stored as esc_put keeps
 * it. 0, or -1. */
static int
lit(struct pg *p, struct kr_buf *sql, const char *s, size_t n)
{
	int err = 0;

	p->dec.len = 0;
	if (esc_put(&p->dec, s, n) == -1 || kr_buf_addc(sql, '\'') == -1 ||
	    kr_buf_reserve(sql, 2 * p->dec.len + 2) == -1)
		return -1;
	sql->len += PQescapeStringConn(p->db, sql->s + sql->len, p->dec.s,
	    p->dec.len, &err);
	return err ? -1 : kr_buf_addc(sql, '\'');
}

/*
 * Appends to sql the statements that add to the n tasks k what their rows
 * stored in the transaction add (zones, counts, first and last times, the
 * agent's last event, one more write), each ending in "; ". 0, or -1.
 */
static int
sums_sql(struct pg *p, struct kr_buf *sql, const struct locked *k, int n)
{
	long long now = kr_wall_ns();
	int i, j, f, bad = 0;

	for (i = f = 0; i < n; i++)
		if (k[i].lo > 0 && k[i].sum.bad)
			summary_sql(sql, &k[i], f++ == 0);
	for (i = f = 0; i < n; i++)
		if (k[i].lo > 0 && k[i].sum.bad)
			kr_buf_printf(sql, "%s%lld", f++ == 0 ? "; UPDATE tasks"
			    " SET wgen = wgen + 1 WHERE tid IN (" : ",",
			    k[i].tid);
	if (f > 0)
		kr_buf_adds(sql, "); ");
	for (i = f = 0; i < n; i++)
		for (j = 0; k[i].lo > 0 && !k[i].sum.bad && j < k[i].sum.nz;
		    j++)
			kr_buf_printf(sql, "%s(%lld, %lld, %lld, %lld, %lld)",
			    f++ ? "," : "INSERT INTO zones(tid, blk, min_ts,"
			    " max_ts, n) VALUES", k[i].tid, k[i].sum.z[j].blk,
			    k[i].sum.z[j].min, k[i].sum.z[j].max,
			    k[i].sum.z[j].n);
	if (f > 0)
		kr_buf_adds(sql, " ON CONFLICT(tid, blk) DO UPDATE SET"
		    " min_ts = least(zones.min_ts, excluded.min_ts),"
		    " max_ts = greatest(zones.max_ts, excluded.max_ts),"
		    " n = zones.n + excluded.n; ");
	for (i = f = 0; i < n; i++)
		for (j = 0; k[i].lo > 0 && !k[i].sum.bad && j < k[i].sum.nc;
		    j++) {
			kr_buf_printf(sql, "%s(%lld, %d, ", f++ ? "," :
			    "INSERT INTO counts(tid, level, source, n) VALUES",
			    k[i].tid, k[i].sum.c[j].level);
			bad |= lit(p, sql, k[i].sum.c[j].src,
			    k[i].sum.c[j].len);
			kr_buf_printf(sql, ", %lld)", k[i].sum.c[j].n);
		}
	if (f > 0)
		kr_buf_adds(sql, " ON CONFLICT(tid, level, source) DO UPDATE"
		    " SET n = counts.n + excluded.n; ");
	for (i = f = 0; i < n; i++) {
		const struct sum *m = &k[i].sum;

		if (k[i].lo == 0 || m->bad)
			continue;
		kr_buf_printf(sql, "%s(%lld::bigint, %lld::bigint, ", f++ ?
		    "," : "UPDATE tasks SET first_tsstr = CASE WHEN first_ts"
		    " IS NULL OR v.f < first_ts THEN v.fs ELSE first_tsstr"
		    " END, first_ts = least(first_ts, v.f), last_tsstr ="
		    " CASE WHEN last_ts IS NULL OR v.l >= last_ts THEN v.ls"
		    " ELSE last_tsstr END, last_ts = greatest(last_ts, v.l),"
		    " last_activity = v.now, exited = CASE v.ev WHEN 1 THEN 0"
		    " WHEN 2 THEN 1 ELSE exited END, exit_code = CASE v.ev"
		    " WHEN 1 THEN NULL WHEN 2 THEN v.xc ELSE exit_code END,"
		    " wgen = wgen + 1 FROM (VALUES", k[i].tid, m->first);
		bad |= lit(p, sql, m->fs, m->fslen);
		kr_buf_printf(sql, "::text, %lld::bigint, ", m->last);
		bad |= lit(p, sql, m->ls, m->lslen);
		kr_buf_printf(sql, "::text, %lld::bigint, %d, %lld::bigint)",
		    now, k[i].ev, k[i].xc);
	}
	if (f > 0)
		kr_buf_adds(sql, ") v(t, f, fs, l, ls, now, ev, xc)"
		    " WHERE tasks.tid = v.t; ");
	/* A part that did not fit makes the statement fail, or leaves
	 * nothing at all. */
	for (i = 0; i < n && k[i].lo == 0; i++)
		;
	return bad || (i < n && sql->s == NULL) ? -1 : 0;
}

/* Adds row w (stored, its id taken) to sum: bad when it does not fit. */
static void
sum_row(struct sum *m, const struct row *w)
{
	long long blk = w->id >> ZBITS;
	int i;

	for (i = m->nz - 1; i >= 0 && m->z[i].blk != blk; i--)
		;
	if (i < 0 && m->nz == NZONE) {
		m->bad = 1;
		return;
	}
	if (i < 0) {
		i = m->nz++;
		m->z[i].blk = blk;
		m->z[i].min = m->z[i].max = w->ts;
		m->z[i].n = 0;
	}
	if (w->ts < m->z[i].min)
		m->z[i].min = w->ts;
	if (w->ts > m->z[i].max)
		m->z[i].max = w->ts;
	m->z[i].n++;
	for (i = 0; i < m->nc && (m->c[i].level != w->level ||
	    m->c[i].len != w->srclen ||
	    memcmp(m->c[i].src, w->source, w->srclen) != 0); i++)
		;
	if (i == m->nc) {
		if (m->nc == NCOUNT || w->srclen > SUM_STR) {
			m->bad = 1;
			return;
		}
		m->nc++;
		m->c[i].level = w->level;
		m->c[i].len = w->srclen;
		memcpy(m->c[i].src, w->source, w->srclen);
		m->c[i].n = 0;
	}
	m->c[i].n++;
	if (w->tslen > SUM_STR) {
		m->bad = 1;
		return;
	}
	/* The first of the earliest, and the last of the latest. */
	if (!m->any || w->ts < m->first) {
		m->first = w->ts;
		memcpy(m->fs, w->tsstr, m->fslen = w->tslen);
	}
	if (!m->any || w->ts >= m->last) {
		m->last = w->ts;
		memcpy(m->ls, w->tsstr, m->lslen = w->tslen);
	}
	m->any = 1;
}

/* Notes in k what the rows of b stored add: their ids and last event,
 * and their sum. */
static void
lk_note(struct locked *k, const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct row *w = &b->rows[i];

		if (w->id == 0 || w->code != NULL)
			continue;
		if (k->lo == 0)
			k->lo = w->id;
		k->hi = w->id;
		if (w->event != 0) {
			k->ev = w->event;
			k->xc = w->exit_code;
		}
		if (!k->sum.bad)
			sum_row(&k->sum, w);
	}
}

/* What the open transaction holds of task tid, or NULL (more than
 * NLOCKED tasks). */
static struct locked *
lk_of(struct pg *p, long long tid)
{
	int k;

	for (k = 0; k < p->nlk; k++)
		if (p->lk[k].tid == tid)
			return &p->lk[k];
	return NULL;
}

int
pg_insert(struct pg *p, const char *task, struct batch *b, size_t *stored,
    size_t *dups)
{
	struct locked *k, one;
	struct kr_buf sql = KR_BUF_INIT(1 << 10);
	long long tid, n;
	size_t i;
	int bad;

	*stored = *dups = 0;
	for (i = 0; i < b->n; i++)
		b->rows[i].id = 0;
	if (pg_check(p) == -1)
		return -1;
	if (!p->in_txn) {
		if (cmd(p, "BEGIN", "begin") == -1)
			return -1;
		txn_forget(p);
		p->in_txn = 1;
	}
	if ((tid = task_locked(p, task)) <= 0)
		goto fail;
	k = lk_of(p, tid);
	if ((n = mark_ids(p, tid, k, b, dups)) == -1 ||
	    (n > 0 && copy_add(p, tid, b) == -1) ||
	    (p->copy.len >= STREAM_BYTES && copy_send(p) == -1))
		goto fail;
	if (n > 0 && k != NULL) {
		lk_note(k, b);
		k->top = k->hi;
	} else if (n > 0) {
		/* Of a task beyond NLOCKED: written and summarized now. */
		memset(&one, 0, sizeof one);
		one.tid = tid;
		lk_note(&one, b);
		bad = sums_sql(p, &sql, &one, 1) == -1 || sql.s == NULL ||
		    cmd(p, sql.s, "insert") == -1;
		kr_buf_free(&sql);
		if (bad)
			goto fail;
		p->lk_over = 1;
	}
	*stored = (size_t)n;
	p->fts_lag += n;
	return 0;
fail:
	/* What the transaction held is lost with it (the waiters are told,
	 * pg_lost). */
	if (p->in_txn) {
		rollback(p);
		p->lost = 1;
	}
	p->copy.len = 0;
	p->failing = 1;
	for (i = 0; i < b->n; i++)
		b->rows[i].id = 0;
	*dups = 0;
	return -1;
}

long long
pg_find(struct pg *p, long long tid, const char *run, size_t runlen,
    long long seq)
{
	struct q q;

	if (copy_end(p) == -1)
		return 0;
	q_init(&q);
	q_adds(&q, "SELECT id FROM logs WHERE tid = ");
	q_i(&q, tid);
	q_adds(&q, " AND run = ");
	q_val(&q, run, runlen);
	q_adds(&q, " AND seq = ");
	q_i(&q, seq);
	return int_of(q_run(p, &q, "find"), 0);
}

long long
pg_max_seq(struct pg *p, long long tid, const char *run, size_t runlen)
{
	struct q q;

	if (copy_end(p) == -1)
		return 0;
	q_init(&q);
	q_adds(&q, "SELECT max(seq) FROM logs WHERE tid = ");
	q_i(&q, tid);
	q_adds(&q, " AND run = ");
	q_val(&q, run, runlen);
	return int_of(q_run(p, &q, "find"), 0);
}

/* ---- the full-text index ---- */

long long
pg_fts_lag(const struct pg *p)
{
	return p->fts_lag;
}

/* The statement of a step of at most n rows. */
static void
fts_sql(char *sql, size_t len, long long n)
{
	snprintf(sql, len, "UPDATE logs SET tsv = to_tsvector('simple',"
	    " keruta_words(message)) WHERE id IN (SELECT id FROM logs"
	    " WHERE tsv IS NULL ORDER BY id LIMIT %lld FOR UPDATE SKIP LOCKED)",
	    n);
}

/* Forgets the indexing connection, to try again in a second. */
static void
fx_drop(struct pg *p)
{
	PQfinish(p->fx);
	p->fx = NULL;
	p->fx_busy = 0;
	p->fx_at = kr_mono_ns() + RECONNECT_NS;
}

/* The rows the step under way indexed, when it is over: -1 while it
 * is not (or block: waits for it), or -2 when it failed. */
static long long
fx_done(struct pg *p, int block)
{
	PGresult *r;
	long long n = -2;
	char buf[300];

	if (!block) {
		if (PQflush(p->fx) == -1 || !PQconsumeInput(p->fx))
			return -2;
		if (PQisBusy(p->fx))
			return -1;
	}
	while ((r = PQgetResult(p->fx)) != NULL) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			n = strtoll(PQcmdTuples(r), NULL, 10);
		else
			kr_warn("database: index: %s", first_line(
			    PQresultErrorMessage(r), buf, sizeof buf));
		PQclear(r);
	}
	p->fx_busy = 0;
	return n;
}

/*
 * A step of the full-text index, on a connection of its own, so that
 * the loop goes on while PostgreSQL indexes: the step is sent, and a
 * later call takes its result. 1 while there is more to do. With max 0
 * (at exit), the step under way ends, and the rest is left to the
 * servers that go on: a stop does not wait for the index.
 */
int
pg_fts_step(struct pg *p, long long max)
{
	long long n, step = max > 0 && max < FTS_ROWS ? max : FTS_ROWS;
	char sql[300];
	PGresult *r;

	if (max == 0) {
		if (p->fx != NULL && p->fx_busy)
			(void)fx_done(p, 1);
		return 0;
	}
	if (p->fx == NULL) {
		if (kr_mono_ns() < p->fx_at)
			return 0;
		p->fx = pg_connect(p);
		if (p->fx == NULL || PQstatus(p->fx) != CONNECTION_OK ||
		    PQsetClientEncoding(p->fx, "UTF8") != 0 ||
		    (r = PQexec(p->fx, "SET jit = off"),
		    PQclear(r), PQsetnonblocking(p->fx, 1)) != 0) {
			fx_drop(p);
			return 0;
		}
	}
	if (p->fx_busy) {
		if ((n = fx_done(p, 0)) == -1)
			return 1;
		if (n == -2) {
			fx_drop(p);
			return 0;
		}
		p->fts_lag = n < p->fts_lag ? p->fts_lag - n : 0;
		if (n < p->fx_busy_n) {
			p->fts_lag = 0;
			return 0;
		}
		return 1;
	}
	fts_sql(sql, sizeof sql, step);
	if (!PQsendQuery(p->fx, sql) || PQflush(p->fx) == -1) {
		fx_drop(p);
		return 0;
	}
	p->fx_busy = 1;
	p->fx_busy_n = step;
	return 1;
}

/* ---- queries ---- */

/*
 * The words of f->match (see store.h) as a tsquery: each word a phrase
 * of its parts (keruta_words), a prefix one's last part a prefix.
 */
static void
tsquery(struct q *q, const char *m)
{
	struct kr_buf w = KR_BUF_INIT(1 << 20);
	const char *p = m;
	int n = 0;

	while (*p == '"') {
		w.len = 0;
		kr_buf_addc(&w, 0);
		for (p++; *p != '\0' && !(p[0] == '"' && p[1] != '"'); p++) {
			if (*p == '"')
				p++;
			kr_buf_addc(&w, *p);
		}
		if (*p == '"')
			p++;
		q_adds(q, n++ ? " && " : "(");
		q_adds(q, *p == '*' ? "keruta_prefix(" :
		    "phraseto_tsquery('simple', keruta_words(");
		q_val(q, w.s + 1, w.len - 1);
		q_adds(q, *p == '*' ? ")" : "))");
		if (*p == '*')
			p++;
		while (*p == ' ')
			p++;
	}
	q_adds(q, n ? ")" : "NULL::tsquery");
	kr_buf_free(&w);
}

/* The conditions of f (and ids after after) on the rows l, as SQL. */
static void
clauses(struct q *q, const struct filter *f, long long after)
{
	int i, first = 1;

	if (f->levels != 0 && f->levels != (1u << KR_NLEVELS) - 1) {
		q_adds(q, " AND l.level IN (");
		for (i = 0; i < KR_NLEVELS; i++)
			if (f->levels & (1u << i)) {
				kr_buf_printf(&q->sql, "%s%d", first ? "" : ",",
				    i);
				first = 0;
			}
		q_adds(q, ")");
	}
	if (f->nsources > 0) {
		q_adds(q, " AND l.source IN (");
		for (i = 0; i < f->nsources; i++) {
			q_adds(q, i ? "," : "");
			q_s(q, f->sources[i]);
		}
		q_adds(q, ")");
	}
	if (f->has_from) {
		q_adds(q, " AND l.ts >= ");
		q_i(q, f->from);
	}
	if (f->has_to) {
		q_adds(q, " AND l.ts < ");
		q_i(q, f->to);
	}
	if (after > 0) {
		q_adds(q, " AND l.id > ");
		q_i(q, after);
	}
	if (f->match != NULL) {
		/* Rows not indexed yet are matched on the spot. */
		q_adds(q, " AND (l.tsv @@ ");
		tsquery(q, f->match);
		q_adds(q, " OR (l.tsv IS NULL AND to_tsvector('simple',"
		    " keruta_words(l.message)) @@ ");
		tsquery(q, f->match);
		q_adds(q, "))");
	}
}

/* The zones z that may hold records of f's time range, as SQL. */
static void
zone_range(struct q *q, const struct filter *f)
{
	if (f->has_from) {
		q_adds(q, " AND z.max_ts >= ");
		q_i(q, f->from);
	}
	if (f->has_to) {
		q_adds(q, " AND z.min_ts < ");
		q_i(q, f->to);
	}
}

/*
 * The FROM and WHERE of a query of task tid's records l; 1 when it reads
 * through the zones z (a time range without q=), whose rows come in id
 * order when ordered by (z.blk, l.id).
 */
static int
from_where(struct q *q, long long tid, const struct filter *f,
    long long after)
{
	int zoned = f->match == NULL && (f->has_from || f->has_to);

	if (zoned) {
		q_adds(q, ZJOIN " WHERE z.tid = ");
		q_i(q, tid);
		zone_range(q, f);
		if (after > 0) {
			q_adds(q, " AND z.blk >= ");
			q_i(q, after >> ZBITS);
		}
	} else {
		q_adds(q, " FROM logs l WHERE l.tid = ");
		q_i(q, tid);
	}
	clauses(q, f, after);
	return zoned;
}

/* Columns of a row of a query, as rows() reads them. */
#define ROW_COLS " l.id, l.run, l.seq, l.tsstr, l.source, l.level," \
		 " l.message, l.extra"

/*
 * Formats the rows of r with fmt (the task's name: task, or column 8),
 * the first as first when first. The number, or -1; *last the last id.
 */
static long long
rows(struct pg *p, PGresult *r, const char *task, int first, row_fmt fmt,
    void *arg, struct kr_buf *out, long long *last)
{
	static const int col[] = { 1, 3, 4, 6, 7, 8 };
	const char *v[6];
	size_t len[6], need;
	long long i;
	int k;

	for (i = 0; i < PQntuples(r); i++) {
		struct srec s;

		/* Decoded into one buffer, sized first: it stays put. */
		for (need = 1, k = 0; k < 6; k++)
			need += (size_t)PQgetlength(r, (int)i, col[k]) + 1;
		p->dec.len = 0;
		if (kr_buf_reserve(&p->dec, need) == -1)
			return -1;
		for (k = 0; k < 6; k++) {
			size_t at = p->dec.len;

			v[k] = NULL;
			len[k] = 0;
			if (col[k] == 8 && task != NULL)
				continue;
			if (col[k] >= PQnfields(r) ||
			    PQgetisnull(r, (int)i, col[k]))
				continue;
			esc_get(&p->dec, PQgetvalue(r, (int)i, col[k]),
			    (size_t)PQgetlength(r, (int)i, col[k]));
			v[k] = p->dec.s + at;
			len[k] = p->dec.len - at;
		}
		memset(&s, 0, sizeof s);
		s.id = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		s.run = v[0];
		s.runlen = len[0];
		s.seq = PQgetisnull(r, (int)i, 2) ? 0 :
		    strtoll(PQgetvalue(r, (int)i, 2), NULL, 10);
		s.ts = v[1];
		s.tslen = len[1];
		s.source = v[2];
		s.srclen = len[2];
		s.level = atoi(PQgetvalue(r, (int)i, 5));
		s.msg = v[3] != NULL ? v[3] : "";
		s.msglen = len[3];
		s.extra = v[4];
		s.extralen = len[4];
		s.task = task != NULL ? task : v[5];
		s.tasklen = task != NULL ? strlen(task) : len[5];
		if (fmt(out, &s, first && i == 0, arg) == -1)
			return -1;
		*last = s.id;
	}
	return i;
}

int
pg_cursor_step(struct pg *p, struct cursor *c, row_fmt fmt, void *arg,
    struct kr_buf *out)
{
	long long lim = CHUNK, n;
	PGresult *r;
	struct q q;
	int zoned;

	if (c->done)
		return 0;
	if (c->tid <= 0 || c->remaining == 0) {
		c->done = 1;
		return 0;
	}
	if (c->remaining > 0 && c->remaining < lim)
		lim = c->remaining;
	q_init(&q);
	q_adds(&q, "SELECT" ROW_COLS);
	zoned = from_where(&q, c->tid, &c->f, c->after);
	if (c->started) {
		if (zoned) {
			q_adds(&q, c->desc ? " AND z.blk <= " :
			    " AND z.blk >= ");
			q_i(&q, c->last >> ZBITS);
		}
		q_adds(&q, c->desc ? " AND l.id < " : " AND l.id > ");
		q_i(&q, c->last);
	}
	kr_buf_printf(&q.sql, " ORDER BY %sl.id %s LIMIT %lld", zoned ?
	    (c->desc ? "z.blk DESC, " : "z.blk, ") : "",
	    c->desc ? "DESC" : "ASC", lim);
	if (!c->started && c->offset > 0)
		kr_buf_printf(&q.sql, " OFFSET %lld", c->offset);
	if ((r = q_run(p, &q, "query")) == NULL)
		return -1;
	n = rows(p, r, c->task, !c->started, fmt, arg, out, &c->last);
	PQclear(r);
	if (n < 0)
		return -1;
	if (n > 0)
		c->started = 1;
	if (c->remaining > 0)
		c->remaining -= n;
	if (n < lim || c->remaining == 0)
		c->done = 1;
	return (int)n;
}

long long
pg_search(struct pg *p, const char *task, int prefix, const struct filter *f,
    long long after, long long before, long long size, row_fmt fmt,
    void *arg, struct kr_buf *out, long long *last)
{
	PGresult *r;
	struct q q;
	long long n;

	q_init(&q);
	q_adds(&q, "SELECT" ROW_COLS ", t.name FROM logs l JOIN tasks t"
	    " ON t.tid = l.tid WHERE true");
	clauses(&q, f, after);
	if (before > 0) {
		q_adds(&q, " AND l.id < ");
		q_i(&q, before);
	}
	if (task != NULL && task[0] != '\0') {
		q_adds(&q, prefix ? " AND left(t.name, length(" :
		    " AND t.name = ");
		if (prefix) {
			q_s(&q, task);
			q_adds(&q, ")) = ");
		}
		q_s(&q, task);
	}
	kr_buf_printf(&q.sql, " ORDER BY l.id DESC LIMIT %lld", size);
	if ((r = q_run(p, &q, "query")) == NULL)
		return -1;
	*last = 0;
	n = rows(p, r, NULL, 1, fmt, arg, out, last);
	PQclear(r);
	return n;
}

/*
 * Counts the rows of task tid that match by reading them: those above
 * the count remembered of the same query, when nothing was taken away or
 * changed since (keruta_gen), else all. The gen, the task's highest id
 * and the count come from one snapshot.
 */
static long long
count_rows(struct pg *p, long long tid, const struct filter *f,
    long long after)
{
	struct memo *m;
	long long from, gen, top, n;
	PGresult *r;
	struct q q;

	if ((m = memo_get(&p->memos, tid, f, after)) == NULL)
		return -1;
	for (;;) {
		from = m->upto > after ? m->upto : after;
		q_init(&q);
		q_adds(&q, "SELECT (SELECT gen FROM keruta_gen),"
		    " (SELECT max(id) FROM logs WHERE tid = ");
		q_i(&q, tid);
		q_adds(&q, "), count(*)");
		from_where(&q, tid, f, from);
		if ((r = q_run(p, &q, "count")) == NULL)
			return -1;
		gen = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		top = PQgetisnull(r, 0, 1) ? from :
		    strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		n = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		PQclear(r);
		if (m->gen == -1 || gen == m->gen)
			break;
		/* Rows were taken away or changed: all again. */
		m->upto = m->n = 0;
		m->gen = -1;
	}
	m->n += n;
	m->upto = top > from ? top : from;
	m->gen = gen;
	return m->n;
}

long long
pg_count(struct pg *p, long long tid, const struct filter *f, long long after)
{
	struct q q;
	int i;

	if (tid <= 0)
		return 0;
	q_init(&q);
	if (f->match == NULL && !f->has_from && !f->has_to && after <= 0) {
		/* The counts answer without touching the logs. */
		q_adds(&q, "SELECT coalesce(sum(n), 0) FROM counts l"
		    " WHERE tid = ");
		q_i(&q, tid);
		if (f->levels != 0) {
			q_adds(&q, " AND level IN (-1");
			for (i = 0; i < KR_NLEVELS; i++)
				if (f->levels & (1u << i))
					kr_buf_printf(&q.sql, ",%d", i);
			q_adds(&q, ")");
		}
		if (f->nsources > 0) {
			q_adds(&q, " AND source IN (");
			for (i = 0; i < f->nsources; i++) {
				q_adds(&q, i ? "," : "");
				q_s(&q, f->sources[i]);
			}
			q_adds(&q, ")");
		}
	} else if (f->match == NULL && after <= 0 && f->nsources == 0 &&
	    (f->levels == 0 || f->levels == (1u << KR_NLEVELS) - 1)) {
		/* A time range alone: the zones wholly inside it by their
		 * counts, the others by their records. */
		q_adds(&q, "SELECT coalesce(sum(CASE WHEN true");
		if (f->has_from) {
			q_adds(&q, " AND z.min_ts >= ");
			q_i(&q, f->from);
		}
		if (f->has_to) {
			q_adds(&q, " AND z.max_ts < ");
			q_i(&q, f->to);
		}
		/* The times as a FILTER, not a WHERE: the block's 1024 ids
		 * are read in order, rather than the times of the whole
		 * table through its BRIN index. */
		q_adds(&q, " THEN z.n ELSE (SELECT count(*) FILTER (WHERE"
		    " true");
		clauses(&q, f, 0);
		q_adds(&q, ") FROM logs l WHERE l.tid = z.tid"
		    " AND l.id >= z.blk * 1024 AND l.id < (z.blk + 1) * 1024)"
		    " END), 0) FROM zones z WHERE z.tid = ");
		q_i(&q, tid);
		zone_range(&q, f);
	} else {
		q_free(&q);
		return count_rows(p, tid, f, after);
	}
	return int_of(q_run(p, &q, "count"), -1);
}

/* ---- deletion ---- */

static int on_task(struct pg *p, const char *sql, long long tid);

/*
 * Sets the zones of task tid in the blocks listed (an array, as SQL
 * writes it) again after deletions, or drops those left empty. The list
 * fills its buffer: one that did not fit (bufsz) sets all the task's.
 */
static int
zones_fix(struct pg *p, long long tid, const char *blks, size_t bufsz)
{
	struct q q;

	q_init(&q);
	q_adds(&q, "UPDATE zones z SET min_ts = x.lo, max_ts = x.hi, n = x.n"
	    " FROM (SELECT b.blk, min(l.ts) AS lo, max(l.ts) AS hi,"
	    " count(l.id) AS n FROM zones b LEFT JOIN logs l"
	    " ON l.tid = b.tid AND l.id >= b.blk * 1024"
	    " AND l.id < (b.blk + 1) * 1024 WHERE b.tid = ");
	q_i(&q, tid);
	if (strlen(blks) + 1 < bufsz) {
		q_adds(&q, " AND b.blk = ANY(");
		q_s(&q, blks);
		q_adds(&q, "::bigint[])");
	}
	q_adds(&q, " GROUP BY b.blk) x WHERE z.tid = ");
	q_i(&q, tid);
	q_adds(&q, " AND z.blk = x.blk");
	if (q_do(p, &q, "delete") == -1)
		return -1;
	return on_task(p, "DELETE FROM zones WHERE n = 0 AND tid = ", tid);
}

/*
 * Sets the first and last times of a task again from its zones, or drops
 * it when it has no records left.
 */
static int
task_refresh(struct pg *p, long long tid)
{
	return on_task(p, "DELETE FROM counts WHERE n <= 0 AND tid = ",
	    tid) == -1 ||
	    on_task(p, "UPDATE tasks t SET first_ts = x.lo, last_ts = x.hi,"
	    " first_tsstr = (SELECT l.tsstr" ZJOIN " WHERE z.tid = t.tid"
	    "  AND z.min_ts = x.lo AND l.ts = x.lo LIMIT 1),"
	    " last_tsstr = (SELECT l.tsstr" ZJOIN " WHERE z.tid = t.tid"
	    "  AND z.max_ts = x.hi AND l.ts = x.hi LIMIT 1)"
	    " FROM (SELECT min(min_ts) AS lo, max(max_ts) AS hi FROM zones"
	    "  WHERE tid = $1) x WHERE t.tid = ", tid) == -1 ||
	    on_task(p, "DELETE FROM tasks WHERE first_ts IS NULL"
	    " AND tid = ", tid) == -1 ? -1 : 0;
}

/* A time before every other: "before" it means of any age. */
#define ANY_AGE		LLONG_MIN

/* Runs sql with the task id as its one parameter: 0, or -1. */
static int
on_task(struct pg *p, const char *sql, long long tid)
{
	struct q q;

	q_init(&q);
	q_adds(&q, sql);
	q_i(&q, tid);
	return q_do(p, &q, "delete");
}

/*
 * Deletes up to max rows of task tid older than before (ANY_AGE: any),
 * with
 * what they add up to, and the task once empty; in the transaction open,
 * with the task's lock. The rows deleted, or -1.
 */
static long long
delete_some(struct pg *p, long long tid, long long before, long long max)
{
	struct q q;
	PGresult *r;
	long long n;
	char blks[1 << 16];

	q_init(&q);
	q_adds(&q, "SELECT pg_advisory_xact_lock(1802662145, hashtext(name))"
	    " FROM tasks WHERE tid = ");
	q_i(&q, tid);
	if (q_do(p, &q, "delete") == -1)
		return -1;
	q_init(&q);
	q_adds(&q, "WITH d AS (DELETE FROM logs WHERE id IN (SELECT l.id");
	if (before != ANY_AGE) {
		q_adds(&q, ZJOIN " WHERE z.tid = ");
		q_i(&q, tid);
		q_adds(&q, " AND z.min_ts < ");
		q_i(&q, before);
		q_adds(&q, " AND l.ts < ");
		q_i(&q, before);
	} else {
		q_adds(&q, " FROM logs l WHERE l.tid = ");
		q_i(&q, tid);
	}
	kr_buf_printf(&q.sql, " LIMIT %lld) RETURNING id, level, source),"
	    " g AS (SELECT level, source, count(*) AS n FROM d"
	    " GROUP BY level, source), u AS (UPDATE counts c"
	    " SET n = c.n - g.n FROM g WHERE c.tid = %lld"
	    " AND c.level = g.level AND c.source = g.source RETURNING 1)"
	    " SELECT (SELECT coalesce(sum(n), 0) FROM g),"
	    " (SELECT array_agg(DISTINCT id >> %d) FROM d)", max, tid, ZBITS);
	if ((r = q_run(p, &q, "delete")) == NULL)
		return -1;
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(blks, sizeof blks, "%s", PQgetisnull(r, 0, 1) ? "{}" :
	    PQgetvalue(r, 0, 1));
	PQclear(r);
	if ((n > 0 && (zones_fix(p, tid, blks, sizeof blks) == -1 ||
	    cmd(p, GEN_BUMP, "delete") == -1)) || task_refresh(p, tid) == -1)
		return -1;
	return n;
}

long long
pg_delete(struct pg *p, long long tid, long long before)
{
	long long n, total = 0;

	if (tid <= 0)
		return 0;
	if (before == 0)
		before = ANY_AGE;
	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	do {
		if (cmd(p, "BEGIN", "delete") == -1)
			return -1;
		p->in_txn = 1;
		if ((n = delete_some(p, tid, before, DEL_ROWS)) == -1 ||
		    pg_commit(p) == -1) {
			if (p->in_txn)
				db_fail(p, "delete", NULL);
			return -1;
		}
		total += n;
	} while (n == DEL_ROWS);
	return total;
}

/* ---- partitions ---- */

/*
 * Starts a new partition when the newest is older than its span (or when
 * there is none), and moves the ids on to it. It is made apart and then
 * attached, which holds up neither ingest nor queries; the servers take
 * turns (an advisory lock) and the first one does it. 0, or -1.
 */
static int
part_roll(struct pg *p)
{
	long long now = kr_wall_ns(), lo = 0, start = 0, n;
	char sql[800];
	PGresult *r;

	if (p->part_start != 0 && now < p->part_start + p->part_ns &&
	    p->top_id < p->part_lo + (3LL << (PART_BITS - 2)))
		return 0;
	if (kr_mono_ns() < p->part_at || (p->in_txn && pg_commit(p) == -1))
		return -1;
	p->part_at = kr_mono_ns() + RECONNECT_NS;
	if (cmd(p, "BEGIN", "partition") == -1)
		return -1;
	p->in_txn = 1;
	if (cmd(p, "SET LOCAL lock_timeout = '2s'", "partition") == -1 ||
	    cmd(p, "SELECT pg_advisory_xact_lock(1802662146)",
	    "partition") == -1 ||
	    (r = ok(p, exec(p, "SELECT lo, start_ns FROM parts"
	    " WHERE NOT detached ORDER BY lo DESC LIMIT 1"),
	    "partition")) == NULL)
		goto fail;
	if ((n = PQntuples(r)) > 0) {
		lo = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		start = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	if (n == 0 || now >= start + p->part_ns ||
	    p->top_id >= lo + (3LL << (PART_BITS - 2))) {
		lo = n == 0 ? 0 : lo + (1LL << PART_BITS);
		start = now;
		snprintf(sql, sizeof sql, "CREATE TABLE logs_%lld"
		    " (LIKE logs INCLUDING DEFAULTS);"
		    "ALTER TABLE logs ATTACH PARTITION logs_%lld"
		    " FOR VALUES FROM (%lld) TO (%lld);"
		    "INSERT INTO parts(lo, start_ns) VALUES(%lld, %lld)",
		    lo >> PART_BITS, lo >> PART_BITS, lo,
		    lo + (1LL << PART_BITS), lo, start);
		if (cmd(p, sql, "partition") == -1)
			goto fail;
	}
	if (pg_commit(p) == -1)
		return -1;
	/* The ids move on once it is there (setval is not transactional). */
	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(1802662146);"
	    "SELECT setval('log_ids', %lld, false) FROM log_ids"
	    " WHERE last_value < %lld", lo > 0 ? lo : 1, lo);
	if (cmd(p, sql, "partition") == -1)
		return -1;
	p->part_start = start;
	p->part_lo = lo;
	p->part_at = 0;
	return 0;
fail:
	if (p->in_txn)
		db_fail(p, "partition", NULL);
	return -1;
}

int
pg_partition(struct pg *p, long long span_ns)
{
	p->part_ns = span_ns;
	p->part_start = 0;
	p->part_at = 0;
	return part_roll(p);
}

/*
 * Drops the oldest partition when every record in it is older than
 * cutoff, with what its records added to their tasks: no DELETE of each
 * row. Detached first (CONCURRENTLY: ingest and queries go on), then
 * dropped; one cut short in between is finished next time. The records
 * it held, 0 when none goes, or -1.
 */
static long long
part_drop(struct pg *p, long long cutoff)
{
	long long lo, max_ts, n, name;
	char sql[2400], tail[200];
	PGresult *r;
	int detached;

	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	/* The oldest, once the next one has been in use for a while. */
	snprintf(sql, sizeof sql, "SELECT lo, max_ts, detached FROM parts p"
	    " WHERE EXISTS (SELECT 1 FROM parts q WHERE q.lo > p.lo"
	    " AND q.start_ns < %lld) ORDER BY lo LIMIT 1", kr_wall_ns() -
	    (p->part_ns < PART_SETTLE_NS ? p->part_ns : PART_SETTLE_NS));
	if ((r = ok(p, exec(p, sql), "retention")) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	lo = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	max_ts = PQgetisnull(r, 0, 1) ? LLONG_MIN :
	    strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	detached = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	name = lo >> PART_BITS;
	if (max_ts == LLONG_MIN) {
		snprintf(sql, sizeof sql, "UPDATE parts SET max_ts = (SELECT"
		    " coalesce(max(ts), %lld) FROM logs_%lld) WHERE lo = %lld"
		    " RETURNING max_ts", LLONG_MIN, name, lo);
		max_ts = int_of(ok(p, exec(p, sql), "retention"),
		    LLONG_MAX);
	}
	if (max_ts >= cutoff)
		return 0;
	if (!detached) {
		snprintf(sql, sizeof sql, "ALTER TABLE logs DETACH PARTITION"
		    " logs_%lld CONCURRENTLY", name);
		if (cmd(p, sql, "retention") == -1)
			return -1;
		snprintf(sql, sizeof sql, "UPDATE parts SET detached = true"
		    " WHERE lo = %lld", lo);
		if (cmd(p, sql, "retention") == -1)
			return -1;
	}
	if (cmd(p, "BEGIN", "retention") == -1)
		return -1;
	p->in_txn = 1;
	snprintf(tail, sizeof tail, "SELECT count(*) FROM logs_%lld", name);
	if ((n = int_of(ok(p, exec(p, tail), "retention"), -1)) == -1)
		goto fail;
	/* Its tasks' writers wait (their locks, in one order) while what
	 * the records added up to goes, and the tasks left empty. */
	snprintf(sql, sizeof sql,
	    "SELECT pg_advisory_xact_lock(1802662146);"
	    "SELECT pg_advisory_xact_lock(1802662145, hashtext(name))"
	    " FROM tasks WHERE tid IN (SELECT DISTINCT tid FROM logs_%lld)"
	    " ORDER BY name;"
	    "UPDATE counts c SET n = c.n - g.n FROM (SELECT tid, level,"
	    " source, count(*) AS n FROM logs_%lld GROUP BY 1, 2, 3) g"
	    " WHERE c.tid = g.tid AND c.level = g.level"
	    " AND c.source = g.source;"
	    "DELETE FROM counts WHERE n <= 0;"
	    "DELETE FROM zones WHERE blk >= %lld AND blk < %lld;"
	    "UPDATE tasks t SET first_ts = x.lo, last_ts = x.hi,"
	    " first_tsstr = (SELECT l.tsstr" ZJOIN " WHERE z.tid = t.tid"
	    "  AND z.min_ts = x.lo AND l.ts = x.lo LIMIT 1),"
	    " last_tsstr = (SELECT l.tsstr" ZJOIN " WHERE z.tid = t.tid"
	    "  AND z.max_ts = x.hi AND l.ts = x.hi LIMIT 1)"
	    " FROM (SELECT d.tid, min(z.min_ts) AS lo, max(z.max_ts) AS hi"
	    "  FROM (SELECT DISTINCT tid FROM logs_%lld) d"
	    "  LEFT JOIN zones z ON z.tid = d.tid GROUP BY d.tid) x"
	    " WHERE t.tid = x.tid;"
	    "DELETE FROM tasks WHERE first_ts IS NULL;"
	    GEN_BUMP ";"
	    "DROP TABLE logs_%lld;"
	    "DELETE FROM parts WHERE lo = %lld",
	    name, name, lo >> ZBITS, (lo + (1LL << PART_BITS)) >> ZBITS,
	    name, name, lo);
	if (cmd(p, sql, "retention") == -1 || pg_commit(p) == -1)
		goto fail;
	return n;
fail:
	if (p->in_txn)
		db_fail(p, "retention", NULL);
	return -1;
}

long long
pg_expire(struct pg *p, long long cutoff, long long max)
{
	long long tids[64], n, total = 0;
	PGresult *r;
	struct q q;
	int nt, i;

	if ((n = part_drop(p, cutoff)) != 0)
		return n;
	q_init(&q);
	q_adds(&q, "SELECT tid FROM tasks WHERE first_ts < ");
	q_i(&q, cutoff);
	q_adds(&q, " LIMIT 64");
	if ((r = q_run(p, &q, "retention")) == NULL)
		return -1;
	for (nt = 0; nt < PQntuples(r) && nt < 64; nt++)
		tids[nt] = strtoll(PQgetvalue(r, nt, 0), NULL, 10);
	PQclear(r);
	for (i = 0; i < nt && total < max; i++) {
		if (cmd(p, "BEGIN", "retention") == -1)
			return -1;
		p->in_txn = 1;
		if ((n = delete_some(p, tids[i], cutoff, max - total)) == -1 ||
		    pg_commit(p) == -1) {
			if (p->in_txn)
				db_fail(p, "retention", NULL);
			return -1;
		}
		total += n;
	}
	return total;
}

/* ---- summaries ---- */

int
pg_counts(struct pg *p, long long tid, count_fn fn, void *arg)
{
	PGresult *r;
	struct q q;
	int i;

	q_init(&q);
	q_adds(&q, "SELECT level, source, n FROM counts WHERE tid = ");
	q_i(&q, tid);
	q_adds(&q, " ORDER BY source COLLATE \"C\", level");
	if ((r = q_run(p, &q, "counts")) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		p->dec.len = 0;
		if (esc_get(&p->dec, PQgetvalue(r, i, 1),
		    (size_t)PQgetlength(r, i, 1)) == -1 ||
		    kr_buf_addc(&p->dec, 0) == -1)
			break;
		if (fn(arg, atoi(PQgetvalue(r, i, 0)), p->dec.s,
		    p->dec.len - 1, strtoll(PQgetvalue(r, i, 2), NULL,
		    10)) == -1)
			break;
	}
	PQclear(r);
	return 0;
}

int
pg_tasks(struct pg *p, const char *only, task_fn fn, void *arg)
{
	struct task_info t;
	PGresult *r;
	struct q q;
	int i;

	q_init(&q);
	q_adds(&q, "SELECT t.name, t.first_tsstr, t.last_tsstr,"
	    " t.last_activity, t.exited, t.exit_code,"
	    " (SELECT coalesce(sum(n), 0) FROM counts c WHERE c.tid = t.tid),"
	    " (SELECT coalesce(sum(n), 0) FROM counts c WHERE c.tid = t.tid"
	    "  AND c.level >= 4) FROM tasks t");
	if (only != NULL) {
		q_adds(&q, " WHERE t.name = ");
		q_s(&q, only);
	}
	q_adds(&q, " ORDER BY t.last_activity DESC NULLS LAST,"
	    " t.name COLLATE \"C\"");
	if ((r = q_run(p, &q, "tasks")) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&t, 0, sizeof t);
		t.name = PQgetvalue(r, i, 0);
		t.namelen = (size_t)PQgetlength(r, i, 0);
		if (!PQgetisnull(r, i, 1)) {
			t.first_ts = PQgetvalue(r, i, 1);
			t.first_len = (size_t)PQgetlength(r, i, 1);
		}
		if (!PQgetisnull(r, i, 2)) {
			t.last_ts = PQgetvalue(r, i, 2);
			t.last_len = (size_t)PQgetlength(r, i, 2);
		}
		t.last_activity = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		t.exited = atoi(PQgetvalue(r, i, 4));
		t.exit_code = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		t.count = strtoll(PQgetvalue(r, i, 6), NULL, 10);
		t.errors = strtoll(PQgetvalue(r, i, 7), NULL, 10);
		if (fn(arg, &t) == -1)
			break;
	}
	PQclear(r);
	return 0;
}

long long
pg_size(struct pg *p)
{
	return int_of(ok(p, exec(p,
	    "SELECT pg_database_size(current_database())"), "size"), 0);
}

/* ---- scrubbing ---- */

long long
pg_last_id(const struct pg *p)
{
	return int_of(PQexec(p->db, "SELECT CASE WHEN is_called THEN"
	    " last_value ELSE 0 END FROM log_ids"), 0);
}

/* Offers row i of r to fn; rewrites it when fn changed it. 1, 0, -1. */
static int
offer_row(struct pg *p, PGresult *r, int i, rewrite_fn fn, void *arg,
    struct kr_buf *nmsg, struct kr_buf *nextra)
{
	size_t at;
	struct q q;
	int rc;

	p->dec.len = 0;
	if (esc_get(&p->dec, PQgetvalue(r, i, 2),
	    (size_t)PQgetlength(r, i, 2)) == -1)
		return -1;
	at = p->dec.len;
	if (!PQgetisnull(r, i, 3) && esc_get(&p->dec, PQgetvalue(r, i, 3),
	    (size_t)PQgetlength(r, i, 3)) == -1)
		return -1;
	rc = fn(arg, p->dec.s ? p->dec.s : "", at,
	    PQgetisnull(r, i, 3) ? NULL : p->dec.s + at, p->dec.len - at,
	    nmsg, nextra);
	if (rc != 1)
		return rc;
	q_init(&q);
	q_adds(&q, "UPDATE logs SET tsv = NULL, message = ");
	q_val(&q, nmsg->s ? nmsg->s : "", nmsg->len);
	q_adds(&q, ", extra = ");
	if (nextra->len > 0)
		q_val(&q, nextra->s, nextra->len);
	else
		q_adds(&q, "NULL");
	q_adds(&q, " WHERE id = ");
	q_val(&q, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
	return q_do(p, &q, "redaction") == 0 ? 1 : -1;
}

long long
pg_rewrite(struct pg *p, const struct scope *sc, long long *from,
    long long upto, long long max, rewrite_fn fn, void *arg,
    long long *changed, rewritten_fn done, void *darg)
{
	struct kr_buf nmsg = KR_BUF_INIT((size_t)1 << 30),
		      nextra = KR_BUF_INIT((size_t)1 << 30);
	PGresult *r;
	struct q q;
	long long n = 0, k = 0;
	int i, rc;

	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	if (cmd(p, "BEGIN", "redaction") == -1)
		return -1;
	p->in_txn = 1;
	q_init(&q);
	q_adds(&q, "SELECT id, tid, message, extra FROM logs WHERE id > ");
	q_i(&q, *from);
	q_adds(&q, " AND id <= ");
	q_i(&q, upto);
	if (sc->kind == SC_TASK) {
		q_adds(&q, " AND tid = (SELECT tid FROM tasks WHERE name = ");
		q_s(&q, sc->name);
		q_adds(&q, ")");
	} else if (sc->kind == SC_PREFIX) {
		q_adds(&q, " AND tid IN (SELECT tid FROM tasks"
		    " WHERE left(name, length(");
		q_s(&q, sc->name);
		q_adds(&q, ")) = ");
		q_s(&q, sc->name);
		q_adds(&q, ")");
	}
	kr_buf_printf(&q.sql, " ORDER BY id LIMIT %lld FOR UPDATE", max);
	if ((r = q_run(p, &q, "redaction")) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++, n++) {
		*from = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		nmsg.len = nextra.len = 0;
		if ((rc = offer_row(p, r, i, fn, arg, &nmsg, &nextra)) == -1) {
			PQclear(r);
			n = -1;
			goto out;
		}
		if (rc == 1) {
			k++;
			done(darg, *from, strtoll(PQgetvalue(r, i, 1), NULL,
			    10));
		}
	}
	PQclear(r);
	/* Every row up to upto was looked at when fewer came than asked. */
	if (n < max)
		*from = upto;
	if ((k > 0 && cmd(p, GEN_BUMP, "redaction") == -1) ||
	    pg_commit(p) == -1) {
		n = -1;
		goto out;
	}
	if (k > 0)
		p->purge = 1;
	*changed += k;
out:
	if (n == -1 && p->in_txn)
		db_fail(p, "redaction", NULL);
	if (nmsg.s != NULL)
		memset(nmsg.s, 0, nmsg.cap);
	if (nextra.s != NULL)
		memset(nextra.s, 0, nextra.cap);
	kr_buf_free(&nmsg);
	kr_buf_free(&nextra);
	return r == NULL ? -1 : n;
}

/*
 * The old text of rewritten rows stays in their dead versions until
 * VACUUM takes them away (their space is then reused, not zeroed).
 */
int
pg_purge_step(struct pg *p)
{
	if (!p->purge)
		return 0;
	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	if (cmd(p, "VACUUM logs", "vacuum") == -1)
		return -1;
	p->purge = 0;
	return 0;
}

long long
pg_redaction_new(struct pg *p, const char *who, const char *scope_json)
{
	struct timespec now;
	char ts[KR_TS_LEN + 1];
	struct q q;

	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	kr_ts_format(&now, ts);
	q_init(&q);
	q_adds(&q, "INSERT INTO redactions(created, who, scope, state, owner)"
	    " VALUES(");
	q_s(&q, ts);
	q_adds(&q, ", ");
	q_s(&q, who);
	q_adds(&q, ", ");
	q_s(&q, scope_json);
	q_adds(&q, ", 'running', pg_backend_pid()) RETURNING id");
	return int_of(q_run(p, &q, "redaction"), -1);
}

int
pg_redaction_set(struct pg *p, long long id, const char *state,
    long long scanned, long long changed)
{
	struct timespec now;
	char ts[KR_TS_LEN + 1];
	struct q q;

	if (p->in_txn && pg_commit(p) == -1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	kr_ts_format(&now, ts);
	q_init(&q);
	q_adds(&q, "UPDATE redactions SET state = ");
	q_s(&q, state);
	q_adds(&q, ", scanned = ");
	q_i(&q, scanned);
	q_adds(&q, ", changed = ");
	q_i(&q, changed);
	q_adds(&q, ", finished = CASE $1 WHEN 'running' THEN NULL ELSE ");
	q_s(&q, ts);
	q_adds(&q, " END WHERE id = ");
	q_i(&q, id);
	return q_do(p, &q, "redaction");
}

int
pg_redactions(struct pg *p, long long id, redaction_fn fn, void *arg)
{
	struct redaction_info ri;
	PGresult *r;
	struct q q;
	int i;

	q_init(&q);
	q_adds(&q, "SELECT id, created, who, scope, state, scanned, changed,"
	    " finished FROM redactions");
	if (id != 0) {
		q_adds(&q, " WHERE id = ");
		q_i(&q, id);
	}
	q_adds(&q, " ORDER BY id DESC");
	if ((r = q_run(p, &q, "redaction")) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		ri.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		ri.created = PQgetvalue(r, i, 1);
		ri.who = PQgetvalue(r, i, 2);
		ri.scope = PQgetvalue(r, i, 3);
		ri.state = PQgetvalue(r, i, 4);
		ri.scanned = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		ri.changed = strtoll(PQgetvalue(r, i, 6), NULL, 10);
		ri.finished = PQgetisnull(r, i, 7) ? NULL :
		    PQgetvalue(r, i, 7);
		if (fn(arg, &ri) != 0)
			break;
	}
	PQclear(r);
	return 0;
}
