/*
 * http.c: HTTP on libwebsockets. A request's method, path, arguments and
 * the headers the API reads are copied into the connection, checked
 * (framing, NUL in the path, methods), and handed to api.c; the reply it
 * describes is written from HTTP_WRITEABLE, its body from c->out (LWS_PRE
 * bytes reserved in front), long results a chunk at a time from a cursor,
 * so memory stays bounded whatever the number of rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "kr_diag.h"
#include "kr_time.h"
#include "api.h"
#include "auth.h"
#include "commit.h"
#include "fts.h"
#include "http.h"
#include "metrics.h"
#include "srv.h"

#define WRITE_MAX	(64 * 1024)	/* bytes per lws_write */
#define ARGS_MAX	64		/* query arguments read */
#define GZIP_MIN	1024		/* smaller bodies go as they are */

/* The API's method numbers are lws's. */
_Static_assert((int)M_GET == LWSHUMETH_GET &&
    (int)M_POST == LWSHUMETH_POST && (int)M_OPTIONS == LWSHUMETH_OPTIONS &&
    (int)M_PUT == LWSHUMETH_PUT && (int)M_PATCH == LWSHUMETH_PATCH &&
    (int)M_DELETE == LWSHUMETH_DELETE && (int)M_CONNECT == LWSHUMETH_CONNECT &&
    (int)M_HEAD == LWSHUMETH_HEAD,
    "libwebsockets numbers its HTTP methods otherwise");

/* ---- gzip ---- */

static void
gz_end(struct conn *c)
{
	if (c->gz != NULL) {
		deflateEnd(c->gz);
		free(c->gz);
		c->gz = NULL;
	}
}

/*
 * Whether the body goes gzipped: the client takes it, it is text, it is
 * not a panel file (whose ETag names its bytes as they are), there is a
 * body, and enough of it (or more to come). Starts the compressor then.
 */
