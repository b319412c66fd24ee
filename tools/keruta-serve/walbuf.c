/*
 * walbuf.c: a VFS over the default one that gathers the writes SQLite
 * makes to a WAL file. A commit writes each frame as two pwrite calls, its
 * 24-byte header and its page: some forty system calls for a batch of 100
 * records. Here the frames appended at the WAL's end collect in memory and
 * go out together when the commit frame is complete, before SQLite
 * publishes the commit in the WAL index. Anything else goes out as it
 * comes, after what was gathered: writes over earlier frames (a page
 * written twice in one transaction, the checksums SQLite then rewrites),
 * and every other operation on the file (a read, a sync, a truncation, a
 * size, a lock, a file control, the close). So other connections, and a
 * restart after a crash, see what they saw without it: every committed
 * frame is in the file when COMMIT returns.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

#define WALBUF_MAX	(4u << 20)	/* gathered bytes; more goes at once */
#define WRITE_MAX	0x1f000		/* the unix VFS writes < 128 KiB a call */
#define WAL_HDR		32		/* the WAL file's header */
#define FRAME_HDR	24		/* a WAL frame's header */

struct wfile {
	sqlite3_file base;
	sqlite3_file *real;	/* the default VFS's file, right after this */
	int wal;
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off;	/* where buf goes in the file */
	sqlite3_int64 end;	/* where the next frame is appended; or -1 */
	sqlite3_int64 page_at;	/* a frame's page comes next, here; or -1 */
	int commit;		/* and that frame ends a commit */
};

static sqlite3_vfs *orig;

static int
flush(struct wfile *f)
{
	size_t done, n;
	int rc = SQLITE_OK;

	for (done = 0; done < f->len && rc == SQLITE_OK; done += n) {
		n = f->len - done;
		if (n > WRITE_MAX)
			n = WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
		    f->off + (sqlite3_int64)done);
	}
	f->len = 0;
	return rc;
}

static int
w_close(sqlite3_file *p)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f), rc2;

	rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
w_read(sqlite3_file *p, void *b, int n, sqlite3_int64 off)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, b, n,
	    off);
}

static int
w_write(sqlite3_file *p, const void *b, int n, sqlite3_int64 off)
{
	struct wfile *f = (struct wfile *)p;
	const unsigned char *u = b;
	int rc, page;

	if (!f->wal)
		return f->real->pMethods->xWrite(f->real, b, n, off);
	if (off == 0 && n == WAL_HDR)
		f->end = 0;		/* a new WAL: frames follow its header */
	else if (off > f->end) {
		/* The first append since opening, or after frames another
		 * process appended: the end is here now. */
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		f->end = off;
	}
	if (off != f->end || (size_t)n > WRITE_MAX) {
		/* Over earlier frames: after what is gathered, as it is. */
		f->page_at = -1;
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		return f->real->pMethods->xWrite(f->real, b, n, off);
	}
	if (f->len > 0 && f->len + (size_t)n > WALBUF_MAX &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (f->len + (size_t)n > f->cap) {
		size_t cap = f->cap ? f->cap : 65536;
		unsigned char *nb;

		while (cap < f->len + (size_t)n)
			cap *= 2;
		if ((nb = realloc(f->buf, cap)) == NULL) {
			/* No room to gather: write as SQLite asked. */
			if ((rc = flush(f)) != SQLITE_OK)
				return rc;
			f->end = off + n;
			return f->real->pMethods->xWrite(f->real, b, n, off);
		}
		f->buf = nb;
		f->cap = cap;
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, b, (size_t)n);
	f->len += (size_t)n;
	f->end = off + n;
	page = off == f->page_at;
	f->page_at = -1;
	if (page)
		/* The page of the frame whose header came just before:
		 * after a commit frame's, the transaction is whole. */
		return f->commit ? flush(f) : SQLITE_OK;
	if (off < WAL_HDR || n < FRAME_HDR)
		return SQLITE_OK;	/* the WAL's own header */
	/* A frame's header (SQLite writes it, then the page), or a whole
	 * frame at once: bytes 4-7, the database size after a commit,
	 * are not zero in a commit frame. */
	f->commit = (u[4] | u[5] | u[6] | u[7]) != 0;
	if (n == FRAME_HDR) {
		f->page_at = off + FRAME_HDR;
		return SQLITE_OK;
	}
	return f->commit ? flush(f) : SQLITE_OK;
}

static int
w_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	if (f->end > size)
		f->end = size;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real,
	    size);
}

static _Thread_local int defer;

void
walbuf_defer_sync(int on)
{
	defer = on;
}

static int
w_sync(sqlite3_file *p, int flags)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	if (rc != SQLITE_OK || (f->wal && defer))
		return rc;
	return f->real->pMethods->xSync(f->real, flags);
}

static int
w_size(sqlite3_file *p, sqlite3_int64 *size)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real,
	    size);
}

static int
w_lock(sqlite3_file *p, int l)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, l);
}

static int
w_unlock(sqlite3_file *p, int l)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, l);
}

static int
w_check(sqlite3_file *p, int *out)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
w_fcntl(sqlite3_file *p, int op, void *arg)
{
	struct wfile *f = (struct wfile *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real,
	    op, arg);
}

static int
w_sector(sqlite3_file *p)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
w_caps(sqlite3_file *p)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
w_shmmap(sqlite3_file *p, int pg, int sz, int ext, void volatile **pp)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xShmMap(f->real, pg, sz, ext, pp);
}

static int
w_shmlock(sqlite3_file *p, int off, int n, int flags)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void
w_shmbarrier(sqlite3_file *p)
{
	struct wfile *f = (struct wfile *)p;

	f->real->pMethods->xShmBarrier(f->real);
}

static int
w_shmunmap(sqlite3_file *p, int del)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int
w_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **pp)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xFetch(f->real, off, n, pp);
}

static int
w_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	struct wfile *f = (struct wfile *)p;

	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods w_methods = {
	3, w_close, w_read, w_write, w_truncate, w_sync, w_size, w_lock,
	w_unlock, w_check, w_fcntl, w_sector, w_caps, w_shmmap, w_shmlock,
	w_shmbarrier, w_shmunmap, w_fetch, w_unfetch,
};

static int
w_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags,
    int *oflags)
{
	struct wfile *f = (struct wfile *)p;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof *f);
	f->end = f->page_at = -1;
	f->real = (sqlite3_file *)(f + 1);
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	rc = orig->xOpen(orig, name, f->real, flags, oflags);
	/* The methods are ours only once the real file is open. */
	f->base.pMethods = rc == SQLITE_OK && f->real->pMethods != NULL ?
	    &w_methods : NULL;
	return rc;
}

static sqlite3_vfs walbuf_vfs;

/*
 * Only over the "unix" VFS, whose methods other than xOpen do not look at
 * the VFS they are called with, so that they serve this one unchanged.
 */
int
walbuf_register(void)
{
	if ((orig = sqlite3_vfs_find(NULL)) == NULL ||
	    strcmp(orig->zName, "unix") != 0)
		return -1;
	walbuf_vfs = *orig;
	walbuf_vfs.szOsFile = (int)sizeof(struct wfile) + orig->szOsFile;
	walbuf_vfs.zName = "keruta-walbuf";
	walbuf_vfs.xOpen = w_open;
	return sqlite3_vfs_register(&walbuf_vfs, 1) == SQLITE_OK ? 0 : -1;
}
