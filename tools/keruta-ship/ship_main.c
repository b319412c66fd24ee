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
 *
 * How keruta-ship is built: layers, each calling only those below it.
 *   ship_main.c   options, YAML and environment into one struct ship_opts;
 *                 picks a transport, runs it, reports the counts, exits.
 *   ship_ws.c     the transports, one struct ship_transport each (ws;
 *   ship_rest.c   rest and keruta-api): a loop over stdin and the network.
 *   ship_pace.c   what transports share: the backoff delay, signals.
 *   ship_spool.c  the spool: stdin into segments, frames out of them,
 *                 acks in, rewind after a loss, replay at start.
 *   ship_scan.c   a line's quick check; ship_form.c a frame's wire form.
 * ship.h declares each file's calls; lib/ is beneath them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
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
#include "kr_set.h"
#include "kr_time.h"
#include "kr_url.h"
#include "ship.h"

#define TOOL (&kr_tool_ship)


static long long
get_duration(const struct kr_cfg *c, const char *key, const char *what)
{
	const char *v = kr_set_key(TOOL, c, key);
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
	if (n == 0) {
		free(t);
		kr_die(KR_EX_USAGE, "token file '%s' is empty", path);
	}
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

/* The command line into o: one case per option. */
static void
parse_args(struct ship_opts *o, int argc, char *argv[])
{
	int ch;

	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		switch (ch) {
		case 'a':
			o->api_key_arg = optarg;
			break;
		case KR_O_CACERT:
			o->cacert = optarg;
			break;
		case KR_O_CHECK:
			o->check = 1;
			break;
		case 'c':
			o->config = optarg;
			break;
		case KR_O_DRAIN_TIMEOUT:
			o->drain_arg = flag_duration(optarg, "drain timeout");
			break;
		case 'k':
			o->insecure = 1;
			break;
		case 'p':
			o->proto_name = optarg;
			break;
		case KR_O_RECONNECT_INTERVAL:
			o->reconnect_arg = flag_duration(optarg,
			    "reconnect interval");
			break;
		case KR_O_RETRY_COUNT:
			if (kr_parse_ll(optarg, 0, 1000, &o->retry_arg) == -1)
				kr_die(KR_EX_USAGE, "bad retry count '%s'",
				    optarg);
			break;
		case 'S':
			free(o->spool);		/* the last one given counts */
			o->spool = xstrdup(optarg);
			break;
		case KR_O_SPOOL_MAX:
			if (kr_parse_size(optarg, 1u << 20, (size_t)1 << 46,
			    &o->spool_max) == -1)
				kr_die(KR_EX_USAGE, "bad spool size '%s'",
				    optarg);
			break;
		case KR_O_SUMMARY:
			o->summary = optarg;
			break;
		case KR_O_SUMMARY_FD:
			if (kr_parse_ll(optarg, 0, 1 << 20, &o->summary_fd) ==
			    -1)
				kr_die(KR_EX_USAGE, "bad file descriptor '%s'",
				    optarg);
			break;
		case 'T':
			o->token_arg = optarg;
			break;
		case 't':
			o->task_id = optarg;
			break;
		case KR_O_TIMEOUT:
			o->timeout_arg = flag_duration(optarg, "timeout");
			break;
		case KR_O_TOKEN_FILE:
			o->token_file = optarg;
			break;
		case 'u':
			o->url = optarg;
			break;
		}
	}
	if (optind != argc)
		kr_set_usage(TOOL);
}

/*
 * The servers of a list "url[,url...]", each one checked as the protocol
 * wants it: blanks around an element are dropped, an empty element is bad
 * usage. A comma inside a URL is written %2C.
 */
static void
settle_urls(struct ship_opts *o, const char *list)
{
	struct kr_buf all = KR_BUF_INIT(1 << 16), shown = KR_BUF_INIT(1 << 16);
	struct kr_url ku;
	const char *u, *why;
	size_t i;

	if (kr_url_mask(&all, list) == -1)
		kr_die(KR_EX_USAGE, "url too long");
	if ((o->urls = kr_url_split(list, &o->nurls)) == NULL) {
		if (o->nurls == 0)
			kr_die(KR_EX_TEMP, "out of memory");
		kr_die(KR_EX_USAGE, "bad url list '%s': element %zu is "
		    "empty", all.s, o->nurls);
	}
	for (i = 0; i < o->nurls; i++) {
		u = o->urls[i];
		shown.len = 0;
		if (kr_url_mask(&shown, u) == -1)
			kr_die(KR_EX_USAGE, "url too long");
		if (kr_url_parse(u, &ku, &why) == -1)
			kr_die(KR_EX_USAGE, "bad url '%s': %s", shown.s, why);
		if (ku.ws != o->t->ws)
			kr_die(KR_EX_USAGE, "url '%s' does not suit "
			    "protocol %s", shown.s, o->t->name);
		o->tls_any |= ku.tls;
	}
	kr_buf_free(&all);
	kr_buf_free(&shown);
	o->url = o->urls[0];
}

