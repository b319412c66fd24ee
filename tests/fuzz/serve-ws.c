/*
 * serve-ws: keruta-serve's WebSocket handling through its callback, with
 * libwebsockets' side played here: a shipper's and a viewer's connection
 * on a server with a store of its own. Each input line is one message, to
 * the viewer when it starts with '>', else to the shipper; the first byte
 * gives each connection its path (/ws/tasks or /ws/tasks/task123). After
 * each message the store commits and what the connections may write is
 * written; a connection the server closes comes back for the next one.
 *
 * Every frame out is one text frame holding a JSON object of a known type
 * (an error with its code, message and status); an ack never claims a seq
 * the store does not hold for that run; a viewer gets each record once
 * and in id order, only records of its task that are stored, and, when
 * it takes all, every record of its task after its cursor.
 *
 * links: tools/keruta-serve/rec.c tools/keruta-serve/store.c tools/keruta-serve/store_sq.c tools/keruta-serve/words.c tools/keruta-serve/store_pg.c tools/keruta-serve/walbuf.c tools/keruta-serve/auth.c tools/keruta-serve/metrics.c tools/keruta-serve/commit.c tools/keruta-serve/fts.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <libwebsockets.h>
#include <sqlite3.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "kr_embed.h"
#include "kr_json.h"
#include "kr_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One connection as libwebsockets would hold it. */
struct peer {
	char path[64];
	int open, writable;
	struct kr_buf wire;	/* what was written to the socket */
	size_t parsed;
	long long last_id;	/* of the records since "subscribed" */
	long long *ids;
	size_t nids, capids;
};

static struct peer peers[2];

static struct peer *
peer_of(struct lws *wsi)
{
	return (struct peer *)(void *)wsi;
}

static int
fake_writable(struct lws *wsi)
{
	peer_of(wsi)->writable = 1;
	return 1;
}

static int
fake_write(struct lws *wsi, const unsigned char *p, size_t n)
{
	if (kr_buf_add(&peer_of(wsi)->wire, p, n) == -1)
		abort();
	return (int)n;
}

static int
fake_uri(struct lws *wsi, char *dst, int len)
{
	const char *path = peer_of(wsi)->path;
	size_t n = strlen(path);

	if (len <= 0)
		return 0;
	if (n >= (size_t)len)
		n = (size_t)len - 1;
	memcpy(dst, path, n);
	dst[n] = '\0';
	return (int)n;
}

static int
fake_zero(struct lws *wsi)
{
	(void)wsi;
	return 0;
}

static int
fake_one(struct lws *wsi)
{
	(void)wsi;
	return 1;
}

static void
fake_close(struct lws *wsi, int status, const unsigned char *why, size_t n)
{
	(void)wsi;
	(void)status;
	(void)why;
	(void)n;
}

static char dir[64], db[128];

/* The one server, as srv_get finds it from a connection. */
struct srv;
static struct srv *the_srv(void);

#define lws_get_context(w) ((struct lws_context *)(void *)(w))
#define lws_context_user(ctx) ((void)(ctx), (void *)the_srv())
#define lws_callback_on_writable(w) fake_writable(w)
#define lws_write(w, p, n, proto) fake_write(w, p, n)
#define lws_send_pipe_choked(w) fake_zero(w)
#define lws_close_reason(w, st, p, n) fake_close(w, (int)(st), p, n)
#define lws_hdr_copy(w, dst, len, h) fake_uri(w, dst, len)
#define lws_frame_is_binary(w) fake_zero(w)
#define lws_is_final_fragment(w) fake_one(w)
#define lws_remaining_packet_payload(w) ((size_t)fake_zero(w))
#define lws_return_http_status(w, st, p) fake_zero(w)
#include "../../tools/keruta-serve/feed.c"
#include "../../tools/keruta-serve/ws.c"

/* server.c's part: the one server, its commit; the rest is not reached. */
static struct srv srv;

static struct srv *
the_srv(void)
{
	return &srv;
}

