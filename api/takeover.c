/* api/takeover.c — live take-over through the REST API: take a conversation over (the
 * operator becomes its assignee and the bot stops answering it), send the customer a
 * message, hand it back to the bot, resolve it.  Each change is committed (with its
 * audit row) before the event that tells kefud's service thread goes out through
 * ctx->notify, so what the customer and the other operators see is always in the log
 * first (kill -9 loses nothing they saw).  Runs on the calling (API worker) thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"

#define MESSAGE_MAX 4000          /* bytes of an operator's message */

static json_t *who_json(const struct api_call *c)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)c->who.operator_id, "login",
			 c->who.login, "name", c->who.name[0] ? c->who.name : c->who.login);
}

/* Sends ev (consumed) to ctx->notify. */
static void notify(struct api_call *c, json_t *ev)
{
	char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

	if (s && c->ctx->notify)
		c->ctx->notify(c->ctx->notify_arg, s);
	free(s);
	json_decref(ev);
}

static void audit(struct api_call *c, const char *action, json_t *changes)
{
	struct auth_actor by = api_actor(c);
	char obj[48], *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;

	snprintf(obj, sizeof obj, "conversation:%lld", (long long)c->path_id);
	if (auth_audit(c->ctx->auth, c->ctx->st, &by, action, obj, ch))
		LOG_WARN("audit %s: %s", action, store_errmsg(c->ctx->st));
	free(ch);
	json_decref(changes);
}

static int fail(struct api_call *c, int rc)
{
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such conversation");
	if (rc == STORE_INVALID)
		return api_error(c, 400, "invalid_value", "%s", store_errmsg(c->ctx->st));
	LOG_ERR("take-over: %s", store_errmsg(c->ctx->st));
	return api_error(c, 500, "internal", "the store failed");
}

/* Makes the caller the assignee and tells everyone.  0 or a store error. */
static int assign(struct api_call *c, int64_t now)
{
	int rc = store_session_assign(c->ctx->st, c->path_id, c->who.operator_id, now);

	if (rc)
		return rc;
	audit(c, "conversation.take", NULL);
	notify(c, json_pack("{s:s, s:I, s:o}", "type", "assigned", "conversation_id",
			    (json_int_t)c->path_id, "operator", who_json(c)));
	return 0;
}

int api_h_take(struct api_call *c)
{
	int rc = assign(c, auth_now_ms(c->ctx->auth));

	if (rc)
		return fail(c, rc);
	return api_reply(c, 200, json_pack("{s:I, s:s, s:o}", "conversation_id",
					   (json_int_t)c->path_id, "state", "operator",
					   "assignee", who_json(c)));
}

static int release(struct api_call *c, int resolve)
{
	int64_t now = auth_now_ms(c->ctx->auth);
	int rc = store_session_release(c->ctx->st, c->path_id, resolve, now);
	const char *reason = resolve ? "resolve" : "handback";

	if (rc)
		return fail(c, rc);
	audit(c, resolve ? "conversation.resolve" : "conversation.handback", NULL);
	notify(c, json_pack("{s:s, s:I, s:s, s:o}", "type", "released", "conversation_id",
			    (json_int_t)c->path_id, "reason", reason, "operator", who_json(c)));
	return api_reply(c, 200, json_pack("{s:I, s:s, s:o}", "conversation_id",
					   (json_int_t)c->path_id, "state", "bot", "resolved_ms",
					   resolve ? json_integer(now) : json_null()));
}

int api_h_handback(struct api_call *c)
{
	return release(c, 0);
}

int api_h_resolve(struct api_call *c)
{
	return release(c, 1);
}

int api_h_send(struct api_call *c)
{
	const char *text = api_body_str(c, "text");
	int64_t now = auth_now_ms(c->ctx->auth), assignee = 0, id = 0;
	json_t *meta, *msg;
	char *meta_s;
	int rc;

	if (!text[0] || strlen(text) > MESSAGE_MAX)
		return api_error(c, 400, "invalid_value", "text must be 1 to %d bytes", MESSAGE_MAX);
	if ((rc = store_session_assignee(c->ctx->st, c->path_id, &assignee)))
		return fail(c, rc);
	/* a person speaking stops the bot: an unassigned conversation becomes the
	 * sender's; one assigned to a colleague stays theirs (shared inbox) */
	if (!assignee && (rc = assign(c, now)))
		return fail(c, rc);
	meta = json_pack("{s:I, s:s}", "operator_id", (json_int_t)c->who.operator_id, "name",
			 c->who.name[0] ? c->who.name : c->who.login);
	meta_s = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	if (!meta_s)
		return api_reply(c, 500, NULL);
	/* committed before anyone is told: the log has what the customer will see */
	rc = store_message_add(c->ctx->st, c->path_id, STORE_MSG_OPERATOR, NULL, text, 0, 0, 0,
			       meta_s, 0, &id);
	free(meta_s);
	if (rc == 0)
		rc = store_session_touch(c->ctx->st, c->path_id);
	if (rc)
		return fail(c, rc);
	audit(c, "message.send", json_pack("{s:I}", "message", (json_int_t)id));
	msg = json_pack("{s:I, s:s, s:s, s:I, s:o}", "id", (json_int_t)id, "kind", "operator",
			"text", text, "created_ms", (json_int_t)now, "operator", who_json(c));
	notify(c, json_pack("{s:s, s:I, s:O}", "type", "message", "conversation_id",
			    (json_int_t)c->path_id, "message", msg));
	return api_reply(c, 201, json_pack("{s:o}", "message", msg));
}
