/*
 * batch: keruta-batch's reader and batcher on any input, fed in chunks of
 * any size: every batch out is one JSON array of 1 to --batch-size
 * records within --max-bytes, and every input record comes out once and
 * in order: as it was (a record, or each record of a batch line), or
 * wrapped as a malformed record with the exact text, or, when too big
 * for a batch, counted by a gap record. Nothing else comes out.
 * The first byte sets the batch size, the maximum and the taskId; the
 * second the chunk size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int batch_main(int argc, char *argv[]);
#define main batch_main
#include "../../tools/keruta-batch.c"
#include "same-json.h"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Takes what the batcher wrote, as a stdout that takes everything. */
static void
drain(struct batcher *b, struct kr_buf *got)
{
	if (b->out.len > b->ooff && kr_buf_add(got, b->out.s + b->ooff,
	    b->out.len - b->ooff) == -1)
		abort();
	b->obase += b->out.len;
	b->out.len = b->ooff = 0;
	b->obhead = b->obn = 0;
	b->orecs = 0;
}

/* The exact bytes a wrapped record carries, into d; -1 if not a wrap. */
static int
wrapped_text(const cJSON *r, struct kr_buf *d)
{
	const char *m = kr_rec_get_str(r, "message"), *bytes;
	const char *type = kr_rec_get_str(r, "type");

	d->len = 0;
	if (m == NULL || type == NULL || strcmp(type, "log") != 0 ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "malformed")))
		return -1;
	if ((bytes = kr_rec_get_str(r, "bytes")) != NULL)
		return kr_base64_decode(d, bytes, strlen(bytes));
	return kr_buf_add(d, m, strlen(m));
}

/* Whether r wraps the text s[0..n) (as kr_rec_wrap has it). */
static int
is_wrap_of(const cJSON *r, const char *s, size_t n, struct kr_buf *d)
{
	const char *z;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (wrapped_text(r, d) == -1)
		return 0;
	/* Valid UTF-8 travels as the message: cJSON stops at a NUL. */
	if (kr_rec_get_str(r, "bytes") == NULL &&
	    (z = memchr(s, '\0', n)) != NULL)
		n = (size_t)(z - s);
	return d->len == n && memcmp(d->s, s, n) == 0;
}

/*
 * The span of the next member of an array that cJSON took, from p: cJSON
 * counts every byte up to ' ' as white space. Returns where it ends.
 */
static const char *
member(const char *p, const char *e, const char **start)
{
	int depth = 0, in_str = 0;

	while (p < e && ((unsigned char)*p <= ' ' || *p == ',' || *p == '['))
		p++;
	for (*start = p; p < e; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return p + 1;
		}
	}
	abort();
}

static int
is_size_gap(const cJSON *r)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(r, "metadata");
	const char *src = kr_rec_get_str(r, "source");

	return src != NULL && strcmp(src, "agent") == 0 &&
	    cJSON_IsObject(md) && kr_rec_get_int(md, "count", 0) == 1 &&
	    kr_rec_get_str(md, "event") != NULL &&
	    strcmp(kr_rec_get_str(md, "event"), "gap") == 0 &&
	    kr_rec_get_str(md, "reason") != NULL &&
	    strcmp(kr_rec_get_str(md, "reason"), "size") == 0;
}

/* Whether a line of n bytes may be too big for a batch, as it is or wrapped. */
static int
may_not_fit(const char *s, size_t n, size_t max)
{
	struct kr_buf w;
	int big;

	if (n + 3 > max)
		return 1;
	kr_buf_init(&w, 1u << 26);
	if (kr_rec_wrap(&w, s, n, "task") == -1)
		abort();
	big = w.len - 1 + 3 > max;
	kr_buf_free(&w);
	return big;
}

struct outs {
	cJSON **r;
	size_t n, k;
};

/* The next record out, or NULL: one is missing. */
static const cJSON *
next_out(struct outs *o)
{
	return o->k < o->n ? o->r[o->k++] : NULL;
}

