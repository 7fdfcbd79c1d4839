/* daemon/routes.c — the dynamic HTTP routes: GET (or HEAD) /healthz (liveness, JSON),
 * /readyz (readiness: 200 or 503 with the reason, JSON) and /metrics (Prometheus text
 * 0.0.4); and, for every HTTP request, the size limits (414 over-long target, 431 over-long
 * headers), the per-address open connections (a connection straight from its client is
 * counted when accepted — FILTER_NETWORK_CONNECTION hangs up on one beyond the limit,
 * kd_routes_accepted counts it — and a trusted proxy's per request, 429
 * too_many_connections; the connection's record, edge.c's kd_edge_conn, hangs on the wsi
 * as lws's opaque user data and is freed at WSI_DESTROY, which lws sends to this protocol,
 * protocols[0], or when the connection becomes a WebSocket) and request rate (429
 * too_many_requests, edge.c).  lws binds
 * them to the "http" protocol through LWSMPRO_CALLBACK mounts; static files under / are
 * served by lws itself from web_root.  Runs on the lws service thread: the body is built in
 * LWS_CALLBACK_HTTP from service-thread counters plus gauges sampled from the other
 * threads, and written in one piece in HTTP_WRITEABLE.  Static .js files also get
 * "Access-Control-Allow-Origin: *" (ADD_HEADERS): the widget's ES modules are fetched in
 * CORS mode by the sites that embed it (docs/widget.md).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "log.h"
#include "routes.h"
#include "clock.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0"
#endif

struct kd_http_pss {
	unsigned char *buf;     /* LWS_PRE + body */
	size_t len;
};

size_t kd_routes_pss_size(void)
{
	return sizeof(struct kd_http_pss);
}

/* Copies body[0..len) behind LWS_PRE bytes of headroom into pss. */
static int keep_body(struct kd_http_pss *pss, const char *body, size_t len)
{
	pss->buf = malloc(LWS_PRE + len);
	if (!pss->buf)
		return -1;
	memcpy(pss->buf + LWS_PRE, body, len);
	pss->len = len;
	return 0;
}

static char *healthz_body(const struct kd_routes *rt, size_t *len)
{
	struct kd_gauges g;
	char model[128];
	json_t *j;
	char *s;

	rt->gauges(rt->arg, &g, model, sizeof model);
	j = json_pack("{s:s, s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:s}", "status", "ok",
		      "answers", (json_int_t)g.answers, "model", model,
		      "reloads", (json_int_t)g.reloads,
		      "version", KEFU_VERSION, "sessions_open",
		      (json_int_t)rt->met->sessions_open, "queue_depth",
		      (json_int_t)g.queue_depth, "workers", (json_int_t)g.workers,
		      "event_loop", g.event_loop);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s)
		*len = strlen(s);
	return s;
}

/* {"status":"ready"} or {"status":"not_ready","reason":...}; *status gets 200 / 503. */
static char *readyz_body(const struct kd_routes *rt, size_t *len, int *status)
{
	char why[200] = "";
	int no = rt->ready(rt->arg, why, sizeof why);
	json_t *j = no ? json_pack("{s:s, s:s}", "status", "not_ready", "reason", why)
		       : json_pack("{s:s}", "status", "ready");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	*status = no ? HTTP_STATUS_SERVICE_UNAVAILABLE : HTTP_STATUS_OK;
	if (s)
		*len = strlen(s);
	return s;
}

/* Header bytes lws parsed for this request (the known header names; what a client
 * can make kefud hold), the request target's length in *uri. */
static int header_bytes(struct lws *wsi, int *uri)
{
	int total = 0;

	*uri = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) +
	       lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) +
	       lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) +
	       lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	for (int t = 0; t < WSI_TOKEN_COUNT; t++)
		total += lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
	return total;
}

/* Answers 429 with {"code":..., "message":..., "retry_after":N} and Retry-After (no
 * retry_after when 0: a connection refused waits for one of its own to close), as the
 * REST API words its errors.  -1: close once written. */
static int refuse(struct lws *wsi, const char *code, int retry_after)
{
	uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof buf - 1;
	char body[256], ra[16];
	int blen = retry_after
		? snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"too many "
			   "requests from your address; retry later\",\"retry_after\":%d}",
			   code, retry_after)
		: snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"too many open "
			   "connections from your address; close one and retry\"}", code);

	snprintf(ra, sizeof ra, "%d", retry_after);
	if (lws_add_http_common_headers(wsi, 429, "application/json", (lws_filepos_t)blen,
					&p, end) ||
	    (retry_after &&
	     lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
					 (const unsigned char *)ra, (int)strlen(ra), &p, end)) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
					(const unsigned char *)"nosniff", 7, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || end - p < blen)
		return -1;
	memcpy(p, body, (size_t)blen);
	p += blen;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
	return -1;
}

