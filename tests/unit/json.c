/* Unit tests: kr_json (escaping, UTF-8, base64) and kr_buf. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kr_buf.h"
#include "kr_json.h"
#include "tap.h"

static char *
esc(const char *s, size_t n)
{
	static struct kr_buf b = KR_BUF_INIT(1 << 20);

	b.len = 0;
	kr_json_escape(&b, s, n);
	kr_buf_addc(&b, '\0');
	return b.s;
}

static char *
esc8(const char *s, size_t n, long *bad)
{
	static struct kr_buf b = KR_BUF_INIT(1 << 20);

	b.len = 0;
	*bad = kr_json_escape_utf8(&b, s, n);
	kr_buf_addc(&b, '\0');
	return b.s;
}

int
main(void)
{
	struct kr_buf b = KR_BUF_INIT(8);
	long bad;
	char big[300];

	is(esc("plain text", 10), "plain text", "plain text is copied");
	is(esc("a\"b\\c", 5), "a\\\"b\\\\c", "quote and backslash escaped");
	is(esc("\n\r\t\b\f", 5), "\\n\\r\\t\\b\\f", "short escapes");
	is(esc("\x01\x1f\x7f", 3), "\\u0001\\u001f\x7f",
	    "control bytes as \\u00XX, DEL kept");
	is(esc("a\0b", 3), "a\\u0000b", "NUL survives as \\u0000");
	is(esc("caf\xc3\xa9 \xe2\x82\xac", 9), "caf\xc3\xa9 \xe2\x82\xac",
	    "UTF-8 copied as is");

	is(esc8("ok \xc3\xa9", 5, &bad), "ok \xc3\xa9", "valid UTF-8 kept");
	ok(bad == 0, "no replacement counted");
	is(esc8("a\xff" "b", 3, &bad), "a\xef\xbf\xbd" "b",
	    "a bad byte becomes U+FFFD");
	ok(bad == 1, "one replacement counted");
	is(esc8("\xe2\x82", 2, &bad), "\xef\xbf\xbd",
	    "a truncated sequence is one U+FFFD");
	is(esc8("\xc0\xaf", 2, &bad), "\xef\xbf\xbd",
	    "an overlong encoding is replaced");
	is(esc8("\xed\xa0\x80", 3, &bad), "\xef\xbf\xbd",
	    "a surrogate is replaced");
	is(esc8("\xf4\x90\x80\x80", 4, &bad), "\xef\xbf\xbd",
	    "a code point past U+10FFFF is replaced");
	ok(kr_utf8_valid("ab\xe2\x82\xac\xff", 6) == 5,
	    "kr_utf8_valid stops at the first bad byte");
	{
		/* ASCII is read 32 then 8 bytes at a time: a bad byte, or
		 * a good character, at every offset of a long line, the bad
		 * one also last of a line cut after it. */
		char line[128];
		size_t at, badat = 0, goodat = 0;

		for (at = 0; at < 125; at++) {
			memset(line, 'a', sizeof line);
			line[at] = '\xff';
			if ((kr_utf8_valid(line, sizeof line) != at ||
			    kr_utf8_valid(line, at + 1) != at) && !badat)
				badat = at + 1;
			memset(line, 'a', sizeof line);
			memcpy(line + at, "\xe2\x82\xac", 3);
			if (kr_utf8_valid(line, sizeof line) != sizeof line &&
			    !goodat)
				goodat = at + 1;
		}
		ok(badat == 0, "kr_utf8_valid finds a bad byte at any offset");
		ok(goodat == 0, "and reads a character at any offset");
		ok(kr_utf8_valid(line, 63) == 63 && kr_utf8_valid(line, 0) == 0,
		    "and stops at the length given");
	}
	ok(kr_utf8_cut("ab\xe2\x82\xac", 3) == 2,
	    "kr_utf8_cut does not split a character");
	ok(kr_utf8_cut("abcd", 2) == 2, "kr_utf8_cut on ASCII is exact");

	ok(kr_buf_add(&b, "12345678", 8) == 0, "kr_buf fills to max");
	ok(kr_buf_addc(&b, '9') == -1 && errno == ENOBUFS && b.len == 8,
	    "kr_buf refuses past max and stays as it was");
	b.len = 0;
	kr_buf_addi64(&b, -42);
	is(b.s, "-42", "kr_buf_addi64");
	kr_buf_free(&b);
	kr_buf_init(&b, 64);
	kr_base64_add(&b, "hello", 5);
	is(b.s, "aGVsbG8=", "base64 encode");
	{
		struct kr_buf d = KR_BUF_INIT(64);

		ok(kr_base64_decode(&d, b.s, b.len) == 0 && d.len == 5 &&
		    memcmp(d.s, "hello", 5) == 0, "base64 round trip");
		d.len = 0;
		ok(kr_base64_decode(&d, "aGV*", 4) == -1,
		    "bad base64 is refused");
		kr_buf_free(&d);
	}
	kr_buf_free(&b);
	ok(kr_hexval('0') == 0 && kr_hexval('9') == 9 && kr_hexval('a') == 10 &&
	    kr_hexval('F') == 15, "kr_hexval of digits");
	ok(kr_hexval('g') == -1 && kr_hexval(-17) == -1 && kr_hexval('/') == -1,
	    "kr_hexval of non-digits");
	{
		/* Plain text is copied 16 and 8 bytes at a time: each byte to
		 * escape at every offset of a long line, the rest kept. */
		static const char specials[] = "\"\\\n\x01\x1f";
		static const char *const want[] = {"\\\"", "\\\\", "\\n",
		    "\\u0001", "\\u001f"};
		char line[40], expect[64];
		size_t at, k, wrong = 0;

		for (k = 0; k < 5; k++)
			for (at = 0; at < sizeof line; at++) {
				memset(line, 'a', sizeof line);
				line[at] = specials[k];
				snprintf(expect, sizeof expect, "%.*s%s%.*s",
				    (int)at, line, want[k],
				    (int)(sizeof line - at - 1), line + at + 1);
				if (strcmp(esc(line, sizeof line),
				    expect) != 0 && wrong++ == 0)
					printf("# offset %zu: %s\n", at,
					    esc(line, sizeof line));
			}
		ok(wrong == 0, "a byte to escape is found at any offset");
		memset(line, 0x7e, sizeof line);
		line[9] = (char)0x80;
		line[20] = (char)0xff;
		ok(memcmp(esc(line, sizeof line), line, sizeof line) == 0,
		    "bytes from 0x20 up but '\"' and '\\' are copied as "
		    "they are");
	}
	b.len = 0;
	b.max = 8;
	ok(kr_buf_add(&b, "1234567", 7) == 0 && kr_buf_add(&b, "8", 1) == 0 &&
	    b.len == 8 && strcmp(b.s, "12345678") == 0 &&
	    kr_buf_add(&b, "", 0) == 0 && kr_buf_adds(&b, "9") == -1 &&
	    b.len == 8, "an append that fits in place stops at max too");
	kr_buf_free(&b);
	memset(big, 'x', sizeof big);
	big[299] = '"';
	ok(strlen(esc(big, sizeof big)) == 301, "long input escaped whole");
	return done_testing();
}
