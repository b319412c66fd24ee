/*
 * walbuf.c: keruta-serve's WAL-gathering VFS. After each COMMIT, a copy of
 * the database and its WAL, taken as a crash would leave them, must open
 * with every committed row and pass the integrity check: also when pages
 * spill to the WAL mid-transaction and are written again, so that SQLite
 * rewrites frames and their checksums, and after the WAL starts over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "../../tools/keruta-serve/walbuf.c"

static char dir[] = "/tmp/kr-walbuf.XXXXXX";

static int
copy(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	if (in == NULL)
		return errno == ENOENT ? 0 : -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return fclose(out) == 0 ? 0 : -1;
}

static long long
scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Copies the files as they are now, opens the copy: rows and integrity. */
static void
crash_copy(const char *what, long long rows, long long sum)
{
	char a[64], b[64], c[64], d[64];
	sqlite3 *db;
	const unsigned char *ic;
	sqlite3_stmt *st;
	long long got_rows, got_sum;
	int good = 0;

	snprintf(a, sizeof a, "%s/t.db", dir);
	snprintf(b, sizeof b, "%s/c.db", dir);
	snprintf(c, sizeof c, "%s/t.db-wal", dir);
	snprintf(d, sizeof d, "%s/c.db-wal", dir);
	unlink(b);
	unlink(d);
	ok(copy(a, b) == 0 && copy(c, d) == 0, "%s: copied", what);
	if (sqlite3_open(b, &db) != SQLITE_OK) {
		ok(0, "%s: the copy opens", what);
		return;
	}
	got_rows = scalar(db, "SELECT count(*) FROM t");
	got_sum = scalar(db, "SELECT sum(v) FROM t");
	ok(got_rows == rows && got_sum == sum,
	    "%s: the copy has the %lld rows committed", what, rows);
	if (got_rows != rows || got_sum != sum)
		printf("# rows %lld, sum %lld; want %lld, %lld\n", got_rows,
		    got_sum, rows, sum);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (ic = sqlite3_column_text(st, 0)) != NULL &&
		    strcmp((const char *)ic, "ok") == 0)
			good = 1;
		sqlite3_finalize(st);
	}
	ok(good, "%s: the copy is sound", what);
	sqlite3_close(db);
}

int
main(void)
{
	char path[64];
	sqlite3 *db;
	long long rows = 0, sum = 0, i;
	int round;

	if (mkdtemp(dir) == NULL || walbuf_register() != 0) {
		ok(0, "set up");
		return done_testing();
	}
	is(sqlite3_vfs_find(NULL)->zName, "keruta-walbuf",
	    "the VFS is the default");
	snprintf(path, sizeof path, "%s/t.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
	    "CREATE TABLE t(k INTEGER PRIMARY KEY, v INTEGER, pad TEXT);"
	    "CREATE INDEX t_v ON t(v);", NULL, NULL, NULL) != SQLITE_OK) {
		ok(0, "open: %s", sqlite3_errmsg(db));
		return done_testing();
	}
	/* Small commits, as ingest makes them. */
	for (round = 0; round < 20; round++) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (i = 0; i < 100; i++, rows++) {
			char sql[200];

			snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%lld,"
			    " %lld, printf('%%.200c', 'x'))", rows, rows);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
			sum += rows;
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	crash_copy("small commits", rows, sum);

	/* A cache of 10 pages: the transaction spills pages to the WAL,
	 * writes some of them again, and SQLite rewrites their frames and
	 * the checksums after them. */
	sqlite3_exec(db, "PRAGMA cache_size=10; BEGIN;"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
	    " WHERE i < 3000) INSERT INTO t SELECT 100000 + i, i,"
	    " printf('%.300c', 'y') FROM c;"
	    "UPDATE t SET v = v + 1 WHERE k >= 100000 AND k % 7 = 0;"
	    "COMMIT;", NULL, NULL, NULL);
	rows += 3000;
	/* v = i, and one more where (100000 + i) % 7 == 0: i % 7 == 2. */
	sum += 3000LL * 3001 / 2 + (3000 - 2) / 7 + 1;
	crash_copy("a transaction that spills and rewrites frames", rows, sum);

	/* The WAL starts over after a complete checkpoint. */
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);"
	    "INSERT INTO t VALUES(900000, 5, 'z');", NULL, NULL, NULL);
	rows++;
	sum += 5;
	crash_copy("after the WAL started over", rows, sum);

	sqlite3_exec(db, "PRAGMA wal_checkpoint(RESTART);"
	    "INSERT INTO t VALUES(900001, 6, 'z');", NULL, NULL, NULL);
	rows++;
	sum += 6;
	crash_copy("after a checkpoint that restarts it", rows, sum);

	/* Another connection appends frames; this one then goes on after
	 * them. */
	{
		sqlite3 *db2;

		if (sqlite3_open(path, &db2) == SQLITE_OK &&
		    sqlite3_exec(db2, "INSERT INTO t VALUES(900002, 7, 'z');"
		    "INSERT INTO t VALUES(900003, 8, 'z');", NULL, NULL,
		    NULL) == SQLITE_OK)
			ok(sqlite3_close(db2) == SQLITE_OK,
			    "another connection wrote");
		else
			ok(0, "another connection wrote");
	}
	sqlite3_exec(db, "INSERT INTO t VALUES(900004, 9, 'z');", NULL, NULL,
	    NULL);
	rows += 3;
	sum += 7 + 8 + 9;
	crash_copy("after another connection's frames", rows, sum);

	ok(sqlite3_close(db) == SQLITE_OK, "closed");
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		ok(0, "clean up");
	return done_testing();
}
