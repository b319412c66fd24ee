/* rec.c: records in (validation into a batch) and out (JSON, CSV, text). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_json.h"
#include "kr_level.h"
#include "kr_time.h"
#include "srv.h"

#define SEQ_MAX 9007199254740991.0	/* 2^53 - 1: exact in a double */

void
err_set(struct srv_err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	kr_buf_init(&b->arena, (size_t)1 << 31);
}

void
batch_reset(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->ntrees; i++)
		cJSON_Delete(b->trees[i]);
	b->ntrees = 0;
	b->n = 0;
	b->arena.len = 0;
	/* Offset 0 means "none", so the arena never hands it out. */
	kr_buf_addc(&b->arena, 0);
}

void
batch_free(struct batch *b)
{
	batch_reset(b);
	free(b->rows);
	free(b->trees);
	kr_buf_free(&b->arena);
}

static int
keep_tree(struct batch *b, cJSON *j)
{
	if (b->ntrees == b->ctrees) {
		size_t nc = b->ctrees ? b->ctrees * 2 : 16;
		cJSON **t = realloc(b->trees, nc * sizeof *t);

		if (t == NULL)
			return -1;
		b->trees = t;
		b->ctrees = nc;
	}
	b->trees[b->ntrees++] = j;
	return 0;
}

static int
known_key(const char *k)
{
	static const char *const keys[] = { "type", "taskId", "runId", "seq",
		"timestamp", "source", "level", "message", "id", NULL };
	int i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

int
batch_add(struct batch *b, cJSON *j, size_t idx, struct srv_err *e)
{
	struct row *r;
	cJSON *v, *c;
	char *p;
	int lv;

	if (!cJSON_IsObject(j)) {
		err_set(e, 400, "BAD_RECORD", "record %zu: not a JSON object",
		    idx);
		cJSON_Delete(j);
		return -1;
	}
	if (keep_tree(b, j) == -1) {
		cJSON_Delete(j);
		err_set(e, 500, "INTERNAL", "out of memory");
		return -1;
	}
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		struct row *nr = realloc(b->rows, nc * sizeof *nr);

		if (nr == NULL) {
			err_set(e, 500, "INTERNAL", "out of memory");
			return -1;
		}
		b->rows = nr;
		b->cap = nc;
	}
	r = &b->rows[b->n];
	memset(r, 0, sizeof *r);
	v = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (v != NULL && !(cJSON_IsString(v) &&
	    strcmp(v->valuestring, "log") == 0)) {
		err_set(e, 400, "BAD_RECORD",
		    "record %zu: type must be \"log\"", idx);
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (!cJSON_IsString(v)) {
		err_set(e, 400, "BAD_RECORD", "record %zu: %s", idx,
		    v == NULL ? "message is missing" :
		    "message must be a string");
		return -1;
	}
	r->msg = v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(j, "level");
	if (v == NULL || cJSON_IsNull(v))
		r->level = 2;
	else if (!cJSON_IsString(v) || (lv = kr_level_parse(v->valuestring,
	    strlen(v->valuestring))) < 0) {
		err_set(e, 400, "INVALID_LEVEL", "record %zu: level must be "
		    "one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", idx);
		return -1;
	} else
		r->level = lv;
	v = cJSON_GetObjectItemCaseSensitive(j, "source");
	if (v == NULL || cJSON_IsNull(v))
		r->source = "task";
	else if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
	    strlen(v->valuestring) > SRV_SOURCE_MAX) {
		err_set(e, 400, "BAD_RECORD", "record %zu: source must be a "
		    "string of 1 to %d bytes", idx, SRV_SOURCE_MAX);
		return -1;
	} else
		r->source = v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(j, "runId");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) > SRV_ID_MAX) {
			err_set(e, 400, "BAD_RECORD", "record %zu: runId must "
			    "be a string of 1 to %d bytes", idx, SRV_ID_MAX);
			return -1;
		}
		r->run = v->valuestring;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "seq");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > SEQ_MAX ||
		    floor(v->valuedouble) != v->valuedouble) {
			err_set(e, 400, "BAD_RECORD", "record %zu: seq must be "
			    "an integer from 1 to 2^53-1", idx);
			return -1;
		}
		r->seq = (long long)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "timestamp");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || kr_ts_parse(v->valuestring,
		    strlen(v->valuestring), &r->ts) == -1) {
			err_set(e, 400, "INVALID_TIMESTAMP", "record %zu: "
			    "timestamp must be an RFC 3339 time", idx);
			return -1;
		}
		r->tsstr = b->arena.len;
		if (kr_buf_add(&b->arena, v->valuestring,
		    strlen(v->valuestring) + 1) == -1)
			goto nomem;
	} else {
		char ts[KR_TS_LEN + 1];

		kr_ts_now(ts);
		kr_ts_parse(ts, KR_TS_LEN, &r->ts);
		r->tsstr = b->arena.len;
		if (kr_buf_add(&b->arena, ts, KR_TS_LEN + 1) == -1)
			goto nomem;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "metadata");
	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsObject(v)) {
		err_set(e, 400, "BAD_RECORD",
		    "record %zu: metadata must be an object", idx);
		return -1;
	}
	if (v != NULL && strcmp(r->source, "agent") == 0) {
		c = cJSON_GetObjectItemCaseSensitive(v, "event");
		if (cJSON_IsString(c) && strcmp(c->valuestring, "start") == 0)
			r->event = EV_START;
		else if (cJSON_IsString(c) &&
		    strcmp(c->valuestring, "exit") == 0) {
			r->event = EV_EXIT;
			c = cJSON_GetObjectItemCaseSensitive(v, "exitCode");
			r->exit_code = cJSON_IsNumber(c) ?
			    (long long)c->valuedouble : -1;
		}
	}
	/* Every other field is kept as JSON text, in its order. */
	r->extra = b->arena.len;
	for (c = j->child; c != NULL; c = c->next) {
		if (c->string == NULL || known_key(c->string))
			continue;
		if (b->arena.len > r->extra &&
		    kr_buf_addc(&b->arena, ',') == -1)
			goto nomem;
		if (json_str(&b->arena, c->string, strlen(c->string)) == -1 ||
		    kr_buf_addc(&b->arena, ':') == -1)
			goto nomem;
		if ((p = cJSON_PrintUnformatted(c)) == NULL)
			goto nomem;
		if (kr_buf_adds(&b->arena, p) == -1) {
			cJSON_free(p);
			goto nomem;
		}
		cJSON_free(p);
	}
	r->extralen = b->arena.len - r->extra;
	if (r->extralen == 0)
		r->extra = 0;
	b->n++;
	return 0;