static int
gz_start(struct conn *c)
{
	const char *t = c->rp.ctype ? c->rp.ctype : "";

	if (!c->gz_ok || c->head || c->etag[0] != '\0' || (c->rp.known &&
	    c->out.len - c->outoff < GZIP_MIN) || !(strncmp(t, "text/", 5) ==
	    0 || strncmp(t, "application/json", 16) == 0 ||
	    strncmp(t, "application/x-ndjson", 20) == 0))
		return 0;
	if ((c->gz = calloc(1, sizeof *c->gz)) == NULL)
		return 0;
	/* 15 + 16: a gzip header and trailer; level 1: the network is
	 * rarely slower than level 6 would make the server. */
	if (deflateInit2(c->gz, 1, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(c->gz);
		c->gz = NULL;
		return 0;
	}
	return 1;
}

/*
 * The body bytes in c->out not yet sent, replaced by their compressed
 * form; with final, the end of the gzip stream after them. 0, or -1.
 */
static int
gz_pump(struct conn *c, int final)
{
	static const char pre[LWS_PRE];
	struct kr_buf z = KR_BUF_INIT((size_t)1 << 30);
	int rc;

	if (kr_buf_add(&z, pre, LWS_PRE) == -1)
		return -1;
	c->gz->next_in = (unsigned char *)c->out.s + c->outoff;
	c->gz->avail_in = (unsigned)(c->out.len - c->outoff);
	do {
		if (kr_buf_reserve(&z, 64 * 1024) == -1) {
			kr_buf_free(&z);
			return -1;
		}
		c->gz->next_out = (unsigned char *)z.s + z.len;
		c->gz->avail_out = (unsigned)(z.cap - 1 - z.len);
		rc = deflate(c->gz, final ? Z_FINISH : Z_NO_FLUSH);
		z.len = z.cap - 1 - c->gz->avail_out;
	} while (c->gz->avail_out == 0 || (final && rc == Z_OK));
	kr_buf_free(&c->out);
	c->out = z;
	c->outoff = LWS_PRE;
	return rc == Z_STREAM_ERROR ? -1 : 0;
}

static void held_out(struct conn *c);

/* A query that waited for the index: routed again. */
static void
fts_go(struct waiter *w, int ok)
{
	struct conn *c = lws_container_of(w, struct conn, fw);

	(void)ok;
	c->fts_ready = 1;
	c->due = DUE_ROUTE;
	if (c->rx_held)
		held_out(c);
	else
		lws_callback_on_writable(c->wsi);
}

/*
 * An ingest reply that waited for the commit: sent, or a 503 (!ok). It goes
 * out from the connection's own writable callback.
 */
static void
http_release(struct waiter *w, int ok)
{
	struct conn *c = lws_container_of(w, struct conn, cw);

	c->due = ok ? DUE_REPLY : DUE_FAILED;
	if (c->rx_held)
		held_out(c);
	else
		lws_callback_on_writable(c->wsi);
}

static void
body_done(struct srv *s, struct conn *c)
{
	if (c->receiving) {
		c->receiving = 0;
		s->bodies--;
	}
}

static void
conn_free(struct srv *s, struct conn *c)
{
	commit_unhold(&s->commit, &c->cw);
	fts_unwait(&s->fts, &c->fw);
	body_done(s, c);
	kr_buf_free(&c->body);
	kr_buf_free(&c->args);
	kr_buf_free(&c->out);
	filter_free(&c->cur.f);
	gz_end(c);
	if (c->counted) {
		s->inflight--;
		c->counted = 0;
	}
}

/* ---- responses ---- */

/*
 * Sends the status line and headers of the reply the API described (when
 * it did); the body follows from c->out. 0, or -1 to close.
 */
static int
send_headers(struct lws *wsi, struct conn *c)
{
	unsigned char hb[LWS_PRE + 2048], *start = hb + LWS_PRE, *p = start,
	    *end = hb + sizeof hb - 1;
	lws_filepos_t len = c->rp.known ?
	    (lws_filepos_t)(c->out.len - c->outoff) :
	    LWS_ILLEGAL_HTTP_CONTENT_LEN;
	const char *cache = c->cache ? c->cache : "no-store";

	if (!c->rp.ready)
		return 0;
	c->rp.ready = 0;
	c->responded = 1;
	if (gz_start(c) && gz_pump(c, !c->streaming || c->cur.done) == -1)
		return -1;
	if (c->rp.known)
		len = (lws_filepos_t)(c->out.len - c->outoff);
	metrics_status(&srv_get(wsi)->m, c->status);
	if (lws_add_http_common_headers(wsi, (unsigned)c->status, c->rp.ctype,
	    len, &p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"cache-control:",
	    (const unsigned char *)cache, (int)strlen(cache), &p, end))
		return -1;
	if (c->etag[0] != '\0' && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"etag:", (const unsigned char *)c->etag,
	    (int)strlen(c->etag), &p, end))
		return -1;
	if (c->gz != NULL && (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"content-encoding:",
	    (const unsigned char *)"gzip", 4, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"vary:",
	    (const unsigned char *)"Accept-Encoding", 15, &p, end)))
		return -1;
	if (c->rp.hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)c->rp.hname,
	    (const unsigned char *)c->rp.hval, (int)strlen(c->rp.hval), &p,
	    end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The API's answer to the request in c, its headers sent. */
static int
route(struct srv *s, struct lws *wsi, struct conn *c)
{
	api_route(s, c);
	return send_headers(wsi, c);
}

/* An error reply, at once. */
static int
reply_error(struct lws *wsi, struct conn *c, int status, const char *code,
    const char *msg)
{
	api_error(c, status, code, msg);
	return send_headers(wsi, c);
}

static const char *
method_name(int m)
{
	static const char *const names[] = { "GET", "POST", "OPTIONS", "PUT",
		"PATCH", "DELETE", "CONNECT", "HEAD" };

	return m >= 0 && m < 8 ? names[m] : "-";
}

/*
 * At -v, one line per request: method, path and query (without a token),
 * status, bytes of the body and time taken.
 */
