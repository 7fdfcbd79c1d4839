/* daemon/edge.h — who a request comes from, and how much one address may open and ask.
 *
 * kd_edge_client names a request's client: its TCP peer, or, when that peer is one of
 * `trusted_proxies`, the address the proxy put in X-Forwarded-For (and TLS as its
 * X-Forwarded-Proto says).  From any other peer those headers are ignored.  The
 * per-address limits key IPv4 clients by address and IPv6 clients by their /64, the
 * block one subscriber is given; `ip_limit_exempt` lists addresses free of them:
 * - `max_conns_per_ip` WebSockets open at once and `sessions_per_ip_minute` new ones a
 *   minute (a token bucket), chat (ws.c) and operator channel (ops.c) counted together;
 * - `requests_per_ip_minute` HTTP requests a minute (routes.c, before any page, API
 *   route or upload is served; a token bucket of its own);
 * - `max_http_conns_per_ip` HTTP connections open at once (routes.c): a connection
 *   straight from its client is counted from the moment it is accepted, before it sends
 *   a byte (so silent and slow connections hold places too), one beyond the limit is
 *   closed at once; a connection of a trusted proxy is counted against the client of each
 *   request it carries (the client is known only then), one beyond gets HTTP 429.  Each is
 *   counted until lws frees it, idle keep-alive time included, or until it becomes a
 *   WebSocket (which has the two limits above);
 * - `login_failures_per_ip` sign-ins (POST /api/v1/login, http_api.c) that may fail per
 *   `login_lock_minutes`: a token bucket; each sign-in takes a token before it runs (so
 *   parallel guesses are counted) and a successful one gives it back.  This bounds one
 *   address's guesses over many login names (the per-name lockout, auth/login.c, bounds
 *   guesses at one name from many addresses).
 * Each refusal has a stable code (kd_edge_code): HTTP 429 with that code in JSON, a
 * WebSocket error frame with it and then a close whose reason is the code.
 *
 * THREADS.  Set up by kd_edge_init on the main thread before the lws context exists;
 * everything else runs on the lws service thread (the table has no lock).
 */
#ifndef KEFU_DAEMON_EDGE_H
#define KEFU_DAEMON_EDGE_H

#include <stddef.h>
#include <stdint.h>

struct lws;
struct kefu_conf;

#define KD_CIDR_MAX 32
#define KD_IP_LEN 48

/* A list of address blocks; IPv4 ones are kept as IPv4-mapped IPv6. */
struct kd_cidrs {
	unsigned char addr[KD_CIDR_MAX][16];
	int bits[KD_CIDR_MAX];
	int n;
};

/* Parses "10.0.0.0/8, 192.0.2.7, ::1, 2001:db8::/32" ("" = empty list).  0 ok, -1 with
 * a message naming opt and the bad entry in err. */
int kd_cidrs_parse(struct kd_cidrs *c, const char *list, const char *opt, char *err,
		   size_t errlen);
/* 1 if the numeric address ip lies in one of c's blocks. */
int kd_cidrs_match(const struct kd_cidrs *c, const char *ip);

struct kd_ip_entry;
struct kd_edge_conn;   /* an HTTP connection counted against its client (routes.c) */

struct kd_edge {
	struct kd_cidrs proxies, exempt;
	int max_conns, per_minute, requests_per_minute, max_http_conns;
	int login_failures, login_period_s;
	struct kd_ip_entry **tab;        /* KD_EDGE_BUCKETS chains */
	size_t n;                        /* entries */
	unsigned admits;                 /* since the last sweep */
	uint64_t refused_conns, refused_rate, refused_requests;   /* /metrics */
	uint64_t refused_http_conns;     /* counted under too_many_connections */
	uint64_t refused_logins;         /* too_many_attempts */
	int warned_xff;                  /* logged the untrusted X-Forwarded-For once */
};

enum kd_edge_verdict { KD_EDGE_OK = 0, KD_EDGE_CONNS, KD_EDGE_RATE, KD_EDGE_REQUESTS,
		       KD_EDGE_ATTEMPTS };

