/* daemon/webhooks.c — kefud's webhook sender (see webhooks.h).
 *
 * Events are not emitted by the chat or API code: triggers write them into the
 * outbox table webhook_deliveries in the very transaction of the change (a hand-off
 * asked, a conversation resolved, a thumbs-down), so none is lost at a crash and none
 * is sent for a change that rolled back.  This thread takes the due deliveries one by
 * one: at the first attempt it builds the payload (Standard Webhooks shape: type,
 * timestamp, data; a hand-off carries the summary card, summary/) and stores it, so
 * every retry sends the same body under the same webhook-id; it signs with the
 * endpoint's secret (unsealed with the key file beside the database, webhooks/wh.h)
 * and POSTs over plain HTTP or HTTPS (OpenSSL, certificate and host name verified;
 * redirects are not followed).  A 2xx answer delivers; anything else is retried after
 * 5 s, 20 s, 80 s ... (x4, about 7 h in all), then marked failed.  The console shows
 * the log (GET /api/v1/webhooks/{id}/deliveries).
 *
 * Threads: one thread of its own with its own store connection and summariser
 * context.  It looks for due deliveries every POLL_MS (the outbox is written by other
 * connections) or sooner when a retry falls due, sleeping on a cm_stopper
 * (common/stopper.h) that kd_webhooks_stop (main thread) ends at once.  An attempt
 * blocks this thread only (TIMEOUT_S at most per connect, write and read).
 */
#include "webhooks.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "stopper.h"
#include "store.h"
#include "summary.h"
#include "wh.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0"
#endif

#define POLL_MS 1000
#define TIMEOUT_S 10
#define MAX_ATTEMPTS 8
#define FIRST_DELAY_MS 5000LL

struct kd_webhooks {
	struct store *st;                /* the thread's */
	struct sum_ctx *summary;         /* the hand-off card; NULL: none */
	char key_path[CONF_STR_MAX + 32];
	uint8_t key[WH_KEY_LEN];
	int have_key;
	SSL_CTX *tls;
	pthread_t thread;
	struct cm_stopper stop;          /* its sleep between polls; kd_webhooks_stop ends it */
};

int64_t kd_webhooks_backoff_ms(int n)
{
	int64_t d = FIRST_DELAY_MS;

	if (n < 1 || n >= MAX_ATTEMPTS)
		return 0;
	for (int i = 1; i < n; i++)
		d *= 4;
	return d;
}

/* ---- the payload ------------------------------------------------------------------------------ */

/* The summary card of the session (the same as the console's), or NULL. */
static json_t *summary_card(struct kd_webhooks *h, int64_t sid)
{
	char token[STORE_TOKEN_LEN + 1], err[256];
	struct sum_session s;
	struct sum_card card;
	json_t *j = NULL;

	if (!h->summary || store_session_token(h->st, sid, token) ||
	    sum_session_load(h->st, token, &s, err, sizeof err))
		return NULL;
	if (!sum_card_build(h->summary, &s.d, NULL, &card)) {
		j = sum_card_json(&card);
		sum_card_free(&card);
	}
	sum_session_free(&s);
	return j;
}

/* {"type", "timestamp" (ISO 8601 of the event), "data": {facts, "summary"}} as text. */
static char *build_payload(struct kd_webhooks *h, const struct store_delivery *d)
{
	char *facts = NULL, when[64], *out = NULL;
	time_t t = (time_t)(d->created_ms / 1000);
	struct tm tm;
	json_t *data;

	if (store_delivery_facts_json(h->st, d, &facts))
		return NULL;
	data = json_loads(facts, 0, NULL);
	free(facts);
	if (!data)
		return NULL;
	if (!strcmp(d->event, "handoff.requested")) {
		json_t *card = summary_card(h, d->session_id);
		json_object_set_new(data, "summary", card ? card : json_null());
	}
	gmtime_r(&t, &tm);
	snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(d->created_ms % 1000));
	json_t *j = json_pack("{s:s, s:s, s:o}", "type", d->event, "timestamp", when,
			      "data", data);
	if (j)
		out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return out;
}

/* ---- HTTP(S) ------------------------------------------------------------------------------------ */

struct url {
	int tls;
	char host[256], port[8], path[CONF_STR_MAX];
};

/* http[s]://host[:port][/path]; IPv6 literals in brackets.  0 or -1. */
static int parse_url(const char *s, struct url *u)
{
	const char *h, *end, *colon;

	memset(u, 0, sizeof *u);
	if (!strncmp(s, "https://", 8))
		u->tls = 1, h = s + 8;
	else if (!strncmp(s, "http://", 7))
		h = s + 7;
	else
		return -1;
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return -1;
		snprintf(u->host, sizeof u->host, "%.*s", (int)(rb - h - 1), h + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		snprintf(u->host, sizeof u->host, "%.*s", (int)((colon ? colon : end) - h), h);
	}
	if (colon)
		snprintf(u->port, sizeof u->port, "%.*s", (int)(end - colon - 1), colon + 1);
	else
		snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
	snprintf(u->path, sizeof u->path, "%s%s", *end == '/' ? "" : "/", end);
	return u->host[0] && u->port[0] ? 0 : -1;
}

