/* tools/kefu-voice/wsclient.c — the WebSocket client of kefu-voice (wsclient.h).
 *
 * DESIGN
 * The service thread (run_service) connects and runs lws_service until told to stop; every
 * call on the connection happens there.  The context is created by kv_ws_open before that
 * thread starts and destroyed by kv_ws_close after it is joined; lws_cancel_service is the
 * only lws call other threads make.  They talk to the service thread through struct kv_ws
 * under c->lock:
 *   - tx: messages to send, oldest first.  kv_ws_send appends and calls lws_cancel_service
 *     (safe from any thread); in EVENT_WAIT_CANCELLED the service thread asks for
 *     CLIENT_WRITEABLE, where it writes one fragment of at most TX_CHUNK bytes per callback
 *     and asks again while anything is left (a 700 kB clip goes out as fragments, so the
 *     service loop never blocks on one big write).
 *   - rx: whole received messages, a bounded queue (common/queue.h, its own lock);
 *     fragments are gathered in c->cur (service thread only) until the last one.  The queue
 *     is closed when the connection is, which wakes a reader.
 *   - c->cond wakes kv_ws_open when the handshake is done or has failed.
 *   - state (CONNECTING, OPEN, CLOSED) and the reason of a failure or close.
 * The URL is parsed on the caller's thread before the service thread starts.  A wss:// URL
 * makes the connection TLS (OpenSSL through lws): the server's certificate must verify
 * against --ca-file, or the system's trusted certificates without it, and name the host.
 */
#include "wsclient.h"

#include <errno.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "queue.h"

#define TX_CHUNK 32768
#define RX_MAX (64u << 20)       /* a spoken reply of 60 s is 1.9 MB; anything bigger is wrong */
#define RX_QUEUE 1024            /* messages not yet read; kefud sends at most 4 per turn */

enum { ST_CONNECTING, ST_OPEN, ST_CLOSED };

struct tx_item {
	struct tx_item *next;
	size_t len, off;
	int binary;
	unsigned char buf[];         /* LWS_PRE bytes, then the message */
};

struct kv_ws {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* guarded by lock */
	int state, stop, closing;
	char why[256];
	struct tx_item *tx, **tx_tail;
	struct cm_queue *rx;         /* struct kv_msg * */
	struct lws_context *ctx;     /* set before the thread starts, freed after it ends */
	/* service thread only */
	struct lws *wsi;
	char *cur;
	size_t ncur, capcur;
	int cur_binary, cur_skip;
	/* set before the thread starts, read-only after */
	char host[256], path[512], hosthdr[300];
	int port, tls;
};

static int verbose_lws;
static const char *ca_file;      /* NULL: the system's trusted certificates */

void kv_ws_verbose(int on)
{
	verbose_lws = on;
}

void kv_ws_ca_file(const char *path)
{
	ca_file = path;
}

/* Sets the state and the reason (if none yet) and wakes waiters.  Takes the lock. */
static void set_state(kv_ws *c, int st, const char *why)
{
	pthread_mutex_lock(&c->lock);
	c->state = st;
	if (why && !c->why[0])
		snprintf(c->why, sizeof c->why, "%s", why);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (st == ST_CLOSED)
		cm_queue_close(c->rx);   /* after the state: a woken reader sees CLOSED */
}

/* Service thread: a whole message arrived in c->cur; queue it. */
static void rx_done(kv_ws *c)
{
	struct kv_msg *m = malloc(sizeof *m);
	if (!m)
		return;                  /* dropped: the reader times out and says so */
	m->data = c->cur;
	m->len = c->ncur;
	m->binary = c->cur_binary;
	c->cur = NULL;
	c->ncur = c->capcur = 0;
	if (cm_queue_try_push(c->rx, m) != 0) {
		free(m->data);           /* nobody reads: dropped, the reader times out */
		free(m);
	}
}

/* Service thread: appends a received fragment to c->cur.  -1 when it is too big. */
static int rx_add(kv_ws *c, const void *in, size_t len)
{
	if (len > RX_MAX || cm_grow_cap(c->capcur, c->ncur + len + 1, 4096, 1) > RX_MAX)
		return -1;
	char *p = cm_grow(c->cur, &c->capcur, c->ncur + len + 1, 1, 4096);
	if (!p)
		return -1;
	c->cur = p;
	memcpy(c->cur + c->ncur, in, len);
	c->ncur += len;
	c->cur[c->ncur] = '\0';
	return 0;
}

