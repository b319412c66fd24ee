/*
 * keruta-ship: deliver records to the server, exactly once, through
 * outages.
 *
 * Reads records or batches (JSON arrays of records) on stdin, spools them
 * to disk and sends them over WebSocket (acked per run and seq), REST
 * (a 2xx is the ack) or the keruta API form (one POST per record). Writes
 * nothing to stdout. Exits 0 when every record was acked, 1 when only
 * records the server refused for good are left out, 111 when records are
 * left in the spool, 100 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_json.h"
#include "kr_parse.h"
#include "kr_rand.h"
#include "kr_time.h"
#include "kr_url.h"
#include "ship.h"

#define USAGE "keruta-ship [-hkqVv] [-a key] [-c config] [-d duration] " \
	"[-p ws|rest|keruta-api] [-s dir] [-t task] [-T token] [-u url] " \
	"[--cacert file] [--check] [--reconnect-interval duration] " \
	"[--retry-count n] " \
	"[--spool-max size] [--summary file] [--summary-fd n] " \
	"[--timeout duration] [--token-file file]"

#define WS_URL "ws://localhost:8080/ws/tasks"
#define API_URL "http://localhost:8080/api/v1"

volatile sig_atomic_t ship_signalled;

enum {
	OPT_CACERT = 256, OPT_CHECK, OPT_RECONNECT, OPT_RETRY, OPT_SPOOL_MAX,
	OPT_SUMMARY, OPT_SUMMARY_FD, OPT_TIMEOUT, OPT_TOKEN_FILE
};

static const struct option longopts[] = {
	{ "api-key", required_argument, NULL, 'a' },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "config", required_argument, NULL, 'c' },
	{ "drain-timeout", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "insecure", no_argument, NULL, 'k' },
	{ "protocol", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "reconnect-interval", required_argument, NULL, OPT_RECONNECT },
	{ "retry-count", required_argument, NULL, OPT_RETRY },
	{ "spool", required_argument, NULL, 's' },
	{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "summary-fd", required_argument, NULL, OPT_SUMMARY_FD },
	{ "task-id", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "token", required_argument, NULL, 'T' },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "url", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: %s\n\n"
"Deliver records (or batches of records) read on stdin to the keruta server.\n"
"\n"
"  -a, --api-key key            send X-API-Key: key (KERUTA_API_KEY)\n"
"      --cacert file            trust the CA certificates in file\n"
"      --check                  check the settings, then exit: 0 when a run\n"
"                               would take them, 100 and why otherwise\n"
"  -c, --config file            YAML configuration (KERUTA_CONFIG)\n"
"  -d, --drain-timeout duration wait this long for acks at EOF (30s)\n"
"  -h, --help                   print this help and exit\n"
"  -k, --insecure               do not verify the server's certificate\n"
"  -p, --protocol proto         ws (default), rest or keruta-api\n"
"  -q, --quiet                  print fatal errors only\n"
"      --reconnect-interval duration\n"
"                               longest wait between tries (5s)\n"
"      --retry-count n          tries after a permanent-looking error (3)\n"
"  -s, --spool dir              spool directory (under $TMPDIR per task)\n"
"      --spool-max size         stop reading stdin past this much (1G)\n"
"      --summary file           write the final counts as JSON to file\n"
"      --summary-fd n           write the final counts as JSON to fd n\n"
"  -t, --task-id id             the task (KERUTA_TASK_ID; else each record's)\n"
"      --timeout duration       one request, or ack silence on ws (10s)\n"
"  -T, --token token            send Authorization: Bearer token\n"
"      --token-file file        read the token from file\n"
"  -u, --url url                server base URL (KERUTA_WEBSOCKET_URL,\n"
"                               KERUTA_API_URL)\n"
"  -V, --version                print the version and exit\n"
"  -v, --verbose                more messages (-vv: debug)\n", USAGE);
	exit(0);
}

static void
on_signal(int sig)
{
	(void)sig;
	ship_signalled++;
}

void
ship_check_signals(struct ship *s)
{
	static int seen;

	if (ship_signalled == seen)
		return;
	seen = ship_signalled;
	if (seen == 1 && !s->eof) {
		kr_info("signalled: reading no more, delivering what is spooled");
		ship_ingest_end(s);
	} else if (seen > 1) {
		/* A second signal: give up waiting. */
		s->dead = 1;
	}
}

