/* daemon/http_api.c — /api/v1/ over kefud's HTTP: the "kefu.api" protocol and the API
 * worker threads (http_api.h has the design).
 *
 * THREADS.  kd_api_callback and everything named on_* runs on the lws service thread;
 * it owns every struct kd_api_conn (one per HTTP connection on the /api/ mount, linked
 * in a->conns) and every lws call.  api_main runs on each API worker: it pops a struct
 * kd_api_job, runs api_handle with its own struct api_ctx (its store connection; the
 * struct auth is shared) and appends the job, now holding the response, to a->done
 * under the wake lock (wake.h), then wakes the loop with lws_cancel_service (only
 * while the server is live: after kd_server_quiesce results are only queued, then
 * freed).
 * EVENT_WAIT_CANCELLED swaps the done list out and hands each response to the
 * connection whose id it carries; a connection that closed meanwhile is not found and
 * its response is freed.
 *
 * A sign-in (POST /api/v1/login) is first charged to its client address (edge.c
 * kd_edge_login, login_failures_per_ip): refused there with 429 too_many_attempts before
 * any worker or hash runs; given back (kd_edge_login_ok) when it succeeded.
 * A request's body is read up to API_MAX_BODY; a larger Content-Length is answered
 * 413 body_too_large at once and the connection closed.  Responses are written in
 * pieces of KD_API_CHUNK bytes, one lws_write per HTTP_WRITEABLE.
 */
#include "http_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "queue.h"
#include "store.h"
#include "summary.h"

#define KD_API_QUEUE 256          /* requests waiting for an API worker */
#define KD_API_CHUNK 16384        /* bytes per lws_write */
#define KD_API_HDR 256            /* longest header value kept (cookie, token, ...) */

enum kd_api_job_kind {
	KD_API_REQUEST = 0,               /* an HTTP request on /api/: answer conn_id */
	KD_API_OPS_AUTH,                  /* GET /api/v1/me for /ops connection conn_id */
	KD_API_OPS_PEEK,                  /* the same re-checked: the session's last use
					     is not moved (api_request.peek) */
	KD_API_INTERNAL,                  /* a call made for an operator (the hand-off
					     queue's take): conn_id is the session row */
	KD_API_SUMMARY,                   /* GET .../summary at a hand-off: conn_id is the
					     session row; the card goes to the operators */
	KD_API_EVENT,                     /* no request: event for ops.c (done list only) */
};

struct kd_api_job {
	struct kd_api_job *next;          /* done list link */
	int kind;                         /* enum kd_api_job_kind */
	char *event;                      /* KD_API_EVENT: JSON text (malloc'd) */
	uint64_t conn_id;
	struct api_request req;           /* its strings point into the fields below */
	char method[8], host[KD_API_HDR], origin[KD_API_HDR], sec_fetch_site[32];
	char cookie[1024], authorization[KD_API_HDR], csrf[KD_API_HDR];
	char content_type[KD_API_HDR], client_ip[64];
	char *path, *query, *body;        /* malloc'd */
	size_t body_len, body_cap;        /* body holds body_cap (Content-Length) + 1 */
	int login_charged;                /* a sign-in charged to client_ip (edge.c) */
	struct api_response res;
};

/* One HTTP connection on /api/ (lws's per-session data of "kefu.api"). */
struct kd_api_conn {
	struct kd_api_conn *prev, *next;  /* a->conns, service thread */
	struct lws *wsi;
	uint64_t id;                      /* 0 until the first request */
	struct kd_api_job *job;           /* being filled (body) or back with a response */
	int waiting;                      /* the job is with the workers */
	int ready;                        /* job->res is filled: write the headers next */
	unsigned char *out;               /* LWS_PRE + the response body */
	size_t out_len, out_pos;
	int close_after;                  /* close once written (413 before the body) */
};

