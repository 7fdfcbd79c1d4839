/* api/routes.c — the route table of /api/v1/ and its handlers.  Each route names the
 * least role that may call it; api.c has already authenticated the caller, checked
 * that role, the CSRF token and the body's fields when a handler runs (api_int.h).
 * Handlers that change something do it through auth/, which writes the audit row in
 * the same transaction.  Runs on the calling worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

#define AUDIT_DEFAULT_LIMIT 100
#define AUDIT_MAX_LIMIT 1000

/* ---- the session: login, logout, me ----------------------------------------------------- */

/* Writes the Set-Cookie value for session id sid (or its removal when sid is NULL). */
static void set_cookie(struct api_call *c, const char *sid, int secure)
{
	const struct auth_config *cfg = auth_config_of(c->ctx->auth);

	snprintf(c->res->set_cookie, sizeof c->res->set_cookie,
		 "%s=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%d", API_COOKIE,
		 sid ? sid : "", secure ? "; Secure" : "", sid ? cfg->absolute_s : 0);
}

/* Browsers keep a __Host- cookie only with Secure, and accept Secure over plain HTTP
 * only from a loopback host. */
static int loopback_host(const char *host)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };

	if (!host)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		size_t n = strlen(names[i]);
		if (!strncmp(host, names[i], n) && (host[n] == '\0' || host[n] == ':'))
			return 1;
	}
	return 0;
}

static json_t *me_json(const struct api_call *c, const struct auth_identity *who)
{
	const struct auth_config *cfg = auth_config_of(c->ctx->auth);
	json_t *j = json_pack("{s:{s:I, s:s, s:s, s:s}, s:s}", "operator", "id",
			      (json_int_t)who->operator_id, "login", who->login, "name", who->name,
			      "role", auth_role_name(who->role), "via",
			      who->token_id ? "token" : "session");

	if (j && !who->token_id) {
		json_object_set_new(j, "csrf_token", json_string(who->csrf));
		json_object_set_new(j, "idle_timeout_s", json_integer(cfg->idle_s));
		json_object_set_new(j, "expires_ms", json_integer(who->session_created_ms +
								  (json_int_t)cfg->absolute_s * 1000));
	}
	return j;
}

static int h_login(struct api_call *c)
{
	const char *login = api_body_str(c, "login"), *pw = api_body_str(c, "password");
	int secure = c->req->tls || loopback_host(c->req->host);
	struct auth_login_result r;
	int rc;

	if (!secure)
		return api_error(c, 403, "tls_required", "sign in over HTTPS (or from localhost): "
				 "the session cookie is Secure");
	rc = auth_login(c->ctx->auth, c->ctx->st, login, pw, strlen(pw), c->req->client_ip, &r);
	if (rc) {
		c->res->retry_after_s = r.retry_after_s;
		return api_auth_error(c, rc);
	}
	set_cookie(c, r.session_id, secure);
	return api_reply(c, 200, me_json(c, &r.who));
}

static int h_logout(struct api_call *c)
{
	int rc;

	if (!c->session_id[0])
		return api_error(c, 400, "not_a_session", "logout ends a console session; "
				 "revoke a token with kefu operator revoke");
	rc = auth_logout(c->ctx->auth, c->ctx->st, c->session_id, &c->who, c->req->client_ip);
	if (rc)
		return api_auth_error(c, rc);
	set_cookie(c, NULL, c->req->tls || loopback_host(c->req->host));
	return api_reply(c, 200, json_pack("{s:b}", "ok", 1));
}

static int h_me(struct api_call *c)
{
	return api_reply(c, 200, me_json(c, &c->who));
}

/* ---- operators ------------------------------------------------------------------------------ */

static int add_op(void *arg, const struct store_operator *o)
{
	return json_array_append_new(arg, api_operator_json(o));
}

static int h_operators_list(struct api_call *c)
{
	json_t *arr = json_array();
	int rc = arr ? store_operators_foreach(c->ctx->st, add_op, arr) : -1;

	if (rc) {
		json_decref(arr);
		return api_auth_error(c, rc < 0 ? rc : -1);
	}
	return api_reply(c, 200, json_pack("{s:o}", "operators", arr));
}

