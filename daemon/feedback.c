/* daemon/feedback.c — the worker side of the customer's feedback frames
 * (docs/protocol.md "People"): thumbs up/down on a reply (feedback), a star rating of
 * the chat (rating) and asking for a person (handoff).  proto.c parses the frames, job.c
 * makes the jobs; kd_feedback_run runs on a worker thread with that worker's store
 * connection (store/people.c does the SQL).  Answers are small JSON frames posted as
 * KD_RES_FRAME results through the pool, so they keep the connection's order.
 */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "nlu.h"
#include "store.h"


static void post_frame(struct kd_worker *w, const struct kd_job *job, json_t *j)
{
	struct kd_result *r = kd_result_new(job, KD_RES_FRAME);

	if (r)
		r->frame = kd_frame_from_json(j);
	json_decref(j);
	kd_post_or_fail(w->env, job, r);
}

static void store_error(struct kd_worker *w, const struct kd_job *job, const char *what)
{
	LOG_ERR("%s: %s", what, store_errmsg(w->st));
	kd_post_error(w->env, job, KD_E_INTERNAL, "could not record it; please retry");
}

void kd_feedback_run(struct kd_worker *w, struct kd_job *job)
{
	int rc, created = 0;
	int64_t hid = 0;

	if (job->session_id <= 0) {
		kd_post_error(w->env, job, KD_E_INTERNAL, "this connection has no session");
		return;
	}
	switch (job->kind) {
	case KD_JOB_FEEDBACK:
		rc = store_feedback_set(w->st, job->session_id, job->ref, job->value);
		if (rc == STORE_NOT_FOUND)
			kd_post_error(w->env, job, KD_E_UNKNOWN_MESSAGE,
				      "this chat has no reply to a message with that id");
		else if (rc == STORE_INVALID)
			kd_post_error(w->env, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
		else if (rc)
			store_error(w, job, "feedback");
		else
			post_frame(w, job, json_pack("{s:s, s:s}", "type", "ack", "id", job->id));
		return;
	case KD_JOB_RATING:
		rc = store_rating_add(w->st, job->session_id, job->value, job->text, NULL);
		if (rc == STORE_INVALID)
			kd_post_error(w->env, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
		else if (rc)
			store_error(w, job, "rating");
		else
			post_frame(w, job, json_pack("{s:s, s:s}", "type", "ack", "id", job->id));
		return;
	case KD_JOB_HANDOFF: {
		kd_worker_refresh_bot(w);   /* its texts hold the hand-off answer */
		int online = w->env->operators_online ? w->env->operators_online() : 0;
		const char *text = store_text(nlu_bot_texts(w->bot),
					      online ? "handoff_online" : "handoff",
					      store_text_lang(job->text));

		rc = store_handoff_request(w->st, job->session_id, job->text, text, &hid,
					   &created);
		if (rc == STORE_INVALID)
			kd_post_error(w->env, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
		else if (rc)
			store_error(w, job, "handoff");
		else
			post_frame(w, job, json_pack("{s:s, s:s, s:s, s:i, s:s}", "type", "handoff",
						     "id", job->id, "state", "waiting",
						     "operators_online", online,
						     "text", text));
		if (rc == 0 && created)
			LOG_INFO("session %lld asks for a person (hand-off %lld)",
				 (long long)job->session_id, (long long)hid);
		return;
	}
	default:
		kd_post_error(w->env, job, KD_E_INTERNAL, "unknown job");
	}
}
