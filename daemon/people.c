/* daemon/people.c — feedback, rating and handoff frames (people.h, docs/protocol.md
 * "People").  The parse step runs wherever kd_proto_parse runs; the job step on the
 * lws service thread; kd_people_run on a worker thread with that worker's store
 * connection (store/people.c does the SQL).  Answers are small JSON frames posted as
 * KD_RES_FRAME results through the pool, so they keep the connection's order.
 */
#include "people.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "pool_int.h"
#include "store.h"

/* ops hook: operators signed in on the console's /ops channel (ops.c) */
#define KD_OPERATORS_ONLINE kd_ops_online()

static const char handoff_en[] =
	"No operator is available right now. We have kept your request: a person from our "
	"team will pick up this conversation here as soon as one is free. Meanwhile you can "
	"keep asking me.";
static const char handoff_zh[] =
	"目前没有人工客服在线。我们已保留您的请求，客服有空时会在这里接手本次对话。"
	"在此期间您仍可以继续向我提问。";
/* ops hook: when someone is online (moves to the texts store with the two above) */
static const char handoff_online_en[] =
	"A person from our team will join this conversation in a moment. Meanwhile you can "
	"keep asking me.";
static const char handoff_online_zh[] = "客服人员马上会加入本次对话。在此期间您仍可以继续向我提问。";

static int fail(struct kd_req *r, enum kd_err e, const char *msg)
{
	kd_req_clear(r);
	r->err = e;
	r->err_msg = msg;
	return 1;
}

/* Optional string field name of j into r->text (bounded by max_text code points). */
static int take_text(json_t *j, const char *name, int max_text, struct kd_req *r)
{
	json_t *v = json_object_get(j, name);
	size_t n;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(r, KD_E_MISSING_FIELD, "comment/reason must be a string");
	n = json_string_length(v);
	if (kd_utf8_count(json_string_value(v), n) > (size_t)max_text)
		return fail(r, KD_E_TEXT_TOO_LONG, "the text is longer than max_text characters");
	r->text = malloc(n + 1);
	if (!r->text)
		return fail(r, KD_E_INTERNAL, "out of memory");
	memcpy(r->text, json_string_value(v), n + 1);
	r->text_len = n;
	return 0;
}

int kd_people_parse(json_t *j, const char *type, int max_text, struct kd_req *r)
{
	json_t *id = json_object_get(j, "id");

	if (!strcmp(type, "feedback"))
		r->type = KD_REQ_FEEDBACK;
	else if (!strcmp(type, "rating"))
		r->type = KD_REQ_RATING;
	else if (!strcmp(type, "handoff"))
		r->type = KD_REQ_HANDOFF;
	else
		return -1;
	if (!json_is_string(id) || !r->has_id)
		return fail(r, KD_E_MISSING_FIELD, "\"id\" (string of 1 to 64 characters) is required");

	if (r->type == KD_REQ_FEEDBACK) {
		json_t *msg = json_object_get(j, "message");
		json_t *val = json_object_get(j, "value");
		size_t n = json_is_string(msg) ? json_string_length(msg) : 0;
		size_t cp = n ? kd_utf8_count(json_string_value(msg), n) : 0;

		if (!json_is_string(msg) || n > KD_ID_BYTES || cp < 1 || cp > KD_ID_MAX)
			return fail(r, KD_E_MISSING_FIELD,
				    "\"message\" (the rated message's id) is required");
		if (!json_is_integer(val))
			return fail(r, KD_E_MISSING_FIELD, "\"value\" (1 or -1) is required");
		if (json_integer_value(val) != 1 && json_integer_value(val) != -1)
			return fail(r, KD_E_INVALID_VALUE, "\"value\" must be 1 or -1");
		memcpy(r->ref, json_string_value(msg), n + 1);
		r->value = (int)json_integer_value(val);
		return 0;
	}
	if (r->type == KD_REQ_RATING) {
		json_t *stars = json_object_get(j, "stars");

		if (!json_is_integer(stars))
			return fail(r, KD_E_MISSING_FIELD, "\"stars\" (1 to 5) is required");
		if (json_integer_value(stars) < 1 || json_integer_value(stars) > 5)
			return fail(r, KD_E_INVALID_VALUE, "\"stars\" must be 1 to 5");
		r->value = (int)json_integer_value(stars);
		return take_text(j, "comment", max_text, r);
	}
	return take_text(j, "reason", max_text, r);
}

