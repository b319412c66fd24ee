/* server.h: the service loop, with its context, timers and signals. */
#ifndef SERVER_H
#define SERVER_H

struct srv;

struct server_opts {
	const char *addr;	/* the address to bind; "0.0.0.0": any */
	int port;		/* 0: any */
	const char *listen;	/* as given, for messages */
	const char *tls_cert, *tls_key;	/* NULL: no TLS */
	int verbose;		/* 2: libwebsockets' notices too */
};

/*
 * Serves until SIGTERM or SIGINT, with the store, auth and settings of s.
 * Dies when it cannot listen. Returns KR_EX_OK, or KR_EX_TEMP when the
 * database was removed or replaced while in use.
 */
int server_run(struct srv *s, const struct server_opts *o);

#endif
