/* kr_forms: the encoded forms of a secret value. */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "kr_buf.h"
#include "kr_forms.h"
#include "kr_json.h"

/*
 * The base64 characters that depend on v alone when v starts at byte
 * offset a (0, 1, 2) of a longer blob, standard and URL-safe alphabets.
 */
static int
base64_forms(struct kr_buf *b, struct kr_buf *in, const char *v, size_t n,
    kr_form_fn fn, void *arg)
{
	size_t a, lo, hi, i;
	int rc;

	for (a = 0; a < 3; a++) {
		in->len = b->len = 0;
		if (kr_buf_add(in, "\0\0", a) == -1 ||
		    kr_buf_add(in, v, n) == -1 ||
		    kr_buf_add(in, "\0\0", 2) == -1 ||
		    kr_base64_add(b, in->s, in->len) == -1)
			return -1;
		lo = (8 * a + 5) / 6;
		hi = (8 * a + 8 * n) / 6;
		if (hi <= lo)
			continue;
		if ((rc = fn(arg, b->s + lo, hi - lo)) != 0)
			return rc;
		for (i = lo; i < hi; i++)
			if (b->s[i] == '+')
				b->s[i] = '-';
			else if (b->s[i] == '/')
				b->s[i] = '_';
		if ((rc = fn(arg, b->s + lo, hi - lo)) != 0)
			return rc;
	}
	return 0;
}

/* URL-encoded (uppercase hex, lowercase, '+' for space), then hex. */
static int
hex_forms(struct kr_buf *b, const char *v, size_t n, kr_form_fn fn,
    void *arg)
{
	static const char hexu[] = "0123456789ABCDEF",
			  hexl[] = "0123456789abcdef";
	size_t i;
	int pass, rc;

	for (pass = 0; pass < 3; pass++) {
		b->len = 0;
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)v[i];
			const char *h = pass == 1 ? hexl : hexu;

			if (isalnum(ch) || strchr("-._~", ch) != NULL)
				kr_buf_addc(b, (char)ch);
			else if (ch == ' ' && pass == 2)
				kr_buf_addc(b, '+');
			else {
				kr_buf_addc(b, '%');
				kr_buf_addc(b, h[ch >> 4]);
				kr_buf_addc(b, h[ch & 15]);
			}
		}
		if (b->s == NULL)
			return -1;
		if ((rc = fn(arg, b->s, b->len)) != 0)
			return rc;
	}
	for (pass = 0; pass < 2; pass++) {
		const char *h = pass ? hexu : hexl;

		b->len = 0;
		for (i = 0; i < n; i++) {
			kr_buf_addc(b, h[(unsigned char)v[i] >> 4]);
			kr_buf_addc(b, h[(unsigned char)v[i] & 15]);
		}
		if (b->s == NULL)
			return -1;
		if ((rc = fn(arg, b->s, b->len)) != 0)
			return rc;
	}
	return 0;
}

/* JSON-escaped, with and without "\/". */
static int
json_forms(struct kr_buf *b, const char *v, size_t n, kr_form_fn fn,
    void *arg)
{
	size_t i;
	int rc;

	b->len = 0;
	if (kr_json_escape_utf8(b, v, n) == -1)
		return -1;
	if ((rc = fn(arg, b->s, b->len)) != 0 || memchr(v, '/', n) == NULL)
		return rc;
	b->len = 0;
	for (i = 0; i < n; i++) {
		if (v[i] == '/')
			kr_buf_addc(b, '\\');
		kr_json_escape_utf8(b, v + i, 1);
	}
	return b->s == NULL ? -1 : fn(arg, b->s, b->len);
}

int
kr_forms(const char *v, size_t n, kr_form_fn fn, void *arg)
{
	struct kr_buf b = KR_BUF_INIT((size_t)1 << 30),
		      in = KR_BUF_INIT((size_t)1 << 30);
	int rc;

	if ((rc = fn(arg, v, n)) == 0 &&
	    (rc = base64_forms(&b, &in, v, n, fn, arg)) == 0 &&
	    (rc = hex_forms(&b, v, n, fn, arg)) == 0)
		rc = json_forms(&b, v, n, fn, arg);
	if (in.s != NULL)
		sodium_memzero(in.s, in.cap);
	if (b.s != NULL)
		sodium_memzero(b.s, b.cap);
	kr_buf_free(&in);
	kr_buf_free(&b);
	return rc;
}
