/*
 * ship_form.c: a frame's body as it goes on the wire, made from its
 * spooled records (one JSON text a line): a JSON array (ws), made as it
 * is sent and masked in the same pass; the lines as they are (NDJSON,
 * rest); or the keruta API's object for its one record (keruta-api).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cJSON.h>

#include "kr_diag.h"
#include "kr_rec.h"
#include "ship.h"

int
ship_api_body(struct kr_buf *out, const char *json, size_t n)
{
	static const char *const top[] = { "type", "taskId", "level",
	    "message", "source", "metadata", NULL };
	cJSON *r, *o, *md, *e, *next, *old;
	const char *lv, *src, *msg;
	char *t;
	size_t i;

	if ((r = kr_rec_parse(json, n)) == NULL)
		return -1;
	o = cJSON_CreateObject();
	md = cJSON_CreateObject();
	lv = kr_rec_get_str(r, "level");
	src = kr_rec_get_str(r, "source");
	msg = kr_rec_get_str(r, "message");
	if (lv == NULL)
		lv = "INFO";
	if (strcmp(lv, "TRACE") == 0 || strcmp(lv, "FATAL") == 0)
		cJSON_AddStringToObject(md, "level", lv);
	cJSON_AddStringToObject(o, "level", strcmp(lv, "TRACE") == 0 ?
	    "DEBUG" : strcmp(lv, "FATAL") == 0 ? "ERROR" : lv);
	cJSON_AddStringToObject(o, "message", msg ? msg : "");
	cJSON_AddStringToObject(o, "source", src ? src : "stdout");
	for (e = r->child; e != NULL; e = next) {
		next = e->next;
		for (i = 0; top[i] != NULL; i++)
			if (strcmp(e->string, top[i]) == 0)
				break;
		if (top[i] != NULL ||
		    cJSON_GetObjectItemCaseSensitive(md, e->string) != NULL)
			continue;
		cJSON_AddItemToObject(md, e->string,
		    cJSON_DetachItemViaPointer(r, e));
	}
	old = cJSON_GetObjectItemCaseSensitive(r, "metadata");
	if (cJSON_IsObject(old)) {
		for (e = old->child; e != NULL; e = next) {
			next = e->next;
			if (cJSON_GetObjectItemCaseSensitive(md, e->string))
				continue;
			cJSON_AddItemToObject(md, e->string,
			    cJSON_DetachItemViaPointer(old, e));
		}
	}
	cJSON_AddItemToObject(o, "metadata", md);
	t = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	cJSON_Delete(r);
	if (t == NULL)
		return -1;
	if (kr_buf_adds(out, t) == -1) {
		cJSON_free(t);
		return -1;
	}
	cJSON_free(t);
	return 0;
}

void
ship_form_body(enum ship_form form, struct ship_frame *f)
{
	size_t n = f->raw.len;
	struct kr_buf b = KR_BUF_INIT(8 * (size_t)KR_REC_MAX);

	if (form == SHIP_FORM_ARRAY) {
		/* Made as it goes: ship_form_masked. */
		f->body = NULL;
		f->len = n + 1;
	} else if (form == SHIP_FORM_NDJSON) {
		f->body = NULL;
		f->len = n;
	} else {
		if (ship_api_body(&b, f->raw.s, n - 1) == -1)
			kr_die(KR_EX_BUG, "a spooled record does not parse");
		f->body = b.s;
		f->len = b.len;
	}
}

/* The bytes of x that are '\n', as 1 in each, 0 elsewhere. */
static uint64_t
newlines(uint64_t x)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL;

	x ^= 0x0a0a0a0a0a0a0a0aULL;
	/* ((x & lo7) + lo7) | x has a byte's high bit set where the byte
	 * is not 0, exactly (no carry from one byte to the next). */
	return (~(((x & lo7) + lo7) | x) & ~lo7) >> 7;
}

void
ship_form_masked(char *out, const struct ship_frame *f,
    const unsigned char key[4])
{
	const char *p = f->raw.s;
	size_t n = f->raw.len, i;
	uint64_t k8, x;

	/* The array's '[' is byte 0: a record byte i is byte i + 1. */
	out[0] = (char)('[' ^ key[0]);
	for (i = 0; i < 8; i++)
		((unsigned char *)&k8)[i] = key[(i + 1) & 3];
	i = 0;
#ifdef __SSE2__
	{
		/* 16 bytes at a time (every x86-64 has SSE2). */
		__m128i k16 = _mm_set_epi64x((long long)k8, (long long)k8);
		__m128i nl = _mm_set1_epi8('\n'), d = _mm_set1_epi8(0x26), v;

		for (; i + 16 <= n; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(p +
			    i));
			v = _mm_xor_si128(v, _mm_and_si128(_mm_cmpeq_epi8(v,
			    nl), d));
			_mm_storeu_si128((__m128i *)(void *)(out + 1 + i),
			    _mm_xor_si128(v, k16));
		}
	}
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		/* '\n' ^ ',' is 0x26: a line's end becomes a comma. */
		x ^= newlines(x) * 0x26 ^ k8;
		memcpy(out + 1 + i, &x, 8);
	}
	for (; i < n; i++)
		out[1 + i] = (char)((p[i] == '\n' ? ',' : p[i]) ^
		    key[(i + 1) & 3]);
	/* The last line's end closes the array. */
	out[n] = (char)(']' ^ key[n & 3]);
}
