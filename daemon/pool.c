/* daemon/pool.c — the worker pool (pool.h): the bounded job queue, the worker threads and
 * the dispatch of each job to its handler; the session jobs (open, hello) live here.
 *
 * DESIGN.  SCHEDULING: two bounded FIFO classes under one lock — "fast" (session
 * creation, history, messages, feedback frames: milliseconds each) and "media" (voice
 * clips and pictures: up to seconds of decoding).  A worker always takes a fast job
 * first; it takes a media job only while fewer than media_max workers run one, and the
 * pool has at least media_max + 1 workers, so a text or a welcome never waits behind
 * uploads however many arrive.  Only the first media_max workers take media jobs, so
 * only they ever make a speech decoder and a vision state (about 100 MB and 75 MB a
 * worker, made on first use): the others serve text with their NLU state alone.
 * Fairness between connections inside each class comes
 * from the service thread: a connection has at most one job queued or running
 * (ws.c), so FIFO order is round-robin over connections.
 *
 * WAKE-UPS: a worker with nothing to take puts itself on a stack of idle workers and
 * sleeps on its own semaphore; a push takes the idle worker last put there that may run
 * the job (any for a fast job, one of the first media_max for a media job) off the stack
 * and posts its semaphore after unlocking.  sem_post never blocks; glibc's
 * pthread_cond_signal, which this replaces, made the lws service thread itself wait,
 * inside the signal, for a woken worker to run (its group switch: 337 of the service
 * thread's 6,873 context switches at 5,000/s, docs/performance.md "eleventh session"),
 * and woke workers that could not take a media job.  The worker woken is the one that
 * slept last, so at low rates one warm worker serves most jobs.
 *
 * SHEDDING: uploads may arrive faster than media_max workers serve them (a picture
 * costs up to a second).  A public server answers late work with "busy" rather than
 * letting the media queue grow without bound: with media_wait_max_ms set, a media job
 * is refused at kd_pool_push when the queue ahead of it, served at the recent pace
 * (a moving average of media service times), would keep it waiting longer than that,
 * and a media job a worker takes after it waited longer than that is answered with
 * busy + retry_after instead of being processed.  Text jobs are never shed.  Each
 * refusal is counted (kd_pool_shed).
 *
 * Each worker owns, for its whole life: a store connection (opened at start-up on the
 * main thread, used only by that worker afterwards), a reference to the bot it
 * answers with and that bot's nlu_state (worker.h).  Session creation, resume and
 * history are plain reads and writes on the worker's connection.  Customer turns go to
 * answer.c (through the answer policy), feedback/rating/handoff to feedback.c; both use
 * job.c's helpers to post results and to hand a turn to the store writer, whose done
 * callback posts the reply after the turn committed.  Workers never touch a struct lws;
 * they only call post().  Each worker's picture/voice state is made on its first upload
 * (picture/picture.h, voice_models.h).
 */
#include "pool.h"
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots.h"
#include "picture.h"
#include "voice_cmn.h"
#include "voice_models.h"
#include "clock.h"
#include "log.h"
#include "nlu.h"
#include "budget.h"
#include "tensor.h"

/* The pool: the handlers' environment and the job queue ("scheduling" above). */
struct kd_pool {
	struct kd_env env;
	pthread_mutex_t lock;
	int *idle;                         /* {lock} idle workers' idx, the last asleep on top */
	int n_idle;                        /* {lock} */
	sem_t *wake;                       /* [n]: each worker sleeps on its own */
	int n_wake;                        /* semaphores initialised */
	struct kd_job *q_fast, *q_fast_tail;   /* {lock} open, hello, message, feedback */
	struct kd_job *q_media, *q_media_tail; /* {lock} audio, image */
	size_t n_fast, n_media;            /* {lock} waiting */
	int media_running;                 /* {lock} media jobs on workers now */
	int media_max;                     /* workers media may occupy at once */
	int closed;                        /* {lock} kd_pool_stop: no more pushes */
	uint64_t media_wait_max_us;        /* media_wait_max_ms; 0 = no limit */
	double media_svc_us;               /* {lock} moving average of a media job's time */
	atomic_uint_least64_t shed;        /* media jobs answered busy for waiting too long */
	int lock_ready;
	size_t cap;                        /* per class */
	int n;
	struct kd_worker *w;
};


/* ---- jobs ---------------------------------------------------------------------------- */

