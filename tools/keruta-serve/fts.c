/*
 * fts.c: the full-text index follows the table in steps (PostgreSQL's
 * tsvector column; on SQLite, the word sets of the zones that lack one).
 * Indexing costs about as much as storing, so ingest comes first: while
 * records pour in, the index waits, unless it is FTS_LAG_MAX rows
 * behind, or q= requests wait for it: then it takes a step each turn of
 * the loop until it is FTS_WAIT_ROWS behind, and lets them go on. (On
 * SQLite q= never waits: a zone without its set has its rows matched.)
 */
#include "kr_time.h"
#include "fts.h"
#include "store.h"

#define FTS_STEP_ROWS	5000
#define FTS_IDLE_NS	100000000LL	/* no ingest for this long: index */
#define FTS_LAG_MAX	1000000	/* rows: past this, index anyway */

static void
fts_timer(lws_sorted_usec_list_t *sul)
{
	struct fts *f = lws_container_of(sul, struct fts, sul);
	struct store *st = f->commit->store;
	int more = 1;

	if (f->wait == NULL &&
	    kr_mono_ns() - f->commit->last_ingest_ns < FTS_IDLE_NS &&
	    store_fts_lag(st) < FTS_LAG_MAX)
		more = 2;	/* busy: later */
	else {
		commit_sync(f->commit);
		more = store_fts_step(st, FTS_STEP_ROWS);
		if (f->wait != NULL && store_fts_lag(st) <= FTS_WAIT_ROWS)
			fts_release(f);
	}
	lws_sul_schedule(f->ctx, 0, &f->sul, fts_timer,
	    f->wait != NULL ? LWS_US_PER_MS :
	    more == 1 ? 5 * LWS_US_PER_MS : more == 2 ? 50 * LWS_US_PER_MS :
	    250 * LWS_US_PER_MS);
}

void
fts_start(struct fts *f)
{
	lws_sul_schedule(f->ctx, 0, &f->sul, fts_timer, 250 * LWS_US_PER_MS);
}

void
fts_stop(struct fts *f)
{
	lws_sul_cancel(&f->sul);
}

int
fts_wait(struct fts *f, struct waiter *w)
{
	if (store_fts_lag(f->commit->store) <= FTS_WAIT_ROWS)
		return 0;
	w->held = 1;
	w->next = f->wait;
	f->wait = w;
	/* Catching up starts now. */
	lws_sul_schedule(f->ctx, 0, &f->sul, fts_timer, LWS_US_PER_MS);
	return 1;
}

void
fts_unwait(struct fts *f, struct waiter *w)
{
	struct waiter **pp;

	for (pp = &f->wait; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			w->next = NULL;
			w->held = 0;
			break;
		}
}

void
fts_release(struct fts *f)
{
	struct waiter *w;

	while ((w = f->wait) != NULL) {
		f->wait = w->next;
		w->next = NULL;
		w->held = 0;
		w->release(w, 1);
	}
}
