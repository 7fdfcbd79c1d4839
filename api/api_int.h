/* api/api_int.h — internals of api/: the route table and what a handler gets.
 * Not for other modules; api/test_api.c walks the table through it. */
#ifndef KEFU_API_INT_H
#define KEFU_API_INT_H

#include <jansson.h>
#include <stdint.h>

#include "api.h"
#include "auth.h"
#include "store.h"

enum api_field_type { API_STRING, API_INTEGER, API_BOOLEAN, API_ARRAY };

/* One field a route's JSON body may hold.  Any other field is refused
 * (unknown_field); a field of another JSON type is refused (wrong_type). */
struct api_field {
	const char *name;
	enum api_field_type type;
	int required;
};

struct api_call;

/* One endpoint.  role: the least role that may call it — AUTH_ROLE_NONE only for the
 * login itself (api/test_api.c fails for any other route without a role).  The
 * dispatcher authenticates, checks the role, CSRF and the body against fields (NULL:
 * no body allowed) before fn runs; fn only does the work. */
struct api_route {
	const char *method;
	const char *path;            /* may end in a segment "{id}": a positive integer */
	enum auth_role role;
	const struct api_field *fields;   /* ends with a { NULL } entry */
	int (*fn)(struct api_call *c);
	const char *what;            /* one line for docs and errors */
};

/* The few routes whose body is larger than API_MAX_BODY or not JSON (api/routes.c). */
struct api_body_rule {
	const char *method, *path;   /* as in the route table */
	size_t max_body;             /* at most API_MAX_UPLOAD */
	int raw;                     /* 1: not JSON (a picture): the route has no fields and
					its handler checks req->content_type */
};
/* r's rule, or NULL: a JSON body of at most API_MAX_BODY. */
const struct api_body_rule *api_route_body(const struct api_route *r);

/* The table (api/routes.c), n_out gets its length. */
const struct api_route *api_routes(size_t *n_out);

struct api_call {
	struct api_ctx *ctx;
	const struct api_request *req;
	struct api_response *res;
	const struct api_route *route;
	struct auth_identity who;    /* the caller (role AUTH_ROLE_NONE when anonymous) */
	char session_id[AUTH_SESSION_ID_LEN + 1];   /* the cookie's session, "" if none */
	json_t *body;                /* the parsed body object, or NULL */
	int64_t path_id;             /* the {id} of the path, 0 if none */
};

/* Fills c->res with {"code": code, "message": ...} and status; returns 0 (so a
 * handler can `return api_error(...)`). */
int api_error(struct api_call *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Fills c->res with status and body (consumed; NULL -> 500 internal).  Returns 0. */
int api_reply(struct api_call *c, int status, json_t *body);
/* The body's string field name, or NULL when absent. */
const char *api_body_str(const struct api_call *c, const char *name);
/* The actor of this call, for the audit log. */
struct auth_actor api_actor(const struct api_call *c);
/* Answers an AUTH_E_* / < 0 result of auth/ with its status and code. */
int api_auth_error(struct api_call *c, int rc);
/* {"id", "login", "name", "role", "disabled", "created_ms", "last_login_ms"} */
json_t *api_operator_json(const struct store_operator *o);

/* One query parameter a route takes: api_query_parse fills value (URL-decoded, at
 * most API_QVAL_MAX - 1 bytes) and present. */
#define API_QVAL_MAX 512
struct api_qparam {
	const char *name;
	char value[API_QVAL_MAX];
	int present;
};
/* Parses c->req->query into params (ends with a { NULL } entry).  0, or -1 after
 * answering 400 unknown_field / bad_query. */
int api_query_parse(struct api_call *c, struct api_qparam *params);

/* api/conversations.c: query values and store results, for every handler.  The integer
 * value of p within [min, max] into *v (kept when absent), a boolean "1"/"true",
 * "0"/"false": 0, or -1 after answering bad_query. */
int api_qint(struct api_call *c, const struct api_qparam *p, int64_t min, int64_t max,
	     int64_t *v);
int api_qbool(struct api_call *c, const struct api_qparam *p, int *v);
/* Answers a store result: STORE_NOT_FOUND 404 "no such WHAT", STORE_INVALID 400
 * invalid_value (the store's message), < 0 500 internal (logged).  Returns 0. */
int api_store_error(struct api_call *c, int rc, const char *what);
/* Parses the store's JSON text (freed here); NULL on failure (logged). */
json_t *api_take_json(char *text);

/* api/conversations.c: the inbox routes */
int api_h_conversations(struct api_call *c);
int api_h_conversation(struct api_call *c);
int api_h_search(struct api_call *c);
int api_h_note_add(struct api_call *c);
int api_h_canned(struct api_call *c);
int api_h_attachment(struct api_call *c);
/* api/takeover.c: live take-over */
int api_h_take(struct api_call *c);
int api_h_handback(struct api_call *c);
int api_h_resolve(struct api_call *c);
int api_h_send(struct api_call *c);
/* api/summary_route.c */
int api_h_summary(struct api_call *c);
/* api/answers.c: the answer store in the console; versions (store/answer_versions.c) */
int api_h_answers(struct api_call *c);
int api_h_answer_add(struct api_call *c);
int api_h_answer(struct api_call *c);
int api_h_answer_edit(struct api_call *c);
int api_h_example_add(struct api_call *c);
int api_h_example_delete(struct api_call *c);
int api_h_picture_add(struct api_call *c);
int api_h_picture(struct api_call *c);
int api_h_picture_delete(struct api_call *c);
int api_h_answer_versions(struct api_call *c);
int api_h_answer_diff(struct api_call *c);
int api_h_answer_revert(struct api_call *c);
int api_h_answers_import(struct api_call *c);
int api_h_answers_export(struct api_call *c);
extern const struct api_field api_answer_add_fields[], api_answer_edit_fields[],
	api_example_fields[], api_revert_fields[], api_import_fields[];
/* api/review.c: the review queue */
int api_h_review(struct api_call *c);
int api_h_review_add(struct api_call *c);
int api_h_review_create(struct api_call *c);
int api_h_review_dismiss(struct api_call *c);
/* api/models.c: training, versions, reports */
int api_h_models(struct api_call *c);
int api_h_model_report(struct api_call *c);
int api_h_training(struct api_call *c);
int api_h_train(struct api_call *c);
int api_h_model_activate(struct api_call *c);
int api_h_model_rollback(struct api_call *c);
/* api/reports.c: the Reports page (agent) */
int api_h_report_summary(struct api_call *c);
int api_h_report_daily(struct api_call *c);
int api_h_report_hours(struct api_call *c);
int api_h_report_answers(struct api_call *c);
int api_h_report_clusters(struct api_call *c);
/* api/webhooks.c: outgoing webhooks (admin) */
int api_h_webhooks(struct api_call *c);
int api_h_webhook_add(struct api_call *c);
int api_h_webhook_enable(struct api_call *c);
int api_h_webhook_disable(struct api_call *c);
int api_h_webhook_delete(struct api_call *c);
int api_h_webhook_deliveries(struct api_call *c);
/* api/redact_view.c: customers' personal data out of the inbox's answers (in place) */
void api_redact_list(json_t *list);          /* the conversations list */
void api_redact_conversation(json_t *j);     /* {conversation, messages, ratings, ...} */
void api_redact_hits(json_t *hits);          /* search hits */
void api_redact_card(json_t *card);          /* the summary card */

#endif
