/*
 * server.c: the service loop. It owns the libwebsockets context, whose
 * one protocol callback hands each event to HTTP (http.c) or to the
 * WebSocket protocol (ws.c); the timers (indexing, retention, the check
 * of the database, the commit); and SIGTERM, which stops it: no new
 * connection, what is open finishes within 5 s.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "kr_diag.h"
#include "kr_io.h"
#include "kr_time.h"
#include "http.h"
#include "commit.h"
#include "feed.h"
#include "fts.h"
#include "lexfix.h"
#include "server.h"
#include "srv.h"
#include "store.h"
#include "ws.h"

#define EXPIRE_ROWS	2000
#define STOP_NS		5000000000LL	/* what is open gets this long */
#define CHANGES_US	5000	/* how often to look for other servers' commits */

static volatile sig_atomic_t stop_flag;

/* Each event goes to the WebSocket protocol or to HTTP. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		lexfix_watch((int)(lws_intptr_t)in);
		return 0;
	case LWS_CALLBACK_TIMER:
		/* Only a WebSocket sets one: its token's expiry. */
		return c != NULL && c->is_ws ? ws_callback(wsi, reason, user,
		    in, len) : 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_CLOSED:
		return ws_callback(wsi, reason, user, in, len);
	default:
		return http_callback(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
	{ "keruta", callback, sizeof(struct conn), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * A pass deletes EXPIRE_ROWS at a time, 20 ms apart, until fewer are left;
 * once done, it says how many went and older than what, if any did.
 */
static void
retention_timer(lws_sorted_usec_list_t *sul)
{
	struct srv *s = lws_container_of(sul, struct srv, sul_retention);
	long long n;

	commit_sync(&s->commit);
	if (s->expire_n == 0)
		s->expire_cutoff = kr_wall_ns() - s->retention_ms * 1000000;
	n = store_expire(s->store, s->expire_cutoff, EXPIRE_ROWS);
	if (n > 0)
		s->expire_n += n;
	if (n < EXPIRE_ROWS && s->expire_n > 0) {
		struct timespec t = { (time_t)(s->expire_cutoff / 1000000000),
			0 };
		char ts[KR_TS_LEN + 1];

		kr_ts_format(&t, ts);
		memcpy(ts + 19, "Z", 2);
		kr_notice("retention: deleted %lld record%s older than %s "
		    "(--retention %s)", s->expire_n, s->expire_n == 1 ? "" :
		    "s", ts, s->retention);
		s->expire_n = 0;
	}
	lws_sul_schedule(s->ctx, 0, &s->sul_retention, retention_timer,
	    n >= EXPIRE_ROWS ? 20 * LWS_US_PER_MS : LWS_US_PER_SEC);
}

/*
 * Sees once a second that the database is still there, so that /health
 * and the log say so at once when it is not, even with no ingest.
 */
static void
check_timer(lws_sorted_usec_list_t *sul)
{
	struct srv *s = lws_container_of(sul, struct srv, sul_check);

	(void)store_check(s->store);
	lws_sul_schedule(s->ctx, 0, &s->sul_check, check_timer,
	    LWS_US_PER_SEC);
}

/*
 * With a shared store, looks for what other servers committed every few
 * milliseconds (LISTEN/NOTIFY), for the live viewers here.
 */
static void
changes_timer(lws_sorted_usec_list_t *sul)
{
	struct srv *s = lws_container_of(sul, struct srv, sul_changes);

	feed_changes(s);
	if (++s->changes_ticks % 20 == 0)
		feed_slow(s);
	lws_sul_schedule(s->ctx, 0, &s->sul_changes, changes_timer,
	    CHANGES_US);
}

/* Only wakes the loop, which then commits. */
static void
commit_timer(lws_sorted_usec_list_t *sul)
{
	(void)sul;
}

/*
 * Called after each turn of the loop: when the transaction was not
 * committed (more is coming), a timer makes sure the commit is not put
 * off long.
 */
static void
maybe_commit(struct srv *s)
{
	if (!commit_turn(&s->commit, s->bodies))
		lws_sul_schedule(s->ctx, 0, &s->sul_commit, commit_timer,
		    commit_wait_ns(&s->commit) / 1000);
}

/* The store's syncer is done with a sync: the loop lets its waiters out. */
static void
wake(void *ctx)
{
	lws_cancel_service(ctx);
}

/* Wakes the loop now and then, so that a signal is seen promptly. */
static void
stop_timer(lws_sorted_usec_list_t *sul)
{
	struct srv *s = lws_container_of(sul, struct srv, sul_stop);

	lws_sul_schedule(s->ctx, 0, &s->sul_stop, stop_timer,
	    100 * LWS_US_PER_MS);
}

/*
 * The listening socket lws made for port: found among our descriptors, so
 * that SIGTERM can close it (lws 4.1 has no call for that which works:
 * lws_context_deprecate crashes). -1 if not found.
 */
static int
listen_fd(int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on;

	for (fd = 3; fd < 1024; fd++) {
		sl = sizeof on;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &sl) == -1 ||
		    !on)
			continue;
		sl = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
			continue;
		if ((ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)
		    &ss)->sin_port) == port) || (ss.ss_family == AF_INET6 &&
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port))
			return fd;
	}
	return -1;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		kr_warn("lws: %.*s", (int)n, line);
	else
		kr_debug("lws: %.*s", (int)n, line);
}

