/* Unit tests: kr_url (parse, the task's endpoint, masking, lists). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kr_url.h"
#include "tap.h"

static struct kr_buf b = KR_BUF_INIT(1 << 16);

static const char *
task(const char *url, enum kr_url_kind kind, const char *id)
{
	const char *why = NULL;

	b.len = 0;
	if (kr_url_task(&b, url, kind, id, &why) == -1)
		return why;
	return b.s;
}

static const char *
mask(const char *url)
{
	b.len = 0;
	if (kr_url_mask(&b, url) == -1)
		return "(full)";
	return b.s ? b.s : "";
}

/* The elements of list joined by '|', or "empty N". */
static const char *
split(const char *list)
{
	char **v;
	size_t i, n;

	b.len = 0;
	if ((v = kr_url_split(list, &n)) == NULL) {
		kr_buf_printf(&b, "empty %zu", n);
		return b.s;
	}
	for (i = 0; i < n; i++) {
		kr_buf_printf(&b, "%s%s", i ? "|" : "", v[i]);
		free(v[i]);
	}
	free(v);
	return b.s;
}

static const char *
why_not(const char *url)
{
	struct kr_url u;
	const char *why = "(parsed)";

	if (kr_url_parse(url, &u, &why) == 0)
		return "(parsed)";
	return why;
}

int
main(void)
{
	struct kr_url u;
	const char *why;
	static const char *const ws[] = { "ws://h:8080", "ws://h:8080/",
	    "ws://h:8080/ws/tasks", "ws://h:8080/ws/tasks/", NULL };
	static const char *const rest[] = { "http://h:8080",
	    "http://h:8080/", "http://h:8080/api/v1", "http://h:8080/api/v1/",
	    NULL };
	size_t i;

	for (i = 0; ws[i] != NULL; i++)
		is(task(ws[i], KR_URL_WS, "t1"), "ws://h:8080/ws/tasks/t1",
		    "ws: %s", ws[i]);
	for (i = 0; rest[i] != NULL; i++)
		is(task(rest[i], KR_URL_REST, "t1"),
		    "http://h:8080/api/v1/tasks/t1/logs", "rest: %s", rest[i]);
	is(task("ws://h/ws/tasks?token=X", KR_URL_WS, "t"),
	    "ws://h/ws/tasks/t?token=X", "the task goes before the query");
	is(task("wss://h?token=X&a=b", KR_URL_WS, "t"),
	    "wss://h/ws/tasks/t?token=X&a=b", "a base with a query");
	is(task("https://h/api/v1/?k=v", KR_URL_REST, "t"),
	    "https://h/api/v1/tasks/t/logs?k=v", "rest with a query");
	is(task("https://h:8443/keruta", KR_URL_REST, "t"),
	    "https://h:8443/keruta/api/v1/tasks/t/logs",
	    "a path prefix (behind a proxy) is kept");
	is(task("WS://h/ws/tasks", KR_URL_WS, "t"), "WS://h/ws/tasks/t",
	    "the scheme in any case");
	is(task("ws://h", KR_URL_WS, "build:42"), "ws://h/ws/tasks/build:42",
	    "':' stays as it is");
	is(task("ws://h", KR_URL_WS, "a+b=c d/e%"),
	    "ws://h/ws/tasks/a%2Bb%3Dc%20d%2Fe%25", "others are %%-encoded");
	is(task("ws://u:p@[::1]:9/", KR_URL_WS, "t"),
	    "ws://u:p@[::1]:9/ws/tasks/t", "IPv6 and a userinfo");

	ok(kr_url_parse("wss://user:p@ss@example.com:8443/x?y=1", &u,
	    &why) == 0, "a full URL parses");
	is(u.host, "example.com", "its host");
	ok(u.port == 8443 && u.tls && u.ws, "its port and scheme");
	ok(u.userlen == 9 && strncmp(u.user, "user:p@ss", 9) == 0,
	    "its userinfo, up to the last '@'");
	ok(u.pathlen == 2 && strncmp(u.path, "/x", 2) == 0, "its path");
	is(u.query, "y=1", "its query");
	ok(kr_url_parse("http://[::1]", &u, &why) == 0 && u.port == 80 &&
	    strcmp(u.host, "::1") == 0 && u.path == NULL, "IPv6, port 80");

	is(why_not("ftp://h"), "not ws://, wss://, http:// or https://",
	    "another scheme");
	is(why_not("ws://"), "no host", "no host");
	is(why_not("ws://:80/"), "no host", "a port without a host");
	is(why_not("ws://h:0"), "a bad port", "port 0");
	is(why_not("ws://h:65536"), "a bad port", "port 65536");
	is(why_not("ws://h:"), "a bad port", "an empty port");
	is(why_not("ws://h:8x"), "a bad port", "a port with a letter");
	is(why_not("ws://h o"), "a space, control or non-ASCII character",
	    "a space");
	is(why_not("ws://h/\x01"), "a space, control or non-ASCII character",
	    "a control character");
	is(why_not("ws://h/#f"), "a fragment ('#')", "a fragment");
	is(why_not("ws://h$x/"), "a bad character in the host",
	    "a bad host");
	is(why_not("ws://[::1/"), "an IPv6 address without its ']'",
	    "IPv6 without ']'");

	is(mask("ws://h/ws/tasks"), "ws://h/ws/tasks", "nothing to mask");
	is(mask("ws://u:pw@h:1/ws/tasks"), "ws://***@h:1/ws/tasks",
	    "a userinfo");
	is(mask("ws://h/ws/tasks/t?token=X"), "ws://h/ws/tasks/t?token=***",
	    "a token parameter");
	is(mask("http://h/?a=1&API_KEY=k;x-Signature=s&page=2&access_token"),
	    "http://h/?a=1&API_KEY=***;x-Signature=***&page=2&access_token",
	    "parameters named like secrets, in any case");
	is(mask("http://a:b@h/?password=p#frag"),
	    "http://***@h/?password=***#***", "both, and a fragment");
	is(mask("h:1/@x"), "h:1/@x", "an '@' in the path is not a userinfo");
	is(mask("u:p@h"), "***@h", "no scheme");

	is(split("ws://a"), "ws://a", "a list of one");
	is(split(" ws://a ,\tws://b/x%2Cy\t"), "ws://a|ws://b/x%2Cy",
	    "blanks around elements dropped");
	is(split("ws://a,, ws://b"), "empty 2", "an empty element");
	is(split("ws://a, "), "empty 2", "a blank last element");
	is(split(""), "empty 1", "an empty list");
	kr_buf_free(&b);
	return done_testing();
}
