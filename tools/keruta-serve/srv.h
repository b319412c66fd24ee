/*
 * srv.h: the server and its connections, which the parts above the store
 * share. No functions but srv_get, inline.
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>

#include <libwebsockets.h>

#include "kr_buf.h"
#include "auth.h"
#include "commit.h"
#include "fts.h"
#include "metrics.h"
#include "rec.h"
#include "redact.h"
#include "store.h"

struct conn;

struct srv {
	struct store *store;
	struct auth *auth;
	struct lws_context *ctx;
	const char *panel_dir;
	size_t max_body;	/* request bodies and ws messages */
	size_t queue_max;	/* bytes queued for one ws connection */
	long long retention_ms;	/* 0: keep everything */
	const char *retention;	/* as given */
	long long expire_cutoff;	/* of the retention pass under way */
	long long expire_n;	/* records it deleted so far */
	struct conn *ws_list;	/* every open ws connection */
	unsigned bodies;	/* request bodies on their way in */
	struct fts fts;		/* the full-text index catching up */
	struct redact redact;	/* values scrubbed after the fact */
	struct metrics m;
	struct batch batch;	/* reused by each ingest */
	struct kr_buf tmp;	/* reused for formatting */
	struct kr_buf chunk;	/* frames being gathered for a queue */
	lws_sorted_usec_list_t sul_retention, sul_stop, sul_commit;
	lws_sorted_usec_list_t sul_check, sul_changes;
	unsigned changes_ticks;
	struct commit commit;	/* the open transaction, and who waits */
	int stopping;
	long long inflight;	/* HTTP requests not yet answered */
	long long started_ns;
};

/* HTTP methods, numbered as libwebsockets numbers them (http.c checks). */
enum { M_GET, M_POST, M_OPTIONS, M_PUT, M_PATCH, M_DELETE, M_CONNECT,
	M_HEAD };

/* A reply as the API describes it, for http.c to send. */
struct reply {
	int ready;		/* described: its headers are due */
	const char *ctype;
	int known;		/* Content-Length known: all of it in out */
	const char *hname;	/* one more header ("name:"), or NULL */
	char hval[200];
};

/* What a writable callback owes a request that waited. */
enum { DUE_NONE, DUE_REPLY, DUE_FAILED, DUE_ROUTE };

/* One connection: an HTTP transaction or a WebSocket. */
struct qent;

struct conn {
	struct lws *wsi;
	int is_ws;
	/* http: the request, parsed */
	int method;		/* M_*; -1 another, -2 its path too long */
	char path[512];
	struct kr_buf args;	/* the query's arguments, decoded, each
				 * ended by a NUL; nargs of them */
	int nargs;
	char ctype[128];	/* Content-Type, or "" */
	char inm[256];		/* If-None-Match, or "" */
	int gz_ok;		/* Accept-Encoding takes gzip */
	struct kr_buf body;
	/* http: the reply */
	struct reply rp;
	struct z_stream_s *gz;	/* its body gzipped (http.c), or NULL */
	int body_over, responded, streaming, counted;
	int close_after;	/* the connection closes after the reply */
	size_t sent;		/* bytes of the reply's body sent */
	int head;		/* HEAD: the headers of GET, no body */
	char etag[20];		/* a panel file's ETag, or "" */
	const char *cache;	/* Cache-Control; NULL: no-store */
	struct kr_buf out;
	size_t outoff;
	struct cursor cur;
	row_fmt fmt;
	char epilogue[200];
	int status;
	int due;		/* DUE_*: what the next writable callback does */
	int fts_ready;		/* routed again after waiting for the index */
	struct waiter fw;	/* waits for the index */
	int receiving;		/* counted in srv.bodies */
	int rx_held;		/* reads paused until the reply is out */
	long long t0;
	struct authz az;
	/* ws */
	char task[SRV_ID_MAX + 1];
	long long tid;
	struct kr_buf rx;
	int rx_drop;		/* 1: skipping an over-long message */
	struct qent *q;		/* a ring of qcap entries */
	size_t qhead, qlen, qcap, qbytes;
	size_t qready;		/* messages at the head that may go out */
	struct waiter cw;	/* waits for the commit (ws: messages;
				 * http: the reply) */
	int sub;		/* 0 none, 1 history, 2 live */
	int catchup;		/* live, reading what the store has new */
	long long behind_ns;	/* since when */
	int realtime;
	struct cursor vc;	/* the viewer's cursor */
	int closing;
	const char *close_msg;
	unsigned char *scratch;
	size_t scratch_cap;
	struct conn *next, *prev;
};

/* The server a connection belongs to. */
static inline struct srv *
srv_get(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

#endif
