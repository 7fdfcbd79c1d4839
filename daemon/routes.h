/* daemon/routes.h — kefud's dynamic HTTP routes (/healthz, /readyz, /metrics).
 *
 * The routes know nothing of the server: whoever sets up the context fills a struct
 * kd_routes (the metrics to render and two callbacks that sample the figures owned by
 * other threads) and hangs it on the "http" protocol's user pointer.  Everything here
 * runs on the lws service thread.
 */
#ifndef KEFU_DAEMON_ROUTES_H
#define KEFU_DAEMON_ROUTES_H

#include <libwebsockets.h>
#include <stddef.h>

#include "metrics.h"

struct kd_edge;

struct kd_routes {
	const struct kd_metrics *met;        /* service-thread counters */
	/* Samples the gauges; model gets the bot description.  Service thread. */
	void (*gauges)(void *arg, struct kd_gauges *g, char *model, size_t modellen);
	/* 0 when a new chat could be served now, else 1 with the reason in why. */
	int (*ready)(void *arg, char *why, size_t whylen);
	/* Optional: appends metric families owned elsewhere to the rendered text (which it
	 * may realloc; *len follows); returns the text (NULL: out of memory).  Service thread. */
	char *(*metrics_more)(void *arg, char *text, size_t *len);
	void *arg;
	int max_uri;                         /* longer request targets: 414 */
	int max_headers;                     /* more header bytes: 431 */
	struct kd_edge *edge;                /* per-address request rate (NULL: none) */
};

/* The "http" protocol's callback; its lws_protocols.user must be a struct kd_routes. */
int kd_routes_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len);
size_t kd_routes_pss_size(void);
/* LWS_CALLBACK_FILTER_HTTP_CONNECTION of whichever protocol lws binds new HTTP
 * connections to (the vhost's default, "kefu.v1"), every request (pages, API, uploads):
 * answers 414 or 431 when the request passes rt's size limits, 429 too_many_requests
 * (JSON, Retry-After) when its client address used requests_per_ip_minute (edge.c),
 * and returns -1 (close once written); else 0. */
int kd_routes_filter(struct lws *wsi, const struct kd_routes *rt);
/* LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED of the same protocol, every accepted
 * connection: counts it against its peer for max_http_conns_per_ip (edge.c
 * kd_edge_conn_accept; the record hangs on wsi as its opaque user data). */
void kd_routes_accepted(struct lws *wsi, const struct kd_routes *rt);

#endif