/* Whether the next record out is the line as one: wrapped, or its gap. */
static int
whole(struct outs *o, const char *s, size_t n, size_t max, struct kr_buf *d)
{
	const cJSON *r = next_out(o);

	return r != NULL && (is_wrap_of(r, s, n, d) ||
	    (is_size_gap(r) && may_not_fit(s, n, max)));
}

/* Whether each record of the array j (the line s[0..n)) came out. */
static int
each(struct outs *o, const cJSON *j, const char *s, size_t n, size_t max,
    struct kr_buf *d)
{
	const char *p = s, *pe = s + n, *m;
	const cJSON *r, *e;

	while (*p != '[')
		p++;
	cJSON_ArrayForEach(e, j) {
		p = member(p, pe, &m);
		if ((r = next_out(o)) == NULL)
			return 0;
		if (!same_json(r, e) && !is_wrap_of(r, m, (size_t)(p - m), d) &&
		    !(is_size_gap(r) && may_not_fit(m, (size_t)(p - m), max)))
			return 0;
	}
	return 1;
}

/*
 * The places in the output where the records of line s[0..n) can end
 * when they start at place k: each way the line may come out (the
 * records as they are, the line wrapped as one, its gap) that matches.
 * A message cut at a NUL by cJSON can make two ways match: all are kept.
 */
static size_t
expect_line(struct outs *o, size_t k, const char *s, size_t n, size_t max,
    struct kr_buf *d, size_t *ends)
{
	const cJSON *r, *e;
	cJSON *j;
	size_t ne = 0;
	int all_obj = 1;

	if (n == 0 || (n == 1 && *s == '\r')) {
		ends[ne++] = k;
		return ne;
	}
	o->k = k;
	if (n > max) {
		if ((r = next_out(o)) != NULL && is_size_gap(r))
			ends[ne++] = o->k;
		return ne;
	}
	j = parse_all(s, n, 1);
	if (cJSON_IsArray(j))
		cJSON_ArrayForEach(e, j)
			all_obj &= cJSON_IsObject(e);
	if (cJSON_IsArray(j) && all_obj) {
		if (each(o, j, s, n, max, d))
			ends[ne++] = o->k;
	} else if (cJSON_IsObject(j)) {
		if ((r = next_out(o)) != NULL && same_json(r, j))
			ends[ne++] = o->k;
	}
	cJSON_Delete(j);
	o->k = k;
	if (whole(o, s, n, max, d) && (ne == 0 || ends[0] != o->k))
		ends[ne++] = o->k;
	return ne;
}

