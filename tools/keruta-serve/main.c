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
 *
 * How it is built, top down; each part calls only those beneath it:
 *   main.c      options; opens the store, then server_run
 *   server.c    the libwebsockets context, its one callback, timers,
 *               signals, the loop and when to commit
 *   http.c      HTTP on lws: requests read, replies written  |  ws.c
 *               WebSocket
 *   api.c       REST, /health, /metrics, the panel: a parsed request in,
 *               a reply described; no socket (tests/unit/serve-api.c)
 *   feed.c      what goes out on a WebSocket: queues, frames, the live
 *               fan-out and the history before it
 *   fts.c       the full-text index catching up (q= requests wait on it)
 *   commit.c    the open transaction; replies and acks wait for its commit
 *   store.h     the storage interface, with SQLite behind it (store.c)
 *   auth.c, metrics.c, rec.c (records in and out): the bottom
 * An HTTP request: callback -> http_callback -> request (read into the
 * connection) -> api_route -> a handler, whose reply goes out from the
 * writable callback (an ingest's after its commit).
 * A WebSocket message: ws_callback -> on_message -> ingest (acked through
 * feed.c once committed), subscribe or resume.
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
#include "kr_set.h"
#include "kr_time.h"
#include "auth.h"
#include "server.h"
#include "srv.h"
#include "store.h"

#define TOOL (&kr_tool_serve)

#define RETENTION_MAX_MS	(36500LL * 86400000)	/* 100 years */

struct opts {
	const char *listen, *db, *jwt_file, *keys_file, *retention;
	const char *tls_cert, *tls_key, *config, *panel_dir, *max_body;
	const char *queue_max, *sync, *partition, *cache_size;
	size_t cache;
	long long part_ms;
	int hash_key;
	int retention_flag;	/* --retention was given */
};

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

/* Reads the command line into o; exits for --help and --version. */
static void
parse_args(int argc, char *argv[], struct opts *o)
{
	int ch;

	memset(o, 0, sizeof *o);
	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case KR_O_CACHE_SIZE:
			o->cache_size = optarg;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'L':
			o->listen = optarg;
			break;
		case KR_O_API_KEYS:
			o->keys_file = optarg;
			break;
		case KR_O_HASH_KEY:
			o->hash_key = 1;
			break;
		case KR_O_JWT_SECRET_FILE:
			o->jwt_file = optarg;
			break;
		case KR_O_MAX_BODY:
			o->max_body = optarg;
			break;
		case KR_O_PANEL_DIR:
			o->panel_dir = optarg;
			break;
		case KR_O_PARTITION:
			o->partition = optarg;
			break;
		case KR_O_QUEUE_MAX:
			o->queue_max = optarg;
			break;
		case KR_O_RETENTION:
			o->retention = optarg;
			break;
		case KR_O_SYNC:
			o->sync = optarg;
			break;
		case KR_O_TLS_CERT:
			o->tls_cert = optarg;
			break;
		case KR_O_TLS_KEY:
			o->tls_key = optarg;
			break;
		}
	}
	if (optind != argc)
		kr_set_usage(TOOL);
}

/* A setting: its flag, else the environment, the file, the default. */
static const char *
setting(const struct kr_cfg *cfg, int id, const char *flag)
{
	return kr_set_value(TOOL, cfg, id, flag, NULL);
}

/* Fills in what the command line left out: config file, environment. */
static void
settle(const struct kr_cfg *cfg, struct opts *o)
{
	o->listen = setting(cfg, 'L', o->listen);
	o->db = setting(cfg, 'd', o->db);
	o->jwt_file = setting(cfg, KR_O_JWT_SECRET_FILE, o->jwt_file);
	o->keys_file = setting(cfg, KR_O_API_KEYS, o->keys_file);
	o->retention_flag = o->retention != NULL;
	o->retention = setting(cfg, KR_O_RETENTION, o->retention);
	o->tls_cert = setting(cfg, KR_O_TLS_CERT, o->tls_cert);
	o->tls_key = setting(cfg, KR_O_TLS_KEY, o->tls_key);
	o->panel_dir = setting(cfg, KR_O_PANEL_DIR, o->panel_dir);
	o->max_body = setting(cfg, KR_O_MAX_BODY, o->max_body);
	o->queue_max = setting(cfg, KR_O_QUEUE_MAX, o->queue_max);
	o->sync = setting(cfg, KR_O_SYNC, o->sync);
	o->partition = setting(cfg, KR_O_PARTITION, o->partition);
	o->cache_size = setting(cfg, KR_O_CACHE_SIZE, o->cache_size);
}

