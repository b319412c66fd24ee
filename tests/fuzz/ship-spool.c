/*
 * ship-spool: keruta-ship's spool as a crash or a damaged disk leaves it,
 * replayed: any bytes in one or two segments, and an acked position that
 * may fall anywhere. The replay neither dies nor stops short: it ends with
 * nothing pending; every frame holds whole records (each line one JSON
 * object, the body a JSON array, NDJSON or the keruta API's object of
 * them); and every sound spool line after the acked position (taskId TAB
 * runId TAB seq TAB record, the ids by kr_id's rule, seq from 1 to 2^53 -
 * 1, the record a JSON object) is replayed once and in order, whatever
 * damage is around it.
 *
 * Input: form and records a frame; flags (two segments, an acked file,
 * the first segment's number); where the segments split; the acked
 * offset; then the spool's bytes.
 *
 * links: tools/keruta-ship/ship_spool.c tools/keruta-ship/ship_scan.c tools/keruta-ship/ship_form.c
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "kr_id.h"
#include "kr_io.h"
#include "kr_rec.h"
#include "../../tools/keruta-ship/ship.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
clean(void)
{
	struct dirent *e;
	char p[512];
	DIR *d;

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		(void)unlink(p);
	}
	closedir(d);
}

static void
cleanup(void)
{
	clean();
	(void)rmdir(dir);
}

static void
put(const char *name, const void *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    kr_writeall(fd, p, n) == -1 || close(fd) == -1)
		abort();
}

/* A spool line of the format, without its "\n": its record, or NULL. */
static const char *
sound(const char *p, size_t n, size_t *reclen)
{
	const char *t1, *t2, *t3, *q, *e = p + n;
	cJSON *r;

	if ((t1 = memchr(p, '\t', n)) == NULL ||
	    (t2 = memchr(t1 + 1, '\t', (size_t)(e - t1 - 1))) == NULL ||
	    (t3 = memchr(t2 + 1, '\t', (size_t)(e - t2 - 1))) == NULL)
		return NULL;
	if (!kr_id_valid(p, (size_t)(t1 - p)) ||
	    !kr_id_valid(t1 + 1, (size_t)(t2 - t1 - 1)))
		return NULL;
	/* seq: 1 to 2^53 - 1, in decimal without leading zeros. */
	if (t2[1] == '0' || t3 - t2 - 1 < 1 || t3 - t2 - 1 > 16)
		return NULL;
	for (q = t2 + 1; q < t3; q++)
		if (*q < '0' || *q > '9')
			return NULL;
	if (strtod(t2 + 1, NULL) > 9007199254740991.0)
		return NULL;
	*reclen = (size_t)(e - t3 - 1);
	if (*reclen == 0 || t3[1] != '{' || !ship_json_strict(t3 + 1,
	    *reclen) || (r = kr_rec_parse(t3 + 1, *reclen)) == NULL)
		return NULL;
	cJSON_Delete(r);
	return t3 + 1;
}

/* The sound lines of s[off..n): complete ones only when last. */
static void
expect(struct kr_buf *want, const char *s, size_t n, size_t off)
{
	const char *p = s + (off < n ? off : n), *e = s + n, *nl, *rec;
	size_t len;

	for (; p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL;
	    p = nl + 1) {
		if ((rec = sound(p, (size_t)(nl - p), &len)) == NULL)
			continue;
		if (kr_buf_add(want, rec, len) == -1 ||
		    kr_buf_addc(want, '\n') == -1)
			abort();
	}
}

/*
 * The array form, made as ws sends it: with a key of zeros, the records
 * between brackets and commas; masked with a key, that masked byte by
 * byte.
 */
static char *
array_body(const struct ship_frame *f)
{
	static const unsigned char zero[4], key[4] = { 0x5a, 0x0a, 0x26, 0xff };
	char *b, *m;
	size_t i;

	if ((b = malloc(f->len)) == NULL || (m = malloc(f->len)) == NULL)
		abort();
	ship_form_masked(b, f, zero);
	/* '[', the records with commas between them, ']'. */
	if (b[0] != '[')
		abort();
	for (i = 0; i < f->raw.len; i++)
		if (b[1 + i] != (f->raw.s[i] != '\n' ? f->raw.s[i] :
		    i + 1 < f->raw.len ? ',' : ']'))
			abort();
	ship_form_masked(m, f, key);
	for (i = 0; i < f->len; i++)
		if ((char)(m[i] ^ key[i & 3]) != b[i])
			abort();
	free(m);
	return b;
}

