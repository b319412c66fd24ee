/* ship.h: keruta-ship internals shared by its files. */
#ifndef SHIP_H
#define SHIP_H

#include <stddef.h>
#include <sys/types.h>

#include "kr_buf.h"
#include "kr_id.h"
#include "kr_lr.h"

/* What a frame's body is on the wire (ship_form.c). */
enum ship_form { SHIP_FORM_ARRAY, SHIP_FORM_NDJSON, SHIP_FORM_API };

struct ship;

/*
 * A transport: one protocol, as -p names it. run() delivers what the
 * spool gives until it is finished, delivery is given up (s->dead) or
 * the drain timeout has passed; it calls into the spool and ship_pace.c
 * only, never into main.
 */
struct ship_transport {
	const char *name;
	int ws;				/* ws:// URLs; else http:// */
	enum ship_form form;
	size_t frame_recs;		/* records per frame at most */
	size_t window_frames;		/* frames in flight */
	void (*run)(struct ship *s);
};

extern const struct ship_transport ship_ws, ship_rest, ship_api;

/* Task and run ids: kr_id's rule, at most this long. */
#define SHIP_ID_MAX KR_ID_MAX

/* Every option, as given and then as settled (ship_main.c). */
struct ship_opts {
	/* as given */
	const char *config, *proto_name, *token_arg, *token_file;
	const char *api_key_arg, *summary;
	long long summary_fd, drain_arg, timeout_arg, reconnect_arg;
	long long retry_arg;
	int check, verbose, quiet;
	/* as settled */
	const struct ship_transport *t;
	enum ship_form form;
	const char *url;	/* the server in use: base URL, no task part */
	char **urls;		/* every server given, tried in turn */
	size_t nurls, url_at;	/* how many; which is o->url */
	int tls_any;		/* one of them is wss or https */
	const char *task_id;	/* NULL: from each record */
	char *token;		/* Bearer token, wiped at exit */
	char *api_key;		/* X-API-Key, wiped at exit */
	const char *cacert;
	int insecure;
	char *spool;		/* the spool directory */
	int spool_default;	/* made up by us: removed when empty */
	long long drain_ms;	/* wait for acks after EOF */
	long long timeout_ms;	/* one request, or ack silence on ws */
	long long reconnect_ms;	/* backoff cap */
	int retry_count;	/* tries for permanent-looking errors */
	size_t spool_max;	/* stop reading stdin past this many bytes */
	size_t seg_max;		/* rotate spool segments at this size */
	size_t frame_recs;	/* records per frame or POST */
	size_t frame_bytes;
	size_t window_frames;	/* frames in flight */
	size_t window_bytes;
};
#define SHIP_OPTS_INIT { .summary_fd = -1, .drain_arg = -1, \
	.timeout_arg = -1, .reconnect_arg = -1, .retry_arg = -1, \
	.spool_max = 1u << 30 }

/* What a frame holds of one run: its highest seq. */
struct ship_frun {
	char id[SHIP_ID_MAX + 1];
	unsigned long long max;
};

/* A record of a frame that the server refused alone (ws INVALID_RECORD). */
struct ship_rej {
	size_t idx;			/* its place in the frame, from 0 */
	unsigned long long seq;
	char run[SHIP_ID_MAX + 1];
	char why[32];			/* the server's reason code */
};

/*
 * A frame: consecutive spooled records of one task, sent as one ws
 * message or one POST, from spool position (seg, start) to (seg, end).
 */
struct ship_frame {
	struct ship_frame *next;
	unsigned long long seg;
	off_t start, end;
	size_t nrec;
	char task[SHIP_ID_MAX + 1];
	struct ship_frun *runs;
	size_t nruns;
	struct kr_buf raw;	/* the records, one JSON text a line */
	char *body;		/* the wire form; NULL: made from raw */
	size_t len;		/* its length */
	size_t wb;		/* bytes counted in the window */
	struct ship_rej *rej;	/* refused records, set aside once done */
	size_t nrej;
	int sent, done;
	/* One record whose seq is not above one read before in its run (a
	 * damaged spool written again after a full disk, input out of
	 * order): a run's acks, which say "all up to N", say nothing of
	 * it. It is sent, whatever the acks, and done by its own ack. */
	int unordered;
};

