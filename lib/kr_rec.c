/* kr_rec: keruta(7) records, written by hand, read with cJSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kr_diag.h"
#include "kr_json.h"
#include "kr_rec.h"
#include "kr_time.h"

static int
key(struct kr_buf *b, const char *k)
{
	if (kr_buf_add(b, ",\"", 2) == -1 || kr_buf_adds(b, k) == -1)
		return -1;
	return kr_buf_add(b, "\":", 2);
}

int
kr_rec_ids(struct kr_buf *b, const char *task_id, const char *run_id)
{
	if (kr_buf_adds(b, "{\"type\":\"log\"") == -1)
		return -1;
	if (task_id != NULL &&
	    kr_rec_str(b, "taskId", task_id, strlen(task_id)) == -1)
		return -1;
	if (run_id != NULL && kr_rec_str(b, "runId", run_id, strlen(run_id)) == -1)
		return -1;
	return 0;
}

int
kr_rec_src(struct kr_buf *b, const char *source, const char *level)
{
	if (kr_rec_str(b, "source", source, strlen(source)) == -1)
		return -1;
	return kr_rec_str(b, "level", level, strlen(level));
}

/* ,"seq":…,"timestamp":… of a head. */
static int
seq_ts(struct kr_buf *b, unsigned long long seq, const char *ts)
{
	char now[KR_TS_LEN + 1];

	if (seq != 0 && (key(b, "seq") == -1 || kr_buf_addu64(b, seq) == -1))
		return -1;
	if (ts == NULL)
		kr_ts_now(now);
	return kr_rec_str(b, "timestamp", ts ? ts : now,
	    ts ? strlen(ts) : KR_TS_LEN);
}

int
kr_rec_open_with(struct kr_buf *b, const struct kr_buf *ids,
    unsigned long long seq, const char *ts, const struct kr_buf *src)
{
	if (kr_buf_add(b, ids->s, ids->len) == -1 || seq_ts(b, seq, ts) == -1)
		return -1;
	return kr_buf_add(b, src->s, src->len);
}

int
kr_rec_open(struct kr_buf *b, const struct kr_rec_head *h)
{
	if (kr_rec_ids(b, h->task_id, h->run_id) == -1 ||
	    seq_ts(b, h->seq, h->ts) == -1)
		return -1;
	return kr_rec_src(b, h->source, h->level);
}

int
kr_rec_str(struct kr_buf *b, const char *k, const char *s, size_t n)
{
	if (key(b, k) == -1 || kr_buf_addc(b, '"') == -1 ||
	    kr_json_escape(b, s, n) == -1)
		return -1;
	return kr_buf_addc(b, '"');
}

int
kr_rec_text(struct kr_buf *b, const char *k, const char *s, size_t n,
    long *bad)
{
	long r;

	if (key(b, k) == -1 || kr_buf_addc(b, '"') == -1 ||
	    (r = kr_json_escape_utf8(b, s, n)) == -1 ||
	    kr_buf_addc(b, '"') == -1)
		return -1;
	if (bad != NULL)
		*bad = r;
	if (r == 0)
		return 0;
	if (key(b, "bytes") == -1 || kr_buf_addc(b, '"') == -1 ||
	    kr_base64_add(b, s, n) == -1)
		return -1;
	return kr_buf_addc(b, '"');
}

int
kr_rec_int(struct kr_buf *b, const char *k, long long v)
{
	if (key(b, k) == -1)
		return -1;
	return kr_buf_addi64(b, v);
}

int
kr_rec_bool(struct kr_buf *b, const char *k, int v)
{
	if (key(b, k) == -1)
		return -1;
	return kr_buf_adds(b, v ? "true" : "false");
}

int
kr_rec_raw(struct kr_buf *b, const char *k, const char *json, size_t n)
{
	if (key(b, k) == -1)
		return -1;
	return kr_buf_add(b, json, n);
}

int
kr_rec_close(struct kr_buf *b)
{
	return kr_buf_add(b, "}\n", 2);
}

int
kr_rec_wrap(struct kr_buf *b, const char *line, size_t n,
    const char *task_id)
{
	struct kr_rec_head h = { task_id, NULL, 0, NULL, "stdout", "INFO" };

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (kr_rec_open(b, &h) == -1 ||
	    kr_rec_text(b, "message", line, n, NULL) == -1 ||
	    kr_rec_bool(b, "malformed", 1) == -1)
		return -1;
	return kr_rec_close(b);
}

int
kr_rec_gap(struct kr_buf *b, const char *task_id, const char *run_id,
    unsigned long long count, const char *reason, unsigned long long from,
    unsigned long long to)
{
	struct kr_rec_head h = { task_id, run_id, 0, NULL, "agent", "WARN" };

	if (kr_rec_open(b, &h) == -1 ||
	    kr_buf_printf(b, ",\"message\":\"%llu record%s dropped (%s)\"",
	    count, count == 1 ? "" : "s", reason) == -1 ||
	    kr_buf_printf(b, ",\"metadata\":{\"event\":\"gap\",\"count\":%llu,"
	    "\"reason\":\"%s\"", count, reason) == -1)
		return -1;
	if (from != 0 && kr_buf_printf(b, ",\"fromSeq\":%llu,\"toSeq\":%llu",
	    from, to) == -1)
		return -1;
	if (kr_buf_addc(b, '}') == -1)
		return -1;
	return kr_rec_close(b);
}

cJSON *
kr_rec_parse(const char *line, size_t n)
{
	cJSON *j;

	if (n == 0 || (j = cJSON_ParseWithLength(line, n)) == NULL)
		return NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

const char *
kr_rec_get_str(const cJSON *r, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long
kr_rec_get_int(const cJSON *r, const char *k, long long def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, k);

	/* In range before the cast: past it, the cast is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -0x1p63 &&
	    v->valuedouble < 0x1p63) ||
	    v->valuedouble != (double)(long long)v->valuedouble)
		return def;
	return (long long)v->valuedouble;
}

int
kr_rec_last_write(const char *path, unsigned long long seq, const char *run)
{
	FILE *f;
	int r;

	if ((f = fopen(path, "w")) == NULL) {
		kr_warnsys("unable to open '%s'", path);
		return -1;
	}
	r = fprintf(f, "%llu %s\n", seq, run);
	if (fclose(f) == EOF || r < 0) {
		kr_warnsys("unable to write '%s'", path);
		return -1;
	}
	return 0;
}
