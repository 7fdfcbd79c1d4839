/* daemon/edge.c — client addresses behind trusted proxies and the per-address limits
 * on WebSockets (chat and /ops), HTTP requests, HTTP connections and failed sign-ins
 * (see edge.h).  Service thread, except
 * kd_edge_init/kd_edge_free (main thread, before and after the lws context).
 *
 * X-Forwarded-For is read from the right: each proxy appends the address it got the
 * request from, so the right-most entry that is not itself a trusted proxy is the
 * client; entries left of it were written by the client and prove nothing.
 */
#include "edge.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "hash.h"
#include "log.h"

#define KD_EDGE_BUCKETS 4096
#define KD_EDGE_SWEEP_EVERY 4096      /* admits between two sweeps of idle entries */
#define KD_EDGE_MAX_ENTRIES 200000    /* beyond: idle entries are swept at once */
#define KD_HDR_MAX 1024

/* A token bucket: cap tokens at most, refilled at cap per period (a minute, or
 * login_lock_minutes for sign-ins). */
struct kd_bucket {
	double tokens;
	uint64_t at_us;                  /* last refilled */
};

struct kd_ip_entry {
	unsigned char key[16];           /* IPv4-mapped address, or an IPv6 /64 */
	int conns;                       /* WebSockets open (chat and /ops) */
	int http_conns;                  /* HTTP connections open (kd_edge_conn) */
	struct kd_bucket ws, http;       /* new WebSockets, HTTP requests */
	struct kd_bucket login;          /* sign-ins that may still fail */
	struct kd_ip_entry *next;
};

/* ---- address blocks ---------------------------------------------------------------- */

/* ip as 16 bytes (IPv4 as ::ffff:a.b.c.d).  0 ok, -1 not a numeric address. */
static int addr16(const char *ip, unsigned char out[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, ip, out) == 1 ? 0 : -1;
}

static int is_v4(const unsigned char a[16])
{
	static const unsigned char pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pre, 12);
}

static int prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes))
		return 0;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int kd_cidrs_parse(struct kd_cidrs *c, const char *list, const char *opt, char *err,
		   size_t errlen)
{
	char buf[CONF_STR_MAX], *save = NULL, *tok;

	memset(c, 0, sizeof *c);
	snprintf(buf, sizeof buf, "%s", list);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *slash = strchr(tok, '/'), *end = NULL;
		long bits = -1;

		if (c->n == KD_CIDR_MAX) {
			snprintf(err, errlen, "%s: more than %d entries", opt, KD_CIDR_MAX);
			return -1;
		}
		if (slash) {
			*slash = '\0';
			bits = strtol(slash + 1, &end, 10);
		}
		if (addr16(tok, c->addr[c->n]) ||
		    (slash && (!slash[1] || *end || bits < 0 ||
			       bits > (strchr(tok, ':') ? 128 : 32)))) {
			snprintf(err, errlen, "%s: '%s%s%s' is not an address or address/bits", opt,
				 tok, slash ? "/" : "", slash ? slash + 1 : "");
			return -1;
		}
		if (bits < 0)
			bits = strchr(tok, ':') ? 128 : 32;
		c->bits[c->n++] = (int)bits + (strchr(tok, ':') ? 0 : 96);
	}
	return 0;
}

int kd_cidrs_match(const struct kd_cidrs *c, const char *ip)
{
	unsigned char a[16];

	if (!c->n || addr16(ip, a))
		return 0;
	for (int i = 0; i < c->n; i++)
		if (prefix_eq(a, c->addr[i], c->bits[i]))
			return 1;
	return 0;
}

/* ---- the client of a request --------------------------------------------------------- */

/* Writes the numeric address a into ip, IPv4-mapped ones as plain IPv4. */
static void addr_text(const unsigned char a[16], char *ip, size_t iplen)
{
	char t[INET6_ADDRSTRLEN];

	if (is_v4(a))
		inet_ntop(AF_INET, a + 12, t, sizeof t);
	else
		inet_ntop(AF_INET6, a, t, sizeof t);
	snprintf(ip, iplen, "%s", t);
}

