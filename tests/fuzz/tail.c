/*
 * tail: keruta-tail's formatter on any records, with and without colour:
 * nothing reaches the terminal that moves, clears, retitles or hides; the
 * only escape sequences out are colours (SGR), and only when asked.
 * Lines that are JSON objects are taken as records, any other line becomes
 * the message of one; the first byte sets colour and timestamps.
 * --raw on the same records: the line of a whole stdout record is its
 * message as the full parser decodes it, byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int tail_main(int argc, char *argv[]);
#define main tail_main
#include "../../tools/keruta-tail.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct kr_rec_head head = {
	"t", "0123456789abcdef", 1, "2026-11-28T10:15:03.123456789Z",
	"stdout", "INFO"
};

static void
screen_safe(const struct kr_buf *b, int color)
{
	size_t i, k;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->s[i];

		if (c == 0x1b) {
			if (!color || i + 1 >= b->len || b->s[i + 1] != '[')
				abort();
			for (k = i + 2; k < b->len &&
			    strchr("0123456789;:", b->s[k]) != NULL &&
			    b->s[k] != '\0'; k++)
				;
			if (k >= b->len || b->s[k] != 'm')
				abort();
			i = k;
			continue;
		}
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			abort();
		if (c == 0xc2 && i + 1 < b->len &&
		    (unsigned char)b->s[i + 1] >= 0x80 &&
		    (unsigned char)b->s[i + 1] <= 0x9f)
			abort();
	}
}

static void
raw_same(const struct tail_opts *o, const cJSON *r, const char *line,
    size_t len)
{
	struct view v;
	struct kr_buf out = KR_BUF_INIT(1u << 26);
	struct stdin_state st = { -1, -1, "" };
	const char *msg = kr_rec_get_str(r, "message");
	const char *src = kr_rec_get_str(r, "source");
	cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "partial");
	cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "continued");

	view_init(&v, o);
	raw_line(o, &v, &out, line, len, &st);
	/* cJSON ends a string at an escaped NUL, kr_jr keeps it; cJSON
	 * takes text after the object, kr_jr does not (keruta(7)). */
	if (msg != NULL && src != NULL && strcmp(src, "stdout") == 0 &&
	    kr_jr_valid(line, len, 0) == 0 &&
	    !cJSON_IsTrue(p) && !cJSON_IsTrue(c) &&
	    (out.len != strlen(msg) + 1 || memcmp(out.s, msg, out.len - 1)) &&
	    memchr(out.s, '\0', out.len) == NULL)
		abort();
	kr_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tail_opts o;
	struct view v;
	struct kr_buf b, rec;
	const char *s = (const char *)data, *e, *nl;
	cJSON *r;

	if (size == 0)
		return 0;
	memset(&o, 0, sizeof o);
	o.sources = SRC_ALL;
	o.levels = (1u << KR_NLEVELS) - 1;
	o.since_ns = -1;
	o.color = data[0] & 1;
	o.timestamps = (data[0] >> 1) & 1;
	view_init(&v, &o);
	kr_buf_init(&b, 1u << 26);
	kr_buf_init(&rec, 1u << 26);
	for (s++, e = (const char *)data + size; s < e; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
			nl = e;
		if ((r = kr_rec_parse(s, (size_t)(nl - s))) == NULL) {
			rec.len = 0;
			kr_rec_open(&rec, &head);
			kr_rec_text(&rec, "message", s, (size_t)(nl - s), NULL);
			kr_rec_close(&rec);
			r = kr_rec_parse(rec.s, rec.len - 1);
		}
		if (r == NULL)
			abort();
		format_record(&b, r, &v);
		raw_same(&o, r, rec.len > 0 ? rec.s : s,
		    rec.len > 0 ? rec.len - 1 : (size_t)(nl - s));
		rec.len = 0;
		cJSON_Delete(r);
	}
	screen_safe(&b, o.color);
	kr_buf_free(&b);
	kr_buf_free(&rec);
	return 0;
}
