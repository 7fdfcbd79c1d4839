/* api/test_api.c — api_handle on a real SQLite file with an injected clock, no server.
 *
 * The route walk: for EVERY route of the table, no credentials and bad credentials get
 * 401, an agent (session and token) gets 403 on admin routes, a state-changing route
 * refuses a missing or wrong CSRF token, a foreign Origin and a cross-site fetch, the
 * allowed role succeeds, a state change writes an audit row and a GET writes none.  A
 * route without a role (other than the login) or without a sample request here fails
 * the test, so a new route cannot skip these checks.
 *
 * Then: the cookie's attributes, tls_required, one error for unknown and wrong logins,
 * lockout answers, bodies (size, JSON, unknown field, wrong type, missing field, media
 * type) refused with nothing changed, 404/405, logout and expiry, bearer tokens
 * revoked, the operators and audit endpoints.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"
#include "conf.h"
#include "store_review.h"
#include "summary.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static int64_t fake_now = 1700000000000LL;
static int64_t clock_fn(void *arg) { (void)arg; return fake_now; }

static const char *PW = "correct horse battery";
static struct api_ctx ctx;
static sqlite3 *raw;

static long long q_int(const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(raw, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* One caller's credentials and headers. */
struct who {
	char sid[AUTH_SESSION_ID_LEN + 1];   /* cookie session, "" none */
	char csrf[AUTH_CSRF_LEN + 1];        /* X-CSRF-Token sent, "" none */
	char bearer[AUTH_TOKEN_LEN + 1];     /* "" none */
	const char *origin, *sfs, *host, *content_type;
	int tls;
};

struct result {
	int status;
	char code[64];
	json_t *body;
	char cookie[256];
	int retry_after;
};

static void result_clear(struct result *r)
{
	json_decref(r->body);
	memset(r, 0, sizeof *r);
}

/* The picture upload's raw body, its length and type (other bodies are JSON texts). */
static char png_body[128];
static size_t raw_len;
static const char *raw_type;

static struct result call(const char *method, const char *path, const char *query,
			  const char *body, const struct who *w)
{
	char cookie[128], authz[128];
	struct api_request req = {
		.method = method, .path = path, .query = query,
		.host = w && w->host ? w->host : "127.0.0.1:8080",
		.origin = w ? w->origin : NULL, .sec_fetch_site = w ? w->sfs : NULL,
		.client_ip = "192.0.2.9", .tls = w ? w->tls : 0,
		.body = body, .body_len = body ? (body == png_body ? raw_len : strlen(body)) : 0,
		.content_type = w && w->content_type ? w->content_type
			: body == png_body ? raw_type : "application/json",
	};
	struct api_response res;
	struct result r = { 0 };

	if (w && w->sid[0]) {
		snprintf(cookie, sizeof cookie, "theme=dark; %s=%s", API_COOKIE, w->sid);
		req.cookie = cookie;
	}
	if (w && w->csrf[0])
		req.csrf_token = w->csrf;
	if (w && w->bearer[0]) {
		snprintf(authz, sizeof authz, "Bearer %s", w->bearer);
		req.authorization = authz;
	}
	api_handle(&ctx, &req, &res);
	r.status = res.status;
	r.retry_after = res.retry_after_s;
	snprintf(r.cookie, sizeof r.cookie, "%s", res.set_cookie);
	if (res.content_type[0])   /* an attachment's bytes: keep what describes them */
		r.body = json_pack("{s:s, s:s, s:I}", "content_type", res.content_type,
				   "disposition", res.disposition, "bytes", (json_int_t)res.body_len);
	else
		r.body = res.body ? json_loads(res.body, 0, NULL) : NULL;
	if (!r.body)
		fprintf(stderr, "not JSON: %s %s?%s -> %d %.*s\n", method, path, query ? query : "",
			res.status, (int)(res.body_len > 200 ? 200 : res.body_len),
			res.body ? res.body : "");
	CHECK(r.body != NULL);   /* every answer is JSON (or a described attachment) */
	const char *code = json_string_value(json_object_get(r.body, "code"));
	snprintf(r.code, sizeof r.code, "%s", code ? code : "");
	api_response_clear(&res);
	return r;
}

/* Status and code of one call (the body dropped). */
static const char *expect_query;   /* the query of the route walk's current sample */

static int expect(const char *method, const char *path, const char *body, const struct who *w,
		  int status, const char *code, int line)
{
	struct result r = call(method, path, expect_query, body, w);
	int ok = r.status == status && (!code || !strcmp(r.code, code));

	if (!ok) {
		fprintf(stderr, "FAIL line %d: %s %s -> %d %s, want %d %s\n", line, method, path,
			r.status, r.code, status, code ? code : "");
		failures++;
	}
	result_clear(&r);
	return ok;
}
#define EXPECT(m, p, b, w, st, code) expect(m, p, b, w, st, code, __LINE__)

/* Signs in through the API; fills w's session and CSRF token. */
static int sign_in(const char *login, const char *pw, struct who *w)
{
	char body[256];
	struct result r;

	memset(w, 0, sizeof *w);
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", login, pw);
	r = call("POST", "/api/v1/login", NULL, body, NULL);
	if (r.status == 200) {
		const char *c = strstr(r.cookie, API_COOKIE "=");
		if (c)
			snprintf(w->sid, sizeof w->sid, "%.64s", c + strlen(API_COOKIE) + 1);
		snprintf(w->csrf, sizeof w->csrf, "%s",
			 json_string_value(json_object_get(r.body, "csrf_token")));
	}
	int st = r.status;
	result_clear(&r);
	return st;
}

/* ---- the route walk ---------------------------------------------------------------------- */

/* A request that the allowed role can make to each route.  Extend for every new route. */
struct sample {
	const char *method, *path;   /* as in the table */
	const char *real_path;       /* {id} filled, NULL = path */
	const char *body;
	int status;                  /* what the allowed call answers */
	const char *query;           /* NULL = none */
};

/* What a few samples need beyond a JSON text (by the table's path). */
struct sample_extra {
	const char *path;
	void (*prepare)(void);       /* run before each allowed call (makes what it removes) */
	size_t body_len;             /* a raw body's length (0: a JSON text) */
	const char *content_type;    /* a raw body's type */
};

static char victim_path[64];
static char conv_path[64], notes_path[80], attachment_path[64];   /* the inbox fixture */
static char take_path[80], send_path[80], handback_path[80], resolve_path[80];
static char summary_path[80];
static char answer_path[64], answer_examples_path[80], answer_example_del_path[96];
static char answer_pictures_path[80], picture_path[64], picture_del_path[80];
static char answer_versions_path[80], answer_diff_path[80], answer_revert_path[80];
static int64_t answer_fixture;

/* An 8x8 PNG; bytes after IEND make each copy a new picture to the store (sha256). */
static const unsigned char PNG[] =
	"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08"
	"\x00\x00\x00\x08\x08\x02\x00\x00\x00\x4b\x6d\x29\xdc\x00\x00\x00\x11\x49\x44"
	"\x41\x54\x78\x9c\x63\x38\x21\x27\x87\x15\x31\x0c\x2d\x09\x00\x90\xbf\x41\x01"
	"\xb2\x9f\x3e\x22\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
#define PNG_LEN 74

/* A fresh copy of the PNG in png_body; returns its length. */
static size_t fresh_png(void)
{
	static int n;
	memcpy(png_body, PNG, PNG_LEN);
	return PNG_LEN + (size_t)snprintf(png_body + PNG_LEN, sizeof png_body - PNG_LEN, "#%d", n++);
}

/* The example the delete sample removes, added again before each allowed call. */
static void prepare_example(void)
{
	int rc = store_example_add(ctx.st, answer_fixture, "example to remove");
	CHECK(rc == 0 || rc == STORE_DUPLICATE);
}

/* A picture of the answer for the delete sample, its path set. */
static void prepare_picture(void)
{
	int64_t id = 0;
	size_t n = fresh_png();
	CHECK(store_picture_add(ctx.st, answer_fixture, NULL, "walk.png", png_body, n, &id) == 0);
	snprintf(picture_del_path, sizeof picture_del_path, "/api/v1/pictures/%lld/delete",
		 (long long)id);
}

/* A new copy of the PNG as the upload's body. */
static void prepare_upload(void)
{
	raw_len = fresh_png();
}

static char review_add_path[80], review_create_path[80], review_dismiss_path[80];
static char review_create_body[160], review_add_body[80];
static int64_t lost_card_answer;
static int64_t review_seq = 100;

/* A fresh review cluster of two collected questions (as kefud's review thread leaves
 * them) into path as /api/v1/review/clusters/ID/verb; returns its id. */
