/*
 * ship_form.c: a frame's body as it goes on the wire, made from its
 * spooled records (one JSON text a line): a JSON array (ws), the lines
 * as they are (NDJSON, rest), or the keruta API's object for its one
 * record (keruta-api).
 */
#include <stdlib.h>
#include <string.h>

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
ship_form_body(enum ship_form form, size_t pre, struct ship_frame *f)
{
	size_t n = f->raw.len;
	char *p, *q;

	if (form == SHIP_FORM_API) {
		struct kr_buf b = KR_BUF_INIT(8 * (size_t)KR_REC_MAX);

		if (ship_api_body(&b, f->raw.s, n - 1) == -1)
			kr_die(KR_EX_BUG, "a spooled record does not parse");
		f->body = b.s;
		f->len = b.len;
		return;
	}
	if ((f->body = malloc(pre + n + 2)) == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	p = f->body + pre;
	if (form == SHIP_FORM_NDJSON) {
		memcpy(p, f->raw.s, n);
		f->len = n;
		return;
	}
	p[0] = '[';
	memcpy(p + 1, f->raw.s, n);
	/* Every line ends in '\n': the last one becomes the ']'. */
	for (q = p + 1; (q = memchr(q, '\n', (size_t)(p + n + 1 - q))) !=
	    NULL; q++)
		*q = ',';
	p[n] = ']';
	f->len = n + 1;
}
