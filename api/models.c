/* api/models.c — the Training page's routes: the text model's versions (live,
 * candidates, earlier ones), a version's training report against the live one's,
 * starting a background training (one at a time), its progress, making a version live
 * and rolling back.  Versions and reports come from train/versions.c (what `kefu
 * models` prints too); the training itself and loading newly live models are kefud's
 * (api_ctx.training, daemon/training.c).  Activation is committed with its audit row
 * before kefud is asked to load it.  Runs on the calling (API worker) thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "train.h"

/* Answers 200 with a JSON text made by train/ (consumed); 500 when it is NULL. */
static int reply_text(struct api_call *c, int status, char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	return api_reply(c, status, j);
}

static json_t *training_json(struct api_call *c)
{
	char *s = c->ctx->training ? c->ctx->training->status(c->ctx->training->arg) : NULL;
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	free(s);
	return j ? j : json_pack("{s:s}", "state", c->ctx->training ? "idle" : "unavailable");
}

int api_h_models(struct api_call *c)
{
	char *s = trn_versions_json(c->ctx->st);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	free(s);
	if (!j) {
		LOG_ERR("models: %s", store_errmsg(c->ctx->st));
		return api_error(c, 500, "internal", "the store failed");
	}
	json_object_set_new(j, "training", training_json(c));
	return api_reply(c, 200, j);
}

int api_h_model_report(struct api_call *c)
{
	char *out = NULL;
	int rc = trn_report_json(c->ctx->st, c->path_id, &out);

	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such version, or it has no report "
				 "(trained without cross-validation)");
	if (rc)
		return api_error(c, 500, "internal", "the store failed");
	return reply_text(c, 200, out);
}

int api_h_training(struct api_call *c)
{
	return api_reply(c, 200, training_json(c));
}

int api_h_train(struct api_call *c)
{
	const struct api_training *t = c->ctx->training;
	char err[300];
	int rc;

	if (!t)
		return api_error(c, 503, "unavailable", "training runs inside kefud only");
	rc = t->start(t->arg, c->who.login, err, sizeof err);
	if (rc == 1)
		return api_error(c, 409, "training_running", "a training is running already: "
				 "wait for it to finish");
	if (rc)
		return api_error(c, 500, "internal", "%s", err);
	struct auth_actor by = api_actor(c);
	if (auth_audit(c->ctx->auth, c->ctx->st, &by, "model.train", "model:nlu", NULL))
		LOG_WARN("audit model.train: %s", store_errmsg(c->ctx->st));
	return api_reply(c, 202, json_pack("{s:o}", "training", training_json(c)));
}

/* Makes version v live with its audit row, asks kefud to load it, answers. */
static int go_live(struct api_call *c, int64_t v, const char *action)
{
	struct auth_actor by = api_actor(c);
	char changes[64];

	snprintf(changes, sizeof changes, "{\"version\":%lld}", (long long)v);
	if (auth_audit(c->ctx->auth, c->ctx->st, &by, action, "model:nlu", changes))
		LOG_WARN("audit %s: %s", action, store_errmsg(c->ctx->st));
	if (c->ctx->training)
		c->ctx->training->reload(c->ctx->training->arg);
	return api_reply(c, 200, json_pack("{s:I, s:b}", "live", (json_int_t)v, "reloading",
					   c->ctx->training != NULL));
}

int api_h_model_activate(struct api_call *c)
{
	int rc = store_model_activate(c->ctx->st, "nlu", c->path_id);

	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such model version");
	if (rc)
		return api_error(c, 500, "internal", "the store failed");
	return go_live(c, c->path_id, "model.activate");
}

int api_h_model_rollback(struct api_call *c)
{
	int64_t v = 0;
	int rc = trn_rollback(c->ctx->st, &v);

	if (rc == STORE_NOT_FOUND)
		return api_error(c, 409, "nothing_to_roll_back", "no version was live before "
				 "the live one");
	if (rc)
		return api_error(c, 500, "internal", "the store failed");
	return go_live(c, v, "model.rollback");
}
