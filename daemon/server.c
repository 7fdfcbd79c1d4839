/* daemon/server.c — the lws context of kefud: one vhost on one port serving the chat
 * WebSocket (ws.c), the dynamic HTTP routes (routes.c), the REST API (http_api.c), the
 * operators' /ops (ops.c) and the static pages; set-up (each protocol gets its needs as
 * a struct of data and callbacks), the service loop and tear-down.
 *
 * THREADS.  kd_server_create and kd_server_destroy run on the main thread, the rest on
 * the lws service thread, except kd_server_request_stop (signal thread), which only
 * wakes the loop.  Workers and the store writer hand results to ws.c's kd_ws_post
 * directly (kefud.c gives the pool &srv->ws), not through this file.
 */
#include "server.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <ifaddrs.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bots.h"
#include "clock.h"
#include "http_api.h"
#include "ops.h"
#include "log.h"
#include "routes.h"
#include "store.h"
#include "ws.h"

#define KD_BACKLOG_MAX 256
#define KD_MAX_URI 2048        /* longer request targets get 414 */
#define KD_MAX_HEADERS 8192    /* more header bytes get 431 */
#define KD_HEADER_SPACE 16384  /* lws's header buffer: past it lws drops the connection */

/* ---- results handed back by other threads ------------------------------------------ */

void kd_server_wake(struct kd_server *srv)
{
	kd_wake_lock(&srv->wake);
	kd_wake_unlock_and_wake(&srv->wake);
}

void kd_server_request_stop(struct kd_server *srv)
{
	kd_ws_request_stop(&srv->ws);
}


/* lws's event library callbacks carry no user pointer: one server per process. */
static struct kd_server *signal_srv;

/* libev's SIGINT watcher (lws installs it in the service thread) calls this there. */
static void on_signal(void *handle, int signum)
{
	(void)handle;
	LOG_INFO("signal %d", signum);
	if (signal_srv)
		kd_server_request_stop(signal_srv);
}

/* ---- limits and readiness -------------------------------------------------------------- */

int kd_server_own_origin(const struct kd_server *srv, const char *origin)
{
	const char *hp = !strncasecmp(origin, "http://", 7) ? origin + 7
			 : !strncasecmp(origin, "https://", 8) ? origin + 8 : NULL;
	char want[320];

	if (!hp)
		return 0;
	for (int i = 0; i < srv->n_own; i++) {
		snprintf(want, sizeof want, "%s:%d", srv->own_host[i], srv->port);
		if (!strcasecmp(hp, want))
			return 1;
		if (srv->port == 80 && !strcasecmp(hp, srv->own_host[i]))
			return 1;
	}
	return 0;
}

static void add_own(struct kd_server *srv, const char *host)
{
	if (srv->n_own < KD_MAX_OWN)
		snprintf(srv->own_host[srv->n_own++], sizeof srv->own_host[0],
			 strchr(host, ':') ? "[%s]" : "%s", host);
}

/* The hosts an own origin may name: the listen host as configured and its numeric
 * address; when kefud listens on loopback, the loopback names; when it listens on every
 * address, those and the numeric address of every interface (an IP literal cannot be
 * rebound by DNS). */
static void own_hosts(struct kd_server *srv, const char *host)
{
	int any = !host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0") ||
		  !strcmp(host, "::");
	int loop = any || !strcmp(srv->iface, "127.0.0.1") || !strcmp(srv->iface, "::1") ||
		   !strcmp(host, "localhost");
	struct ifaddrs *ifs = NULL;
	char addr[INET6_ADDRSTRLEN];

	srv->n_own = 0;
	if (loop) {
		add_own(srv, "127.0.0.1");
		add_own(srv, "localhost");
		add_own(srv, "::1");
	}
	if (!any) {
		add_own(srv, host);
		if (strcmp(host, srv->iface))
			add_own(srv, srv->iface);
		return;
	}
	if (getifaddrs(&ifs))
		return;
	for (struct ifaddrs *a = ifs; a; a = a->ifa_next) {
		if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET &&
				     a->ifa_addr->sa_family != AF_INET6))
			continue;
		if (getnameinfo(a->ifa_addr, a->ifa_addr->sa_family == AF_INET
					     ? sizeof(struct sockaddr_in)
					     : sizeof(struct sockaddr_in6),
				addr, sizeof addr, NULL, 0, NI_NUMERICHOST) == 0 &&
		    !strchr(addr, '%'))          /* link-local with a zone: not in URLs */
			add_own(srv, addr);
	}
	freeifaddrs(ifs);
}