/* A TCP connection to u within TIMEOUT_S, with send/receive timeouts; fd or -1. */
static int dial(const struct url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *a;
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd = -1, rc = getaddrinfo(u->host, u->port, &hints, &res);

	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "cannot connect to %s:%s", u->host, u->port);
	for (a = res; a && fd < 0; a = a->ai_next) {
		struct pollfd p;
		int soerr = 0;
		socklen_t sl = sizeof soerr;

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS)
			goto next;
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, TIMEOUT_S * 1000) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			if (soerr)
				snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port,
					 strerror(soerr));
			goto next;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		continue;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* One connection, plain or TLS. */
struct conn {
	int fd;
	SSL *ssl;
};

static int conn_write(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)n) : send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t conn_read(struct conn *c, char *p, size_t n)
{
	return c->ssl ? SSL_read(c->ssl, p, (int)n) : recv(c->fd, p, n, 0);
}

/* POSTs body to url with the signature headers.  The HTTP status, or 0 with err set
 * when no answer came. */
static int post(struct kd_webhooks *h, const char *url, const char *msg_id, int64_t ts,
		const char *sig, const char *body, char *err, size_t errlen)
{
	struct conn c = { .fd = -1 };
	char head[CONF_STR_MAX + 1024], resp[512];
	size_t got = 0;
	int status = 0, n;
	struct url u;

	if (parse_url(url, &u)) {
		snprintf(err, errlen, "bad URL");
		return 0;
	}
	if ((c.fd = dial(&u, err, errlen)) < 0)
		return 0;
	if (u.tls) {
		if (!h->tls || !(c.ssl = SSL_new(h->tls)) || SSL_set_fd(c.ssl, c.fd) != 1 ||
		    SSL_set_tlsext_host_name(c.ssl, u.host) != 1 || SSL_set1_host(c.ssl, u.host) != 1 ||
		    SSL_connect(c.ssl) != 1) {
			unsigned long e = ERR_get_error();
			snprintf(err, errlen, "TLS with %s failed: %s", u.host,
				 e ? ERR_reason_error_string(e) : "handshake");
			ERR_clear_error();
			goto done;
		}
	}
	n = snprintf(head, sizeof head,
		     "POST %s HTTP/1.1\r\nHost: %s%s%s\r\nUser-Agent: kefu-webhooks/%s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		     "webhook-id: %s\r\nwebhook-timestamp: %lld\r\nwebhook-signature: %s\r\n"
		     "Connection: close\r\n\r\n", u.path, u.host,
		     strcmp(u.port, u.tls ? "443" : "80") ? ":" : "",
		     strcmp(u.port, u.tls ? "443" : "80") ? u.port : "", KEFU_VERSION,
		     strlen(body), msg_id, (long long)ts, sig);
	if (n <= 0 || (size_t)n >= sizeof head || conn_write(&c, head, (size_t)n) ||
	    conn_write(&c, body, strlen(body))) {
		snprintf(err, errlen, "sending failed: %s", strerror(errno));
		goto done;
	}
	/* the status line is all we need */
	while (got < sizeof resp - 1 && !memchr(resp, '\n', got)) {
		ssize_t r = conn_read(&c, resp + got, sizeof resp - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1 || status < 100 || status > 599) {
		status = 0;
		snprintf(err, errlen, got ? "not an HTTP answer" : "no answer within %d s",
			 TIMEOUT_S);
	} else if (status < 200 || status > 299) {
		snprintf(err, errlen, "HTTP %d", status);
	} else {
		err[0] = '\0';
	}
done:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(c.fd);
	return status;
}

/* ---- one delivery --------------------------------------------------------------------------- */

static void record(struct kd_webhooks *h, const struct store_delivery *d, int status,
		   const char *err)
{
	int64_t now = cm_wall_ms(), delay = 0;

	if (status < 200 || status > 299)
		delay = kd_webhooks_backoff_ms(d->attempts + 1);
	if (store_delivery_attempted(h->st, d->id, status, err, delay ? now + delay : 0, now))
		LOG_WARN("webhooks: cannot record delivery %lld: %s", (long long)d->id,
			 store_errmsg(h->st));
	if (status >= 200 && status <= 299)
		LOG_INFO("webhook %s %s delivered (attempt %d)", d->event, d->msg_id,
			 d->attempts + 1);
	else
		LOG_WARN("webhook %s %s: %s (attempt %d%s)", d->event, d->msg_id, err,
			 d->attempts + 1, delay ? ", will retry" : ", gave up");
}

static void deliver(struct kd_webhooks *h, struct store_delivery *d)
{
	char secret[WH_SECRET_MAX], sig[WH_SIG_MAX], err[400];
	struct store_webhook w;
	int64_t ts = cm_wall_ms() / 1000;
	int status, rc;

	if ((rc = store_webhook_get(h->st, d->webhook_id, &w))) {
		record(h, d, 0, rc == STORE_NOT_FOUND ? "the webhook is gone" : store_errmsg(h->st));
		return;
	}
	if (!w.enabled) {
		d->attempts = MAX_ATTEMPTS;             /* no retry: it was switched off */
		record(h, d, 0, "the webhook is disabled");
		goto out;
	}
	if (!h->have_key) {
		h->have_key = !wh_key_load(h->key_path, h->key, err, sizeof err);
		if (!h->have_key) {
			record(h, d, 0, err);
			goto out;
		}
	}
	if (wh_unseal(h->key, w.sealed, w.sealed_len, secret, sizeof secret)) {
		d->attempts = MAX_ATTEMPTS;             /* another key: retrying cannot help */
		record(h, d, 0, "the secret cannot be unsealed with this server's key file");
		goto out;
	}
	if (!d->payload) {
		if (!(d->payload = build_payload(h, d)) ||
		    store_delivery_set_payload(h->st, d->id, d->payload)) {
			record(h, d, 0, "the payload could not be built");
			goto wipe;
		}
	}
	if (wh_sign(secret, d->msg_id, ts, d->payload, strlen(d->payload), sig)) {
		d->attempts = MAX_ATTEMPTS;
		record(h, d, 0, "malformed secret");
		goto wipe;
	}
	status = post(h, w.url, d->msg_id, ts, sig, d->payload, err, sizeof err);
	record(h, d, status, err);
wipe:
	OPENSSL_cleanse(secret, sizeof secret);
out:
	store_webhook_clear(&w);
}

/* ---- the thread ----------------------------------------------------------------------------- */

static void *webhooks_main(void *arg)
{
	struct kd_webhooks *h = arg;

	pthread_setname_np(pthread_self(), "kd-webhooks");
	for (;;) {
		struct store_delivery d;
		int64_t now = cm_wall_ms(), next = 0;
		int rc = store_delivery_due(h->st, now, &d);

		if (rc == 0) {
			deliver(h, &d);
			store_delivery_clear(&d);
		} else {
			if (rc < 0)
				LOG_WARN("webhooks: %s", store_errmsg(h->st));
			if (store_delivery_next_ms(h->st, &next))
				next = 0;
		}
		/* more may be due at once; else sleep until the next retry falls due, POLL_MS
		 * at most (new events) */
		int64_t wait = rc == 0 ? 0 : next > now && next - now < POLL_MS ? next - now
								    : POLL_MS;
		if (cm_stopper_sleep(&h->stop, wait))
			break;
	}
	return NULL;
}

struct kd_webhooks *kd_webhooks_start(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_webhooks *h = calloc(1, sizeof *h);
	char path[sizeof conf->models + 32], why[256];

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cm_stopper_init(&h->stop);
	snprintf(h->key_path, sizeof h->key_path, "%s%s", conf->db, WH_KEY_SUFFIX);
	if (!(h->st = store_open(conf->db, err, errlen)))
		goto fail;
	/* the summariser as the API's: GloVe when the models folder has it (mmapped, so
	 * the pages are shared) */
	snprintf(path, sizeof path, "%s/glove-100d.kfv", conf->models);
	if (!(h->summary = sum_ctx_create(path, why, sizeof why)))
		h->summary = sum_ctx_create(NULL, why, sizeof why);
	if (!h->summary)
		LOG_WARN("webhooks: hand-offs without the summary card: %s", why);
	if ((h->tls = SSL_CTX_new(TLS_client_method()))) {
		SSL_CTX_set_verify(h->tls, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_min_proto_version(h->tls, TLS1_2_VERSION);
		if (SSL_CTX_set_default_verify_paths(h->tls) != 1)
			LOG_WARN("webhooks: no system CA certificates: https endpoints will fail");
	}
	if (pthread_create(&h->thread, NULL, webhooks_main, h)) {
		snprintf(err, errlen, "cannot start the webhook thread");
		goto fail;
	}
	return h;
fail:
	if (h->st)
		store_close(h->st);
	sum_ctx_destroy(h->summary);
	SSL_CTX_free(h->tls);
	cm_stopper_destroy(&h->stop);
	free(h);
	return NULL;
}

void kd_webhooks_stop(struct kd_webhooks *h)
{
	if (!h)
		return;
	cm_stopper_stop(&h->stop);
	pthread_join(h->thread, NULL);
	store_close(h->st);
	sum_ctx_destroy(h->summary);
	SSL_CTX_free(h->tls);
	OPENSSL_cleanse(h->key, sizeof h->key);
	cm_stopper_destroy(&h->stop);
	free(h);
}