/* The transport -p names, and servers that suit it. */
static void
settle_transport(struct ship_opts *o, const struct kr_cfg *cfg)
{
	static const struct ship_transport *const ts[] = { &ship_ws,
	    &ship_rest, &ship_api };
	const char *name = o->proto_name ? o->proto_name : "ws";
	size_t i;

	for (i = 0; i < sizeof ts / sizeof ts[0]; i++)
		if (strcmp(name, ts[i]->name) == 0)
			o->t = ts[i];
	if (o->t == NULL)
		kr_die(KR_EX_USAGE, "unknown protocol '%s' (ws, rest, "
		    "keruta-api)", name);
	settle_urls(o, o->url != NULL ? o->url : kr_set_key(TOOL, cfg,
	    o->t->ws ? "websocket.url" : "api.url"));
	o->form = o->t->form;
	o->frame_recs = o->t->frame_recs;
	o->window_frames = o->t->window_frames;
	o->frame_bytes = 512u << 10;
	o->window_bytes = 2u << 20;
	o->seg_max = 16u << 20;
}

/* The task, the token and the API key. */
static void
settle_credentials(struct ship_opts *o, const struct kr_cfg *cfg)
{
	const char *v;

	if (o->task_id == NULL && (v = getenv("KERUTA_TASK_ID")) != NULL &&
	    *v != '\0')
		o->task_id = v;
	if (o->task_id != NULL && !kr_id_valid(o->task_id,
	    strlen(o->task_id)))
		kr_die(KR_EX_USAGE, "bad task id '%s' (%s)", o->task_id,
		    KR_ID_RULE);
	if (o->token_arg != NULL)
		o->token = xstrdup(o->token_arg);
	else if (o->token_file != NULL)
		o->token = read_token(o->token_file);
	else if ((v = kr_cfg_get(cfg, "api.token", "KERUTA_AUTH_TOKEN",
	    NULL)) != NULL || (v = getenv("KERUTA_API_TOKEN")) != NULL)
		o->token = *v ? xstrdup(v) : NULL;
	v = o->api_key_arg;
	if (v == NULL)
		v = kr_cfg_get(cfg, "api.key", "KERUTA_API_KEY", NULL);
	if (v != NULL && *v != '\0')
		o->api_key = xstrdup(v);
	if (o->token)
		check_header_value(o->token, "token");
	if (o->api_key)
		check_header_value(o->api_key, "API key");
	if (o->cacert != NULL && access(o->cacert, R_OK) == -1)
		kr_diesys(KR_EX_USAGE, "unable to read CA file '%s'",
		    o->cacert);
}

/* Timeouts and retries: flags, else the YAML file, else defaults. */
static void
settle_timing(struct ship_opts *o, const struct kr_cfg *cfg)
{
	const char *v;

	o->drain_ms = o->drain_arg >= 0 ? o->drain_arg : 30000;
	o->timeout_ms = o->timeout_arg >= 0 ? o->timeout_arg :
	    get_duration(cfg, o->t->ws ? "websocket.timeout" : "api.timeout",
	    "timeout");
	if (o->timeout_ms < 100)
		o->timeout_ms = 100;
	o->reconnect_ms = o->reconnect_arg >= 0 ? o->reconnect_arg :
	    get_duration(cfg, "websocket.reconnectInterval",
	    "reconnect interval");
	if (o->reconnect_ms < 100)
		o->reconnect_ms = 100;
	if (o->retry_arg < 0) {
		v = kr_set_key(TOOL, cfg, "api.retryCount");
		if (kr_parse_ll(v, 0, 1000, &o->retry_arg) == -1)
			kr_die(KR_EX_USAGE, "bad api.retryCount '%s'", v);
	}
	o->retry_count = (int)o->retry_arg;
}