/* kd_ws.own_origin */
static int server_own_origin(void *arg, const char *origin)
{
	return kd_server_own_origin(arg, origin);
}

int kd_server_disk_ok(struct kd_server *srv)
{
	return kd_disk_ok(&srv->disk);
}

/* kd_routes.ready: can a new chat be served now?  The disk is above its floor, the
 * text queue has room, the store writer's last commit did not fail for the storage
 * (store_writer_failing: ready again once one commits), and a write transaction opens
 * on the store (read-only file, lock or corruption fail here).  The store probe runs
 * at most once a second. */
static int server_ready(void *arg, char *why, size_t whylen)
{
	struct kd_server *srv = arg;
	uint64_t now = cm_now_us();
	char wbuf[200];

	if (!kd_server_disk_ok(srv)) {
		snprintf(why, whylen, "disk: less than min_free_disk (%d MiB) free",
			 srv->conf->min_free_disk);
		return 1;
	}
	if (srv->pool && kd_pool_depth_fast(srv->pool) >= kd_pool_capacity(srv->pool)) {
		snprintf(why, whylen, "queue: the job queue is full");
		return 1;
	}
	if (kd_mem_used() >= kd_mem_limit()) {
		snprintf(why, whylen, "memory: memory_budget_mb is used up");
		return 1;
	}
	if (srv->writer && store_writer_failing(srv->writer, wbuf, sizeof wbuf)) {
		snprintf(why, whylen, "store: the session log's last commit failed: %s", wbuf);
		return 1;
	}
	if (!srv->ready_checked_us || now - srv->ready_checked_us >= 1000000) {
		char err[140];
		srv->ready_checked_us = now;
		srv->ready_rc = !srv->probe ? -1 : store_probe_write(srv->probe, err, sizeof err);
		if (srv->ready_rc)
			snprintf(srv->ready_why, sizeof srv->ready_why, "store: %s",
				 srv->probe ? err : "no connection");
	}
	if (srv->ready_rc) {
		snprintf(why, whylen, "%s", srv->ready_why);
		return 1;
	}
	return 0;
}

/* Hands each protocol what it needs of the others (one way: they never call here). */
static void wire(struct kd_server *srv)
{
	struct kd_ws *ws = &srv->ws;

	ws->conf = srv->conf;
	ws->met = &srv->met;
	ws->reg = &srv->reg;
	ws->q_session = &srv->q_session;
	ws->q_ip = &srv->q_ip;
	ws->routes = &srv->routes;
	ws->origins = srv->origins;
	ws->n_origins = srv->n_origins;
	ws->any_origin = srv->any_origin;
	ws->disk = &srv->disk;
	ws->edge = &srv->edge;
	ws->own_origin = server_own_origin;
	ws->arg = srv;
	ws->wake = &srv->wake;
	if (srv->ops) {
		kd_ops_ws_hooks(srv->ops, &ws->hooks);
		kd_ops_attach(srv->ops, &srv->reg, srv->writer, srv->api, &srv->wake, &srv->edge);
	}
	if (srv->api) {
		struct kd_api_sink sink = { 0 };
		if (srv->ops)
			kd_ops_api_sink(srv->ops, &sink);
		kd_api_attach(srv->api, &srv->wake, &sink, &srv->edge);
	}
}

/* ---- set-up and tear-down -------------------------------------------------------------- */

/* lws's "security best practices" headers, except that the pages may open WebSockets
 * to their own origin only (connect-src 'self'; CSP 3 lets 'self' match ws:/wss: of the
 * same host), not to any host. */
