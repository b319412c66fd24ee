/*
 * same-json.h: for the fuzz harnesses that hold a reader to cJSON: a whole
 * text as one value, and two trees structurally equal, members in order
 * (cJSON_Compare folds duplicate keys).
 */
#ifndef SAME_JSON_H
#define SAME_JSON_H

#include <string.h>

#include <cJSON.h>

/*
 * The whole of s[0..n) as one JSON value (white space after it allowed
 * when ws), or NULL.
 */
static __attribute__((unused)) cJSON *
parse_all(const char *s, size_t n, int ws)
{
	const char *end = NULL;
	cJSON *j;

	if (n == 0 || (j = cJSON_ParseWithLengthOpts(s, n, &end, 0)) == NULL)
		return NULL;
	while (ws && end < s + n && (*end == ' ' || *end == '\t' ||
	    *end == '\r' || *end == '\n'))
		end++;
	if (end != s + n) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static __attribute__((unused)) int
same_json(const cJSON *a, const cJSON *b)
{
	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
		for (a = a->child, b = b->child; a && b; a = a->next,
		    b = b->next)
			if ((a->string != NULL && strcmp(a->string,
			    b->string) != 0) || !same_json(a, b))
				return 0;
		return a == NULL && b == NULL;
	}
	return 1;
}

#endif
