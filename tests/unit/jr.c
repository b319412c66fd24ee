/* Unit tests: kr_jr, the record reader every tool reads records with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_jr.h"
#include "kr_json.h"
#include "tap.h"

/* The verdict on s, with flags: "ok", or the error and its offset. */
static const char *
verdict(const char *s, size_t n, int flags)
{
	static char v[64];
	struct kr_jr j;

	kr_jr_init(&j, s, n, flags);
	if (kr_jr_skip(&j) == 0 && kr_jr_end(&j) == 0)
		return "ok";
	snprintf(v, sizeof v, "%s at %td", kr_jr_strerror(j.err),
	    j.errp - s);
	return v;
}

/* s with its control bytes shown as \xNN, for a test's name. */
static const char *
shown(const char *s)
{
	static char b[256];
	size_t i, k = 0;

	for (i = 0; s[i] != '\0' && k + 5 < sizeof b; i++)
		if ((unsigned char)s[i] < 0x20)
			k += (size_t)snprintf(b + k, sizeof b - k, "\\x%02x",
			    (unsigned char)s[i]);
		else
			b[k++] = s[i];
	b[k] = '\0';
	return b;
}

static const char *
v(const char *s)
{
	return verdict(s, strlen(s), 0);
}

/* The decoded value of the one string s holds. */
static const char *
decoded(const char *s)
{
	static struct kr_buf b = KR_BUF_INIT(1 << 10);
	struct kr_jr_str str;
	struct kr_jr j;

	kr_jr_init(&j, s, strlen(s), 0);
	b.len = 0;
	if (kr_jr_string(&j, &str, 1) == -1 || kr_jr_decode(&b, &str) == -1 ||
	    kr_buf_addc(&b, '\0') == -1)
		return "(error)";
	return b.s;
}

/*
 * The reference: the string at s[at] ('"') read a byte at a time, as
 * RFC 8259 and kr_jr.h have it, with no look ahead. Its end past the
 * closing quote, or 0 with *err and *errp set; *esc as kr_jr_str's.
 */
static size_t
ref_string(const char *s, size_t n, size_t at, int flags, int lone,
    int *esc, enum kr_jr_err *err, size_t *errp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t p = at + 1, k;
	long c, lo;

	*esc = 0;
	for (;;) {
		if (p >= n) {
			*err = KR_JR_EEND, *errp = n;
			return 0;
		}
		if (u[p] == '"')
			return p + 1;
		if (u[p] < 0x20) {
			if (!(flags & KR_JR_CTRL)) {
				*err = KR_JR_ECTRL, *errp = p;
				return 0;
			}
			p++;
		} else if (u[p] >= 0x80) {
			k = flags & KR_JR_UTF8_OK ? 1 :
			    kr_utf8_char(u + p, u + n);
			if (k == 0) {
				*err = KR_JR_EUTF8, *errp = p;
				return 0;
			}
			p += k;
		} else if (u[p] != '\\') {
			p++;
		} else {
			*esc |= KR_JR_ESC;
			*errp = p;
			if (n - p < 2) {
				*err = KR_JR_EEND, *errp = n;
				return 0;
			}
			if (strchr("\"\\/bfnrt", u[p + 1]) != NULL &&
			    u[p + 1] != '\0') {
				p += 2;
				continue;
			}
			*err = KR_JR_EESCAPE;
			if (u[p + 1] != 'u')
				return 0;
			for (c = 0, k = 2; k < 6 && p + k < n; k++) {
				if (kr_hexval(u[p + k]) < 0)
					return 0;
				c = c << 4 | kr_hexval(u[p + k]);
			}
			if (k < 6) {
				*err = KR_JR_EEND;
				return 0;
			}
			lo = -1;
			if (p + 12 <= n && u[p + 6] == '\\' && u[p + 7] == 'u')
				for (lo = 0, k = 8; k < 12 && lo >= 0; k++)
					lo = kr_hexval(u[p + k]) < 0 ? -1 :
					    lo << 4 | kr_hexval(u[p + k]);
			if (c >= 0xd800 && c <= 0xdbff && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				p += 12;
			} else if (c >= 0xd800 && c <= 0xdfff) {
				if (!lone) {
					*err = KR_JR_ESURROGATE;
					return 0;
				}
				*esc |= KR_JR_LONE;
				p += 6;
			} else
				p += 6;
		}
	}
}

