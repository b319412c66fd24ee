/*
 * commit.c: the open transaction and what waits for it. A reply or an ack
 * is a promise that records are stored, so it waits here until the commit;
 * a busy server commits thousands of rows at once, an idle one each batch
 * at once.
 */
#include "kr_time.h"
#include "commit.h"
#include "store.h"

#define COMMIT_ROWS	10000	/* rows that make a transaction commit */
/* The longest it stays open: COMMIT_NS, or, when commits are slow (on
 * PostgreSQL, a few round trips and the summaries), four times the last
 * one, so that committing takes a fifth of the time at most; never more
 * than COMMIT_NS_MAX. */
#define COMMIT_NS	2000000
#define COMMIT_NS_MAX	20000000

void
commit_hold(struct commit *cm, struct waiter *w)
{
	w->held = 1;
	w->next = cm->held;
	cm->held = w;
	if (w->reply)
		cm->replies++;
}

void
commit_unhold(struct commit *cm, struct waiter *w)
{
	struct waiter **pp;

	if (!w->held)
		return;
	for (pp = &cm->held; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->held = 0;
	w->next = NULL;
	if (w->reply)
		cm->replies--;
}

int
commit_pending(const struct commit *cm)
{
	return store_in_txn(cm->store);
}

void
commit_noted(struct commit *cm, size_t n)
{
	cm->round_msgs++;
	cm->last_ingest_ns = kr_mono_ns();
	if (cm->txn_rows == 0)
		cm->txn_t0 = cm->last_ingest_ns;
	cm->txn_rows += n;
}

/* Lets out what waited for the commit: ok, or told that it failed. */
static void
release(struct commit *cm, int ok)
{
	struct waiter *w;

	while ((w = cm->held) != NULL) {
		cm->held = w->next;
		w->next = NULL;
		w->held = 0;
		if (w->reply)
			cm->replies--;
		w->release(w, ok);
	}
}

int
commit_sync(struct commit *cm)
{
	long long t0 = kr_mono_ns();
	int open = store_in_txn(cm->store);
	int rc = store_commit(cm->store);

	if (open)
		cm->commit_ns = kr_mono_ns() - t0;

	cm->txn_rows = 0;
	if (store_lost(cm->store))
		rc = -1;
	release(cm, rc == 0);
	return rc;
}

/*
 * Commits when this turn brought no more records (the input is drained:
 * nothing came since the last turn), or, when HTTP replies wait for it,
 * no other request body is on its way in; or when the transaction is big
 * or old enough. Otherwise more is coming: the loop reads on, and the
 * caller makes sure the commit is not put off long.
 */
int
commit_turn(struct commit *cm, unsigned bodies)
{
	long long most = 4 * cm->commit_ns;
	int done = 1;

	most = most < COMMIT_NS ? COMMIT_NS : most > COMMIT_NS_MAX ?
	    COMMIT_NS_MAX : most;

	if (!store_in_txn(cm->store))
		/* Committed on the way by a delete or the indexer: or not. */
		release(cm, !store_lost(cm->store));
	else if ((cm->replies > 0 ? bodies == 0 : cm->round_msgs == 0) ||
	    cm->txn_rows >= COMMIT_ROWS ||
	    kr_mono_ns() - cm->txn_t0 >= most)
		commit_sync(cm);
	else
		done = 0;
	cm->round_msgs = 0;
	return done;
}
