/*
 * ws.h: the WebSocket protocol at /ws/tasks/{taskId}: the WebSocket
 * events of the protocol callback.
 */
#ifndef WS_H
#define WS_H

#include <libwebsockets.h>

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

#endif
