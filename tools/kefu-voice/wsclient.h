/* tools/kefu-voice/wsclient.h — a small WebSocket client (libwebsockets 4.1 client API) for
 * kefu-voice: one connection, its own lws service thread, whole messages in and out.
 *
 * Threads: kv_ws_open starts the service thread, which owns the lws context and the
 * connection and makes every lws call.  Any other thread (kefu-voice's main thread) sends
 * with kv_ws_send (queued under the client's lock, then lws_cancel_service wakes the service
 * thread, which writes in CLIENT_WRITEABLE) and receives with kv_ws_recv (whole messages
 * queued by the service thread, a condition variable wakes the reader).  kv_ws_close stops
 * and joins the service thread.
 */
#ifndef KEFU_VOICE_WSCLIENT_H
#define KEFU_VOICE_WSCLIENT_H

#include <stddef.h>

typedef struct kv_ws kv_ws;

struct kv_msg {
	char *data;             /* the message (malloc'd, NUL-terminated for text; caller frees) */
	size_t len;
	int binary;
};

/* Connects to url ("ws://host[:port]/path", or "wss://..." over TLS), waiting at most timeout_ms for the handshake.
 * Returns the open client, or NULL with a message in err ("connection refused", "bad URL").
 * *bad_url is set to 1 when the URL itself is wrong (else 0). */
kv_ws *kv_ws_open(const char *url, int timeout_ms, int *bad_url, char *err, size_t errlen);
/* Queues one message (copied) for sending.  0, or -1 if the connection is closed / no
 * memory.  Any thread but the service thread. */
int kv_ws_send(kv_ws *c, const void *data, size_t len, int binary);
/* Waits at most timeout_ms (<0: forever) for the next message.  1: *m filled (caller frees
 * m->data); 0: time-out; -1: the connection is closed and nothing is left (reason in err). */
int kv_ws_recv(kv_ws *c, struct kv_msg *m, int timeout_ms, char *err, size_t errlen);
/* wss://: the PEM file of the certificate authorities (or the self-signed certificate) the
 * server's certificate must verify against; NULL (default): the system's.  Call before
 * kv_ws_open; path must stay valid. */
void kv_ws_ca_file(const char *path);
/* libwebsockets' own log lines on stderr (off by default).  Call before kv_ws_open. */
void kv_ws_verbose(int on);
/* Closes the connection, joins the service thread, frees everything.  NULL is fine. */
void kv_ws_close(kv_ws *c);

#endif