struct kd_api {
	const struct kefu_conf *conf;
	struct auth *auth;
	struct kd_wake *wake;             /* the done list's lock, the loop's wake-up */
	struct kd_edge *edge;             /* client addresses behind trusted proxies */
	struct kd_api_sink sink;          /* answers for the operator channel */
	struct cm_queue *jobs;
	int n;
	pthread_t *threads;
	struct api_ctx *ctx;              /* one per thread (its store) */
	struct sum_ctx *summary;          /* shared read-only: GET .../summary */
	int started, stopped;
	struct kd_api_job *done, *done_tail;   /* {wake->lock} */
	struct kd_api_conn *conns;        /* service thread */
	uint64_t next_id;                 /* service thread */
};

static void job_free(struct kd_api_job *j)
{
	if (!j)
		return;
	free(j->path);
	free(j->event);
	free(j->query);
	free(j->body);
	api_response_clear(&j->res);
	free(j);
}

/* ---- the workers ------------------------------------------------------------------ */

static void post_done(struct kd_api *a, struct kd_api_job *j)
{
	j->next = NULL;
	kd_wake_lock(a->wake);
	if (a->done_tail)
		a->done_tail->next = j;
	else
		a->done = j;
	a->done_tail = j;
	kd_wake_unlock_and_wake(a->wake);
}

void kd_api_post_event(struct kd_api *a, const char *event_json)
{
	struct kd_api_job *j = calloc(1, sizeof *j);

	if (!j || !(j->event = strdup(event_json))) {
		free(j);
		LOG_ERR("out of memory: an operator event is lost");
		return;
	}
	j->kind = KD_API_EVENT;
	post_done(a, j);
}

/* api_ctx.notify: a REST handler's take-over event goes to the service thread. */
static void notify_event(void *arg, const char *event_json)
{
	kd_api_post_event(arg, event_json);
}

struct api_thread_arg {
	struct kd_api *a;
	int idx;
};

static void *api_main(void *arg)
{
	struct kd_api *a = ((struct api_thread_arg *)arg)->a;
	int idx = ((struct api_thread_arg *)arg)->idx;
	struct kd_api_job *j;

	pthread_setname_np(pthread_self(), "kd-api");
	free(arg);
	while ((j = cm_queue_pop(a->jobs))) {
		api_handle(&a->ctx[idx], &j->req, &j->res);
		post_done(a, j);
	}
	return NULL;
}

struct kd_api *kd_api_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_api *a = calloc(1, sizeof *a);
	struct auth_config ac;
	char why[512];

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->conf = conf;
	/* the hashing slots, plus one thread so other requests pass a login storm */
	a->n = conf->hash_concurrency + 1;
	api_auth_config(conf, &ac);
	a->auth = auth_create(&ac, why, sizeof why);
	a->jobs = cm_queue_create(KD_API_QUEUE);
	a->threads = calloc((size_t)a->n, sizeof *a->threads);
	a->ctx = calloc((size_t)a->n, sizeof *a->ctx);
	if (!a->auth || !a->jobs || !a->threads || !a->ctx) {
		snprintf(err, errlen, "API: %s", a->auth ? "out of memory" : why);
		goto fail;
	}
	{
		/* the summariser, with GloVe when the models folder has it */
		char path[sizeof conf->models + 32];
		snprintf(path, sizeof path, "%s/glove-100d.kfv", conf->models);
		if (!(a->summary = sum_ctx_create(path, why, sizeof why))) {
			LOG_WARN("summaries without word vectors: %s", why);
			a->summary = sum_ctx_create(NULL, why, sizeof why);
		}
		if (!a->summary)
			LOG_WARN("no summaries: %s", why);
	}
	for (int i = 0; i < a->n; i++) {
		a->ctx[i].summary = a->summary;
		a->ctx[i].auth = a->auth;
		a->ctx[i].low_confidence = conf->threshold;
		a->ctx[i].picture_max_bytes = (size_t)conf->max_upload;
		a->ctx[i].picture_max_pixels = (uint64_t)conf->max_image_pixels;
		a->ctx[i].notify = notify_event;
		a->ctx[i].notify_arg = a;
		a->ctx[i].st = store_open(conf->db, why, sizeof why);
		if (!a->ctx[i].st) {
			snprintf(err, errlen, "API: cannot open %s: %s", conf->db, why);
			goto fail;
		}
	}
	for (int i = 0; i < a->n; i++) {
		struct api_thread_arg *ta = malloc(sizeof *ta);
		if (ta) {
			ta->a = a;
			ta->idx = i;
		}
		if (!ta || pthread_create(&a->threads[i], NULL, api_main, ta)) {
			free(ta);
			snprintf(err, errlen, "API: cannot start a worker thread");
			goto fail;
		}
		a->started++;
	}
	return a;