/* The store's file, read on a connection of its own. */
static sqlite3 *
store_db(struct store *st)
{
	static sqlite3 *ro;

	(void)st;
	if (ro == NULL && sqlite3_open_v2(db, &ro, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK)
		abort();
	return ro;
}

static int
srv_sync(struct srv *s)
{
	return commit_sync(&s->commit);
}

static struct conn conns[2];

static void
cleanup(void)
{
	char p[160];

	if (srv.store != NULL) {
		store_close(srv.store);
		batch_free(&srv.batch);
		kr_buf_free(&srv.tmp);
		kr_buf_free(&srv.chunk);
	}
	snprintf(p, sizeof p, "%s-wal", db);
	(void)unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	(void)unlink(p);
	(void)unlink(db);
	(void)rmdir(dir);
}

/*
 * The server, once: opening a store costs more than a run. Each run
 * starts from a store without records (ids go on rising).
 */
static void
server_up(void)
{
	const char *t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char err[256];

	if (srv.store != NULL)
		return;
	kr_diag_set_verbosity(KR_V_QUIET);
	store_setup();
	snprintf(dir, sizeof dir, "%s/keruta-fuzz-XXXXXX", t);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(db, sizeof db, "%s/db", dir);
	atexit(cleanup);
	if (store_open(&srv.store, db, err, sizeof err) != 0)
		abort();
	srv.commit.store = srv.store;
	srv.max_body = 1u << 20;
	srv.queue_max = 1u << 20;
	batch_init(&srv.batch);
	kr_buf_init(&srv.tmp, (size_t)1 << 31);
	kr_buf_init(&srv.chunk, (size_t)1 << 31);
}

static void
server_clear(void)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(store_db(srv.store), "SELECT tid FROM tasks",
	    -1, &st, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(st) == SQLITE_ROW)
		if (store_delete(srv.store, sqlite3_column_int64(st, 0), 0) < 0)
			abort();
	sqlite3_finalize(st);
	if (srv_sync(&srv) == -1)
		abort();
}

static struct lws *
wsi_of(int i)
{
	return (struct lws *)(void *)&peers[i];
}

static void
connect_peer(int i)
{
	struct peer *p = &peers[i];

	if (ws_callback(wsi_of(i), LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
	    &conns[i], NULL, 0) != 0 ||
	    ws_callback(wsi_of(i), LWS_CALLBACK_ESTABLISHED, &conns[i], NULL,
	    0) != 0)
		abort();
	p->open = 1;
	p->last_id = 0;
	p->nids = 0;
}

static void
close_peer(int i)
{
	(void)ws_callback(wsi_of(i), LWS_CALLBACK_CLOSED, &conns[i], NULL, 0);
	peers[i].open = 0;
	peers[i].writable = 0;
}

/*
 * The records the last message had refused, as "\nrunId\tseq\n": an ack
 * covers them too.
 */
static struct kr_buf refusals = KR_BUF_INIT(1u << 26);

static void
note_refusal(const cJSON *j)
{
	const char *run = kr_rec_get_str(j, "runId");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");

	if (run == NULL || !cJSON_IsNumber(seq))
		return;
	if ((refusals.len == 0 && kr_buf_addc(&refusals, '\n') == -1) ||
	    kr_buf_printf(&refusals, "%s\t%.0f\n", run, seq->valuedouble) == -1)
		abort();
}

static int
was_refused(const char *run, double seq)
{
	struct kr_buf k = KR_BUF_INIT(1u << 20);
	int found;

	if (kr_buf_printf(&k, "\n%s\t%.0f\n", run, seq) == -1)
		abort();
	found = refusals.len > 0 && strstr(refusals.s, k.s) != NULL;
	kr_buf_free(&k);
	return found;
}

/* An ack's seq is stored for its run, or was refused by its message. */
static void
check_ack(const cJSON *j)
{
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
	const char *run = kr_rec_get_str(j, "runId");
	sqlite3_stmt *st;

	if (run == NULL) {
		/* An ack of a message without runs: its counts. */
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j,
		    "stored")))
			abort();
		return;
	}
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 0)
		abort();
	if (seq->valuedouble == 0)
		return;
	/* A run's seqs are its spans' (rows of an older layout kept their
	 * own). */
	if (sqlite3_prepare_v2(store_db(srv.store), "SELECT max(m) FROM"
	    " (SELECT max(seq + n - 1) AS m FROM spans WHERE run = ?1"
	    " UNION ALL SELECT max(seq) FROM logs WHERE run = ?1)", -1, &st,
	    NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (sqlite3_column_double(st, 0) < seq->valuedouble &&
	    !was_refused(run, seq->valuedouble)))
		abort();	/* acked, neither stored nor refused */
	sqlite3_finalize(st);
}

static void
check_record(struct peer *p, const struct conn *c, const cJSON *j)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	const char *task = kr_rec_get_str(j, "taskId");
	long long v;

	if (!cJSON_IsNumber(id) || task == NULL ||
	    strcmp(task, c->vc.task) != 0)
		abort();
	v = (long long)id->valuedouble;
	if (v <= p->last_id || v <= c->vc.after)
		abort();	/* twice, or out of order */
	p->last_id = v;
	if (p->nids == p->capids) {
		p->capids = p->capids ? 2 * p->capids : 64;
		if ((p->ids = realloc(p->ids, p->capids * sizeof *p->ids)) ==
		    NULL)
			abort();
	}
	p->ids[p->nids++] = v;
}