static void
check(const uint8_t *in, size_t n, struct kr_buf *got,
    const struct batch_opts *o)
{
	const char *s = got->s, *e = s != NULL ? s + got->len : s, *nl;
	const char *p = (const char *)in, *pe = p + n;
	struct outs out = { NULL, 0, 0 };
	cJSON **lines = NULL, *el;
	size_t nlines = 0, i, k, *at, *nx, nat, a;
	struct kr_buf d;

	/* Each line: a JSON array of 1 to batch_size records, within max. */
	for (; s < e; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
			abort();
		if ((size_t)(nl - s) + 1 > o->max_bytes)
			abort();
		lines = realloc(lines, (nlines + 1) * sizeof *lines);
		if (lines == NULL)
			abort();
		lines[nlines] = parse_all(s, (size_t)(nl - s), 1);
		if (!cJSON_IsArray(lines[nlines]))
			abort();
		k = 0;
		cJSON_ArrayForEach(el, lines[nlines]) {
			if (!cJSON_IsObject(el))
				abort();
			out.r = realloc(out.r, (out.n + 1) * sizeof *out.r);
			if (out.r == NULL)
				abort();
			out.r[out.n++] = el;
			k++;
		}
		if (k == 0 || k > o->batch_size)
			abort();
		nlines++;
	}
	kr_buf_init(&d, 1u << 26);
	/* The places the records so far can end at: few, and sorted. */
	if ((at = malloc((out.n + 1) * sizeof *at)) == NULL ||
	    (nx = malloc((out.n + 1) * sizeof *nx)) == NULL)
		abort();
	at[0] = 0;
	nat = 1;
	for (; p < pe; p = nl + 1) {
		size_t ends[2], ne, w, x, y, nnx = 0;

		if ((nl = memchr(p, '\n', (size_t)(pe - p))) == NULL)
			nl = pe;
		for (w = 0; w < nat; w++) {
			ne = expect_line(&out, at[w], p, (size_t)(nl - p),
			    o->max_bytes, &d, ends);
			for (x = 0; x < ne; x++) {
				for (y = 0; y < nnx && nx[y] != ends[x]; y++)
					;
				if (y == nnx)
					nx[nnx++] = ends[x];
			}
		}
		/* A record of the line is missing, or another came. */
		if (nnx == 0)
			abort();
		memcpy(at, nx, nnx * sizeof *at);
		nat = nnx;
	}
	/* Nothing more came out than went in. */
	for (a = 0; a < nat && at[a] != out.n; a++)
		;
	if (a == nat)
		abort();
	free(at);
	free(nx);
	kr_buf_free(&d);
	for (i = 0; i < nlines; i++)
		cJSON_Delete(lines[i]);
	free(lines);
	free(out.r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch_opts o;
	struct batcher b;
	struct kr_buf got;
	size_t chunk, at, n;
	long long now = 1000000000LL;
	int rounds;

	if (size < 2)
		return 0;
	kr_diag_set_verbosity(KR_V_QUIET);
	memset(&o, 0, sizeof o);
	o.batch_size = 1 + (data[0] & 15);
	o.max_bytes = (data[0] & 16) ? 4096 : 1024;
	o.buffer_size = 1000;
	o.buffer_bytes = BUFFER_BYTES;
	o.flush_ms = 1000;
	o.linger_ms = 5;
	o.task_id = (data[0] & 32) ? "task" : NULL;
	chunk = 1 + data[1];
	data += 2;
	size -= 2;

	memset(&b, 0, sizeof b);
	b.o = &o;
	b.sigfd[0] = b.sigfd[1] = -1;
	kr_lr_init(&b.lr, -1, o.max_bytes);
	kr_buf_init(&b.qb, SIZE_MAX / 4);
	kr_buf_init(&b.out, SIZE_MAX / 4);
	kr_buf_init(&b.scratch, o.max_bytes + 4096);
	kr_buf_init(&b.gapbuf, 4096);
	b.warn_rl = (struct kr_ratelimit)KR_RATELIMIT_INIT(10, 10);
	b.tok_t = b.last_in = now;
	kr_buf_init(&got, SIZE_MAX / 4);

	/* The input in chunks, as read(2) would give it, 1 ms apart. */
	for (at = 0; at < size; at += n) {
		n = size - at < chunk ? size - at : chunk;
		if (b.lr.off > 0) {
			kr_buf_consume(&b.lr.b, b.lr.off);
			b.lr.off = 0;
		}
		if (kr_buf_add(&b.lr.b, data + at, n) == -1)
			abort();
		b.last_in = now;
		(void)take_input(&b, now);
		(void)form_batches(&b, now);
		drain(&b, &got);
		now += 1000000;
	}
	b.lr.eof = 1;
	for (rounds = 0; !(b.in_done && b.qn == 0 && b.out.len == 0 &&
	    b.gap.count == 0); rounds++) {
		if (rounds > 100000)
			abort();	/* it never finishes */
		(void)take_input(&b, now);
		(void)form_batches(&b, now);
		drain(&b, &got);
		now += 1000000;
	}
	check(data, size, &got, &o);
	kr_lr_free(&b.lr);
	kr_buf_free(&b.qb);
	kr_buf_free(&b.out);
	kr_buf_free(&b.scratch);
	kr_buf_free(&b.gapbuf);
	free(b.q);
	free(b.ob);
	kr_buf_free(&got);
	return 0;
}