long long
ship_backoff_ms(const struct ship_opts *o, int n)
{
	long long d = 100;
	uint32_t r;

	while (n-- > 0 && d < o->reconnect_ms)
		d *= 2;
	if (d > o->reconnect_ms)
		d = o->reconnect_ms;
	/* Full jitter in the upper half: [d/2, d]. */
	r = randombytes_uniform((uint32_t)(d / 2 + 1));
	return d / 2 + (long long)r;
}

static long long
get_duration(const struct kr_cfg *c, const char *key, const char *env,
    const char *def, const char *what)
{
	const char *v = kr_cfg_get(c, key, env, def);
	long long ms;

	if (kr_parse_duration_ms(v, &ms) == -1)
		kr_die(KR_EX_USAGE, "bad %s '%s'", what, v);
	return ms;
}

static long long
flag_duration(const char *v, const char *what)
{
	long long ms;

	if (kr_parse_duration_ms(v, &ms) == -1)
		kr_die(KR_EX_USAGE, "bad %s '%s'", what, v);
	return ms;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		kr_die(KR_EX_TEMP, "out of memory");
	return d;
}

static char *
read_token(const char *path)
{
	size_t n;
	char *t;

	if ((t = kr_read_file(path, 65536, &n)) == NULL)
		kr_diesys(KR_EX_USAGE, "unable to read token file '%s'", path);
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' ||
	    t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	if (n == 0)
		kr_die(KR_EX_USAGE, "token file '%s' is empty", path);
	return t;
}