static void
access_log(const struct conn *c)
{
	char q[512];
	const char *frag = c->args.s;
	size_t ql = 0;
	int i, n;

	if (kr_diag_verbosity() < KR_V_INFO)
		return;
	q[0] = '\0';
	for (i = 0; i < c->nargs; i++, frag += strlen(frag) + 1) {
		n = snprintf(q + ql, sizeof q - ql, "%c%s", ql ? '&' : '?',
		    strncmp(frag, "token=", 6) == 0 ? "token=-" : frag);
		if (n < 0 || (size_t)n >= sizeof q - ql) {
			q[ql] = '\0';
			break;
		}
		ql += (size_t)n;
	}
	kr_info("%s %s%s %d %zu %.1fms", method_name(c->method), c->path, q,
	    c->status, c->sent, (double)(kr_mono_ns() - c->t0) / 1e6);
}

/*
 * Writes what the reply has ready. 1 when it is all out (the transaction
 * is then finished by http_done), 0 when more is to come (a writable
 * callback is asked for), -1 on error.
 */
static int
http_send(struct srv *s, struct lws *wsi, struct conn *c)
{
	size_t n;
	int final, k;

	k = 0;
	if (!c->responded) {
		switch (c->due) {
		case DUE_REPLY:
		case DUE_FAILED:
			/* A held reply: its headers, then at once its body. */
			if (c->due == DUE_FAILED)
				api_error(c, 503, "STORE_FAILED",
				    "the database failed; retry later");
			else
				c->rp.ready = 1;
			if (send_headers(wsi, c) != 0)
				return -1;
			c->due = DUE_NONE;
			k = 1;
			break;
		default:
			return 0;
		}
	}
	for (; k < 16; k++) {
		if (c->head) {
			/* The headers said all: Content-Length when known. */
			c->outoff = c->out.len;
			c->cur.done = 1;
			n = 0;
			goto done;
		}
		if (c->outoff == c->out.len && c->streaming && !c->cur.done) {
			if (api_refill(s, c) == -1 || (c->gz != NULL &&
			    gz_pump(c, c->cur.done) == -1))
				return -1;
			if (c->outoff == c->out.len && !c->cur.done)
				continue;	/* all held by the compressor */
		}
		n = c->out.len - c->outoff;
		if (n > WRITE_MAX)
			n = WRITE_MAX;
		final = (!c->streaming || c->cur.done) &&
		    c->outoff + n == c->out.len;
		if (k > 0 && lws_send_pipe_choked(wsi))
			break;
		if (lws_write(wsi, (unsigned char *)c->out.s + c->outoff, n,
		    final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
			return -1;
		c->outoff += n;
		c->sent += n;
		if (final) {
done:
			metrics_latency(&s->m, kr_mono_ns() - c->t0);
			access_log(c);
			if (c->counted) {
				s->inflight--;
				c->counted = 0;
			}
			kr_buf_free(&c->out);
			kr_buf_free(&c->body);
			kr_buf_free(&c->args);
			filter_free(&c->cur.f);
			gz_end(c);
			c->responded = 0;
			c->streaming = 0;
			return 1;
		}
	}
	lws_callback_on_writable(wsi);
	return 0;
}

/* Ends a transaction whose reply is out: 0, or -1 to close. */
static int
http_done(struct srv *s, struct lws *wsi, struct conn *c)
{
	/* A refused body may still be on its way; after SIGTERM, no
	 * connection is kept alive. */
	if (c->status == 411 || c->status == 413 || c->close_after ||
	    s->stopping)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_write(struct srv *s, struct lws *wsi, struct conn *c)
{
	if (!c->responded && c->due == DUE_ROUTE) {
		c->due = DUE_NONE;
		return route(s, wsi, c) ? -1 : 0;
	}
	switch (http_send(s, wsi, c)) {
	case -1:
		return -1;
	case 1:
		return http_done(s, wsi, c);
	}
	return 0;
}

/*
 * A reply that waited with the connection's reads paused (rx_held): lws
 * serves no writable callback to such a connection, so reads resume (they
 * are done from the loop, after this) and what is ready goes out from
 * here; the rest of a reply larger than the socket takes goes from the
 * writable callback. c is freed once the transaction is done.
 */
static void
held_out(struct conn *c)
{
	struct lws *wsi = c->wsi;
	struct srv *s = srv_get(wsi);

	c->rx_held = 0;
	lws_rx_flow_control(wsi, 1);
	if (c->due == DUE_ROUTE) {
		c->due = DUE_NONE;
		if (route(s, wsi, c))
			goto kill;
	}
	switch (http_send(s, wsi, c)) {
	case -1:
		goto kill;
	case 0:
		return;
	}
	if (http_done(s, wsi, c) == 0)
		return;
kill:
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

/*
 * The headers that frame a body, checked before anything acts on them
 * (lws reads a Content-Length with atoll): each Content-Length is plain
 * digits, all of them agree, and none comes with a Transfer-Encoding. A
 * proxy in front that read them otherwise would see another request
 * boundary than ours. 0, or -1 with *why set.
 */
static int
framing_ok(struct lws *wsi, const char **why)
{
	char v[64], first[24] = "";
	const char *p, *e;
	int i, n;

	for (i = 0; i < 16; i++) {
		n = lws_hdr_copy_fragment(wsi, v, sizeof v,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH, i);
		if (n < 0) {
			if (lws_hdr_fragment_length(wsi,
			    WSI_TOKEN_HTTP_CONTENT_LENGTH, i) > 0)
				goto bad;
			break;
		}
		for (p = v; *p == ' ' || *p == '\t'; p++)
			;
		for (e = v + n; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e == p || e - p > 18 || strspn(p, "0123456789") <
		    (size_t)(e - p))
			goto bad;
		if (i == 0)
			snprintf(first, sizeof first, "%.*s", (int)(e - p), p);
		else if (strlen(first) != (size_t)(e - p) ||
		    memcmp(first, p, (size_t)(e - p)) != 0) {
			*why = "two Content-Length headers disagree";
			return -1;
		}
	}
	if (i == 16)
		goto bad;
	if (i > 0 && lws_hdr_total_length(wsi,
	    WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		*why = "Content-Length and Transfer-Encoding together";
		return -1;
	}
	return 0;
bad:
	*why = "Content-Length must be a decimal number of bytes";
	return -1;
}

/*
 * A NUL in the path (%00): lws ends the path there, so /api/v1/tasks/%00
 * would be /api/v1/tasks/. lws keeps the decoded NUL in its copy of the
 * path: inside the length when more follows it; when it came last, as an
 * extra NUL after the terminator, where otherwise the request line's
 * "HTTP/1.1" or the query (two bytes on) begins. 1 if the path held one.
 */
static int
path_has_nul(struct lws *wsi)
{
	char *uri, arg[256];
	int n, k;

	if (lws_http_get_uri_and_method(wsi, &uri, &n) < 0 || uri == NULL ||
	    n <= 0)
		return 0;
	if (memchr(uri, '\0', (size_t)n) != NULL)
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > 0) {
		k = lws_hdr_copy_fragment(wsi, arg, sizeof arg,
		    WSI_TOKEN_HTTP_URI_ARGS, 0);
		return k > 0 && memcmp(uri + n + 2, arg, (size_t)k) != 0;
	}
	return uri[n + 1] == '\0';
}

static int
has_body(int m)
{
	return m == LWSHUMETH_POST || m == LWSHUMETH_PUT ||
	    m == LWSHUMETH_PATCH;
}

/* Accept-Encoding names gzip (or *), without q=0. */
static int
accepts_gzip(struct lws *wsi)
{
	char v[256], *p, *t, *q;

	if (lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_ACCEPT_ENCODING) <= 0)
		return 0;
	for (p = strtok_r(v, ",", &t); p != NULL; p = strtok_r(NULL, ",", &t)) {
		p += strspn(p, " \t");
		if (strncmp(p, "gzip", 4) != 0 && strncmp(p, "*", 1) != 0)
			continue;
		q = strstr(p, "q=");
		return q == NULL || strtod(q + 2, NULL) > 0;
	}
	return 0;
}

/*
 * What the API reads of a request, copied from lws: the query's arguments
 * (decoded; one too long for 1 KiB ends the list, as lws gives it), the
 * Content-Type and If-None-Match headers.
 */
static void
read_request(struct lws *wsi, struct conn *c)
{
	char frag[1024];
	int i, n;

	kr_buf_init(&c->args, (size_t)ARGS_MAX * sizeof frag);
	for (i = 0; i < ARGS_MAX; i++) {
		n = lws_hdr_copy_fragment(wsi, frag, sizeof frag,
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0 || kr_buf_add(&c->args, frag, (size_t)n + 1) == -1)
			break;
		c->nargs++;
	}
	if (lws_hdr_copy(wsi, c->ctype, sizeof c->ctype,
	    WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
		c->ctype[0] = '\0';
	if (lws_hdr_copy(wsi, c->inm, sizeof c->inm,
	    WSI_TOKEN_HTTP_IF_NONE_MATCH) < 0)
		c->inm[0] = '\0';
	c->gz_ok = accepts_gzip(wsi);
}

/*
 * A request's headers are in: checked, then routed, or answered at once;
 * a body is awaited (routed at BODY_COMPLETION). 0, or -1 to close.
 */
static int
request(struct srv *s, struct lws *wsi, struct conn *c, const char *in,
    size_t len)
{
	const char *why = NULL;
	char *uri;
	int ulen;

	conn_free(s, c);
	memset(c, 0, sizeof *c);
	kr_buf_init(&c->out, (size_t)1 << 30);
	kr_buf_init(&c->body, s->max_body);
	c->wsi = wsi;
	c->t0 = kr_mono_ns();
	c->counted = 1;
	s->inflight++;
	s->m.requests++;
	c->method = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	if (len >= sizeof c->path) {
		c->method = -2;
		len = 0;
	}
	memcpy(c->path, in, len);
	c->path[len] = '\0';
	c->fw.release = fts_go;
	c->cw.release = http_release;
	read_request(wsi, c);
	if (s->stopping) {
		/* Requests after SIGTERM, on connections kept alive:
		 * refused, and the connection closes. */
		reply_error(wsi, c, 503, "SHUTTING_DOWN",
		    "the server is stopping");
		return 0;
	}
	auth_check(s->auth, wsi, &c->az);
	if (framing_ok(wsi, &why) == -1 || path_has_nul(wsi)) {
		/* The connection closes after the reply: what
		 * follows cannot be told apart. */
		c->close_after = 1;
		if (why != NULL)
			reply_error(wsi, c, 400, "BAD_CONTENT_LENGTH",
			    why);
		else
			reply_error(wsi, c, 400, "BAD_PATH", "a path "
			    "may not hold a NUL character (%00)");
		return 0;
	}
	if (c->method == LWSHUMETH_PUT ||
	    c->method == LWSHUMETH_PATCH) {
		/* Used nowhere; and lws never completes such a body
		 * when it is empty. Refused at once, and the
		 * connection closes. */
		c->close_after = 1;
		reply_error(wsi, c, 405, "METHOD_NOT_ALLOWED",
		    "PUT and PATCH are not used here");
		return 0;
	}
	if (has_body(c->method)) {
		if (lws_hdr_total_length(wsi,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
			reply_error(wsi, c, 411, "LENGTH_REQUIRED",
			    "a body needs a Content-Length");
			return 0;
		}
		c->receiving = 1;
		s->bodies++;
		return 0;	/* answered at BODY_COMPLETION */
	}
	if (c->method == -2)
		return reply_error(wsi, c, 414, "URI_TOO_LONG",
		    "the path is too long") ? -1 : 0;
	if (c->method < 0)
		return reply_error(wsi, c, 405, "METHOD_NOT_ALLOWED",
		    "this method is not supported") ? -1 : 0;
	return route(s, wsi, c) ? -1 : 0;
}

int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct srv *s = srv_get(wsi);
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return request(s, wsi, c, in, len);
	case LWS_CALLBACK_HTTP_BODY:
		if (c->responded || c->body_over)
			return 0;
		if (kr_buf_add(&c->body, in, len) == -1) {
			c->body_over = 1;
			kr_buf_free(&c->body);
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		body_done(s, c);
		if (c->responded)
			return 0;
		if (route(s, wsi, c))
			return -1;
		if (!c->responded && !c->rx_held) {
			/* The reply waits (for the commit): lws would
			 * close at the client's half-close before it is
			 * out, so nothing more is read until it is. */
			c->rx_held = 1;
			lws_rx_flow_control(wsi, 0);
		}
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(s, wsi, c);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c != NULL)
			conn_free(s, c);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
