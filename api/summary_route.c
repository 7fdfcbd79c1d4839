/* api/summary_route.c — GET /api/v1/conversations/{id}/summary: the summary card of a
 * conversation for whoever takes it over (summary/: extractive, no LLM), computed on
 * demand from the log on the calling API worker's store connection; the summariser's
 * context is shared read-only (api_ctx.summary).
 */
#include <stdio.h>

#include "api_int.h"
#include "log.h"
#include "summary.h"

int api_h_summary(struct api_call *c)
{
	char token[STORE_TOKEN_LEN + 1], err[256];
	struct sum_session s;
	struct sum_card card;
	json_t *j;
	int rc;

	if (!c->ctx->summary)
		return api_error(c, 503, "unavailable", "the summariser is not loaded");
	rc = store_session_token(c->ctx->st, c->path_id, token);
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such conversation");
	if (rc == 0)
		rc = sum_session_load(c->ctx->st, token, &s, err, sizeof err);
	else
		snprintf(err, sizeof err, "%s", store_errmsg(c->ctx->st));
	if (rc) {
		LOG_ERR("summary of %lld: %s", (long long)c->path_id, err);
		return api_error(c, 500, "internal", "the conversation could not be read");
	}
	if (sum_card_build(c->ctx->summary, &s.d, NULL, &card)) {
		sum_session_free(&s);
		return api_reply(c, 500, NULL);
	}
	j = sum_card_json(&card);
	if (j) {
		api_redact_card(j);
		json_object_set_new(j, "conversation_id", json_integer(c->path_id));
		json_object_set_new(j, "state", json_string(s.state));
		json_object_set_new(j, "turns", json_integer((json_int_t)s.d.n_turns));
	}
	sum_card_free(&card);
	sum_session_free(&s);
	return api_reply(c, 200, j);
}
