/*
 * ship_ws.c: delivery over WebSocket with libwebsockets, in its service
 * loop with stdin adopted as a raw file. One connection at a time, to
 * url/{taskId} of the records at the head of the spool; frames are JSON
 * arrays; the server's {"type":"ack","runId","seq"} are cumulative per
 * run. After each connect, a {"type":"resume","runId"} per run in the
 * window learns what the server already stores, so that is not sent.
 * A record the server refuses alone (INVALID_RECORD, before the ack that
 * covers it) is set aside in the rejected file, as a 4xx does over REST.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libwebsockets.h>
#include <sodium.h>

#include "kr_diag.h"
#include "kr_rec.h"
#include "kr_time.h"
#include "kr_url.h"
#include "ship.h"

#define WS_TICK_US	50000
#define WS_BURST	16
#define WS_RESUME_MAX	32
#define WS_RX_MAX	(1u << 20)
#define WS_TMP_KEEP	(2u << 20)	/* a frame of frame_bytes fits */

enum ws_state { WS_IDLE, WS_CONNECTING, WS_RESUMING, WS_SENDING };

struct ws {
	struct ship *s;
	struct lws_context *ctx;
	struct lws *wsi, *in;
	lws_sorted_usec_list_t sul_conn, sul_tick;
	enum ws_state state;
	int conn_scheduled, fails, perm, warned, got_ack, switching, quit;
	int paused;
	long long progress_ns, resume_until;
	char resume[WS_RESUME_MAX][SHIP_ID_MAX + 1];
	size_t nresume, resume_sent, resume_got;
	char task[SHIP_ID_MAX + 1];
	struct kr_url u;		/* of url: host, port, path and query */
	struct kr_buf url;		/* the task's endpoint */
	struct kr_buf shown;		/* url masked, for messages */
	struct kr_buf rx, tmp, hdr;
	unsigned char keys[256];	/* masking keys to come */
	size_t nkeys;			/* bytes of them left */
};

static struct kr_ratelimit rl_fail = KR_RATELIMIT_INIT(3, 30);
static struct kr_ratelimit rl_err = KR_RATELIMIT_INIT(5, 30);

static void schedule_connect(struct ws *w, long long ms);

static int
has_unacked_sent(const struct ship *s)
{
	const struct ship_frame *f;

	for (f = s->head; f != NULL; f = f->next)
		if (f->sent && !f->done)
			return 1;
	return 0;
}

/* The connection is gone or failed: send again later. */
static void
lost(struct ws *w, const char *why, int permanent)
{
	struct ship *s = w->s;
	long long ms;

	w->wsi = NULL;
	w->state = WS_IDLE;
	ship_rewind(s);
	if (w->quit)
		return;
	if (w->switching) {
		w->switching = 0;
		schedule_connect(w, 0);
		return;
	}
	if (permanent && ++w->perm > s->o->retry_count) {
		kr_warn("giving up on '%s': %s", w->shown.s, why);
		s->dead = 1;
		return;
	}
	ms = ship_backoff_ms(s->o, w->fails++);
	ship_failed(s->o, w->shown.s, why, ms,
	    (!w->warned || kr_diag_verbosity() >= KR_V_INFO) &&
	    kr_ratelimit_ok(&rl_fail));
	w->warned = 1;
	schedule_connect(w, ms);
}