fail:
	kd_api_destroy(a);
	return NULL;
}

void kd_api_set_training(struct kd_api *a, const struct api_training *t)
{
	for (int i = 0; i < a->n; i++)
		a->ctx[i].training = t;
}

void kd_api_attach(struct kd_api *a, struct kd_wake *wake, const struct kd_api_sink *sink,
		   struct kd_edge *edge)
{
	a->edge = edge;
	a->wake = wake;
	a->sink = *sink;
}

void kd_api_stop(struct kd_api *a)
{
	if (!a || a->stopped)
		return;
	a->stopped = 1;
	cm_queue_close(a->jobs);
	for (int i = 0; i < a->started; i++)
		pthread_join(a->threads[i], NULL);
}

void kd_api_destroy(struct kd_api *a)
{
	struct kd_api_job *j, *next;

	if (!a)
		return;
	kd_api_stop(a);
	if (a->jobs) {
		while ((j = cm_queue_pop_many(a->jobs, (void **)&j, 1, 0) ? j : NULL))
			job_free(j);
		cm_queue_destroy(a->jobs);
	}
	for (j = a->done; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (int i = 0; a->ctx && i < a->n; i++)
		store_close(a->ctx[i].st);
	free(a->ctx);
	free(a->threads);
	sum_ctx_destroy(a->summary);
	auth_destroy(a->auth);
	free(a);
}

/* ---- collecting a request (service thread) ------------------------------------------ */

static struct kd_api *api_of(struct lws *wsi)
{
	const struct lws_protocols *p = lws_get_protocol(wsi);

	return p ? p->user : NULL;
}

/* Copies header tok into dst ("" when absent or longer than dst). */
static void copy_hdr(struct lws *wsi, enum lws_token_indexes tok, char *dst, size_t n)
{
	dst[0] = '\0';
	if (lws_hdr_total_length(wsi, tok) >= (int)n || lws_hdr_copy(wsi, dst, (int)n, tok) < 0)
		dst[0] = '\0';
}

static void copy_custom(struct lws *wsi, const char *name, char *dst, size_t n)
{
	int nlen = (int)strlen(name);

	dst[0] = '\0';
	if (lws_hdr_custom_length(wsi, name, nlen) >= (int)n ||
	    lws_hdr_custom_copy(wsi, dst, (int)n, name, nlen) < 0)
		dst[0] = '\0';
}

/* Appends ch to p, percent-encoded unless it is unreserved (RFC 3986). */
static char *put_enc(char *p, unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    (ch && strchr("-_.~", ch))) {
		*p++ = (char)ch;
		return p;
	}
	return p + sprintf(p, "%%%02X", ch);
}

/* lws has URL-decoded the query into name=value fragments: join them with '&',
 * percent-encoding again each name and value, so api_handle gets one exact
 * URL-encoded query.  NULL when there is none (or out of memory). */
