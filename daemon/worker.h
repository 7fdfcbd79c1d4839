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

#include "proto.h"
#include "slot.h"

struct kd_job;
struct pic_models;
struct pic_worker;
struct kd_pool;
struct kd_result;
struct kd_voice;
struct kd_voice_worker;
struct kd_vcmn;
struct kefu_conf;
struct nlu_bot;
struct nlu_state;
struct store;
struct store_turn;
struct store_writer;

/* What every handler may use besides its worker: set once by kd_pool_create, read-only
 * afterwards.  The pool's queue is not in it: handlers never see the pool. */
struct kd_env {
	const struct kefu_conf *conf;
	struct cm_slot *bot_slot;      /* the current bot (bots.c's slot) */
	struct store_writer *writer;
	struct pic_models *pics;       /* shared picture models (picture/); may be NULL */
	struct kd_voice *voice;        /* shared voice models; may be NULL */
	struct kd_vcmn *voice_cmn;     /* each session's cepstral mean (voice_cmn.h); may be NULL */
	void (*post)(void *arg, struct kd_result *r);   /* results to the service thread */
	void *post_arg;
	int (*operators_online)(void);  /* signed in on /ops now (any thread); may be NULL */
};

struct kd_worker {
	const struct kd_env *env;
	struct kd_pool *pool;          /* pool.c only (its queue) */
	int idx;
	pthread_t thread;
	int started;
	struct store *st;              /* this worker's connection */
	struct nlu_bot *bot;           /* bot_ref.obj: the bot this worker answers with */
	struct cm_slot_ref bot_ref;    /* its reference in env->bot_slot, with its generation */
	struct nlu_state *ns;          /* scratch for bot */
	struct pic_worker *pw;         /* fusion state for pictures, made on first use */
	struct kd_voice_worker *vw;    /* ASR state, made on first use */
};

/* ---- job.c ------------------------------------------------------------------------- */

/* Posts an error result for job (best effort when memory is short). */
void kd_post_error(const struct kd_env *p, const struct kd_job *job, enum kd_err code,
		   const char *msg);
/* Posts r if it has its frame, else an internal error; frees r then. */
void kd_post_or_fail(const struct kd_env *p, const struct kd_job *job, struct kd_result *r);
/* Switches w to the newest bot when a reload happened (keeps the old one if the new
 * state cannot be allocated). */
void kd_worker_refresh_bot(struct kd_worker *w);
/* Releases w's bot and its state (the worker is stopping). */
void kd_worker_drop_bot(struct kd_worker *w);

/* Hands a finished turn to the store writer; its reply is posted once it committed.
 * turn must have session_id, client_id, texts, meta and attachment filled; this sets
 * latency, done and arg.  res is the result to post (its frame chain is sent as is);
 * job is kept for a retry.  Returns 1 when the writer took turn, res and job (the
 * caller must not free them), or 0 after posting an error (the caller still frees
 * job; turn and res were freed here). */
int kd_submit_turn(const struct kd_env *p, struct kd_job *job, struct store_turn *turn,
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