/* The body of a frame is what its form says of its records. */
static void
check_body(const struct ship_opts *o, const struct ship_frame *f)
{
	char *ab = NULL;
	const char *b = f->body;
	const cJSON *e;
	cJSON *j;
	size_t n = 0;

	if (o->form == SHIP_FORM_NDJSON) {
		if (f->body != NULL || f->len != f->raw.len)
			abort();
		return;
	}
	if (o->form == SHIP_FORM_ARRAY) {
		if (f->body != NULL || f->len != f->raw.len + 1)
			abort();
		b = ab = array_body(f);
	}
	if ((j = cJSON_ParseWithLength(b, f->len)) == NULL)
		abort();
	if (o->form == SHIP_FORM_ARRAY) {
		if (!cJSON_IsArray(j))
			abort();
		cJSON_ArrayForEach(e, j) {
			if (!cJSON_IsObject(e))
				abort();
			n++;
		}
		if (n != f->nrec)
			abort();
	} else if (!cJSON_IsObject(j) || kr_rec_get_str(j, "level") == NULL ||
	    kr_rec_get_str(j, "message") == NULL ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "metadata"))) {
		abort();
	}
	cJSON_Delete(j);
	free(ab);
}

/* Every line of a frame is one whole record. */
static void
check_frame(const struct ship_opts *o, const struct ship_frame *f,
    struct kr_buf *got)
{
	const char *p = f->raw.s, *e = f->raw.s + f->raw.len, *nl;
	size_t n = 0;
	cJSON *r;

	if (f->raw.len == 0 || f->raw.s[f->raw.len - 1] != '\n' ||
	    f->task[0] == '\0')
		abort();
	for (; p < e; p = nl + 1, n++) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if ((r = kr_rec_parse(p, (size_t)(nl - p))) == NULL)
			abort();
		cJSON_Delete(r);
	}
	if (n != f->nrec || n > o->frame_recs)
		abort();
	check_body(o, f);
	if (kr_buf_add(got, f->raw.s, f->raw.len) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ship_opts o = SHIP_OPTS_INIT;
	struct ship s;
	struct ship_frame *f;
	struct kr_buf want, got;
	const char *sp;
	unsigned long long base;
	size_t n, cut, aoff = 0;
	char name[32], acked[64];
	int flags, two, rounds;

	if (size < 4)
		return 0;
	if (dir[0] == '\0') {
		const char *t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
		    "/tmp";

		kr_diag_set_verbosity(KR_V_QUIET);
		snprintf(dir, sizeof dir, "%s/keruta-fuzz-XXXXXX", t);
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(cleanup);
	}
	clean();
	o.form = (enum ship_form)(data[0] % 3);
	o.frame_recs = o.form == SHIP_FORM_API ? 1 : 1 + (data[0] >> 2 & 7);
	o.frame_bytes = 4096;
	o.window_frames = 4;
	o.window_bytes = 1u << 20;
	o.seg_max = 1u << 20;
	flags = data[1];
	two = flags & 1;
	base = 1 + (flags >> 2 & 3);
	sp = (const char *)data + 4;
	n = size - 4;
	cut = two ? n * data[2] / 255 : n;

	/* The spool as it was left. */
	snprintf(name, sizeof name, "seg.%llu", base);
	put(name, sp, cut);
	if (two) {
		snprintf(name, sizeof name, "seg.%llu", base + 1);
		put(name, sp + cut, n - cut);
	}
	if (flags & 2) {
		aoff = (size_t)data[3] * 3;
		snprintf(acked, sizeof acked, "%llu %zu\n", base, aoff);
		put("acked", acked, strlen(acked));
	}

	/* What must come back: the sound lines after the acked position. */
	kr_buf_init(&want, 1u << 26);
	kr_buf_init(&got, 1u << 26);
	if (two) {
		expect(&want, sp, cut, aoff);
		expect(&want, sp + cut, n - cut, 0);
	} else {
		expect(&want, sp, n, aoff);
	}

	if ((o.spool = strdup(dir)) == NULL)
		abort();
	memset(&s, 0, sizeof s);
	s.o = &o;
	ship_spool_open(&s);
	s.eof = 1;
	/* A server that stores every frame at once. */
	for (rounds = 0; (f = ship_frame_next(&s)) != NULL; rounds++) {
		if (rounds > 100000)
			abort();
		check_frame(&o, f, &got);
		ship_frame_ok(&s, f);
	}
	if (!ship_finished(&s) || s.head != NULL)
		abort();	/* it stopped short */
	if (got.len != want.len || (got.len > 0 && memcmp(got.s, want.s,
	    got.len) != 0))
		abort();	/* lost, doubled or out of order */
	ship_spool_close(&s);
	free(o.spool);
	kr_buf_free(&want);
	kr_buf_free(&got);
	return 0;
}
