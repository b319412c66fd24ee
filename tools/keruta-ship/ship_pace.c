/*
 * ship_pace.c: what the transports share about time and stopping: the
 * delay before trying again, and the signals that end the input.
 */
#include <signal.h>
#include <string.h>

#include <sodium.h>

#include "kr_diag.h"
#include "kr_io.h"
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