static int64_t review_cluster(char *path, size_t len, const char *verb)
{
	char tok[STORE_TOKEN_LEN + 1], cid[16];
	int64_t sid = 0, item[2] = { 0, 0 }, of[2], id = ++review_seq;
	static const char *const q[2] = { "can I buy bitcoin", "is bitcoin trading supported" };

	CHECK(store_session_create(ctx.st, "widget", &sid, tok) == 0);
	for (int i = 0; i < 2; i++) {
		int64_t m = 0, r = 0;
		snprintf(cid, sizeof cid, "r%d", i);
		CHECK(store_message_add(ctx.st, sid, STORE_MSG_CUSTOMER, cid, q[i], 0, 0, 0, NULL, 0,
					&m) == 0);
		CHECK(store_message_add(ctx.st, sid, STORE_MSG_BOT, NULL, "Did you mean:", 0, 0.2, 9,
					"{\"fallback\":true}", m, &r) == 0);
		CHECK(store_review_collect(ctx.st, m, sid, q[i], 1u << i, 0, 0.2, fake_now,
					   NULL) == 0);
	}
	struct store_review_cluster cl = { .id = id, .label = q[0], .terms = "bitcoin",
					   .answer_id = lost_card_answer, .answer_p = 0.1,
					   .size = 2, .updated_ms = fake_now };
	/* the two newest open items are this cluster's */
	sqlite3_stmt *s;
	int n = 0;
	if (sqlite3_prepare_v2(raw, "SELECT id FROM review_items WHERE state = 'open' "
			       "ORDER BY id DESC LIMIT 2", -1, &s, NULL) == SQLITE_OK)
		while (n < 2 && sqlite3_step(s) == SQLITE_ROW)
			item[n++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	of[0] = of[1] = id;
	CHECK(n == 2);
	/* set_clusters replaces every cluster row: keep the earlier ones */
	struct store_review_cluster all[64];
	int64_t ids[64];
	size_t k = 0;
	if (sqlite3_prepare_v2(raw, "SELECT id FROM review_clusters", -1, &s, NULL) == SQLITE_OK)
		while (k < 63 && sqlite3_step(s) == SQLITE_ROW)
			ids[k++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	for (size_t i = 0; i < k; i++)
		all[i] = (struct store_review_cluster){ .id = ids[i], .label = "older",
							.terms = "", .size = 1 };
	all[k++] = cl;
	CHECK(store_review_set_clusters(ctx.st, item, of, 2, all, k) == 0);
	snprintf(path, len, "/api/v1/review/clusters/%lld/%s", (long long)id, verb);
	return id;
}
static char model_report_path[80], model_activate_path[80];   /* the models fixture */
/* the webhook fixture: one endpoint for enable/disable/deliveries; each use of the
 * delete sample makes a fresh one to delete */
static char hook_enable_path[64], hook_disable_path[64], hook_log_path[64];
static char hook_delete_path[64];
static int64_t hook_make(void);

static const struct sample *sample_for(const struct api_route *r)
{
	static char uniq[128];
	static int n;
	static struct sample s[] = {
		{ "POST", "/api/v1/login", NULL, NULL, 200, NULL },
		{ "POST", "/api/v1/logout", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/me", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/operators", NULL, NULL, 200, NULL },
		{ "POST", "/api/v1/operators", NULL, NULL, 201, NULL },
		{ "POST", "/api/v1/operators/{id}/disable", victim_path, NULL, 200, NULL },
		{ "GET", "/api/v1/audit", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/conversations", NULL, NULL, 200, "status=open&limit=5" },
		{ "GET", "/api/v1/conversations/{id}", conv_path, NULL, 200, NULL },
		{ "POST", "/api/v1/conversations/{id}/notes", notes_path,
		  "{\"text\":\"called the customer back\"}", 201, NULL },
		{ "GET", "/api/v1/search", NULL, NULL, 200, "q=stolen" },
		{ "GET", "/api/v1/canned", NULL, NULL, 200, "q=card" },
		{ "GET", "/api/v1/attachments/{id}", attachment_path, NULL, 200, NULL },
		{ "GET", "/api/v1/conversations/{id}/summary", summary_path, NULL, 200, NULL },
		{ "POST", "/api/v1/conversations/{id}/take", take_path, NULL, 200, NULL },
		{ "POST", "/api/v1/conversations/{id}/messages", send_path,
		  "{\"text\":\"Hello, I am looking at it\"}", 201, NULL },
		{ "POST", "/api/v1/conversations/{id}/handback", handback_path, NULL, 200, NULL },
		{ "POST", "/api/v1/conversations/{id}/resolve", resolve_path, NULL, 200, NULL },
		{ "GET", "/api/v1/answers", NULL, NULL, 200, "q=card&lang=en&weak=1&pictures=1" },
		{ "POST", "/api/v1/answers", NULL, NULL, 201, NULL },
		{ "GET", "/api/v1/answers/export", NULL, NULL, 200, "format=rasa" },
		{ "POST", "/api/v1/answers/import", NULL, "{\"format\":\"csv\",\"data\":"
		  "\"question,answer_title\\nlost my card,Lost or stolen card\\n\"}", 200, NULL },
		{ "GET", "/api/v1/answers/{id}", answer_path, NULL, 200, NULL },
		{ "POST", "/api/v1/answers/{id}", answer_path,
		  "{\"body\":\"Freeze the **card** in the app, then call us.\",\"followups\":[]}",
		  200, NULL },
		{ "POST", "/api/v1/answers/{id}/examples", answer_examples_path, NULL, 201, NULL },
		{ "POST", "/api/v1/answers/{id}/examples/delete", answer_example_del_path,
		  "{\"text\":\"example to remove\"}", 200, NULL },
		{ "POST", "/api/v1/answers/{id}/pictures", answer_pictures_path, png_body, 201,
		  "label=card" },
		{ "GET", "/api/v1/pictures/{id}", picture_path, NULL, 200, NULL },
		{ "POST", "/api/v1/pictures/{id}/delete", picture_del_path, NULL, 200, NULL },
		{ "GET", "/api/v1/answers/{id}/versions", answer_versions_path, NULL, 200, NULL },
		{ "GET", "/api/v1/answers/{id}/diff", answer_diff_path, NULL, 200, "from=1" },
		{ "POST", "/api/v1/answers/{id}/revert", answer_revert_path, "{\"version\":1}", 200,
		  NULL },
		{ "GET", "/api/v1/review", NULL, NULL, 200, NULL },
		{ "POST", "/api/v1/review/clusters/{id}/add", review_add_path, review_add_body,
		  200, NULL },
		{ "POST", "/api/v1/review/clusters/{id}/create", review_create_path,
		  review_create_body, 201, NULL },
		{ "POST", "/api/v1/review/clusters/{id}/dismiss", review_dismiss_path, NULL, 200,
		  NULL },
		{ "GET", "/api/v1/models", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/models/training", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/models/{id}/report", model_report_path, NULL, 200, NULL },
		{ "POST", "/api/v1/models/train", NULL, NULL, 202, NULL },
		{ "POST", "/api/v1/models/{id}/activate", model_activate_path, NULL, 200, NULL },
		{ "POST", "/api/v1/models/rollback", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/reports/summary", NULL, NULL, 200,
		  "from=1690000000000&to=1700000000000&lang=en&channel=widget&tz=-300" },
		{ "GET", "/api/v1/reports/daily", NULL, NULL, 200, "format=csv" },
		{ "GET", "/api/v1/reports/hours", NULL, NULL, 200, "tz=480" },
		{ "GET", "/api/v1/reports/answers", NULL, NULL, 200, "limit=5" },
		{ "GET", "/api/v1/reports/clusters", NULL, NULL, 200, NULL },
		{ "GET", "/api/v1/webhooks", NULL, NULL, 200, NULL },
		{ "POST", "/api/v1/webhooks", NULL,
		  "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":\"handoff.requested\"}", 201,
		  NULL },
		{ "POST", "/api/v1/webhooks/{id}/enable", hook_enable_path, NULL, 200, NULL },
		{ "POST", "/api/v1/webhooks/{id}/disable", hook_disable_path, NULL, 200, NULL },
		{ "POST", "/api/v1/webhooks/{id}/delete", hook_delete_path, NULL, 200, NULL },
		{ "GET", "/api/v1/webhooks/{id}/deliveries", hook_log_path, NULL, 200, "limit=10" },
	};
	static char uniq_answer[128], uniq_example[128];
	/* each call of a review action gets a fresh cluster (and a new answer title) */
	if (!strncmp(r->path, "/api/v1/review/clusters/", 24)) {
		const char *verb = strrchr(r->path, '/') + 1;
		char *path = !strcmp(verb, "add") ? review_add_path : !strcmp(verb, "create")
			? review_create_path : review_dismiss_path;
		review_cluster(path, 80, verb);
		snprintf(review_create_body, sizeof review_create_body, "{\"title\":\"Crypto %d\","
			 "\"body\":\"We do not offer **crypto**.\"}", n);
		snprintf(review_add_body, sizeof review_add_body, "{\"answer_id\":%lld}",
			 (long long)lost_card_answer);
	}
	/* each call of the operator-adding route adds a new login */
	snprintf(uniq, sizeof uniq, "{\"login\":\"walker%d\",\"password\":\"%s\","
		 "\"role\":\"agent\",\"name\":\"Walker\"}", n++, PW);
	s[4].body = uniq;
	snprintf(uniq_answer, sizeof uniq_answer, "{\"title\":\"Walked answer %d\",\"body\":"
		 "\"Made by the route walk.\",\"lang\":\"en\"}", n);
	snprintf(uniq_example, sizeof uniq_example, "{\"text\":\"walked example %d\"}", n);
	s[19].body = uniq_answer;
	s[24].body = uniq_example;
	if (!strcmp(r->path, "/api/v1/webhooks/{id}/delete"))
		snprintf(hook_delete_path, sizeof hook_delete_path, "/api/v1/webhooks/%lld/delete",
			 (long long)hook_make());
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		if (!strcmp(s[i].method, r->method) && !strcmp(s[i].path, r->path))
			return &s[i];
	return NULL;
}

static const struct sample_extra *extra_for(const struct api_route *r)
{
	static const struct sample_extra x[] = {
		{ "/api/v1/answers/{id}/examples/delete", prepare_example, 0, NULL },
		{ "/api/v1/answers/{id}/pictures", prepare_upload, PNG_LEN, "image/png" },
		{ "/api/v1/pictures/{id}/delete", prepare_picture, 0, NULL },
	};
	static const struct sample_extra none = { NULL, NULL, 0, NULL };
	for (size_t i = 0; i < sizeof x / sizeof *x; i++)
		if (!strcmp(x[i].path, r->path))
			return &x[i];
	return &none;
}

static void walk_routes(const struct who *agent_tok, const struct who *admin_tok)
{
	size_t n;
	const struct api_route *routes = api_routes(&n);

	CHECK(n >= 7);
	for (size_t i = 0; i < n; i++) {
		const struct api_route *r = &routes[i];
		const struct sample *s = sample_for(r);
		int changes = strcmp(r->method, "GET") != 0;
		struct who none = { 0 }, bad = { 0 }, agent, admin;

		if (!s) {
			fprintf(stderr, "FAIL: route %s %s has no sample in test_api.c: add one\n",
				r->method, r->path);
			failures++;
			continue;
		}
		const char *path = s->real_path ? s->real_path : r->path;
		expect_query = s->query;
		const struct sample_extra *x = extra_for(r);
		raw_len = x->body_len;
		raw_type = x->content_type;
		fprintf(stderr, "route %s %s (%s)\n", r->method, r->path, auth_role_name(r->role));
		if (r->role == AUTH_ROLE_NONE) {
			/* only the login may be called by anyone */
			CHECK(!strcmp(r->method, "POST") && !strcmp(r->path, "/api/v1/login"));
			continue;
		}
		CHECK(r->role == AUTH_ROLE_AGENT || r->role == AUTH_ROLE_ADMIN);
		/* nobody, a forged cookie, a forged token */
		EXPECT(r->method, path, s->body, &none, 401, "unauthenticated");
		auth_random_hex(bad.sid, 32);
		auth_random_hex(bad.csrf, 32);
		EXPECT(r->method, path, s->body, &bad, 401, "unauthenticated");
		memset(&bad, 0, sizeof bad);
		snprintf(bad.bearer, sizeof bad.bearer, "kefu_%064d", 7);
		EXPECT(r->method, path, s->body, &bad, 401, "unauthenticated");
		/* an agent on an admin route: session and token */
		CHECK(sign_in("bob", PW, &agent) == 200);
		if (r->role == AUTH_ROLE_ADMIN) {
			EXPECT(r->method, path, s->body, &agent, 403, "forbidden");
			EXPECT(r->method, path, s->body, agent_tok, 403, "forbidden");
		}
		CHECK(sign_in("ann", PW, &admin) == 200);
		if (changes) {
			struct who w = admin;
			w.csrf[0] = '\0';
			EXPECT(r->method, path, s->body, &w, 403, "csrf_failed");
			auth_random_hex(w.csrf, 32);
			EXPECT(r->method, path, s->body, &w, 403, "csrf_failed");
			w = admin;
			w.origin = "https://evil.example";
			EXPECT(r->method, path, s->body, &w, 403, "cross_site");
			w.origin = NULL;
			w.sfs = "cross-site";
			EXPECT(r->method, path, s->body, &w, 403, "cross_site");
			w.sfs = "same-site";
			EXPECT(r->method, path, s->body, &w, 403, "cross_site");
		} else {
			struct who w = admin;
			w.sfs = "cross-site";
			EXPECT(r->method, path, s->body, &w, 403, "cross_site");
		}
		/* none of the refusals above wrote anything */
		long long audit = q_int("SELECT count(*) FROM audit_log");
		long long ops = q_int("SELECT count(*) FROM operators");
		long long off = q_int("SELECT count(*) FROM operators WHERE disabled");
		/* the allowed call, from the console page itself */
		struct who w = admin;
		w.origin = "http://127.0.0.1:8080";
		w.sfs = "same-origin";
		if (x->prepare)
			x->prepare();
		EXPECT(r->method, path, s->body, &w, s->status, NULL);
		long long audit2 = q_int("SELECT count(*) FROM audit_log");
		if (changes)
			CHECK(audit2 > audit);   /* every state change is audited */
		else
			CHECK(audit2 == audit && q_int("SELECT count(*) FROM operators") == ops &&
			      q_int("SELECT count(*) FROM operators WHERE disabled") == off);
		/* an admin token works too (logout needs a session: 400) */
		s = sample_for(r);   /* a fresh body: the operator-adding one names a new login */
		if (!strcmp(r->path, "/api/v1/logout"))
			EXPECT(r->method, path, s->body, admin_tok, 400, "not_a_session");
		else if (strcmp(r->path, "/api/v1/operators/{id}/disable")) {
			if (x->prepare)
				x->prepare();
			EXPECT(r->method, path, s->body, admin_tok, s->status, NULL);
		}
		/* an agent reaches the agent routes */
		if (r->role == AUTH_ROLE_AGENT) {
			s = sample_for(r);
			if (x->prepare)
				x->prepare();
			EXPECT(r->method, path, s->body, &agent, s->status, NULL);
		}
	}
	expect_query = NULL;
	raw_len = 0;
	raw_type = NULL;
}

/* ---- training and model versions ------------------------------------------------------------ */

/* kefud's side of training (daemon/training.c) as the API sees it: here it records the
 * calls; tests/integration/test_training.py runs the real one in kefud. */
static struct { int starts, reloads, running; char by[64]; } tr_calls;

static int tr_start(void *arg, const char *by, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	if (tr_calls.running)
		return 1;
	tr_calls.starts++;
	snprintf(tr_calls.by, sizeof tr_calls.by, "%s", by);
	return 0;
}

static char *tr_status(void *arg)
{
	(void)arg;
	return strdup(tr_calls.running ? "{\"state\":\"running\",\"fraction\":0.5}"
				       : "{\"state\":\"idle\"}");
}

static void tr_reload(void *arg)
{
	(void)arg;
	tr_calls.reloads++;
}

static const struct api_training test_training = { tr_start, tr_status, tr_reload, NULL };

/* Two versions with reports over the same three questions: v1 live (one wrong), v2 a
 * candidate (all right). */
static void models_fixture(void)
{
	static const char *rep1 = "{\"format\":1,\"accuracy\":0.6667,\"macro_f1\":0.5,"
		"\"answers\":[{\"answer_id\":1,\"title\":\"Lost card\",\"f1\":0.67},"
		"{\"answer_id\":2,\"title\":\"Refunds\",\"f1\":0.5}],\"confused\":[],"
		"\"few_examples\":[],\"oof\":{\"a\":[1,1],\"b\":[1,1],\"c\":[2,1]}}";
	static const char *rep2 = "{\"format\":1,\"accuracy\":1,\"macro_f1\":1,"
		"\"answers\":[{\"answer_id\":1,\"title\":\"Lost card\",\"f1\":1},"
		"{\"answer_id\":2,\"title\":\"Refunds\",\"f1\":1}],\"confused\":[],"
		"\"few_examples\":[],\"oof\":{\"a\":[1,1],\"b\":[1,1],\"c\":[2,2]}}";
	struct store_model_new m1 = { "nlu", "m1", 2, "{\"cv_accuracy\":0.6667}", "h", rep1, 0, 1 };
	struct store_model_new m2 = { "nlu", "m2", 2, "{\"cv_accuracy\":1}", "h", rep2, 0, 0 };
	int64_t v1 = 0, v2 = 0;

	CHECK(store_model_save(ctx.st, &m1, &v1) == 0 && store_model_save(ctx.st, &m2, &v2) == 0);
	snprintf(model_report_path, sizeof model_report_path, "/api/v1/models/%lld/report",
		 (long long)v2);
	snprintf(model_activate_path, sizeof model_activate_path, "/api/v1/models/%lld/activate",
		 (long long)v2);
	ctx.training = &test_training;
}

/* Before the route walk: the candidate against the live version, the list, errors. */
static void test_models(const struct who *agent)
{
	struct result r = call("GET", model_report_path, NULL, NULL, agent);
	json_t *cmp = json_object_get(r.body, "against_live");

	CHECK(r.status == 200 && json_object_get(r.body, "oof") == NULL);
	CHECK(json_integer_value(json_object_get(cmp, "questions")) == 3);
	CHECK(json_real_value(json_object_get(json_object_get(cmp, "candidate"), "accuracy")) == 1.0);
	CHECK(json_real_value(json_object_get(json_object_get(cmp, "live"), "accuracy")) < 0.67);
	CHECK(json_array_size(json_object_get(cmp, "better")) == 2);   /* both answers' F1 rose */
	CHECK(json_array_size(json_object_get(cmp, "worse")) == 0);
	result_clear(&r);
	r = call("GET", "/api/v1/models", NULL, NULL, agent);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.body, "versions")) == 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(
		json_object_get(r.body, "versions"), 0), "state")), "candidate"));
	CHECK(!strcmp(json_string_value(json_object_get(json_object_get(r.body, "training"),
							"state")), "idle"));
	result_clear(&r);
	EXPECT("GET", "/api/v1/models/99/report", NULL, agent, 404, "not_found");
	struct who admin;
	CHECK(sign_in("ann", PW, &admin) == 200);
	EXPECT("POST", "/api/v1/models/99/activate", NULL, &admin, 404, "not_found");
	EXPECT("POST", "/api/v1/models/rollback", NULL, &admin, 409, "nothing_to_roll_back");
	tr_calls.running = 1;
	EXPECT("POST", "/api/v1/models/train", NULL, &admin, 409, "training_running");
	tr_calls.running = 0;
	CHECK(tr_calls.starts == 0 && tr_calls.reloads == 0);
}