/* What the quick look at a line found of one record (ship_scan.c). */
struct ship_srec {
	const char *p;			/* the record's text */
	size_t n;
	const char *task, *run;		/* field values, when there */
	size_t tasklen, runlen;
	unsigned long long seq;
	int has_task, has_run, has_seq;
	int task_odd;			/* taskId not a plain string */
	int empty;			/* {} */
};

struct ship_scan {
	struct ship_srec *r;
	size_t n, cap;
};

/* The acked seq of a run, from acks and resume answers. */
struct ship_run {
	char id[SHIP_ID_MAX + 1];
	unsigned long long acked;
	unsigned long long read;	/* the highest seq read from the spool
					 * since the last rewind */
};

struct ship {
	struct ship_opts *o;
	/* spool */
	int lockfd, wfd, rfd, rejfd, ackfd;
	int pfd;		/* the full segment before wfd's; -1 when synced */
	unsigned long long wseg, rseg;	/* segment written; open in rfd */
	off_t rsize;			/* rfd's size once asked; -1 */
	off_t wsize;
	/* From (tseg, toff) on, the lines this run wrote, checked then. */
	unsigned long long tseg;
	off_t toff;
	unsigned long long aseg, cseg;	/* acked up to; next frame from */
	off_t aoff, coff;
	unsigned long long sseg;	/* one record a frame until (sseg, send) */
	off_t send;
	int ack_dirty;
	int disk_full;			/* s->out waits for room on disk */
	long long ack_saved_ns;
	struct kr_buf out;		/* spool lines not yet written */
	struct kr_buf rbuf;		/* frame reading: a window on */
	unsigned long long rb_seg;	/* this segment, */
	off_t rb_off;			/* from this offset */
	struct kr_buf recent;		/* the last write, whole */
	unsigned long long recent_seg;	/* where it went */
	off_t recent_off;
	const char *rp;			/* what frame_read read: in rbuf */
	size_t rlen;			/* or in recent */
	unsigned long long spool_bytes;	/* not yet acked, on disk */
	/* stdin */
	struct kr_lr lr;
	struct ship_scan scan;
	int eof;
	char last_task[SHIP_ID_MAX + 1];
	char last_run[SHIP_ID_MAX + 1];	/* the last runId checked */
	char ship_run[33];		/* runId for records without one */
	unsigned long long ship_seq;
	/* in flight */
	struct ship_frame *head, *tail;
	size_t nframes, wbytes;
	struct ship_run *runs;
	size_t nruns;
	/* counts */
	unsigned long long n_read, n_acked, n_pending, n_rejected, n_resumed;
	int dead;			/* delivery given up */
	long long drain_at;		/* deadline after EOF, ns; 0: none */
};

/* ship_spool.c: the bottom layer; calls ship_scan.c and ship_form.c. */
void ship_spool_open(struct ship *s);
void ship_spool_close(struct ship *s);
/*
 * One read from stdin; its complete lines go to the spool. 1 when bytes
 * came, 0 at EOF (s->eof set), -1 when nothing was ready.
 */
int ship_ingest(struct ship *s);
/* Stops reading: what is buffered is spooled, s->eof set. */
void ship_ingest_end(struct ship *s);
/* 1 when stdin must wait: the spool is at its limit, or the disk full. */
int ship_spool_full(const struct ship *s);
/*
 * Now and then: saves the acked position, and writes what waits for room
 * on a full disk; gives up (s->dead) when the spool holds nothing whose
 * ack could make room.
 */