/* Answers with operator id (status); 404 if it is gone. */
static int reply_operator(struct api_call *c, int status, int64_t id)
{
	struct store_operator o;
	int rc = store_operator_get(c->ctx->st, id, &o);
	json_t *j;

	if (rc)
		return api_auth_error(c, auth_from_store(rc));
	j = api_operator_json(&o);
	store_operator_clear(&o);
	return api_reply(c, status, j ? json_pack("{s:o}", "operator", j) : NULL);
}

static int h_operators_add(struct api_call *c)
{
	const char *pw = api_body_str(c, "password");
	struct auth_actor by = api_actor(c);
	int64_t id = 0;
	int rc;

	rc = auth_operator_add(c->ctx->auth, c->ctx->st, &by, api_body_str(c, "login"),
			       api_body_str(c, "name"), api_body_str(c, "role"), pw, strlen(pw), &id);
	if (rc == AUTH_E_INVALID && auth_role_parse(api_body_str(c, "role")) == AUTH_ROLE_NONE)
		return api_error(c, 400, "invalid_value", "role must be admin or agent");
	if (rc)
		return api_auth_error(c, rc);
	return reply_operator(c, 201, id);
}

static int h_operator_disable(struct api_call *c)
{
	struct auth_actor by = api_actor(c);
	int rc;

	if (c->path_id == c->who.operator_id)
		return api_error(c, 400, "cannot_disable_self",
				 "an operator cannot disable their own account");
	rc = auth_operator_set_disabled(c->ctx->auth, c->ctx->st, &by, c->path_id, 1);
	if (rc)
		return api_auth_error(c, rc);
	return reply_operator(c, 200, c->path_id);
}

/* ---- audit ---------------------------------------------------------------------------------- */

static int add_audit(void *arg, const struct store_audit *a)
{
	json_t *changes = a->changes ? json_loads(a->changes, 0, NULL) : NULL;
	json_t *j = json_pack("{s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:o}",
			      "id", (json_int_t)a->id, "time_ms", (json_int_t)a->created_ms,
			      "operator_id", a->operator_id ? json_integer(a->operator_id) : json_null(),
			      "login", a->login ? a->login : "", "action", a->action ? a->action : "",
			      "object", a->object ? a->object : "", "ip", a->ip ? a->ip : "",
			      "changes", changes ? changes : json_null());

	return json_array_append_new(arg, j);
}

