/*
 * Unit tests: keruta-serve's commit.c without a socket or a database.
 * What waits for the commit is let out once, in the order it came, with
 * ok when the commit held and not when it failed; a waiter taken off
 * first is not; and a turn of the loop commits only when it should.
 * With a store whose syncs come later (--sync full on SQLite), what
 * waited for a commit waits for its sync too, and goes out when that
 * sync, not an earlier one, is done.
 */
#include <string.h>

#include "tap.h"
#include "../../tools/keruta-serve/commit.c"

/*
 * A store that only says whether a transaction is open, and, when async,
 * numbers its commits and syncs them when told (synced).
 */
struct store {
	int in_txn, fail, lost, commits;
	int async;
	unsigned long long gen;
	long long synced;
};

unsigned long long
store_sync_gen(const struct store *s)
{
	return s->gen;
}

long long
store_synced(struct store *s)
{
	return s->synced;
}

int
store_sync_now(struct store *s)
{
	s->synced = (long long)s->gen;
	return 0;
}

int
store_in_txn(const struct store *s)
{
	return s->in_txn;
}

int
store_commit(struct store *s)
{
	if (!s->in_txn)
		return 0;
	s->in_txn = 0;
	if (s->fail) {
		s->lost = 1;
		return -1;
	}
	s->commits++;
	if (s->async)
		s->gen++;
	return 0;
}

int
store_lost(struct store *s)
{
	int l = s->lost;

	s->lost = 0;
	return l;
}

struct rec {
	struct waiter w;
	char name;
};

static char order[16];
static int oks[16], nout;

static void
note(struct waiter *w, int ok)
{
	struct rec *r = (struct rec *)w;

	order[nout] = r->name;
	oks[nout++] = ok;
	order[nout] = '\0';
}

/* The open transaction stays young, however slow the machine. */
static void
noted(struct commit *cm, size_t n)
{
	commit_noted(cm, n);
	cm->txn_t0 = kr_mono_ns() + 3600 * 1000000000LL;
}

static void
hold(struct commit *cm, struct rec *r, char name, int reply)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	r->w.reply = reply;
	r->w.release = note;
	commit_hold(cm, &r->w);
}

