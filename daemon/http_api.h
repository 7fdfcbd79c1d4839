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

struct kd_api;
struct kd_server;

#define KD_API_PROTOCOL "kefu.api"

/* Opens conf->db once per API worker (conf->api_workers threads, at least 1), creates
 * the shared auth state from conf's options and starts the threads.  NULL with a
 * message in err.  Main thread. */
struct kd_api *kd_api_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* Tells the API where to post results (srv's done_lock and context).  Main thread,
 * before kd_server_run. */
void kd_api_attach(struct kd_api *a, struct kd_server *srv);
/* Closes the queue, lets queued requests finish (their results are dropped if the
 * server is quiesced) and joins the threads.  Twice is fine.  Main thread. */
void kd_api_stop(struct kd_api *a);
void kd_api_destroy(struct kd_api *a);

/* Fills srv->m_api (the /api/ mount) and the protocol entry *proto, and links the
 * mount into srv's chain.  Called by server.c's setup_mounts. */
void kd_api_setup(struct kd_server *srv, struct lws_protocols *proto);

/* Queues GET /api/v1/me with this cookie for /ops connection conn_id; the answer goes
 * to kd_ops_authed.  0, or -1 (queue full, out of memory).  Service thread. */
int kd_api_ops_auth(struct kd_api *a, uint64_t conn_id, const char *cookie, const char *host,
		    const char *ip);
/* Queues a request made for an operator (their cookie and CSRF token) — the hand-off
 * queue's take of session sid; its status goes to kd_ops_take_done.  0 or -1. */
int kd_api_internal(struct kd_api *a, int64_t sid, const char *method, const char *path,
		    const char *cookie, const char *csrf, const char *host, const char *ip);
/* Queues GET /api/v1/conversations/{sid}/summary with a signed-in operator's cookie;
 * the card goes to kd_ops_summary_done.  0 or -1. */
int kd_api_summary(struct kd_api *a, int64_t sid, const char *cookie, const char *host);
/* Posts an operator-channel event (JSON text, copied) to the service thread, which
 * hands it to kd_ops_event.  Any thread. */
void kd_api_post_event(struct kd_api *a, const char *event_json);
/* Gives every API worker kefud's background training (daemon/training.c) before the
 * server runs. */
struct api_training;
void kd_api_set_training(struct kd_api *a, const struct api_training *t);

/* The "kefu.api" protocol callback.  Service thread. */
int kd_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len);

#endif