static void
connect_cb(lws_sorted_usec_list_t *sul)
{
	struct ws *w = lws_container_of(sul, struct ws, sul_conn);
	struct ship *s = w->s;
	struct lws_client_connect_info i;
	struct ship_frame *f;
	const char *why;

	w->conn_scheduled = 0;
	if (w->quit || s->dead || w->wsi != NULL)
		return;
	ship_rewind(s);
	if ((f = ship_frame_next(s)) == NULL) {
		w->state = WS_IDLE;	/* nothing to send: wait for input */
		return;
	}
	memcpy(w->task, f->task, sizeof w->task);
	w->url.len = w->shown.len = 0;
	if (kr_url_task(&w->url, s->o->url, KR_URL_WS, f->task, &why) == -1 ||
	    kr_url_parse(w->url.s, &w->u, &why) == -1)
		kr_die(KR_EX_USAGE, "bad url: %s", why);
	if (kr_url_mask(&w->shown, w->url.s) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	memset(&i, 0, sizeof i);
	i.context = w->ctx;
	i.address = w->u.host;
	i.port = w->u.port;
	i.path = w->u.path;	/* with the query after it */
	i.host = w->u.host;
	i.origin = w->u.host;
	if (w->u.tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (s->o->insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	i.protocol = NULL;
	i.local_protocol_name = "keruta-ship";
	i.pwsi = &w->wsi;
	w->state = WS_CONNECTING;
	w->got_ack = 0;
	if (lws_client_connect_via_info(&i) == NULL && w->state ==
	    WS_CONNECTING)
		lost(w, "unable to connect", 0);
}

static void
schedule_connect(struct ws *w, long long ms)
{
	w->conn_scheduled = 1;
	lws_sul_schedule(w->ctx, 0, &w->sul_conn, connect_cb,
	    (lws_usec_t)ms * 1000);
}

/* Input came or acks made room: send, or connect when idle. */
static void
kick(struct ws *w)
{
	struct ship *s = w->s;

	if (w->quit || s->dead)
		return;
	if (w->state == WS_SENDING) {
		lws_callback_on_writable(w->wsi);
	} else if (w->state == WS_IDLE && !w->conn_scheduled &&
	    (s->head != NULL || ship_frame_next(s) != NULL)) {
		schedule_connect(w, 0);
	}
}

static void
start_sending(struct ws *w)
{
	w->state = WS_SENDING;
	w->progress_ns = kr_mono_ns();
	lws_callback_on_writable(w->wsi);
}

/*
 * Before frame f goes, asks the server what it stores of the runs in f
 * that this connection has not asked about yet. 1 when it asked.
 */
static int
need_resume(struct ws *w, const struct ship_frame *f)
{
	size_t i, k, before = w->nresume;

	for (i = 0; i < f->nruns && w->nresume < WS_RESUME_MAX; i++) {
		for (k = 0; k < w->nresume; k++)
			if (strcmp(w->resume[k], f->runs[i].id) == 0)
				break;
		if (k == w->nresume)
			memcpy(w->resume[w->nresume++], f->runs[i].id,
			    sizeof w->resume[0]);
	}
	if (w->nresume == before)
		return 0;
	w->state = WS_RESUMING;
	w->resume_until = kr_mono_ns() + (w->s->o->timeout_ms < 2000 ?
	    w->s->o->timeout_ms : 2000) * 1000000LL;
	return 1;
}

static void
established(struct ws *w)
{
	w->nresume = w->resume_sent = w->resume_got = 0;
	start_sending(w);
}

static int
write_text(struct ws *w, const char *p, size_t n)
{
	w->tmp.len = 0;
	if (kr_buf_reserve(&w->tmp, LWS_PRE + n) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	memcpy(w->tmp.s + LWS_PRE, p, n);
	return lws_write(w->wsi, (unsigned char *)w->tmp.s + LWS_PRE, n,
	    LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

/*
 * Sends frame f as one text message, framed and masked here, into w->tmp
 * (lws masks a byte at a time, which cost more than anything else in
 * sending). lws passes LWS_WRITE_HTTP writes on a WebSocket through to
 * the socket (or TLS) unchanged, keeping what the kernel does not take,
 * as for its own frames: w->tmp is free again once this returns.
 */
static int
write_frame(struct ws *w, const struct ship_frame *f)
{
	unsigned char key[4], *h;
	size_t n = f->len, hl, i;
	int rc;

	/* Drawn 64 at a time: a getrandom call a frame cost more than the
	 * frame's framing. */
	if (w->nkeys < sizeof key) {
		randombytes_buf(w->keys, sizeof w->keys);
		w->nkeys = sizeof w->keys;
	}
	w->nkeys -= sizeof key;
	memcpy(key, w->keys + w->nkeys, sizeof key);
	hl = n < 126 ? 2 : n < 65536 ? 4 : 10;
	w->tmp.len = 0;
	if (kr_buf_reserve(&w->tmp, LWS_PRE + hl + 4 + n) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	h = (unsigned char *)w->tmp.s + LWS_PRE;
	h[0] = 0x81;			/* FIN, text */
	if (n < 126) {
		h[1] = (unsigned char)(0x80 | n);
	} else if (n < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
	} else {
		h[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(h + hl, key, 4);
	ship_form_masked((char *)h + hl + 4, f, key);
	n += hl + 4;
	rc = lws_write(w->wsi, h, n, LWS_WRITE_HTTP) < (int)n ? -1 : 0;
	/* Kept for the next frame, but not at the size of a record of
	 * many megabytes. */
	if (w->tmp.cap > WS_TMP_KEEP)
		kr_buf_free(&w->tmp);
	return rc;
}

static int
writeable(struct ws *w)
{
	struct ship *s = w->s;
	struct ship_frame *f;
	int k;

	if (w->state == WS_RESUMING) {
		char msg[SHIP_ID_MAX + 64];

		while (w->resume_sent < w->nresume) {
			if (w->resume_sent > 0 && lws_send_pipe_choked(w->wsi)) {
				lws_callback_on_writable(w->wsi);
				return 0;
			}
			snprintf(msg, sizeof msg, "{\"type\":\"resume\","
			    "\"runId\":\"%s\"}", w->resume[w->resume_sent++]);
			if (write_text(w, msg, strlen(msg)) == -1)
				return -1;
		}
		return 0;
	}
	if (w->state != WS_SENDING)
		return 0;
	while (ship_frame_next(s) != NULL)
		;
	for (k = 0; (f = ship_frame_unsent(s)) != NULL; k++) {
		if (strcmp(f->task, w->task) != 0) {
			if (s->head == f) {
				/* All of the old task is stored: move on. */
				w->switching = 1;
				lws_close_reason(w->wsi,
				    LWS_CLOSE_STATUS_NORMAL,
				    (unsigned char *)"task", 4);
				return -1;
			}
			return 0;
		}
		if (k == WS_BURST || (k > 0 && lws_send_pipe_choked(w->wsi))) {
			lws_callback_on_writable(w->wsi);
			return 0;
		}
		if (need_resume(w, f)) {
			lws_callback_on_writable(w->wsi);
			return 0;
		}
		if (!has_unacked_sent(s))
			w->progress_ns = kr_mono_ns();
		if (write_frame(w, f) == -1)
			return -1;
		f->sent = 1;
		while (ship_frame_next(s) != NULL)
			;
	}
	return 0;
}

/* A reason code as the server spells them, safe to print. */
static int
code_ok(const char *c)
{
	size_t i;

	for (i = 0; c[i] != '\0'; i++)
		if (i == 31 || !((c[i] >= 'A' && c[i] <= 'Z') ||
		    (c[i] >= '0' && c[i] <= '9') || c[i] == '_'))
			return 0;
	return i > 0;
}

/*
 * {"type":"error","code":"INVALID_RECORD","reason","index","runId","seq"}:
 * one record of a message was refused, the rest stored; the ack that
 * follows covers it. It is set aside as a 4xx over REST would be.
 */
static void
refused(struct ws *w, const cJSON *j)
{
	const cJSON *idx = cJSON_GetObjectItemCaseSensitive(j, "index");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
	const char *run = kr_rec_get_str(j, "runId");
	const char *why = kr_rec_get_str(j, "reason");
	unsigned long long sq = 0;

	if (why == NULL || !code_ok(why))
		why = "INVALID_RECORD";
	if (cJSON_IsNumber(seq) && seq->valuedouble >= 1 &&
	    seq->valuedouble < 18446744073709551616.0)
		sq = (unsigned long long)seq->valuedouble;
	if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 ||
	    idx->valuedouble >= (double)w->s->o->frame_recs ||
	    ship_refused(w->s, run, sq, (size_t)idx->valuedouble, why) == -1) {
		if (kr_ratelimit_ok(&rl_err))
			kr_warn("the server refused a record (%s) that is not "
			    "in flight: ignored", why);
	}
}

static void
received(struct ws *w, const char *p, size_t n)
{
	struct ship *s = w->s;
	const char *type, *run;
	const cJSON *seq;
	cJSON *j;

	if ((j = cJSON_ParseWithLength(p, n)) == NULL ||
	    (type = kr_rec_get_str(j, "type")) == NULL) {
		if (kr_ratelimit_ok(&rl_err))
			kr_warn("the server sent a message that is not JSON "
			    "(%zu bytes)", n);
		cJSON_Delete(j);
		return;
	}
	if (strcmp(type, "ack") == 0) {
		run = kr_rec_get_str(j, "runId");
		seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
		if (run != NULL && cJSON_IsNumber(seq) && seq->valuedouble >= 0) {
			if (!w->got_ack) {
				w->got_ack = 1;
				w->fails = w->perm = 0;
				if (w->warned)
					kr_info("delivering to '%s' again",
					    w->shown.s);
				w->warned = 0;
			}
			w->progress_ns = kr_mono_ns();
			ship_ack(s, run, strlen(run),
			    (unsigned long long)seq->valuedouble);
			if (w->state == WS_RESUMING &&
			    ++w->resume_got >= w->resume_sent &&
			    w->resume_sent == w->nresume)
				start_sending(w);
			else
				kick(w);
		}
	} else if (strcmp(type, "error") == 0) {
		const char *code = kr_rec_get_str(j, "code");

		if (code != NULL && strcmp(code, "INVALID_RECORD") == 0)
			refused(w, j);
		else if (kr_ratelimit_ok(&rl_err))
			kr_warn("the server reports an error (code '%s')",
			    code ? code : "none");
	}
	cJSON_Delete(j);
	if (ship_finished(s)) {
		w->quit = 1;
		lws_cancel_service(w->ctx);
	}
}

static void
stdin_read(struct ws *w)
{
	struct ship *s = w->s;

	(void)ship_ingest(s);
	if (!s->eof && ship_spool_full(s) && !w->paused && w->in) {
		lws_rx_flow_control(w->in, 0);
		w->paused = 1;
	}
	kick(w);
}

/* The token and the API key, in the handshake's headers. */
static int
add_headers(struct ws *w, struct lws *wsi, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;
	const struct ship_opts *o = w->s->o;

	if (o->token != NULL) {
		w->hdr.len = 0;
		if (kr_buf_printf(&w->hdr, "Bearer %s", o->token) == -1 ||
		    lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)w->hdr.s,
		    (int)w->hdr.len, p, end))
			return -1;
	}
	if (o->api_key != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"x-api-key:",
	    (const unsigned char *)o->api_key, (int)strlen(o->api_key), p, end))
		return -1;
	return 0;
}

/* No connection: a 401, 403, 404 or a TLS failure is permanent. */
static void
conn_error(struct ws *w, struct lws *wsi, const void *in)
{
	int status = (int)lws_http_client_http_response(wsi);
	char why[256];

	snprintf(why, sizeof why, "%s",
	    in ? (const char *)in : "connection failed");
	if (status >= 400) {
		snprintf(why, sizeof why, "HTTP status %d", status);
		lost(w, why, status == 401 || status == 403 || status == 404);
	} else {
		lost(w, why, strstr(why, "SSL") != NULL ||
		    strstr(why, "ssl") != NULL || strstr(why, "cert") != NULL);
	}
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ws *w = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (w->quit)
			return -1;
		stdin_read(w);
		return w->s->eof ? -1 : 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		/* A hangup: read what the pipe still holds. */
		if (!w->quit)
			while (ship_ingest(w->s) == 1)
				;
		ship_ingest_end(w->s);
		w->in = NULL;
		kick(w);
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (wsi == w->wsi && add_headers(w, wsi, in, len) == -1)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		kr_debug("connected to '%s'", w->shown.s);
		w->rx.len = 0;
		established(w);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (wsi != w->wsi)
			break;
		return writeable(w);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		/* Acks count only from the connection that stored. */
		if (wsi != w->wsi)
			break;
		if (w->rx.len + len > WS_RX_MAX) {
			w->rx.len = WS_RX_MAX + 1;	/* skip it whole */
		} else if (kr_buf_add(&w->rx, in, len) == -1) {
			kr_die(KR_EX_TEMP, "out of memory");
		}
		if (lws_is_final_fragment(wsi)) {
			if (w->rx.len <= WS_RX_MAX)
				received(w, w->rx.s, w->rx.len);
			w->rx.len = 0;
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (wsi == w->wsi || w->wsi == NULL)
			conn_error(w, wsi, in);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (wsi != w->wsi)
			break;
		lost(w, "connection closed", 0);
		break;
	default:
		break;
	}
	(void)user;
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct ws *w = lws_container_of(sul, struct ws, sul_tick);
	struct ship *s = w->s;
	long long now = kr_mono_ns();

	ship_check_signals(s);
	if (s->eof && s->drain_at == 0)
		s->drain_at = now + s->o->drain_ms * 1000000LL;
	if (ship_finished(s) || (s->dead && s->eof) ||
	    (s->drain_at != 0 && now >= s->drain_at)) {
		/* Timers run before the poll: wake it so the loop ends. */
		w->quit = 1;
		lws_cancel_service(w->ctx);
		return;
	}
	ship_spool_retry(s);
	if (w->paused && !ship_spool_full(s) && w->in != NULL) {
		lws_rx_flow_control(w->in, 1);
		w->paused = 0;
	}
	if (w->state == WS_RESUMING && now >= w->resume_until) {
		kr_debug("no answer to resume: sending all");
		start_sending(w);
	}
	if (w->state == WS_SENDING && has_unacked_sent(s) &&
	    now - w->progress_ns > s->o->timeout_ms * 1000000LL) {
		kr_warn("no ack from '%s' for %lld ms: reconnecting",
		    w->shown.s, s->o->timeout_ms);
		w->progress_ns = now;
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
	}
	kick(w);
	lws_sul_schedule(w->ctx, 0, &w->sul_tick, tick_cb, WS_TICK_US);
}

/*
 * tx_packet_size: lws passes at most this much of a write to the socket
 * and copies the rest into a list of its own, sent as the socket drains.
 * At 0 it is rx_buffer_size, and a frame of 280 KB went in five sends, 80%
 * of it copied once more; a socket on loopback takes a frame whole.
 */
static const struct lws_protocols protocols[] = {
	{ "keruta-ship", callback, 0, 65536, 0, NULL, 4u << 20 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const lws_retry_bo_t keepalive = {
	.secs_since_valid_ping = 5,
	.secs_since_valid_hangup = 15,
};

static void
ws_run(struct ship *s)
{
	struct lws_context_creation_info info;
	lws_sock_file_fd_type u;
	struct ws w;

	memset(&w, 0, sizeof w);
	w.s = s;
	lws_set_log_level(kr_diag_verbosity() >= KR_V_DEBUG ?
	    LLL_ERR | LLL_WARN : 0, NULL);
	kr_buf_init(&w.tmp, 64u << 20);
	kr_buf_init(&w.rx, WS_RX_MAX + 1);
	kr_buf_init(&w.hdr, 1u << 20);
	kr_buf_init(&w.url, 1u << 20);
	kr_buf_init(&w.shown, 1u << 20);

	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* The system CA store is loaded only when needed: it takes a while. */
	info.options = s->o->tls_any ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT :
	    0;
	info.client_ssl_ca_filepath = s->o->cacert;
	info.user = &w;
	info.pt_serv_buf_size = 32768;
	info.retry_and_idle_policy = &keepalive;
	if ((w.ctx = lws_create_context(&info)) == NULL)
		kr_die(KR_EX_TEMP, "unable to create the websocket context");

	memset(&u, 0, sizeof u);
	u.filefd = 0;
	w.in = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(w.ctx,
	    "default"), LWS_ADOPT_RAW_FILE_DESC, u, "keruta-ship", NULL);
	if (w.in == NULL) {
		kr_debug("stdin cannot be watched: taking it as empty");
		ship_ingest_end(s);
	}
	lws_sul_schedule(w.ctx, 0, &w.sul_tick, tick_cb, WS_TICK_US);
	kick(&w);
	while (!w.quit)
		if (lws_service(w.ctx, 0) < 0)
			break;
	w.quit = 1;
	lws_sul_cancel(&w.sul_tick);
	lws_sul_cancel(&w.sul_conn);
	lws_context_destroy(w.ctx);
	ship_ack_save(s, 1);
	sodium_memzero(w.url.s, w.url.len);
	kr_buf_free(&w.url);
	kr_buf_free(&w.shown);
	kr_buf_free(&w.tmp);
	kr_buf_free(&w.rx);
	if (w.hdr.s != NULL)
		memset(w.hdr.s, 0, w.hdr.cap);
	kr_buf_free(&w.hdr);
}

const struct ship_transport ship_ws = {
	.name = "ws",
	.ws = 1,
	.form = SHIP_FORM_ARRAY,
	.frame_recs = 1000,
	.window_frames = 32,
	.run = ws_run,
};
