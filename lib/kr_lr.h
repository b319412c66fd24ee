/* kr_lr: a line reader over a file descriptor with a bounded buffer. */
#ifndef KR_LR_H
#define KR_LR_H

#include <stddef.h>
#include <sys/types.h>

#include "kr_buf.h"

enum kr_lr_kind {
	KR_LR_NONE,	/* no complete line buffered: call kr_lr_fill */
	KR_LR_LINE,	/* a line, without its "\n" */
	KR_LR_LAST,	/* the text after the last "\n" at EOF */
	KR_LR_OVERSIZE,	/* a line longer than max was skipped whole */
	KR_LR_EOF,	/* end of input, nothing left */
};

struct kr_lr {
	int fd, eof;
	size_t max, off, skipped;
	struct kr_buf b;
};

/* Lines of up to max bytes (without the "\n") are returned whole. */
void kr_lr_init(struct kr_lr *lr, int fd, size_t max);
void kr_lr_free(struct kr_lr *lr);
/*
 * One read(2) into the buffer. Returns bytes read, 0 at EOF, -1 with errno
 * (EAGAIN on a non-blocking fd with nothing to read).
 */
ssize_t kr_lr_fill(struct kr_lr *lr);
/*
 * The next line from the buffer: *line and *len are valid until the next
 * call. For KR_LR_OVERSIZE, *len is the length of the skipped line.
 */
enum kr_lr_kind kr_lr_next(struct kr_lr *lr, const char **line, size_t *len);

#endif
