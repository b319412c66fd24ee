/*
 * ws.c: the WebSocket protocol at /ws/tasks/{taskId}: the handshake and
 * its checks, then each message in. Shippers send records (acked once
 * stored) and resume; viewers subscribe with options. What goes out is
 * the live feed's (feed.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "kr_diag.h"
#include "kr_id.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_time.h"
#include "auth.h"
#include "commit.h"
#include "feed.h"
#include "metrics.h"
#include "rec.h"
#include "srv.h"
#include "store.h"
#include "ws.h"

static int
str_list(cJSON *a, struct filter *f)
{
	cJSON *e;

	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || f->nsources == SRV_NSOURCES ||
		    strlen(e->valuestring) > SRV_SOURCE_MAX)
			return -1;
		snprintf(f->sources[f->nsources++], SRV_SOURCE_MAX + 1, "%s",
		    e->valuestring);
	}
	return 0;
}

static int
level_list(cJSON *a, unsigned *mask)
{
	cJSON *e;
	int lv;

	if (a == NULL || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e) || (lv = kr_level_parse(e->valuestring,
		    strlen(e->valuestring))) < 0)
			return -1;
		*mask |= 1u << lv;
	}
	return 0;
}

static const char *
msg_task(struct conn *c, cJSON *j)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "taskId");

	if (c->task[0] != '\0')
		return c->task;
	if (cJSON_IsString(t) && kr_id_valid(t->valuestring,
	    strlen(t->valuestring)))
		return t->valuestring;
	return NULL;
}

static void
subscribe(struct srv *s, struct conn *c, cJSON *j)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "options"), *v;
	const char *task = msg_task(c, j), *why;
	struct filter f;
	long long after = -1;
	int st, realtime = 1;

	if (task == NULL) {
		feed_error(s, c, "NO_TASK", "subscribe needs a taskId", 400);
		return;
	}
	if ((st = auth_allow(s->auth, &c->az, SCOPE_READ, task, &why)) != 0) {
		feed_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	memset(&f, 0, sizeof f);
	if (o != NULL && !cJSON_IsObject(o))
		goto bad;
	if (str_list(cJSON_GetObjectItemCaseSensitive(o, "sources"), &f) == -1 ||
	    level_list(cJSON_GetObjectItemCaseSensitive(o, "levels"),
	    &f.levels) == -1)
		goto bad;
	v = cJSON_GetObjectItemCaseSensitive(o, "level");
	if (v != NULL && !cJSON_IsNull(v)) {
		unsigned m;

		if (!cJSON_IsString(v) || parse_levels(v->valuestring,
		    &m) == -1)
			goto bad;
		f.levels = f.levels ? (f.levels & m) : m;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "realtime");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsBool(v))
			goto bad;
		realtime = cJSON_IsTrue(v);
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "after");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > 9007199254740991.0)
			goto bad;
		after = (long long)v->valuedouble;
	}
	feed_subscribe(s, c, task, &f, after, realtime);
	return;
bad:
	feed_error(s, c, "BAD_OPTIONS", "options: sources and levels are "
	    "arrays of strings, level a string, realtime a boolean, after a "
	    "record id", 400);
}

/* ---- shippers ---- */

static void resume(struct srv *s, struct conn *c, cJSON *j, const char *p,
    size_t n);

static void
on_control(struct srv *s, struct conn *c, cJSON *j, const char *p, size_t n)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");

	if (!cJSON_IsString(t))
		feed_error(s, c, "BAD_REQUEST", "type must be a string", 400);
	else if (strcmp(t->valuestring, "subscribe") == 0)
		subscribe(s, c, j);
	else if (strcmp(t->valuestring, "unsubscribe") == 0) {
		feed_unsubscribe(s, c);
	} else if (strcmp(t->valuestring, "resume") == 0)
		resume(s, c, j, p, n);
	else if (strcmp(t->valuestring, "ping") == 0)
		feed_send(c, "{\"type\":\"pong\"}", 15, 0);
	else if (strcmp(t->valuestring, "pong") == 0)
		;
	else
		feed_error(s, c, "UNKNOWN_TYPE", "type must be log, subscribe, "
		    "unsubscribe, resume or ping", 400);
}