static void
signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	kr_ignore_sigpipe();
	/* A file size limit fails the write, which is answered (a 503),
	 * instead of killing the server. */
	signal(SIGXFSZ, SIG_IGN);
}

/* The context, listening; dies when it cannot be made. */
static struct lws_context *
context(struct srv *s, const struct server_opts *o)
{
	static const lws_retry_bo_t retry = {
		.secs_since_valid_ping = 30,
		.secs_since_valid_hangup = 70,
	};
	struct lws_context_creation_info info;
	struct lws_context *ctx;

	lws_set_log_level(o->verbose > 1 ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	    LLL_ERR, lws_log);
	lexfix_init();
	memset(&info, 0, sizeof info);
	info.port = o->port;
	info.iface = strcmp(o->addr, "0.0.0.0") == 0 ? NULL : o->addr;
	info.protocols = protocols;
	info.vhost_name = "default";
	info.user = s;
	/* Text messages are checked as UTF-8 in ws.c, not by lws. */
	info.options =
	    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (strchr(o->addr, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.max_http_header_data = 16384;
	info.pt_serv_buf_size = 262144;
	info.timeout_secs = 30;
	info.retry_and_idle_policy = &retry;
	if (o->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
	}
	if ((ctx = lws_create_context(&info)) == NULL)
		kr_die(KR_EX_TEMP, "unable to listen on '%s'", o->listen);
	return ctx;
}

static void
timers_start(struct srv *s)
{
	s->fts.ctx = s->ctx;
	s->fts.commit = &s->commit;
	fts_start(&s->fts);
	s->redact.ctx = s->ctx;
	s->redact.srv = s;
	if (s->retention_ms > 0)
		lws_sul_schedule(s->ctx, 0, &s->sul_retention,
		    retention_timer, 100 * LWS_US_PER_MS);
	lws_sul_schedule(s->ctx, 0, &s->sul_stop, stop_timer,
	    100 * LWS_US_PER_MS);
	lws_sul_schedule(s->ctx, 0, &s->sul_check, check_timer,
	    LWS_US_PER_SEC);
	if (store_shared(s->store))
		lws_sul_schedule(s->ctx, 0, &s->sul_changes, changes_timer,
		    CHANGES_US);
}

static void
timers_stop(struct srv *s)
{
	fts_stop(&s->fts);
	redact_stop(&s->redact);
	lws_sul_cancel(&s->sul_retention);
	lws_sul_cancel(&s->sul_stop);
	lws_sul_cancel(&s->sul_check);
	lws_sul_cancel(&s->sul_commit);
	lws_sul_cancel(&s->sul_changes);
}

int
server_run(struct srv *s, const struct server_opts *o)
{
	long long deadline = 0;
	int port, lfd, rc = KR_EX_OK;

	s->commit.store = s->store;
	batch_init(&s->batch);
	kr_buf_init(&s->tmp, (size_t)1 << 31);
	kr_buf_init(&s->chunk, (size_t)1 << 31);
	s->started_ns = kr_mono_ns();
	s->m.started_s = kr_wall_ns() / 1000000000;
	signals();
	s->ctx = context(s, o);
	store_set_wake(s->store, wake, s->ctx);
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(s->ctx,
	    "default"));
	lfd = listen_fd(port);
	kr_notice("listening on %s%s%s:%d%s", strchr(o->addr, ':') ? "[" : "",
	    o->addr, strchr(o->addr, ':') ? "]" : "", port,
	    o->tls_cert ? " (TLS)" : "");
	timers_start(s);
	for (;;) {
		if (lws_service(s->ctx, 0) < 0)
			break;
		maybe_commit(s);
		feed_changes(s);
		if (stop_flag && !s->stopping) {
			kr_notice("stopping");
			s->stopping = 1;
			deadline = kr_mono_ns() + STOP_NS;
			/* No new connection from now on (they are refused);
			 * what is open finishes. */
			if (lfd >= 0)
				shutdown(lfd, SHUT_RDWR);
			feed_close_all(s);
			/* Their queries catch the index up at once. */
			fts_release(&s->fts);
		}
		if (s->stopping && ((s->m.ws_conns == 0 &&
		    s->inflight == 0) || kr_mono_ns() > deadline))
			break;
	}
	timers_stop(s);
	commit_sync(&s->commit);
	store_set_wake(s->store, NULL, NULL);
	lws_context_destroy(s->ctx);
	store_fts_step(s->store, 0);
	if (store_check(s->store) == -1)
		rc = KR_EX_TEMP;
	batch_free(&s->batch);
	kr_buf_free(&s->tmp);
	kr_buf_free(&s->chunk);
	return rc;
}
