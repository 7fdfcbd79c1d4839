/* daemon/tls.c — HTTPS/WSS in kefud: the certificate checks, the lws vhost settings,
 * HSTS and the SIGHUP reload (see tls.h).  kd_tls_check runs on any thread,
 * kd_tls_setup/kd_tls_started on the main thread at start, kd_tls_reload_prepare on
 * the signal thread and the protocol callback on the lws service thread.
 */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"

#define KD_TLS_PROTOCOL "kefu-tls-reload"   /* never accepts a connection */

/* The last OpenSSL error as text ("" if none), and clears the queue. */
static const char *ssl_why(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	buf[0] = '\0';
	if (e)
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* An encrypted key would make OpenSSL ask on the terminal: kefud has none to ask on. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

int kd_tls_check(const char *cert, const char *key, long *days_left, char *err,
		 size_t errlen)
{
	char why[256];
	FILE *fc = NULL, *fk = NULL;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	int rc = -1, day = 0, sec = 0;

	if (!(fc = fopen(cert, "r"))) {
		snprintf(err, errlen, "tls_cert %s: %s", cert, strerror(errno));
		goto out;
	}
	if (!(fk = fopen(key, "r"))) {
		snprintf(err, errlen, "tls_key %s: %s", key, strerror(errno));
		goto out;
	}
	if (!(x = PEM_read_X509(fc, NULL, NULL, NULL))) {
		snprintf(err, errlen, "tls_cert %s: no PEM certificate in it (%s)", cert,
			 ssl_why(why, sizeof why));
		goto out;
	}
	if (!(pk = PEM_read_PrivateKey(fk, NULL, no_passphrase, NULL))) {
		snprintf(err, errlen, "tls_key %s: no unencrypted PEM private key in it (%s)", key,
			 ssl_why(why, sizeof why));
		goto out;
	}
	if (X509_check_private_key(x, pk) != 1) {
		snprintf(err, errlen, "tls_key %s is not the key of tls_cert %s", key, cert);
		ERR_clear_error();
		goto out;
	}
	if (days_left) {
		*days_left = 0;
		if (ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)))
			*days_left = day;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	if (fc)
		fclose(fc);
	if (fk)
		fclose(fk);
	return rc;
}

static void log_expiry(const char *cert, long days)
{
	if (days < 0)
		LOG_ERR("tls_cert %s expired %ld days ago: browsers will refuse it", cert, -days);
	else if (days < 14)
		LOG_WARN("tls_cert %s expires in %ld days", cert, days);
}

/* The reload protocol: nothing connects to it; the loop's wake-up runs the swap. */
static int tls_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			void *in, size_t len)
{
	const struct lws_protocols *p = lws_get_protocol(wsi);
	struct kd_tls *t = p ? p->user : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return 1;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (t && t->ctx && atomic_exchange(&t->pending, 0)) {
			if (lws_tls_cert_updated(t->ctx, t->cert, t->key, NULL, 0, NULL, 0)) {
				atomic_fetch_add(&t->failed, 1);
				LOG_ERR("SIGHUP: the certificate was not reloaded");
			} else {
				atomic_fetch_add(&t->reloads, 1);
				LOG_INFO("SIGHUP: certificate %s reloaded", t->cert);
			}
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* 0 ok (days set when TLS is on), -1 with a message in err. */
static int conf_check(const struct kefu_conf *conf, long *days, char *err, size_t errlen)
{
	if (!conf->tls_cert[0] && !conf->tls_key[0])
		return 0;
	if (!conf->tls_cert[0] || !conf->tls_key[0]) {
		snprintf(err, errlen, "%s is set but %s is not: TLS needs both",
			 conf->tls_cert[0] ? "tls_cert" : "tls_key",
			 conf->tls_cert[0] ? "tls_key" : "tls_cert");
		return -1;
	}
	return kd_tls_check(conf->tls_cert, conf->tls_key, days, err, errlen);
}

int kd_tls_conf_check(const struct kefu_conf *conf, char *err, size_t errlen)
{
	long days;

	return conf_check(conf, &days, err, errlen);
}

int kd_tls_setup(struct kd_tls *t, const struct kefu_conf *conf,
		 struct lws_context_creation_info *info, struct lws_protocols *proto,
		 char *err, size_t errlen)
{
	long days = 0;

	memset(t, 0, sizeof *t);
	if (conf_check(conf, &days, err, errlen))
		return -1;
	if (!conf->tls_cert[0])
		return 0;
	log_expiry(conf->tls_cert, days);
	t->on = 1;
	t->cert = conf->tls_cert;
	t->key = conf->tls_key;
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = t->cert;
	info->ssl_private_key_filepath = t->key;
	info->ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	/* HTTP/1.1 only: the routes and the WebSocket upgrade read HTTP/1 headers (an h2
	 * request's path is :path, and browsers would open WebSockets over h2 streams) */
	info->alpn = "http/1.1";
	if (conf->hsts_max_age > 0) {
		snprintf(t->hsts_value, sizeof t->hsts_value, "max-age=%d", conf->hsts_max_age);
		t->hsts.next = info->headers;
		t->hsts.name = "strict-transport-security:";
		t->hsts.value = t->hsts_value;
		info->headers = &t->hsts;
	}
	*proto = (struct lws_protocols){ .name = KD_TLS_PROTOCOL, .callback = tls_callback,
					 .user = t };
	return 0;
}

void kd_tls_started(struct kd_tls *t, struct lws_context *ctx)
{
	t->ctx = ctx;
}

int kd_tls_reload_prepare(struct kd_tls *t, char *err, size_t errlen)
{
	long days;

	if (!t->on)
		return 1;
	if (kd_tls_check(t->cert, t->key, &days, err, errlen)) {
		atomic_fetch_add(&t->failed, 1);
		return -1;
	}
	log_expiry(t->cert, days);
	atomic_store(&t->pending, 1);
	return 0;
}