/* Tells the shipper about each refused record of the batch. */
static void
send_refusals(struct srv *s, struct conn *c, const struct batch *bt)
{
	struct kr_buf *b = &s->tmp;
	size_t i;

	for (i = 0; i < bt->n; i++) {
		const struct row *r = &bt->rows[i];

		if (r->code == NULL)
			continue;
		b->len = 0;
		kr_buf_adds(b, "{\"type\":\"error\",\"code\":\"INVALID_RECORD\","
		    "\"reason\":\"");
		kr_buf_adds(b, r->code);
		kr_buf_printf(b, "\",\"index\":%zu", i);
		if (r->run != NULL) {
			kr_buf_adds(b, ",\"runId\":");
			json_str(b, r->run, r->runlen);
		}
		if (r->seq != 0)
			kr_buf_printf(b, ",\"seq\":%lld", r->seq);
		kr_buf_adds(b, ",\"message\":");
		json_str(b, r->why, strlen(r->why));
		kr_buf_adds(b, ",\"status\":400}");
		feed_buf(c, b);
	}
}

static int
same_task(const struct row *r, const char *task)
{
	return r->tasklen == strlen(task) &&
	    memcmp(r->task, task, r->tasklen) == 0;
}

/*
 * On /ws/tasks, each record names its task: the first usable taskId is
 * the message's (into task, "" if none), and a record without it or with
 * another is refused.
 */
static void
records_task(struct batch *bt, char task[SRV_ID_MAX + 1])
{
	size_t i;

	for (i = 0; i < bt->n && task[0] == '\0'; i++) {
		const struct row *r = &bt->rows[i];

		if (r->code == NULL && r->task != NULL &&
		    kr_id_valid(r->task, r->tasklen)) {
			memcpy(task, r->task, r->tasklen);
			task[r->tasklen] = '\0';
		}
	}
	for (i = 0; i < bt->n; i++) {
		struct row *r = &bt->rows[i];

		if (r->code != NULL)
			continue;
		if (r->task == NULL || !kr_id_valid(r->task, r->tasklen)) {
			r->code = "NO_TASK";
			r->why = "a record sent to /ws/tasks needs a taskId";
			bt->nbad++;
		} else if (!same_task(r, task)) {
			r->code = "BAD_RECORD";
			r->why = "another taskId in the same message";
			bt->nbad++;
		}
	}
}

/*
 * Stores the records of a message. Each invalid record is refused alone
 * (INVALID_RECORD, with its runId and seq) and the ack covers it, so a
 * shipper moves past it; only a message that is not JSON at all, a
 * forbidden task or a failed database refuse the whole message.
 */
