/*
 * Unit tests: lib's kr_forms, every form of a secret value in order, and
 * a callback that stops the walk.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "kr_forms.h"

static char all[4096];

static int
add(void *arg, const char *s, size_t n)
{
	(void)arg;
	snprintf(all + strlen(all), sizeof all - strlen(all), "%.*s|", (int)n,
	    s);
	return 0;
}

static int
stop(void *arg, const char *s, size_t n)
{
	int *k = arg;

	(void)s;
	(void)n;
	return ++*k == 3 ? 7 : 0;
}

int
main(void)
{
	int k = 0;

	is(kr_forms("a/b\"c d", 7, add, NULL) == 0 ? all : "failed",
	    "a/b\"c d|"
	    "YS9iImMgZ|YS9iImMgZ|"		/* base64 at offset 0 */
	    "EvYiJjIG|EvYiJjIG|"		/* at 1 */
	    "hL2IiYyBk|hL2IiYyBk|"		/* at 2 */
	    "a%2Fb%22c%20d|a%2fb%22c%20d|a%2Fb%22c+d|"
	    "612f6222632064|612F6222632064|"
	    "a/b\\\"c d|a\\/b\\\"c d|",
	    "a value with '/', '\"' and a space: every form, in order");
	all[0] = '\0';
	is(kr_forms("a+b?", 4, add, NULL) == 0 ? all : "failed",
	    "a+b?|YStiP|YStiP|ErYj|ErYj|hK2I/|hK2I_|"
	    "a%2Bb%3F|a%2bb%3f|a%2Bb%3F|612b623f|612B623F|a+b?|",
	    "base64's '+' and '/' become '-' and '_' in the URL-safe form");
	ok(kr_forms("secret", 6, stop, &k) == 7 && k == 3,
	    "a callback that returns non-zero stops the walk");
	return done_testing();
}