/* After the walk: activation and rollbacks asked kefud to reload each time, and the
 * training was started for the caller. */
static void test_models_after_walk(void)
{
	CHECK(tr_calls.starts >= 2 && !strcmp(tr_calls.by, "ann"));
	CHECK(tr_calls.reloads >= 4);
	CHECK(q_int("SELECT count(*) FROM audit_log WHERE action = 'model.activate'") >= 2);
	CHECK(q_int("SELECT count(*) FROM audit_log WHERE action = 'model.rollback'") >= 2);
	CHECK(q_int("SELECT count(*) FROM models WHERE kind = 'nlu' AND live = 1") == 1);
}

/* ---- the inbox ------------------------------------------------------------------------------ */

static int64_t fixture_sid;

/* One conversation: a customer message with a picture, a low-confidence fallback reply
 * in English with a thumbs-down, and one answer in the store for canned replies. */
static void inbox_fixture(void)
{
	char tok[STORE_TOKEN_LEN + 1];
	int64_t cust = 0, bot = 0, att = 0, ans = 0;
	struct store_attachment a = { .kind = "image", .mime = "image/png; x=1",
				      .data = "\x89PNG fake", .len = 9 };

	memset(a.sha256, 'a', 64);
	CHECK(store_session_create(ctx.st, "ws", &fixture_sid, tok) == 0);
	CHECK(store_message_add(ctx.st, fixture_sid, STORE_MSG_CUSTOMER, "c1",
				"my card was stolen 卡被偷了", 0, 0, 0, NULL, 0, &cust) == 0);
	CHECK(store_message_add(ctx.st, fixture_sid, STORE_MSG_BOT, NULL, "Did you mean:", 0, 0.2,
				900, "{\"lang\":\"en\",\"fallback\":true,\"quick_replies\":"
				"[{\"answer_id\":1,\"title\":\"Lost card\"}],\"client_id\":\"c1\"}",
				cust, &bot) == 0);
	CHECK(store_attachment_add(ctx.st, cust, &a, &att) == 0);
	CHECK(store_feedback_set(ctx.st, fixture_sid, "c1", -1) == 0);
	CHECK(store_answer_add(ctx.st, "Lost or stolen card", "Freeze the **card** in the app.",
			       "en", NULL, &ans) == 0);
	lost_card_answer = ans;
	snprintf(conv_path, sizeof conv_path, "/api/v1/conversations/%lld", (long long)fixture_sid);
	snprintf(notes_path, sizeof notes_path, "%s/notes", conv_path);
	snprintf(take_path, sizeof take_path, "%s/take", conv_path);
	snprintf(summary_path, sizeof summary_path, "%s/summary", conv_path);
	snprintf(send_path, sizeof send_path, "%s/messages", conv_path);
	snprintf(handback_path, sizeof handback_path, "%s/handback", conv_path);
	snprintf(resolve_path, sizeof resolve_path, "%s/resolve", conv_path);
	snprintf(attachment_path, sizeof attachment_path, "/api/v1/attachments/%lld",
		 (long long)att);
	answer_fixture = ans;
	snprintf(answer_path, sizeof answer_path, "/api/v1/answers/%lld", (long long)ans);
	snprintf(answer_examples_path, sizeof answer_examples_path, "%s/examples", answer_path);
	snprintf(answer_example_del_path, sizeof answer_example_del_path, "%s/examples/delete",
		 answer_path);
	snprintf(answer_pictures_path, sizeof answer_pictures_path, "%s/pictures", answer_path);
	snprintf(answer_versions_path, sizeof answer_versions_path, "%s/versions", answer_path);
	snprintf(answer_diff_path, sizeof answer_diff_path, "%s/diff", answer_path);
	snprintf(answer_revert_path, sizeof answer_revert_path, "%s/revert", answer_path);
	int64_t pic = 0;
	size_t n = fresh_png();
	CHECK(store_picture_add(ctx.st, ans, "card", "card.png", png_body, n, &pic) == 0);
	snprintf(picture_path, sizeof picture_path, "/api/v1/pictures/%lld", (long long)pic);
	prepare_picture();
}