/*
 * Checks the settings and puts them into s and so; dies on a bad one, or
 * on a public address without auth.
 */
static void
configure(struct opts *o, struct srv *s, struct server_opts *so)
{
	static char addr[256];
	const char *why;

	if (parse_listen(o->listen, addr, sizeof addr, &so->port) == -1)
		kr_die(KR_EX_USAGE, "bad listen address '%s' (want ADDR:PORT)",
		    o->listen);
	if (kr_parse_size(o->max_body, 4u << 20, 1u << 30, &s->max_body) ==
	    -1)
		kr_die(KR_EX_USAGE, "bad --max-body '%s' (4M to 1G)",
		    o->max_body);
	if (kr_parse_duration_ms(o->partition, &o->part_ms) == -1 ||
	    o->part_ms < 1000 || o->part_ms > 366LL * 86400 * 1000)
		kr_die(KR_EX_USAGE, "bad --partition '%s' (1s to 366d)",
		    o->partition);
	if (kr_parse_size(o->queue_max, 64u << 10, 1u << 30,
	    &s->queue_max) == -1)
		kr_die(KR_EX_USAGE, "bad --queue-max '%s' (64k to 1G)",
		    o->queue_max);
	if (kr_parse_size(o->cache_size, 1u << 20, (size_t)1 << 40,
	    &o->cache) == -1)
		kr_die(KR_EX_USAGE, "bad --cache-size '%s' (1M to 1T)",
		    o->cache_size);
	if (o->retention != NULL && parse_retention(o->retention,
	    &s->retention_ms, &why) == -1)
		kr_die(KR_EX_USAGE, "bad %s '%s': %s", o->retention_flag ?
		    "--retention" : getenv("KERUTA_SERVE_RETENTION") ?
		    "KERUTA_SERVE_RETENTION" : "serve.retention", o->retention,
		    why);
	s->retention = o->retention;
	if (strcmp(o->sync, "full") != 0 && strcmp(o->sync, "normal") != 0)
		kr_die(KR_EX_USAGE, "bad --sync '%s' (full or normal)",
		    o->sync);
	if ((o->tls_cert == NULL) != (o->tls_key == NULL))
		kr_die(KR_EX_USAGE, "--tls-cert and --tls-key go together");
	if (o->tls_cert != NULL && (access(o->tls_cert, R_OK) == -1 ||
	    access(o->tls_key, R_OK) == -1))
		kr_diesys(KR_EX_USAGE, "unable to read '%s' or '%s'",
		    o->tls_cert, o->tls_key);
	s->panel_dir = o->panel_dir;
	so->addr = addr;
	so->listen = o->listen;
	so->tls_cert = o->tls_cert;
	so->tls_key = o->tls_key;
	so->verbose = kr_diag_verbosity();
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct srv srv;
	struct server_opts so;
	/* Static: reachable still when a bad setting exits. */
	static struct kr_cfg *cfg;
	char err[512];
	int rc;

	kr_diag_init("keruta-serve");
	store_setup();
	parse_args(argc, argv, &o);
	kr_crypto_init();
	if (o.hash_key) {
		hash_key();
		return KR_EX_OK;
	}
	if ((cfg = kr_cfg_load(o.config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	memset(&srv, 0, sizeof srv);
	memset(&so, 0, sizeof so);
	settle(cfg, &o);
	configure(&o, &srv, &so);
	srv.auth = auth_load(o.jwt_file, o.keys_file);
	if (!is_loopback(so.addr) && !auth_enabled(srv.auth))
		kr_die(KR_EX_USAGE, "refusing to listen on '%s' without "
		    "authentication: give --jwt-secret-file or --api-keys",
		    so.addr);
	check_bind(so.addr, so.port);
	if ((rc = store_open(&srv.store, o.db, err, sizeof err)) < 0)
		kr_die(rc == -2 ? KR_EX_USAGE : KR_EX_TEMP, "database: %s",
		    err);
	if (store_set_sync(srv.store, strcmp(o.sync, "full") == 0) == -1)
		kr_die(KR_EX_TEMP, "database: unable to set --sync %s", o.sync);
	if (store_set_cache(srv.store, o.cache) == -1)
		kr_die(KR_EX_TEMP, "database: unable to set --cache-size %s",
		    o.cache_size);
	if (store_partition(srv.store, o.part_ms * 1000000) == -1)
		kr_die(KR_EX_TEMP, "database: unable to make a partition");
	rc = server_run(&srv, &so);
	store_close(srv.store);
	auth_free(srv.auth);
	kr_cfg_free(cfg);
	return rc;
}
