/*
 * ship_rest.c: delivery by HTTP POST with libcurl, in one poll loop with
 * stdin: the rest protocol (a frame of records as NDJSON, a 2xx is the
 * ack) and the keruta-api protocol (one record a POST, in the form that
 * API accepts).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "kr_diag.h"
#include "kr_rec.h"
#include "kr_time.h"
#include "kr_url.h"
#include "ship.h"

struct rest {
	struct ship *s;
	CURLM *m;
	CURL *c;
	struct curl_slist *hdr;
	struct ship_frame *cur;
	long long retry_at;
	int fails, perm, warned;
	char errbuf[CURL_ERROR_SIZE];
	struct kr_buf url;
	struct kr_buf shown;		/* url masked, for messages */
};

static struct kr_ratelimit rl_fail = KR_RATELIMIT_INIT(3, 30);

static size_t
discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

static void
rest_start(struct rest *r, struct ship_frame *f)
{
	struct ship *s = r->s;
	const char *why;

	r->url.len = r->shown.len = 0;
	if (kr_url_task(&r->url, s->o->url, KR_URL_REST, f->task, &why) == -1)
		kr_die(KR_EX_USAGE, "bad url: %s", why);
	if (kr_url_mask(&r->shown, r->url.s) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	curl_easy_setopt(r->c, CURLOPT_URL, r->url.s);
	curl_easy_setopt(r->c, CURLOPT_POSTFIELDS, f->body != NULL ?
	    f->body : f->raw.s);
	curl_easy_setopt(r->c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)f->len);
	r->errbuf[0] = '\0';
	if (curl_multi_add_handle(r->m, r->c) != CURLM_OK)
		kr_die(KR_EX_BUG, "unable to start a request");
	r->cur = f;
	f->sent = 1;
}

/* Waits, then sends again from the acked position. */
static void
retry_later(struct rest *r, const char *why, int permanent)
{
	struct ship *s = r->s;
	long long ms;

	if (permanent && ++r->perm > s->o->retry_count) {
		kr_warn("giving up on '%s': %s", r->shown.s, why);
		s->dead = 1;
		ship_rewind(s);
		return;
	}
	ms = ship_backoff_ms(s->o, r->fails++);
	ship_failed(s->o, r->shown.s, why, ms,
	    (!r->warned || kr_diag_verbosity() >= KR_V_INFO) &&
	    kr_ratelimit_ok(&rl_fail));
	r->warned = 1;
	r->retry_at = kr_mono_ns() + ms * 1000000LL;
	ship_rewind(s);
}

static void
rest_done(struct rest *r, CURLcode rc)
{
	struct ship *s = r->s;
	struct ship_frame *f = r->cur;
	long code = 0;
	char why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(r->m, r->c);
	r->cur = NULL;
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		if (r->warned)
			kr_info("delivering to '%s' again", r->shown.s);
		r->fails = r->perm = r->warned = 0;
		ship_frame_ok(s, f);
		return;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof why, "%s", r->errbuf[0] ? r->errbuf :
		    curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
			retry_later(r, why, 0);
			break;
		default:
			retry_later(r, why, 1);
			break;
		}
		return;
	}
	snprintf(why, sizeof why, "HTTP status %ld", code);
	if (code == 408 || code == 429 || code >= 500) {
		retry_later(r, why, 0);
	} else if (code == 401 || code == 403 || code == 404 ||
	    code == 405 || code < 400) {
		retry_later(r, why, 1);
	} else if (f->nrec > 1) {
		/* Find the records refused: one a request up to f's end. */
		s->sseg = f->seg;
		s->send = f->end;
		ship_rewind(s);
	} else {
		ship_frame_reject(s, f, (int)code);
	}
}