struct kd_job *kd_people_job_new(struct kd_req *r, uint64_t sid, uint64_t t_recv_us)
{
	int kind = r->type == KD_REQ_FEEDBACK ? KD_JOB_FEEDBACK :
		   r->type == KD_REQ_RATING ? KD_JOB_RATING : KD_JOB_HANDOFF;
	struct kd_job *job = kd_job_new(kind, sid, t_recv_us);

	if (!job)
		return NULL;
	memcpy(job->id, r->id, sizeof job->id);
	memcpy(job->ref, r->ref, sizeof job->ref);
	job->value = r->value;
	job->text = r->text;           /* moves */
	job->text_len = r->text_len;
	r->text = NULL;
	return job;
}

/* 1 if s has a character of the CJK blocks U+3000..U+9FFF (UTF-8 lead bytes E3..E9). */
static int has_cjk(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0xE3 && (unsigned char)*s <= 0xE9)
			return 1;
	return 0;
}

static void post_frame(struct kd_worker *w, const struct kd_job *job, json_t *j)
{
	struct kd_result *r = kd_result_new(job, KD_RES_FRAME);

	if (r)
		r->frame = kd_frame_from_json(j);
	json_decref(j);
	kd_post_or_fail(w->pool, job, r);
}

static void store_error(struct kd_worker *w, const struct kd_job *job, const char *what)
{
	LOG_ERR("%s: %s", what, store_errmsg(w->st));
	kd_post_error(w->pool, job, KD_E_INTERNAL, "could not record it; please retry");
}

void kd_people_run(struct kd_worker *w, struct kd_job *job)
{
	int rc, created = 0;
	int64_t hid = 0;

	if (job->session_id <= 0) {
		kd_post_error(w->pool, job, KD_E_INTERNAL, "this connection has no session");
		return;
	}
	switch (job->kind) {
	case KD_JOB_FEEDBACK:
		rc = store_feedback_set(w->st, job->session_id, job->ref, job->value);
		if (rc == STORE_NOT_FOUND)
			kd_post_error(w->pool, job, KD_E_UNKNOWN_MESSAGE,
				      "this chat has no reply to a message with that id");
		else if (rc == STORE_INVALID)
			kd_post_error(w->pool, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
		else if (rc)
			store_error(w, job, "feedback");
		else
			post_frame(w, job, json_pack("{s:s, s:s}", "type", "ack", "id", job->id));
		return;
	case KD_JOB_RATING:
		rc = store_rating_add(w->st, job->session_id, job->value, job->text, NULL);
		if (rc == STORE_INVALID)
			kd_post_error(w->pool, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
		else if (rc)
			store_error(w, job, "rating");
		else
			post_frame(w, job, json_pack("{s:s, s:s}", "type", "ack", "id", job->id));
		return;
	case KD_JOB_HANDOFF: {
		int online = KD_OPERATORS_ONLINE;
		const char *text = online ? (has_cjk(job->text) ? handoff_online_zh : handoff_online_en)
				   : has_cjk(job->text) ? handoff_zh : handoff_en;

		rc = store_handoff_request(w->st, job->session_id, job->text, text, &hid,
					   &created);
		if (rc == STORE_INVALID)
			kd_post_error(w->pool, job, KD_E_INVALID_VALUE, store_errmsg(w->st));
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
		kd_post_error(w->pool, job, KD_E_INTERNAL, "unknown job");
	}
}