static char *query_of(struct lws *wsi)
{
	int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	char *frag, *q, *p;

	if (total <= 0)
		return NULL;
	frag = malloc((size_t)total + 1);
	q = malloc((size_t)total * 3 + 64);
	if (!frag || !q) {
		free(frag);
		free(q);
		return NULL;
	}
	p = q;
	for (int i = 0; lws_hdr_copy_fragment(wsi, frag, total + 1, WSI_TOKEN_HTTP_URI_ARGS,
					      i) > 0; i++) {
		char *eq = strchr(frag, '=');
		if (p != q)
			*p++ = '&';
		for (char *s = frag; *s; s++) {
			if (s == eq)
				*p++ = '=';
			else
				p = put_enc(p, (unsigned char)*s);
		}
	}
	*p = '\0';
	free(frag);
	return q;
}

static const struct {
	enum lws_token_indexes tok;
	const char *name;
} methods[] = {
	{ WSI_TOKEN_GET_URI, "GET" },     { WSI_TOKEN_POST_URI, "POST" },
	{ WSI_TOKEN_PUT_URI, "PUT" },     { WSI_TOKEN_PATCH_URI, "PATCH" },
	{ WSI_TOKEN_DELETE_URI, "DELETE" }, { WSI_TOKEN_HEAD_URI, "HEAD" },
	{ WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
};

/* A new job from the request's headers, or NULL (out of memory / no method). */
static struct kd_api_job *job_from(struct kd_api *a, struct lws *wsi)
{
	struct kd_api_job *j = calloc(1, sizeof *j);
	int plen = -1;
	enum lws_token_indexes tok = WSI_TOKEN_GET_URI;

	if (!j)
		return NULL;
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if ((plen = lws_hdr_total_length(wsi, methods[i].tok)) > 0) {
			tok = methods[i].tok;
			snprintf(j->method, sizeof j->method, "%s", methods[i].name);
			break;
		}
	if (plen <= 0 || !(j->path = malloc((size_t)plen + 1)) ||
	    lws_hdr_copy(wsi, j->path, plen + 1, tok) < 0) {
		job_free(j);
		return NULL;
	}
	j->query = query_of(wsi);
	copy_hdr(wsi, WSI_TOKEN_HOST, j->host, sizeof j->host);
	copy_hdr(wsi, WSI_TOKEN_ORIGIN, j->origin, sizeof j->origin);
	copy_hdr(wsi, WSI_TOKEN_HTTP_COOKIE, j->cookie, sizeof j->cookie);
	copy_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, j->authorization, sizeof j->authorization);
	copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, j->content_type, sizeof j->content_type);
	copy_custom(wsi, "x-csrf-token:", j->csrf, sizeof j->csrf);
	copy_custom(wsi, "sec-fetch-site:", j->sec_fetch_site, sizeof j->sec_fetch_site);
	int tls;   /* the peer, or the client a trusted proxy names (edge.c) */
	kd_edge_client(a->edge, wsi, j->client_ip, sizeof j->client_ip, &tls);
	j->req = (struct api_request){
		.method = j->method, .path = j->path, .query = j->query,
		.host = j->host[0] ? j->host : NULL,
		.origin = j->origin[0] ? j->origin : NULL,
		.sec_fetch_site = j->sec_fetch_site[0] ? j->sec_fetch_site : NULL,
		.cookie = j->cookie[0] ? j->cookie : NULL,
		.authorization = j->authorization[0] ? j->authorization : NULL,
		.csrf_token = j->csrf[0] ? j->csrf : NULL,
		.content_type = j->content_type[0] ? j->content_type : NULL,
		.client_ip = j->client_ip[0] ? j->client_ip : NULL,
		.tls = tls,
	};
	return j;
}

/* A request made on the service thread for ops.c, with an operator's cookie (and CSRF
 * token for a POST): it goes through every check of api_handle like any other. */
