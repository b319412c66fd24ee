/*
 * http.h: the REST API under /api/v1, /health, /metrics and the panel:
 * the HTTP events of the protocol callback.
 */
#ifndef HTTP_H
#define HTTP_H

#include <libwebsockets.h>

int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

#endif
