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
#define COMMIT_NS	2000000	/* and the longest it stays open */

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
	int rc = store_commit(cm->store);

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
	int done = 1;

	if (!store_in_txn(cm->store))
		/* Committed on the way by a delete or the indexer: or not. */
		release(cm, !store_lost(cm->store));
	else if ((cm->replies > 0 ? bodies == 0 : cm->round_msgs == 0) ||
	    cm->txn_rows >= COMMIT_ROWS ||
	    kr_mono_ns() - cm->txn_t0 >= COMMIT_NS)
		commit_sync(cm);
	else
		done = 0;
	cm->round_msgs = 0;
	return done;
}