static size_t count_of(const struct who *w, const char *path, const char *query, const char *key)
{
	struct result r = call("GET", path, query, NULL, w);
	size_t n = r.status == 200 ? json_array_size(json_object_get(r.body, key)) : 999;

	if (r.status != 200)
		fprintf(stderr, "GET %s?%s -> %d %s\n", path, query, r.status, r.code);
	result_clear(&r);
	return n;
}

static int history_cb(void *arg, const struct store_message *m)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static void test_inbox(const struct who *agent)
{
	struct result r;
	json_t *conv, *msgs, *att;
	int n_hist = 0;

	/* filters */
	CHECK(count_of(agent, "/api/v1/conversations", NULL, "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "thumbs_down=1", "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "low_confidence=true&lang=en",
		       "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "lang=zh", "conversations") == 0);
	CHECK(count_of(agent, "/api/v1/conversations", "channel=widget", "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "channel=voice", "conversations") == 0);
	CHECK(count_of(agent, "/api/v1/conversations", "status=waiting", "conversations") == 0);
	CHECK(count_of(agent, "/api/v1/conversations", "status=resolved", "conversations") == 0);
	CHECK(count_of(agent, "/api/v1/conversations", "q=STOLEN", "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "q=%E5%81%B7", "conversations") == 1);
	CHECK(count_of(agent, "/api/v1/conversations", "q=refund", "conversations") == 0);
	/* search: FTS5 trigrams (3+ characters, any case), LIKE under 3, quotes are text */
	CHECK(count_of(agent, "/api/v1/search", "q=card+was", "hits") == 1);
	CHECK(count_of(agent, "/api/v1/search", "q=%E5%8D%A1%E8%A2%AB%E5%81%B7", "hits") == 1);
	CHECK(count_of(agent, "/api/v1/search", "q=%E5%81%B7%E4%BA%86", "hits") == 1);
	CHECK(count_of(agent, "/api/v1/search", "q=%22card%22+OR+x", "hits") == 0);
	CHECK(count_of(agent, "/api/v1/search", "q=50%25", "hits") == 0);
	r = call("GET", "/api/v1/search", "q=", NULL, agent);
	CHECK(r.status == 400 && !strcmp(r.code, "bad_query"));
	result_clear(&r);
	r = call("GET", "/api/v1/conversations", "status=gone", NULL, agent);
	CHECK(r.status == 400 && !strcmp(r.code, "bad_query"));
	result_clear(&r);
	r = call("GET", "/api/v1/conversations", "colour=red", NULL, agent);
	CHECK(r.status == 400 && !strcmp(r.code, "unknown_field"));
	result_clear(&r);
	r = call("GET", "/api/v1/conversations", "limit=0", NULL, agent);
	CHECK(r.status == 400 && !strcmp(r.code, "bad_query"));
	result_clear(&r);

	/* the list item and the counts */
	r = call("GET", "/api/v1/conversations", NULL, NULL, agent);
	conv = json_array_get(json_object_get(r.body, "conversations"), 0);
	CHECK(json_integer_value(json_object_get(conv, "id")) == fixture_sid);
	CHECK(json_integer_value(json_object_get(conv, "messages")) == 2);
	CHECK(json_integer_value(json_object_get(conv, "low_confidence")) == 1);
	CHECK(json_integer_value(json_object_get(conv, "thumbs_down")) == 1);
	CHECK(!strcmp(json_string_value(json_object_get(conv, "lang")), "en"));
	CHECK(!strcmp(json_string_value(json_object_get(conv, "channel")), "widget"));
	CHECK(json_is_null(json_object_get(conv, "assignee")));
	CHECK(json_is_null(json_object_get(conv, "waiting_s")));
	CHECK(json_integer_value(json_object_get(conv, "left_message")) == 0);
	CHECK(json_integer_value(json_object_get(json_object_get(r.body, "counts"), "all")) == 1);
	CHECK(json_integer_value(json_object_get(json_object_get(r.body, "counts"),
						 "thumbs_down")) == 1);
	result_clear(&r);

	/* the transcript: the bot reply's answer, confidence, quick replies, feedback; the
	 * picture as an authenticated URL; the note (added by the route walk) */
	r = call("GET", conv_path, NULL, NULL, agent);
	CHECK(r.status == 200);
	msgs = json_object_get(r.body, "messages");
	CHECK(json_array_size(msgs) == 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(msgs, 0), "kind")),
		      "customer"));
	att = json_array_get(json_object_get(json_array_get(msgs, 0), "attachments"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(att, "url")), attachment_path));
	CHECK(json_integer_value(json_object_get(att, "bytes")) == 9);
	CHECK(json_integer_value(json_object_get(json_array_get(msgs, 1), "feedback")) == -1);
	CHECK(json_real_value(json_object_get(json_array_get(msgs, 1), "confidence")) > 0.19);
	CHECK(json_array_size(json_object_get(json_object_get(json_array_get(msgs, 1), "meta"),
					      "quick_replies")) == 1);
	result_clear(&r);
	r = call("GET", "/api/v1/conversations/999999", NULL, NULL, agent);
	CHECK(r.status == 404 && !strcmp(r.code, "not_found"));
	result_clear(&r);
	/* notes never reach the customer's history */
	CHECK(store_history(ctx.st, fixture_sid, 0, history_cb, &n_hist) == 0 && n_hist == 2);

	/* the attachment: a safe type only, a file name, the bytes */
	r = call("GET", attachment_path, NULL, NULL, agent);
	CHECK(r.status == 200 &&
	      !strcmp(json_string_value(json_object_get(r.body, "content_type")), "image/png"));
	CHECK(strstr(json_string_value(json_object_get(r.body, "disposition")), "picture-"));
	result_clear(&r);

	/* the summary card of the fixture: the stolen card, a thumbs-down */
	r = call("GET", summary_path, NULL, NULL, agent);
	CHECK(r.status == 200 && strstr(json_string_value(json_object_get(r.body, "problem")), "stolen"));
	CHECK(json_integer_value(json_object_get(r.body, "conversation_id")) == fixture_sid);
	result_clear(&r);
	r = call("GET", "/api/v1/conversations/999999/summary", NULL, NULL, agent);
	CHECK(r.status == 404);
	result_clear(&r);

	/* canned replies: the answer's body */
	r = call("GET", "/api/v1/canned", "q=STOLEN", NULL, agent);
	CHECK(json_array_size(json_object_get(r.body, "answers")) == 1);
	CHECK(strstr(json_string_value(json_object_get(json_array_get(json_object_get(r.body,
		"answers"), 0), "body")), "Freeze"));
	result_clear(&r);
}

/* ---- take-over ------------------------------------------------------------------------------ */

static char events[8192];   /* the types of the events told, space-separated */

static void on_notify(void *arg, const char *ev)
{
	json_t *j = json_loads(ev, 0, NULL);
	size_t n = strlen(events);

	(void)arg;
	CHECK(j != NULL);
	snprintf(events + n, sizeof events - n, "%s ", json_string_value(json_object_get(j, "type")));
	json_decref(j);
}

/* The review queue: what the list shows, chosen members, bad items, each action's
 * effect on the answer store and the queue, and its audit row. */
static void test_review(const struct who *agent, const struct who *admin)
{
	char path[80], body[200];
	int64_t id = review_cluster(path, sizeof path, "create");
	struct result r = call("GET", "/api/v1/review", NULL, NULL, agent);
	json_t *cl, *found = NULL;
	size_t i;

	CHECK(r.status == 200);
	json_array_foreach(json_object_get(r.body, "clusters"), i, cl)
		if (json_integer_value(json_object_get(cl, "id")) == id)
			found = cl;
	CHECK(found != NULL);
	int64_t first = 0;
	if (found) {
		json_t *m = json_object_get(found, "members");
		CHECK(json_integer_value(json_object_get(found, "size")) == 2);
		CHECK(json_array_size(m) == 2);
		CHECK(!strcmp(json_string_value(json_object_get(found, "label")),
			      "can I buy bitcoin"));
		CHECK(!strcmp(json_string_value(json_object_get(json_object_get(found,
			"suggested_answer"), "title")), "Lost or stolen card"));
		CHECK(json_array_size(json_object_get(found, "reasons")) == 2);
		first = json_integer_value(json_object_get(json_array_get(m, 0), "id"));
		CHECK(!strcmp(json_string_value(json_array_get(json_object_get(
			json_array_get(m, 0), "reasons"), 0)), "fallback"));
	}
	CHECK(json_integer_value(json_object_get(json_object_get(r.body, "reasons"),
						 "fallback")) >= 1);
	result_clear(&r);
	/* bad item lists change nothing */
	EXPECT("POST", path, "{\"title\":\"Crypto\",\"body\":\"No.\",\"items\":\"x\"}",
	       admin, 400, "invalid_value");
	EXPECT("POST", path, "{\"title\":\"Crypto\",\"body\":\"No.\",\"items\":\"999999\"}",
	       admin, 400, "invalid_value");
	EXPECT("POST", path, "{\"title\":\"\",\"body\":\"No.\"}", admin, 400, "invalid_value");
	EXPECT("POST", path, "{\"title\":\"Lost or stolen card\",\"body\":\"No.\"}", admin,
	       409, "title_taken");
	CHECK(q_int("SELECT count(*) FROM answers WHERE title = 'Crypto'") == 0);
	/* a new answer from the first member only */
	snprintf(body, sizeof body, "{\"title\":\"Crypto\",\"body\":\"We do not offer "
		 "crypto.\",\"items\":\"%lld\"}", (long long)first);
	r = call("POST", path, NULL, body, admin);
	CHECK(r.status == 201 && json_integer_value(json_object_get(r.body, "examples_added")) == 1);
	result_clear(&r);
	CHECK(q_int("SELECT count(*) FROM examples e JOIN answers a ON a.id = e.answer_id "
		    "WHERE a.title = 'Crypto' AND e.text = 'can I buy bitcoin'") == 1);
	CHECK(q_int("SELECT count(*) FROM audit_log WHERE action = 'review.create'") >= 1);
	/* the other member is still open, then dismissed; the cluster leaves the list */
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM review_items WHERE cluster_id = %lld "
		 "AND state = 'open'", (long long)id);
	CHECK(q_int(sql) == 1);
	snprintf(path, sizeof path, "/api/v1/review/clusters/%lld/dismiss", (long long)id);
	EXPECT("POST", path, NULL, agent, 200, NULL);
	CHECK(q_int(sql) == 0);
	EXPECT("POST", path, NULL, agent, 200, NULL);            /* idempotent */
	EXPECT("POST", "/api/v1/review/clusters/99999/dismiss", NULL, agent, 404, "not_found");
	snprintf(path, sizeof path, "/api/v1/review/clusters/%lld/add", (long long)id);
	EXPECT("POST", path, "{\"answer_id\":1}", admin, 404, "not_found");   /* nothing open */
	r = call("GET", "/api/v1/review", NULL, NULL, agent);
	json_array_foreach(json_object_get(r.body, "clusters"), i, cl)
		CHECK(json_integer_value(json_object_get(cl, "id")) != id);
	result_clear(&r);
	/* adding to an existing answer */
	id = review_cluster(path, sizeof path, "add");
	EXPECT("POST", path, "{\"answer_id\":987654}", admin, 404, "not_found");
	snprintf(body, sizeof body, "{\"answer_id\":%lld}", (long long)lost_card_answer);
	EXPECT("POST", path, body, admin, 200, NULL);
	CHECK(q_int("SELECT count(*) FROM examples WHERE text = 'is bitcoin trading supported'")
	      >= 1);
}

/* ---- customers' personal data out of the console's view (api/redact_view.c) ------------- */

/* The string member key of o, "" when absent. */
static const char *str_of(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static void test_redaction(const struct who *agent)
{
	char tok[STORE_TOKEN_LEN + 1], path[80], sum[96];
	int64_t sid = 0, cust = 0, left = 0, att = 0, hid = 0;
	int created = 0;
	struct store_attachment a = { .kind = "image", .mime = "image/png", .data = "x",
				      .len = 1, .meta = "{\"text\":\"IBAN GB82 WEST 1234 5698 7654 32\"}" };
	struct result r;
	json_t *msgs, *conv;

	memset(a.sha256, 'b', 64);
	CHECK(store_session_create(ctx.st, "ws", &sid, tok) == 0);
	CHECK(store_message_add(ctx.st, sid, STORE_MSG_CUSTOMER, "r1",
				"zorblax card 4111 1111 1111 1111, mail kim@example.org", 0, 0, 0,
				"{\"transcript\":\"call 13812345678\"}", 0, &cust) == 0);
	CHECK(store_attachment_add(ctx.st, cust, &a, &att) == 0);
	CHECK(store_message_add(ctx.st, sid, STORE_MSG_BOT, NULL,
				"Call us on +44 20 7946 0958 or write to help@bank.example", 0, 0.9,
				900, "{\"lang\":\"en\"}", cust, NULL) == 0);
	CHECK(store_handoff_request(ctx.st, sid, "card 4111-1111-1111-1111 stolen", NULL, &hid,
				    &created) == 0);
	CHECK(store_rating_add(ctx.st, sid, 2, "ring me on +86 138 1234 5678", NULL) == 0);
	CHECK(store_message_add(ctx.st, sid, STORE_MSG_CUSTOMER, "l1",
				"zorblax: call me back on 020 7946 0958", 0, 0, 0,
				"{\"left_message\":true,\"email\":\"kim@example.org\","
				"\"phone\":\"+86 138 1234 5678\",\"name\":\"Kim\"}", 0, &left) == 0);

	snprintf(path, sizeof path, "/api/v1/conversations/%lld", (long long)sid);
	r = call("GET", path, NULL, NULL, agent);
	CHECK(r.status == 200);
	msgs = json_object_get(r.body, "messages");
	CHECK(json_array_size(msgs) == 3);
	CHECK(!strcmp(str_of(json_array_get(msgs, 0), "text"),
		      "zorblax card [card], mail [email]"));
	CHECK(!strcmp(str_of(json_object_get(json_array_get(msgs, 0), "meta"), "transcript"),
		      "call [phone]"));
	CHECK(!strcmp(str_of(json_object_get(json_array_get(json_object_get(
		json_array_get(msgs, 0), "attachments"), 0), "meta"), "text"), "IBAN [iban]"));
	/* the bot's words stay as they are */
	CHECK(!strcmp(str_of(json_array_get(msgs, 1), "text"),
		      "Call us on +44 20 7946 0958 or write to help@bank.example"));
	/* a left message: its text redacted, the contact given to be called back kept */
	json_t *lm = json_object_get(json_array_get(msgs, 2), "meta");
	CHECK(!strcmp(str_of(json_array_get(msgs, 2), "text"), "zorblax: call me back on [phone]"));
	CHECK(!strcmp(str_of(lm, "email"), "kim@example.org") &&
	      !strcmp(str_of(lm, "phone"), "+86 138 1234 5678") && !strcmp(str_of(lm, "name"), "Kim"));
	CHECK(!strcmp(str_of(json_array_get(json_object_get(r.body, "ratings"), 0), "comment"),
		      "ring me on [phone]"));
	CHECK(!strcmp(str_of(json_array_get(json_object_get(r.body, "handoffs"), 0), "reason"),
		      "card [card] stolen"));
	conv = json_object_get(r.body, "conversation");
	CHECK(!strcmp(str_of(conv, "last_kind"), "customer") &&
	      !strcmp(str_of(conv, "last_text"), "zorblax: call me back on [phone]"));
	result_clear(&r);

	/* the list and the search hits */
	r = call("GET", "/api/v1/conversations", "q=zorblax", NULL, agent);
	conv = json_array_get(json_object_get(r.body, "conversations"), 0);
	CHECK(r.status == 200 && !strcmp(str_of(conv, "last_text"),
					  "zorblax: call me back on [phone]"));
	CHECK(json_integer_value(json_object_get(conv, "left_message")) == 1);
	result_clear(&r);
	r = call("GET", "/api/v1/search", "q=zorblax", NULL, agent);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.body, "hits")) == 2);
	for (size_t i = 0; i < json_array_size(json_object_get(r.body, "hits")); i++) {
		const char *t = str_of(json_array_get(json_object_get(r.body, "hits"), i), "text");
		CHECK(!strstr(t, "4111") && !strstr(t, "kim@") && !strstr(t, "7946"));
	}
	result_clear(&r);
	/* the summary card names no card number either */
	snprintf(sum, sizeof sum, "%s/summary", path);
	r = call("GET", sum, NULL, NULL, agent);
	if (r.status == 200) {
		char *all = json_dumps(r.body, 0);
		CHECK(all && !strstr(all, "4111") && !strstr(all, "kim@example"));
		free(all);
	}
	result_clear(&r);
}