static void
ingest(struct srv *s, struct conn *c, const char *p, size_t n)
{
	static struct kr_ratelimit rl = KR_RATELIMIT_INIT(10, 1);
	struct batch *bt = &s->batch;
	struct kr_buf *b = &s->tmp;
	struct srv_err e;
	const char *why;
	char task[SRV_ID_MAX + 1] = "";
	size_t i, stored = 0, dups = 0, bad;
	int st, single;

	/* lws checked the UTF-8 of text messages already. */
	if (batch_parse(bt, p, n, BP_EACH | BP_UTF8_OK, &single, &e) == -1)
		goto fail;
	if (bt->n == 0)
		return;		/* an empty array */
	if (c->task[0] != '\0')
		snprintf(task, sizeof task, "%s", c->task);
	else
		records_task(bt, task);
	if (task[0] != '\0' && (st = auth_allow(s->auth, &c->az, SCOPE_WRITE,
	    task, &why)) != 0) {
		batch_reset(bt);
		feed_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	if (bt->nbad < bt->n && store_insert(s->store, task, bt, &stored,
	    &dups) == -1) {
		err_set(&e, 503, "STORE_FAILED", "the database failed; "
		    "send again");
		goto fail;
	}
	bad = bt->nbad;
	commit_noted(&s->commit, stored + dups);
	s->m.ingested += stored;
	s->m.ingested_ws += stored;
	s->m.duplicates += dups;
	if (bad > 0) {
		s->m.refused += bad;
		for (i = 0; bt->rows[i].code == NULL; i++)
			;
		if (kr_ratelimit_ok(&rl))
			kr_warn("task '%s': refused %zu of %zu records (first: "
			    "%s: %s)", task[0] ? task : "none", bad, bt->n,
			    bt->rows[i].code, bt->rows[i].why);
		send_refusals(s, c, bt);
	}
	b->len = 0;
	if (acks_json(b, bt, "{\"type\":\"ack\",\"runId\":", "\n", "}") == 0)
		kr_buf_printf(b, "{\"type\":\"ack\",\"stored\":%zu,"
		    "\"duplicates\":%zu,\"refused\":%zu}", stored, dups, bad);
	/* One message per run: split the lines. */
	{
		char *q = b->s, *e2, *end = b->s + b->len;

		for (; q < end; q = e2 + 1) {
			if ((e2 = memchr(q, '\n', (size_t)(end - q))) == NULL)
				e2 = end;
			feed_send(c, q, (size_t)(e2 - q), 1);
		}
	}
	if (stored > 0) {
		metrics_batch(&s->m.age_stored, bt, kr_wall_ns());
		feed_broadcast(s, task, bt);
	}
	batch_reset(bt);
	return;
fail:
	batch_reset(bt);
	s->m.rejected++;
	feed_error(s, c, e.code, e.msg, e.status);
}

static void
resume(struct srv *s, struct conn *c, cJSON *j, const char *p, size_t n)
{
	struct kr_buf run = KR_BUF_INIT(SRV_ID_MAX + 1);
	const char *task = msg_task(c, j), *why;
	struct kr_buf *b = &s->tmp;
	long long tid, seq = 0;
	int st;

	if (task == NULL) {
		feed_error(s, c, "NO_TASK", "resume needs a taskId", 400);
		return;
	}
	if (json_obj_str(p, n, "runId", &run) != 1 || run.len == 0 ||
	    run.len > SRV_ID_MAX) {
		kr_buf_free(&run);
		feed_error(s, c, "BAD_REQUEST", "resume needs a runId", 400);
		return;
	}
	if ((st = auth_allow(s->auth, &c->az, SCOPE_WRITE, task, &why)) != 0) {
		kr_buf_free(&run);
		feed_error(s, c, st == 401 ? "UNAUTHORIZED" : "FORBIDDEN", why,
		    st);
		return;
	}
	commit_sync(&s->commit);
	if ((tid = store_task(s->store, task, 0)) > 0)
		seq = store_max_seq(s->store, tid, run.s, run.len);
	b->len = 0;
	kr_buf_adds(b, "{\"type\":\"ack\",\"runId\":");
	json_str(b, run.s, run.len);
	kr_buf_printf(b, ",\"seq\":%lld}", seq);
	kr_buf_free(&run);
	feed_buf(c, b);
}

static void
on_message(struct srv *s, struct conn *c, const char *p, size_t n)
{
	struct kr_buf type = KR_BUF_INIT(64);
	const char *q = p, *end = p + n;
	cJSON *j;
	int rc;

	s->m.ws_frames++;
	s->m.bytes_in += n;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
		q++;
	if (q < end && *q == '[') {
		ingest(s, c, p, n);
		return;
	}
	if (q == end || *q != '{' ||
	    (rc = json_obj_str(p, n, "type", &type)) == -1) {
		kr_buf_free(&type);
		s->m.rejected++;
		feed_error(s, c, "MALFORMED_REQUEST", "a message is a JSON "
		    "object or an array of records", 400);
		return;
	}
	if (rc == 0 || (rc == 1 && type.len == 3 &&
	    memcmp(type.s, "log", 3) == 0)) {
		kr_buf_free(&type);
		ingest(s, c, p, n);
		return;
	}
	kr_buf_free(&type);
	/* A control message, small: the general parser is fine. */
	if ((j = cJSON_ParseWithLength(p, n)) == NULL) {
		s->m.rejected++;
		feed_error(s, c, "MALFORMED_REQUEST", "a message is a JSON "
		    "object or an array of records", 400);
		return;
	}
	on_control(s, c, j, p, n);
	cJSON_Delete(j);
}

/* ---- the callback ---- */

/* The taskId in /ws/tasks/{taskId}: 1, 0 for /ws/tasks, -1 otherwise. */
static int
ws_path(struct lws *wsi, char *task, size_t tsz)
{
	char uri[512];
	const char *p;
	int n;

	n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	if (n <= 0)
		return -1;
	if (strcmp(uri, "/ws/tasks") == 0 || strcmp(uri, "/ws/tasks/") == 0) {
		task[0] = '\0';
		return 0;
	}
	if (strncmp(uri, "/ws/tasks/", 10) != 0)
		return -1;
	p = uri + 10;
	n = (int)strlen(p);
	if (n > 0 && p[n - 1] == '/')
		n--;
	if (!kr_id_valid(p, (size_t)n) || (size_t)n >= tsz)
		return -1;
	memcpy(task, p, (size_t)n);
	task[n] = '\0';
	return 1;
}

/* The handshake asks for version 13 (RFC 6455), the only one spoken. */
static int
version_ok(struct lws *wsi)
{
	char v[8];

	return lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_VERSION) == 2 &&
	    strcmp(v, "13") == 0;
}

