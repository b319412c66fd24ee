/* kr_lr: a line reader over a file descriptor with a bounded buffer. */
#include <errno.h>
#include <string.h>

#include "kr_io.h"
#include "kr_lr.h"

#define KR_LR_CHUNK 65536

void
kr_lr_init(struct kr_lr *lr, int fd, size_t max)
{
	lr->fd = fd;
	lr->eof = 0;
	lr->max = max;
	lr->off = 0;
	lr->skipped = 0;
	kr_buf_init(&lr->b, max + 1 + KR_LR_CHUNK);
}

void
kr_lr_free(struct kr_lr *lr)
{
	kr_buf_free(&lr->b);
}

ssize_t
kr_lr_fill(struct kr_lr *lr)
{
	ssize_t r;

	/* Move the unread tail to the front before growing. */
	if (lr->off > 0 && (lr->off == lr->b.len ||
	    lr->b.cap - 1 - lr->b.len < KR_LR_CHUNK)) {
		kr_buf_consume(&lr->b, lr->off);
		lr->off = 0;
	}
	if (kr_buf_reserve(&lr->b, KR_LR_CHUNK) == -1)
		return -1;
	r = kr_read(lr->fd, lr->b.s + lr->b.len, KR_LR_CHUNK);
	if (r > 0)
		lr->b.len += (size_t)r;
	else if (r == 0)
		lr->eof = 1;
	return r;
}

enum kr_lr_kind
kr_lr_next(struct kr_lr *lr, const char **line, size_t *len)
{
	size_t avail = lr->b.len - lr->off;
	char *p, *nl;

	if (lr->b.s == NULL)
		return lr->eof ? KR_LR_EOF : KR_LR_NONE;
	p = lr->b.s + lr->off;
	if (lr->skipped > 0) {
		/* Inside an oversize line: discard up to its "\n". */
		if (avail == 0 || (nl = memchr(p, '\n', avail)) == NULL) {
			lr->skipped += avail;
			lr->off = lr->b.len;
			if (!lr->eof)
				return KR_LR_NONE;
			*len = lr->skipped - 1;
		} else {
			lr->skipped += (size_t)(nl - p);
			lr->off += (size_t)(nl - p) + 1;
			*len = lr->skipped - 1;
		}
		lr->skipped = 0;
		*line = NULL;
		return KR_LR_OVERSIZE;
	}
	if (avail > 0 && (nl = memchr(p, '\n', avail < lr->max + 1 ?
	    avail : lr->max + 1)) != NULL) {
		*line = p;
		*len = (size_t)(nl - p);
		lr->off += *len + 1;
		return KR_LR_LINE;
	}
	if (avail > lr->max) {
		/* skipped counts one extra so that 0 means "not skipping" */
		lr->skipped = 1;
		return kr_lr_next(lr, line, len);
	}
	if (!lr->eof)
		return KR_LR_NONE;
	if (avail == 0)
		return KR_LR_EOF;
	*line = p;
	*len = avail;
	lr->off = lr->b.len;
	return KR_LR_LAST;
}
