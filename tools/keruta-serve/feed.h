/*
 * feed.h: what goes out on a WebSocket: each connection's bounded queue
 * of frames, live records to subscribed viewers, the history before them.
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>

#include "kr_buf.h"

struct srv;
struct conn;
struct batch;
struct filter;

/*
 * Queues one message (JSON text) for c, past the queue's bound, so that
 * errors get out. dep: it tells of what is not committed yet (an ack): it
 * waits for the commit, and so does all that follows it.
 */
void feed_send(struct conn *c, const char *s, size_t n, int dep);
/* Queues b's text, and empties b. */
void feed_buf(struct conn *c, struct kr_buf *b);
/* Queues an error message {"type":"error","code",...}. */
void feed_error(struct srv *s, struct conn *c, const char *code,
    const char *msg, int status);
/* Sends an error, then closes once the queue has drained. */
void feed_close(struct conn *c, const char *code, const char *msg);
/* Asks every WebSocket connection to close (shutdown). */
void feed_close_all(struct srv *s);
/* Delivers just-stored rows of task to its live viewers. */
void feed_broadcast(struct srv *s, const char *task, const struct batch *b);
/*
 * When servers share the store: lets the live viewers of each task with
 * new records, of this server or another, read them from the store.
 */
void feed_changes(struct srv *s);
/*
 * Closes (SLOW_CONSUMER) the live viewers that have been reading what
 * the store has new for a while, with their socket full.
 */
void feed_slow(struct srv *s);
/*
 * Tells the viewers of task tid (subscribed, history or live) that
 * records changed: {"type":"redacted","redaction":rid,"ids":[...]}.
 */
void feed_redacted(struct srv *s, long long tid, long long rid,
    const long long *ids, size_t n);
/*
 * Subscribes c to task: f (taken over), the records after id after (-1:
 * after those sent before on this socket for the same task, else all),
 * then live ones when realtime.
 */
void feed_subscribe(struct srv *s, struct conn *c, const char *task,
    const struct filter *f, long long after, int realtime);
void feed_unsubscribe(struct srv *s, struct conn *c);
/* Writes what is ready (the writable callback): 0, or -1 to close. */
int feed_write(struct srv *s, struct conn *c);
/* Frees what a closed connection had queued. */
void feed_drop(struct srv *s, struct conn *c);

#endif
