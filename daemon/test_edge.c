/* daemon/test_edge.c — unit tests of the edge's parts that need no connection
 * (edge.c): the address-block lists of trusted_proxies / ip_limit_exempt, and the
 * per-address limits on a clock the test sets (open chats, the per-minute token bucket,
 * IPv6 counted by /64, exempt addresses, the idle sweep; HTTP connections, a pool of
 * their own; failed sign-ins).  Main thread only.  The
 * X-Forwarded-For reading needs a request: tests/integration/test_edge.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "edge.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

#define SEC 1000000ull

static void test_cidrs(void)
{
	struct kd_cidrs c;
	char err[256];

	CHECK(kd_cidrs_parse(&c, "", "x", err, sizeof err) == 0 && c.n == 0);
	CHECK(!kd_cidrs_match(&c, "127.0.0.1"));
	CHECK(kd_cidrs_parse(&c, " 10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32", "x", err,
			     sizeof err) == 0 && c.n == 4);
	CHECK(kd_cidrs_match(&c, "10.255.1.2"));
	CHECK(!kd_cidrs_match(&c, "11.0.0.1"));
	CHECK(kd_cidrs_match(&c, "192.0.2.7"));
	CHECK(!kd_cidrs_match(&c, "192.0.2.8"));
	CHECK(kd_cidrs_match(&c, "::1"));
	CHECK(kd_cidrs_match(&c, "::ffff:10.1.1.1"));     /* IPv4-mapped is the IPv4 */
	CHECK(kd_cidrs_match(&c, "2001:db8:ffff::9"));
	CHECK(!kd_cidrs_match(&c, "2001:db9::1"));
	CHECK(!kd_cidrs_match(&c, "not an address"));
	CHECK(kd_cidrs_parse(&c, "0.0.0.0/0", "x", err, sizeof err) == 0);
	CHECK(kd_cidrs_match(&c, "203.0.113.1") && !kd_cidrs_match(&c, "2001:db8::1"));
	CHECK(kd_cidrs_parse(&c, "10.0.0.0/33", "trusted_proxies", err, sizeof err) == -1);
	CHECK(strstr(err, "trusted_proxies") && strstr(err, "10.0.0.0/33"));
	CHECK(kd_cidrs_parse(&c, "10.0.0.0/", "x", err, sizeof err) == -1);
	CHECK(kd_cidrs_parse(&c, "10.0.0.0/8x", "x", err, sizeof err) == -1);
	CHECK(kd_cidrs_parse(&c, "proxy.example", "x", err, sizeof err) == -1);
	CHECK(kd_cidrs_parse(&c, "::1/129", "x", err, sizeof err) == -1);
}

/* Opens e on c (its limits set by the test) with the exempt addresses given. */
static void edge_from(struct kd_edge *e, struct kefu_conf *c, const char *exempt)
{
	char err[256];

	snprintf(c->ip_limit_exempt, sizeof c->ip_limit_exempt, "%s", exempt);
	CHECK(kd_edge_init(e, c, err, sizeof err) == 0);
}

static void edge_with(struct kd_edge *e, int conns, int per_minute, const char *exempt)
{
	struct kefu_conf c;

	conf_defaults(&c);
	c.max_conns_per_ip = conns;
	c.sessions_per_ip_minute = per_minute;
	edge_from(e, &c, exempt);
}