static void test_takeover(const struct who *agent)
{
	struct result r;
	json_t *msgs, *last;
	char path[96];
	int n_hist = 0;

	/* the route walk took over, sent, handed back and resolved: each was told */
	CHECK(strstr(events, "assigned message") != NULL);
	CHECK(strstr(events, "released") != NULL);
	CHECK(count_of(agent, "/api/v1/conversations", "status=resolved", "conversations") == 1);
	/* the operator's messages are in the transcript with their name */
	r = call("GET", conv_path, NULL, NULL, agent);
	msgs = json_object_get(r.body, "messages");
	last = json_array_get(msgs, json_array_size(msgs) - 1);
	CHECK(!strcmp(json_string_value(json_object_get(last, "kind")), "operator"));
	CHECK(!strcmp(json_string_value(json_object_get(json_object_get(last, "meta"), "name")), "Bob"));
	CHECK(json_array_size(json_object_get(r.body, "notes")) >= 1);
	result_clear(&r);
	/* ... and in the customer's history (notes are not) */
	CHECK(store_history(ctx.st, fixture_sid, 0, history_cb, &n_hist) == 0);
	char hist_sql[96];   /* the review tests log turns in sessions of their own */
	snprintf(hist_sql, sizeof hist_sql, "SELECT count(*) FROM messages WHERE session_id = %lld",
		 (long long)fixture_sid);
	CHECK(n_hist == (int)q_int(hist_sql));
	CHECK(q_int("SELECT count(*) FROM notes") >= 1);

	/* a message takes an unassigned conversation over; one to a colleague's stays
	 * theirs; hand back clears the assignee */
	snprintf(path, sizeof path, "%s/messages", conv_path);
	events[0] = '\0';
	r = call("POST", path, NULL, "{\"text\":\"hi\"}", agent);
	CHECK(r.status == 201 && !strcmp(events, "assigned message "));
	result_clear(&r);
	CHECK(q_int("SELECT state = 'operator' AND operator_id IS NOT NULL AND resolved_ms IS NULL"
		    " FROM sessions") == 1);
	r = call("POST", path, NULL, "{\"text\":\"\"}", agent);
	CHECK(r.status == 400 && !strcmp(r.code, "invalid_value"));
	result_clear(&r);
	r = call("POST", "/api/v1/conversations/999999/take", NULL, NULL, agent);
	CHECK(r.status == 404);
	result_clear(&r);
	snprintf(path, sizeof path, "%s/handback", conv_path);
	r = call("POST", path, NULL, NULL, agent);
	CHECK(r.status == 200);
	result_clear(&r);
	CHECK(q_int("SELECT state = 'bot' AND operator_id IS NULL FROM sessions") == 1);
}

