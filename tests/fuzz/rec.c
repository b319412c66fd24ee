/*
 * rec: lib/kr_rec's reader on any bytes, and its writer round-tripped: a
 * message written with kr_rec_text comes back from kr_rec_parse as the same
 * text (valid UTF-8), or with the exact bytes in "bytes" (invalid); a line
 * wrapped with kr_rec_wrap is a record marked malformed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "kr_json.h"
#include "kr_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct kr_rec_head head = {
	"task", "0123456789abcdef", 7, "2026-11-28T10:15:03.123456789Z",
	"stdout", "INFO"
};

static cJSON *
reparse(struct kr_buf *b)
{
	cJSON *r;

	if (b->len == 0 || b->s[b->len - 1] != '\n')
		abort();
	if ((r = kr_rec_parse(b->s, b->len - 1)) == NULL)
		abort();
	if (strcmp(kr_rec_get_str(r, "type"), "log") != 0)
		abort();
	return r;
}

static void
same_text(const cJSON *r, const char *key, const uint8_t *data, size_t size)
{
	const char *m = kr_rec_get_str(r, key), *bytes;
	struct kr_buf d;

	if (m == NULL)
		abort();
	if (kr_utf8_valid((const char *)data, size) == size) {
		/* cJSON ends strings at an escaped NUL: compare up to one. */
		const uint8_t *z = memchr(data, 0, size);
		size_t n = z ? (size_t)(z - data) : size;

		if (strlen(m) != n || memcmp(m, data, n) != 0)
			abort();
		if (kr_rec_get_str(r, "bytes") != NULL)
			abort();
		return;
	}
	if ((bytes = kr_rec_get_str(r, "bytes")) == NULL)
		abort();
	kr_buf_init(&d, 1u << 26);
	if (kr_base64_decode(&d, bytes, strlen(bytes)) == -1 ||
	    d.len != size || memcmp(d.s, data, size) != 0)
		abort();
	kr_buf_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct kr_buf b;
	cJSON *r;

	if ((r = kr_rec_parse(s, size)) != NULL) {
		(void)kr_rec_get_str(r, "message");
		(void)kr_rec_get_int(r, "seq", -1);
		cJSON_Delete(r);
	}
	kr_buf_init(&b, 1u << 26);
	if (kr_rec_open(&b, &head) == -1 ||
	    kr_rec_text(&b, "message", s, size, NULL) == -1 ||
	    kr_rec_close(&b) == -1)
		abort();
	r = reparse(&b);
	same_text(r, "message", data, size);
	if (kr_rec_get_int(r, "seq", -1) != 7)
		abort();
	cJSON_Delete(r);
	b.len = 0;
	if (kr_rec_wrap(&b, s, size, "task") == -1)
		abort();
	r = reparse(&b);
	/* A wrapped line loses its trailing "\r", as keruta(7) says. */
	same_text(r, "message", data, size - (size > 0 &&
	    data[size - 1] == '\r'));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "malformed")))
		abort();
	cJSON_Delete(r);
	kr_buf_free(&b);
	return 0;
}
