/*
 * keruta-serve: the receiving server. REST under /api/v1, WebSocket at
 * /ws/tasks/{taskId}, the admin panel at /, all on one port, with SQLite
 * as the store. One service thread does all the work.
 *
 * Reads: its options, the YAML config, KERUTA_* environment variables.
 * Writes: diagnostics on stderr ("listening on ADDR:PORT" once ready).
 * Exits: 0 after SIGTERM/SIGINT; 100 on bad usage or a public address
 * without auth, or a database that is not one or is damaged; 111 when
 * the database or the socket cannot be opened, or when the database file
 * was removed or replaced while in use.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <sodium.h>

#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_parse.h"
#include "kr_rand.h"
#include "kr_time.h"
#include "srv.h"
#include "walbuf.h"

#define USAGE "keruta-serve [-qv] [-c file] [-d file] [-l addr:port] " \
	"[--api-keys file] [--jwt-secret-file file] [--max-body size] " \
	"[--panel-dir dir] [--queue-max size] [--retention duration] " \
	"[--sync full|normal] " \
	"[--tls-cert file --tls-key file] | --hash-key | --help | --version"

#define COMMIT_WAIT_US	250	/* quiet for this long: the input is drained */
#define EXPIRE_ROWS	2000
#define RETENTION_MAX_MS	(36500LL * 86400000)	/* 100 years */

static volatile sig_atomic_t stop_flag;

struct opts {
	const char *listen, *db, *jwt_file, *keys_file, *retention;
	const char *tls_cert, *tls_key, *config, *panel_dir, *max_body;
	const char *queue_max, *sync;
	int verbose, quiet, hash_key;
};

static void
help(void)
{
	printf("usage: %s\n\n"
	    "  -l, --listen ADDR:PORT     address to serve on "
	    "(127.0.0.1:8080; port 0: any)\n"
	    "  -d, --db FILE              SQLite database (./keruta.db)\n"
	    "  -c, --config FILE          YAML configuration\n"
	    "      --jwt-secret-file FILE accept JWTs (HS256) signed with "
	    "this secret\n"
	    "      --api-keys FILE        accept the API keys listed "
	    "(hashed) in FILE\n"
	    "      --hash-key             print the hash of the key read "
	    "from stdin, for --api-keys\n"
	    "      --retention DURATION   delete records older than this "
	    "(30d, 12h: a unit is\n"
	    "                             required; off)\n"
	    "      --sync full|normal     full: an ack survives a power cut "
	    "(default);\n"
	    "                             normal: only a crash of the server\n"
	    "      --tls-cert FILE        serve HTTPS/WSS with this "
	    "certificate (PEM)\n"
	    "      --tls-key FILE         and this private key (PEM)\n"
	    "      --panel-dir DIR        serve the panel from DIR instead "
	    "of the built-in copy\n"
	    "      --max-body SIZE        largest request body or WebSocket "
	    "message (16M)\n"
	    "      --queue-max SIZE       bytes queued for one WebSocket "
	    "client before it is\n"
	    "                             dropped as too slow (8M)\n"
	    "  -q, --quiet                only fatal messages\n"
	    "  -v, --verbose              more messages (twice: debug)\n"
	    "  -h, --help                 this help\n"
	    "  -V, --version              the version\n", USAGE);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	switch (reason) {
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

/* ---- timers ---- */

/* An info message shown at the default verbosity too (not with -q). */
static void notice(const char *fmt, ...) KR_PRINTF(1, 2);

static void
notice(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int vb = kr_diag_verbosity();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (vb == KR_V_NORMAL)
		kr_diag_set_verbosity(KR_V_INFO);
	kr_info("%s", msg);
	kr_diag_set_verbosity(vb);
}

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
		notice("retention: deleted %lld record%s older than %s "
		    "(--retention %s)", s->expire_n, s->expire_n == 1 ? "" :
		    "s", ts, s->retention);
		s->expire_n = 0;
	}
	lws_sul_schedule(s->ctx, 0, &s->sul_retention, retention_timer,
	    n >= EXPIRE_ROWS ? 20 * LWS_US_PER_MS : LWS_US_PER_SEC);
}

/*
 * A retention of a bare number would be seconds, as other durations are,
 * which nobody means: a unit is required. "off" keeps everything (so that
 * the environment can undo the config file). 0, or -1 with why set.
 */
