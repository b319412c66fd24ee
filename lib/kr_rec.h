/*
 * kr_rec: keruta(7) records. Writing is by hand (no cJSON tree on the hot
 * path); reading is with cJSON where a record must be understood.
 */
#ifndef KR_REC_H
#define KR_REC_H

#include <stddef.h>

#include <cJSON.h>

#include "kr_buf.h"

/* Later stages accept records up to this size. */
#define KR_REC_MAX (16u << 20)

struct kr_rec_head {
	const char *task_id;	/* NULL: field left out */
	const char *run_id;	/* NULL: field left out */
	unsigned long long seq;	/* 0: field left out */
	const char *ts;		/* NULL: now */
	const char *source;
	const char *level;
};

/*
 * Appends {"type":"log","taskId":…,"runId":…,"seq":…,"timestamp":…,
 * "source":…,"level":… — the record stays open for kr_rec_str and friends
 * and is ended by kr_rec_close. All return 0, or -1 with errno.
 */
int kr_rec_open(struct kr_buf *b, const struct kr_rec_head *h);
/*
 * The same head in three parts, for a writer of many records whose ids,
 * source and level repeat: kr_rec_ids appends {"type":"log","taskId":…,
 * "runId":… (NULL ids left out), kr_rec_src ,"source":…,"level":…, each
 * once into a buffer of its own; kr_rec_open_with appends them around
 * ,"seq":…,"timestamp":… as kr_rec_open would.
 */
int kr_rec_ids(struct kr_buf *b, const char *task_id, const char *run_id);
int kr_rec_src(struct kr_buf *b, const char *source, const char *level);
int kr_rec_open_with(struct kr_buf *b, const struct kr_buf *ids,
    unsigned long long seq, const char *ts, const struct kr_buf *src);
/* ,"key":"s" with s escaped (s must be valid UTF-8). */
int kr_rec_str(struct kr_buf *b, const char *key, const char *s, size_t n);
/*
 * ,"message":"…" for arbitrary bytes: invalid UTF-8 becomes U+FFFD and
 * then ,"bytes":"<base64 of the original>" follows. *bad (may be NULL)
 * gets the number of replacements.
 */
int kr_rec_text(struct kr_buf *b, const char *key, const char *s, size_t n,
    long *bad);
int kr_rec_int(struct kr_buf *b, const char *key, long long v);
int kr_rec_bool(struct kr_buf *b, const char *key, int v);
/* ,"key":json with json already valid JSON text. */
int kr_rec_raw(struct kr_buf *b, const char *key, const char *json,
    size_t n);
/* "}\n" */
int kr_rec_close(struct kr_buf *b);

/*
 * A line that is not a JSON record, carried as one: a record with source
 * "stdout", level INFO, the text as message (U+FFFD/bytes for bad UTF-8),
 * "malformed": true, and taskId when task_id is not NULL.
 */
int kr_rec_wrap(struct kr_buf *b, const char *line, size_t n,
    const char *task_id);
/*
 * A gap record: source "agent", level WARN, metadata {"event":"gap",
 * "count","reason","fromSeq","toSeq"} (the seqs left out when 0).
 */
int kr_rec_gap(struct kr_buf *b, const char *task_id, const char *run_id,
    unsigned long long count, const char *reason, unsigned long long from,
    unsigned long long to);

/*
 * The file of --last (keruta-tail, keruta-batch): "seq runId" and a
 * newline, so that a record can be added after the last one. 0, or -1
 * after a warning.
 */
int kr_rec_last_write(const char *path, unsigned long long seq,
    const char *run);

/* The line parsed as a JSON object, or NULL (not JSON, or not an object). */
cJSON *kr_rec_parse(const char *line, size_t n);
/* Shorthands on a parsed record: NULL/-1 when absent or of another type. */
const char *kr_rec_get_str(const cJSON *r, const char *key);
long long kr_rec_get_int(const cJSON *r, const char *key, long long def);

#endif