nomem:
	err_set(e, 413, "TOO_LARGE", "record %zu: too large", idx);
	return -1;
}

int
json_has_nul(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && s[i + 2] == '0' &&
		    s[i + 3] == '0' && s[i + 4] == '0' && s[i + 5] == '0')
			return 1;
		i++;	/* the escaped character */
	}
	return 0;
}

static int
only_space(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/* Parses one JSON value from s[0..n) with nothing but space after it. */
static cJSON *
parse_one(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *j;

	j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (j == NULL)
		return NULL;
	if (end == NULL || end < s || end > s + n || !only_space(end, s + n)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Adds an object, or each object of an array. */
static int
add_value(struct batch *b, cJSON *j, size_t *idx, struct srv_err *e)
{
	cJSON *c;

	if (!cJSON_IsArray(j))
		return batch_add(b, j, (*idx)++, e);
	while ((c = j->child) != NULL) {
		cJSON_DetachItemViaPointer(j, c);
		if (batch_add(b, c, (*idx)++, e) == -1) {
			cJSON_Delete(j);
			return -1;
		}
	}
	cJSON_Delete(j);
	return 0;
}

int
batch_parse(struct batch *b, const char *s, size_t n, int ndjson, int *single,
    struct srv_err *e)
{
	const char *p, *nl, *end = s + n;
	size_t idx = 0, line = 0;
	cJSON *j;

	*single = 0;
	batch_reset(b);
	if (kr_utf8_valid(s, n) != n) {
		err_set(e, 400, "INVALID_UTF8", "the body is not valid UTF-8");
		return -1;
	}
	if (memchr(s, '\0', n) != NULL || json_has_nul(s, n)) {
		err_set(e, 400, "BAD_RECORD",
		    "NUL characters (\\u0000) are not accepted in strings");
		return -1;
	}
	if (!ndjson) {
		if ((j = parse_one(s, n)) == NULL) {
			err_set(e, 400, "MALFORMED_REQUEST",
			    "the body is not valid JSON");
			return -1;
		}
		if (!cJSON_IsArray(j) && !cJSON_IsObject(j)) {
			cJSON_Delete(j);
			err_set(e, 400, "MALFORMED_REQUEST",
			    "the body must be a JSON object or array");
			return -1;
		}
		*single = cJSON_IsObject(j);
		if (add_value(b, j, &idx, e) == -1)
			goto fail;
		return 0;
	}
	for (p = s; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (only_space(p, nl))
			continue;
		if ((j = parse_one(p, (size_t)(nl - p))) == NULL ||
		    (!cJSON_IsArray(j) && !cJSON_IsObject(j))) {
			cJSON_Delete(j);
			err_set(e, 400, "MALFORMED_REQUEST",
			    "line %zu is not a JSON object or array", line);
			goto fail;
		}
		if (add_value(b, j, &idx, e) == -1)
			goto fail;
	}
	return 0;
fail:
	batch_reset(b);
	return -1;
}

/* ---- output ---- */

int
json_str(struct kr_buf *b, const char *s, size_t n)
{
	if (kr_buf_addc(b, '"') == -1 || kr_json_escape_utf8(b, s, n) == -1)
		return -1;
	return kr_buf_addc(b, '"');
}

static int
col_str(struct kr_buf *b, sqlite3_stmt *st, int col)
{
	return json_str(b, (const char *)sqlite3_column_text(st, col),
	    (size_t)sqlite3_column_bytes(st, col));
}

int
fmt_record(struct kr_buf *b, sqlite3_stmt *st)
{
	int lv = sqlite3_column_int(st, COL_LEVEL);

	if (kr_buf_adds(b, "{\"id\":") == -1 ||
	    kr_buf_addi64(b, sqlite3_column_int64(st, COL_ID)) == -1 ||
	    kr_buf_adds(b, ",\"type\":\"log\",\"taskId\":") == -1 ||
	    col_str(b, st, COL_TASK) == -1)
		return -1;
	if (sqlite3_column_type(st, COL_RUN) != SQLITE_NULL &&
	    (kr_buf_adds(b, ",\"runId\":") == -1 ||
	    col_str(b, st, COL_RUN) == -1))
		return -1;
	if (sqlite3_column_type(st, COL_SEQ) != SQLITE_NULL &&
	    (kr_buf_adds(b, ",\"seq\":") == -1 ||
	    kr_buf_addi64(b, sqlite3_column_int64(st, COL_SEQ)) == -1))
		return -1;
	if (kr_buf_adds(b, ",\"timestamp\":") == -1 ||
	    col_str(b, st, COL_TS) == -1 ||
	    kr_buf_adds(b, ",\"source\":") == -1 ||
	    col_str(b, st, COL_SOURCE) == -1 ||
	    kr_buf_adds(b, ",\"level\":\"") == -1 ||
	    kr_buf_adds(b, kr_level_name(lv)) == -1 ||
	    kr_buf_adds(b, "\",\"message\":") == -1 ||
	    col_str(b, st, COL_MSG) == -1)
		return -1;
	if (sqlite3_column_type(st, COL_EXTRA) != SQLITE_NULL &&
	    sqlite3_column_bytes(st, COL_EXTRA) > 0 &&
	    (kr_buf_addc(b, ',') == -1 || kr_buf_add(b,
	    sqlite3_column_text(st, COL_EXTRA),
	    (size_t)sqlite3_column_bytes(st, COL_EXTRA)) == -1))
		return -1;
	return kr_buf_addc(b, '}');
}

int
fmt_row(struct kr_buf *b, const char *task, const struct batch *bt,
    const struct row *r)
{
	const char *ts = bt->arena.s + r->tsstr;

	if (kr_buf_adds(b, "{\"id\":") == -1 ||
	    kr_buf_addi64(b, r->id) == -1 ||
	    kr_buf_adds(b, ",\"type\":\"log\",\"taskId\":") == -1 ||
	    json_str(b, task, strlen(task)) == -1)
		return -1;
	if (r->run != NULL && (kr_buf_adds(b, ",\"runId\":") == -1 ||
	    json_str(b, r->run, strlen(r->run)) == -1))
		return -1;
	if (r->seq != 0 && (kr_buf_adds(b, ",\"seq\":") == -1 ||
	    kr_buf_addi64(b, r->seq) == -1))
		return -1;
	if (kr_buf_adds(b, ",\"timestamp\":") == -1 ||
	    json_str(b, ts, strlen(ts)) == -1 ||
	    kr_buf_adds(b, ",\"source\":") == -1 ||
	    json_str(b, r->source, strlen(r->source)) == -1 ||
	    kr_buf_adds(b, ",\"level\":\"") == -1 ||
	    kr_buf_adds(b, kr_level_name(r->level)) == -1 ||
	    kr_buf_adds(b, "\",\"message\":") == -1 ||
	    json_str(b, r->msg, strlen(r->msg)) == -1)
		return -1;
	if (r->extralen > 0 && (kr_buf_addc(b, ',') == -1 ||
	    kr_buf_add(b, bt->arena.s + r->extra, r->extralen) == -1))
		return -1;
	return kr_buf_addc(b, '}');
}

int
fmt_ndjson(struct kr_buf *b, sqlite3_stmt *st, int first, void *arg)
{
	(void)first;
	(void)arg;
	if (fmt_record(b, st) == -1)
		return -1;
	return kr_buf_addc(b, '\n');
}

int
fmt_jsonarr(struct kr_buf *b, sqlite3_stmt *st, int first, void *arg)
{
	(void)arg;
	if (!first && kr_buf_addc(b, ',') == -1)
		return -1;
	return fmt_record(b, st);
}

static int
csv_field(struct kr_buf *b, const char *s, size_t n)
{
	size_t i;

	if (strcspn(s, ",\"\r\n") >= n)
		return kr_buf_add(b, s, n);
	if (kr_buf_addc(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '"' && kr_buf_addc(b, '"') == -1)
			return -1;
		if (kr_buf_addc(b, s[i]) == -1)
			return -1;
	}
	return kr_buf_addc(b, '"');
}

static int
csv_col(struct kr_buf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	return csv_field(b, (const char *)sqlite3_column_text(st, col),
	    (size_t)sqlite3_column_bytes(st, col));
}

int
fmt_csv(struct kr_buf *b, sqlite3_stmt *st, int first, void *arg)
{
	int i;
	static const int cols[] = { COL_ID, COL_TS, COL_TASK, COL_RUN,
		COL_SEQ, COL_SOURCE, COL_LEVEL, COL_MSG };

	(void)arg;
	(void)first;
	for (i = 0; i < 8; i++) {
		if (i > 0 && kr_buf_addc(b, ',') == -1)
			return -1;
		if (cols[i] == COL_LEVEL) {
			if (kr_buf_adds(b, kr_level_name(
			    sqlite3_column_int(st, COL_LEVEL))) == -1)
				return -1;
		} else if (csv_col(b, st, cols[i]) == -1)
			return -1;
	}
	return kr_buf_add(b, "\r\n", 2);
}

int
fmt_txt(struct kr_buf *b, sqlite3_stmt *st, int first, void *arg)
{
	(void)first;
	(void)arg;
	if (kr_buf_add(b, sqlite3_column_text(st, COL_TS),
	    (size_t)sqlite3_column_bytes(st, COL_TS)) == -1 ||
	    kr_buf_printf(b, " %-5s ", kr_level_name(
	    sqlite3_column_int(st, COL_LEVEL))) == -1 ||
	    kr_buf_add(b, sqlite3_column_text(st, COL_SOURCE),
	    (size_t)sqlite3_column_bytes(st, COL_SOURCE)) == -1 ||
	    kr_buf_addc(b, ' ') == -1 ||
	    kr_buf_add(b, sqlite3_column_text(st, COL_MSG),
	    (size_t)sqlite3_column_bytes(st, COL_MSG)) == -1)
		return -1;
	return kr_buf_addc(b, '\n');
}
