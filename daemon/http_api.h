/* daemon/http_api.h — kefud serves the REST API /api/v1/ (api/api.h) over its HTTP.
 *
 * lws hands every request under /api/ to the protocol "kefu.api" (a callback mount).
 * The service thread collects the method, path, query, the few headers api_handle
 * needs, the peer and the body (at most API_MAX_BODY bytes) into a job that carries a
 * connection id — never a struct lws * — and pushes it onto this module's own queue.
 * API worker threads (each with its own store connection, all sharing one struct auth)
 * run api_handle, which may block (SQLite; a login hashes for ~25 ms), and post the
 * response to a done list under the server's done_lock, then lws_cancel_service.  The
 * service thread (EVENT_WAIT_CANCELLED) finds the connection by its id and writes the
 * response in HTTP_WRITEABLE.  The chat workers (pool.c) are not used: a login storm
 * cannot delay customers' replies, and a burst of chats cannot starve the console.
 *
 * Ownership: struct kd_api is made on the main thread before the service loop, stopped
 * (threads joined) after kd_server_quiesce and freed after kd_server_destroy.
 */
#ifndef KEFU_DAEMON_HTTP_API_H
#define KEFU_DAEMON_HTTP_API_H

#include <libwebsockets.h>

#include "conf.h"
#include "edge.h"
#include "wake.h"

struct api_response;
struct kd_api;

/* Where the answers of requests made for the operator channel go (ops.c fills it,
 * server.c hands it in): this file calls nothing of ops.c directly.  Service thread. */
struct kd_api_sink {
	void *arg;
	void (*event)(void *arg, const char *event_json);            /* kd_api_post_event */
	void (*take_done)(void *arg, int64_t sid, int status);       /* kd_api_internal */
	void (*summary_done)(void *arg, int64_t sid, const struct api_response *res);
	void (*authed)(void *arg, uint64_t conn_id, const struct api_response *res);
};

#define KD_API_PROTOCOL "kefu.api"

/* Opens conf->db once per API worker (conf->api_workers threads, at least 1), creates
 * the shared auth state from conf's options and starts the threads.  NULL with a
 * message in err.  Main thread. */
struct kd_api *kd_api_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* Tells the API how to wake the service loop, where the operator channel's answers go
 * (copied) and how to name a request's client (edge).  Main thread, before the loop
 * runs. */
void kd_api_attach(struct kd_api *a, struct kd_wake *wake, const struct kd_api_sink *sink,
		   struct kd_edge *edge);
/* Closes the queue, lets queued requests finish (their results are dropped if the
 * server is quiesced) and joins the threads.  Twice is fine.  Main thread. */
void kd_api_stop(struct kd_api *a);
void kd_api_destroy(struct kd_api *a);

/* Fills the /api/ mount *m (the caller links it into its chain) and the protocol
 * entry *proto (its user is a).  Called by server.c's set-up. */
void kd_api_setup(struct kd_api *a, struct lws_http_mount *m, struct lws_protocols *proto);

/* Queues GET /api/v1/me with this cookie for /ops connection conn_id; the answer goes
 * to the sink's authed.  peek: a re-check that does not move the session's last use
 * (api_request.peek).  0, or -1 (queue full, out of memory).  Service thread. */
int kd_api_ops_auth(struct kd_api *a, uint64_t conn_id, const char *cookie, const char *host,
		    const char *ip, int peek);
/* Queues a request made for an operator (their cookie and CSRF token) — the hand-off
 * queue's take of session sid; its status goes to the sink's take_done.  0 or -1. */
int kd_api_internal(struct kd_api *a, int64_t sid, const char *method, const char *path,
		    const char *cookie, const char *csrf, const char *host, const char *ip);
/* Queues GET /api/v1/conversations/{sid}/summary with a signed-in operator's cookie;
 * the card goes to the sink's summary_done.  0 or -1. */
int kd_api_summary(struct kd_api *a, int64_t sid, const char *cookie, const char *host);
/* Posts an operator-channel event (JSON text, copied) to the service thread, which
 * hands it to the sink's event.  Any thread. */
void kd_api_post_event(struct kd_api *a, const char *event_json);
/* Gives every API worker kefud's background training (daemon/training.c) before the
 * server runs. */
struct api_training;
void kd_api_set_training(struct kd_api *a, const struct api_training *t);

/* The "kefu.api" protocol callback.  Service thread. */
int kd_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len);

#endif