static void do_open(struct kd_worker *w, struct kd_job *job)
{
	struct kd_result *r;
	char token[STORE_TOKEN_LEN + 1];
	int64_t sid;
	int rc = store_session_create(w->st, "ws", &sid, token);

	if (rc) {
		LOG_ERR("session_create: %s", store_errmsg(w->st));
		if (rc == -SQLITE_FULL)        /* a stable code the client can act on */
			kd_post_error(w->env, job, KD_E_STORAGE_FULL,
				      "the server's disk is full: no new chat can start now");
		else
			kd_post_error(w->env, job, KD_E_INTERNAL, "could not create a session");
		return;
	}
	r = kd_result_new(job, KD_RES_SESSION);
	if (r) {
		r->session_id = sid;
		memcpy(r->token, token, sizeof token);
		kd_worker_refresh_bot(w);   /* its texts hold the greeting */
		r->frame = kd_frame_welcome(token, store_text(nlu_bot_texts(w->bot), "greeting",
							      store_text_lang_accept(job->text)));
	}
	kd_post_or_fail(w->env, job, r);
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

/* Keeps the page of items that ends `skip` items before the newest and fits in max
 * bytes (at least one item); *before gets the items newer than the page's first plus
 * the page, i.e. what a client sends as "before" for the next older page, or 0 when the
 * page reaches the oldest item.  Returns the page (new reference) or NULL. */
static json_t *history_page(json_t *items, size_t skip, size_t max, int *before)
{
	size_t n = json_array_size(items), end = skip < n ? n - skip : 0, start = end,
	       bytes = 0;
	json_t *page = json_array();

	while (start > 0) {
		size_t b = json_dumpb(json_array_get(items, start - 1), NULL, 0, JSON_COMPACT) + 1;
		if (start < end && bytes + b > max)
			break;
		bytes += b;
		start--;
	}
	for (size_t i = start; page && i < end; i++)
		if (json_array_append(page, json_array_get(items, i))) {
			json_decref(page);
			return NULL;
		}
	*before = start > 0 ? (int)(n - start) : 0;
	return page;
}

static void do_hello(struct kd_worker *w, struct kd_job *job)
{
	const struct kefu_conf *c = w->env->conf;
	struct history_ctx h = { .items = json_array() };
	struct kd_result *r = NULL;
	json_t *page = NULL;
	int64_t sid;
	int before = 0;
	int rc = store_session_find(w->st, job->token, &sid);

	if (rc == STORE_NOT_FOUND) {
		kd_post_error(w->env, job, KD_E_UNKNOWN_SESSION, "no session has this token");
		goto out;
	}
	if (rc == 0 && h.items && c->history_limit > 0)
		rc = store_history(w->st, sid, c->history_limit, history_cb, &h);
	if (rc == 0 && h.items)
		page = history_page(h.items, (size_t)job->value, (size_t)c->history_bytes,
				    &before);
	if (rc || !h.items || !page) {
		LOG_ERR("history: %s", rc < 0 ? store_errmsg(w->st) : "out of memory");
		kd_post_error(w->env, job, KD_E_INTERNAL, "could not read the session");
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
		r->resumed = 1;
		memcpy(r->token, job->token, sizeof r->token);
		r->frame = kd_frame_history(job->token, page, before);
	}
	kd_post_or_fail(w->env, job, r);
out:
	json_decref(page);
	json_decref(h.items);
}

/* ---- scheduling ---------------------------------------------------------------------- */

static int is_media(const struct kd_job *j)
{
	return j->kind == KD_JOB_AUDIO || j->kind == KD_JOB_IMAGE;
}

static struct kd_job *take(struct kd_job **head, struct kd_job **tail, size_t *n)
{
	struct kd_job *j = *head;

	*head = j->next;
	if (!*head)
		*tail = NULL;
	(*n)--;
	j->next = NULL;
	return j;
}

/* {lock} Takes off the idle stack the worker that slept last and may take a job of this
 * class (media: one of the first media_max workers); its idx, or -1 when none sleeps.
 * The caller posts its semaphore after unlocking. */
static int idle_take(struct kd_pool *p, int media)
{
	for (int i = p->n_idle - 1; i >= 0; i--) {
		int idx = p->idle[i];
		if (media && idx >= p->media_max)
			continue;
		memmove(&p->idle[i], &p->idle[i + 1], (size_t)(p->n_idle - i - 1) * sizeof *p->idle);
		p->n_idle--;
		return idx;
	}
	return -1;
}

static void wake_worker(struct kd_pool *p, int idx)
{
	if (idx >= 0)
		sem_post(&p->wake[idx]);
}

/* Worker: the next job (fast first; media while under media_max, and only on the first
 * media_max workers), blocking; NULL once the pool is closed and nothing it may take is
 * left. */
static struct kd_job *next_job(struct kd_pool *p, int idx)
{
	struct kd_job *j = NULL;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->q_fast) {
			j = take(&p->q_fast, &p->q_fast_tail, &p->n_fast);
			break;
		}
		if (p->q_media && idx < p->media_max && p->media_running < p->media_max) {
			j = take(&p->q_media, &p->q_media_tail, &p->n_media);
			p->media_running++;
			break;
		}
		if (p->closed && (!p->q_media || idx >= p->media_max))
			break;
		p->idle[p->n_idle++] = idx;    /* a push or the stop takes it off and posts */
		pthread_mutex_unlock(&p->lock);
		while (sem_wait(&p->wake[idx]) && errno == EINTR)
			;
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

/* Service time's moving average: a new figure weighs 1/8. */
#define SVC_WEIGHT 0.125

/* {lock} How long a media job queued now would wait, in microseconds: the jobs ahead
 * of it (queued, and the running ones' remainder counted as half a job each) served
 * media_max at a time at the recent pace.  0 while no media job has run yet. */
static double media_wait_estimate(const struct kd_pool *p)
{
	double ahead = (double)p->n_media + 0.5 * p->media_running;

	return ahead * p->media_svc_us / p->media_max;
}

static void media_done(struct kd_pool *p, uint64_t took_us)
{
	int wake = -1;

	pthread_mutex_lock(&p->lock);
	if (took_us)
		p->media_svc_us = p->media_svc_us > 0 ?
			(1 - SVC_WEIGHT) * p->media_svc_us + SVC_WEIGHT * (double)took_us :
			(double)took_us;
	p->media_running--;
	if (p->q_media)           /* a media job waited for this slot: one who may take it */
		wake = idle_take(p, 1);
	pthread_mutex_unlock(&p->lock);
	wake_worker(p, wake);
}

/* Worker: answers a media job that waited longer than media_wait_max_ms with busy +
 * retry_after instead of running it.  1 = answered (the caller frees the job). */
static int shed_late(struct kd_worker *w, struct kd_job *job, uint64_t now)
{
	struct kd_pool *p = w->pool;
	struct kd_result *r;
	int after;

	if (!p->media_wait_max_us || now - job->t_queued_us <= p->media_wait_max_us)
		return 0;
	after = kd_pool_retry_after(p);
	LOG_DEBUG("sid %llx: upload waited %llu ms for a worker: busy",
		  (unsigned long long)job->sid,
		  (unsigned long long)((now - job->t_queued_us) / 1000));
	atomic_fetch_add(&p->shed, 1);
	r = kd_result_new(job, KD_RES_ERROR);
	if (r) {
		r->err = KD_E_BUSY;
		r->frame = kd_frame_error_retry(KD_E_BUSY, job->id[0] ? job->id : NULL,
						KD_MEDIA_BUSY_MSG, after);
	}
	kd_post_or_fail(w->env, job, r);
	return 1;
}

static void *worker_main(void *arg)
{
	struct kd_worker *w = arg;
	struct kd_job *job;

	pthread_setname_np(pthread_self(), "kd-worker");   /* per-thread CPU in bench/ws */
	while ((job = next_job(w->pool, w->idx))) {
		int handed = 0, media = is_media(job);
		uint64_t start = job->t_start_us = cm_now_us();
		/* a worker's first clip (first picture) also makes its decoder (vision
		 * state): seconds that later uploads do not pay, so it does not count in
		 * the pace shedding estimates from (it made the first upload burst of a
		 * fresh kefud look 3 s a clip under load, and refused it) */
		int fresh = media && !(job->kind == KD_JOB_AUDIO ? (void *)w->vw : (void *)w->pw);

		if (media && shed_late(w, job, start)) {
			kd_job_free(job);
			media_done(w->pool, 0);
			continue;
		}
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
			kd_post_error(w->env, job, KD_E_INTERNAL, "unknown job");
		}
		if (!handed)
			kd_job_free(job);
		if (media)
			media_done(w->pool, fresh ? 0 : cm_now_us() - start + 1);
	}
	return NULL;
}