/* The frames written so far: text frames of known messages. */
static void
check_wire(int i)
{
	static const char *const types[] = { "ack", "error", "subscribed",
	    "unsubscribed", "pong", "live", "end", "log", NULL };
	struct peer *p = &peers[i];
	const unsigned char *s = (const unsigned char *)p->wire.s;
	size_t n, hl, k;
	const char *type;
	cJSON *j;

	while (p->parsed < p->wire.len) {
		s = (const unsigned char *)p->wire.s + p->parsed;
		if (p->wire.len - p->parsed < 2 || s[0] != 0x81)
			abort();
		n = s[1] & 0x7f;
		hl = 2;
		if (s[1] & 0x80)
			abort();	/* a server does not mask */
		if (n == 126) {
			n = (size_t)s[2] << 8 | s[3];
			hl = 4;
		} else if (n == 127) {
			for (n = 0, k = 0; k < 8; k++)
				n = n << 8 | s[2 + k];
			hl = 10;
		}
		if (p->wire.len - p->parsed < hl + n)
			abort();
		if ((j = cJSON_ParseWithLength((const char *)s + hl, n)) ==
		    NULL || !cJSON_IsObject(j) ||
		    (type = kr_rec_get_str(j, "type")) == NULL)
			abort();
		for (k = 0; types[k] != NULL && strcmp(types[k], type); k++)
			;
		if (types[k] == NULL)
			abort();
		if (strcmp(type, "error") == 0 &&
		    (kr_rec_get_str(j, "code") == NULL ||
		    kr_rec_get_str(j, "message") == NULL ||
		    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j,
		    "status"))))
			abort();
		if (strcmp(type, "error") == 0 &&
		    strcmp(kr_rec_get_str(j, "code"), "INVALID_RECORD") == 0)
			note_refusal(j);
		if (strcmp(type, "ack") == 0)
			check_ack(j);
		if (strcmp(type, "subscribed") == 0) {
			p->last_id = 0;
			p->nids = 0;
		}
		if (strcmp(type, "log") == 0)
			check_record(p, &conns[i], j);
		cJSON_Delete(j);
		p->parsed += hl + n;
	}
}

/* Commits, then writes while a connection asks to; a refusal closes. */
static void
settle(void)
{
	int i, more, rounds;

	srv_sync(&srv);
	for (rounds = 0, more = 1; more; rounds++) {
		if (rounds > 100000)
			abort();	/* it never finishes */
		more = 0;
		for (i = 0; i < 2; i++) {
			if (!peers[i].open || !peers[i].writable)
				continue;
			peers[i].writable = 0;
			more = 1;
			if (ws_callback(wsi_of(i),
			    LWS_CALLBACK_SERVER_WRITEABLE, &conns[i], NULL,
			    0) != 0) {
				check_wire(i);
				close_peer(i);
			}
		}
	}
	for (i = 0; i < 2; i++)
		check_wire(i);
}

/* A live viewer that takes all has every record of its task after after. */
static void
check_complete(int i)
{
	const struct conn *c = &conns[i];
	const struct peer *p = &peers[i];
	sqlite3_stmt *st;
	size_t k = 0;

	if (!p->open || c->sub != SUB_LIVE || c->closing ||
	    !takes_all(&c->vc))
		return;
	if (sqlite3_prepare_v2(store_db(srv.store), "SELECT l.id FROM logs l "
	    "JOIN tasks t ON t.tid = l.tid WHERE t.name = ? AND l.id > ? "
	    "ORDER BY l.id", -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_text(st, 1, c->vc.task, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->vc.after);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (k >= p->nids || p->ids[k++] != sqlite3_column_int64(st, 0))
			abort();	/* a record the viewer did not get */
	if (k != p->nids)
		abort();
	sqlite3_finalize(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s, *e, *nl;
	int i;

	if (size == 0)
		return 0;
	server_up();
	for (i = 0; i < 2; i++) {
		struct peer *p = &peers[i];

		snprintf(p->path, sizeof p->path, "%s", data[0] >> i & 1 ?
		    "/ws/tasks/task123" : "/ws/tasks");
		kr_buf_init(&p->wire, (size_t)1 << 31);
		p->parsed = 0;
		connect_peer(i);
	}
	s = (const char *)data + 1;
	for (e = (const char *)data + size; s < e; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
			nl = e;
		i = nl > s && *s == '>';
		refusals.len = 0;
		if (kr_utf8_valid(s + i, (size_t)(nl - s - i)) !=
		    (size_t)(nl - s - i)) {
			/* libwebsockets closes on bad UTF-8 in a text frame. */
			if (peers[i].open)
				close_peer(i);
			continue;
		}
		if (!peers[i].open)
			connect_peer(i);
		(void)ws_callback(wsi_of(i), LWS_CALLBACK_RECEIVE, &conns[i],
		    (void *)(s + i), (size_t)(nl - s - i));
		settle();
	}
	for (i = 0; i < 2; i++) {
		check_complete(i);
		if (peers[i].open)
			close_peer(i);
		kr_buf_free(&peers[i].wire);
		free(peers[i].ids);
		peers[i].ids = NULL;
		peers[i].capids = 0;
	}
	server_clear();
	kr_buf_free(&refusals);
	return 0;
}