/*
 * The reader against the reference on ["a","b"] where a and b hold
 * every kind of byte and escape, at every place in strings of the
 * lengths around the looks' sizes (16, 64), after the text's 64th byte
 * or before, the text cut short inside those bytes too; each text in a
 * buffer of its own size, so that a look past its end is a fault under
 * ASan.
 */
static void
against_reference(void)
{
	static const char *const odd[] = { "\\n", "\\/", "\\u00e9",
	    "\\ud83d\\ude00", "\\ud800", "\\udc00x", "\\ud800\\u0041",
	    "\\uD83D\\uDE00", "\\u12g4", "\\u12", "\\q", "\\", "\xc3\xa9",
	    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xc3(",
	    "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x01", "\x1f",
	    "\t", "\x7f", " ", "\x80", NULL };
	static const int fl[] = { 0, KR_JR_CTRL, KR_JR_UTF8_OK,
	    KR_JR_CTRL | KR_JR_UTF8_OK | KR_JR_SPACES };
	char t[256];
	size_t len, at, o, f, n, cut, e1, e2, errp, bad = 0, cases = 0;
	enum kr_jr_err err;
	int esc;

	for (len = 0; len <= 140 && bad == 0; len += len < 72 ? 1 : 17)
	for (o = 0; odd[o] != NULL && bad == 0; o++)
	for (at = 0; at <= len && bad == 0; at++) {
		size_t on = strlen(odd[o]), pad = (len + at + o) % 5;

		/* pad spaces, then [ "x", "<at a's><odd><len-at a's>" ] */
		n = 0;
		memset(t, ' ', pad);
		n = pad;
		memcpy(t + n, "[\"x\",\"", 6);
		n += 6;
		memset(t + n, 'a', at);
		n += at;
		memcpy(t + n, odd[o], on);
		n += on;
		memset(t + n, 'a', len - at);
		n += len - at;
		memcpy(t + n, "\"]", 2);
		n += 2;
		/* cut inside or just past the odd bytes, or at the end */
		for (f = 0; f < sizeof fl / sizeof fl[0]; f++)
		for (cut = pad + 6 + at; cut <= n; cut = cut < pad + 7 + at +
		    on ? cut + 1 : cut < n - 1 ? n - 1 : n + 1) {
			char *b = malloc(cut ? cut : 1), want[64];
			const char *got;

			memcpy(b, t, cut);
			/* the reference: the first string, then the second */
			e1 = ref_string(b, cut, pad + 1, fl[f], 0, &esc, &err,
			    &errp);
			if (e1 != 0 && cut <= e1) {
				err = KR_JR_EEND, errp = cut;
				e2 = 0;
			} else if (e1 != 0)
				e2 = ref_string(b, cut, e1 + 1, fl[f], 0, &esc,
				    &err, &errp);
			else
				e2 = 0;
			if (e2 != 0 && e2 < cut)
				snprintf(want, sizeof want, "ok");
			else if (e2 != 0)
				snprintf(want, sizeof want, "%s at %zu",
				    kr_jr_strerror(KR_JR_EEND), cut);
			else
				snprintf(want, sizeof want, "%s at %zu",
				    kr_jr_strerror(err), errp);
			got = verdict(b, cut, fl[f]);
			cases++;
			if (strcmp(got, want) != 0 && bad++ == 0)
				printf("# %s: got %s, want %s\n", shown(t), got,
				    want);
			free(b);
		}
	}
	ok(bad == 0, "the reader agrees with a byte-at-a-time reference on "
	    "%zu texts", cases);
}

/* The end of the number JSON writes at s[0..n), or 0 for none there. */
static size_t
ref_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i < n && strchr("0123456789.eE+-", s[i]) != NULL ? 0 : i;
}

/* Every text of up to 5 bytes of digits, signs, points, exponents and
 * an 'x', against ref_number; each in a buffer of its own size. */
static void
numbers_against_reference(void)
{
	static const char abc[] = "019-+.eEx";
	char t[8], want[64];
	size_t n, k, m, i, e, bad = 0, cases = 0;

	for (n = 1, m = 9; n <= 5; n++, m *= 9)
	for (k = 0; k < m; k++) {
		char *b;

		for (i = 0, e = k; i < n; i++, e /= 9)
			t[i] = abc[e % 9];
		cases++;
		b = malloc(n);
		memcpy(b, t, n);
		if (strchr("-0123456789", t[0]) == NULL)
			snprintf(want, sizeof want, "not JSON at 0");
		else if ((e = ref_number(t, n)) == 0)
			snprintf(want, sizeof want, "a bad number at 0");
		else if (e < n)
			snprintf(want, sizeof want, "bytes after the value "
			    "at %zu", e);
		else
			snprintf(want, sizeof want, "ok");
		if (strcmp(verdict(b, n, 0), want) != 0 && bad++ == 0)
			printf("# %.*s: %s, not %s\n", (int)n, t,
			    verdict(b, n, 0), want);
		free(b);
	}
	ok(bad == 0, "numbers: the reader agrees with a reference on %zu "
	    "texts", cases);
}