/*
 * No subprotocol is offered, or "keruta" is among those offered (lws then
 * names it in its answer). Offered others alone, lws would drop the
 * connection without a word.
 */
static int
subprotocol_ok(struct lws *wsi)
{
	char buf[512], *p, *t;
	int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);

	if (n <= 0)
		return 1;
	if (n >= (int)sizeof buf || lws_hdr_copy(wsi, buf, sizeof buf,
	    WSI_TOKEN_PROTOCOL) < 0)
		return 0;
	for (p = strtok_r(buf, ", \t", &t); p != NULL;
	    p = strtok_r(NULL, ", \t", &t))
		if (strcmp(p, "keruta") == 0)
			return 1;
	return 0;
}

/* Refuses a handshake with status, an optional header and a short text. */
static void
refuse(struct lws *wsi, unsigned status, const char *hname, const char *hval,
    const char *text)
{
	unsigned char b[LWS_PRE + 1024], *start = b + LWS_PRE, *p = start,
	    *end = b + sizeof b - 1;
	size_t n = strlen(text);

	if (lws_add_http_header_status(wsi, status, &p, end) ||
	    (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hval,
	    (int)strlen(hval), &p, end)) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	    (const unsigned char *)"text/plain; charset=utf-8", 25, &p, end) ||
	    lws_add_http_header_content_length(wsi, n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < n)
		return;
	memcpy(p, text, n);
	p += n;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
}

/* Closes a connection whose token has expired. 1 if it did. */
static int
expired(struct conn *c)
{
	long long d = auth_deadline(&c->az);

	if (d == 0 || (long long)time(NULL) <= d)
		return 0;
	feed_close(c, "TOKEN_EXPIRED", "the token has expired; reconnect with "
	    "a new one");
	return 1;
}

/* The checks of a handshake: 0 to go on, else 1 (refused). */
static int
confirm_upgrade(struct srv *s, struct lws *wsi, const char *in)
{
	char task[SRV_ID_MAX + 1];
	struct authz z;
	const char *why;
	int st;

	if (in == NULL || strcmp(in, "websocket") != 0) {
		lws_return_http_status(wsi, 400, NULL);
		return 1;
	}
	if (!version_ok(wsi)) {
		metrics_status(&s->m, 426);
		refuse(wsi, 426, "sec-websocket-version:", "13",
		    "this server speaks WebSocket version 13 only\n");
		return 1;
	}
	if (!subprotocol_ok(wsi)) {
		metrics_status(&s->m, 400);
		refuse(wsi, 400, NULL, NULL, "the only subprotocol is "
		    "keruta: offer it, or none\n");
		return 1;
	}
	if (ws_path(wsi, task, sizeof task) == -1) {
		metrics_status(&s->m, 404);
		lws_return_http_status(wsi, 404, NULL);
		return 1;
	}
	auth_check(s->auth, wsi, &z);
	if ((st = auth_allow(s->auth, &z, SCOPE_READ | SCOPE_WRITE,
	    task[0] ? task : NULL, &why)) != 0) {
		metrics_status(&s->m, st);
		lws_return_http_status(wsi, (unsigned)st, NULL);
		return 1;
	}
	if (s->stopping) {
		metrics_status(&s->m, 503);
		lws_return_http_status(wsi, 503, NULL);
		return 1;
	}
	return 0;
}

