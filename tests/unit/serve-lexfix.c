/*
 * serve-lexfix.c: keruta-serve's mending of what libwebsockets reads
 * (lexfix.c). A header name that is a proper prefix of one the library
 * knows gets '~' for its last character, however the bytes are cut into
 * reads; every other byte passes as it came: known and other names, the
 * values, request bodies, and everything after an upgrade or a framing
 * keruta-serve refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../tools/keruta-serve/lexfix.c"

struct feed {
	const char *s;
	size_t len, at, chunk;
};

/* The next chunk of the input, or 0 at its end. */
static ssize_t
feed_rd(void *arg, char *buf, size_t len)
{
	struct feed *f = arg;
	size_t n = f->len - f->at;

	if (n > f->chunk)
		n = f->chunk;
	if (n > len)
		n = len;
	memcpy(buf, f->s + f->at, n);
	f->at += n;
	return (ssize_t)n;
}

/* in, read chunk bytes at a time through lexfix_read: what came out. */
static char *
mend(const char *in, size_t chunk, int can_wait)
{
	static char out[4096];
	struct lexfix *lf = lexfix_new();
	struct feed f = { in, strlen(in), 0, chunk };
	size_t n = 0;
	int spins = 0;

	for (;;) {
		ssize_t r = lexfix_read(lf, out + n, 64, feed_rd, &f,
		    can_wait);

		if (r == 0 || ++spins > 10000)
			break;
		if (r < 0) {
			if (errno != EAGAIN)
				break;
			continue;
		}
		n += (size_t)r;
	}
	out[n] = '\0';
	lexfix_free(lf);
	return out;
}

/* in mended is want, for reads of every size from 1 to 9, and whole. */
static void
check(const char *in, const char *want, const char *what)
{
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 7, 9, 4096 };
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		const char *got = mend(in, chunks[i], 1);

		if (strcmp(got, want) != 0) {
			if (!bad++)
				printf("# reads of %zu: got\n# %s\n", chunks[i],
				    got);
		}
	}
	ok(bad == 0, "%s", what);
}

int
main(void)
{
	static const char *const misread[] = { "X-A", "Acc", "Ho", "X",
		"X-Forwarded", "Content-Lengt", "Sec-WebSocket-Ke", "ACCEPT-" };
	char in[256], want[256];
	size_t i;

	plan(16);
	lexfix_init();
	for (i = 0; i < sizeof misread / sizeof misread[0]; i++) {
		size_t n = strlen(misread[i]);

		snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: x\r\n"
		    "%s: v\r\nAuthorization: Bearer t\r\n\r\n", misread[i]);
		snprintf(want, sizeof want, "GET / HTTP/1.1\r\nHost: x\r\n"
		    "%.*s~: v\r\nAuthorization: Bearer t\r\n\r\n",
		    (int)n - 1, misread[i]);
		check(in, want, misread[i]);
	}
	check("GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-API-Key: k\r\n"
	    "Accx: v\r\nSec-WebSocket-Key1: a\r\nConnection: close\r\n"
	    "HOST: y\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-API-Key: k\r\n"
	    "Accx: v\r\nSec-WebSocket-Key1: a\r\nConnection: close\r\n"
	    "HOST: y\r\n\r\n",
	    "known names, and names no prefix of one: as they came");
	check("GET /acc:x HTTP/1.1\r\n Acc: folded\r\n: v\r\nAcc\r\n\r\n",
	    "GET /acc:x HTTP/1.1\r\n Acc: folded\r\n: v\r\nAcc\r\n\r\n",
	    "the request line, a folded line, no name, no colon: untouched");
	check("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nAcc: v\r\n\r\n"
	    "POST / HTTP/1.1\r\nContent-Length:  3 \r\nAcc: v\r\n\r\nAcc"
	    "\r\nGET / HTTP/1.1\r\nAcc: v\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nAcc: v\r\n\r\n"
	    "POST / HTTP/1.1\r\nContent-Length:  3 \r\nAc~: v\r\n\r\nAcc"
	    "\r\nGET / HTTP/1.1\r\nAc~: v\r\n\r\n",
	    "bodies pass untouched; the requests after them are mended");
	check("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nAcc: v\r\n\r\n"
	    "Acc: v\r\n\r\n",
	    "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nAc~: v\r\n\r\n"
	    "Acc: v\r\n\r\n",
	    "after an upgrade: nothing");
	check("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nAcc: v\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nAcc: v\r\n\r\n",
	    "after a Content-Length that is not one number: nothing");
	check("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
	    "\r\nAcc: v\r\n\r\n",
	    "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
	    "\r\nAcc: v\r\n\r\n",
	    "after two Content-Lengths that disagree: nothing");
	check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nAcc: v\r\n\r\n",
	    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nAcc: v\r\n\r\n",
	    "after a Transfer-Encoding: nothing");
	is(mend("GET / HTTP/1.1\r\nAcc: v\r\n\r\n", 2, 0),
	    "GET / HTTP/1.1\r\nAc~: v\r\n\r\n",
	    "a reader that cannot wait (TLS): mended all the same");
	return tap_failed ? 1 : 0;
}
