/*
 * commit.c: the open transaction and what waits for it. A reply or an ack
 * is a promise that records are stored, so it waits here until the commit;
 * a busy server commits thousands of rows at once, an idle one each batch
 * at once. With --sync full on SQLite, the loop does not wait while the
 * commit goes to disk: its waiters move to the syncing list, and go out
 * when the store's syncer says it is there (commit_poll), while the next
 * transaction is already being filled.
 */
#include "kr_diag.h"
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
/* The input is drained when nothing came for this long. */
#define COMMIT_WAIT_NS	250000

/* 1 when the last commit is not yet known to be on disk. */
static int
unsynced(const struct commit *cm)
{
	return (long long)store_sync_gen(cm->store) !=
	    store_synced(cm->store);
}

static void
sync_wait(struct commit *cm, struct waiter *w, unsigned long long gen)
{
	w->held = 1;
	w->gen = gen;
	w->next = cm->syncing;
	cm->syncing = w;
}

void
commit_hold(struct commit *cm, struct waiter *w)
{
	if (!store_in_txn(cm->store) && unsynced(cm)) {
		sync_wait(cm, w, store_sync_gen(cm->store));
		return;
	}
	w->held = 1;
	w->next = cm->held;
	cm->held = w;
	if (w->reply)
		cm->replies++;
}

/* Takes w off *list; 1 if it was there. */
static int
unlink_from(struct waiter **list, struct waiter *w)
{
	struct waiter **pp;

	for (pp = list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return 1;
		}
	return 0;
}

void
commit_unhold(struct commit *cm, struct waiter *w)
{
	if (!w->held)
		return;
	if (unlink_from(&cm->held, w)) {
		if (w->reply)
			cm->replies--;
	} else
		(void)unlink_from(&cm->syncing, w);
	w->held = 0;
	w->next = NULL;
}

int
commit_pending(const struct commit *cm)
{
	return store_in_txn(cm->store) || unsynced(cm);
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

/*
 * What was not acked is not lost when keruta-serve stops: the clients
 * send it again. What was acked, if not on disk, might be: so no more.
 */
static void
sync_failed(void)
{
	kr_diesys(KR_EX_TEMP, "database: unable to sync the write-ahead log");
}

/* Lets out what waited for a sync up to synced (all of it: -1). */
static void
release_synced(struct commit *cm, long long synced)
{
	struct waiter *w, **pp;

	for (pp = &cm->syncing; (w = *pp) != NULL;) {
		if (synced >= 0 && (long long)w->gen > synced) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = NULL;
		w->held = 0;
		w->release(w, 1);
	}
}

/* Lets out what waited for the commit: ok, or told that it failed. */
static void
release_held(struct commit *cm, int ok)
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

/*
 * After a commit that went well and whose sync is still to come, what
 * waited for it waits for the sync; else it goes out.
 */
static void
committed(struct commit *cm, int ok)
{
	unsigned long long gen = store_sync_gen(cm->store);
	long long synced = store_synced(cm->store);
	struct waiter *w;

	if (synced < 0)
		sync_failed();
	if (!ok || (long long)gen == synced) {
		release_synced(cm, synced);
		release_held(cm, ok);
		return;
	}
	while ((w = cm->held) != NULL) {
		cm->held = w->next;
		if (w->reply)
			cm->replies--;
		sync_wait(cm, w, gen);
	}
}

void
commit_poll(struct commit *cm)
{
	long long synced;

	if (cm->syncing == NULL)
		return;
	if ((synced = store_synced(cm->store)) < 0)
		sync_failed();
	release_synced(cm, synced);
}

/* Commits the open transaction, if any, without waiting for its sync. */
static int
commit_now(struct commit *cm)
{
	long long t0 = kr_mono_ns();
	int open = store_in_txn(cm->store);
	int rc = store_commit(cm->store);

	if (open)
		cm->commit_ns = kr_mono_ns() - t0;
	cm->txn_rows = 0;
	if (store_lost(cm->store))
		rc = -1;
	return rc;
}

int
commit_sync(struct commit *cm)
{
	int rc = commit_now(cm);

	if (store_sync_now(cm->store) == -1)
		sync_failed();
	release_synced(cm, -1);
	release_held(cm, rc == 0);
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

	commit_poll(cm);
	if (!store_in_txn(cm->store))
		/* Committed on the way by a delete or the indexer: or not. */
		committed(cm, !store_lost(cm->store));
	else if (unsynced(cm) && cm->txn_rows < COMMIT_ROWS &&
	    kr_mono_ns() - cm->txn_t0 < COMMIT_NS_MAX)
		/* The next commit follows the sync in flight, and shares
		 * the next one, as when each commit synced itself. */
		done = 0;
	else if ((cm->replies > 0 ? bodies == 0 : cm->round_msgs == 0) ||
	    cm->txn_rows >= COMMIT_ROWS ||
	    kr_mono_ns() - cm->txn_t0 >= most)
		committed(cm, commit_now(cm) == 0);
	else
		done = 0;
	cm->round_msgs = 0;
	return done;
}

long long
commit_wait_ns(const struct commit *cm)
{
	long long left;

	if (!unsynced(cm))
		return COMMIT_WAIT_NS;
	/* Waking every 250 us to look cost a poll a record at full speed. */
	left = cm->txn_t0 + COMMIT_NS_MAX - kr_mono_ns();
	return left < 0 ? 0 : left > COMMIT_NS_MAX ? COMMIT_NS_MAX : left;
}