static void
established(struct srv *s, struct lws *wsi, struct conn *c)
{
	c->wsi = wsi;
	c->is_ws = 1;
	kr_buf_init(&c->rx, s->max_body);
	c->next = s->ws_list;
	if (s->ws_list != NULL)
		s->ws_list->prev = c;
	s->ws_list = c;
	s->m.ws_conns++;
	metrics_status(&s->m, 101);
	if (auth_deadline(&c->az) != 0)
		lws_set_timer_usecs(wsi, LWS_US_PER_SEC);
}

/*
 * A fragment of a message; the message once it is whole. -1 closes the
 * connection: a text message that is not UTF-8 closes it with 1007 (RFC
 * 6455, 8.1), checked here once the message is whole, at a few times the
 * speed of lws's check of each byte (LWS_SERVER_OPTION_VALIDATE_UTF8).
 */
static int
receive(struct srv *s, struct lws *wsi, struct conn *c, const char *in,
    size_t len)
{
	size_t rem;

	if (c->closing || expired(c))
		return 0;
	if (lws_frame_is_binary(wsi)) {
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0)
			feed_error(s, c, "BAD_REQUEST", "binary messages are "
			    "not accepted", 400);
		return 0;
	}
	/*
	 * An over-long message is read to its end (so that the error
	 * reaches a client still sending), unless what it announces is
	 * absurd: then the connection closes at once.
	 */
	rem = lws_remaining_packet_payload(wsi);
	if (!c->rx_drop && (c->rx.len + len + rem > s->max_body ||
	    kr_buf_add(&c->rx, in, len) == -1)) {
		kr_buf_free(&c->rx);
		c->rx_drop = 1;
	}
	if (c->rx_drop && rem > 4 * s->max_body)
		c->rx_drop = 2;
	if (c->rx_drop != 2 && (!lws_is_final_fragment(wsi) || rem > 0))
		return 0;
	if (c->rx_drop) {
		char m[96];

		snprintf(m, sizeof m, "a message may hold at most %zu bytes",
		    s->max_body);
		c->rx_drop = 0;
		feed_close(c, "TOO_LARGE", m);
		return 0;
	}
	if (kr_utf8_valid(c->rx.s ? c->rx.s : "", c->rx.len) != c->rx.len) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    (unsigned char *)"invalid UTF-8", 13);
		return -1;
	}
	on_message(s, c, c->rx.s ? c->rx.s : "", c->rx.len);
	c->rx.len = 0;
	if (c->rx.cap > 1u << 20)
		kr_buf_free(&c->rx);
	return 0;
}

static void
closed(struct srv *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (s->ws_list == c)
		s->ws_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	commit_unhold(&s->commit, &c->cw);
	s->m.ws_conns--;
	feed_drop(s, c);
	kr_buf_free(&c->rx);
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct srv *s = srv_get(wsi);
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(s, wsi, in);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		memset(c, 0, sizeof *c);
		if (ws_path(wsi, c->task, sizeof c->task) == -1)
			return 1;
		auth_check(s->auth, wsi, &c->az);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		established(s, wsi, c);
		return 0;
	case LWS_CALLBACK_TIMER:
		/* A token that expires closes the connection, whether or
		 * not the client sends anything. */
		if (c == NULL || !c->is_ws || c->closing)
			return 0;
		if (!expired(c))
			lws_set_timer_usecs(wsi, LWS_US_PER_SEC);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return receive(s, wsi, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return feed_write(s, c);
	case LWS_CALLBACK_CLOSED:
		/* Also said of a socket that never became a WebSocket (the
		 * listening one, when it closes at SIGTERM). */
		if (c != NULL && c->is_ws)
			closed(s, c);
		return 0;
	default:
		break;
	}
	return 0;
}
