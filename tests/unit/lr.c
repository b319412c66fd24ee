/* Unit tests: kr_lr (line reader) and kr_rec (records). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kr_lr.h"
#include "kr_rec.h"
#include "tap.h"

/* Feeds text into a pipe and reads it back with max-byte lines. */
static void
lines(const char *text, size_t n, size_t max, char *out, size_t outlen)
{
	struct kr_lr lr;
	const char *l;
	size_t len, o = 0;
	enum kr_lr_kind k;
	char path[] = "/tmp/kr-lr-XXXXXX";
	int fd;

	/* A file, not a pipe: the text may be larger than a pipe holds. */
	if ((fd = mkstemp(path)) == -1 || write(fd, text, n) != (ssize_t)n ||
	    lseek(fd, 0, SEEK_SET) == -1)
		exit(1);
	unlink(path);
	kr_lr_init(&lr, fd, max);
	out[0] = '\0';
	for (;;) {
		k = kr_lr_next(&lr, &l, &len);
		if (k == KR_LR_NONE) {
			if (kr_lr_fill(&lr) == -1)
				break;
			continue;
		}
		if (k == KR_LR_EOF)
			break;
		if (k == KR_LR_OVERSIZE)
			o += (size_t)snprintf(out + o, outlen - o, "[skip %zu]",
			    len);
		else
			o += (size_t)snprintf(out + o, outlen - o, "[%s%.*s]",
			    k == KR_LR_LAST ? "last:" : "", (int)len, l);
	}
	kr_lr_free(&lr);
	close(fd);
}

int
main(void)
{
	struct kr_buf b = KR_BUF_INIT(KR_REC_MAX);
	struct kr_rec_head h = { "t1", "r1", 42, "2026-11-28T10:15:03.1Z",
		"stdout", "INFO" };
	static char out[400000];
	char *big;
	cJSON *j;

	lines("a\nbb\n\nccc", 9, 16, out, sizeof out);
	is(out, "[a][bb][][last:ccc]", "lines, an empty one, a last one");
	lines("12345\n1234567890\nok\n", 20, 8, out, sizeof out);
	is(out, "[12345][skip 10][ok]", "an oversize line is skipped whole");
	lines("12345678\n", 9, 8, out, sizeof out);
	is(out, "[12345678]", "a line of exactly max bytes is kept");
	big = malloc(300000);
	memset(big, 'x', 300000);
	big[299999] = '\n';
	lines(big, 300000, 1 << 20, out, sizeof out);
	ok(strlen(out) == 300001, "a 300 KB line comes whole");
	free(big);

	kr_rec_open(&b, &h);
	kr_rec_text(&b, "message", "hi \"you\"", 8, NULL);
	kr_rec_int(&b, "lineNumber", 17);
	kr_rec_close(&b);
	is(b.s, "{\"type\":\"log\",\"taskId\":\"t1\",\"runId\":\"r1\",\"seq\":42,"
	    "\"timestamp\":\"2026-11-28T10:15:03.1Z\",\"source\":\"stdout\","
	    "\"level\":\"INFO\",\"message\":\"hi \\\"you\\\"\","
	    "\"lineNumber\":17}\n", "a record, written by hand");
	j = kr_rec_parse(b.s, b.len - 1);
	ok(j != NULL, "it parses back");
	is(kr_rec_get_str(j, "message"), "hi \"you\"", "message round trip");
	ok(kr_rec_get_int(j, "seq", 0) == 42, "seq round trip");
	cJSON_Delete(j);

	b.len = 0;
	kr_rec_wrap(&b, "not json\xff\r", 10, NULL);
	j = kr_rec_parse(b.s, b.len - 1);
	is(kr_rec_get_str(j, "message"), "not json\xef\xbf\xbd",
	    "a wrapped line keeps its text");
	is(kr_rec_get_str(j, "bytes"), "bm90IGpzb27/",
	    "and its exact bytes in base64");
	ok(cJSON_IsTrue(cJSON_GetObjectItem(j, "malformed")),
	    "and says it was malformed");
	cJSON_Delete(j);

	b.len = 0;
	kr_rec_gap(&b, "t1", "r1", 3, "rate", 5, 7);
	j = kr_rec_parse(b.s, b.len - 1);
	{
		cJSON *m = cJSON_GetObjectItem(j, "metadata");

		is(kr_rec_get_str(m, "event"), "gap", "gap record event");
		ok(kr_rec_get_int(m, "count", 0) == 3 &&
		    kr_rec_get_int(m, "fromSeq", 0) == 5 &&
		    kr_rec_get_int(m, "toSeq", 0) == 7, "gap counts and seqs");
		is(kr_rec_get_str(j, "source"), "agent", "gap is an agent "
		    "record");
	}
	cJSON_Delete(j);
	ok(kr_rec_parse("[1,2]", 5) == NULL, "an array is not a record");
	ok(kr_rec_parse("{\"a\":", 5) == NULL, "truncated JSON is refused");
	kr_buf_free(&b);
	return done_testing();
}