/* ---- the rest ------------------------------------------------------------------------------ */

static void test_login_cookie(void)
{
	struct result r = call("POST", "/api/v1/login", NULL,
			       "{\"login\":\"ann\",\"password\":\"correct horse battery\"}", NULL);
	CHECK(r.status == 200);
	char sid[AUTH_SESSION_ID_LEN + 1];
	snprintf(sid, sizeof sid, "%.64s", r.cookie + 12);
	CHECK(!strncmp(r.cookie, "__Host-kefu=", 12) && auth_is_hex(sid, 64) && r.cookie[76] == ';');
	CHECK(strstr(r.cookie, "; Path=/") && strstr(r.cookie, "; HttpOnly") &&
	      strstr(r.cookie, "; SameSite=Strict") && strstr(r.cookie, "; Secure") &&
	      !strstr(r.cookie, "Domain"));
	json_t *op = json_object_get(r.body, "operator");
	CHECK(!strcmp(json_string_value(json_object_get(op, "role")), "admin"));
	CHECK(json_string_length(json_object_get(r.body, "csrf_token")) == 64);
	CHECK(json_integer_value(json_object_get(r.body, "idle_timeout_s")) == 1800);
	result_clear(&r);
	/* over TLS to a real name: Secure; plain HTTP to a real name: refused */
	struct who tls = { .host = "kefu.example.com", .tls = 1 };
	r = call("POST", "/api/v1/login", NULL,
		 "{\"login\":\"ann\",\"password\":\"correct horse battery\"}", &tls);
	CHECK(r.status == 200 && strstr(r.cookie, "; Secure"));
	result_clear(&r);
	tls.tls = 0;
	EXPECT("POST", "/api/v1/login", "{\"login\":\"ann\",\"password\":\"x\"}", &tls, 403,
	       "tls_required");
	/* login CSRF: a foreign page cannot sign the browser in */
	struct who evil = { .origin = "https://evil.example" };
	EXPECT("POST", "/api/v1/login", "{\"login\":\"ann\",\"password\":\"correct horse battery\"}",
	       &evil, 403, "cross_site");
	evil.origin = "null";
	EXPECT("POST", "/api/v1/login", "{\"login\":\"ann\",\"password\":\"correct horse battery\"}",
	       &evil, 403, "cross_site");
}

static void test_login_errors(void)
{
	struct result a = call("POST", "/api/v1/login", NULL,
			       "{\"login\":\"nobody\",\"password\":\"correct horse battery\"}", NULL);
	struct result b = call("POST", "/api/v1/login", NULL,
			       "{\"login\":\"bob\",\"password\":\"wrong wrong wrong\"}", NULL);
	/* one answer, word for word */
	CHECK(a.status == 401 && b.status == 401 && !strcmp(a.code, "invalid_credentials"));
	char *ja = json_dumps(a.body, JSON_SORT_KEYS), *jb = json_dumps(b.body, JSON_SORT_KEYS);
	CHECK(ja && jb && !strcmp(ja, jb));
	free(ja);
	free(jb);
	CHECK(a.cookie[0] == '\0');
	result_clear(&a);
	result_clear(&b);
	/* lockout through the API: 5 failures, then 429 with Retry-After */
	fake_now += 3600 * 1000;
	for (int i = 0; i < 5; i++)
		EXPECT("POST", "/api/v1/login", "{\"login\":\"carol\",\"password\":\"nope nope nope\"}",
		       NULL, 401, "invalid_credentials");
	struct result r = call("POST", "/api/v1/login", NULL,
			       "{\"login\":\"carol\",\"password\":\"nope nope nope\"}", NULL);
	CHECK(r.status == 429 && !strcmp(r.code, "login_throttled") && r.retry_after == 1);
	result_clear(&r);
	fake_now += 3600 * 1000;
}