/* Service thread: writes one fragment of the oldest queued message.  0, or -1 to close. */
static int tx_write(kv_ws *c, struct lws *wsi)
{
	pthread_mutex_lock(&c->lock);
	struct tx_item *it = c->tx;
	int closing = c->closing;
	pthread_mutex_unlock(&c->lock);
	if (!it) {
		if (closing) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		return 0;
	}
	size_t n = it->len - it->off < TX_CHUNK ? it->len - it->off : TX_CHUNK;
	int flags = lws_write_ws_flags(it->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
				       it->off == 0, it->off + n == it->len);
	/* the LWS_PRE bytes before this fragment are ours: the message's head or what was sent */
	if (lws_write(wsi, it->buf + LWS_PRE + it->off, n, (enum lws_write_protocol)flags) < (int)n)
		return -1;
	it->off += n;
	pthread_mutex_lock(&c->lock);
	if (it->off == it->len) {
		c->tx = it->next;
		if (!c->tx)
			c->tx_tail = &c->tx;
		free(it);
	}
	int more = c->tx != NULL || c->closing;
	pthread_mutex_unlock(&c->lock);
	if (more)
		lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	kv_ws *c = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		/* user is the client SSL_CTX: without --ca-file, trust what the system trusts */
		if (!ca_file && user && !SSL_CTX_set_default_verify_paths(user))
			return 1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
		char why[200];
		SSL *ssl = c->tls && wsi ? lws_get_ssl(wsi) : NULL;
		long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
		if (v != X509_V_OK)     /* say why, not OpenSSL's "reason(1)" */
			snprintf(why, sizeof why, "the server's TLS certificate is not trusted: %s "
				 "(see --ca-file)", X509_verify_cert_error_string(v));
		else
			snprintf(why, sizeof why, "%.150s", in && len ? (const char *)in
							    : "connection failed");
		c->wsi = NULL;
		set_state(c, ST_CLOSED, why);
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		set_state(c, ST_OPEN, NULL);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi)) {
			c->ncur = 0;
			c->cur_binary = lws_frame_is_binary(wsi);
			c->cur_skip = 0;
		}
		if (!c->cur_skip && rx_add(c, in, len) < 0) {
			c->cur_skip = 1;     /* too big: drop this message, keep the connection */
			free(c->cur);
			c->cur = NULL;
			c->ncur = c->capcur = 0;
		}
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi) &&
		    !c->cur_skip) {
			if (!c->cur && rx_add(c, "", 0) < 0)
				break;
			rx_done(c);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return tx_write(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len > 2) {
			char why[200];
			unsigned code = ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1];
			snprintf(why, sizeof why, "closed by the server (%u: %.*s)", code,
				 (int)(len - 2 > 150 ? 150 : len - 2), (char *)in + 2);
			set_state(c, ST_OPEN, why);   /* still open: keeps the reason */
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		c->wsi = NULL;
		set_state(c, ST_CLOSED, "connection closed by the server");
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (c && c->wsi)
			lws_callback_on_writable(c->wsi);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "kefu.v1", callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *run_service(void *arg)
{
	kv_ws *c = arg;
	struct lws_client_connect_info cc;
	memset(&cc, 0, sizeof cc);
	cc.context = c->ctx;
	cc.address = c->host;
	cc.port = c->port;
	cc.path = c->path;
	cc.host = c->hosthdr;
	cc.protocol = protocols[0].name;
	cc.pwsi = &c->wsi;
	cc.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;   /* certificate and name verified */
	if (!lws_client_connect_via_info(&cc) && !c->wsi)
		set_state(c, ST_CLOSED, "cannot connect");
	for (;;) {
		pthread_mutex_lock(&c->lock);
		int stop = c->stop || (c->closing && c->state == ST_CLOSED);
		pthread_mutex_unlock(&c->lock);
		if (stop)
			break;
		lws_service(c->ctx, 0);
	}
	return NULL;
}

/* Splits url into c->host, c->port, c->path.  0, or -1 with a message in err. */
static int parse_url(kv_ws *c, const char *url, char *err, size_t errlen)
{
	char tmp[1024];
	const char *prot, *ads, *path;
	int port;

	c->tls = !strncmp(url, "wss://", 6);
	if (strlen(url) >= sizeof tmp || (strncmp(url, "ws://", 5) && !c->tls)) {
		snprintf(err, errlen, "bad URL '%s' (expected ws:// or wss://HOST:PORT/PATH)", url);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s", url);
	if (lws_parse_uri(tmp, &prot, &ads, &port, &path) || !*ads) {
		snprintf(err, errlen, "bad URL '%s'", url);
		return -1;
	}
	if (c->tls && !strchr(url + 6, ':') && port == 80)
		port = 443;
	snprintf(c->host, sizeof c->host, "%s", ads);
	c->port = port;
	snprintf(c->path, sizeof c->path, "/%s", path);
	snprintf(c->hosthdr, sizeof c->hosthdr, "%s:%d", ads, port);
	return 0;
}

kv_ws *kv_ws_open(const char *url, int timeout_ms, int *bad_url, char *err, size_t errlen)
{
	kv_ws *c = calloc(1, sizeof *c);
	*bad_url = 0;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_url(c, url, err, errlen) < 0) {
		*bad_url = 1;
		free(c);
		return NULL;
	}
	c->rx = cm_queue_create(RX_QUEUE);
	if (!c->rx) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->tx_tail = &c->tx;
	c->state = ST_CONNECTING;
	lws_set_log_level(verbose_lws ? LLL_ERR | LLL_WARN | LLL_NOTICE : 0, NULL);

	/* the context is made here, before the service thread exists, and destroyed after it
	 * is joined: c->ctx never changes while another thread can see it */
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	info.gid = -1;
	info.uid = -1;
	if (c->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = ca_file;
	}
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		snprintf(err, errlen, "libwebsockets could not start");
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		cm_queue_destroy(c->rx);
		free(c);
		return NULL;
	}
	if (pthread_create(&c->thread, NULL, run_service, c)) {
		snprintf(err, errlen, "cannot start a thread");
		lws_context_destroy(c->ctx);
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		cm_queue_destroy(c->rx);
		free(c);
		return NULL;
	}
	struct timespec until = cm_deadline(timeout_ms);
	pthread_mutex_lock(&c->lock);
	int rc = 0;
	while (c->state == ST_CONNECTING && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	int st = c->state;
	if (st == ST_CONNECTING)
		snprintf(err, errlen, "no handshake within %d ms", timeout_ms);
	else if (st == ST_CLOSED)
		snprintf(err, errlen, "%s", c->why);
	pthread_mutex_unlock(&c->lock);
	if (st != ST_OPEN) {
		kv_ws_close(c);
		return NULL;
	}
	return c;
}

int kv_ws_send(kv_ws *c, const void *data, size_t len, int binary)
{
	struct tx_item *it = malloc(sizeof *it + LWS_PRE + len);
	if (!it)
		return -1;
	it->next = NULL;
	it->len = len;
	it->off = 0;
	it->binary = binary;
	memcpy(it->buf + LWS_PRE, data, len);
	pthread_mutex_lock(&c->lock);
	if (c->state != ST_OPEN) {
		pthread_mutex_unlock(&c->lock);
		free(it);
		return -1;
	}
	*c->tx_tail = it;
	c->tx_tail = &it->next;
	pthread_mutex_unlock(&c->lock);
	lws_cancel_service(c->ctx);
	return 0;
}

int kv_ws_recv(kv_ws *c, struct kv_msg *m, int timeout_ms, char *err, size_t errlen)
{
	void *item;
	if (cm_queue_pop_many(c->rx, &item, 1, timeout_ms) == 1) {
		*m = *(struct kv_msg *)item;
		free(item);
		return 1;
	}
	pthread_mutex_lock(&c->lock);
	int closed = c->state == ST_CLOSED;
	if (closed)
		snprintf(err, errlen, "%s", c->why[0] ? c->why : "connection closed");
	pthread_mutex_unlock(&c->lock);
	return closed ? -1 : 0;
}

void kv_ws_close(kv_ws *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->closing = 1;
	int open = c->state == ST_OPEN;
	pthread_mutex_unlock(&c->lock);
	if (open) {
		/* let the close handshake go out, a moment at most */
		lws_cancel_service(c->ctx);
		struct timespec until = cm_deadline(1000);
		pthread_mutex_lock(&c->lock);
		int rc = 0;
		while (c->state != ST_CLOSED && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_mutex_unlock(&c->lock);
	lws_cancel_service(c->ctx);
	pthread_join(c->thread, NULL);
	/* the service thread is gone: its lws objects are destroyed here (the callbacks that
	 * run during the destroy only take c->lock) */
	lws_context_destroy(c->ctx);
	free(c->cur);
	while (c->tx) {
		struct tx_item *it = c->tx;
		c->tx = it->next;
		free(it);
	}
	void *item;
	while (cm_queue_pop_many(c->rx, &item, 1, 0) == 1) {
		free(((struct kv_msg *)item)->data);
		free(item);
	}
	cm_queue_destroy(c->rx);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