int kd_routes_filter(struct lws *wsi, const struct kd_routes *rt)
{
	int uri, hdr = header_bytes(wsi, &uri), retry = 0;
	unsigned status = uri > rt->max_uri ? HTTP_STATUS_REQ_URI_TOO_LONG
			  : hdr > rt->max_headers ? 431 : 0;

	if (status) {
		LOG_WARN("HTTP request refused with %u (target %d bytes, headers %d bytes)",
			 status, uri, hdr);
		lws_return_http_status(wsi, status, NULL);
		return -1;
	}
	if (rt->edge) {
		char ip[KD_IP_LEN];
		struct kd_edge_conn *conn = lws_get_opaque_user_data(wsi);
		uint64_t now = cm_now_us();

		kd_edge_client(rt->edge, wsi, ip, sizeof ip, NULL);
		enum kd_edge_verdict v = kd_edge_conn_request(rt->edge, &conn, ip, now);
		lws_set_opaque_user_data(wsi, conn);
		if (v == KD_EDGE_OK)
			v = kd_edge_request(rt->edge, ip, now, &retry);
		if (v != KD_EDGE_OK)
			return refuse(wsi, kd_edge_code(v), retry);
	}
	return 0;
}

void kd_routes_accepted(struct lws *wsi, const struct kd_routes *rt)
{
	struct kd_edge_conn *conn;
	char peer[KD_IP_LEN] = "";

	if (!rt->edge)
		return;
	lws_get_peer_simple(wsi, peer, sizeof peer);
	kd_edge_conn_accept(rt->edge, &conn, peer, cm_now_us());
	lws_set_opaque_user_data(wsi, conn);
}

static char *metrics_body(const struct kd_routes *rt, size_t *len)
{
	struct kd_gauges g;
	char model[128];

	char *text;

	rt->gauges(rt->arg, &g, model, sizeof model);
	text = kd_metrics_render(rt->met, &g, len);
	if (text && rt->edge)
		text = kd_edge_metrics_append(rt->edge, text, len);
	return text && rt->metrics_more ? rt->metrics_more(rt->arg, text, len) : text;
}

/* Writes the headers; the body follows in HTTP_WRITEABLE unless head_only. */
static int respond(struct lws *wsi, struct kd_http_pss *pss, unsigned status,
		   const char *type, int head_only)
{
	uint8_t hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
		*end = hdr + sizeof hdr - 1;

	if (lws_add_http_common_headers(wsi, status, type, pss->len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (head_only) {
		free(pss->buf);
		pss->buf = NULL;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int on_http(struct lws *wsi, struct kd_http_pss *pss)
{
	const struct kd_routes *rt = lws_get_protocol(wsi)->user;
	char path[64];
	const char *type;
	char *body = NULL;
	size_t len = 0;
	int head = 0, status = HTTP_STATUS_OK;

	if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0 &&
	    !(head = lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_HEAD_URI) > 0)) {
		/* neither GET nor HEAD (POST, OPTIONS, ...) */
		if (lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	if (!strcmp(path, "/healthz")) {
		body = healthz_body(rt, &len);
		type = "application/json";
	} else if (!strcmp(path, "/readyz")) {
		body = readyz_body(rt, &len, &status);
		type = "application/json";
	} else if (!strcmp(path, "/metrics")) {
		body = metrics_body(rt, &len);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	if (!body || keep_body(pss, body, len)) {
		free(body);
		LOG_ERR("out of memory for %s", path);
		lws_return_http_status(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, NULL);
		return -1;
	}
	free(body);
	return respond(wsi, pss, (unsigned)status, type, head);
}

/* Lets any origin load the static scripts (public files, no credentials): module
 * scripts from another origin need it. */
static int add_cors(struct lws *wsi, struct lws_process_html_args *a)
{
	static const unsigned char name[] = "access-control-allow-origin:", star[] = "*";
	unsigned char **p = (unsigned char **)&a->p;
	char path[256];
	int n = lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);

	if (n <= 0)
		n = lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_HEAD_URI);
	if (n < 3 || strcmp(path + n - 3, ".js"))
		return 0;
	return lws_add_http_header_by_name(wsi, name, star, 1, p, *p + a->max_len) ? -1 : 0;
}

/* The routes of wsi's vhost (protocols[0]'s user), for the callbacks that come before
 * a protocol is bound to wsi. */
static const struct kd_routes *routes_of(struct lws *wsi)
{
	const struct lws_protocols *p = lws_vhost_name_to_protocol(lws_get_vhost(wsi), "http");

	return p ? p->user : NULL;
}

int kd_routes_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len)
{
	struct kd_http_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return on_http(wsi, pss);

	case LWS_CALLBACK_ADD_HEADERS:
		return add_cors(wsi, in);

	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss || !pss->buf)
			break;
		if (lws_write(wsi, pss->buf + LWS_PRE, pss->len, LWS_WRITE_HTTP_FINAL) !=
		    (int)pss->len) {
			free(pss->buf);
			pss->buf = NULL;
			return -1;
		}
		free(pss->buf);
		pss->buf = NULL;
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {   /* accepted, not a byte read yet */
		const struct kd_routes *rt = routes_of(wsi);   /* wsi: the listening socket */
		char peer[KD_IP_LEN] = "";

		if (!rt || !rt->edge)
			break;
		lws_get_peer_simple_fd((lws_sockfd_type)(intptr_t)in, peer, sizeof peer);
		if (kd_edge_conn_admit(rt->edge, peer, cm_now_us()) == KD_EDGE_OK)
			break;
		LOG_INFO("closed a connection from %s: max_http_conns_per_ip reached", peer);
		return -1;
	}

	case LWS_CALLBACK_WSI_DESTROY:   /* every wsi of the vhost, HTTP or not */
		kd_edge_conn_close(lws_get_opaque_user_data(wsi));
		lws_set_opaque_user_data(wsi, NULL);
		break;

	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss) {
			free(pss->buf);
			pss->buf = NULL;
		}
		break;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
