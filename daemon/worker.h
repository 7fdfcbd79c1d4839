/* daemon/worker.h — a worker thread's state and what every job handler uses: posting
 * results, handing a turn to the store writer, refreshing the worker's bot (job.c).
 * The handlers: pool.c (open, hello), answer.c (customer turns: typed, voice, picture),
 * feedback.c (feedback, rating, handoff).
 *
 * Everything here runs on a worker thread, except the turn's done callback which runs on
 * the store writer thread.  A struct kd_worker belongs to its thread: its store
 * connection, bot reference, nlu_state and picture/voice state are never touched by
 * another thread while it runs.
 */
#ifndef KEFU_DAEMON_WORKER_H
#define KEFU_DAEMON_WORKER_H

#include <jansson.h>
#include <pthread.h>

#include "pool.h"

struct kd_pic;
struct kd_pic_worker;
struct kd_voice;
struct kd_voice_worker;
struct nlu_bot;
struct nlu_state;

struct kd_worker {
	struct kd_pool *pool;
	int idx;
	pthread_t thread;
	int started;
	struct store *st;              /* this worker's connection */
	struct nlu_bot *bot;           /* this worker's reference */
	struct nlu_state *ns;          /* scratch for bot */
	unsigned gen;                  /* generation of bot */
	struct kd_pic_worker *pw;      /* vision + fusion state, made on first use */
	struct kd_voice_worker *vw;    /* ASR state, made on first use */
};

struct kd_pool {
	const struct kefu_conf *conf;
	struct kd_bots *bots;
	struct store_writer *writer;
	struct kd_pic *pics;           /* shared picture models; may be NULL */
	struct kd_voice *voice;        /* shared voice models; may be NULL */
	kd_post_fn post;
	void *post_arg;
	/* the job queue (pool.c "scheduling"): two FIFO classes under one lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kd_job *q_fast, *q_fast_tail;   /* {lock} open, hello, message, feedback */
	struct kd_job *q_media, *q_media_tail; /* {lock} audio, image */
	size_t n_fast, n_media;            /* {lock} waiting */
	int media_running;                 /* {lock} media jobs on workers now */
	int media_max;                     /* workers media may occupy at once */
	int closed;                        /* {lock} kd_pool_stop: no more pushes */
	int lock_ready;
	size_t cap;                        /* per class */
	int n;
	struct kd_worker *w;
};

/* ---- job.c ------------------------------------------------------------------------- */

/* Posts an error result for job (best effort when memory is short). */
void kd_post_error(struct kd_pool *p, const struct kd_job *job, enum kd_err code,
		   const char *msg);
/* Posts r if it has its frame, else an internal error; frees r then. */
void kd_post_or_fail(struct kd_pool *p, const struct kd_job *job, struct kd_result *r);
/* Switches w to the newest bot when a reload happened (keeps the old one if the new
 * state cannot be allocated). */
void kd_worker_refresh_bot(struct kd_worker *w);

/* Hands a finished turn to the store writer; its reply is posted once it committed.
 * turn must have session_id, client_id, texts, meta and attachment filled; this sets
 * latency, done and arg.  res is the result to post (its frame chain is sent as is);
 * job is kept for a retry.  Returns 1 when the writer took turn, res and job (the
 * caller must not free them), or 0 after posting an error (the caller still frees
 * job; turn and res were freed here). */
int kd_submit_turn(struct kd_pool *p, struct kd_job *job, struct store_turn *turn,
		   struct kd_result *res);

/* ---- the handlers ------------------------------------------------------------------- */

/* answer.c: customer turns.  Return 1 when job went to the writer with its turn (the
 * caller must not free it), else 0 (a result or error was posted). */
int kd_do_message(struct kd_worker *w, struct kd_job *job);
int kd_do_audio(struct kd_worker *w, struct kd_job *job);
int kd_do_image(struct kd_worker *w, struct kd_job *job);

/* feedback.c: runs a KD_JOB_FEEDBACK/RATING/HANDOFF job on w's store connection and
 * posts the ack / handoff frame or an error.  The caller still owns and frees job. */
void kd_feedback_run(struct kd_worker *w, struct kd_job *job);

#endif
