/*
 * api.h: the REST API, /health, /metrics and the panel, as functions of a
 * parsed request: no socket (http.c is the libwebsockets side).
 */
#ifndef API_H
#define API_H

struct conn;
struct srv;

/*
 * Answers the request in c (method, path, args, ctype, inm, body, az):
 * the reply is described in c->status, c->rp and c->out (c->rp.ready
 * set), or the request waits (c->rp.ready clear): for the commit (c->cw,
 * then DUE_REPLY or DUE_FAILED) or for the full-text index (c->fw, then
 * routed again). Always 0.
 */
int api_route(struct srv *s, struct conn *c);
/* Describes an error reply: {"error":{"code","message","status"}}. 0. */
int api_error(struct conn *c, int status, const char *code, const char *msg);
/*
 * The next part of a streamed reply (c->streaming) in c->out; its end
 * (c->cur.done) appends the epilogue. 0, or -1 when the store failed.
 */
int api_refill(struct srv *s, struct conn *c);

#endif