static const struct lws_protocol_vhost_options security_headers[] = {
	{ &security_headers[1], NULL, "content-security-policy:",
	  "default-src 'none'; img-src 'self' data: ; script-src 'self'; font-src 'self'; "
	  "style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
	  "form-action 'self';" },
	{ &security_headers[2], NULL, "x-content-type-options:", "nosniff" },
	{ &security_headers[3], NULL, "x-xss-protection:", "1; mode=block" },
	{ &security_headers[4], NULL, "x-frame-options:", "deny" },
	{ NULL, NULL, "referrer-policy:", "no-referrer" },
};

static int parse_origins(struct kd_server *srv, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	srv->origins_buf = strdup(srv->conf->origins);
	if (!srv->origins_buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(srv->origins_buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (!*tok)
			continue;
		if (!strcmp(tok, "*")) {
			srv->any_origin = 1;
			continue;
		}
		if (srv->n_origins == KD_MAX_ORIGINS) {
			snprintf(err, errlen, "origins: more than %d entries", KD_MAX_ORIGINS);
			return -1;
		}
		srv->origins[srv->n_origins++] = tok;
	}
	return 0;
}

/* Resolves the listen host into a numeric address for lws's iface ("" = any).
 * Sets *v4 when it is an IPv4 address. */
static int resolve_iface(struct kd_server *srv, const char *host, int *v4, char *err,
			 size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc;

	*v4 = 0;
	srv->iface[0] = '\0';
	if (!host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0") || !strcmp(host, "::"))
		return 0;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "listen: cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, srv->iface, sizeof srv->iface, NULL, 0,
			 NI_NUMERICHOST);
	*v4 = res->ai_family == AF_INET;
	freeaddrinfo(res);
	if (rc) {
		snprintf(err, errlen, "listen: cannot use '%s'", host);
		return -1;
	}
	return 0;
}

static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
	char tmp[CONF_STR_MAX + 16];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
		snprintf(err, errlen, "port_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "port_file %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void lws_log_emit(int level, const char *line)
{
	int cl = level & LLL_ERR ? CM_LOG_ERR : level & LLL_WARN ? CM_LOG_WARN : CM_LOG_DEBUG;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	cm_log_write(cl, "lws", "%.*s", (int)n, line);
}

/* 1 if lws can load its libev event-loop plugin (package libwebsockets-evlib-ev). */
static int have_libev_plugin(void)
{
	void *h = dlopen("libwebsockets-evlib_ev.so", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return 0;
	dlclose(h);
	return 1;
}

/* kd_routes.metrics_more: the hand-off queue's families (ops.c). */
static char *server_metrics_more(void *arg, char *text, size_t *len)
{
	struct kd_server *srv = arg;

	return srv->ops ? kd_ops_metrics_append(srv->ops, text, len) : text;
}

/* kd_routes.gauges: the figures of other threads for /metrics and /healthz. */
static void server_gauges(void *arg, struct kd_gauges *g, char *model, size_t modellen)
{
	struct kd_server *srv = arg;
	struct store_writer_stats ws;

	memset(g, 0, sizeof *g);
	if (srv->pool) {
		g->queue_depth = kd_pool_depth(srv->pool);
		g->queue_cap = kd_pool_capacity(srv->pool);
		g->workers = kd_pool_workers(srv->pool);
		g->media_shed = kd_pool_shed(srv->pool);
	}
	store_writer_get_stats(srv->writer, &ws);
	g->turns = ws.turns;
	g->batches = ws.batches;
	g->turns_failed = ws.failed;
	g->index_passes = ws.index_passes;
	g->index_cpu_ns = ws.index_cpu_ns;
	g->index_max_us = ws.index_max_us;
	g->ckpt_own = ws.ckpt_own;
	g->ckpt_own_max_us = ws.ckpt_own_max_us;
	g->ckpt_hard = ws.ckpt_hard;
	g->ckpt_stop_us = ws.ckpt_stop_us;
	g->wal_restarts = ws.wal_restarts;
	g->writer_queued = ws.queued;
	kd_bots_info(srv->bots, model, modellen, &g->answers, &g->reloads);
	g->model = model;
	g->event_loop = srv->event_loop;
	g->mem_used = kd_mem_used();
	g->mem_budget = kd_mem_limit();
}

static void setup_mounts(struct kd_server *srv)
{
	struct lws_http_mount *m;
	int n;

	m = &srv->m_files;
	m->mountpoint = "/";
	m->mountpoint_len = 1;
	m->origin = srv->conf->web_root;
	m->def = "index.html";
	m->origin_protocol = LWSMPRO_FILE;
	m->protocol = "http";          /* its ADD_HEADERS: CORS on scripts (routes.c) */

	m = &srv->m_metrics;
	m->mount_next = &srv->m_files;
	m->mountpoint = "/metrics";
	m->mountpoint_len = 8;
	m->protocol = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;

	m = &srv->m_readyz;
	m->mount_next = &srv->m_metrics;
	m->mountpoint = "/readyz";
	m->mountpoint_len = 7;
	m->protocol = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;

	m = &srv->m_healthz;
	m->mount_next = &srv->m_readyz;
	m->mountpoint = "/healthz";
	m->mountpoint_len = 8;
	m->protocol = "http";
	m->origin_protocol = LWSMPRO_CALLBACK;

	srv->protocols[0] = (struct lws_protocols){
		.name = "http", .callback = kd_routes_callback,
		.per_session_data_size = kd_routes_pss_size(), .user = &srv->routes,
	};
	srv->protocols[1] = (struct lws_protocols){
		.name = KD_WS_PROTOCOL, .callback = kd_ws_callback,
		.per_session_data_size = sizeof(struct kd_pss), .rx_buffer_size = 8192,
		.user = &srv->ws,
	};
	n = 2;
	if (srv->api) {                          /* /api/ (http_api.c) */
		kd_api_setup(srv->api, &srv->m_api, &srv->protocols[n++]);
		srv->m_api.mount_next = srv->m_healthz.mount_next;
		srv->m_healthz.mount_next = &srv->m_api;
	}
	if (srv->ops)                            /* /ops (ops.c) */
		kd_ops_protocol(srv->ops, &srv->protocols[n++]);
	srv->n_protocols = n;
	/* then the certificate reload when TLS is on (kd_tls_setup); the rest stays
	 * zeroed: the terminator */

	/* Clients that ask for no subprotocol get kefu.v1 too. */
	srv->pvo_default.name = "default";
	srv->pvo_default.value = "1";
	srv->pvo.name = KD_WS_PROTOCOL;
	srv->pvo.options = &srv->pvo_default;
}

struct kd_server *kd_server_create(const struct kefu_conf *conf, struct kd_bots *bots,
				   struct store_writer *writer, struct kd_api *api,
				   struct kd_ops *ops, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	struct kd_server *srv = calloc(1, sizeof *srv);
	char host[CONF_STR_MAX], index[CONF_STR_MAX + 16];
	int port, v4, libev;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->conf = conf;
	srv->bots = bots;
	srv->writer = writer;
	srv->api = api;
	srv->ops = ops;
	kd_wake_init(&srv->wake);
	kd_registry_init(&srv->reg);
	kd_quota_init(&srv->q_session);
	kd_quota_init(&srv->q_ip);
	kd_disk_init(&srv->disk, conf->db, (uint64_t)conf->min_free_disk * 1024 * 1024);
	kd_mem_init((size_t)conf->memory_budget_mb * 1024 * 1024);
	kd_metrics_init(&srv->met);
	srv->ws.backlog_max = conf->queue_size < KD_BACKLOG_MAX ? (unsigned)conf->queue_size
							     : KD_BACKLOG_MAX;
	if (parse_origins(srv, err, errlen) || kd_edge_init(&srv->edge, conf, err, errlen))
		goto fail;
	if (conf_listen_split(conf, host, sizeof host, &port)) {
		snprintf(err, errlen, "listen: '%s' is not host:port", conf->listen);
		goto fail;
	}
	if (resolve_iface(srv, host, &v4, err, errlen))
		goto fail;
	snprintf(index, sizeof index, "%s/index.html", conf->web_root);
	if (access(index, R_OK))
		LOG_WARN("web_root %s has no index.html: / will answer 404", conf->web_root);
	setup_mounts(srv);
	srv->routes.met = &srv->met;
	srv->routes.gauges = server_gauges;
	srv->routes.ready = server_ready;
	srv->routes.metrics_more = server_metrics_more;
	srv->routes.arg = srv;
	srv->routes.max_uri = KD_MAX_URI;
	srv->routes.max_headers = KD_MAX_HEADERS;
	srv->routes.edge = &srv->edge;
	wire(srv);
	own_hosts(srv, host);
	srv->probe = store_open(conf->db, err, errlen);
	if (!srv->probe)
		goto fail;

	lws_set_log_level(conf->log_level >= CM_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE
							  : LLL_ERR | LLL_WARN,
			  lws_log_emit);

	libev = have_libev_plugin();
	if (!libev)
		LOG_WARN("libev plugin for lws not found (install libwebsockets-evlib-ev): "
			 "falling back to poll(), which costs O(connections) per loop turn");
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = srv->iface[0] ? srv->iface : NULL;
	info.protocols = srv->protocols;
	info.pvo = &srv->pvo;
	info.mounts = &srv->m_healthz;
	info.vhost_name = "default";
	info.user = srv;
	info.signal_cb = on_signal;
	info.pt_serv_buf_size = (unsigned)conf->serv_buf;
	/* headers up to KD_MAX_HEADERS get 414/431 from routes.c; lws drops bigger ones */
	info.max_http_header_data = KD_HEADER_SPACE;
	info.headers = &security_headers[0];
	info.options = 0;
	if (v4)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (libev)
		info.options |= LWS_SERVER_OPTION_LIBEV;
	srv->event_loop = libev ? "libev" : "poll";
	if (kd_tls_setup(&srv->tls, conf, &info, &srv->protocols[srv->n_protocols], err, errlen))
		goto fail;
	signal_srv = srv;

	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
		snprintf(err, errlen, "cannot serve on %s (address in use or not available?)",
			 conf->listen);
		goto fail;
	}
	kd_tls_started(&srv->tls, srv->ctx);
	srv->vh = lws_get_vhost_by_name(srv->ctx, "default");
	srv->port = srv->vh ? lws_get_vhost_listen_port(srv->vh) : -1;
	if (srv->port <= 0) {
		snprintf(err, errlen, "cannot listen on %s", conf->listen);
		goto fail;
	}
	if (conf->port_file[0] && write_port_file(conf->port_file, srv->port, err, errlen))
		goto fail;
	kd_wake_set_live(&srv->wake, srv->ctx, 1);
	if (kd_wake_ticker_start(&srv->wake))
		LOG_WARN("no ticker thread: idle_timeout, typing lapses and operator session "
			 "re-checks wait for other traffic");
	LOG_INFO("listening on %s port %d (%s event loop); chat at %s://%s:%d/",
		 srv->iface[0] ? srv->iface : "*", srv->port, srv->event_loop,
		 srv->tls.on ? "https" : "http",
		 srv->iface[0] ? srv->iface : "127.0.0.1", srv->port);
	return srv;
fail:
	kd_server_destroy(srv);
	return NULL;
}

int kd_server_run(struct kd_server *srv, struct kd_pool *pool)
{
	srv->pool = pool;
	srv->ws.pool = pool;
	while (!srv->ws.destroying) {
		if (lws_service(srv->ctx, 0) != 0)
			break;
	}
	return 0;
}

void kd_server_quiesce(struct kd_server *srv)
{
	kd_wake_ticker_stop(&srv->wake);
	kd_wake_set_live(&srv->wake, NULL, 0);
}

void kd_server_destroy(struct kd_server *srv)
{
	if (!srv)
		return;
	kd_server_quiesce(srv);
	if (srv->ctx)
		lws_context_destroy(srv->ctx);
	if (signal_srv == srv)
		signal_srv = NULL;
	kd_ws_free_pending(&srv->ws);
	kd_registry_free(&srv->reg);
	kd_quota_free(&srv->q_session);
	kd_quota_free(&srv->q_ip);
	kd_edge_free(&srv->edge);
	if (srv->probe)
		store_close(srv->probe);
	free(srv->origins_buf);
	kd_wake_destroy(&srv->wake);
	free(srv);
}
