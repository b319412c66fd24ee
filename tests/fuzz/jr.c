/*
 * jr: lib/kr_jr, the record reader, on any bytes, against cJSON. What the
 * reader takes cJSON takes too (but for numbers over 63 bytes, which
 * cJSON cuts), with the same values: each string decoded as cJSON
 * decodes it, each number the same double, members in order; its
 * compact copy reads back as the same value. What cJSON takes and the
 * reader refuses is one of cJSON's leniencies: invalid UTF-8, a raw
 * control byte, a number JSON does not write, a \u escape of bad hex
 * digits, a control byte or a byte order mark where white space goes,
 * nesting deeper than KR_JR_DEPTH. With KR_JR_UTF8_OK on valid UTF-8, or
 * KR_JR_CTRL on text without control bytes, the verdict is the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "kr_json.h"
#include "kr_jr.h"
#include "same-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kr_buf dec = KR_BUF_INIT(1 << 24);

/* The string read equals cJSON's, which ends at a NUL. */
static void
same_str(const struct kr_jr_str *str, const char *cs)
{
	size_t n = strlen(cs);

	dec.len = 0;
	if (kr_jr_decode(&dec, str) == -1)
		abort();
	if (dec.len < n || memcmp(dec.s, cs, n) != 0 ||
	    (dec.len > n && dec.s[n] != '\0'))
		abort();
}

/* Reads the value at j->p along with cJSON's reading of it. */
static void
walk(struct kr_jr *j, const cJSON *c)
{
	struct kr_jr_str s;
	const char *np;
	size_t nn;
	int n = 0, r;

	switch (kr_jr_peek(j)) {
	case KR_JR_STRING:
		if (!cJSON_IsString(c) || kr_jr_string(j, &s, 0) == -1)
			abort();
		same_str(&s, c->valuestring);
		return;
	case KR_JR_NUMBER:
		if (!cJSON_IsNumber(c) || kr_jr_number(j, &np, &nn) == -1 ||
		    kr_jr_double(np, nn) != c->valuedouble)
			abort();
		return;
	case KR_JR_OBJECT:
		if (!cJSON_IsObject(c) || kr_jr_enter(j) == -1)
			abort();
		for (c = c->child; (r = kr_jr_member(j, &n, &s)) == 1;
		    c = c->next) {
			if (c == NULL)
				abort();
			same_str(&s, c->string);
			walk(j, c);
		}
		if (r != 0 || c != NULL)
			abort();
		return;
	case KR_JR_ARRAY:
		if (!cJSON_IsArray(c) || kr_jr_enter(j) == -1)
			abort();
		for (c = c->child; (r = kr_jr_elem(j, &n)) == 1; c = c->next) {
			if (c == NULL)
				abort();
			walk(j, c);
		}
		if (r != 0 || c != NULL)
			abort();
		return;
	default:
		r = kr_jr_literal(j);
		if ((r == KR_JR_TRUE && !cJSON_IsTrue(c)) ||
		    (r == KR_JR_FALSE && !cJSON_IsFalse(c)) ||
		    (r == KR_JR_NULL && !cJSON_IsNull(c)) || r == KR_JR_NONE)
			abort();
	}
}

/* cJSON's reading of all of s[0..n), its white space (bytes <= 32) at
 * the end aside; or NULL. */
static cJSON *
cjson(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *c;

	if ((c = cJSON_ParseWithLengthOpts(s, n, &end, 0)) == NULL)
		return NULL;
	while (end < s + n && (unsigned char)*end <= ' ')
		end++;
	if (end != s + n) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

static int
lenient(const struct kr_jr *j, const char *s, size_t n)
{
	switch (j->err) {
	case KR_JR_EUTF8:
	case KR_JR_ECTRL:
	case KR_JR_ENUMBER:
	case KR_JR_EDEPTH:	/* cJSON goes 1000 deep */
		return 1;
	case KR_JR_EESCAPE:
		return j->errp[1] == 'u';	/* cJSON: bad hex is 0 */
	case KR_JR_ESYNTAX:
	case KR_JR_ETRAIL:
		return (unsigned char)*j->errp < ' ' || (j->errp == s &&
		    n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0);
	default:
		return 0;
	}
}

static int
verdict(const char *s, size_t n, int flags, struct kr_jr *j)
{
	kr_jr_init(j, s, n, flags);
	return kr_jr_skip(j) == 0 && kr_jr_end(j) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kr_buf copy = KR_BUF_INIT(1 << 24);
	const char *s = (const char *)data;
	struct kr_jr j, k;
	cJSON *c, *c2;
	size_t i;
	int ok;

	ok = verdict(s, size, 0, &j);
	c = cjson(s, size);
	if (ok && c == NULL && j.nummax < 64)
		abort();
	if (!ok && c != NULL && !lenient(&j, s, size))
		abort();
	if (kr_utf8_valid(s, size) == size &&
	    verdict(s, size, KR_JR_UTF8_OK, &k) != ok)
		abort();
	for (i = 0; i < size && data[i] >= ' '; i++)
		;
	if (i == size && verdict(s, size, KR_JR_CTRL, &k) != ok)
		abort();
	if (ok && c != NULL) {
		kr_jr_init(&j, s, size, 0);
		walk(&j, c);
		kr_jr_init(&j, s, size, 0);
		copy.len = 0;
		if (kr_jr_copy(&j, &copy) == -1 ||
		    (c2 = cjson(copy.s, copy.len)) == NULL ||
		    !same_json(c, c2))
			abort();
		cJSON_Delete(c2);
	}
	cJSON_Delete(c);
	return 0;
}