/* The spool directory: given, or one per task under $TMPDIR. */
static void
settle_spool(struct ship_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char p[4096];

	if (o->spool != NULL) {
		if (o->check)
			check_spool(o->spool, NULL);
		return;
	}
	snprintf(p, sizeof p, "%s/keruta-ship-%ld",
	    tmp && *tmp ? tmp : "/tmp", (long)getuid());
	if (!o->check && mkdir(p, 0700) == -1 && errno != EEXIST)
		kr_diesys(KR_EX_TEMP, "unable to create '%s'", p);
	snprintf(p + strlen(p), sizeof p - strlen(p), "/%s",
	    o->task_id ? o->task_id : "all");
	o->spool = xstrdup(p);
	o->spool_default = 1;
	if (o->check) {
		*strrchr(p, '/') = '\0';
		check_spool(o->spool, p);
	}
}

/* The exit status, said on stderr, and the summary where asked for. */
static int
report(const struct ship *s)
{
	const struct ship_opts *o = s->o;
	int rc, fd, complete = s->n_pending == 0 && s->n_rejected == 0;

	if (s->n_pending > 0) {
		rc = KR_EX_TEMP;
		kr_warn("%llu records read, %llu acked, %llu rejected; %llu "
		    "left in spool '%s'", s->n_read, s->n_acked, s->n_rejected,
		    s->n_pending, o->spool);
	} else if (s->n_rejected > 0) {
		rc = KR_EX_FAIL;
		kr_warn("%llu records read, %llu acked, %llu rejected by the "
		    "server, kept in '%s/rejected.ndjson'", s->n_read,
		    s->n_acked, s->n_rejected, o->spool);
	} else {
		rc = KR_EX_OK;
		kr_info("%llu records read, %llu acked, 0 spooled, "
		    "0 rejected", s->n_read, s->n_acked);
	}
	if (o->summary_fd >= 0)
		write_summary(s, (int)o->summary_fd, complete);
	if (o->summary != NULL) {
		fd = open(o->summary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (fd == -1) {
			kr_warnsys("unable to write summary '%s'", o->summary);
		} else {
			write_summary(s, fd, complete);
			close(fd);
		}
	}
	return rc;
}

static void
opts_free(struct ship_opts *o)
{
	size_t i;

	wipe_free(o->token);
	wipe_free(o->api_key);
	free(o->spool);
	/* A URL may hold a token (?token=). */
	for (i = 0; i < o->nurls; i++)
		wipe_free(o->urls[i]);
	free(o->urls);
}

int
main(int argc, char *argv[])
{
	/* Static: what it holds stays reachable when a check exits. */
	static struct ship_opts o = SHIP_OPTS_INIT;
	struct ship s;
	struct kr_cfg *cfg;
	char err[512];
	int rc;

	kr_diag_init("keruta-ship");
#ifdef M_TRIM_THRESHOLD
	/*
	 * Frames of up to half a megabyte come and go all the time, more of
	 * them while acks wait for the server's disk. glibc gave the memory
	 * back to the kernel as each went (its threshold follows the biggest
	 * freed block), and took it again as page faults for the next: half
	 * keruta-ship's CPU. Kept up to 8 MiB instead, they cost none. A
	 * frame's buffer, taken whole, is of 1 MiB (kr_buf doubles past
	 * half a megabyte and its NUL): below 4 MiB, it comes from the heap
	 * rather than from an mmap of its own, faulted in page by page.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
	parse_args(&o, argc, argv);
	if ((cfg = kr_cfg_load(o.config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	settle_transport(&o, cfg);
	settle_credentials(&o, cfg);
	settle_timing(&o, cfg);
	settle_spool(&o);
	if (o.summary_fd >= 0 && fcntl((int)o.summary_fd, F_GETFD) == -1)
		kr_die(KR_EX_USAGE, "--summary-fd %lld is not open",
		    o.summary_fd);
	if (o.check) {
		/* Nothing connects, nothing reads stdin. */
		opts_free(&o);
		kr_cfg_free(cfg);
		return 0;
	}
	if (o.insecure)
		kr_warn("--insecure: the server's certificate is NOT verified; "
		    "anyone on the path can read and change the records");
	ship_signals_init();
	kr_crypto_init();
	memset(&s, 0, sizeof s);
	s.o = &o;
	ship_spool_open(&s);
	o.t->run(&s);
	rc = report(&s);
	ship_spool_close(&s);
	opts_free(&o);
	kr_cfg_free(cfg);
	return rc;
}