/* ---- life cycle -------------------------------------------------------------------- */

struct kd_pool *kd_pool_create(const struct kefu_conf *conf, struct kd_bots *bots,
			       struct store_writer *writer, struct pic_models *pics,
			       struct kd_voice *voice, kd_post_fn post, void *post_arg,
			       int (*operators_online)(void), char *err, size_t errlen)
{
	struct kd_pool *p = calloc(1, sizeof *p);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->env = (struct kd_env){ .conf = conf, .bot_slot = kd_bots_slot(bots), .writer = writer,
				  .pics = pics,
				  .voice = voice, .post = post, .post_arg = post_arg,
				  .operators_online = operators_online };
	p->cap = (size_t)conf->queue_size;
	p->media_wait_max_us = (uint64_t)conf->media_wait_max_ms * 1000;
	p->media_max = conf_media_workers(conf, &p->n);
	pthread_mutex_init(&p->lock, NULL);
	p->lock_ready = 1;
	if (voice && conf->asr_session_cmn)    /* docs/speech.md "Fifth round" */
		p->env.voice_cmn = kd_vcmn_create(KD_VCMN_SESSIONS, KD_VCMN_PRIOR_FRAMES);
	p->w = calloc((size_t)p->n, sizeof *p->w);
	p->idle = calloc((size_t)p->n, sizeof *p->idle);
	p->wake = calloc((size_t)p->n, sizeof *p->wake);
	if (!p->w || !p->idle || !p->wake) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (; p->n_wake < p->n; p->n_wake++)
		sem_init(&p->wake[p->n_wake], 0, 0);
	/* One BLAS thread per worker: a second one inside a small inference made it
	 * slower on this hardware (STYLE.md, 12).  The setting is process-wide. */
	cm_blas_single_thread();
	for (int i = 0; i < p->n; i++) {
		struct kd_worker *w = &p->w[i];
		w->pool = p;
		w->env = &p->env;
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
	LOG_INFO("%d workers (pictures and voice on %d at most), queues of %zu jobs", p->n,
		 p->media_max, p->cap);
	return p;
fail:
	kd_pool_destroy(p);
	return NULL;
}

void kd_pool_stop(struct kd_pool *p)
{
	struct kd_job *job;

	if (!p || !p->lock_ready)
		return;
	pthread_mutex_lock(&p->lock);
	p->closed = 1;
	/* every sleeper (once, at stop: under the lock is fine) sees closed, or takes what
	 * is left, and exits */
	while (p->n_idle)
		wake_worker(p, p->idle[--p->n_idle]);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; p->w && i < p->n; i++)
		if (p->w[i].started) {
			pthread_join(p->w[i].thread, NULL);
			p->w[i].started = 0;
		}
	/* Workers drain the queues before they exit; anything left never started. */
	while (p->q_fast && (job = take(&p->q_fast, &p->q_fast_tail, &p->n_fast)))
		kd_job_free(job);
	while (p->q_media && (job = take(&p->q_media, &p->q_media_tail, &p->n_media)))
		kd_job_free(job);
}

