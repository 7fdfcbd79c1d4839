/* daemon/job.c — jobs and results (job.h) and the helpers every job handler uses
 * (worker.h): posting a result or an error, handing a turn to the store writer, and
 * switching a worker to a newly loaded bot.
 *
 * kd_job_* and kd_result_* run on any thread (the service thread makes jobs, workers
 * make results, the server frees them).  kd_post_*, kd_submit_turn and
 * kd_worker_refresh_bot run on a worker thread; turn_done on the store writer thread,
 * after the turn committed (or failed): a reply leaves only then.
 */
#include "job.h"
#include "worker.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "budget.h"
#include "log.h"
#include "nlu.h"
#include "slot.h"

struct kd_job *kd_job_new(int kind, uint64_t sid, uint64_t t_recv_us)
{
	struct kd_job *j = calloc(1, sizeof *j);

	if (j) {
		j->kind = kind;
		j->sid = sid;
		j->t_recv_us = t_recv_us;
	}
	return j;
}

void kd_job_free(struct kd_job *j)
{
	if (!j)
		return;
	kd_mem_release(j->charged);
	free(j->text);
	free(j->data);
	free(j);
}

void kd_result_free(struct kd_result *r)
{
	if (!r)
		return;
	kd_frame_free_list(r->frame);
	kd_job_free(r->job);
	free(r->held_text);
	free(r);
}

struct kd_result *kd_result_new(const struct kd_job *job, int kind)
{
	struct kd_result *r = calloc(1, sizeof *r);

	if (r) {
		r->kind = kind;
		r->sid = job->sid;
		r->t_recv_us = job->t_recv_us;
		r->t_start_us = job->t_start_us;
		memcpy(r->id, job->id, sizeof r->id);
	}
	return r;
}

void kd_post_error(const struct kd_env *p, const struct kd_job *job, enum kd_err code,
		       const char *msg)
{
	struct kd_result *r = kd_result_new(job, KD_RES_ERROR);

	if (!r)
		return;
	r->err = code;
	r->frame = kd_frame_error(code, job->id[0] ? job->id : NULL, msg);
	r->closes = job->kind == KD_JOB_OPEN;
	p->post(p->post_arg, r);
}

void kd_post_or_fail(const struct kd_env *p, const struct kd_job *job, struct kd_result *r)
{
	if (r && r->frame) {
		p->post(p->post_arg, r);
		return;
	}
	kd_result_free(r);
	kd_post_error(p, job, KD_E_INTERNAL, "out of memory");
}

struct kd_job *kd_job_feedback_new(struct kd_req *r, uint64_t sid, uint64_t t_recv_us)
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

/* Keeps the old bot if the new state cannot be allocated (and tries again next time).
 * The check before each job is one atomic load of the slot's generation. */
void kd_worker_refresh_bot(struct kd_worker *w)
{
	struct cm_slot *slot = w->env->bot_slot;
	struct cm_slot_ref ref;
	struct nlu_state *ns;

	if (w->bot && cm_slot_generation(slot) == w->bot_ref.gen)
		return;
	if (!cm_slot_acquire(slot, &ref))
		return;
	ns = nlu_state_create(ref.obj);
	if (!ns) {
		LOG_ERR("worker %d: no memory for the new bot's state", w->idx);
		cm_slot_release(slot, &ref);
		return;
	}
	kd_worker_drop_bot(w);
	w->bot_ref = ref;
	w->bot = ref.obj;
	w->ns = ns;
}

void kd_worker_drop_bot(struct kd_worker *w)
{
	if (w->ns)
		nlu_state_destroy(w->ns);
	if (w->bot_ref.e)            /* a worker the pool never started has no env */
		cm_slot_release(w->env->bot_slot, &w->bot_ref);
	w->ns = NULL;
	w->bot = NULL;
}

/* Writer thread: the turn committed (or not); post its reply.  arg is the result, which
 * carries its poster (env) and the job (kept for a retry, freed with the result by the
 * service thread: the thread that allocated it, so glibc's per-thread cache takes it
 * back instead of the writer freeing it into another thread's arena). */
static void turn_done(void *arg, int rc)
{
	struct kd_result *r = arg;
	const struct kd_env *p = r->env;
	struct kd_job *job = r->job;

	r->t_done_us = cm_now_us();
	if (rc == STORE_DUPLICATE && job->held) {
		/* an upload for a person sent again: logged already, acknowledged again,
		 * not pushed to the operators twice */
		free(r->held_text);
		r->held_text = NULL;
	} else if (rc == STORE_DUPLICATE) {
		/* Another connection of this session logged the same client id first: send
		 * what was logged, not what we computed. */
		kd_frame_free_list(r->frame);
		r->frame = NULL;
		r->kind = KD_RES_RETRY;
		job->logged = 1;
	} else if (rc < 0) {
		int full = rc == -SQLITE_FULL;
		kd_frame_free_list(r->frame);
		r->kind = KD_RES_ERROR;
		r->err = full ? KD_E_STORAGE_FULL : KD_E_INTERNAL;
		r->frame = kd_frame_error(r->err, job->id,
					  full ? "the server's disk is full: the message was not "
						 "logged; please resend it later"
					       : "the message could not be logged; please resend it");
	}
	p->post(p->post_arg, r);
}

int kd_submit_turn(const struct kd_env *p, struct kd_job *job, struct store_turn *turn,
		   struct kd_result *res)
{
	res->env = p;
	res->job = job;
	res->t_submit_us = cm_now_us();
	turn->latency_us = (int)(res->t_submit_us - job->t_recv_us);
	turn->done = turn_done;
	turn->arg = res;
	if (store_writer_submit(p->writer, turn) == 0)
		return 1;
	/* The writer is stopping: we still own turn, res and job. */
	res->job = NULL;
	store_turn_free(turn);
	kd_result_free(res);
	kd_post_error(p, job, KD_E_INTERNAL, "kefud is shutting down");
	return 0;
}
