/*
 * ship_pace.c: what the transports share about time and stopping: the
 * delay before trying again, the server tried next, and the signals that
 * end the input.
 */
#include <signal.h>
#include <string.h>

#include <sodium.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_url.h"
#include "ship.h"

static volatile sig_atomic_t signalled;

static void
on_signal(int sig)
{
	(void)sig;
	signalled++;
}

void
ship_signals_init(void)
{
	struct sigaction sa;

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
}

void
ship_check_signals(struct ship *s)
{
	static int seen;

	if (signalled == seen)
		return;
	seen = signalled;
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

void
ship_failed(struct ship_opts *o, const char *shown, const char *why,
    long long ms, int say)
{
	struct kr_buf next = KR_BUF_INIT(1 << 16);

	if (o->nurls < 2) {
		if (say)
			kr_warn("unable to deliver to '%s': %s; trying again "
			    "in %lld ms", shown, why, ms);
		return;
	}
	o->url_at = (o->url_at + 1) % o->nurls;
	o->url = o->urls[o->url_at];
	if (say && kr_url_mask(&next, o->url) == 0)
		kr_warn("unable to deliver to '%s': %s; moving to '%s' in "
		    "%lld ms", shown, why, next.s, ms);
	kr_buf_free(&next);
}
