/*
 * json: lib/kr_json's escaper, UTF-8 checks and base64, on any bytes.
 * Escaping gives JSON that cJSON reads back as the input (valid UTF-8) or
 * with U+FFFD in place of each bad sequence; kr_utf8_valid agrees with a
 * plain reading of RFC 3629; kr_utf8_cut never splits a character;
 * base64 round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "kr_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the valid UTF-8 character at p[0..n), or 0. */
static size_t
char_len(const uint8_t *p, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

static size_t
valid_prefix(const uint8_t *p, size_t n)
{
	size_t i = 0, l;

	while (i < n && (l = char_len(p + i, n - i)) != 0)
		i += l;
	return i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct kr_buf b, d;
	size_t valid = valid_prefix(data, size), cut, k;
	long bad;
	cJSON *j;

	if (kr_utf8_valid(s, size) != valid)
		abort();
	for (k = 0; k < size && k < 64; k++) {
		/* s[k] is read: k < size, as the contract asks. */
		cut = kr_utf8_cut(s, k);
		if (cut > k)
			abort();
		/*
		 * A cut inside the valid prefix lands on a character start,
		 * unless that would be 0: a cut always makes progress.
		 */
		if (k >= 4 && cut < valid && (data[cut] & 0xc0) == 0x80)
			abort();
	}
	kr_buf_init(&b, 1u << 26);
	kr_buf_addc(&b, '"');
	if ((bad = kr_json_escape_utf8(&b, s, size)) == -1)
		abort();
	kr_buf_addc(&b, '"');
	if ((bad == 0) != (valid == size))
		abort();
	if ((j = cJSON_ParseWithLength(b.s, b.len)) == NULL || !cJSON_IsString(j))
		abort();
	if (bad == 0 && memchr(data, 0, size) == NULL &&
	    (strlen(j->valuestring) != size ||
	    memcmp(j->valuestring, data, size) != 0))
		abort();
	cJSON_Delete(j);
	b.len = 0;
	kr_buf_init(&d, 1u << 26);
	if (kr_base64_add(&b, data, size) == -1 ||
	    kr_base64_decode(&d, b.s, b.len) == -1 || d.len != size ||
	    (size && memcmp(d.s, data, size) != 0))
		abort();
	d.len = 0;
	(void)kr_base64_decode(&d, s, size);
	kr_buf_free(&b);
	kr_buf_free(&d);
	return 0;
}
