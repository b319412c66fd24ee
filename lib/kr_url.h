/*
 * kr_url: the server URLs the tools take, checked, joined to a task's
 * endpoint, and masked for messages.
 *
 * A URL is given in either of two forms: the server's base
 * (ws://h:8080, http://h:8080) or the form that names the endpoint
 * family (ws://h:8080/ws/tasks, http://h:8080/api/v1). Both lead to the
 * same endpoint. A query (?token=X) stays at the end, after the task.
 */
#ifndef KR_URL_H
#define KR_URL_H

#include <stddef.h>

#include "kr_buf.h"

enum kr_url_kind { KR_URL_WS, KR_URL_REST };

#define KR_URL_HOST_MAX 255

struct kr_url {
	int ws;				/* ws or wss; else http or https */
	int tls;			/* wss or https */
	char host[KR_URL_HOST_MAX + 1];	/* IPv6 without its brackets */
	int port;			/* given, or the scheme's default */
	const char *user;		/* userinfo before '@', or NULL */
	size_t userlen;
	const char *path;		/* from its '/' to '?' or the end */
	size_t pathlen;			/* 0: none given */
	const char *query;		/* after '?', or NULL */
};

/*
 * Parses url (ws, wss, http or https; a host; an optional port; no
 * spaces, control or non-ASCII bytes; no fragment). u points into url.
 * 0, or -1 with *why set to a short reason.
 */
int kr_url_parse(const char *url, struct kr_url *u, const char **why);

/*
 * Appends to out the URL of a task's endpoint: for KR_URL_WS
 * <base>/ws/tasks/<task>, for KR_URL_REST <base>/api/v1/tasks/<task>/logs,
 * where url is the base or already ends in /ws/tasks or /api/v1 (a
 * trailing '/' is ignored), and its query, if any, follows. Characters of
 * task other than letters, digits and "-._~:@" are percent-encoded.
 * 0, or -1 when url does not parse (*why set) or out is full.
 */
int kr_url_task(struct kr_buf *out, const char *url, enum kr_url_kind kind,
    const char *task, const char **why);

/*
 * Appends url to out as it may be shown in a message: a userinfo
 * (user:password@) becomes "***@", and the value of each query parameter
 * whose name looks like a secret's (token, key, secret, pass, pwd, auth,
 * cred, sig, session, jwt, in any case) becomes "***". Works on any
 * string, parsed or not. 0, or -1 when out is full.
 */
int kr_url_mask(struct kr_buf *out, const char *url);

/*
 * The elements of a list "url[,url...]" (a comma inside a URL is written
 * %2C), blanks around each dropped, as a malloc'd array of n malloc'd
 * strings. NULL with *n the number (from 1) of an empty element, or 0
 * when out of memory.
 */
char **kr_url_split(const char *list, size_t *n);

#endif
