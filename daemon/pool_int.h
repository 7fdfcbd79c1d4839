/* daemon/pool_int.h — the worker pool's insides, shared by the job handlers that live in
 * their own files (pool.c: open/hello/message; upload.c: voice clips and pictures).
 *
 * Everything here runs on a worker thread, except the turn's done callback which runs on
 * the store writer thread.  A struct kd_worker belongs to its thread: its store
 * connection, bot reference, nlu_state and media state (media.h) are never touched by
 * another thread while it runs.
 */
#ifndef KEFU_DAEMON_POOL_INT_H
#define KEFU_DAEMON_POOL_INT_H

#include <jansson.h>
#include <pthread.h>

#include "pool.h"

struct kd_media;
struct kd_media_worker;
struct nlu_bot;
struct nlu_state;
struct nlu_reply;

struct kd_worker {
	struct kd_pool *pool;
	int idx;
	pthread_t thread;
	int started;
	struct store *st;           /* this worker's connection */
	struct nlu_bot *bot;        /* this worker's reference */
	struct nlu_state *ns;       /* scratch for bot */
	unsigned gen;               /* generation of bot */
	struct kd_media_worker *mw; /* ASR / vision state, made on first use (media.h) */
};

struct kd_pool {
	const struct kefu_conf *conf;
	struct kd_bots *bots;
	struct store_writer *writer;
	struct kd_media *media;     /* shared models for uploads; may be NULL */
	kd_post_fn post;
	void *post_arg;
	/* the job queue (pool.c "scheduling"): two FIFO classes under one lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kd_job *q_fast, *q_fast_tail;   /* {lock} open, hello, message, people */
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

/* A new result of kind for job (sid, receive time copied), or NULL. */
struct kd_result *kd_result_new(const struct kd_job *job, int kind);
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

/* upload.c: voice clip and picture jobs.  Return 1 when job went to the writer with
 * its turn (the caller must not free it), else 0 (a result or error was posted). */
int kd_do_audio(struct kd_worker *w, struct kd_job *job);
int kd_do_image(struct kd_worker *w, struct kd_job *job);

#endif