/* Reads the eight options (login_lock_minutes: the sign-in bucket's period).  0 ok, -1 with a message in err. */
int kd_edge_init(struct kd_edge *e, const struct kefu_conf *conf, char *err, size_t errlen);
void kd_edge_free(struct kd_edge *e);

/* The client address of wsi's request into ip (numeric, IPv4-mapped shown as IPv4) and,
 * if tls is not NULL, whether the client's side is TLS.  Service thread (HTTP headers
 * are readable until the request is answered / the WebSocket established). */
void kd_edge_client(struct kd_edge *e, struct lws *wsi, char *ip, size_t iplen, int *tls);

/* A new WebSocket (chat or /ops) from ip: KD_EDGE_OK (counted: kd_edge_leave when it
 * closes), KD_EDGE_CONNS (max_conns_per_ip open) or KD_EDGE_RATE (sessions_per_ip_minute
 * used; *retry_after = seconds until the next is allowed). */
enum kd_edge_verdict kd_edge_admit(struct kd_edge *e, const char *ip, uint64_t now_us,
				   int *retry_after);
void kd_edge_leave(struct kd_edge *e, const char *ip);
/* A new HTTP request from ip: KD_EDGE_OK or KD_EDGE_REQUESTS (requests_per_ip_minute
 * used; *retry_after as above). */
enum kd_edge_verdict kd_edge_request(struct kd_edge *e, const char *ip, uint64_t now_us,
				     int *retry_after);
/* A sign-in from ip is about to run: KD_EDGE_OK (one attempt charged) or
 * KD_EDGE_ATTEMPTS (login_failures_per_ip charged within login_lock_minutes;
 * *retry_after = seconds until the next is allowed).  kd_edge_login_ok gives the attempt
 * back when the sign-in succeeded. */
enum kd_edge_verdict kd_edge_login(struct kd_edge *e, const char *ip, uint64_t now_us,
				   int *retry_after);
void kd_edge_login_ok(struct kd_edge *e, const char *ip);
/* A plain HTTP request from client ip on the connection whose record is *conn (NULL
 * before its first counted request): KD_EDGE_OK, with the connection counted against ip
 * (a new record in *conn, or the old one kept when ip is the same client; a record of
 * another client is released first), or KD_EDGE_CONNS when ip already holds
 * max_http_conns_per_ip (then *conn is NULL: the caller refuses and closes).  Exempt and
 * non-numeric addresses, and max_http_conns_per_ip 0, are not counted (*conn NULL). */
enum kd_edge_verdict kd_edge_conn_request(struct kd_edge *e, struct kd_edge_conn **conn,
					  const char *ip, uint64_t now_us);
/* The connection of conn is gone (lws frees its wsi): its place is free; conn is freed. */
void kd_edge_conn_close(struct kd_edge_conn *conn);
/* A TCP connection accepted from peer (the socket's address), before its first byte.
 * kd_edge_conn_admit, when lws asks whether to keep it: KD_EDGE_CONNS when peer (not a
 * trusted proxy) already holds max_http_conns_per_ip (the caller hangs up: there is no
 * request to answer yet).  kd_edge_conn_accept, when lws has made its wsi: counts it
 * against peer, the record in *conn (NULL for a trusted proxy, exempt or uncounted). */
enum kd_edge_verdict kd_edge_conn_admit(struct kd_edge *e, const char *peer, uint64_t now_us);
void kd_edge_conn_accept(struct kd_edge *e, struct kd_edge_conn **conn, const char *peer,
			 uint64_t now_us);
/* wsi became a WebSocket (chat or /ops): its HTTP connection's place is freed. */
void kd_edge_conn_upgraded(struct lws *wsi);
/* The stable error code of a refusal ("too_many_connections", "too_many_sessions",
 * "too_many_requests", "too_many_attempts"); NULL for KD_EDGE_OK. */
const char *kd_edge_code(enum kd_edge_verdict v);
/* Appends the family kefu_edge_refused_total{code} (chat, /ops and HTTP refusals) to the
 * /metrics text (realloc'd; *len follows; on no memory text is returned unchanged). */
char *kd_edge_metrics_append(const struct kd_edge *e, char *text, size_t *len);

#endif
