/* fuzz/fuzz_api_body.c — libFuzzer harness for the REST API's request bodies: api_handle
 * (api/api.c) with the input as the JSON body of one route that takes a body.
 *
 * The first input byte picks the route among those in the live route table (api_routes)
 * whose method is not GET, so routes added later are fuzzed too; "{id}" becomes the
 * fixture conversation.  Routes with a password field are left out: a valid body would
 * run argon2id (tens of ms) and hold the fuzzer to a few dozen inputs a second; their
 * field checks are the same api.c code.  The request is an admin's bearer token over
 * TLS with JSON content type, so every input reaches the body parser and, when valid,
 * the route's handler on a real in-memory SQLite store.  Invariants: a status from 200
 * to 499 (a 5xx on a body is a bug: bad input gets a stable error code), and a JSON
 * object body with a "code" string on every 4xx.  The store is reopened every
 * FZ_REOPEN inputs so what earlier inputs wrote (notes, messages) stays small.
 * libFuzzer's thread only.  Dictionary: api.dict.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_int.h"
#include "auth.h"
#include "store.h"

#define FZ_REOPEN 2000
#define FZ_PW "correct horse battery staple"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_ctx ctx;
static char bearer[AUTH_TOKEN_LEN + 1], authz[AUTH_TOKEN_LEN + 16];
static int64_t conv_id;
static unsigned inputs;

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_api_body: %s: %s\n", what, err);
	abort();
}

/* A fresh in-memory store with an admin, its token and one conversation. */
static void setup(void)
{
	const struct auth_actor cli = { 0, "cli:fuzz", NULL };
	char err[256], tok[STORE_TOKEN_LEN + 1];
	int64_t admin = 0, msg = 0;

	if (!ctx.auth) {
		struct auth_config cfg;
		auth_config_defaults(&cfg);
		if (!(ctx.auth = auth_create(&cfg, err, sizeof err)))
			die("auth_create", err);
	}
	if (ctx.st)
		store_close(ctx.st);
	if (!(ctx.st = store_open(":memory:", err, sizeof err)))
		die("store_open", err);
	if (auth_operator_add(ctx.auth, ctx.st, &cli, "ann", "Ann", "admin", FZ_PW,
			      strlen(FZ_PW), &admin) ||
	    auth_token_create(ctx.auth, ctx.st, &cli, admin, AUTH_ROLE_NONE, "fuzz", bearer,
			      NULL) ||
	    store_session_create(ctx.st, "ws", &conv_id, tok) ||
	    store_message_add(ctx.st, conv_id, STORE_MSG_CUSTOMER, "c1", "my card was stolen",
			      0, 0, 0, NULL, 0, &msg))
		die("fixture", "operator, token or conversation");
	snprintf(authz, sizeof authz, "Bearer %s", bearer);
}

static int takes_password(const struct api_route *r)
{
	for (const struct api_field *f = r->fields; f && f->name; f++)
		if (!strcmp(f->name, "password"))
			return 1;
	return 0;
}

/* The n-th route that takes a body (wrapping), or NULL if none. */
static const struct api_route *pick(unsigned n)
{
	size_t total, count = 0;
	const struct api_route *rs = api_routes(&total);

	for (size_t i = 0; i < total; i++)
		count += strcmp(rs[i].method, "GET") && !takes_password(&rs[i]);
	if (!count)
		return NULL;
	n %= (unsigned)count;
	for (size_t i = 0; i < total; i++)
		if (strcmp(rs[i].method, "GET") && !takes_password(&rs[i]) && n-- == 0)
			return &rs[i];
	return NULL;
}

/* route->path with "{id}" replaced by the fixture conversation. */
static void path_of(const struct api_route *r, char *out, size_t n)
{
	const char *id = strstr(r->path, "{id}");

	if (!id)
		snprintf(out, n, "%s", r->path);
	else
		snprintf(out, n, "%.*s%lld%s", (int)(id - r->path), r->path, (long long)conv_id,
			 id + 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct api_route *r;
	struct api_response res;
	char path[256];
	json_t *body;

	if (size < 1)
		return 0;
	if (inputs++ % FZ_REOPEN == 0)
		setup();
	if (!(r = pick(data[0])))
		return 0;
	path_of(r, path, sizeof path);
	struct api_request req = {
		.method = r->method, .path = path, .host = "kefu.example.com",
		.origin = "https://kefu.example.com", .authorization = authz,
		.content_type = "application/json", .client_ip = "192.0.2.1", .tls = 1,
		.body = (const char *)data + 1, .body_len = size - 1,
	};
	memset(&res, 0, sizeof res);
	api_handle(&ctx, &req, &res);
	/* 503 unavailable: a route served only inside kefud (training), whatever the body */
	int outside = res.status == 503 && res.body && strstr(res.body, "\"unavailable\"");
	if ((res.status < 200 || res.status > 499) && !outside) {
		fprintf(stderr, "%s %s -> %d %.*s\n", r->method, path, res.status,
			(int)(res.body_len > 300 ? 300 : res.body_len), res.body ? res.body : "");
		abort();
	}
	if (!res.content_type[0]) {
		body = res.body ? json_loadb(res.body, res.body_len, 0, NULL) : NULL;
		if (!body || (res.status >= 400 &&
			      !json_is_string(json_object_get(body, "code"))))
			abort();
		json_decref(body);
	}
	api_response_clear(&res);
	return 0;
}
