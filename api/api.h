/* api/api.h — kefu's JSON REST API under /api/v1/, independent of the HTTP server.
 *
 * The transport (kefud's lws routes) copies what this needs out of one HTTP request
 * into a struct api_request, calls api_handle, and writes the struct api_response back:
 * status, the JSON body, and the Set-Cookie / Retry-After headers when set, always with
 * `Content-Type: application/json; charset=utf-8` and `Cache-Control: no-store`.
 * Everything else — routing, authentication (session cookie or bearer token), the role
 * each route requires, CSRF and cross-site checks, body limits and validation, audit
 * rows — happens here, so it is tested without a server (api/test_api.c) and every
 * route is covered by the same checks.  docs/api.md documents the endpoints.
 *
 * Threads: api_handle blocks (SQLite, argon2id for a login: tens of ms), so it runs on
 * a worker, never on the lws service thread.  A struct api_ctx belongs to one thread at
 * a time (it holds that thread's store connection); the struct auth inside may be
 * shared by all of them.
 */
#ifndef KEFU_API_H
#define KEFU_API_H

#include <stddef.h>
#include <stdint.h>

struct auth;
struct auth_config;
struct kefu_conf;
struct store;
struct sum_ctx;

#define API_PREFIX "/api/v1/"
#define API_MAX_BODY 16384              /* larger bodies: 413 body_too_large */
#define API_MAX_UPLOAD (8 << 20)        /* the largest body any route takes (a route's
					   max_body: a catalogue picture, an import) */
#define API_COOKIE "__Host-kefu"        /* the console session cookie */

struct api_request {
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* the URL path without the query: "/api/v1/me" */
	const char *query;           /* the part after '?', URL-encoded, or NULL */
	const char *host;            /* Host header: the request's own origin is
					(tls ? "https://" : "http://") + host */
	const char *origin;          /* Origin header, or NULL */
	const char *sec_fetch_site;  /* Sec-Fetch-Site header, or NULL */
	const char *cookie;          /* Cookie header, or NULL */
	const char *authorization;   /* Authorization header, or NULL */
	const char *csrf_token;      /* X-CSRF-Token header, or NULL */
	const char *content_type;    /* Content-Type header, or NULL */
	const char *client_ip;       /* the peer (or, behind a trusted proxy, the client
					it names); audited; may be NULL */
	int tls;                     /* 1 when the request came over TLS, or through a
					trusted proxy that says it did (X-Forwarded-Proto) */
	const char *body;            /* may be NULL when body_len is 0 */
	size_t body_len;
	int peek;                    /* a cookie session is checked without moving its
					last use (auth_session_peek): kefud's own re-checks
					of an /ops connection, never set from HTTP */
};

struct api_response {
	int status;                  /* HTTP status */
	char *body;                  /* JSON text (malloc'd, NUL-terminated) */
	size_t body_len;
	char set_cookie[256];        /* the Set-Cookie header's value, "" for none */
	int retry_after_s;           /* send Retry-After when > 0 */
	/* A non-JSON answer (an attachment's bytes): content_type is then its type, body
	 * its bytes (body_len long, not NUL-terminated), disposition the
	 * Content-Disposition value; the transport adds `Content-Security-Policy: sandbox`.
	 * Both "" for the usual JSON answer. */
	char content_type[96];
	char disposition[200];
};

/* kefud's background training (daemon/training.c) as the models routes (api/models.c)
 * use it.  Every function may be called from any API worker thread. */
struct api_training {
	/* Starts a training (its models saved as candidates) on a thread of its own, for
	 * the operator `by` (login).  0; 1 when a training is running already; -1 with a
	 * message in err. */
	int (*start)(void *arg, const char *by, char *err, size_t errlen);
	/* The running or last training as JSON text (malloc'd; NULL on no memory):
	 * docs/api.md "GET /api/v1/models/training". */
	char *(*status)(void *arg);
	/* The live models changed in the store: kefud loads them as on SIGHUP (no restart,
	 * no dropped chat).  Returns at once; the swap follows within a second or so. */
	void (*reload)(void *arg);
	void *arg;
};

/* What api_handle works with: the shared auth state and this thread's store. */
struct api_ctx {
	struct auth *auth;
	struct store *st;
	double low_confidence;       /* a bot reply under this confidence (or a fallback)
					counts as low-confidence in the inbox; 0: 0.5 */
	/* Told after a take-over change committed (assigned, released, an operator's
	 * message): event_json is one JSON object (docs/protocol.md "The operator
	 * channel"), valid during the call.  kefud posts it to the service thread, which
	 * tells the customer and the operators.  May be NULL (tests, tools). */
	void (*notify)(void *arg, const char *event_json);
	void *notify_arg;
	/* The summariser's read-only context (summary/summary.h), shared by all threads;
	 * NULL: GET .../summary answers 503 unavailable. */
	const struct sum_ctx *summary;
	/* A catalogue picture's limits (conf max_upload, max_image_pixels); 0: vision's
	 * defaults.  The upload is decoded with vision/'s decoder under them. */
	size_t picture_max_bytes;
	uint64_t picture_max_pixels;
	/* kefud's background training; NULL: POST .../models/train answers 503 unavailable
	 * and activating a version only changes the store (tests, tools). */
	const struct api_training *training;
};

/* Answers one request into res (always filled: status, JSON body, headers).  The
 * caller frees res with api_response_clear.  Runs on the calling (worker) thread. */
void api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *res);
void api_response_clear(struct api_response *res);
/* The largest body the route at method + path takes (API_MAX_BODY for most, more for a
 * picture upload or an import, API_MAX_BODY for an unknown path): the transport refuses a
 * larger Content-Length before reading it.  Pure; any thread. */
size_t api_body_limit(const char *method, const char *path);
/* 1 when path belongs to the API (starts with /api/): the transport's routing test. */
int api_path_is_api(const char *path);
/* auth/'s configuration from conf's options (session_idle_minutes, session_max_hours,
 * login_delay_after, login_lock_after, login_lock_minutes, hash_concurrency); the rest
 * keeps auth_config_defaults.  (trusted_proxies is the transport's: daemon/edge.c, docs/api.md.) */
void api_auth_config(const struct kefu_conf *c, struct auth_config *out);

#endif