/* kr_jr_copy takes white space out, and escapes a raw control byte,
 * wherever it is in values of up to 26 bytes (a look of 4 and 8). */
static void
copies(void)
{
	struct kr_buf b = KR_BUF_INIT(1 << 10);
	char t[64], want[64];
	size_t len, at, bad = 0;
	struct kr_jr j;

	for (len = 0; len <= 24; len++)
	for (at = 0; at <= len; at++) {
		/* "aa\x01a": the control byte escaped */
		snprintf(t, sizeof t, "\"%.*s\x01%.*s\"", (int)at,
		    "aaaaaaaaaaaaaaaaaaaaaaaaa", (int)(len - at),
		    "aaaaaaaaaaaaaaaaaaaaaaaaa");
		snprintf(want, sizeof want, "\"%.*s\\u0001%.*s\"", (int)at,
		    "aaaaaaaaaaaaaaaaaaaaaaaaa", (int)(len - at),
		    "aaaaaaaaaaaaaaaaaaaaaaaaa");
		b.len = 0;
		kr_jr_init(&j, t, strlen(t), KR_JR_CTRL);
		bad += kr_jr_copy(&j, &b) != 0 || strcmp(b.s, want) != 0;
		/* [1,1, 1]: the space out; [1,1,1]: as it is */
		memset(t, ',', len + 2);
		for (size_t i = 1; i < len + 2; i += 2)
			t[i] = '1';
		t[0] = '[';
		t[len + 1 + !(len & 1)] = ']';
		t[len + 2 + !(len & 1)] = '\0';
		snprintf(want, sizeof want, "%s", t);
		if (at % 2 == 0 && at <= len) {
			memmove(t + at + 1, t + at, strlen(t + at) + 1);
			t[at] = at % 4 == 0 ? ' ' : '\n';
		}
		b.len = 0;
		kr_jr_init(&j, t, strlen(t), 0);
		if (kr_jr_copy(&j, &b) != 0 || strcmp(b.s, want) != 0) {
			if (bad++ == 0)
				printf("# %s: %s\n", shown(t), shown(b.s));
		}
	}
	ok(bad == 0, "copies: white space out, control bytes escaped, "
	    "anywhere in a short value");
	kr_buf_free(&b);
}