static int internal(struct kd_api *a, int kind, uint64_t id, const char *method,
		    const char *path, const char *cookie, const char *csrf, const char *host,
		    const char *ip)
{
	struct kd_api_job *j = calloc(1, sizeof *j);

	if (!j || !(j->path = strdup(path))) {
		free(j);
		return -1;
	}
	j->kind = kind;
	j->conn_id = id;
	snprintf(j->method, sizeof j->method, "%s", method);
	snprintf(j->cookie, sizeof j->cookie, "%s", cookie);
	snprintf(j->csrf, sizeof j->csrf, "%s", csrf ? csrf : "");
	snprintf(j->host, sizeof j->host, "%s", host);
	snprintf(j->client_ip, sizeof j->client_ip, "%s", ip ? ip : "");
	j->req = (struct api_request){ .method = j->method, .path = j->path, .host = j->host,
				       .cookie = j->cookie, .client_ip = j->client_ip,
				       .csrf_token = j->csrf[0] ? j->csrf : NULL,
				       .peek = kind == KD_API_OPS_PEEK };
	if (cm_queue_try_push(a->jobs, j)) {
		job_free(j);
		return -1;
	}
	return 0;
}

int kd_api_ops_auth(struct kd_api *a, uint64_t conn_id, const char *cookie, const char *host,
		    const char *ip, int peek)
{
	return internal(a, peek ? KD_API_OPS_PEEK : KD_API_OPS_AUTH, conn_id, "GET",
			API_PREFIX "me", cookie, NULL, host, ip);
}

int kd_api_internal(struct kd_api *a, int64_t sid, const char *method, const char *path,
		    const char *cookie, const char *csrf, const char *host, const char *ip)
{
	return internal(a, KD_API_INTERNAL, (uint64_t)sid, method, path, cookie, csrf, host, ip);
}

int kd_api_summary(struct kd_api *a, int64_t sid, const char *cookie, const char *host)
{
	char path[96];

	snprintf(path, sizeof path, API_PREFIX "conversations/%lld/summary", (long long)sid);
	return internal(a, KD_API_SUMMARY, (uint64_t)sid, "GET", path, cookie, NULL, host, NULL);
}

/* ---- answering (service thread) -------------------------------------------------------- */

static int add_hdr(struct lws *wsi, const char *name, const char *value, unsigned char **p,
		   unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value, (int)strlen(value), p, end);
}

/* Writes the headers of c->job's response (one lws_write): lws adds its security
 * headers itself (the context's HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE option:
 * X-Content-Type-Options: nosniff, a strict CSP, X-Frame-Options: deny, no referrer);
 * an attachment gets a second CSP, `sandbox`.  Writes and keeps its body in c->out
 * for the next HTTP_WRITEABLE.  Inside HTTP_WRITEABLE only. */
static int send_headers(struct lws *wsi, struct kd_api_conn *c)
{
	struct api_response *res = &c->job->res;
	unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start,
		      *end = hdr + sizeof hdr - 1;
	const char *type = res->content_type[0] ? res->content_type
						: "application/json; charset=utf-8";
	char num[16];

	c->out = malloc(LWS_PRE + res->body_len + 1);
	if (!c->out)
		return -1;
	memcpy(c->out + LWS_PRE, res->body ? res->body : "", res->body_len);
	c->out_len = res->body_len;
	c->out_pos = 0;
	if (lws_add_http_common_headers(wsi, (unsigned)res->status, type, res->body_len, &p,
					end) ||
	    add_hdr(wsi, "cache-control:", "no-store", &p, end) ||
	    (res->set_cookie[0] && add_hdr(wsi, "set-cookie:", res->set_cookie, &p, end)) ||
	    (res->disposition[0] &&
	     add_hdr(wsi, "content-disposition:", res->disposition, &p, end)) ||
	    (res->content_type[0] &&
	     add_hdr(wsi, "content-security-policy:", "sandbox", &p, end)))
		return -1;
	if (res->retry_after_s > 0) {
		snprintf(num, sizeof num, "%d", res->retry_after_s);
		if (add_hdr(wsi, "retry-after:", num, &p, end))
			return -1;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (!strcmp(c->job->method, "HEAD"))
		c->out_len = 0;
	return 0;
}

/* Answers at once, without the workers (413, 429 too_many_attempts, out of memory);
 * retry_after > 0: in the body and as Retry-After. */
static int answer_now(struct lws *wsi, struct kd_api_conn *c, int status, const char *code,
		      const char *msg, int retry_after)
{
	char body[320];

	if (!c->job && !(c->job = calloc(1, sizeof *c->job)))
		return -1;
	snprintf(c->job->method, sizeof c->job->method, "%s", "GET");
	api_response_clear(&c->job->res);
	if (retry_after > 0)
		snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"%s\","
			 "\"retry_after\":%d}", code, msg, retry_after);
	else
		snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"%s\"}", code, msg);
	c->job->res.status = status;
	c->job->res.retry_after_s = retry_after;
	c->job->res.body = strdup(body);
	c->job->res.body_len = c->job->res.body ? strlen(body) : 0;
	c->ready = 1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* A sign-in is charged to its client address before it runs: 0 to go on, 1 refused
 * (429 too_many_attempts is on its way), -1 out of memory. */
