/*
 * fts.h: the full-text index catching up with the records, between the
 * other work; a q= request that finds it far behind waits for it.
 */
#ifndef FTS_H
#define FTS_H

#include <libwebsockets.h>

#include "commit.h"

/* A q= request waits while the index is more rows behind than this. */
#define FTS_WAIT_ROWS	20000

struct fts {
	struct lws_context *ctx;
	struct commit *commit;	/* and its store */
	struct waiter *wait;	/* q= requests waiting for the index */
	lws_sorted_usec_list_t sul;
};

/* Starts the indexer's timer (f->ctx and f->commit set). */
void fts_start(struct fts *f);
void fts_stop(struct fts *f);
/*
 * When the index is too far behind for a query: w waits, the index
 * catches up in steps, and w->release is called once it has; 1. Else 0.
 */
int fts_wait(struct fts *f, struct waiter *w);
/* w no longer waits (its connection closes). */
void fts_unwait(struct fts *f, struct waiter *w);
/* Lets every waiting query go on (they then catch the index up). */
void fts_release(struct fts *f);

#endif