static void test_bodies(const struct who *admin)
{
	long long audit = q_int("SELECT count(*) FROM audit_log");
	long long ops = q_int("SELECT count(*) FROM operators");
	char *big = malloc(API_MAX_BODY + 2);

	memset(big, ' ', API_MAX_BODY + 1);
	big[API_MAX_BODY + 1] = '\0';
	big[0] = '{';
	big[API_MAX_BODY] = '}';
	EXPECT("POST", "/api/v1/operators", big, admin, 413, "body_too_large");
	free(big);
	EXPECT("POST", "/api/v1/operators", "{\"login\":", admin, 400, "bad_json");
	EXPECT("POST", "/api/v1/operators", "[1,2]", admin, 400, "bad_json");
	EXPECT("POST", "/api/v1/operators", "{\"login\":\"a\",\"login\":\"b\"}", admin, 400, "bad_json");
	EXPECT("POST", "/api/v1/operators", "{\"login\":\"x\xff\"}", admin, 400, "bad_json");
	/* jansson's error quotes the bytes near a bad escape: not UTF-8 here (was a 500) */
	EXPECT("POST", "/api/v1/operators", "{\"login\":\"\\ufa8\xc8\xa9\"}", admin, 400,
	       "bad_json");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"dave\",\"password\":\"correct horse battery\",\"role\":\"agent\","
	       "\"admin\":true}", admin, 400, "unknown_field");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"dave\",\"password\":123456789012,\"role\":\"agent\"}", admin, 400,
	       "wrong_type");
	EXPECT("POST", "/api/v1/operators", "{\"login\":\"dave\",\"role\":\"agent\"}", admin, 400,
	       "missing_field");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"dave\",\"password\":\"short\",\"role\":\"agent\"}", admin, 400,
	       "password_too_short");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"dave\",\"password\":\"correct horse battery\",\"role\":\"root\"}",
	       admin, 400, "invalid_value");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"Dave Smith\",\"password\":\"correct horse battery\",\"role\":\"agent\"}",
	       admin, 400, "invalid_value");
	EXPECT("POST", "/api/v1/operators",
	       "{\"login\":\"bob\",\"password\":\"correct horse battery\",\"role\":\"agent\"}",
	       admin, 409, "login_taken");
	struct who form = *admin;
	form.content_type = "application/x-www-form-urlencoded";
	EXPECT("POST", "/api/v1/operators", "login=dave", &form, 415, "unsupported_media_type");
	EXPECT("POST", "/api/v1/operators/2/disable", "{\"why\":1}", admin, 400, "unknown_field");
	EXPECT("POST", "/api/v1/login", "{\"login\":\"ann\",\"password\":7}", NULL, 400, "wrong_type");
	CHECK(q_int("SELECT count(*) FROM audit_log") == audit);   /* nothing changed */
	CHECK(q_int("SELECT count(*) FROM operators") == ops);
	/* routing */
	EXPECT("GET", "/api/v1/nothing", NULL, admin, 404, "not_found");
	EXPECT("GET", "/api/v1/operators/2/disable", NULL, admin, 405, "method_not_allowed");
	EXPECT("DELETE", "/api/v1/me", NULL, admin, 405, "method_not_allowed");
	EXPECT("POST", "/api/v1/operators/0/disable", NULL, admin, 404, "not_found");
	EXPECT("POST", "/api/v1/operators/-1/disable", NULL, admin, 404, "not_found");
	EXPECT("POST", "/api/v1/operators/99999999999999999999/disable", NULL, admin, 404,
	       "not_found");
	EXPECT("POST", "/api/v1/operators/9999/disable", NULL, admin, 404, "not_found");
	CHECK(api_path_is_api("/api/v1/me") && !api_path_is_api("/apiary"));
}

static void test_operators_and_audit(struct who *admin)
{
	struct result r;

	r = call("POST", "/api/v1/operators", NULL,
		 "{\"login\":\"erin\",\"password\":\"correct horse battery\",\"role\":\"agent\","
		 "\"name\":\"Erin 艾琳\"}", admin);
	CHECK(r.status == 201);
	json_t *op = json_object_get(r.body, "operator");
	int64_t erin = json_integer_value(json_object_get(op, "id"));
	CHECK(erin > 0 && !strcmp(json_string_value(json_object_get(op, "name")), "Erin 艾琳") &&
	      json_object_get(op, "password") == NULL && json_object_get(op, "pass_hash") == NULL);
	result_clear(&r);
	/* the audit names the admin, the IP and what changed (never the password) */
	r = call("GET", "/api/v1/audit", "limit=1", NULL, admin);
	CHECK(r.status == 200);
	json_t *e = json_array_get(json_object_get(r.body, "entries"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(e, "action")), "operator.add") &&
	      !strcmp(json_string_value(json_object_get(e, "login")), "ann") &&
	      !strcmp(json_string_value(json_object_get(e, "ip")), "192.0.2.9") &&
	      !strcmp(json_string_value(json_object_get(json_object_get(e, "changes"), "login")),
		      "erin") &&
	      json_object_get(json_object_get(e, "changes"), "password") == NULL);
	CHECK(json_array_size(json_object_get(r.body, "entries")) == 1);
	result_clear(&r);
	r = call("GET", "/api/v1/audit", "since=99999999999999", NULL, admin);
	CHECK(r.status == 200 && json_array_size(json_object_get(r.body, "entries")) == 0);
	result_clear(&r);
	r = call("GET", "/api/v1/audit", "limit=0", NULL, admin);
	CHECK(r.status == 400 && !strcmp(r.code, "bad_query"));
	result_clear(&r);
	r = call("GET", "/api/v1/audit", "order=asc", NULL, admin);
	CHECK(r.status == 400 && !strcmp(r.code, "unknown_field"));
	result_clear(&r);
	/* disable: not oneself; the disabled operator's session ends */
	struct who erin_w;
	CHECK(sign_in("erin", PW, &erin_w) == 200);
	EXPECT("GET", "/api/v1/me", NULL, &erin_w, 200, NULL);
	char path[64];
	snprintf(path, sizeof path, "/api/v1/operators/%lld/disable", (long long)erin);
	EXPECT("POST", path, NULL, admin, 200, NULL);
	EXPECT("GET", "/api/v1/me", NULL, &erin_w, 401, "unauthenticated");
	CHECK(sign_in("erin", PW, &erin_w) == 401);
	r = call("GET", "/api/v1/me", NULL, NULL, admin);
	snprintf(path, sizeof path, "/api/v1/operators/%lld/disable",
		 (long long)json_integer_value(json_object_get(json_object_get(r.body, "operator"),
							       "id")));
	result_clear(&r);
	EXPECT("POST", path, NULL, admin, 400, "cannot_disable_self");
}

static void test_session_end(void)
{
	struct who w;
	struct result r;

	CHECK(sign_in("bob", PW, &w) == 200);
	r = call("GET", "/api/v1/me", NULL, NULL, &w);
	CHECK(r.status == 200 && !strcmp(json_string_value(json_object_get(r.body, "via")), "session") &&
	      !strcmp(json_string_value(json_object_get(r.body, "csrf_token")), w.csrf));
	result_clear(&r);
	r = call("POST", "/api/v1/logout", NULL, NULL, &w);
	CHECK(r.status == 200 && strstr(r.cookie, "__Host-kefu=;") && strstr(r.cookie, "Max-Age=0"));
	result_clear(&r);
	EXPECT("GET", "/api/v1/me", NULL, &w, 401, "unauthenticated");
	EXPECT("POST", "/api/v1/logout", NULL, &w, 401, "unauthenticated");
	/* idle expiry through the API */
	CHECK(sign_in("bob", PW, &w) == 200);
	fake_now += 30 * 60 * 1000;
	EXPECT("GET", "/api/v1/me", NULL, &w, 401, "unauthenticated");
}

static void test_tokens(int64_t bob)
{
	struct who t = { 0 };
	int64_t id;
	const struct auth_actor cli = { 0, "cli:test", NULL };

	CHECK(auth_token_create(ctx.auth, ctx.st, &cli, bob, AUTH_ROLE_NONE, "t", t.bearer, &id) == 0);
	EXPECT("GET", "/api/v1/me", NULL, &t, 200, NULL);
	/* a bearer request needs no CSRF token (browsers never attach one by themselves) */
	struct result r = call("GET", "/api/v1/me", NULL, NULL, &t);
	CHECK(!strcmp(json_string_value(json_object_get(r.body, "via")), "token") &&
	      json_object_get(r.body, "csrf_token") == NULL);
	result_clear(&r);
	CHECK(auth_token_revoke(ctx.auth, ctx.st, &cli, id) == 0);
	EXPECT("GET", "/api/v1/me", NULL, &t, 401, "unauthenticated");
	/* a scheme other than Bearer is no credential */
	struct api_request req = { .method = "GET", .path = "/api/v1/me", .host = "127.0.0.1",
				   .authorization = "Basic YW5uOnB3" };
	struct api_response res;
	api_handle(&ctx, &req, &res);
	CHECK(res.status == 401);
	api_response_clear(&res);
}


/* ---- reports and webhooks ------------------------------------------------------------------ */

/* A webhook row made straight in the store (its secret sealed with a throw-away key). */
static int64_t hook_make(void)
{
	static const char sealed[] = "sealed";
	int64_t id = 0;

	CHECK(store_webhook_add(ctx.st, "https://hooks.example/kefu", "feedback.negative", sealed,
				sizeof sealed, "test", fake_now, &id) == 0);
	return id;
}

static void hook_fixture(void)
{
	int64_t id = hook_make();

	snprintf(hook_enable_path, sizeof hook_enable_path, "/api/v1/webhooks/%lld/enable",
		 (long long)id);
	snprintf(hook_disable_path, sizeof hook_disable_path, "/api/v1/webhooks/%lld/disable",
		 (long long)id);
	snprintf(hook_log_path, sizeof hook_log_path, "/api/v1/webhooks/%lld/deliveries",
		 (long long)id);
}

