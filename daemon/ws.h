/* daemon/ws.h — the chat WebSocket protocol "kefu.v1" at /ws (ws.c, docs/protocol.md).
 *
 * One lws protocol callback; its per-connection data is a struct kd_pss (session.h) and
 * its context user pointer the struct kd_server (server.h).  Runs on the lws service
 * thread only.
 */
#ifndef KEFU_DAEMON_WS_H
#define KEFU_DAEMON_WS_H

#include <libwebsockets.h>

#define KD_WS_PROTOCOL "kefu.v1"
#define KD_WS_PATH "/ws"

int kd_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		   void *in, size_t len);

#endif