static void
valid_inputs(void)
{
	static const char *const good[] = { "{}", "[]", "0", "-0", "1.5e-3",
	    "-12.0E+7", "true", "false", "null", "\"\"", " \t\r\n{ } ",
	    "{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\\\"\\/\"}",
	    "\"\\ud83d\\ude00\"", "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "[\"\\u0000\"]", "1e999", NULL };
	size_t i;

	for (i = 0; good[i] != NULL; i++)
		is(v(good[i]), "ok", "valid: %s", shown(good[i]));
}

static void
invalid_inputs(void)
{
	static const char *const bad[][2] = {
		{ "", "cut short at 0" },
		{ "{", "cut short at 1" },
		{ "{\"a\"", "cut short at 4" },
		{ "{\"a\":1,}", "not JSON at 7" },
		{ "[1,]", "not JSON at 3" },
		{ "[,1]", "not JSON at 1" },
		{ "{a:1}", "not JSON at 1" },
		{ "{\"a\" 1}", "not JSON at 5" },
		{ "[1 2]", "not JSON at 3" },
		{ "tru", "cut short at 0" },
		{ "nul1", "not JSON at 0" },
		{ "{} x", "bytes after the value at 3" },
		{ "{}{}", "bytes after the value at 2" },
		{ "01", "a bad number at 0" },
		{ "1.", "a bad number at 0" },
		{ "-", "a bad number at 0" },
		{ "-a", "a bad number at 0" },
		{ ".5", "not JSON at 0" },
		{ "+1", "not JSON at 0" },
		{ "1e", "a bad number at 0" },
		{ "1e+", "a bad number at 0" },
		{ "[1.2.3]", "a bad number at 1" },
		{ "\"a\tb\"", "a control byte in a string at 2" },
		{ "\"a\nb\"", "a control byte in a string at 2" },
		{ "\"\\x\"", "a bad escape at 1" },
		{ "\"\\u12\"", "a bad escape at 1" },
		{ "\"\\u12", "cut short at 1" },
		{ "\"\\ud800\"", "a lone UTF-16 surrogate at 1" },
		{ "\"\\udc00\"", "a lone UTF-16 surrogate at 1" },
		{ "\"\\ud800\\u0041\"", "a lone UTF-16 surrogate at 1" },
		{ "{\"\\ud800\":1}", "a lone UTF-16 surrogate at 2" },
		{ "\"\xff\"", "invalid UTF-8 at 1" },
		{ "\"\xc3\"", "invalid UTF-8 at 1" },
		{ "\"\xc0\xaf\"", "invalid UTF-8 at 1" },
		{ "\"\xed\xa0\x80\"", "invalid UTF-8 at 1" },
		{ "\"\xf4\x90\x80\x80\"", "invalid UTF-8 at 1" },
		{ "\"abcdefghijkl\xff\"", "invalid UTF-8 at 13" },
		{ "\xc3\xa9", "not JSON at 0" },
		{ "\xef\xbb\xbf{}", "not JSON at 0" },
		{ "{\"a\":1}\v", "bytes after the value at 7" },
		{ "\"abc", "cut short at 4" },
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is(v(bad[i][0]), bad[i][1], "invalid: %s", shown(bad[i][0]));
	is(verdict("\"a\0b\"", 5, 0), "a control byte in a string at 2",
	    "a raw NUL in a string");
	is(verdict("{}\0", 3, 0), "bytes after the value at 2",
	    "a NUL after the value");
}

static void
depth(void)
{
	char s[2 * KR_JR_DEPTH + 8];
	size_t i;

	for (i = 0; i < KR_JR_DEPTH; i++) {
		s[i] = '[';
		s[KR_JR_DEPTH + i] = ']';
	}
	is(verdict(s, 2 * KR_JR_DEPTH, 0), "ok", "%d deep", KR_JR_DEPTH);
	for (i = 0; i <= KR_JR_DEPTH; i++) {
		s[i] = '[';
		s[KR_JR_DEPTH + 1 + i] = ']';
	}
	is(verdict(s, 2 * KR_JR_DEPTH + 2, 0),
	    "nested too deep at 256", "%d deep", KR_JR_DEPTH + 1);
	is(verdict(s, 2 * KR_JR_DEPTH + 2, KR_JR_BATCH), "ok",
	    "a batch's array adds no depth");
	/* {"":[[...]]}: the object and 256 arrays. */
	memcpy(s, "{\"\":", 4);
	for (i = 0; i < KR_JR_DEPTH; i++) {
		s[4 + i] = '[';
		s[4 + KR_JR_DEPTH + i] = ']';
	}
	s[4 + 2 * KR_JR_DEPTH] = '}';
	is(verdict(s, 2 * KR_JR_DEPTH + 5, KR_JR_BATCH),
	    "nested too deep at 259", "an object is no batch");
}

static void
flags(void)
{
	is(verdict("\"a\tb\"", 5, KR_JR_CTRL), "ok",
	    "KR_JR_CTRL takes a raw tab in a string");
	is(verdict("[1,\t2]", 6, KR_JR_SPACES), "not JSON at 3",
	    "KR_JR_SPACES: a tab is no white space");
	is(verdict("[1, 2]", 6, KR_JR_SPACES), "ok", "but a space is");
	is(verdict("\"\xff\"", 3, KR_JR_UTF8_OK), "ok",
	    "KR_JR_UTF8_OK leaves UTF-8 to the caller");
}

static void
members(void)
{
	const char *s = "{ \"k\\u0065y\" : \"v\" , \"n\":-12.5e1,"
	    "\"o\":{\"x\":[1]}"
	    ",\"t\":true}";
	struct kr_buf b = KR_BUF_INIT(1 << 10);
	struct kr_jr_str key, str;
	struct kr_jr j;
	const char *np = NULL;
	size_t nn = 0;
	int n = 0;

	kr_jr_init(&j, s, strlen(s), 0);
	ok(kr_jr_enter(&j) == 0, "enter the object");
	ok(kr_jr_member(&j, &n, &key) == 1 && kr_jr_eq(&key, "key") &&
	    key.esc == KR_JR_ESC && !kr_jr_eq(&key, "ke") &&
	    !kr_jr_eq(&key, "keys"), "an escaped key compares decoded");
	ok(kr_jr_peek(&j) == KR_JR_STRING && kr_jr_string(&j, &str, 0) == 0 &&
	    str.n == 1 && str.s[0] == 'v' && str.esc == 0, "a plain string");
	ok(kr_jr_member(&j, &n, &key) == 1 && kr_jr_eq(&key, "n") &&
	    kr_jr_number(&j, &np, &nn) == 0 && nn == 7 &&
	    kr_jr_double(np, nn) == -125.0, "a number, its text and value");
	ok(kr_jr_member(&j, &n, &key) == 1 && kr_jr_eq(&key, "o") &&
	    kr_jr_copy(&j, &b) == 0, "a nested value copied");
	is(b.s, "{\"x\":[1]}", "compact");
	ok(kr_jr_member(&j, &n, &key) == 1 && kr_jr_literal(&j) == KR_JR_TRUE,
	    "a literal");
	ok(kr_jr_member(&j, &n, &key) == 0 && kr_jr_end(&j) == 0 &&
	    j.depth == 0, "the end of the object, and of the text");
	ok(j.nummax == 7, "the longest number is noted");
	b.len = 0;
	kr_jr_init(&j, "\"a\tb\\n\"", 7, KR_JR_CTRL);
	ok(kr_jr_copy(&j, &b) == 0, "copy a raw tab");
	is(b.s, "\"a\\u0009b\\n\"", "escaped in the copy, escapes kept");
	b.len = 0;
	s = "[ 1 , \" x \" ,{ \"a\" : [ ] } ]";
	kr_jr_init(&j, s, strlen(s), 0);
	ok(kr_jr_copy(&j, &b) == 0, "copy an array");
	is(b.s, "[1,\" x \",{\"a\":[]}]", "white space out, not in strings");
	b.len = 0;
	kr_jr_init(&j, "{\"k\tx\\\"\":1}", 10, KR_JR_CTRL);
	ok(kr_jr_enter(&j) == 0 && (n = 0) == 0 &&
	    kr_jr_member(&j, &n, &key) == 1 && kr_jr_str_json(&b, &key) == 0,
	    "a key read");
	is(b.s, "\"k\\u0009x\\\"\"", "and written back as JSON");
	ok(KR_JR_IS(&key, "k\tx\"") && !KR_JR_IS(&key, "k\tx"),
	    "KR_JR_IS decodes an escaped key");
	kr_buf_free(&b);
}

static void
decoding(void)
{
	is(decoded("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""),
	    "a\"b\\c/d\b\f\n\r\t", "the short escapes");
	is(decoded("\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\""),
	    "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\\u escapes, a pair");
	is(decoded("\"x\\ud800y\\udc00z\""), "x\xef\xbf\xbdy\xef\xbf\xbdz",
	    "lone surrogates taken on request become U+FFFD");
	is(decoded("\"plain\""), "plain", "a string with no escape");
}

/* kr_jr_peek: the type each byte starts, after white space of either
 * kind (or only ' ' with KR_JR_SPACES); none at the end. */
static void
peek(void)
{
	int c, bad = 0;

	for (c = 0; c < 256; c++) {
		char t[4] = { ' ', '\t', (char)c, 0 };
		enum kr_jr_type want = KR_JR_NONE, got, sp;
		struct kr_jr j;

		if (c == '"')
			want = KR_JR_STRING;
		else if (c == '{')
			want = KR_JR_OBJECT;
		else if (c == '[')
			want = KR_JR_ARRAY;
		else if (c == 't')
			want = KR_JR_TRUE;
		else if (c == 'f')
			want = KR_JR_FALSE;
		else if (c == 'n')
			want = KR_JR_NULL;
		else if (c == '-' || (c >= '0' && c <= '9'))
			want = KR_JR_NUMBER;
		kr_jr_init(&j, t, 3, 0);
		got = kr_jr_peek(&j);
		kr_jr_init(&j, t, 3, KR_JR_SPACES);
		sp = kr_jr_peek(&j);	/* stops at the tab */
		if (got != want || j.p != t + 1 || sp != KR_JR_NONE)
			bad++;
	}
	ok(bad == 0, "peek: the type of each of the 256 bytes");
	{
		struct kr_jr j;

		kr_jr_init(&j, "  \n", 3, 0);
		ok(kr_jr_peek(&j) == KR_JR_NONE && j.p == j.end,
		    "peek: white space to the end is none");
	}
}

int
main(void)
{
	peek();
	valid_inputs();
	invalid_inputs();
	depth();
	flags();
	members();
	decoding();
	against_reference();
	numbers_against_reference();
	copies();
	is(kr_jr_strerror(KR_JR_EDEPTH), "nested too deep", "an error named");
	{
		/* Integers of up to 15 digits are read without strtod: the
		 * same doubles as strtod gives, for these and the rest. */
		static const char *const nums[] = { "0", "-0", "7", "-12",
		    "123456789012345", "-999999999999999", "9007199254740993",
		    "1234567890123456789", "1.5", "-2.25e3", "1e999", "0.1",
		    NULL };
		char sdbuf[64];
		size_t i, wrong = 0;

		for (i = 0; nums[i] != NULL; i++) {
			double a = kr_jr_double(nums[i], strlen(nums[i]));

			snprintf(sdbuf, sizeof sdbuf, "%s", nums[i]);
			if (memcmp(&a, &(double){ strtod(sdbuf, NULL) },
			    sizeof a) != 0 && wrong++ == 0)
				printf("# %s: %.17g\n", nums[i], a);
		}
		ok(wrong == 0, "kr_jr_double gives strtod's double for "
		    "integers short and long, fractions and exponents");
	}
	{
		/* Plain text is read 16 and 8 bytes at a time: what ends or
		 * breaks a string, at every offset of a long one. */
		char s[64], want[64];
		size_t at, bad = 0;

		for (at = 1; at < 50; at++) {
			memset(s, 'a', sizeof s);
			s[0] = '"';
			s[sizeof s - 1] = '"';
			s[at] = '"';	/* ends it: text after it */
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_ETRAIL), at + 1);
			bad += strcmp(verdict(s, sizeof s, 0), want) != 0;
			s[at] = '\x01';
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_ECTRL), at);
			bad += strcmp(verdict(s, sizeof s, 0), want) != 0;
			s[at] = '\xff';
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_EUTF8), at);
			bad += strcmp(verdict(s, sizeof s, 0), want) != 0;
			bad += strcmp(verdict(s, sizeof s, KR_JR_UTF8_OK),
			    "ok") != 0;
			s[at] = '\\';
			s[at + 1] = 'n';
			bad += strcmp(verdict(s, sizeof s, 0), "ok") != 0;
			s[at + 1] = 'q';
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_EESCAPE), at);
			bad += strcmp(verdict(s, sizeof s, 0), want) != 0;
			if (bad != 0) {
				printf("# offset %zu\n", at);
				break;
			}
		}
		ok(bad == 0, "a quote, control byte, bad byte or escape is "
		    "found at any offset of a long string");
	}
	{
		/* Text known clean (no escape, control or non-ASCII byte)
		 * is looked at up to 1024 bytes ahead: what breaks a string
		 * is found wherever it falls, in the first of two strings
		 * or in the second, before, at or after a look's end. */
		static char s[3000];
		char want[64];
		size_t at, bad = 0, n = sizeof s;

		for (at = 2; at + 2 < n; at++) {
			if (at >= 702 && at < 706)
				continue;	/* the "," between them */
			memset(s, 'a', n);
			memcpy(s, "[\"", 2);
			memcpy(s + 702, "\",\"", 3);
			memcpy(s + n - 2, "\"]", 2);
			bad += strcmp(verdict(s, n, 0), "ok") != 0;
			s[at] = '\x01';
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_ECTRL), at);
			bad += strcmp(verdict(s, n, 0), want) != 0;
			bad += strcmp(verdict(s, n, KR_JR_CTRL), "ok") != 0;
			s[at] = '\xff';
			snprintf(want, sizeof want, "%s at %zu",
			    kr_jr_strerror(KR_JR_EUTF8), at);
			bad += strcmp(verdict(s, n, 0), want) != 0;
			bad += strcmp(verdict(s, n, KR_JR_UTF8_OK), "ok") != 0;
			if (at + 3 < n && at != 701) {
				s[at] = '\\';
				s[at + 1] = 'n';
				bad += strcmp(verdict(s, n, 0), "ok") != 0;
				s[at + 1] = 'q';
				snprintf(want, sizeof want, "%s at %zu",
				    kr_jr_strerror(KR_JR_EESCAPE), at);
				bad += strcmp(verdict(s, n, 0), want) != 0;
			}
			if (bad != 0) {
				printf("# offset %zu\n", at);
				break;
			}
		}
		ok(bad == 0, "a control byte, bad byte or escape is found at "
		    "any offset of two strings of 3,000 bytes");
	}
	return done_testing();
}