static int charge_login(struct lws *wsi, struct kd_api *a, struct kd_api_conn *c)
{
	struct kd_api_job *j = c->job;
	int retry;

	if (strcmp(j->method, "POST") || strcmp(j->path, API_PREFIX "login"))
		return 0;
	if (kd_edge_login(a->edge, j->client_ip, cm_now_us(), &retry) == KD_EDGE_OK) {
		j->login_charged = 1;
		return 0;
	}
	c->close_after = 1;
	return answer_now(wsi, c, 429, "too_many_attempts", "too many failed sign-ins from "
			  "your address; retry later", retry) ? -1 : 1;
}

static int submit(struct lws *wsi, struct kd_api *a, struct kd_api_conn *c)
{
	c->job->req.body = c->job->body;
	c->job->req.body_len = c->job->body_len;
	c->job->conn_id = c->id;
	if (cm_queue_try_push(a->jobs, c->job) == 0) {
		c->waiting = 1;
		return 0;
	}
	c->close_after = 1;
	return answer_now(wsi, c, 503, "busy", "kefud is busy; please retry in a moment", 0);
}

static void conn_unlink(struct kd_api *a, struct kd_api_conn *c)
{
	if (!c->id)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else if (a->conns == c)
		a->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->id = 0;
}

static void conn_reset(struct kd_api_conn *c)
{
	if (!c->waiting)
		job_free(c->job);   /* a waiting job is the worker's; its result is dropped */
	c->job = NULL;
	c->waiting = 0;
	c->ready = 0;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_pos = 0;
}

static int on_http(struct lws *wsi, struct kd_api *a, struct kd_api_conn *c)
{
	char cl[24];
	long long want = 0;

	conn_reset(c);
	if (!c->id) {                        /* first request on this connection */
		c->wsi = wsi;
		c->id = ++a->next_id;
		c->next = a->conns;
		if (a->conns)
			a->conns->prev = c;
		a->conns = c;
	}
	if (!(c->job = job_from(a, wsi)))
		return answer_now(wsi, c, 500, "internal", "out of memory", 0);
	copy_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl);
	if (cl[0])
		want = strtoll(cl, NULL, 10);
	if (want > (long long)api_body_limit(c->job->method, c->job->path)) {   /* the route's */
		c->close_after = 1;
		return answer_now(wsi, c, 413, "body_too_large",
				  "the body is larger than the API takes", 0);
	}
	int rc = charge_login(wsi, a, c);
	if (rc)
		return rc > 0 ? 0 : -1;
	if (want > 0) {
		c->job->body = malloc((size_t)want + 1);
		c->job->body_cap = (size_t)want;
		return c->job->body ? 0 : answer_now(wsi, c, 500, "internal", "out of memory", 0);
	}
	return submit(wsi, a, c);
}

static int on_body(struct kd_api_conn *c, const void *in, size_t len)
{
	struct kd_api_job *j = c->job;

	if (!j || !j->body || c->waiting)
		return 0;
	if (j->body_len + len > j->body_cap)   /* more than Content-Length said */
		return -1;
	memcpy(j->body + j->body_len, in, len);
	j->body_len += len;
	j->body[j->body_len] = '\0';
	return 0;
}

