/*
 * rec.h: records in (a body parsed and checked into a batch) and out (a
 * record as JSON, CSV or text), beneath every other part of the server.
 */
#ifndef REC_H
#define REC_H

#include <stddef.h>

#include "kr_buf.h"

#define SRV_ID_MAX	128	/* taskId and runId, bytes */
#define SRV_SOURCE_MAX	64

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

/*
 * A stored record as the store gives it back: its strings, with their
 * lengths, hold until the store's next step.
 */
struct srec {
	long long id;
	const char *task;
	size_t tasklen;
	const char *run;	/* NULL: none */
	size_t runlen;
	long long seq;		/* 0: none */
	const char *ts;
	size_t tslen;
	const char *source;
	size_t srclen;
	int level;
	const char *msg;
	size_t msglen;
	const char *extra;	/* the other members, as JSON text; or NULL */
	size_t extralen;
};

/* A stored record as one JSON object (no newline). */
int fmt_record(struct kr_buf *out, const struct srec *r);
/* A just-stored batch row as one JSON object. */
int fmt_row(struct kr_buf *out, const char *task, const struct row *r);
/*
 * A record in each format of an export or a page: first is set for the
 * first of a reply; arg is not used.
 */
int fmt_ndjson(struct kr_buf *out, const struct srec *r, int first,
    void *arg);
int fmt_jsonarr(struct kr_buf *out, const struct srec *r, int first,
    void *arg);
int fmt_csv(struct kr_buf *out, const struct srec *r, int first, void *arg);
int fmt_txt(struct kr_buf *out, const struct srec *r, int first, void *arg);
/* Appends a JSON string (quoted). */
int json_str(struct kr_buf *b, const char *s, size_t n);
/* Appends one pre..post item per run: its highest seq in the batch. */
int acks_json(struct kr_buf *out, const struct batch *b, const char *pre,
    const char *sep, const char *post);
/* Parses a query's levels ("WARN" = minimum, "WARN,ERROR" = list). */
int parse_levels(const char *s, unsigned *mask);

#endif
