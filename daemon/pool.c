/* daemon/pool.c — the worker pool (pool.h): the bounded job queue, the worker threads and
 * the dispatch of each job to its handler; the session jobs (open, hello) live here.
 *
 * DESIGN.  One bounded cm_queue of jobs (service thread pushes with try_push, workers
 * pop).  Each worker owns, for its whole life: a store connection (opened at start-up
 * on the main thread, used only by that worker afterwards), a reference to the bot it
 * answers with and that bot's nlu_state (worker.h).  Session creation, resume and
 * history are plain reads and writes on the worker's connection.  Customer turns go to
 * answer.c (through the answer policy), feedback/rating/handoff to feedback.c; both use
 * job.c's helpers to post results and to hand a turn to the store writer, whose done
 * callback posts the reply after the turn committed.  Workers never touch a struct lws;
 * they only call post().  Each worker's picture/voice state is made on its first upload
 * (picture_models.h, voice_models.h).
 */
#include "pool.h"
#include "worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots.h"
#include "picture_models.h"
#include "voice_models.h"
#include "clock.h"
#include "log.h"
#include "nlu.h"
#include "queue.h"
#include "tensor.h"

static const char greeting[] =
	"Hello! How can I help you today? You can write in English or Chinese. "
	"您好！请问有什么可以帮您？";

/* ---- jobs ---------------------------------------------------------------------------- */

static void do_open(struct kd_worker *w, struct kd_job *job)
{
	struct kd_result *r;
	char token[STORE_TOKEN_LEN + 1];
	int64_t sid;
	int rc = store_session_create(w->st, "ws", &sid, token);

	if (rc) {
		LOG_ERR("session_create: %s", store_errmsg(w->st));
		kd_post_error(w->pool, job, KD_E_INTERNAL, "could not create a session");
		return;
	}
	r = kd_result_new(job, KD_RES_SESSION);
	if (r) {
		r->session_id = sid;
		memcpy(r->token, token, sizeof token);
		r->frame = kd_frame_welcome(token, greeting);
	}
	kd_post_or_fail(w->pool, job, r);
}

struct history_ctx {
	json_t *items;
	char turn_id[KD_ID_BYTES + 1];   /* client id of the last customer message seen */
};

static int history_cb(void *arg, const struct store_message *m)
{
	struct history_ctx *h = arg;
	json_t *item;

	if (m->kind == STORE_MSG_CUSTOMER)
		snprintf(h->turn_id, sizeof h->turn_id, "%s", m->client_id ? m->client_id : "");
	item = kd_history_item(m, h->turn_id[0] ? h->turn_id : NULL);
	if (!item || json_array_append_new(h->items, item))
		return -1;
	return 0;
}

static void do_hello(struct kd_worker *w, struct kd_job *job)
{
	const struct kefu_conf *c = w->pool->conf;
	struct history_ctx h = { .items = json_array() };
	struct kd_result *r = NULL;
	int64_t sid;
	int rc = store_session_find(w->st, job->token, &sid);

	if (rc == STORE_NOT_FOUND) {
		kd_post_error(w->pool, job, KD_E_UNKNOWN_SESSION, "no session has this token");
		goto out;
	}
	if (rc == 0 && h.items && c->history_limit > 0)
		rc = store_history(w->st, sid, c->history_limit, history_cb, &h);
	if (rc || !h.items) {
		LOG_ERR("history: %s", rc < 0 ? store_errmsg(w->st) : "out of memory");
		kd_post_error(w->pool, job, KD_E_INTERNAL, "could not read the session");
		goto out;
	}
	/* the session this connection got at welcome goes if it stayed empty, so a page
	 * that resumes on every load does not leave an empty session row each time */
	if (job->session_id && job->session_id != sid &&
	    store_session_drop_if_empty(w->st, job->session_id, NULL))
		LOG_WARN("dropping empty session %lld: %s", (long long)job->session_id,
			 store_errmsg(w->st));
	r = kd_result_new(job, KD_RES_SESSION);
	if (r) {
		r->session_id = sid;
		memcpy(r->token, job->token, sizeof r->token);
		r->frame = kd_frame_history(job->token, h.items);
	}
	kd_post_or_fail(w->pool, job, r);
out:
	json_decref(h.items);
}

