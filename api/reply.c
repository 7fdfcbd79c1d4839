/* api/reply.c — the helpers every route handler answers with (api_int.h): the JSON
 * reply and the error of the stable codes, the caller as an audit actor, an operator
 * as JSON, the body's strings; and the response's clean-up (api.h).
 *
 * Below the handlers and api_handle alike (api.c dispatches to routes.c's handlers,
 * which call these): calls go one way (tests/arch/check_cycles.py).  Runs on the
 * calling API worker thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "utf8.h"

int api_path_is_api(const char *path)
{
	return path && !strncmp(path, "/api/", 5);
}

void api_response_clear(struct api_response *res)
{
	if (!res)
		return;
	free(res->body);
	memset(res, 0, sizeof *res);
}

int api_reply(struct api_call *c, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	free(c->res->body);
	if (!s) {
		static const char oom[] = "{\"code\":\"internal\",\"message\":\"out of memory\"}";
		c->res->status = 500;
		c->res->body = strdup(oom);
		c->res->body_len = c->res->body ? strlen(oom) : 0;
		return 0;
	}
	c->res->status = status;
	c->res->body = s;
	c->res->body_len = strlen(s);
	return 0;
}

int api_error(struct api_call *c, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* jansson quotes the bad input in its parse errors: a message that is not UTF-8 would
	 * make json_pack fail and the answer a 500 (found by fuzz/fuzz_api_body.c) */
	if (!cm_utf8_valid(msg, strlen(msg)))
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	return api_reply(c, status, json_pack("{s:s, s:s}", "code", code, "message", msg));
}

int api_auth_error(struct api_call *c, int rc)
{
	switch (rc) {
	case AUTH_E_CREDENTIALS:
		return api_error(c, 401, "invalid_credentials", "%s", auth_strerror(rc));
	case AUTH_E_THROTTLED:
		return api_error(c, 429, "login_throttled", "%s", auth_strerror(rc));
	case AUTH_E_LOCKED:
		return api_error(c, 429, "account_locked", "%s", auth_strerror(rc));
	case AUTH_E_NO_SESSION:
		return api_error(c, 401, "unauthenticated", "%s", auth_strerror(rc));
	case AUTH_E_PASSWORD_SHORT:
		return api_error(c, 400, "password_too_short", "%s", auth_strerror(rc));
	case AUTH_E_PASSWORD_LONG:
		return api_error(c, 400, "password_too_long", "%s", auth_strerror(rc));
	case AUTH_E_PASSWORD_UTF8:
		return api_error(c, 400, "invalid_utf8", "%s", auth_strerror(rc));
	case AUTH_E_BUSY:
		c->res->retry_after_s = 1;
		return api_error(c, 503, "busy", "%s", auth_strerror(rc));
	case AUTH_E_INVALID:
		return api_error(c, 400, "invalid_value", "%s", store_errmsg(c->ctx->st));
	case AUTH_E_DUPLICATE:
		return api_error(c, 409, "login_taken", "%s", auth_strerror(rc));
	case AUTH_E_NOT_FOUND:
		return api_error(c, 404, "not_found", "%s", auth_strerror(rc));
	case AUTH_E_ROLE:
		return api_error(c, 403, "forbidden", "%s", auth_strerror(rc));
	default:
		LOG_ERR("%s %s: %s", c->req->method, c->req->path, store_errmsg(c->ctx->st));
		return api_error(c, 500, "internal", "internal error");
	}
}

const char *api_body_str(const struct api_call *c, const char *name)
{
	return c->body ? json_string_value(json_object_get(c->body, name)) : NULL;
}

struct auth_actor api_actor(const struct api_call *c)
{
	struct auth_actor a = { c->who.operator_id, c->who.login, c->req->client_ip };
	return a;
}

json_t *api_operator_json(const struct store_operator *o)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:b, s:I, s:I}", "id", (json_int_t)o->id,
			 "login", o->login, "name", o->name ? o->name : "", "role", o->role,
			 "disabled", o->disabled, "created_ms", (json_int_t)o->created_ms,
			 "last_login_ms", (json_int_t)o->last_login_ms);
}