static int
parse_retention(const char *v, long long *ms, const char **why)
{
	size_t n = strlen(v);

	*ms = 0;
	if (strcmp(v, "off") == 0)
		return 0;
	if (n == 0 || v[n - 1] < 'a' || v[n - 1] > 'z') {
		*why = "a unit is required: s, m, h or d, as in 30d or 12h";
		return -1;
	}
	if (kr_parse_duration_ms(v, ms) == -1 || *ms < 1000 ||
	    *ms > RETENTION_MAX_MS) {
		*why = "from 1s to 36500d, as in 30d or 12h; or off";
		return -1;
	}
	return 0;
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
		    COMMIT_WAIT_US);
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

/* ---- options ---- */

static int
is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	    strcmp(a, "localhost") == 0;
}

/* Splits ADDR:PORT ("[v6]:PORT", or a bare PORT on 127.0.0.1). */
static int
parse_listen(const char *s, char *addr, size_t asz, int *port)
{
	const char *colon;
	long long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= asz)
			return -1;
		memcpy(addr, s + 1, (size_t)(rb - s - 1));
		addr[rb - s - 1] = '\0';
		colon = rb + 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		snprintf(addr, asz, "127.0.0.1");
		colon = s - 1;
	} else {
		if ((size_t)(colon - s) >= asz)
			return -1;
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		if (addr[0] == '\0')
			snprintf(addr, asz, "0.0.0.0");
	}
	if (kr_parse_ll(colon + 1, 0, 65535, &p) == -1)
		return -1;
	*port = (int)p;
	return 0;
}

/*
 * Binds addr:port once to see that it can be; lws would otherwise fail
 * with a less clear message. Dies with KR_EX_TEMP when it cannot.
 */
static void
check_bind(const char *addr, int port)
{
	struct addrinfo hints, *ai;
	char ps[16];
	int fd, on = 1, e;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(ps, sizeof ps, "%d", port);
	if ((e = getaddrinfo(strcmp(addr, "0.0.0.0") ? addr : NULL, ps,
	    &hints, &ai)) != 0)
		kr_die(KR_EX_TEMP, "unable to resolve '%s': %s", addr,
		    gai_strerror(e));
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1) {
		e = errno;
		freeaddrinfo(ai);
		errno = e;
		kr_diesys(KR_EX_TEMP, "unable to listen on '%s:%d'", addr, port);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		e = errno;
		close(fd);
		freeaddrinfo(ai);
		errno = e;
		kr_diesys(KR_EX_TEMP, "unable to listen on '%s:%d'", addr, port);
	}
	close(fd);
	freeaddrinfo(ai);
}