/* A token or key goes in a header whole: one word of printable ASCII. */
static void
check_header_value(const char *v, const char *what)
{
	for (; *v; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			kr_die(KR_EX_USAGE, "the %s holds a space, a control "
			    "or a non-ASCII character", what);
}

static void
wipe_free(char *p)
{
	if (p != NULL) {
		sodium_memzero(p, strlen(p));
		free(p);
	}
}

/*
 * --check: the spool can be made and written as a run would make and
 * write it (parent first, for the default one). What this made is
 * removed again. Exits 100 when it cannot.
 */
static void
check_spool(const char *dir, const char *parent)
{
	char p[4096];
	int made_parent = 0, made = 0, fd = -1, e = 0;
	const char *what = NULL, *obj = dir;

	if (parent != NULL) {
		if (mkdir(parent, 0700) == 0)
			made_parent = 1;
		else if (errno != EEXIST) {
			e = errno;
			what = "create";
			obj = parent;
		}
	}
	if (what == NULL) {
		if (mkdir(dir, 0700) == 0)
			made = 1;
		else if (errno != EEXIST) {
			e = errno;
			what = "create spool";
		}
	}
	if (what == NULL) {
		snprintf(p, sizeof p, "%s/.check.XXXXXX", dir);
		if ((fd = mkstemp(p)) == -1) {
			e = errno;
			what = "write in spool";
		} else {
			close(fd);
			(void)unlink(p);
		}
	}
	if (made)
		(void)rmdir(dir);
	if (made_parent)
		(void)rmdir(parent);
	if (what != NULL) {
		errno = e;
		kr_diesys(KR_EX_USAGE, "unable to %s '%s'", what, obj);
	}
}

static void
write_summary(const struct ship *s, int fd, int complete)
{
	struct kr_buf b = KR_BUF_INIT(8192);

	if (kr_buf_printf(&b, "{\"read\":%llu,\"acked\":%llu,\"spooled\":%llu,"
	    "\"rejected\":%llu,\"resumed\":%llu,\"complete\":%s,\"spool\":\"",
	    s->n_read, s->n_acked, s->n_pending, s->n_rejected, s->n_resumed,
	    complete ? "true" : "false") == -1 ||
	    kr_json_escape_utf8(&b, s->o->spool, strlen(s->o->spool)) == -1 ||
	    kr_buf_adds(&b, "\"}\n") == -1 ||
	    kr_writeall(fd, b.s, b.len) == -1)
		kr_warnsys("unable to write the summary");
	kr_buf_free(&b);
}

int
main(int argc, char *argv[])
{
	struct ship_opts o;
	struct ship s;
	struct kr_cfg *cfg;
	const char *config = NULL, *url = NULL, *proto = NULL, *v;
	const char *token = NULL, *token_file = NULL, *api_key = NULL;
	const char *summary = NULL, *why;
	struct kr_url ku;
	struct kr_buf shown = KR_BUF_INIT(1 << 16);
	long long drain = -1, timeout = -1, reconnect = -1, ll;
	long long retry = -1, summary_fd = -1;
	size_t spool_max = 1u << 30;
	char err[512];
	int ch, verbose = 0, quiet = 0, rc, complete, check = 0;
	struct sigaction sa;

	kr_diag_init("keruta-ship");
	memset(&o, 0, sizeof o);
	memset(&s, 0, sizeof s);
	while ((ch = getopt_long(argc, argv, "a:c:d:hkp:qs:T:t:u:Vv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			api_key = optarg;
			break;
		case OPT_CACERT:
			o.cacert = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'd':
			drain = flag_duration(optarg, "drain timeout");
			break;
		case 'h':
			help();
			break;
		case 'k':
			o.insecure = 1;
			break;
		case 'p':
			proto = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_RECONNECT:
			reconnect = flag_duration(optarg, "reconnect interval");
			break;
		case OPT_RETRY:
			if (kr_parse_ll(optarg, 0, 1000, &retry) == -1)
				kr_die(KR_EX_USAGE, "bad retry count '%s'",
				    optarg);
			break;
		case 's':
			o.spool = xstrdup(optarg);
			break;
		case OPT_SPOOL_MAX:
			if (kr_parse_size(optarg, 1u << 20, (size_t)1 << 46,
			    &spool_max) == -1)
				kr_die(KR_EX_USAGE, "bad spool size '%s'",
				    optarg);
			break;
		case OPT_SUMMARY:
			summary = optarg;
			break;
		case OPT_SUMMARY_FD:
			if (kr_parse_ll(optarg, 0, 1 << 20, &summary_fd) == -1)
				kr_die(KR_EX_USAGE, "bad file descriptor '%s'",
				    optarg);
			break;
		case 'T':
			token = optarg;
			break;
		case 't':
			o.task_id = optarg;
			break;
		case OPT_TIMEOUT:
			timeout = flag_duration(optarg, "timeout");
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'V':
			printf("keruta-ship %s\n", KR_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			kr_usage(USAGE);
		}
	}
	if (optind != argc)
		kr_usage(USAGE);
	kr_diag_set_verbosity(quiet ? KR_V_QUIET : verbose);
	if ((cfg = kr_cfg_load(config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);

	if (proto == NULL || strcmp(proto, "ws") == 0)
		o.proto = SHIP_WS;
	else if (strcmp(proto, "rest") == 0)
		o.proto = SHIP_REST;
	else if (strcmp(proto, "keruta-api") == 0)
		o.proto = SHIP_API;
	else
		kr_die(KR_EX_USAGE, "unknown protocol '%s' (ws, rest, "
		    "keruta-api)", proto);
	if (url == NULL)
		url = o.proto == SHIP_WS ?
		    kr_cfg_get(cfg, "websocket.url", "KERUTA_WEBSOCKET_URL",
		    WS_URL) : kr_cfg_get(cfg, "api.url", "KERUTA_API_URL",
		    API_URL);
	o.url = url;
	if (kr_url_mask(&shown, url) == -1)
		kr_die(KR_EX_USAGE, "url too long");
	if (kr_url_parse(url, &ku, &why) == -1)
		kr_die(KR_EX_USAGE, "bad url '%s': %s", shown.s, why);
	if (ku.ws != (o.proto == SHIP_WS))
		kr_die(KR_EX_USAGE, "url '%s' does not suit protocol %s",
		    shown.s, proto ? proto : "ws");
	if (o.task_id == NULL && (v = getenv("KERUTA_TASK_ID")) != NULL &&
	    *v != '\0')
		o.task_id = v;
	if (o.task_id != NULL && !kr_id_valid(o.task_id, strlen(o.task_id)))
		kr_die(KR_EX_USAGE, "bad task id '%s' (%s)", o.task_id,
		    KR_ID_RULE);
	if (token != NULL)
		o.token = xstrdup(token);
	else if (token_file != NULL)
		o.token = read_token(token_file);
	else if ((v = kr_cfg_get(cfg, "api.token", "KERUTA_AUTH_TOKEN",
	    NULL)) != NULL || (v = getenv("KERUTA_API_TOKEN")) != NULL)
		o.token = *v ? xstrdup(v) : NULL;
	if (api_key == NULL)
		api_key = kr_cfg_get(cfg, "api.key", "KERUTA_API_KEY", NULL);
	if (api_key != NULL && *api_key != '\0')
		o.api_key = xstrdup(api_key);
	if (o.token)
		check_header_value(o.token, "token");
	if (o.api_key)
		check_header_value(o.api_key, "API key");
	o.drain_ms = drain >= 0 ? drain : 30000;
	o.timeout_ms = timeout >= 0 ? timeout : get_duration(cfg,
	    o.proto == SHIP_WS ? "websocket.timeout" : "api.timeout", NULL,
	    "10s", "timeout");
	if (o.timeout_ms < 100)
		o.timeout_ms = 100;
	o.reconnect_ms = reconnect >= 0 ? reconnect : get_duration(cfg,
	    "websocket.reconnectInterval", NULL, "5s", "reconnect interval");
	if (o.reconnect_ms < 100)
		o.reconnect_ms = 100;
	if (retry < 0) {
		v = kr_cfg_get(cfg, "api.retryCount", NULL, "3");
		if (kr_parse_ll(v, 0, 1000, &retry) == -1)
			kr_die(KR_EX_USAGE, "bad api.retryCount '%s'", v);
	}
	o.retry_count = (int)retry;
	o.spool_max = spool_max;
	o.seg_max = 16u << 20;
	o.frame_recs = o.proto == SHIP_API ? 1 : 1000;
	o.frame_bytes = 512u << 10;
	o.window_frames = o.proto == SHIP_WS ? 32 : 1;
	o.window_bytes = 2u << 20;
	if (o.spool == NULL) {
		const char *tmp = getenv("TMPDIR");
		char p[4096];

		snprintf(p, sizeof p, "%s/keruta-ship-%ld",
		    tmp && *tmp ? tmp : "/tmp", (long)getuid());
		if (!check && mkdir(p, 0700) == -1 && errno != EEXIST)
			kr_diesys(KR_EX_TEMP, "unable to create '%s'", p);
		ll = snprintf(p + strlen(p), sizeof p - strlen(p), "/%s",
		    o.task_id ? o.task_id : "all");
		(void)ll;
		o.spool = xstrdup(p);
		o.spool_default = 1;
		if (check) {
			*strrchr(p, '/') = '\0';
			check_spool(o.spool, p);
		}
	} else if (check) {
		check_spool(o.spool, NULL);
	}
	if (o.cacert != NULL && access(o.cacert, R_OK) == -1)
		kr_diesys(KR_EX_USAGE, "unable to read CA file '%s'", o.cacert);
	if (summary_fd >= 0 && fcntl((int)summary_fd, F_GETFD) == -1)
		kr_die(KR_EX_USAGE, "--summary-fd %lld is not open", summary_fd);
	if (check) {
		/* Nothing connects, nothing reads stdin. */
		wipe_free(o.token);
		wipe_free(o.api_key);
		free(o.spool);
		kr_buf_free(&shown);
		kr_cfg_free(cfg);
		return 0;
	}
	kr_buf_free(&shown);
	if (o.insecure)
		kr_warn("--insecure: the server's certificate is NOT verified; "
		    "anyone on the path can read and change the records");

	kr_ignore_sigpipe();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	/* A file size limit is a full disk: write(2) fails with EFBIG. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGXFSZ, &sa, NULL);
	kr_crypto_init();

	s.o = &o;
	ship_spool_open(&s);
	if (o.proto == SHIP_WS)
		ship_ws_run(&s);
	else
		ship_rest_run(&s);

	complete = s.n_pending == 0 && s.n_rejected == 0;
	if (s.n_pending > 0) {
		rc = KR_EX_TEMP;
		kr_warn("%llu records read, %llu acked, %llu rejected; %llu "
		    "left in spool '%s'", s.n_read, s.n_acked, s.n_rejected,
		    s.n_pending, o.spool);
	} else if (s.n_rejected > 0) {
		rc = KR_EX_FAIL;
		kr_warn("%llu records read, %llu acked, %llu rejected by the "
		    "server, kept in '%s/rejected.ndjson'", s.n_read,
		    s.n_acked, s.n_rejected, o.spool);
	} else {
		rc = KR_EX_OK;
		kr_info("%llu records read, %llu acked, 0 spooled, "
		    "0 rejected", s.n_read, s.n_acked);
	}
	if (summary_fd >= 0)
		write_summary(&s, (int)summary_fd, complete);
	if (summary != NULL) {
		int fd = open(summary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);

		if (fd == -1) {
			kr_warnsys("unable to write summary '%s'", summary);
		} else {
			write_summary(&s, fd, complete);
			close(fd);
		}
	}
	ship_spool_close(&s);
	wipe_free(o.token);
	wipe_free(o.api_key);
	free(o.spool);
	kr_cfg_free(cfg);
	return rc;
}