/* Parses a decimal query value into *v within [min, max]; 0 or -1. */
static int query_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *v)
{
	char buf[24], *end;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	long long x = strtoll(buf, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

static int h_audit(struct api_call *c)
{
	int64_t since = 0, limit = AUDIT_DEFAULT_LIMIT;
	const char *q = c->req->query;
	json_t *arr;
	int rc;

	/* since=MS (ms since the epoch) and limit=N (1..1000); nothing else */
	while (q && *q) {
		const char *amp = strchr(q, '&'), *eq = strchr(q, '=');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (!eq || eq > q + len)
			return api_error(c, 400, "bad_query", "query parameters are name=value");
		size_t nlen = (size_t)(eq - q), vlen = len - nlen - 1;
		if (nlen == 5 && !strncmp(q, "since", 5)) {
			if (query_int(eq + 1, vlen, 0, INT64_MAX / 2, &since))
				return api_error(c, 400, "bad_query", "since must be ms since the epoch");
		} else if (nlen == 5 && !strncmp(q, "limit", 5)) {
			if (query_int(eq + 1, vlen, 1, AUDIT_MAX_LIMIT, &limit))
				return api_error(c, 400, "bad_query", "limit must be 1 to %d",
						 AUDIT_MAX_LIMIT);
		} else {
			return api_error(c, 400, "unknown_field", "unknown query parameter");
		}
		q = amp ? amp + 1 : NULL;
	}
	if (!(arr = json_array()))
		return api_reply(c, 500, NULL);
	rc = store_audit_foreach(c->ctx->st, since, (int)limit, add_audit, arr);
	if (rc) {
		json_decref(arr);
		return api_auth_error(c, rc < 0 ? rc : -1);
	}
	return api_reply(c, 200, json_pack("{s:o}", "entries", arr));
}

/* ---- the table -------------------------------------------------------------------------------- */

static const struct api_field login_fields[] = {
	{ "login", API_STRING, 1 },
	{ "password", API_STRING, 1 },
	{ NULL, 0, 0 },
};

static const struct api_field operator_fields[] = {
	{ "login", API_STRING, 1 },
	{ "password", API_STRING, 1 },
	{ "role", API_STRING, 1 },
	{ "name", API_STRING, 0 },
	{ NULL, 0, 0 },
};

static const struct api_field note_fields[] = {
	{ "text", API_STRING, 1 },
	{ NULL, 0, 0 },
};

static const struct api_field review_add_fields[] = {
	{ "answer_id", API_INTEGER, 1 },
	{ "items", API_STRING, 0 },
	{ NULL, 0, 0 },
};

static const struct api_field review_create_fields[] = {
	{ "title", API_STRING, 1 },
	{ "body", API_STRING, 1 },
	{ "lang", API_STRING, 0 },
	{ "items", API_STRING, 0 },
	{ NULL, 0, 0 },
};

static const struct api_field review_dismiss_fields[] = {
	{ "items", API_STRING, 0 },
	{ NULL, 0, 0 },
};

static const struct api_field webhook_fields[] = {
	{ "url", API_STRING, 1 },
	{ "events", API_STRING, 1 },        /* comma-separated event names */
	{ NULL, 0, 0 },
};

static const struct api_route routes[] = {
	{ "POST", "/api/v1/login", AUTH_ROLE_NONE, login_fields, h_login,
	  "sign in: sets the session cookie, returns the operator and the CSRF token" },
	{ "POST", "/api/v1/logout", AUTH_ROLE_AGENT, NULL, h_logout,
	  "end this console session on the server" },
	{ "GET", "/api/v1/me", AUTH_ROLE_AGENT, NULL, h_me,
	  "who is signed in (and the session's CSRF token)" },
	{ "GET", "/api/v1/operators", AUTH_ROLE_ADMIN, NULL, h_operators_list,
	  "every operator account" },
	{ "POST", "/api/v1/operators", AUTH_ROLE_ADMIN, operator_fields, h_operators_add,
	  "add an operator" },
	{ "POST", "/api/v1/operators/{id}/disable", AUTH_ROLE_ADMIN, NULL, h_operator_disable,
	  "disable an operator (ends their sessions; their tokens stop working)" },
	{ "GET", "/api/v1/audit", AUTH_ROLE_ADMIN, NULL, h_audit,
	  "the audit log, newest first (?since=MS&limit=N)" },
	/* the inbox (api/conversations.c) */
	{ "GET", "/api/v1/conversations", AUTH_ROLE_AGENT, NULL, api_h_conversations,
	  "conversations, newest activity first, with filters and counts" },
	{ "GET", "/api/v1/conversations/{id}", AUTH_ROLE_AGENT, NULL, api_h_conversation,
	  "one conversation's whole transcript, notes, ratings and hand-offs" },
	{ "POST", "/api/v1/conversations/{id}/notes", AUTH_ROLE_AGENT, note_fields,
	  api_h_note_add, "add a private note (never shown to the customer)" },
	{ "GET", "/api/v1/search", AUTH_ROLE_AGENT, NULL, api_h_search,
	  "messages containing the words (?q=...)" },
	{ "GET", "/api/v1/canned", AUTH_ROLE_AGENT, NULL, api_h_canned,
	  "answers of the answer store whose title or body holds the words (?q=...)" },
	{ "GET", "/api/v1/attachments/{id}", AUTH_ROLE_AGENT, NULL, api_h_attachment,
	  "the bytes of a customer's voice clip or picture" },
	{ "GET", "/api/v1/conversations/{id}/summary", AUTH_ROLE_AGENT, NULL, api_h_summary,
	  "the summary card: problem, entities, answers and reactions, mood" },
	/* live take-over (api/takeover.c) */
	{ "POST", "/api/v1/conversations/{id}/take", AUTH_ROLE_AGENT, NULL, api_h_take,
	  "take the conversation over: the bot stops answering it" },
	{ "POST", "/api/v1/conversations/{id}/messages", AUTH_ROLE_AGENT, note_fields,
	  api_h_send, "send the customer a message (takes an unassigned conversation over)" },
	{ "POST", "/api/v1/conversations/{id}/handback", AUTH_ROLE_AGENT, NULL, api_h_handback,
	  "hand the conversation back to the bot" },
	{ "POST", "/api/v1/conversations/{id}/resolve", AUTH_ROLE_AGENT, NULL, api_h_resolve,
	  "resolve the conversation (and hand it back to the bot)" },
	/* the answer store, versioned (api/answers.c) */
	{ "GET", "/api/v1/answers", AUTH_ROLE_AGENT, NULL, api_h_answers,
	  "answers with filters (?q, lang, enabled, pictures, weak)" },
	{ "POST", "/api/v1/answers", AUTH_ROLE_AGENT, api_answer_add_fields, api_h_answer_add,
	  "add an answer" },
	{ "GET", "/api/v1/answers/export", AUTH_ROLE_AGENT, NULL, api_h_answers_export,
	  "download every answer with its examples (?format=json|csv)" },
	{ "POST", "/api/v1/answers/import", AUTH_ROLE_ADMIN, api_import_fields,
	  api_h_answers_import, "import CSV or kefu JSON; dry_run says what it would do" },
	{ "GET", "/api/v1/answers/{id}", AUTH_ROLE_AGENT, NULL, api_h_answer,
	  "one answer with its follow-ups, examples and pictures" },
	{ "POST", "/api/v1/answers/{id}", AUTH_ROLE_AGENT, api_answer_edit_fields,
	  api_h_answer_edit, "edit title, body, language, tags, enabled, follow-ups" },
	{ "POST", "/api/v1/answers/{id}/examples", AUTH_ROLE_AGENT, api_example_fields,
	  api_h_example_add, "add an example question" },
	{ "POST", "/api/v1/answers/{id}/examples/delete", AUTH_ROLE_AGENT, api_example_fields,
	  api_h_example_delete, "remove an example question" },
	{ "POST", "/api/v1/answers/{id}/pictures", AUTH_ROLE_AGENT, NULL, api_h_picture_add,
	  "add a catalogue picture (the raw bytes, Content-Type image/...)" },
	{ "GET", "/api/v1/pictures/{id}", AUTH_ROLE_AGENT, NULL, api_h_picture,
	  "a catalogue picture's bytes" },
	{ "POST", "/api/v1/pictures/{id}/delete", AUTH_ROLE_AGENT, NULL, api_h_picture_delete,
	  "take a catalogue picture away from its answer" },
	{ "GET", "/api/v1/answers/{id}/versions", AUTH_ROLE_AGENT, NULL, api_h_answer_versions,
	  "the answer's versions, newest first" },
	{ "GET", "/api/v1/answers/{id}/diff", AUTH_ROLE_AGENT, NULL, api_h_answer_diff,
	  "what changed between two versions (?from=N&to=M)" },
	{ "POST", "/api/v1/answers/{id}/revert", AUTH_ROLE_AGENT, api_revert_fields,
	  api_h_answer_revert, "bring an earlier version back (a new version)" },
	/* the review queue (api/review.c) */
	{ "GET", "/api/v1/review", AUTH_ROLE_AGENT, NULL, api_h_review,
	  "what customers asked that kefu could not answer, in clusters with their members" },
	{ "POST", "/api/v1/review/clusters/{id}/add", AUTH_ROLE_ADMIN, review_add_fields,
	  api_h_review_add, "add a cluster (or chosen members) as examples of an answer" },
	{ "POST", "/api/v1/review/clusters/{id}/create", AUTH_ROLE_ADMIN, review_create_fields,
	  api_h_review_create, "make a new answer with a cluster (or chosen members) as examples" },
	{ "POST", "/api/v1/review/clusters/{id}/dismiss", AUTH_ROLE_AGENT, review_dismiss_fields,
	  api_h_review_dismiss, "dismiss a cluster (or chosen members)" },
	/* training and model versions (api/models.c) */
	{ "GET", "/api/v1/models", AUTH_ROLE_AGENT, NULL, api_h_models,
	  "the text model's versions (live, candidates, earlier) and the training's state" },
	{ "GET", "/api/v1/models/training", AUTH_ROLE_AGENT, NULL, api_h_training,
	  "the running or last training: stage, fraction done, time left" },
	{ "GET", "/api/v1/models/{id}/report", AUTH_ROLE_AGENT, NULL, api_h_model_report,
	  "a version's training report, against the live version's" },
	{ "POST", "/api/v1/models/train", AUTH_ROLE_ADMIN, NULL, api_h_train,
	  "start a training in the background (its models are candidates)" },
	{ "POST", "/api/v1/models/{id}/activate", AUTH_ROLE_ADMIN, NULL, api_h_model_activate,
	  "make a version live (kefud loads it without a restart)" },
	{ "POST", "/api/v1/models/rollback", AUTH_ROLE_ADMIN, NULL, api_h_model_rollback,
	  "make the version live before the live one live again" },
	/* reports (api/reports.c) */
	{ "GET", "/api/v1/reports/summary", AUTH_ROLE_AGENT, NULL, api_h_report_summary,
	  "a period's figures: conversations, containment, hand-offs, CSAT, latency ..." },
	{ "GET", "/api/v1/reports/daily", AUTH_ROLE_AGENT, NULL, api_h_report_daily,
	  "the period day by day" },
	{ "GET", "/api/v1/reports/hours", AUTH_ROLE_AGENT, NULL, api_h_report_hours,
	  "busiest hours of the day" },
	{ "GET", "/api/v1/reports/answers", AUTH_ROLE_AGENT, NULL, api_h_report_answers,
	  "the answers given most, with their thumbs" },
	{ "GET", "/api/v1/reports/clusters", AUTH_ROLE_AGENT, NULL, api_h_report_clusters,
	  "the largest clusters of the review queue" },
	/* webhooks (api/webhooks.c) */
	{ "GET", "/api/v1/webhooks", AUTH_ROLE_ADMIN, NULL, api_h_webhooks,
	  "outgoing webhooks and their delivery counts" },
	{ "POST", "/api/v1/webhooks", AUTH_ROLE_ADMIN, webhook_fields, api_h_webhook_add,
	  "add a webhook: answers its signing secret once" },
	{ "POST", "/api/v1/webhooks/{id}/enable", AUTH_ROLE_ADMIN, NULL, api_h_webhook_enable,
	  "enable a webhook" },
	{ "POST", "/api/v1/webhooks/{id}/disable", AUTH_ROLE_ADMIN, NULL, api_h_webhook_disable,
	  "disable a webhook (events are no longer queued for it)" },
	{ "POST", "/api/v1/webhooks/{id}/delete", AUTH_ROLE_ADMIN, NULL, api_h_webhook_delete,
	  "delete a webhook and its delivery log" },
	{ "GET", "/api/v1/webhooks/{id}/deliveries", AUTH_ROLE_ADMIN, NULL,
	  api_h_webhook_deliveries, "a webhook's delivery log, newest first" },
};

static const struct api_body_rule body_rules[] = {
	{ "POST", "/api/v1/answers/import", API_MAX_UPLOAD, 0 },
	{ "POST", "/api/v1/answers/{id}/pictures", API_MAX_UPLOAD, 1 },
};

const struct api_body_rule *api_route_body(const struct api_route *r)
{
	for (size_t i = 0; i < sizeof body_rules / sizeof *body_rules; i++)
		if (!strcmp(body_rules[i].method, r->method) && !strcmp(body_rules[i].path, r->path))
			return &body_rules[i];
	return NULL;
}

const struct api_route *api_routes(size_t *n_out)
{
	*n_out = sizeof routes / sizeof *routes;
	return routes;
}
