/*
 * lr: lib/kr_lr's line reader over a pipe holding any bytes, with a
 * maximum line length taken from the first byte. Every byte is accounted
 * for: lines and their "\n", lines skipped whole, the text after the last
 * "\n"; no line is longer than the maximum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kr_lr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_lr lr;
	const char *line;
	size_t len, max, seen = 0;
	enum kr_lr_kind k;
	int fd[2];

	if (size < 1 || size > 60000 || pipe(fd) == -1)
		return 0;
	max = 1 + data[0] % 64;
	data++, size--;
	if (write(fd[1], data, size) != (ssize_t)size)
		abort();
	close(fd[1]);
	kr_lr_init(&lr, fd[0], max);
	for (;;) {
		k = kr_lr_next(&lr, &line, &len);
		if (k == KR_LR_NONE) {
			if (kr_lr_fill(&lr) == -1)
				abort();
			continue;
		}
		if (k == KR_LR_EOF)
			break;
		if (k != KR_LR_OVERSIZE && len > max)
			abort();
		seen += len + (k != KR_LR_LAST);
	}
	/* An over-long last line without "\n" counts its "\n" too. */
	if (seen != size && seen != size + 1)
		abort();
	kr_lr_free(&lr);
	close(fd[0]);
	return 0;
}
