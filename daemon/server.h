/* daemon/server.h — kefud's one libwebsockets context: the chat WebSocket at /ws, the
 * static web pages and the dynamic HTTP routes, all on one port.
 *
 * THREADS.  The lws service thread (the thread that calls kd_server_run, the main
 * thread) owns the context, every struct lws, every pss, the registry and the
 * metrics.  Other threads touch the server only through kd_server_post (workers and
 * the store writer hand back results) and kd_server_request_stop (the signal thread);
 * both take done_lock and wake the loop with lws_cancel_service while the context is
 * live.  See docs/daemon.md.
 */
#ifndef KEFU_DAEMON_SERVER_H
#define KEFU_DAEMON_SERVER_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "conf.h"
#include "metrics.h"
#include "pool.h"
#include "session.h"

struct kd_api;
struct kd_ops;
struct kd_bots;
struct store_writer;

#define KD_MAX_ORIGINS 32

struct kd_server {
	const struct kefu_conf *conf;
	struct kd_bots *bots;
	struct store_writer *writer;
	struct kd_pool *pool;                /* set before kd_server_run */

	struct lws_context *ctx;
	struct lws_vhost *vh;
	int port;
	const char *event_loop;              /* "libev" or "poll" */
	struct lws_http_mount m_healthz, m_metrics, m_files;
	struct lws_protocols protocols[5];
	/* ops hooks: the /api/ mount and its state (http_api.c), the operator channel /ops
	 * and the taken-over sessions (ops.c) */
	struct lws_http_mount m_api;
	struct kd_api *api;
	struct kd_ops *ops;
	struct lws_protocol_vhost_options pvo, pvo_default;
	char iface[256];

	/* allowed Origins besides the server's own: parsed from conf->origins */
	char *origins_buf;
	const char *origins[KD_MAX_ORIGINS];
	int n_origins, any_origin;

	/* service thread only */
	struct kd_registry reg;
	struct kd_metrics met;
	unsigned backlog_max;                /* jobs waiting per connection */
	int destroying;

	/* results handed back by other threads */
	pthread_mutex_t done_lock;
	struct kd_result *done, *done_tail;  /* {done_lock} */
	int live;                            /* {done_lock} lws calls allowed from others */
	atomic_int stop;
};

/* Creates the context, listens on conf->listen and writes conf->port_file.  Returns
 * NULL with a message in err.  Main thread, before kd_server_run. */
struct kd_server *kd_server_create(const struct kefu_conf *conf, struct kd_bots *bots,
				   struct store_writer *writer, char *err, size_t errlen);
/* Runs the service loop until kd_server_request_stop.  Service thread.  Returns 0. */
int kd_server_run(struct kd_server *srv, struct kd_pool *pool);
/* Any thread (async-signal code excluded): asks the loop to finish. */
void kd_server_request_stop(struct kd_server *srv);
/* After kd_server_run: from now on other threads' posts are only queued (no lws call),
 * so the pool and the writer can be stopped before the context is destroyed. */
void kd_server_quiesce(struct kd_server *srv);
/* Destroys the context and frees everything (results never delivered included). */
void kd_server_destroy(struct kd_server *srv);

/* kd_post_fn for the pool: queues r for the service thread and wakes it.  Any thread. */
void kd_server_post(void *srv, struct kd_result *r);

/* Samples the figures owned by other threads for /metrics and /healthz.  model gets
 * the bot description.  Service thread. */
void kd_server_gauges(struct kd_server *srv, struct kd_gauges *g, char *model,
		      size_t modellen);

/* The HTTP protocol's callback (routes.c): /healthz and /metrics. */
int kd_routes_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len);
size_t kd_routes_pss_size(void);

#endif
