/* daemon/server.h — kefud's one libwebsockets context: the chat WebSocket at /ws
 * (ws.c), the static web pages and the dynamic HTTP routes (routes.c), the REST API
 * (http_api.c) and the operators' /ops (ops.c), all on one port.
 *
 * server.c is the top of the service side: it sets the context up and hands each
 * protocol what it needs (struct kd_ws, struct kd_routes, the API's wake-up and sink,
 * ops' registry and writer) as plain structs of data and callbacks; none of those files
 * includes server.h or calls into it, so calls go one way (tests/arch/check_cycles.py).
 *
 * THREADS.  The lws service thread (the thread that calls kd_server_run, the main
 * thread) owns the context, every struct lws, every pss, the registry and the
 * metrics.  Other threads touch it only through kd_ws_post on &srv->ws (workers and the
 * store writer hand back results) and kd_server_request_stop (the signal thread); both
 * take the wake lock (wake.h) and wake the loop with lws_cancel_service while the
 * context is live.  See docs/daemon.md.
 */
#ifndef KEFU_DAEMON_SERVER_H
#define KEFU_DAEMON_SERVER_H

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "budget.h"
#include "conf.h"
#include "edge.h"
#include "metrics.h"
#include "pool.h"
#include "routes.h"
#include "session.h"
#include "tls.h"
#include "wake.h"
#include "ws.h"

struct kd_api;
struct kd_ops;
struct kd_bots;
struct store_writer;

#define KD_MAX_ORIGINS 32
#define KD_MAX_OWN 16

struct kd_server {
	const struct kefu_conf *conf;
	struct kd_bots *bots;
	struct store_writer *writer;
	struct kd_pool *pool;                /* set before kd_server_run */

	struct lws_context *ctx;
	struct lws_vhost *vh;
	int port;
	const char *event_loop;              /* "libev" or "poll" */
	struct lws_http_mount m_healthz, m_readyz, m_metrics, m_files;
	struct lws_protocols protocols[6];  /* http, kefu.v1, api, ops, tls reload, end */
	int n_protocols;                     /* filled before the TLS one */
	/* the /api/ mount and its state (http_api.c), the operator channel /ops and the
	 * taken-over sessions (ops.c); both made by the caller, wired here */
	struct lws_http_mount m_api;
	struct kd_api *api;
	struct kd_ops *ops;
	struct lws_protocol_vhost_options pvo, pvo_default;
	struct kd_routes routes;             /* the "http" protocol's user: metrics, gauges */
	struct kd_ws ws;                     /* the "kefu.v1" protocol's user (ws.h) */
	struct kd_wake wake;                 /* done lists' lock, lws_cancel_service */
	char iface[256];
	struct kd_tls tls;                   /* tls_cert/tls_key (tls.c) */
	struct kd_edge edge;                 /* client addresses, per-address limits (edge.c) */

	/* allowed Origins besides the server's own: parsed from conf->origins */
	char *origins_buf;
	const char *origins[KD_MAX_ORIGINS];
	int n_origins, any_origin;

	/* the hosts of the server's own origins (http(s)://host:port), from the listen
	 * address (server.c own_hosts) */
	char own_host[KD_MAX_OWN][INET6_ADDRSTRLEN + 2];
	int n_own;

	/* service thread only */
	struct kd_quota q_session, q_ip;     /* upload bytes per day (budget.h) */
	struct kd_disk disk;                 /* min_free_disk under the database */
	uint64_t ready_checked_us;           /* last store probe (/readyz) */
	int ready_rc;
	char ready_why[160];
	struct store *probe;                 /* the /readyz probe's own connection */
	struct kd_registry reg;
	struct kd_metrics met;
};

/* Creates the context, listens on conf->listen and writes conf->port_file; wires api
 * (/api/, may be NULL) and ops (/ops and take-over, may be NULL) into it.  Returns NULL
 * with a message in err.  Main thread, before kd_server_run. */
struct kd_server *kd_server_create(const struct kefu_conf *conf, struct kd_bots *bots,
				   struct store_writer *writer, struct kd_api *api,
				   struct kd_ops *ops, char *err, size_t errlen);
/* Runs the service loop until kd_server_request_stop.  Service thread.  Returns 0. */
int kd_server_run(struct kd_server *srv, struct kd_pool *pool);
/* Any thread: wakes the loop (EVENT_WAIT_CANCELLED), e.g. for a certificate reload. */
void kd_server_wake(struct kd_server *srv);
/* Any thread (async-signal code excluded): asks the loop to finish. */
void kd_server_request_stop(struct kd_server *srv);
/* After kd_server_run: from now on other threads' posts are only queued (no lws call),
 * so the pool and the writer can be stopped before the context is destroyed. */
void kd_server_quiesce(struct kd_server *srv);
/* Destroys the context and frees everything (results never delivered included). */
void kd_server_destroy(struct kd_server *srv);

/* 1 if origin ("scheme://host[:port]") is the server's own listen address (with its
 * port; localhost and the loopback addresses too when it listens on loopback or on
 * every address).  Service thread. */
int kd_server_own_origin(const struct kd_server *srv, const char *origin);
/* 1 while the free disk under the database is at least min_free_disk (checked at most
 * once a second).  Service thread. */
int kd_server_disk_ok(struct kd_server *srv);



#endif