int
main(void)
{
	struct store st = { 0, 0, 0, 0, 0, 0, 0 };
	struct commit cm;
	struct rec a, b, c, d, e;
	long long w;

	memset(&cm, 0, sizeof cm);
	cm.store = &st;

	st.in_txn = 1;
	ok(commit_pending(&cm), "a transaction is open: waiters wait");
	hold(&cm, &a, 'a', 0);
	hold(&cm, &b, 'b', 1);
	hold(&cm, &c, 'c', 1);
	ok(cm.replies == 2, "two of them are HTTP replies");
	commit_unhold(&cm, &b.w);
	commit_unhold(&cm, &b.w);
	ok(cm.replies == 1 && !b.w.held, "one taken off, once");
	ok(commit_sync(&cm) == 0 && st.commits == 1, "the commit holds");
	is(order, "ca", "the others are let out once, the last held first");
	ok(oks[0] && oks[1], "with ok");
	ok(cm.held == NULL && cm.replies == 0 && !a.w.held && !c.w.held,
	    "nothing waits any more");

	nout = 0;
	st.in_txn = 1;
	st.fail = 1;
	hold(&cm, &a, 'a', 1);
	ok(commit_sync(&cm) == -1, "a failed commit is told");
	ok(nout == 1 && !oks[0], "and its waiter learns it was not stored");
	st.fail = 0;

	/* commit_turn: more is coming while messages came this turn. */
	nout = 0;
	st.in_txn = 1;
	noted(&cm, 10);
	hold(&cm, &a, 'a', 0);
	ok(commit_turn(&cm, 0) == 0 && st.in_txn,
	    "records came this turn: the commit waits");
	ok(commit_wait_ns(&cm) == 250000,
	    "for the next turn, 250 us at most");
	ok(commit_turn(&cm, 0) == 1 && !st.in_txn && nout == 1,
	    "a quiet turn commits and lets the waiter out");

	nout = 0;
	st.in_txn = 1;
	noted(&cm, 1);
	hold(&cm, &b, 'b', 1);
	ok(commit_turn(&cm, 1) == 0, "a reply waits while a body comes in");
	noted(&cm, 1);
	ok(commit_turn(&cm, 0) == 1 && nout == 1 && oks[0],
	    "and goes once none does, however busy");

	nout = 0;
	st.in_txn = 1;
	noted(&cm, 10000);
	ok(commit_turn(&cm, 0) == 1 && !st.in_txn,
	    "a big transaction commits at once");

	nout = 0;
	st.in_txn = 1;
	noted(&cm, 1);
	cm.txn_t0 = 0;
	ok(commit_turn(&cm, 0) == 1 && !st.in_txn,
	    "an old transaction commits at once");

	nout = 0;
	hold(&cm, &c, 'c', 0);
	st.lost = 1;
	ok(commit_turn(&cm, 0) == 1 && nout == 1 && !oks[0],
	    "committed on the way but lost: the waiter is told");

	/* Syncs that come later. */
	st.async = 1;
	nout = 0;
	st.in_txn = 1;
	noted(&cm, 1);
	hold(&cm, &a, 'a', 1);
	ok(commit_turn(&cm, 0) == 1 && !st.in_txn && st.gen == 1,
	    "async: a quiet turn commits");
	ok(nout == 0 && a.w.held && cm.replies == 0,
	    "but its waiter waits for the sync, no longer counted a reply");
	ok(commit_pending(&cm), "none open, the sync to come: waiters wait");
	hold(&cm, &d, 'd', 0);
	commit_poll(&cm);
	ok(nout == 0, "nothing goes before the sync");
	st.in_txn = 1;
	noted(&cm, 1);
	hold(&cm, &e, 'e', 1);
	ok(commit_turn(&cm, 0) == 0 && st.gen == 1 && st.in_txn,
	    "while the sync is in flight, the next commit waits for it");
	ok(commit_wait_ns(&cm) == 20000000, "the loop sleeps for 20 ms at "
	    "most: the sync's end wakes it");
	cm.txn_t0 = kr_mono_ns() - 15000000;
	w = commit_wait_ns(&cm);
	ok(w > 0 && w <= 5000000, "or until the transaction is 20 ms old "
	    "(%lld ns left)", w);
	cm.txn_t0 = 0;
	ok(commit_turn(&cm, 0) == 1 && st.gen == 2 && nout == 0,
	    "unless it is old: a second commit while the first is synced");
	hold(&cm, &b, 'b', 0);
	commit_unhold(&cm, &b.w);
	ok(!b.w.held, "a waiter on a sync can be taken off");
	st.synced = 1;
	ok(commit_turn(&cm, 0) == 1, "a turn with the first sync done");
	is(order, "da", "lets out what waited for it, not for the second");
	ok(oks[0] && oks[1] && e.w.held, "with ok; the second's waiter waits");
	st.synced = 2;
	commit_poll(&cm);
	is(order, "dae", "and goes when the second sync is done");
	ok(!commit_pending(&cm) && cm.syncing == NULL, "nothing waits then");

	nout = 0;
	st.in_txn = 1;
	hold(&cm, &a, 'a', 0);
	hold(&cm, &b, 'b', 1);
	st.in_txn = 0;
	st.gen++;
	ok(commit_turn(&cm, 0) == 1 && nout == 0 && a.w.held && b.w.held,
	    "committed on the way by another: its waiters wait for the sync");
	hold(&cm, &c, 'c', 0);
	ok(commit_sync(&cm) == 0 && st.synced == (long long)st.gen,
	    "commit_sync syncs in place");
	is(order, "cab", "and lets everything out at once");
	ok(cm.held == NULL && cm.syncing == NULL && cm.replies == 0,
	    "nothing waits any more");
	return done_testing();
}