static struct curl_slist *
add_header(struct curl_slist *h, const char *name, const char *v)
{
	struct kr_buf b = KR_BUF_INIT(1 << 20);
	struct curl_slist *n;

	if (kr_buf_printf(&b, "%s: %s", name, v) == -1)
		kr_die(KR_EX_TEMP, "out of memory");
	n = curl_slist_append(h, b.s);
	sodium_memzero(b.s, b.len);
	kr_buf_free(&b);
	if (n == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	return n;
}

static void
rest_setup(struct rest *r)
{
	const struct ship_opts *o = r->s->o;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (r->m = curl_multi_init()) == NULL ||
	    (r->c = curl_easy_init()) == NULL)
		kr_die(KR_EX_TEMP, "unable to initialise libcurl");
	r->hdr = add_header(NULL, "Content-Type", o->form == SHIP_FORM_API ?
	    "application/json" : "application/x-ndjson");
	r->hdr = add_header(r->hdr, "Expect", "");
	if (o->token != NULL) {
		struct kr_buf b = KR_BUF_INIT(1 << 20);

		if (kr_buf_printf(&b, "Bearer %s", o->token) == -1)
			kr_die(KR_EX_TEMP, "out of memory");
		r->hdr = add_header(r->hdr, "Authorization", b.s);
		sodium_memzero(b.s, b.len);
		kr_buf_free(&b);
	}
	if (o->api_key != NULL)
		r->hdr = add_header(r->hdr, "X-API-Key", o->api_key);
	curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, r->hdr);
	curl_easy_setopt(r->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(r->c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(r->c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->timeout_ms < 5000 ? o->timeout_ms : 5000));
	curl_easy_setopt(r->c, CURLOPT_USERAGENT, "keruta-ship/" KR_VERSION);
	curl_easy_setopt(r->c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->cacert != NULL)
		curl_easy_setopt(r->c, CURLOPT_CAINFO, o->cacert);
	if (o->insecure) {
		curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(r->c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	kr_buf_init(&r->url, 1u << 20);
	kr_buf_init(&r->shown, 1u << 20);
}

static void
rest_cleanup(struct rest *r)
{
	struct curl_slist *h;

	if (r->cur != NULL)
		curl_multi_remove_handle(r->m, r->c);
	for (h = r->hdr; h != NULL; h = h->next)
		sodium_memzero(h->data, strlen(h->data));
	curl_slist_free_all(r->hdr);
	curl_easy_cleanup(r->c);
	curl_multi_cleanup(r->m);
	curl_global_cleanup();
	if (r->url.s != NULL)
		sodium_memzero(r->url.s, r->url.len);
	kr_buf_free(&r->url);
	kr_buf_free(&r->shown);
}

static void
rest_run(struct ship *s)
{
	struct rest r;
	struct curl_waitfd w;
	struct ship_frame *f;
	CURLMsg *msg;
	long long now, t;
	int running, q, nw;

	memset(&r, 0, sizeof r);
	r.s = s;
	rest_setup(&r);
	for (;;) {
		ship_check_signals(s);
		ship_spool_retry(s);
		now = kr_mono_ns();
		if (s->eof && s->drain_at == 0)
			s->drain_at = now + s->o->drain_ms * 1000000LL;
		if (r.cur == NULL && ship_finished(s))
			break;
		if (s->dead && s->eof)
			break;
		if (s->drain_at != 0 && now >= s->drain_at)
			break;
		if (r.cur == NULL && !s->dead && now >= r.retry_at &&
		    (f = s->head ? s->head : ship_frame_next(s)) != NULL)
			rest_start(&r, f);
		t = 1000;
		if (r.cur == NULL && r.retry_at > now &&
		    (r.retry_at - now) / 1000000 < t)
			t = (r.retry_at - now) / 1000000 + 1;
		if (s->drain_at != 0 && (s->drain_at - now) / 1000000 < t)
			t = (s->drain_at - now) / 1000000 + 1;
		nw = 0;
		if (!s->eof && !ship_spool_full(s)) {
			w.fd = 0;
			w.events = CURL_WAIT_POLLIN;
			w.revents = 0;
			nw = 1;
		}
		if (curl_multi_poll(r.m, nw ? &w : NULL, (unsigned)nw, (int)t,
		    NULL) != CURLM_OK)
			kr_die(KR_EX_TEMP, "unable to poll");
		if (nw && w.revents != 0)
			(void)ship_ingest(s);
		curl_multi_perform(r.m, &running);
		while ((msg = curl_multi_info_read(r.m, &q)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				rest_done(&r, msg->data.result);
	}
	rest_cleanup(&r);
}

const struct ship_transport ship_rest = {
	.name = "rest",
	.form = SHIP_FORM_NDJSON,
	.frame_recs = 1000,
	.window_frames = 1,
	.run = rest_run,
};

const struct ship_transport ship_api = {
	.name = "keruta-api",
	.form = SHIP_FORM_API,
	.frame_recs = 1,
	.window_frames = 1,
	.run = rest_run,
};