static void trim(char **s)
{
	char *e;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	for (e = *s + strlen(*s); e > *s && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
}

static void custom_hdr(struct lws *wsi, const char *name, char *dst, size_t n)
{
	int nlen = (int)strlen(name);

	dst[0] = '\0';
	if (lws_hdr_custom_length(wsi, name, nlen) >= (int)n ||
	    lws_hdr_custom_copy(wsi, dst, (int)n, name, nlen) < 0)
		dst[0] = '\0';
}

void kd_edge_client(struct kd_edge *e, struct lws *wsi, char *ip, size_t iplen, int *tls)
{
	char peer[KD_IP_LEN], fwd[KD_HDR_MAX], proto[64];
	unsigned char a[16];
	int n;

	peer[0] = '\0';
	lws_get_peer_simple(wsi, peer, sizeof peer);
	if (addr16(peer, a) == 0)
		addr_text(a, peer, sizeof peer);
	snprintf(ip, iplen, "%s", peer);
	if (tls)
		*tls = lws_is_ssl(wsi);
	n = lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR);
	if (!kd_cidrs_match(&e->proxies, peer)) {
		if (n > 0 && !e->warned_xff) {
			e->warned_xff = 1;
			LOG_WARN("ignoring X-Forwarded-For from %s: it is not in trusted_proxies "
				 "(a reverse proxy there must be listed, or every client looks like "
				 "%s to the limits, lockout and audit)", peer, peer);
		}
		return;
	}
	if (tls) {
		custom_hdr(wsi, "x-forwarded-proto:", proto, sizeof proto);
		if (proto[0]) {              /* the last value is the one our proxy set */
			char *last = strrchr(proto, ',');
			last = last ? last + 1 : proto;
			trim(&last);
			*tls = !strcasecmp(last, "https");
		}
	}
	if (n <= 0 || n >= (int)sizeof fwd ||
	    lws_hdr_copy(wsi, fwd, sizeof fwd, WSI_TOKEN_X_FORWARDED_FOR) <= 0)
		return;
	/* right to left: stop at the first hop that is not a trusted proxy */
	for (;;) {
		char *comma = strrchr(fwd, ','), *hop = comma ? comma + 1 : fwd;

		trim(&hop);
		if (addr16(hop, a))
			return;              /* not an address: the last trusted hop is the client */
		addr_text(a, ip, iplen);
		if (!kd_cidrs_match(&e->proxies, ip) || !comma)
			return;
		*comma = '\0';
	}
}

/* ---- per-address limits -------------------------------------------------------------- */

