/*
 * ship_spool.c: stdin to the spool, the spool to frames, acks to the
 * acked position.
 *
 * The spool is a directory: segment files "seg.N" (N from 1 up) of lines
 * "taskId TAB runId TAB seq TAB record-json", appended as records arrive;
 * "acked" holds the position (segment, offset) before which everything
 * is stored by the server; "rejected.ndjson" holds the records the server
 * refused for good; "lock" keeps a second keruta-ship out. Segments are
 * deleted once wholly acked. Lines are not fsync'ed one by one: a killed
 * keruta-ship loses nothing (the kernel has the bytes); a full segment is
 * fsync'ed once the next is full too (rotate); at exit with records left,
 * the segments and the position are fsync'ed.
 */
#define _GNU_SOURCE		/* realpath, sync_file_range */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "kr_diag.h"
#include "kr_io.h"
#include "kr_json.h"
#include "kr_rand.h"
#include "kr_rec.h"
#include "kr_time.h"
#include "ship.h"

#define SHIP_OUT_FLUSH	(256u << 10)
#define SHIP_OUT_PIECE	(64u << 10)	/* on a full disk */
#define SHIP_ACK_EVERY_NS 200000000LL
#define SHIP_RUNS_MAX	1024
#define SHIP_SEQ_MAX	9007199254740991.0	/* 2^53 - 1 */

static struct kr_ratelimit rl_bad = KR_RATELIMIT_INIT(5, 10);
static struct kr_ratelimit rl_rej = KR_RATELIMIT_INIT(10, 5);


static int
pos_lt(unsigned long long sa, off_t oa, unsigned long long sb, off_t ob)
{
	return sa < sb || (sa == sb && oa < ob);
}

static void
seg_path(const struct ship *s, unsigned long long n, char *p, size_t len)
{
	snprintf(p, len, "%s/seg.%llu", s->o->spool, n);
}

static void
spool_die(const struct ship *s, const char *what)
{
	kr_diesys(KR_EX_TEMP, "unable to %s in spool '%s'", what, s->o->spool);
}

/* Opens segment n for reading in s->rfd. */
static int
open_rseg(struct ship *s, unsigned long long n)
{
	char p[4096];

	if (s->rfd != -1 && s->rseg == n)
		return 0;
	if (s->rfd != -1)
		close(s->rfd);
	seg_path(s, n, p, sizeof p);
	s->rfd = open(p, O_RDONLY | O_CLOEXEC);
	s->rseg = n;
	s->rsize = -1;
	return s->rfd == -1 ? -1 : 0;
}

static off_t
seg_size(struct ship *s, unsigned long long n)
{
	struct stat st;

	if (n == s->wseg)
		return s->wsize;
	/* One before the segment written is finished: its size is asked
	 * once, not for every frame. */
	if (s->rfd != -1 && s->rseg == n && s->rsize != -1)
		return s->rsize;
	if (open_rseg(s, n) == -1 || fstat(s->rfd, &st) == -1)
		return -1;
	return s->rsize = st.st_size;
}

static void
open_wseg(struct ship *s, unsigned long long n)
{
	char p[4096];
	struct stat st;

	seg_path(s, n, p, sizeof p);
	if ((s->wfd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || fstat(s->wfd, &st) == -1)
		spool_die(s, "open a segment");
	s->wseg = n;
	s->wsize = st.st_size;
}

/* Cuts a torn last line (a crash in the middle of a write) off. */
static void
trim_tail(struct ship *s)
{
	char buf[4096];
	off_t end = s->wsize, at;
	ssize_t r;

	while (end > 0) {
		at = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
		if ((r = pread(s->wfd, buf, (size_t)(end - at), at)) <= 0)
			spool_die(s, "read a segment");
		while (r > 0 && buf[r - 1] != '\n')
			r--;
		if (r > 0) {
			end = at + r;
			break;
		}
		end = at;
	}
	if (end != s->wsize) {
		kr_warn("spool '%s': dropping a torn line of %lld bytes",
		    s->o->spool, (long long)(s->wsize - end));
		if (ftruncate(s->wfd, end) == -1)
			spool_die(s, "truncate a segment");
		s->wsize = end;
	}
}

/* Counts the lines and bytes from the acked position to the end. */
static void
count_pending(struct ship *s)
{
	char buf[65536];
	unsigned long long n;
	off_t off, size;
	ssize_t r;

	for (n = s->aseg; n <= s->wseg; n++) {
		if ((size = seg_size(s, n)) == -1)
			continue;
		off = n == s->aseg ? s->aoff : 0;
		if (off > size)
			off = size;
		s->spool_bytes += (unsigned long long)(size - off);
		if (n == s->wseg && open_rseg(s, n) == -1)
			spool_die(s, "open a segment");
		while (off < size && (r = pread(s->rfd, buf, sizeof buf,
		    off)) > 0) {
			char *p = buf, *e = buf + r;

			while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
				s->n_pending++;
				p++;
			}
			off += r;
		}
	}
}

static void
read_acked(struct ship *s)
{
	char buf[64];
	unsigned long long seg, off;
	ssize_t r;

	if ((r = pread(s->ackfd, buf, sizeof buf - 1, 0)) <= 0)
		return;
	buf[r] = '\0';
	if (sscanf(buf, "%llu %llu", &seg, &off) == 2 && seg > 0) {
		s->aseg = seg;
		s->aoff = (off_t)off;
	}
}

