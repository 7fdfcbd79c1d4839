/* daemon/tls.h — kefud serving HTTPS and WSS itself: `tls_cert` / `tls_key` checked at
 * start (a clear error when missing, unreadable, not PEM or not a pair), handed to
 * libwebsockets with OpenSSL (HTTP/1.1 only), the Strict-Transport-Security header, and the certificate
 * reloaded on SIGHUP without closing a connection (lws_tls_cert_updated swaps the
 * vhost's certificate; open connections keep theirs, new handshakes get the new one).
 *
 * THREADS.  kd_tls_setup runs on the main thread before the lws context exists.  The
 * reload is in two halves: kd_tls_reload_prepare on the signal thread checks the files
 * and raises a flag; the server then wakes its loop, and the protocol kd_tls_setup
 * fills in (its EVENT_WAIT_CANCELLED) swaps the certificate on the service thread, the
 * only thread that may touch the vhost.
 */
#ifndef KEFU_DAEMON_TLS_H
#define KEFU_DAEMON_TLS_H

#include <libwebsockets.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct kefu_conf;

struct kd_tls {
	int on;
	const char *cert, *key;                  /* conf's paths */
	char hsts_value[64];
	struct lws_protocol_vhost_options hsts;  /* put before the other headers */
	struct lws_context *ctx;                 /* set by kd_tls_started */
	atomic_int pending;                      /* a checked reload waits for the loop */
	atomic_uint_fast64_t reloads, failed;    /* counted for the log and tests */
};

/* Checks a certificate chain and its key: both readable PEM, the key the chain's first
 * certificate's.  0 ok; -1 with a message in err.  *days_left (if not NULL) gets the
 * days until the certificate expires (negative: expired).  Any thread. */
int kd_tls_check(const char *cert, const char *key, long *days_left, char *err,
		 size_t errlen);

/* conf's tls_cert and tls_key: both or neither, and when both, kd_tls_check.  0 ok (or
 * TLS off), -1 with a message in err.  kefud calls it first, before the slow model
 * loading, so a bad certificate stops it at once. */
int kd_tls_conf_check(const struct kefu_conf *conf, char *err, size_t errlen);

/* When conf sets tls_cert and tls_key: checks them and fills info for a TLS vhost (the
 * files, OpenSSL's global init, TLS 1.2 at least, HSTS before info->headers) and proto
 * with the protocol that performs reloads.  Without either: TLS stays off, proto is
 * left zeroed.  One without the other is an error.  0 ok, -1 with a message in err. */
int kd_tls_setup(struct kd_tls *t, const struct kefu_conf *conf,
		 struct lws_context_creation_info *info, struct lws_protocols *proto,
		 char *err, size_t errlen);
/* After lws_create_context: the context reloads apply to.  Main thread. */
void kd_tls_started(struct kd_tls *t, struct lws_context *ctx);

/* SIGHUP, signal thread: checks the files again.  0: a reload is pending (wake the
 * service loop); 1: TLS is off; -1: the files are bad (err says why; the current
 * certificate stays). */
int kd_tls_reload_prepare(struct kd_tls *t, char *err, size_t errlen);

#endif