int kd_edge_init(struct kd_edge *e, const struct kefu_conf *conf, char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	if (kd_cidrs_parse(&e->proxies, conf->trusted_proxies, "trusted_proxies", err, errlen) ||
	    kd_cidrs_parse(&e->exempt, conf->ip_limit_exempt, "ip_limit_exempt", err, errlen))
		return -1;
	e->max_conns = conf->max_conns_per_ip;
	e->per_minute = conf->sessions_per_ip_minute;
	e->requests_per_minute = conf->requests_per_ip_minute;
	e->max_http_conns = conf->max_http_conns_per_ip;
	e->login_failures = conf->login_failures_per_ip;
	e->login_period_s = conf->login_lock_minutes > 0 ? conf->login_lock_minutes * 60 : 60;
	e->tab = calloc(KD_EDGE_BUCKETS, sizeof *e->tab);
	if (!e->tab) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void kd_edge_free(struct kd_edge *e)
{
	if (!e->tab)
		return;
	for (size_t b = 0; b < KD_EDGE_BUCKETS; b++)
		for (struct kd_ip_entry *x = e->tab[b], *next; x; x = next) {
			next = x->next;
			free(x);
		}
	free(e->tab);
	e->tab = NULL;
	e->n = 0;
}

/* The table key of ip: the address, or an IPv6 address's /64.  -1 if not numeric. */
static int key_of(const char *ip, unsigned char key[16])
{
	if (addr16(ip, key))
		return -1;
	if (!is_v4(key))
		memset(key + 8, 0, 8);
	return 0;
}

static size_t bucket_of(const unsigned char key[16])
{
	return cm_fnv1a(CM_FNV1A_INIT, key, 16) % KD_EDGE_BUCKETS;
}

static struct kd_ip_entry *lookup(struct kd_edge *e, const unsigned char key[16])
{
	for (struct kd_ip_entry *x = e->tab[bucket_of(key)]; x; x = x->next)
		if (!memcmp(x->key, key, 16))
			return x;
	return NULL;
}

/* Drops entries with no open connection whose buckets have refilled (a minute idle, and
 * no failed sign-in for login_lock_minutes: forgetting those would reset the count). */
static void sweep(struct kd_edge *e, uint64_t now_us)
{
	for (size_t b = 0; b < KD_EDGE_BUCKETS; b++)
		for (struct kd_ip_entry **p = &e->tab[b]; *p;) {
			struct kd_ip_entry *x = *p;
			if (!x->conns && !x->http_conns && now_us - x->ws.at_us >= 60ull * 1000000 &&
			    now_us - x->http.at_us >= 60ull * 1000000 &&
			    (x->login.tokens >= e->login_failures ||
			     now_us - x->login.at_us >= (uint64_t)e->login_period_s * 1000000)) {
				*p = x->next;
				free(x);
				e->n--;
			} else {
				p = &x->next;
			}
		}
	e->admits = 0;
}

/* Takes a token from b (cap > 0 a period_s): 0, or -1 with *retry_after = seconds
 * until the next one. */
static int take(struct kd_bucket *b, int cap, int period_s, uint64_t now_us,
		int *retry_after)
{
	double rate = (double)cap / period_s;

	b->tokens += (double)(now_us - b->at_us) / 1e6 * rate;
	if (b->tokens > cap)
		b->tokens = cap;
	b->at_us = now_us;
	if (b->tokens < 1) {
		*retry_after = (int)((1 - b->tokens) / rate) + 1;
		return -1;
	}
	b->tokens -= 1;
	return 0;
}

/* ip's entry (created full), or NULL when ip is exempt, not numeric, or the table is
 * full (then it is not limited: logged). */
static struct kd_ip_entry *entry_of(struct kd_edge *e, const char *ip, uint64_t now_us)
{
	unsigned char key[16];
	struct kd_ip_entry *x;

	if (kd_cidrs_match(&e->exempt, ip) || key_of(ip, key))
		return NULL;
	if (++e->admits >= KD_EDGE_SWEEP_EVERY || e->n >= KD_EDGE_MAX_ENTRIES)
		sweep(e, now_us);
	if ((x = lookup(e, key)))
		return x;
	if (e->n >= KD_EDGE_MAX_ENTRIES || !(x = calloc(1, sizeof *x))) {
		LOG_WARN("per-address table full (%zu addresses): %s not limited", e->n, ip);
		return NULL;
	}
	memcpy(x->key, key, 16);
	x->ws = (struct kd_bucket){ e->per_minute, now_us };
	x->http = (struct kd_bucket){ e->requests_per_minute, now_us };
	x->login = (struct kd_bucket){ e->login_failures, now_us };
	x->next = e->tab[bucket_of(key)];
	e->tab[bucket_of(key)] = x;
	e->n++;
	return x;
}

enum kd_edge_verdict kd_edge_admit(struct kd_edge *e, const char *ip, uint64_t now_us,
				   int *retry_after)
{
	struct kd_ip_entry *x;

	*retry_after = 0;
	if ((!e->max_conns && !e->per_minute) || !(x = entry_of(e, ip, now_us)))
		return KD_EDGE_OK;
	if (e->max_conns && x->conns >= e->max_conns) {
		e->refused_conns++;
		return KD_EDGE_CONNS;
	}
	if (e->per_minute && take(&x->ws, e->per_minute, 60, now_us, retry_after)) {
		e->refused_rate++;
		return KD_EDGE_RATE;
	}
	x->conns++;
	return KD_EDGE_OK;
}

enum kd_edge_verdict kd_edge_request(struct kd_edge *e, const char *ip, uint64_t now_us,
				     int *retry_after)
{
	struct kd_ip_entry *x;

	*retry_after = 0;
	if (!e->requests_per_minute || !(x = entry_of(e, ip, now_us)))
		return KD_EDGE_OK;
	if (take(&x->http, e->requests_per_minute, 60, now_us, retry_after)) {
		e->refused_requests++;
		return KD_EDGE_REQUESTS;
	}
	return KD_EDGE_OK;
}

enum kd_edge_verdict kd_edge_login(struct kd_edge *e, const char *ip, uint64_t now_us,
				   int *retry_after)
{
	struct kd_ip_entry *x;

	*retry_after = 0;
	if (!e->login_failures || !(x = entry_of(e, ip, now_us)))
		return KD_EDGE_OK;
	if (take(&x->login, e->login_failures, e->login_period_s, now_us, retry_after)) {
		e->refused_logins++;
		return KD_EDGE_ATTEMPTS;
	}
	return KD_EDGE_OK;
}

void kd_edge_login_ok(struct kd_edge *e, const char *ip)
{
	unsigned char key[16];
	struct kd_ip_entry *x;

	if (!e->login_failures || kd_cidrs_match(&e->exempt, ip) || key_of(ip, key) ||
	    !(x = lookup(e, key)))
		return;
	if ((x->login.tokens += 1) > e->login_failures)
		x->login.tokens = e->login_failures;
}

/* ---- HTTP connections ------------------------------------------------------------------ */

struct kd_edge_conn {
	struct kd_edge *edge;
	char ip[KD_IP_LEN];              /* the client it is counted against */
};

void kd_edge_conn_close(struct kd_edge_conn *c)
{
	unsigned char key[16];
	struct kd_ip_entry *x;

	if (!c)
		return;
	if (!key_of(c->ip, key) && (x = lookup(c->edge, key)) && x->http_conns > 0)
		x->http_conns--;
	free(c);
}

enum kd_edge_verdict kd_edge_conn_request(struct kd_edge *e, struct kd_edge_conn **conn,
					  const char *ip, uint64_t now_us)
{
	struct kd_edge_conn *c = *conn;
	struct kd_ip_entry *x;

	if (c && !strcmp(c->ip, ip))
		return KD_EDGE_OK;           /* the same client's next request */
	kd_edge_conn_close(c);           /* a proxy's connection, now for another client */
	*conn = NULL;
	if (!e->max_http_conns || !(x = entry_of(e, ip, now_us)))
		return KD_EDGE_OK;
	if (x->http_conns >= e->max_http_conns) {
		e->refused_http_conns++;
		return KD_EDGE_CONNS;
	}
	if (!(c = malloc(sizeof *c))) {
		LOG_WARN("out of memory: an HTTP connection of %s not counted", ip);
		return KD_EDGE_OK;
	}
	c->edge = e;
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	x->http_conns++;
	*conn = c;
	return KD_EDGE_OK;
}

/* peer as kd_edge_client names it (IPv4-mapped addresses as IPv4), or "" */
static void peer_text(const char *peer, char *out, size_t n)
{
	unsigned char a[16];

	if (addr16(peer, a) == 0)
		addr_text(a, out, n);
	else
		snprintf(out, n, "%s", peer);
}

enum kd_edge_verdict kd_edge_conn_admit(struct kd_edge *e, const char *peer, uint64_t now_us)
{
	char ip[KD_IP_LEN];
	struct kd_ip_entry *x;

	peer_text(peer, ip, sizeof ip);
	if (!e->max_http_conns || kd_cidrs_match(&e->proxies, ip) || !(x = entry_of(e, ip, now_us)))
		return KD_EDGE_OK;
	if (x->http_conns < e->max_http_conns)
		return KD_EDGE_OK;
	e->refused_http_conns++;
	return KD_EDGE_CONNS;
}

void kd_edge_conn_accept(struct kd_edge *e, struct kd_edge_conn **conn, const char *peer,
			 uint64_t now_us)
{
	char ip[KD_IP_LEN];

	*conn = NULL;
	peer_text(peer, ip, sizeof ip);
	if (!kd_cidrs_match(&e->proxies, ip))
		kd_edge_conn_request(e, conn, ip, now_us);   /* admitted: below the limit */
}

void kd_edge_conn_upgraded(struct lws *wsi)
{
	kd_edge_conn_close(lws_get_opaque_user_data(wsi));
	lws_set_opaque_user_data(wsi, NULL);
}

const char *kd_edge_code(enum kd_edge_verdict v)
{
	switch (v) {
	case KD_EDGE_CONNS:
		return "too_many_connections";
	case KD_EDGE_RATE:
		return "too_many_sessions";
	case KD_EDGE_REQUESTS:
		return "too_many_requests";
	case KD_EDGE_ATTEMPTS:
		return "too_many_attempts";
	default:
		return NULL;
	}
}

void kd_edge_leave(struct kd_edge *e, const char *ip)
{
	unsigned char key[16];
	struct kd_ip_entry *x;

	if (key_of(ip, key) || !(x = lookup(e, key)) || x->conns <= 0)
		return;
	x->conns--;
}

char *kd_edge_metrics_append(const struct kd_edge *e, char *text, size_t *len)
{
	char more[640];
	int m = snprintf(more, sizeof more,
			 "# HELP kefu_edge_refused_total WebSockets, HTTP requests and HTTP "
			 "connections and sign-ins refused by the per-address limits\n"
			 "# TYPE kefu_edge_refused_total counter\n"
			 "kefu_edge_refused_total{code=\"too_many_connections\"} %llu\n"
			 "kefu_edge_refused_total{code=\"too_many_sessions\"} %llu\n"
			 "kefu_edge_refused_total{code=\"too_many_requests\"} %llu\n"
			 "kefu_edge_refused_total{code=\"too_many_attempts\"} %llu\n",
			 (unsigned long long)(e->refused_conns + e->refused_http_conns),
			 (unsigned long long)e->refused_rate,
			 (unsigned long long)e->refused_requests,
			 (unsigned long long)e->refused_logins);
	char *all = realloc(text, *len + (size_t)m + 1);

	if (!all)
		return text;
	memcpy(all + *len, more, (size_t)m + 1);
	*len += (size_t)m;
	return all;
}
