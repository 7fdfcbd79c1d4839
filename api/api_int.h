/* api/api_int.h — internals of api/: the route table and what a handler gets.
 * Not for other modules; api/test_api.c walks the table through it. */
#ifndef KEFU_API_INT_H
#define KEFU_API_INT_H

#include <jansson.h>
#include <stdint.h>

#include "api.h"
#include "auth.h"
#include "store.h"

enum api_field_type { API_STRING, API_INTEGER, API_BOOLEAN };

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
/* api/redact_view.c: customers' personal data out of the inbox's answers (in place) */
void api_redact_list(json_t *list);          /* the conversations list */
void api_redact_conversation(json_t *j);     /* {conversation, messages, ratings, ...} */
void api_redact_hits(json_t *hits);          /* search hits */
void api_redact_card(json_t *card);          /* the summary card */

#endif
