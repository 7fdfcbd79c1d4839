/* api/webhooks.c — admins' outgoing webhooks: list, add (the signing secret is
 * answered once and stored sealed), enable, disable, delete, and each endpoint's
 * delivery log.  Role admin: a webhook sends conversations out of kefu.  Every change
 * is audited (webhook.add / .enable / .disable / .delete, with the URL and events,
 * never the secret).  kefud's sender (daemon/webhooks.c) delivers; the rows are
 * store/webhooks.c's, the secret and its sealing webhooks/wh.h's.  Runs on the calling
 * API worker thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_int.h"
#include "log.h"
#include "wh.h"

#define LOG_DEFAULT 50
#define LOG_MAX 500

static int store_error(struct api_call *c, int rc, const char *what)
{
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such %s", what);
	if (rc == STORE_INVALID)
		return api_error(c, 400, "invalid_value", "%s", store_errmsg(c->ctx->st));
	LOG_ERR("%s: %s", what, store_errmsg(c->ctx->st));
	return api_error(c, 500, "internal", "the store failed");
}

/* The store's JSON text (freed here) as a value, or NULL. */
static json_t *take(char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

	free(text);
	return j;
}

static void audit(struct api_call *c, const char *action, int64_t id, json_t *changes)
{
	struct auth_actor by = api_actor(c);
	char obj[48], *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;

	snprintf(obj, sizeof obj, "webhook:%lld", (long long)id);
	auth_audit(c->ctx->auth, c->ctx->st, &by, action, obj, ch);
	free(ch);
	json_decref(changes);
}

/* Loads the key that seals secrets (the file beside the database); -1 after 500. */
static int load_key(struct api_call *c, uint8_t key[WH_KEY_LEN])
{
	char path[1024], err[256];

	snprintf(path, sizeof path, "%s%s", store_db_path(c->ctx->st), WH_KEY_SUFFIX);
	if (!store_db_path(c->ctx->st)[0] || wh_key_load(path, key, err, sizeof err)) {
		LOG_ERR("webhooks: %s", store_db_path(c->ctx->st)[0] ? err : "in-memory store");
		return api_error(c, 500, "internal", "the webhook key cannot be read"), -1;
	}
	return 0;
}

int api_h_webhooks(struct api_call *c)
{
	char *text = NULL;
	int rc = store_webhooks_json(c->ctx->st, &text);
	json_t *j;

	if (rc)
		return store_error(c, rc, "webhook");
	j = take(text);
	return api_reply(c, 200, j ? json_pack("{s:o}", "webhooks", j) : NULL);
}

int api_h_webhook_add(struct api_call *c)
{
	const char *url = api_body_str(c, "url"), *events = api_body_str(c, "events");
	char secret[WH_SECRET_MAX], *text = NULL;
	uint8_t key[WH_KEY_LEN], *sealed = NULL;
	size_t sealed_len = 0;
	int64_t id = 0;
	json_t *j;
	int rc;

	if (load_key(c, key))
		return 0;
	if (wh_secret_new(secret) || wh_seal(key, secret, strlen(secret), &sealed, &sealed_len)) {
		OPENSSL_cleanse(key, sizeof key);
		return api_error(c, 500, "internal", "no secret could be made");
	}
	OPENSSL_cleanse(key, sizeof key);
	rc = store_webhook_add(c->ctx->st, url, events, sealed, sealed_len, c->who.login,
			       auth_now_ms(c->ctx->auth), &id);
	free(sealed);
	if (rc) {
		OPENSSL_cleanse(secret, sizeof secret);
		return store_error(c, rc, "webhook");
	}
	audit(c, "webhook.add", id, json_pack("{s:s, s:s}", "url", url, "events", events));
	rc = store_webhook_json(c->ctx->st, id, &text);
	j = rc ? NULL : take(text);
	/* the secret is shown this once: the store keeps it sealed */
	j = j ? json_pack("{s:o, s:s}", "webhook", j, "secret", secret) : NULL;
	OPENSSL_cleanse(secret, sizeof secret);
	return api_reply(c, 201, j);
}

static int set_enabled(struct api_call *c, int enabled)
{
	char *text = NULL;
	int rc = store_webhook_set_enabled(c->ctx->st, c->path_id, enabled);
	json_t *j;

	if (rc)
		return store_error(c, rc, "webhook");
	audit(c, enabled ? "webhook.enable" : "webhook.disable", c->path_id, NULL);
	rc = store_webhook_json(c->ctx->st, c->path_id, &text);
	if (rc)
		return store_error(c, rc, "webhook");
	j = take(text);
	return api_reply(c, 200, j ? json_pack("{s:o}", "webhook", j) : NULL);
}

int api_h_webhook_enable(struct api_call *c)
{
	return set_enabled(c, 1);
}

int api_h_webhook_disable(struct api_call *c)
{
	return set_enabled(c, 0);
}

int api_h_webhook_delete(struct api_call *c)
{
	struct store_webhook w;
	int rc = store_webhook_get(c->ctx->st, c->path_id, &w);
	json_t *ch;

	if (rc)
		return store_error(c, rc, "webhook");
	ch = json_pack("{s:s, s:s}", "url", w.url, "events", w.events);
	store_webhook_clear(&w);
	rc = store_webhook_delete(c->ctx->st, c->path_id);
	if (rc) {
		json_decref(ch);
		return store_error(c, rc, "webhook");
	}
	audit(c, "webhook.delete", c->path_id, ch);
	return api_reply(c, 200, json_pack("{s:b}", "ok", 1));
}

int api_h_webhook_deliveries(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "limit" }, { .name = NULL } };
	long long limit = LOG_DEFAULT;
	char *text = NULL, *end;
	struct store_webhook w;
	json_t *j;
	int rc;

	if (api_query_parse(c, qp))
		return 0;
	if (qp[0].present) {
		limit = strtoll(qp[0].value, &end, 10);
		if (end == qp[0].value || *end || limit < 1 || limit > LOG_MAX)
			return api_error(c, 400, "bad_query", "limit must be 1 to %d", LOG_MAX);
	}
	if ((rc = store_webhook_get(c->ctx->st, c->path_id, &w)))
		return store_error(c, rc, "webhook");
	store_webhook_clear(&w);
	rc = store_webhook_deliveries_json(c->ctx->st, c->path_id, (int)limit, &text);
	if (rc)
		return store_error(c, rc, "webhook");
	j = take(text);
	return api_reply(c, 200, j ? json_pack("{s:o}", "deliveries", j) : NULL);
}
