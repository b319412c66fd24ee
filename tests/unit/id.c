/* Unit tests: kr_id, the one rule for task and run ids. */
#include <string.h>

#include "kr_id.h"
#include "tap.h"

static int
valid(const char *s)
{
	return kr_id_valid(s, strlen(s));
}

int
main(void)
{
	static const char *const good[] = { "t", "build:42", "a.b_c-d",
	    "user@host", "a+b=c~d", "...", ".a", "a..", "0", "ABCxyz019",
	    NULL };
	static const char *const bad[] = { "", ".", "..", "a/b", "a b",
	    "a\tb", "a\"b", "a\\b", "a?b", "a#b", "a%b", "a&b", "a,b", "a;b",
	    "caf\xc3\xa9", "a\x7f", "a'b", "a*b", "a!b", "a$b", NULL };
	char max[KR_ID_MAX + 2];
	size_t i;

	for (i = 0; good[i] != NULL; i++)
		ok(valid(good[i]), "'%s' is an id", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ok(!valid(bad[i]), "'%s' is not", bad[i]);
	memset(max, 'x', sizeof max);
	ok(kr_id_valid(max, KR_ID_MAX), "%d bytes are", KR_ID_MAX);
	ok(!kr_id_valid(max, KR_ID_MAX + 1), "%d are not", KR_ID_MAX + 1);
	ok(!kr_id_valid("a\0b", 3), "a NUL is not");
	ok(kr_id_valid("ab\0", 2), "only n bytes are looked at");
	{
		/* Every byte, against the rule as it reads. */
		char id[2] = { 'a', 0 };
		int c, want, wrong = 0;

		for (c = 1; c < 256; c++) {
			id[1] = (char)c;
			want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') ||
			    strchr("-_.:@+=~", c) != NULL;
			wrong += kr_id_valid(id, 2) != want;
		}
		ok(wrong == 0, "each of the 255 bytes is taken or not by "
		    "the rule (%d wrong)", wrong);
	}
	is(KR_ID_RULE, "1 to 128 letters, digits or '-_.:@+=~'",
	    "the rule as messages say it");
	return done_testing();
}