static void test_reports_api(const struct who *agent)
{
	static const char *const bad[] = {
		"from=5&to=5", "tz=900", "format=xml", "lang=E%20N", "limit=0", "limit=101",
		"from=0&to=40000000000", "to=abc",
	};
	struct api_request req = { .method = "GET", .path = "/api/v1/reports/daily",
				   .query = "from=1700000000000&to=1700172800000&format=csv",
				   .host = "127.0.0.1:8080", .client_ip = "192.0.2.9" };
	struct api_response res;
	char authz[128];
	struct result r;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = call("GET", "/api/v1/reports/summary", bad[i], NULL, agent);
		if (r.status != 400 || strcmp(r.code, "bad_query"))
			fprintf(stderr, "FAIL reports ?%s -> %d %s\n", bad[i], r.status, r.code),
				failures++;
		result_clear(&r);
	}
	r = call("GET", "/api/v1/reports/summary", "foo=1", NULL, agent);
	CHECK(r.status == 400 && !strcmp(r.code, "unknown_field"));
	result_clear(&r);
	/* the inbox fixture: one conversation of the last 30 days with a thumbs-down */
	r = call("GET", "/api/v1/reports/summary", NULL, NULL, agent);
	CHECK(r.status == 200);
	CHECK(json_integer_value(json_object_get(r.body, "conversations")) == 1);
	CHECK(json_integer_value(json_object_get(r.body, "thumbs_down")) == 1);
	CHECK(json_is_object(json_object_get(r.body, "period")));
	result_clear(&r);
	r = call("GET", "/api/v1/reports/summary", "lang=zh", NULL, agent);
	CHECK(r.status == 200 && json_integer_value(json_object_get(r.body, "conversations")) == 0);
	result_clear(&r);
	r = call("GET", "/api/v1/reports/clusters", NULL, NULL, agent);
	CHECK(r.status == 200 && json_is_true(json_object_get(r.body, "available")));
	result_clear(&r);
	/* CSV: a header and one line per day, as a download */
	snprintf(authz, sizeof authz, "Bearer %s", agent->bearer);
	req.authorization = agent->bearer[0] ? authz : NULL;
	{
		char cookie[128];
		snprintf(cookie, sizeof cookie, "%s=%s", API_COOKIE, agent->sid);
		req.cookie = agent->sid[0] ? cookie : NULL;
		api_handle(&ctx, &req, &res);
	}
	CHECK(res.status == 200 && !strcmp(res.content_type, "text/csv; charset=utf-8"));
	CHECK(!strcmp(res.disposition, "attachment; filename=\"kefu-daily.csv\""));
	CHECK(res.body && !strncmp(res.body, "day,day_ms,conversations,", 25));
	CHECK(res.body && strstr(res.body, "\r\n2023-11-14,1699920000000,0,,") &&
	      strstr(res.body, "\r\n2023-11-15,") && strstr(res.body, "\r\n2023-11-16,"));
	api_response_clear(&res);
}

static void test_webhooks_api(const struct who *admin)
{
	char key_path[256], secret[64] = "";
	struct result r;
	struct stat sb;
	int64_t id;

	r = call("POST", "/api/v1/webhooks", NULL, "{\"url\":\"ftp://x\",\"events\":"
		 "\"handoff.requested\"}", admin);
	CHECK(r.status == 400 && !strcmp(r.code, "invalid_value"));
	result_clear(&r);
	r = call("POST", "/api/v1/webhooks", NULL, "{\"url\":\"http://x\",\"events\":\"nope\"}",
		 admin);
	CHECK(r.status == 400 && !strcmp(r.code, "invalid_value"));
	result_clear(&r);
	r = call("POST", "/api/v1/webhooks", NULL, "{\"url\":\"https://hooks.example/in\","
		 "\"events\":\"handoff.requested,conversation.resolved,feedback.negative\"}", admin);
	CHECK(r.status == 201);
	snprintf(secret, sizeof secret, "%s",
		 json_string_value(json_object_get(r.body, "secret")) ?
		 json_string_value(json_object_get(r.body, "secret")) : "");
	id = json_integer_value(json_object_get(json_object_get(r.body, "webhook"), "id"));
	CHECK(!strncmp(secret, "whsec_", 6) && strlen(secret) == 38);
	CHECK(json_array_size(json_object_get(json_object_get(r.body, "webhook"), "events")) == 3);
	result_clear(&r);
	/* the secret is answered once: not in the list, not in the database, not audited */
	r = call("GET", "/api/v1/webhooks", NULL, NULL, admin);
	{
		char *text = json_dumps(r.body, 0);
		CHECK(text && !strstr(text, secret + 6) && !strstr(text, "sealed"));
		free(text);
	}
	result_clear(&r);
	{
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM webhooks WHERE instr(CAST("
			 "secret_sealed AS TEXT), '%.16s') > 0", secret + 6);
		CHECK(q_int(sql) == 0);
		snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE action ="
			 " 'webhook.add' AND object = 'webhook:%lld' AND changes NOT LIKE '%%whsec%%'",
			 (long long)id);
		CHECK(q_int(sql) == 1);
	}
	snprintf(key_path, sizeof key_path, "%s-webhook.key", store_db_path(ctx.st));
	CHECK(stat(key_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	r = call("GET", "/api/v1/webhooks/999999/deliveries", NULL, NULL, admin);
	CHECK(r.status == 404 && !strcmp(r.code, "not_found"));
	result_clear(&r);
	r = call("GET", "/api/v1/webhooks/999999/deliveries", "limit=0", NULL, admin);
	CHECK(r.status == 400);
	result_clear(&r);
	r = call("POST", "/api/v1/webhooks/999999/delete", NULL, NULL, admin);
	CHECK(r.status == 404);
	result_clear(&r);
}

int main(void)
{
	char dir[] = "/tmp/kefu-api-test-XXXXXX", path[128], err[256];
	struct auth_config cfg;
	const struct auth_actor cli = { 0, "cli:test", NULL };
	struct who agent_tok = { 0 }, admin_tok = { 0 }, admin;
	int64_t ann, bob, victim;

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/api.db", dir);
	auth_config_defaults(&cfg);
	cfg.now_ms = clock_fn;
	ctx.auth = auth_create(&cfg, err, sizeof err);
	ctx.summary = sum_ctx_create(NULL, err, sizeof err);   /* TF-IDF only: no model files */
	ctx.st = store_open(path, err, sizeof err);
	if (!ctx.auth || !ctx.st || sqlite3_open(path, &raw) != SQLITE_OK) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	CHECK(auth_operator_add(ctx.auth, ctx.st, &cli, "ann", "Ann", "admin", PW, strlen(PW), &ann) == 0);
	CHECK(auth_operator_add(ctx.auth, ctx.st, &cli, "bob", "Bob", "agent", PW, strlen(PW), &bob) == 0);
	CHECK(auth_operator_add(ctx.auth, ctx.st, &cli, "vic", NULL, "agent", PW, strlen(PW), &victim) == 0);
	snprintf(victim_path, sizeof victim_path, "/api/v1/operators/%lld/disable", (long long)victim);
	CHECK(auth_token_create(ctx.auth, ctx.st, &cli, bob, AUTH_ROLE_NONE, "a", agent_tok.bearer, NULL) == 0);
	CHECK(auth_token_create(ctx.auth, ctx.st, &cli, ann, AUTH_ROLE_NONE, "b", admin_tok.bearer, NULL) == 0);

	/* conf's defaults are auth's defaults; an option reaches the auth configuration */
	struct kefu_conf kc;
	struct auth_config fromconf, def;
	conf_defaults(&kc);
	api_auth_config(&kc, &fromconf);
	auth_config_defaults(&def);
	CHECK(fromconf.idle_s == def.idle_s && fromconf.absolute_s == def.absolute_s &&
	      fromconf.delay_after == def.delay_after && fromconf.lock_after == def.lock_after &&
	      fromconf.lock_s == def.lock_s && fromconf.hash_slots == def.hash_slots);
	CHECK(conf_set(&kc, "session_idle_minutes", "5", err, sizeof err) == 0);
	api_auth_config(&kc, &fromconf);
	CHECK(fromconf.idle_s == 300);

	/* the transport's early refusal: only the upload routes take large bodies */
	CHECK(api_body_limit("POST", "/api/v1/answers/3/pictures") == API_MAX_UPLOAD);
	CHECK(api_body_limit("POST", "/api/v1/answers/import") == API_MAX_UPLOAD);
	CHECK(api_body_limit("GET", "/api/v1/answers/3/pictures") == API_MAX_BODY);
	CHECK(api_body_limit("POST", "/api/v1/answers/3") == API_MAX_BODY);
	CHECK(api_body_limit("POST", "/api/v1/nope") == API_MAX_BODY);

	inbox_fixture();
	hook_fixture();
	ctx.notify = on_notify;
	{
		struct who agent;
		CHECK(sign_in("bob", PW, &agent) == 200);
		test_inbox(&agent);
		models_fixture();
		test_models(&agent);
		test_reports_api(&agent);
		walk_routes(&agent_tok, &admin_tok);
		struct who ann_s;
		CHECK(sign_in("ann", PW, &ann_s) == 200);
		test_review(&agent, &ann_s);
		test_models_after_walk();
		test_takeover(&agent);
		test_redaction(&agent);
	}
	test_login_cookie();
	test_login_errors();
	CHECK(sign_in("ann", PW, &admin) == 200);
	test_bodies(&admin);
	test_webhooks_api(&admin);
	test_operators_and_audit(&admin);
	test_session_end();
	test_tokens(bob);

	sqlite3_close(raw);
	store_close(ctx.st);
	sum_ctx_destroy((struct sum_ctx *)ctx.summary);
	auth_destroy(ctx.auth);
	if (!getenv("KEFU_TEST_KEEP")) {
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	if (failures)
		fprintf(stderr, "test_api: %d failure(s)\n", failures);
	else
		printf("test_api: all tests passed\n");
	return failures ? 1 : 0;
}