void ship_spool_retry(struct ship *s);
/* The next frame to send, put in the window; NULL when none or full. */
struct ship_frame *ship_frame_next(struct ship *s);
/* The first frame of the window not yet sent, or NULL. */
struct ship_frame *ship_frame_unsent(struct ship *s);
/* A cumulative ack for a run: pops the frames it completes. */
void ship_ack(struct ship *s, const char *run, size_t runlen,
    unsigned long long seq);
/*
 * The server refused one record of a sent frame (ws INVALID_RECORD): the
 * index-th record of the message, with that runId (NULL: unknown) and seq
 * (0: unknown). It is set aside once the ack that covers it comes. -1
 * when no frame in flight holds such a record.
 */
int ship_refused(struct ship *s, const char *run, unsigned long long seq,
    size_t index, const char *why);
/* The frame (at the head of the window) was stored, or rejected. */
void ship_frame_ok(struct ship *s, struct ship_frame *f);
void ship_frame_reject(struct ship *s, struct ship_frame *f, int status);
/* Sends again what is not acked: the window is dropped. */
void ship_rewind(struct ship *s);
/* Writes the acked position now, or when last saved long enough ago. */
void ship_ack_save(struct ship *s, int now);
/* 1 when stdin is done and nothing is left to deliver. */
int ship_finished(const struct ship *s);

/* ship_scan.c: beneath the spool. */
/*
 * Checks a line (trimmed) that should be a record or a JSON array of
 * records, and finds their spans and taskId, runId and seq: the number
 * of records, or -1 when the line is anything else and needs the full
 * parser (not JSON, control bytes, escapes in those fields, ...).
 */
int ship_scan_line(const char *line, size_t n, struct ship_scan *sc);
/*
 * 1 when a line is a record, or a batch of them, as keruta(7) has it:
 * JSON as RFC 8259 has it, in UTF-8, with only spaces as white space,
 * nested at most KR_JR_DEPTH deep (a batch's array aside). The full
 * parser is more lenient (numbers like 01 or 1., a byte order mark in
 * front, deeper nesting), and the server is not: such a line is sent as
 * text.
 */
int ship_json_strict(const char *line, size_t n);
/*
 * The spans of the elements of the array that a line passed by
 * ship_json_strict is: their count, at most max; max + 1 when there are
 * more, or when one is neither an object nor an array.
 */
size_t ship_split_array(const char *line, size_t n, const char **sp,
    size_t *sl, size_t max);

/* ship_form.c: beneath the spool. */
/* The keruta API form of one record; -1 if it is not a JSON object. */
int ship_api_body(struct kr_buf *out, const char *json, size_t n);
/*
 * Makes f->body and f->len from f->raw. In the NDJSON form the body is
 * raw itself, and in the array form it is made as it is sent (body NULL).
 */
void ship_form_body(enum ship_form form, struct ship_frame *f);
/*
 * The array form of f's records (f->len bytes) into out, masked with key
 * as a WebSocket client masks what it sends (RFC 6455 5.3): in one pass
 * over the records, which a copy, a pass for the commas and one to mask
 * took before. A key of zeros gives the array as it is.
 */
void ship_form_masked(char *out, const struct ship_frame *f,
    const unsigned char key[4]);

/* ship_pace.c: beneath the transports, beside the spool. */
/* Handlers for SIGTERM, SIGINT, SIGHUP; SIGPIPE and SIGXFSZ ignored. */
void ship_signals_init(void);
/* A first signal ends the input; a second gives up (s->dead). */
void ship_check_signals(struct ship *s);
/* The wait before try n + 1, with jitter, capped by --reconnect-interval. */
long long ship_backoff_ms(const struct ship_opts *o, int n);
/*
 * Delivery to the server in use (shown: its endpoint, masked) failed for
 * why, and is tried again in ms: the next server of the list, round-robin,
 * becomes o->url. When say is set, one warning says so.
 */
void ship_failed(struct ship_opts *o, const char *shown, const char *why,
    long long ms, int say);

#endif
