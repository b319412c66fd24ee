/*
 * commit.h: what waits for the commit. Ingest goes into a transaction that
 * stays open across requests and messages; an ack or a reply that says
 * "stored" goes out only once it is committed. Each waiter brings the
 * function that lets it out, so this module knows nothing of HTTP or
 * WebSocket.
 */
#ifndef COMMIT_H
#define COMMIT_H

#include <stddef.h>

struct store;

struct waiter {
	struct waiter *next;
	int held;		/* on a list */
	int reply;		/* an HTTP reply: counted apart */
	unsigned long long gen;	/* on syncing: the commit it waits for */
	/* Called once the commit is done: ok, or it failed (all lost). */
	void (*release)(struct waiter *w, int ok);
};

struct commit {
	struct store *store;
	struct waiter *held;	/* what waits for the commit */
	unsigned replies;	/* of which HTTP replies */
	struct waiter *syncing;	/* what waits for a commit's sync */
	unsigned round_msgs;	/* ingest messages in this turn of the loop */
	size_t txn_rows;	/* rows in the open transaction */
	long long txn_t0;	/* when it was opened */
	long long commit_ns;	/* how long the last commit took */
	long long last_ingest_ns;	/* when records last came */
};

/*
 * w waits for the open transaction's commit, or, with none open, for the
 * sync of the last one (it must not wait already).
 */
void commit_hold(struct commit *cm, struct waiter *w);
/* w no longer waits (a connection that closes); nothing if it did not. */
void commit_unhold(struct commit *cm, struct waiter *w);
/* 1 when a waiter that is added now must wait for a commit or a sync. */
int commit_pending(const struct commit *cm);
/* Counts an ingest of n rows (stored or duplicates) into the open one. */
void commit_noted(struct commit *cm, size_t n);
/*
 * Commits what was stored since the last call, waits until every commit
 * is on disk, then lets out the waiters. 0, or -1 when the commit failed
 * (they are told so).
 */
int commit_sync(struct commit *cm);
/* Lets out what waited for syncs that are done. */
void commit_poll(struct commit *cm);
/*
 * Called after each turn of the loop, with the request bodies still on
 * their way in: commits when the input is drained or the transaction is
 * big or old enough, without waiting for its sync (its waiters go out
 * once it is done: commit_poll). 1 when done, 0 when more is coming and
 * it should be called again shortly.
 */
int commit_turn(struct commit *cm, unsigned bodies);
/*
 * After a commit_turn that waits: how long the loop may sleep before the
 * next, in ns, if nothing comes. While a sync is in flight, until the
 * transaction is too old (the store wakes the loop when the sync is
 * done); else a moment, for the next turn.
 */
long long commit_wait_ns(const struct commit *cm);

#endif