void
ship_spool_open(struct ship *s)
{
	const char *dir = s->o->spool;
	unsigned long long lo = 0, hi = 0, n;
	struct dirent *de;
	struct flock lk;
	char p[4096], *abs;
	DIR *d;

	s->rfd = s->wfd = s->rejfd = s->pfd = -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		kr_diesys(KR_EX_TEMP, "unable to create spool '%s'", dir);
	if (realpath(dir, p) != NULL && (abs = strdup(p)) != NULL) {
		free(s->o->spool);
		s->o->spool = abs;
		dir = abs;
	}
	snprintf(p, sizeof p, "%s/lock", dir);
	if ((s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		spool_die(s, "create the lock");
	memset(&lk, 0, sizeof lk);
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(s->lockfd, F_SETLK, &lk) == -1)
		kr_die(KR_EX_TEMP, "spool '%s' is in use by another keruta-ship",
		    dir);
	snprintf(p, sizeof p, "%s/acked", dir);
	if ((s->ackfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		spool_die(s, "open the acked position");
	if ((d = opendir(dir)) == NULL)
		spool_die(s, "list the segments");
	while ((de = readdir(d)) != NULL) {
		char *end;

		if (strncmp(de->d_name, "seg.", 4) != 0)
			continue;
		errno = 0;
		n = strtoull(de->d_name + 4, &end, 10);
		if (errno != 0 || *end != '\0' || n == 0)
			continue;
		if (lo == 0 || n < lo)
			lo = n;
		if (n > hi)
			hi = n;
	}
	closedir(d);
	s->aseg = lo ? lo : 1;
	s->aoff = 0;
	read_acked(s);
	if (lo != 0 && s->aseg < lo) {
		s->aseg = lo;
		s->aoff = 0;
	}
	/* Segments wholly before the acked position are done. */
	for (n = lo; n != 0 && n < s->aseg && n <= hi; n++) {
		seg_path(s, n, p, sizeof p);
		(void)unlink(p);
	}
	open_wseg(s, hi > s->aseg ? hi : s->aseg);
	trim_tail(s);
	s->tseg = s->wseg;
	s->toff = s->wsize;
	if (s->aseg == s->wseg && s->aoff > s->wsize)
		s->aoff = s->wsize;
	count_pending(s);
	s->cseg = s->aseg;
	s->coff = s->aoff;
	s->n_resumed = s->n_pending;
	/* The position's file gets its bytes before the disk can fill. */
	s->ack_dirty = 1;
	ship_ack_save(s, 1);
	if (s->n_pending > 0)
		kr_info("spool '%s': %llu records left from before", dir,
		    s->n_pending);
	/* Room for what stdin still holds when the disk is full. */
	kr_buf_init(&s->out, SHIP_OUT_FLUSH + 2 * KR_REC_MAX);
	kr_buf_init(&s->recent, SHIP_OUT_FLUSH + 2 * KR_REC_MAX);
	kr_buf_init(&s->rbuf, KR_REC_MAX + 4 * SHIP_ID_MAX + 64);
	kr_pipe_grow(0);
	kr_lr_init(&s->lr, 0, KR_REC_MAX);
	kr_random_hex(s->ship_run, 8);
}

static void
remove_file(struct ship *s, const char *name)
{
	char p[4096];

	snprintf(p, sizeof p, "%s/%s", s->o->spool, name);
	(void)unlink(p);
}

/*
 * Syncs every segment that holds records left, not only the one being
 * written: a full disk begins a new segment without a sync. -1 when one
 * could not be synced.
 */
static int
sync_segments(struct ship *s)
{
	unsigned long long n;
	char p[4096];
	int fd, e = 0;

	for (n = s->aseg; n < s->wseg; n++) {
		seg_path(s, n, p, sizeof p);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1) {
			if (errno != ENOENT)
				e = errno;
			continue;
		}
		if (fsync(fd) == -1)
			e = errno;
		close(fd);
	}
	if (fsync(s->wfd) == -1)
		e = errno;
	errno = e;
	return e != 0 ? -1 : 0;
}

void
ship_spool_close(struct ship *s)
{
	char p[4096];

	while (s->head != NULL) {
		struct ship_frame *f = s->head;

		s->head = f->next;
		kr_buf_free(&f->raw);
		free(f->body);
		free(f->runs);
		free(f);
	}
	if (s->n_pending == 0) {
		unsigned long long n;

		for (n = s->aseg; n <= s->wseg; n++) {
			seg_path(s, n, p, sizeof p);
			(void)unlink(p);
		}
		remove_file(s, "acked");
		remove_file(s, "lock");
		if (s->o->spool_default)
			(void)rmdir(s->o->spool);
	} else {
		ship_ack_save(s, 1);
		if (sync_segments(s) == -1 || fsync(s->ackfd) == -1)
			kr_warnsys("unable to sync spool '%s'", s->o->spool);
	}
	if (s->rfd != -1)
		close(s->rfd);
	if (s->rejfd != -1)
		close(s->rejfd);
	if (s->pfd != -1)
		close(s->pfd);
	close(s->wfd);
	close(s->ackfd);
	close(s->lockfd);
	kr_buf_free(&s->out);
	kr_buf_free(&s->recent);
	kr_buf_free(&s->rbuf);
	kr_lr_free(&s->lr);
	free(s->scan.r);
	free(s->runs);
}

/*
 * A full segment goes to disk while the next fills: its writeback starts
 * now, and it is synced when that one is full in turn, by when the wait
 * is short. Syncing it at once held keruta-ship, and the pipe before it,
 * some 20 ms a segment.
 */
static void
rotate(struct ship *s)
{
	if (s->pfd != -1) {
		if (fsync(s->pfd) == -1)
			spool_die(s, "sync a segment");
		close(s->pfd);
	}
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(s->wfd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	s->pfd = s->wfd;
	open_wseg(s, s->wseg + 1);
}

/* The disk refused a write for want of room (a full disk, a quota). */
static int
no_room(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

/*
 * The disk is full: the lines stay in s->out, stdin is not read until
 * acks free room. What part of them went is cut off again, and a new
 * segment is begun, so that the full one is deleted once acked.
 */
static void
disk_full(struct ship *s)
{
	char p[4096];
	int fd;

	if (ftruncate(s->wfd, s->wsize) == -1)
		spool_die(s, "truncate a segment");
	if (!s->disk_full)
		kr_warn("spool '%s': the disk is full: reading no more input "
		    "until acknowledgements free room", s->o->spool);
	s->disk_full = 1;
	if (s->wsize == 0)
		return;
	seg_path(s, s->wseg + 1, p, sizeof p);
	if ((fd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1) {
		if (!no_room(errno))
			spool_die(s, "open a segment");
		return;
	}
	close(s->wfd);
	s->wfd = fd;
	s->wseg++;
	s->wsize = 0;
}

/*
 * Writes s->out to the spool. On a full disk it goes in pieces of whole
 * lines, as many as fit: what waits in memory may be more than the disk
 * will ever have free at once (a pipe's worth, read at its hangup).
 */
static void
flush_out(struct ship *s)
{
	unsigned long long seg = 0;
	off_t off = -1;
	size_t done = 0, n;

	if (s->out.len == 0)
		return;
	while (done < s->out.len) {
		const char *p = s->out.s + done, *nl;

		n = s->out.len - done;
		if (s->disk_full && n > SHIP_OUT_PIECE) {
			nl = memrchr(p, '\n', SHIP_OUT_PIECE);
			if (nl == NULL)		/* one long line: whole */
				nl = memchr(p + SHIP_OUT_PIECE, '\n',
				    n - SHIP_OUT_PIECE);
			n = nl != NULL ? (size_t)(nl + 1 - p) : n;
		}
		if (kr_writeall(s->wfd, p, n) == -1) {
			if (!no_room(errno))
				spool_die(s, "write a segment");
			kr_buf_consume(&s->out, done);
			s->recent.len = 0;
			disk_full(s);
			return;
		}
		if (n == s->out.len) {
			/* Written at once: kept, for frames to read. */
			seg = s->wseg;
			off = s->wsize;
		}
		s->wsize += (off_t)n;
		s->spool_bytes += n;
		done += n;
		if ((size_t)s->wsize >= s->o->seg_max)
			rotate(s);
	}
	if (off != -1) {
		struct kr_buf t = s->recent;

		s->recent = s->out;
		s->recent_seg = seg;
		s->recent_off = off;
		s->out = t;
	} else
		s->recent.len = 0;
	s->out.len = 0;
	if (s->disk_full)
		kr_info("spool '%s': room again: reading input", s->o->spool);
	s->disk_full = 0;
}

/* Appends one spool line. */
static void
emit(struct ship *s, const char *task, const char *run,
    unsigned long long seq, const char *json, size_t n)
{
	if (kr_buf_adds(&s->out, task) == -1 ||
	    kr_buf_addc(&s->out, '\t') == -1 ||
	    kr_buf_adds(&s->out, run) == -1 ||
	    kr_buf_addc(&s->out, '\t') == -1 ||
	    kr_buf_addu64(&s->out, seq) == -1 ||
	    kr_buf_addc(&s->out, '\t') == -1 ||
	    kr_buf_add(&s->out, json, n) == -1 ||
	    kr_buf_addc(&s->out, '\n') == -1)
		kr_diesys(KR_EX_TEMP, "unable to buffer a record");
	s->n_read++;
	s->n_pending++;
	if (s->out.len >= SHIP_OUT_FLUSH)
		flush_out(s);
}

static void
reject_text(struct ship *s, const char *json, size_t n)
{
	char p[4096];

	if (s->rejfd == -1) {
		snprintf(p, sizeof p, "%s/rejected.ndjson", s->o->spool);
		if ((s->rejfd = open(p, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600)) == -1)
			spool_die(s, "open the rejected file");
	}
	if (kr_writeall(s->rejfd, json, n) == -1)
		spool_die(s, "write the rejected file");
}

/*
 * A record text ending in '}' without runId and seq: spooled with ours
 * (this keruta-ship's runId and seq) added before the '}'.
 */
static void
take_tagged(struct ship *s, const char *task, const char *rec, size_t n,
    int empty)
{
	struct kr_buf b = KR_BUF_INIT(KR_REC_MAX + 256);

	while (n > 0 && rec[n - 1] != '}')
		n--;
	if (n == 0)
		kr_die(KR_EX_BUG, "a record without its end");
	s->ship_seq++;
	if (kr_buf_add(&b, rec, n - 1) == -1 ||
	    kr_buf_printf(&b, "%s\"runId\":\"%s\",\"seq\":%llu}",
	    empty ? "" : ",", s->ship_run, s->ship_seq) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	emit(s, task, s->ship_run, s->ship_seq, b.s, b.len);
	kr_buf_free(&b);
}

/*
 * One record: its task, run and seq decide where it goes and how its ack
 * is known. A record without a usable runId and seq gets ours (the
 * runId of this keruta-ship and a seq of its own), so that every record
 * can be acked and deduplicated. span is its exact text when usable.
 */
static void take_wrapped(struct ship *s, const char *line, size_t n);

/* A taskId, runId or seq given twice: which one counts is a guess. */
static int
ids_repeated(const cJSON *r)
{
	static const char *const ids[] = { "taskId", "runId", "seq" };
	const cJSON *e;
	size_t i;
	int k;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		k = 0;
		for (e = r->child; e != NULL; e = e->next)
			if (e->string != NULL && strcmp(e->string, ids[i]) == 0)
				k++;
		if (k > 1)
			return 1;
	}
	return 0;
}

static void
take_record(struct ship *s, cJSON *r, const char *span, size_t n)
{
	const char *task = s->o->task_id, *run;
	const cJSON *seq;
	char *text;

	if (ids_repeated(r)) {
		/* The server might read another runId or seq: text. */
		if (span != NULL) {
			take_wrapped(s, span, n);
			return;
		}
		if ((text = cJSON_PrintUnformatted(r)) == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		take_wrapped(s, text, strlen(text));
		cJSON_free(text);
		return;
	}

	if (task == NULL) {
		task = kr_rec_get_str(r, "taskId");
		if (task != NULL && kr_id_valid(task, strlen(task)))
			memcpy(s->last_task, task, strlen(task) + 1);
	}
	if (task == NULL || !kr_id_valid(task, strlen(task))) {
		if ((text = cJSON_PrintUnformatted(r)) == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		reject_text(s, text, strlen(text));
		reject_text(s, "\n", 1);
		cJSON_free(text);
		s->n_read++;
		s->n_rejected++;
		if (kr_ratelimit_ok(&rl_bad))
			kr_warn("record %llu has no usable taskId and no "
			    "--task-id was given: set aside in '%s/%s'",
			    s->n_read, s->o->spool, "rejected.ndjson");
		return;
	}
	run = kr_rec_get_str(r, "runId");
	seq = cJSON_GetObjectItemCaseSensitive(r, "seq");
	if (run != NULL && kr_id_valid(run, strlen(run)) && cJSON_IsNumber(seq) &&
	    seq->valuedouble >= 1 && seq->valuedouble <= SHIP_SEQ_MAX &&
	    seq->valuedouble == (double)(unsigned long long)seq->valuedouble) {
		if (span != NULL) {
			emit(s, task, run, (unsigned long long)seq->valuedouble,
			    span, n);
			return;
		}
		if ((text = cJSON_PrintUnformatted(r)) == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		emit(s, task, run, (unsigned long long)seq->valuedouble, text,
		    strlen(text));
		cJSON_free(text);
		return;
	}
	if (span != NULL && run == NULL && seq == NULL) {
		/* Ours added by text: cJSON would cut strings at \u0000. */
		take_tagged(s, task, span, n, r->child == NULL);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(r, "runId");
	cJSON_DeleteItemFromObjectCaseSensitive(r, "seq");
	s->ship_seq++;
	if (cJSON_AddStringToObject(r, "runId", s->ship_run) == NULL ||
	    cJSON_AddNumberToObject(r, "seq", (double)s->ship_seq) == NULL ||
	    (text = cJSON_PrintUnformatted(r)) == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	emit(s, task, s->ship_run, s->ship_seq, text, strlen(text));
	cJSON_free(text);
}

static const char *
wrap_task(const struct ship *s)
{
	if (s->o->task_id != NULL)
		return s->o->task_id;
	return s->last_task[0] ? s->last_task : NULL;
}

/* A record made by us (wrapped line, gap), without runId and seq. */
static void
take_made(struct ship *s, struct kr_buf *b)
{
	const char *task = wrap_task(s);

	if (task == NULL) {
		reject_text(s, b->s, b->len);
		s->n_read++;
		s->n_rejected++;
		if (kr_ratelimit_ok(&rl_bad))
			kr_warn("record %llu has no taskId and no --task-id "
			    "was given: set aside in '%s/%s'", s->n_read,
			    s->o->spool, "rejected.ndjson");
		return;
	}
	take_tagged(s, task, b->s, b->len, 0);
}

static void
take_wrapped(struct ship *s, const char *line, size_t n)
{
	struct kr_buf b = KR_BUF_INIT(4 * (size_t)KR_REC_MAX);

	if (kr_rec_wrap(&b, line, n, wrap_task(s)) == -1)
		kr_diesys(KR_EX_TEMP, "unable to wrap a line");
	if (kr_ratelimit_ok(&rl_bad))
		kr_warn("input record %llu is not a JSON record (%zu bytes): "
		    "sent as text", s->n_read + 1, n);
	take_made(s, &b);
	kr_buf_free(&b);
}

/*
 * Whether an id is one by kr_id's rule. The ids of a run's records are
 * most often the last ones checked (known): the same bytes are not
 * checked again.
 */
static int
id_checked(const char *known, const char *id, size_t n)
{
	if (n > 0 && n <= SHIP_ID_MAX && known[n] == '\0' &&
	    memcmp(known, id, n) == 0)
		return 1;
	return kr_id_valid(id, n);
}

/*
 * The common line, seen by ship_scan_line: records whose runId and seq
 * can be used as they are, or that have neither. 1 when it was taken,
 * 0 when the full parser must decide (nothing was done then).
 */
static int
take_quick(struct ship *s, const char *line, size_t n)
{
	const char *task = s->o->task_id;
	char run[SHIP_ID_MAX + 1];
	struct ship_srec *r;
	size_t i, k;
	int cnt;

	if ((cnt = ship_scan_line(line, n, &s->scan)) < 0)
		return 0;
	k = (size_t)cnt;
	for (i = 0; i < k; i++) {
		r = &s->scan.r[i];
		if (task == NULL && (!r->has_task || r->task_odd ||
		    !id_checked(s->last_task, r->task, r->tasklen)))
			return 0;
		if (r->has_run != r->has_seq || (r->has_run &&
		    (!id_checked(s->last_run, r->run, r->runlen) ||
		    r->seq < 1 || (double)r->seq > SHIP_SEQ_MAX)))
			return 0;
		if (r->has_run) {
			memcpy(s->last_run, r->run, r->runlen);
			s->last_run[r->runlen] = '\0';
		}
	}
	for (i = 0; i < k; i++) {
		r = &s->scan.r[i];
		if (s->o->task_id == NULL) {
			memcpy(s->last_task, r->task, r->tasklen);
			s->last_task[r->tasklen] = '\0';
			task = s->last_task;
		}
		if (!r->has_run) {
			take_tagged(s, task, r->p, r->n, r->empty);
			continue;
		}
		memcpy(run, r->run, r->runlen);
		run[r->runlen] = '\0';
		emit(s, task, run, r->seq, r->p, r->n);
	}
	return 1;
}

static void
take_line(struct ship *s, const char *line, size_t n)
{
	const char *sp0[64], **sp = sp0, *end = NULL;
	size_t sl0[64], *sl = sl0, i, k, cnt;
	cJSON *j = NULL, *e;
	int plain = 1;

	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
	    line[n - 1] == '\r'))
		n--;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	if (n == 0 || take_quick(s, line, n))
		return;
	/* JSON and nothing after it: text after a value is not ignored. */
	if (kr_utf8_valid(line, n) != n || memchr(line, '\0', n) != NULL ||
	    (j = cJSON_ParseWithLengthOpts(line, n, &end, 0)) == NULL ||
	    end != line + n) {
		cJSON_Delete(j);
		take_wrapped(s, line, n);
		return;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20) {
			plain = 0;	/* raw control bytes: print afresh */
			break;
		}
	if (plain && !ship_json_strict(line, n)) {
		/* Sent as it is, it would be refused. */
		cJSON_Delete(j);
		take_wrapped(s, line, n);
		return;
	}
	if (cJSON_IsObject(j)) {
		take_record(s, j, plain ? line : NULL, n);
	} else if (cJSON_IsArray(j)) {
		cnt = (size_t)cJSON_GetArraySize(j);
		if (plain && cnt > 64 && ((sp = malloc(cnt * sizeof *sp)) ==
		    NULL || (sl = malloc(cnt * sizeof *sl)) == NULL))
			kr_die(KR_EX_TEMP, "out of memory");
		k = plain ? ship_split_array(line, n, sp, sl, cnt) : 0;
		if (k != cnt)
			plain = 0;
		i = 0;
		cJSON_ArrayForEach(e, j) {
			if (cJSON_IsObject(e)) {
				take_record(s, e, plain ? sp[i] : NULL,
				    plain ? sl[i] : 0);
			} else {
				char *t = cJSON_PrintUnformatted(e);

				if (t == NULL)
					kr_die(KR_EX_TEMP, "out of memory");
				take_wrapped(s, t, strlen(t));
				cJSON_free(t);
			}
			i++;
		}
		if (sp != sp0) {
			free(sp);
			free(sl);
		}
	} else {
		take_wrapped(s, line, n);
	}
	cJSON_Delete(j);
}

static void
take_oversize(struct ship *s, size_t len)
{
	struct kr_buf b = KR_BUF_INIT(4096);

	kr_warn("input line %llu is longer than %u bytes (%zu): dropped, "
	    "a gap record says so", s->n_read + 1, KR_REC_MAX, len);
	if (kr_rec_gap(&b, wrap_task(s), NULL, 1, "size", 0, 0) == -1)
		kr_diesys(KR_EX_TEMP, "unable to make a gap record");
	take_made(s, &b);
	kr_buf_free(&b);
}

static void
drain_lines(struct ship *s)
{
	const char *line;
	size_t len;

	for (;;) {
		switch (kr_lr_next(&s->lr, &line, &len)) {
		case KR_LR_LINE:
		case KR_LR_LAST:
			take_line(s, line, len);
			break;
		case KR_LR_OVERSIZE:
			take_oversize(s, len);
			break;
		default:
			flush_out(s);
			return;
		}
	}
}

int
ship_ingest(struct ship *s)
{
	ssize_t r;

	if (s->eof)
		return 0;
	r = kr_lr_fill(&s->lr);
	if (r == -1) {
		if (errno == EAGAIN)
			return -1;
		kr_warnsys("unable to read stdin");
		s->lr.eof = 1;
	}
	drain_lines(s);
	if (s->lr.eof)
		s->eof = 1;
	return s->eof ? 0 : 1;
}

void
ship_ingest_end(struct ship *s)
{
	if (s->eof)
		return;
	s->lr.eof = 1;
	drain_lines(s);
	s->eof = 1;
}

int
ship_spool_full(const struct ship *s)
{
	return s->disk_full || s->spool_bytes >= s->o->spool_max;
}

static void drop_acked(struct ship *s);

void
ship_spool_retry(struct ship *s)
{
	if (s->disk_full) {
		/* Acked before the full disk began a new segment: free it. */
		drop_acked(s);
	}
	ship_ack_save(s, 0);
	if (!s->disk_full)
		return;
	flush_out(s);
	if (s->disk_full && s->spool_bytes == 0 && s->aseg == s->wseg &&
	    s->head == NULL) {
		/* Nothing of ours on the disk: no ack can make room. */
		kr_warn("spool '%s': the disk is full and holds nothing of "
		    "ours to free: giving up", s->o->spool);
		s->dead = 1;
		s->eof = 1;
	}
}

static unsigned long long
run_acked(struct ship *s, const char *id)
{
	size_t i;

	for (i = s->nruns; i-- > 0;)
		if (strcmp(s->runs[i].id, id) == 0)
			return s->runs[i].acked;
	return 0;
}

static int
frame_acked(struct ship *s, const struct ship_frame *f)
{
	size_t i;

	for (i = 0; i < f->nruns; i++)
		if (run_acked(s, f->runs[i].id) < f->runs[i].max)
			return 0;
	return 1;
}

static void
frame_free(struct ship_frame *f)
{
	kr_buf_free(&f->raw);
	free(f->body);
	free(f->runs);
	free(f->rej);
	free(f);
}

/* The index-th record of a frame: its text, without the newline. */
static int
frame_line(const struct ship_frame *f, size_t index, const char **p,
    size_t *n)
{
	const char *q = f->raw.s, *e = f->raw.s + f->raw.len, *nl;

	for (;;) {
		if (q >= e || (nl = memchr(q, '\n', (size_t)(e - q))) == NULL)
			return -1;
		if (index-- == 0)
			break;
		q = nl + 1;
	}
	*p = q;
	*n = (size_t)(nl - q);
	return 0;
}

static int
rej_cmp(const void *a, const void *b)
{
	const struct ship_rej *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * A frame is stored, but for the records the server refused alone: they
 * go to the rejected file, each warned about once.
 */
static void
frame_set_aside(struct ship *s, struct ship_frame *f)
{
	const char *p;
	size_t i, n;

	qsort(f->rej, f->nrej, sizeof *f->rej, rej_cmp);
	for (i = 0; i < f->nrej; i++) {
		const struct ship_rej *r = &f->rej[i];

		if (frame_line(f, r->idx, &p, &n) == -1)
			kr_die(KR_EX_BUG, "a refused record is not in its frame");
		reject_text(s, p, n + 1);
		if (kr_ratelimit_ok(&rl_rej))
			kr_warn("task '%s': the server refused record %llu of "
			    "run '%s' for good (%s): set aside in "
			    "'%s/rejected.ndjson'", f->task, r->seq, r->run,
			    r->why, s->o->spool);
	}
}

/* The server answered for the whole frame: acked, but what it refused. */
static void
frame_done(struct ship *s, struct ship_frame *f)
{
	if (f->done)
		return;
	f->done = 1;
	if (f->nrej > 0)
		frame_set_aside(s, f);
	s->n_acked += f->nrec - f->nrej;
	s->n_rejected += f->nrej;
}

/* Deletes segment n, wholly acked. */
static void
seg_drop(struct ship *s, unsigned long long n)
{
	char p[4096];

	if (s->rfd != -1 && s->rseg == n) {
		/* Open, its blocks would stay taken. */
		close(s->rfd);
		s->rfd = -1;
	}
	seg_path(s, n, p, sizeof p);
	(void)unlink(p);
}

/*
 * A segment acked to its end goes now, not with the next frame: the
 * disk may be waiting for its room.
 */
static void
drop_acked(struct ship *s)
{
	off_t size;

	while (s->aseg < s->wseg && (size = seg_size(s, s->aseg)) != -1 &&
	    s->aoff >= size) {
		seg_drop(s, s->aseg++);
		s->aoff = 0;
		s->ack_dirty = 1;
	}
}

/* Pops the done frames at the head: the acked position moves on. */
static void
pop_done(struct ship *s)
{
	struct ship_frame *f;
	unsigned long long n;

	while ((f = s->head) != NULL && f->done) {
		s->head = f->next;
		if (s->head == NULL)
			s->tail = NULL;
		s->nframes--;
		s->wbytes -= f->wb;
		s->n_pending -= f->nrec;
		s->spool_bytes -= (unsigned long long)(f->end - f->start);
		for (n = s->aseg; n < f->seg; n++)
			seg_drop(s, n);
		s->aseg = f->seg;
		s->aoff = f->end;
		s->ack_dirty = 1;
		frame_free(f);
	}
	drop_acked(s);
	ship_ack_save(s, 0);
	if (s->disk_full)
		flush_out(s);
}

/*
 * Reads the spool line at the cursor into rbuf (grown as needed). 1 with
 * the line, 0 when the spool has nothing more yet.
 */
static int
cursor_avail(struct ship *s, off_t *size)
{
	for (;;) {
		if ((*size = seg_size(s, s->cseg)) == -1) {
			if (s->cseg >= s->wseg)
				return 0;
			s->cseg++;
			s->coff = 0;
			continue;
		}
		if (s->coff < *size)
			return 1;
		if (s->cseg >= s->wseg)
			return 0;
		s->cseg++;
		s->coff = 0;
	}
}

static void
add_run(struct ship_frame *f, const char *id, size_t n,
    unsigned long long seq)
{
	size_t i;

	for (i = 0; i < f->nruns; i++) {
		if (f->runs[i].id[n] == '\0' &&
		    memcmp(f->runs[i].id, id, n) == 0) {
			if (seq > f->runs[i].max)
				f->runs[i].max = seq;
			return;
		}
	}
	f->runs = realloc(f->runs, (f->nruns + 1) * sizeof *f->runs);
	if (f->runs == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	/* Zeroed past its end: an id is compared without strlen. */
	memset(f->runs[f->nruns].id, 0, sizeof f->runs[f->nruns].id);
	memcpy(f->runs[f->nruns].id, id, n);
	f->runs[f->nruns++].max = seq;
}

/*
 * The spool from the cursor, in s->rp and s->rlen: the last write's bytes,
 * still in memory, when the cursor is in them (when keruta-ship keeps up,
 * it reads back nothing); else rbuf, a window on the segment topped up to
 * frame_bytes from the cursor (more when one line is longer). What a frame
 * did not take stays in the window for the next one: no byte is read
 * twice.
 */
static void
frame_read(struct ship *s, off_t size)
{
	off_t at = s->coff;
	size_t skip;
	ssize_t r;

	if (s->cseg == s->recent_seg && at >= s->recent_off &&
	    at < s->recent_off + (off_t)s->recent.len) {
		s->rp = s->recent.s + (at - s->recent_off);
		s->rlen = s->recent.len - (size_t)(at - s->recent_off);
		if ((off_t)s->rlen > size - at)		/* cannot be */
			s->rlen = (size_t)(size - at);
		return;
	}
	if (open_rseg(s, s->cseg) == -1)
		spool_die(s, "open a segment");
	if (s->rb_seg != s->cseg || at < s->rb_off ||
	    at > s->rb_off + (off_t)s->rbuf.len) {
		s->rbuf.len = 0;
		s->rb_seg = s->cseg;
		s->rb_off = at;
	}
	skip = (size_t)(at - s->rb_off);
	for (;;) {
		size_t have = s->rbuf.len - skip, want = s->o->frame_bytes;
		off_t end;

		if (have >= want) {
			if (memchr(s->rbuf.s + skip, '\n', have) != NULL)
				break;
		} else
			want -= have;
		end = s->rb_off + (off_t)s->rbuf.len;
		if ((off_t)want > size - end)
			want = (size_t)(size - end);
		if (want == 0)
			break;
		if (skip > 0 && s->rbuf.len + want >= s->rbuf.cap) {
			/* What the last frames left goes to the front, when
			 * there is no room after it: every other frame or so,
			 * rather than every one. */
			kr_buf_consume(&s->rbuf, skip);
			s->rb_off += (off_t)skip;
			skip = 0;
		}
		if (kr_buf_reserve(&s->rbuf, want) == -1)
			kr_diesys(KR_EX_BUG, "a spool line is too long");
		if ((r = pread(s->rfd, s->rbuf.s + s->rbuf.len, want, end)) <= 0)
			spool_die(s, "read a segment");
		s->rbuf.len += (size_t)r;
	}
	s->rp = s->rbuf.s + skip;
	s->rlen = s->rbuf.len - skip;
}

/* A spool line's seq: 1 to 2^53 - 1 in decimal, as emit() writes it;
 * 0 when it is not one. */
static unsigned long long
seq_valid(const char *p, size_t n)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 16 || *p == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long long)(p[i] - '0');
	}
	return (double)v <= SHIP_SEQ_MAX ? v : 0;
}

static struct ship_run *run_get(struct ship *s, const char *run,
    size_t runlen);

/*
 * Takes the spool lines read (s->rp) into f, while they are of one task and
 * fit, and in order (a line whose seq is not above those read before of
 * its run goes alone): where the lines taken end.
 */
static const char *
frame_fill(struct ship *s, struct ship_frame *f, size_t maxrec)
{
	const char *p = s->rp, *e = s->rp + s->rlen, *nl;
	/* Lines this run wrote were checked as they came in; a spool
	 * left by an earlier run may hold damage anywhere. */
	int old = s->cseg < s->tseg;
	off_t mine = s->cseg == s->tseg && s->toff > s->coff ?
	    s->toff - s->coff : 0;	/* where this run's lines begin */

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		const char *t1, *t2, *t3;
		unsigned long long seq;
		struct ship_run *r;
		int checked;

		t1 = memchr(p, '\t', (size_t)(nl - p));
		t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		t3 = t2 ? memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1)) : NULL;
		/* What emit() wrote, or damage: only whole records go. The
		 * ids of this run's lines were checked as they came in: only
		 * their lengths are, for the arrays they are copied to. */
		checked = !old && p - s->rp >= mine;
		if (t3 == NULL || (checked ? t1 - p > SHIP_ID_MAX ||
		    t2 - t1 - 1 > SHIP_ID_MAX :
		    !kr_id_valid(p, (size_t)(t1 - p)) ||
		    !kr_id_valid(t1 + 1, (size_t)(t2 - t1 - 1))) ||
		    (seq = seq_valid(t2 + 1, (size_t)(t3 - t2 - 1))) == 0 ||
		    t3[1] != '{' || (!checked &&
		    !ship_json_strict(t3 + 1, (size_t)(nl - t3 - 1)))) {
			/* Not ours: counted as pending, so it must go. */
			if (f->nrec > 0)
				break;
			kr_warn("spool '%s': skipping a damaged line",
			    s->o->spool);
			f->nrec = 1;
			p = nl + 1;
			continue;
		}
		/* f->task is zeroed past its end (calloc). */
		if (f->nrec > 0 && (f->task[t1 - p] != '\0' ||
		    memcmp(f->task, p, (size_t)(t1 - p)) != 0))
			break;
		if (f->nrec >= maxrec || (f->nrec > 0 && f->raw.len +
		    (size_t)(nl - t3) > s->o->frame_bytes))
			break;
		r = run_get(s, t1 + 1, (size_t)(t2 - t1 - 1));
		if (r != NULL && seq <= r->read) {
			/* Out of order: alone in a frame of its own. */
			if (f->nrec > 0)
				break;
			f->unordered = 1;
		} else if (r != NULL)
			r->read = seq;
		if (f->nrec == 0) {
			memcpy(f->task, p, (size_t)(t1 - p));
			f->task[t1 - p] = '\0';
		}
		add_run(f, t1 + 1, (size_t)(t2 - t1 - 1), seq);
		if (kr_buf_add(&f->raw, t3 + 1, (size_t)(nl - t3)) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
		f->nrec++;
		p = nl + 1;
		if (f->unordered)
			break;
	}
	return p;
}

struct ship_frame *
ship_frame_next(struct ship *s)
{
	struct ship_frame *f;
	size_t maxrec;
	off_t size;
	const char *p;

	if (s->nframes >= s->o->window_frames ||
	    s->wbytes >= s->o->window_bytes)
		return NULL;
again:
	if (!cursor_avail(s, &size))
		return NULL;
	maxrec = pos_lt(s->cseg, s->coff, s->sseg, s->send) ? 1 :
	    s->o->frame_recs;
	frame_read(s, size);
	if ((f = calloc(1, sizeof *f)) == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	kr_buf_init(&f->raw, KR_REC_MAX + s->o->frame_bytes);
	/* At its size at once: grown by doubling, the frame was copied
	 * about once more on the way. */
	if (kr_buf_reserve(&f->raw, s->rlen < s->o->frame_bytes ? s->rlen :
	    s->o->frame_bytes) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	f->seg = s->cseg;
	f->start = s->coff;
	if ((p = frame_fill(s, f, maxrec)) == s->rp) {
		frame_free(f);
		if (s->cseg < s->wseg) {
			/* A finished segment ends in a torn line: damage. */
			kr_warn("spool '%s': skipping a torn line at the end "
			    "of segment %llu", s->o->spool, s->cseg);
			s->cseg++;
			s->coff = 0;
			goto again;
		}
		/* A line without its end: wait for the writer. */
		return NULL;
	}
	f->end = f->start + (off_t)(p - s->rp);
	s->cseg = f->seg;
	s->coff = f->end;
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	s->nframes++;
	if (f->raw.len == 0 || (f->nruns > 0 && !f->unordered &&
	    frame_acked(s, f))) {
		/* Damaged, or known to be stored already (resume). */
		f->done = 1;
		if (f->raw.len > 0)
			s->n_acked += f->nrec;
		pop_done(s);
		goto again;
	}
	ship_form_body(s->o->form, f);
	f->wb = f->raw.len + f->len;
	s->wbytes += f->wb;
	return f;
}

struct ship_frame *
ship_frame_unsent(struct ship *s)
{
	struct ship_frame *f;

	for (f = s->head; f != NULL; f = f->next)
		if (!f->sent && !f->done)
			return f;
	return NULL;
}

/* The run of that id, made when new; NULL when the id cannot be one. */
static struct ship_run *
run_get(struct ship *s, const char *run, size_t runlen)
{
	size_t i;

	if (runlen == 0 || runlen > SHIP_ID_MAX)
		return NULL;
	for (i = s->nruns; i-- > 0;)
		if (s->runs[i].id[runlen] == '\0' &&
		    memcmp(s->runs[i].id, run, runlen) == 0)
			return &s->runs[i];
	if (s->nruns == SHIP_RUNS_MAX) {
		/* Forget the oldest half: at worst, resends. */
		memmove(s->runs, s->runs + SHIP_RUNS_MAX / 2,
		    SHIP_RUNS_MAX / 2 * sizeof *s->runs);
		s->nruns = SHIP_RUNS_MAX / 2;
	}
	if (s->nruns == 0 || (s->nruns & (s->nruns - 1)) == 0) {
		size_t cap = s->nruns ? s->nruns * 2 : 4;
		struct ship_run *nr = realloc(s->runs, cap * sizeof *nr);

		if (nr == NULL)
			kr_die(KR_EX_TEMP, "out of memory");
		s->runs = nr;
	}
	i = s->nruns++;
	/* Zeroed past its end: an id is compared without strlen. */
	memset(s->runs[i].id, 0, sizeof s->runs[i].id);
	memcpy(s->runs[i].id, run, runlen);
	s->runs[i].acked = 0;
	s->runs[i].read = 0;
	return &s->runs[i];
}

void
ship_ack(struct ship *s, const char *run, size_t runlen,
    unsigned long long seq)
{
	struct ship_frame *f;
	struct ship_run *r;

	if ((r = run_get(s, run, runlen)) == NULL)
		return;
	/* A record sent out of order: done by its own ack (the server acks
	 * the highest seq of each run in a frame). */
	for (f = s->head; f != NULL; f = f->next)
		if (f->unordered && f->sent && !f->done &&
		    f->runs[0].max == seq && strcmp(f->runs[0].id, r->id) == 0)
			frame_done(s, f);
	if (seq > r->acked) {
		r->acked = seq;
		for (f = s->head; f != NULL; f = f->next)
			if (!f->done && !f->unordered && frame_acked(s, f))
				frame_done(s, f);
	}
	pop_done(s);
}

/* Does the index-th record of f have this runId and seq? */
static int
frame_holds(const struct ship_frame *f, size_t index, const char *run,
    unsigned long long seq, struct ship_rej *r)
{
	const char *p, *id;
	const cJSON *sq;
	size_t i, n;
	cJSON *j;
	int ok;

	if (index >= f->nrec || frame_line(f, index, &p, &n) == -1)
		return 0;
	for (i = 0; i < f->nrej; i++)
		if (f->rej[i].idx == index)
			return 0;	/* refused already */
	if ((j = kr_rec_parse(p, n)) == NULL)
		return 0;
	id = kr_rec_get_str(j, "runId");
	sq = cJSON_GetObjectItemCaseSensitive(j, "seq");
	ok = id != NULL && strlen(id) <= SHIP_ID_MAX && cJSON_IsNumber(sq) &&
	    sq->valuedouble >= 0 && (run == NULL || strcmp(id, run) == 0) &&
	    (seq == 0 || (double)seq == sq->valuedouble);
	if (ok) {
		r->idx = index;
		r->seq = (unsigned long long)sq->valuedouble;
		memcpy(r->run, id, strlen(id) + 1);
	}
	cJSON_Delete(j);
	return ok;
}

int
ship_refused(struct ship *s, const char *run, unsigned long long seq,
    size_t index, const char *why)
{
	struct ship_frame *f;
	struct ship_rej r, *nr;

	/*
	 * The server answers messages in order, a message's refusals
	 * before its acks: the first frame sent and not yet acked that
	 * holds such a record at that place is the one.
	 */
	memset(&r, 0, sizeof r);
	for (f = s->head; f != NULL; f = f->next)
		if (f->sent && !f->done && frame_holds(f, index, run, seq, &r))
			break;
	/* A seq the server read otherwise (2^53 and more, say). */
	for (f = f ? f : s->head; f != NULL; f = f->next)
		if (f->sent && !f->done && frame_holds(f, index, run, 0, &r))
			break;
	if (f == NULL)
		return -1;
	snprintf(r.why, sizeof r.why, "%s", why);
	if ((nr = realloc(f->rej, (f->nrej + 1) * sizeof *nr)) == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	f->rej = nr;
	f->rej[f->nrej++] = r;
	return 0;
}

void
ship_frame_ok(struct ship *s, struct ship_frame *f)
{
	frame_done(s, f);
	pop_done(s);
}

void
ship_frame_reject(struct ship *s, struct ship_frame *f, int status)
{
	if (f->done)
		return;
	reject_text(s, f->raw.s, f->raw.len);
	if (kr_ratelimit_ok(&rl_rej)) {
		if (f->nrec == 1 && f->nruns == 1)
			kr_warn("task '%s': the server refused record %llu of "
			    "run '%s' for good (HTTP %d): set aside in "
			    "'%s/rejected.ndjson'", f->task, f->runs[0].max,
			    f->runs[0].id, status, s->o->spool);
		else
			kr_warn("task '%s': the server refused %zu records for "
			    "good (HTTP %d): set aside in '%s/rejected.ndjson'",
			    f->task, f->nrec, status, s->o->spool);
	}
	f->done = 1;
	s->n_rejected += f->nrec;
	pop_done(s);
}

/*
 * Back to the acked position: every frame is read again from the spool.
 * A frame done behind one still in flight (a damaged line skipped, a
 * frame the server had stored already, an ack out of order) is not
 * popped yet: it is read again too, and counted again then, so what it
 * counted is taken back.
 */
void
ship_rewind(struct ship *s)
{
	struct ship_frame *f;
	size_t i;

	while ((f = s->head) != NULL) {
		s->head = f->next;
		if (f->done && f->raw.len > 0) {
			s->n_acked -= f->nrec - f->nrej;
			s->n_rejected -= f->nrej;
		}
		frame_free(f);
	}
	s->tail = NULL;
	s->nframes = 0;
	s->wbytes = 0;
	s->cseg = s->aseg;
	s->coff = s->aoff;
	/* Read again from there, in the order the spool has. */
	for (i = 0; i < s->nruns; i++)
		s->runs[i].read = 0;
}

void
ship_ack_save(struct ship *s, int now)
{
	char buf[64];
	long long t;
	int n;

	if (!s->ack_dirty)
		return;
	t = kr_mono_ns();
	if (!now && t - s->ack_saved_ns < SHIP_ACK_EVERY_NS)
		return;
	/* Fixed width: one pwrite replaces the old position whole. */
	n = snprintf(buf, sizeof buf, "%020llu %020llu\n", s->aseg,
	    (unsigned long long)s->aoff);
	if (pwrite(s->ackfd, buf, (size_t)n, 0) != n)
		spool_die(s, "write the acked position");
	s->ack_dirty = 0;
	s->ack_saved_ns = t;
}

int
ship_finished(const struct ship *s)
{
	return s->eof && s->n_pending == 0;
}