static void *worker_main(void *arg)
{
	struct kd_worker *w = arg;
	struct kd_job *job;

	while ((job = cm_queue_pop(w->pool->jobs))) {
		int handed = 0;

		switch (job->kind) {
		case KD_JOB_OPEN:
			do_open(w, job);
			break;
		case KD_JOB_HELLO:
			do_hello(w, job);
			break;
		case KD_JOB_MESSAGE:
			handed = kd_do_message(w, job);
			break;
		case KD_JOB_AUDIO:
			handed = kd_do_audio(w, job);
			break;
		case KD_JOB_IMAGE:
			handed = kd_do_image(w, job);
			break;
		case KD_JOB_FEEDBACK:
		case KD_JOB_RATING:
		case KD_JOB_HANDOFF:
			kd_feedback_run(w, job);
			break;
		default:
			kd_post_error(w->pool, job, KD_E_INTERNAL, "unknown job");
		}
		if (!handed)
			kd_job_free(job);
	}
	return NULL;
}

/* ---- life cycle -------------------------------------------------------------------- */

struct kd_pool *kd_pool_create(const struct kefu_conf *conf, struct kd_bots *bots,
			       struct store_writer *writer, struct kd_pic *pics,
			       struct kd_voice *voice, kd_post_fn post, void *post_arg,
			       char *err, size_t errlen)
{
	struct kd_pool *p = calloc(1, sizeof *p);
	long cores;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = conf;
	p->bots = bots;
	p->writer = writer;
	p->pics = pics;
	p->voice = voice;
	p->post = post;
	p->post_arg = post_arg;
	p->cap = (size_t)conf->queue_size;
	p->n = conf->workers;
	if (p->n <= 0) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		p->n = cores > 0 ? (int)cores : 1;
	}
	p->jobs = cm_queue_create(p->cap);
	p->w = calloc((size_t)p->n, sizeof *p->w);
	if (!p->jobs || !p->w) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* One BLAS thread per worker: a second one inside a small inference made it
	 * slower on this hardware (STYLE.md, 12).  The setting is process-wide. */
	cm_blas_single_thread();
	for (int i = 0; i < p->n; i++) {
		struct kd_worker *w = &p->w[i];
		w->pool = p;
		w->idx = i;
		w->st = store_open(conf->db, err, errlen);
		if (!w->st)
			goto fail;
		kd_worker_refresh_bot(w);
		if (!w->ns) {
			snprintf(err, errlen, "out of memory for the worker's NLU state");
			goto fail;
		}
	}
	for (int i = 0; i < p->n; i++) {
		if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i])) {
			snprintf(err, errlen, "cannot start worker thread %d", i);
			goto fail;
		}
		p->w[i].started = 1;
	}
	LOG_INFO("%d workers, queue of %zu jobs", p->n, p->cap);
	return p;
fail:
	kd_pool_destroy(p);
	return NULL;
}

void kd_pool_stop(struct kd_pool *p)
{
	struct kd_job *job;

	if (!p)
		return;
	if (p->jobs)
		cm_queue_close(p->jobs);
	for (int i = 0; p->w && i < p->n; i++)
		if (p->w[i].started) {
			pthread_join(p->w[i].thread, NULL);
			p->w[i].started = 0;
		}
	/* Workers drain the queue before they exit; anything left never started. */
	while (p->jobs && (job = cm_queue_pop(p->jobs)))
		kd_job_free(job);
}

void kd_pool_destroy(struct kd_pool *p)
{
	if (!p)
		return;
	kd_pool_stop(p);
	for (int i = 0; p->w && i < p->n; i++) {
		if (p->w[i].ns)
			nlu_state_destroy(p->w[i].ns);
		if (p->w[i].bot)
			nlu_bot_unref(p->w[i].bot);
		if (p->w[i].st)
			store_close(p->w[i].st);
		kd_pic_worker_destroy(p->w[i].pw);
		kd_voice_worker_destroy(p->w[i].vw);
	}
	free(p->w);
	cm_queue_destroy(p->jobs);
	free(p);
}

int kd_pool_push(struct kd_pool *p, struct kd_job *job)
{
	return cm_queue_try_push(p->jobs, job);
}

size_t kd_pool_depth(struct kd_pool *p)
{
	return cm_queue_depth(p->jobs);
}

size_t kd_pool_capacity(const struct kd_pool *p)
{
	return p->cap;
}

int kd_pool_workers(const struct kd_pool *p)
{
	return p->n;
}