static void
hash_key(void)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[sizeof h * 2 + 1], buf[4097];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof buf - 1 &&
	    (r = kr_read(0, buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		kr_die(KR_EX_USAGE, "--hash-key: no key on stdin");
	crypto_hash_sha256(h, (unsigned char *)buf, n);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	sodium_memzero(buf, sizeof buf);
	printf("%s\n", hex);
}

static const char *
setting(const struct kr_cfg *cfg, const char *flag, const char *key,
    const char *env, const char *def)
{
	return flag != NULL ? flag : kr_cfg_get(cfg, key, env, def);
}

int
main(int argc, char *argv[])
{
	enum { O_API_KEYS = 256, O_JWT, O_RETENTION, O_TLS_CERT, O_TLS_KEY,
		O_PANEL, O_MAX_BODY, O_QUEUE_MAX, O_HASH_KEY, O_SYNC };
	static const struct option longopts[] = {
		{ "api-keys", required_argument, NULL, O_API_KEYS },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "hash-key", no_argument, NULL, O_HASH_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ "jwt-secret-file", required_argument, NULL, O_JWT },
		{ "listen", required_argument, NULL, 'l' },
		{ "max-body", required_argument, NULL, O_MAX_BODY },
		{ "panel-dir", required_argument, NULL, O_PANEL },
		{ "queue-max", required_argument, NULL, O_QUEUE_MAX },
		{ "quiet", no_argument, NULL, 'q' },
		{ "retention", required_argument, NULL, O_RETENTION },
		{ "sync", required_argument, NULL, O_SYNC },
		{ "tls-cert", required_argument, NULL, O_TLS_CERT },
		{ "tls-key", required_argument, NULL, O_TLS_KEY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct srv srv;
	struct lws_context_creation_info info;
	static const lws_retry_bo_t retry = {
		.secs_since_valid_ping = 30,
		.secs_since_valid_hangup = 70,
	};
	struct kr_cfg *cfg;
	struct sigaction sa;
	char err[512], addr[256];
	const char *why;
	long long deadline = 0;
	int ch, port, lfd, rc = KR_EX_OK, retention_flag;

	kr_diag_init("keruta-serve");
	/* Before any other use of SQLite: no global lock on each malloc
	 * for statistics nobody reads. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* Without it (another default VFS), WAL writes go one by one. */
	(void)walbuf_register();
	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "c:d:hl:qVv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'd':
			o.db = optarg;
			break;
		case 'h':
			help();
			return KR_EX_OK;
		case 'l':
			o.listen = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'V':
			printf("keruta-serve %s\n", KR_VERSION);
			return KR_EX_OK;
		case 'v':
			o.verbose++;
			break;
		case O_API_KEYS:
			o.keys_file = optarg;
			break;
		case O_JWT:
			o.jwt_file = optarg;
			break;
		case O_RETENTION:
			o.retention = optarg;
			break;
		case O_TLS_CERT:
			o.tls_cert = optarg;
			break;
		case O_TLS_KEY:
			o.tls_key = optarg;
			break;
		case O_PANEL:
			o.panel_dir = optarg;
			break;
		case O_MAX_BODY:
			o.max_body = optarg;
			break;
		case O_QUEUE_MAX:
			o.queue_max = optarg;
			break;
		case O_HASH_KEY:
			o.hash_key = 1;
			break;
		case O_SYNC:
			o.sync = optarg;
			break;
		default:
			kr_usage(USAGE);
		}
	}
	if (optind != argc)
		kr_usage(USAGE);
	kr_diag_set_verbosity(o.quiet ? KR_V_QUIET : o.verbose > 1 ?
	    KR_V_DEBUG : o.verbose);
	kr_crypto_init();
	if (o.hash_key) {
		hash_key();
		return KR_EX_OK;
	}

	if ((cfg = kr_cfg_load(o.config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	memset(&srv, 0, sizeof srv);
	o.listen = setting(cfg, o.listen, "serve.listen", "KERUTA_SERVE_LISTEN",
	    "127.0.0.1:8080");
	o.db = setting(cfg, o.db, "serve.db", "KERUTA_SERVE_DB", "keruta.db");
	o.jwt_file = setting(cfg, o.jwt_file, "serve.jwtSecretFile",
	    "KERUTA_JWT_SECRET_FILE", NULL);
	o.keys_file = setting(cfg, o.keys_file, "serve.apiKeys",
	    "KERUTA_API_KEYS_FILE", NULL);
	retention_flag = o.retention != NULL;
	o.retention = setting(cfg, o.retention, "serve.retention",
	    "KERUTA_SERVE_RETENTION", NULL);
	o.tls_cert = setting(cfg, o.tls_cert, "serve.tlsCert", NULL, NULL);
	o.tls_key = setting(cfg, o.tls_key, "serve.tlsKey", NULL, NULL);
	o.panel_dir = setting(cfg, o.panel_dir, "serve.panelDir", NULL, NULL);
	o.max_body = setting(cfg, o.max_body, "serve.maxBody", NULL, "16M");
	o.queue_max = setting(cfg, o.queue_max, "serve.queueMax", NULL, "8M");
	o.sync = setting(cfg, o.sync, "serve.sync", "KERUTA_SERVE_SYNC", "full");

	if (parse_listen(o.listen, addr, sizeof addr, &port) == -1)
		kr_die(KR_EX_USAGE, "bad listen address '%s' (want ADDR:PORT)",
		    o.listen);
	if (kr_parse_size(o.max_body, 4u << 20, 1u << 30, &srv.max_body) == -1)
		kr_die(KR_EX_USAGE, "bad --max-body '%s' (4M to 1G)",
		    o.max_body);
	if (kr_parse_size(o.queue_max, 64u << 10, 1u << 30,
	    &srv.queue_max) == -1)
		kr_die(KR_EX_USAGE, "bad --queue-max '%s' (64k to 1G)",
		    o.queue_max);
	if (o.retention != NULL && parse_retention(o.retention,
	    &srv.retention_ms, &why) == -1)
		kr_die(KR_EX_USAGE, "bad %s '%s': %s", retention_flag ?
		    "--retention" : getenv("KERUTA_SERVE_RETENTION") ?
		    "KERUTA_SERVE_RETENTION" : "serve.retention", o.retention,
		    why);
	srv.retention = o.retention;
	if (strcmp(o.sync, "full") != 0 && strcmp(o.sync, "normal") != 0)
		kr_die(KR_EX_USAGE, "bad --sync '%s' (full or normal)", o.sync);
	if ((o.tls_cert == NULL) != (o.tls_key == NULL))
		kr_die(KR_EX_USAGE, "--tls-cert and --tls-key go together");
	if (o.tls_cert != NULL && (access(o.tls_cert, R_OK) == -1 ||
	    access(o.tls_key, R_OK) == -1))
		kr_diesys(KR_EX_USAGE, "unable to read '%s' or '%s'",
		    o.tls_cert, o.tls_key);
	srv.auth = auth_load(o.jwt_file, o.keys_file);
	if (!is_loopback(addr) && !auth_enabled(srv.auth))
		kr_die(KR_EX_USAGE, "refusing to listen on '%s' without "
		    "authentication: give --jwt-secret-file or --api-keys",
		    addr);
	srv.panel_dir = o.panel_dir;
	check_bind(addr, port);
	if ((ch = store_open(&srv.store, o.db, err, sizeof err)) < 0)
		kr_die(ch == -2 ? KR_EX_USAGE : KR_EX_TEMP, "database: %s",
		    err);
	srv.commit.store = srv.store;
	if (store_set_sync(srv.store, strcmp(o.sync, "full") == 0) == -1)
		kr_die(KR_EX_TEMP, "database: unable to set --sync %s", o.sync);
	batch_init(&srv.batch);
	kr_buf_init(&srv.tmp, (size_t)1 << 31);
	kr_buf_init(&srv.chunk, (size_t)1 << 31);
	srv.started_ns = kr_mono_ns();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	kr_ignore_sigpipe();
	/* A file size limit fails the write, which is answered (a 503),
	 * instead of killing the server. */
	signal(SIGXFSZ, SIG_IGN);

	lws_set_log_level(o.verbose > 1 ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	    LLL_ERR, lws_log);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = strcmp(addr, "0.0.0.0") == 0 ? NULL : addr;
	info.protocols = protocols;
	info.vhost_name = "default";
	info.user = &srv;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
	    LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE |
	    LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (strchr(addr, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.max_http_header_data = 16384;
	info.pt_serv_buf_size = 262144;
	info.timeout_secs = 30;
	info.retry_and_idle_policy = &retry;
	if (o.tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o.tls_cert;
		info.ssl_private_key_filepath = o.tls_key;
	}
	if ((srv.ctx = lws_create_context(&info)) == NULL)
		kr_die(KR_EX_TEMP, "unable to listen on '%s'", o.listen);
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(srv.ctx,
	    "default"));
	lfd = listen_fd(port);
	notice("listening on %s%s%s:%d%s", strchr(addr, ':') ? "[" : "", addr,
	    strchr(addr, ':') ? "]" : "", port, o.tls_cert ? " (TLS)" : "");
	srv.fts.ctx = srv.ctx;
	srv.fts.commit = &srv.commit;
	fts_start(&srv.fts);
	if (srv.retention_ms > 0)
		lws_sul_schedule(srv.ctx, 0, &srv.sul_retention,
		    retention_timer, 100 * LWS_US_PER_MS);
	lws_sul_schedule(srv.ctx, 0, &srv.sul_stop, stop_timer,
	    100 * LWS_US_PER_MS);
	lws_sul_schedule(srv.ctx, 0, &srv.sul_check, check_timer,
	    LWS_US_PER_SEC);

	for (;;) {
		if (lws_service(srv.ctx, 0) < 0)
			break;
		maybe_commit(&srv);
		if (stop_flag && !srv.stopping) {
			notice("stopping");
			srv.stopping = 1;
			deadline = kr_mono_ns() + 5000000000LL;
			/* No new connection from now on (they are refused);
			 * what is open finishes. */
			if (lfd >= 0)
				shutdown(lfd, SHUT_RDWR);
			feed_close_all(&srv);
			/* Their queries catch the index up at once. */
			fts_release(&srv.fts);
		}
		if (srv.stopping && ((srv.m.ws_conns == 0 &&
		    srv.inflight == 0) || kr_mono_ns() > deadline))
			break;
	}
	fts_stop(&srv.fts);
	lws_sul_cancel(&srv.sul_retention);
	lws_sul_cancel(&srv.sul_stop);
	lws_sul_cancel(&srv.sul_check);
	lws_sul_cancel(&srv.sul_commit);
	lws_context_destroy(srv.ctx);
	store_fts_step(srv.store, 0);
	if (store_check(srv.store) == -1)
		rc = KR_EX_TEMP;
	store_close(srv.store);
	auth_free(srv.auth);
	batch_free(&srv.batch);
	kr_buf_free(&srv.tmp);
	kr_buf_free(&srv.chunk);
	kr_cfg_free(cfg);
	return rc;
}