static void test_limits(void)
{
	struct kd_edge e;
	uint64_t t = 1000 * SEC;
	int retry;

	edge_with(&e, 2, 3, "192.0.2.0/24");
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_CONNS);
	CHECK(kd_edge_admit(&e, "203.0.113.2", t, &retry) == KD_EDGE_OK);  /* someone else */
	kd_edge_leave(&e, "203.0.113.1");
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);  /* 3rd token */
	kd_edge_leave(&e, "203.0.113.1");
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_RATE);
	CHECK(retry >= 1 && retry <= 21);                 /* one token every 20 s */
	CHECK(kd_edge_admit(&e, "203.0.113.1", t + 21 * SEC, &retry) == KD_EDGE_OK);
	CHECK(e.refused_conns == 1 && e.refused_rate == 1);
	/* exempt: never counted */
	for (int i = 0; i < 10; i++)
		CHECK(kd_edge_admit(&e, "192.0.2.9", t, &retry) == KD_EDGE_OK);
	/* IPv6: one /64 is one client; the next /64 another */
	CHECK(kd_edge_admit(&e, "2001:db8:1:2::1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "2001:db8:1:2:ffff::9", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "2001:db8:1:2::77", t, &retry) == KD_EDGE_CONNS);
	CHECK(kd_edge_admit(&e, "2001:db8:1:3::1", t, &retry) == KD_EDGE_OK);
	/* leaving more often than admitted never goes below zero */
	for (int i = 0; i < 5; i++)
		kd_edge_leave(&e, "203.0.113.2");
	CHECK(kd_edge_admit(&e, "203.0.113.2", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "203.0.113.2", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_admit(&e, "203.0.113.2", t, &retry) == KD_EDGE_CONNS);
	kd_edge_free(&e);

	/* 0 = no limit; the idle sweep keeps the table bounded */
	edge_with(&e, 0, 0, "");
	for (int i = 0; i < 100; i++)
		CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	kd_edge_free(&e);
	edge_with(&e, 5, 60, "");
	char ip[48];
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		CHECK(kd_edge_admit(&e, ip, t, &retry) == KD_EDGE_OK);
		kd_edge_leave(&e, ip);
	}
	for (int i = 0; i < 4096; i++) {
		snprintf(ip, sizeof ip, "172.16.%d.%d", i >> 8, i & 255);
		kd_edge_admit(&e, ip, t + 120 * SEC, &retry);
	}
	CHECK(e.n == 4096);       /* the 5000 idle ones swept, the 4096 open ones kept */
	kd_edge_free(&e);
}

/* HTTP requests: a bucket of their own (requests_per_ip_minute), not the WebSockets'. */
static void test_requests(void)
{
	struct kefu_conf c;
	struct kd_edge e;
	char err[256];
	uint64_t t = 1000 * SEC;
	int retry;

	conf_defaults(&c);
	c.max_conns_per_ip = 1;
	c.sessions_per_ip_minute = 1;
	c.requests_per_ip_minute = 4;
	edge_from(&e, &c, "192.0.2.0/24");
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);   /* a chat */
	for (int i = 0; i < 4; i++)
		CHECK(kd_edge_request(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_request(&e, "203.0.113.1", t, &retry) == KD_EDGE_REQUESTS);
	CHECK(retry >= 1 && retry <= 16);                 /* one request every 15 s */
	CHECK(kd_edge_request(&e, "203.0.113.2", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_request(&e, "203.0.113.1", t + 16 * SEC, &retry) == KD_EDGE_OK);
	for (int i = 0; i < 10; i++)
		CHECK(kd_edge_request(&e, "192.0.2.9", t, &retry) == KD_EDGE_OK);  /* exempt */
	CHECK(e.refused_requests == 1 && e.refused_conns == 0 && e.refused_rate == 0);
	CHECK(!strcmp(kd_edge_code(KD_EDGE_CONNS), "too_many_connections"));
	CHECK(!strcmp(kd_edge_code(KD_EDGE_RATE), "too_many_sessions"));
	CHECK(!strcmp(kd_edge_code(KD_EDGE_REQUESTS), "too_many_requests"));
	CHECK(kd_edge_code(KD_EDGE_OK) == NULL);
	size_t len = 3;
	char *text = strdup("x\n\n"), *m = kd_edge_metrics_append(&e, text, &len);
	CHECK(m && strstr(m, "kefu_edge_refused_total{code=\"too_many_requests\"} 1\n") &&
	      len == strlen(m));
	free(m);
	kd_edge_free(&e);
	c.requests_per_ip_minute = 0;                     /* 0 = no limit */
	CHECK(kd_edge_init(&e, &c, err, sizeof err) == 0);
	for (int i = 0; i < 100; i++)
		CHECK(kd_edge_request(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	kd_edge_free(&e);
}

/* HTTP connections: counted per client from their first request until closed, a pool of
 * their own; a proxy's connection moves to the client of each request; IPv6 per /64. */
static void test_http_conns(void)
{
	struct kefu_conf c;
	struct kd_edge e;
	struct kd_edge_conn *k[4] = { 0 }, *other = NULL, *ex = NULL, *v6[3] = { 0 };
	char err[256];
	uint64_t t = 1000 * SEC;
	int retry;

	conf_defaults(&c);
	c.max_conns_per_ip = 1;
	c.max_http_conns_per_ip = 3;
	edge_from(&e, &c, "192.0.2.0/24");
	CHECK(kd_edge_admit(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);   /* a chat */
	for (int i = 0; i < 3; i++) {
		CHECK(kd_edge_conn_request(&e, &k[i], "203.0.113.1", t) == KD_EDGE_OK);
		CHECK(k[i] != NULL);
	}
	struct kd_edge_conn *same = k[0];
	CHECK(kd_edge_conn_request(&e, &k[0], "203.0.113.1", t) == KD_EDGE_OK);  /* next request */
	CHECK(k[0] == same);
	CHECK(kd_edge_conn_request(&e, &k[3], "203.0.113.1", t) == KD_EDGE_CONNS);
	CHECK(k[3] == NULL && e.refused_http_conns == 1 && e.refused_conns == 0);
	CHECK(kd_edge_conn_request(&e, &other, "203.0.113.2", t) == KD_EDGE_OK);
	for (int i = 0; i < 5; i++) {                     /* exempt: never counted */
		CHECK(kd_edge_conn_request(&e, &ex, "192.0.2.9", t) == KD_EDGE_OK);
		CHECK(ex == NULL);
	}
	kd_edge_conn_close(k[1]);                         /* a place is free again */
	k[1] = NULL;
	CHECK(kd_edge_conn_request(&e, &k[3], "203.0.113.1", t) == KD_EDGE_OK);
	/* a proxy's connection carrying 203.0.113.1 now carries .2: .1 gets a place back */
	CHECK(kd_edge_conn_request(&e, &k[3], "203.0.113.2", t) == KD_EDGE_OK);
	CHECK(kd_edge_conn_request(&e, &k[1], "203.0.113.1", t) == KD_EDGE_OK);
	CHECK(kd_edge_conn_request(&e, &v6[0], "2001:db8:1:2::1", t) == KD_EDGE_OK);
	CHECK(kd_edge_conn_request(&e, &v6[1], "2001:db8:1:2::2", t) == KD_EDGE_OK);
	CHECK(kd_edge_conn_request(&e, &v6[2], "2001:db8:1:2:ffff::3", t) == KD_EDGE_OK);
	struct kd_edge_conn *v6b = NULL;
	CHECK(kd_edge_conn_request(&e, &v6b, "2001:db8:1:2::4", t) == KD_EDGE_CONNS);
	CHECK(kd_edge_conn_request(&e, &v6b, "2001:db8:1:3::4", t) == KD_EDGE_OK);
	/* idle entries are swept, ones holding HTTP connections are not */
	kd_edge_leave(&e, "203.0.113.1");                 /* the chat closes */
	for (int i = 0; i < 5000; i++)
		kd_edge_request(&e, "198.51.100.1", t + 120 * SEC, &retry);
	struct kd_edge_conn *more = NULL;
	CHECK(kd_edge_conn_request(&e, &more, "203.0.113.1", t + 120 * SEC) == KD_EDGE_CONNS);
	size_t len = 0;
	char *m = kd_edge_metrics_append(&e, strdup(""), &len);
	CHECK(m && strstr(m, "kefu_edge_refused_total{code=\"too_many_connections\"} 3\n"));
	free(m);
	for (int i = 0; i < 4; i++)
		kd_edge_conn_close(k[i]);
	for (int i = 0; i < 3; i++)
		kd_edge_conn_close(v6[i]);
	kd_edge_conn_close(v6b);
	kd_edge_conn_close(other);
	CHECK(kd_edge_conn_request(&e, &more, "203.0.113.1", t + 120 * SEC) == KD_EDGE_OK);
	kd_edge_conn_close(more);
	more = NULL;
	kd_edge_free(&e);
	c.max_http_conns_per_ip = 0;                      /* 0 = no limit */
	CHECK(kd_edge_init(&e, &c, err, sizeof err) == 0);
	CHECK(kd_edge_conn_request(&e, &more, "203.0.113.1", t) == KD_EDGE_OK && !more);
	kd_edge_free(&e);
}

/* Accepted connections, before their first byte: counted against their peer (an
 * IPv4-mapped peer as IPv4), one beyond the limit refused at admission; a trusted
 * proxy's not counted until its requests name their clients. */
static void test_accepted_conns(void)
{
	struct kefu_conf c;
	struct kd_edge e;
	struct kd_edge_conn *k[3] = { 0 }, *px = NULL, *again = NULL;
	char err[256];
	uint64_t t = 1000 * SEC;

	conf_defaults(&c);
	c.max_http_conns_per_ip = 3;
	snprintf(c.trusted_proxies, sizeof c.trusted_proxies, "10.0.0.1");
	CHECK(kd_edge_init(&e, &c, err, sizeof err) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(kd_edge_conn_admit(&e, "::ffff:203.0.113.7", t) == KD_EDGE_OK);
		kd_edge_conn_accept(&e, &k[i], "::ffff:203.0.113.7", t);
		CHECK(k[i] != NULL);
	}
	CHECK(kd_edge_conn_admit(&e, "203.0.113.7", t) == KD_EDGE_CONNS);  /* silent ones count */
	CHECK(e.refused_http_conns == 1);
	struct kd_edge_conn *same = k[0];                 /* its first request: the same record */
	CHECK(kd_edge_conn_request(&e, &k[0], "203.0.113.7", t) == KD_EDGE_OK && k[0] == same);
	for (int i = 0; i < 5; i++) {                     /* a trusted proxy: admitted, uncounted */
		CHECK(kd_edge_conn_admit(&e, "10.0.0.1", t) == KD_EDGE_OK);
		kd_edge_conn_accept(&e, &px, "10.0.0.1", t);
		CHECK(px == NULL);
	}
	kd_edge_conn_close(k[2]);                         /* one goes: a place is free */
	CHECK(kd_edge_conn_admit(&e, "203.0.113.7", t) == KD_EDGE_OK);
	kd_edge_conn_accept(&e, &again, "203.0.113.7", t);
	CHECK(again != NULL);
	kd_edge_conn_close(k[0]);
	kd_edge_conn_close(k[1]);
	kd_edge_conn_close(again);
	kd_edge_free(&e);
}

/* Sign-ins: login_failures_per_ip a login_lock_minutes per address, a success gives its
 * attempt back, exempt addresses free, IPv6 per /64. */
static void test_logins(void)
{
	struct kefu_conf c;
	struct kd_edge e;
	char err[256];
	uint64_t t = 1000 * SEC;
	int retry;

	conf_defaults(&c);
	c.login_failures_per_ip = 3;
	c.login_lock_minutes = 15;                        /* a token every 5 minutes */
	edge_from(&e, &c, "192.0.2.0/24");
	for (int i = 0; i < 3; i++)
		CHECK(kd_edge_login(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.1", t, &retry) == KD_EDGE_ATTEMPTS);
	CHECK(retry >= 299 && retry <= 301);
	CHECK(!strcmp(kd_edge_code(KD_EDGE_ATTEMPTS), "too_many_attempts"));
	CHECK(kd_edge_login(&e, "203.0.113.2", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.1", t + 301 * SEC, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.1", t + 301 * SEC, &retry) == KD_EDGE_ATTEMPTS);
	/* two failures and a success: the success's attempt comes back */
	CHECK(kd_edge_login(&e, "203.0.113.3", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.3", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.3", t, &retry) == KD_EDGE_OK);
	kd_edge_login_ok(&e, "203.0.113.3");
	CHECK(kd_edge_login(&e, "203.0.113.3", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "203.0.113.3", t, &retry) == KD_EDGE_ATTEMPTS);
	for (int i = 0; i < 10; i++)
		CHECK(kd_edge_login(&e, "192.0.2.9", t, &retry) == KD_EDGE_OK);   /* exempt */
	for (int i = 0; i < 3; i++)
		CHECK(kd_edge_login(&e, "2001:db8:5:6::1", t, &retry) == KD_EDGE_OK);
	CHECK(kd_edge_login(&e, "2001:db8:5:6:ffff::2", t, &retry) == KD_EDGE_ATTEMPTS);
	/* the sweep keeps an address whose failures are not yet forgotten (a minute idle
	 * is not enough), and forgets it once its bucket has refilled */
	for (int i = 0; i < 5000; i++)
		kd_edge_request(&e, "198.51.100.1", t + 120 * SEC, &retry);
	CHECK(kd_edge_login(&e, "203.0.113.3", t + 120 * SEC, &retry) == KD_EDGE_ATTEMPTS);
	CHECK(e.refused_logins == 5);
	size_t len = 0;
	char *m = kd_edge_metrics_append(&e, strdup(""), &len);
	CHECK(m && strstr(m, "kefu_edge_refused_total{code=\"too_many_attempts\"} 5\n"));
	free(m);
	kd_edge_free(&e);
	c.login_failures_per_ip = 0;                      /* 0 = no limit */
	CHECK(kd_edge_init(&e, &c, err, sizeof err) == 0);
	for (int i = 0; i < 100; i++)
		CHECK(kd_edge_login(&e, "203.0.113.1", t, &retry) == KD_EDGE_OK);
	kd_edge_free(&e);
}

int main(void)
{
	test_cidrs();
	test_limits();
	test_requests();
	test_http_conns();
	test_accepted_conns();
	test_logins();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