void kd_pool_destroy(struct kd_pool *p)
{
	if (!p)
		return;
	kd_pool_stop(p);
	for (int i = 0; p->w && i < p->n; i++) {
		kd_worker_drop_bot(&p->w[i]);
		if (p->w[i].st)
			store_close(p->w[i].st);
		pic_worker_destroy(p->w[i].pw);
		kd_voice_worker_destroy(p->w[i].vw);
	}
	free(p->w);
	kd_vcmn_destroy(p->env.voice_cmn);
	for (int i = 0; i < p->n_wake; i++)
		sem_destroy(&p->wake[i]);
	free(p->wake);
	free(p->idle);
	if (p->lock_ready)
		pthread_mutex_destroy(&p->lock);
	free(p);
}

int kd_pool_push(struct kd_pool *p, struct kd_job *job)
{
	int media = is_media(job), rc = 0, wake = -1;

	pthread_mutex_lock(&p->lock);
	if (p->closed)
		rc = -1;
	else if ((media ? p->n_media : p->n_fast) >= p->cap)
		rc = 1;
	else if (media && p->media_wait_max_us &&
		 media_wait_estimate(p) > (double)p->media_wait_max_us) {
		rc = 2;
		atomic_fetch_add(&p->shed, 1);
	} else {
		struct kd_job **head = media ? &p->q_media : &p->q_fast;
		struct kd_job **tail = media ? &p->q_media_tail : &p->q_fast_tail;
		job->t_queued_us = cm_now_us();
		job->next = NULL;
		if (*tail)
			(*tail)->next = job;
		else
			*head = job;
		*tail = job;
		media ? p->n_media++ : p->n_fast++;
		/* a media job while media_max run one waits for media_done's wake-up */
		if (!media || p->media_running < p->media_max)
			wake = idle_take(p, media);
	}
	pthread_mutex_unlock(&p->lock);
	/* after the unlock: a worker woken while the lock is still held blocks on it at
	 * once and needs a second wake-up (the service thread's futex calls, measured) */
	wake_worker(p, wake);
	return rc;
}

size_t kd_pool_depth(struct kd_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n_fast + p->n_media;
	pthread_mutex_unlock(&p->lock);
	return n;
}

size_t kd_pool_depth_fast(struct kd_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n_fast;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int kd_pool_retry_after(struct kd_pool *p)
{
	double wait;

	pthread_mutex_lock(&p->lock);
	wait = media_wait_estimate(p);
	pthread_mutex_unlock(&p->lock);
	return wait < 1e6 ? 1 : wait > 600e6 ? 600 : (int)(wait / 1e6 + 0.999);
}

uint64_t kd_pool_shed(struct kd_pool *p)
{
	return atomic_load(&p->shed);
}

size_t kd_pool_capacity(const struct kd_pool *p)
{
	return p->cap;
}

int kd_pool_workers(const struct kd_pool *p)
{
	return p->n;
}