static int on_writeable(struct lws *wsi, struct kd_api_conn *c)
{
	size_t n;
	int final;

	if (c->ready) {
		c->ready = 0;
		if (send_headers(wsi, c))
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!c->out)
		return 0;
	n = c->out_len - c->out_pos;
	final = n <= KD_API_CHUNK;
	if (!final)
		n = KD_API_CHUNK;
	/* lws_write may scribble in the LWS_PRE bytes before the piece: each piece is
	 * written from a copy so the bytes before it survive */
	if (n && c->out_pos) {
		unsigned char *buf = malloc(LWS_PRE + n);
		if (!buf)
			return -1;
		memcpy(buf + LWS_PRE, c->out + LWS_PRE + c->out_pos, n);
		int w = lws_write(wsi, buf + LWS_PRE, n,
				  final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
		free(buf);
		if (w != (int)n)
			return -1;
	} else if (lws_write(wsi, c->out + LWS_PRE, n,
			     final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) {
		return -1;
	}
	c->out_pos += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	conn_reset(c);
	if (c->close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void drain_done(struct kd_api *a)
{
	struct kd_api_job *list, *next;

	kd_wake_lock(a->wake);
	list = a->done;
	a->done = a->done_tail = NULL;
	kd_wake_unlock(a->wake);
	for (; list; list = next) {
		struct kd_api_conn *c;

		next = list->next;
		if (list->kind != KD_API_REQUEST) {   /* for the operator channel (the sink) */
			const struct kd_api_sink *k = &a->sink;
			if (list->kind == KD_API_EVENT && k->event)
				k->event(k->arg, list->event);
			else if (list->kind == KD_API_INTERNAL && k->take_done)
				k->take_done(k->arg, (int64_t)list->conn_id, list->res.status);
			else if (list->kind == KD_API_SUMMARY && k->summary_done)
				k->summary_done(k->arg, (int64_t)list->conn_id, &list->res);
			else if ((list->kind == KD_API_OPS_AUTH ||
				  list->kind == KD_API_OPS_PEEK) && k->authed)
				k->authed(k->arg, list->conn_id, &list->res);
			job_free(list);
			continue;
		}
		if (list->login_charged &&
		    (list->res.status < 400 || list->res.status == 503))   /* signed in, or
									      never tried */
			kd_edge_login_ok(a->edge, list->client_ip);
		for (c = a->conns; c && c->id != list->conn_id; c = c->next)
			;
		if (!c || !c->waiting || c->job != list) {   /* closed meanwhile */
			job_free(list);
			continue;
		}
		c->waiting = 0;
		c->ready = 1;           /* the headers go out in HTTP_WRITEABLE */
		lws_callback_on_writable(c->wsi);
	}
}

int kd_api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct kd_api *a = api_of(wsi);
	struct kd_api_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (!a || !c)
			return -1;
		return on_http(wsi, a, c);
	case LWS_CALLBACK_HTTP_BODY:
		return c ? on_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!a || !c || !c->job || c->waiting || c->ready || c->out)
			return 0;
		return submit(wsi, a, c);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return c ? on_writeable(wsi, c) : 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (a && a->wake)
			drain_done(a);
		break;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (a && c) {
			conn_unlink(a, c);
			conn_reset(c);
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void kd_api_setup(struct kd_api *a, struct lws_http_mount *m, struct lws_protocols *proto)
{
	m->mountpoint = "/api";
	m->mountpoint_len = 4;
	m->protocol = KD_API_PROTOCOL;
	m->origin_protocol = LWSMPRO_CALLBACK;
	*proto = (struct lws_protocols){
		.name = KD_API_PROTOCOL, .callback = kd_api_callback,
		.per_session_data_size = sizeof(struct kd_api_conn), .user = a,
	};
}
