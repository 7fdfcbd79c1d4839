/* daemon/pool.h — the worker pool: jobs in, results out.
 *
 * The lws service thread creates a job per accepted request ({sid, kind, payload}) and
 * pushes it with kd_pool_push (never blocks: 1 = full, answer "busy").  Each worker
 * thread owns one store connection and one nlu_state; it pops a job, does the SQLite
 * and NLU work and hands back a struct kd_result through the post callback (which the
 * server implements: append to its done list and wake lws).  A reply for a new turn is
 * posted only from the store writer's done callback, i.e. after the turn committed.
 *
 * Voice clips and pictures are jobs too (KD_JOB_AUDIO/IMAGE, upload.c): the job owns
 * the uploaded bytes; the worker runs ASR or vision with its own state (media.h).
 *
 * Ownership: a job belongs to the service thread until kd_pool_push returns 0, then to
 * the pool, which frees it.  A result belongs to the poster until post() is called,
 * then to the server.  Jobs and results carry the sid (the connection's serial number),
 * never a struct lws pointer: the connection may close while its job is in flight.
 */
#ifndef KEFU_DAEMON_POOL_H
#define KEFU_DAEMON_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "proto.h"
#include "store.h"

struct kd_bots;
struct kd_media;

enum kd_job_kind {
	KD_JOB_OPEN = 1,   /* create the connection's session row, answer welcome */
	KD_JOB_HELLO,      /* resume the session with this token, answer history */
	KD_JOB_MESSAGE,    /* answer a customer message, log the turn */
	KD_JOB_AUDIO,      /* transcribe a voice clip, answer it, log it (upload.c) */
	KD_JOB_IMAGE,      /* look at a picture, answer it, log it (upload.c) */
	KD_JOB_FEEDBACK,   /* thumbs up/down on a reply (people.c) */
	KD_JOB_RATING,     /* star rating of the chat (people.c) */
	KD_JOB_HANDOFF,    /* ask for a person (people.c) */
};

struct kd_job {
	struct kd_job *next;             /* service thread: per-connection backlog link */
	int kind;                        /* enum kd_job_kind */
	uint64_t sid;                    /* connection serial number */
	int64_t session_id;              /* store session row; set when dispatched */
	uint64_t t_recv_us;              /* frame received (cm_now_us) */
	char id[KD_ID_BYTES + 1];        /* client id of the frame (message, hello), or "" */
	char token[STORE_TOKEN_LEN + 1]; /* hello */
	char *text;                      /* message: malloc'd text; image: the words, or NULL;
					    open: the Accept-Language header, or NULL */
	size_t text_len;
	unsigned char *data;             /* audio/image: malloc'd upload bytes */
	size_t data_len;                 /* bytes received so far / in all */
	size_t data_want;                /* audio/image: announced size (binary form) */
	int speak;                       /* audio: answer with a spoken WAV too */
	char mime[64];                   /* audio/image: as announced ("" if none) */
	char ref[KD_ID_BYTES + 1];       /* feedback: id of the rated message */
	int value;                       /* feedback: 1 or -1; rating: stars; hello:
					    newest messages to skip (history paging) */
	size_t charged;                  /* bytes charged to the memory budget (budget.h),
					    released by kd_job_free */
};

enum kd_result_kind {
	KD_RES_FRAME = 1,   /* just send frame */
	KD_RES_SESSION,     /* send frame; the connection now belongs to session_id/token */
	KD_RES_REPLY,       /* send the reply of a committed turn */
	KD_RES_RESEND,      /* send the reply logged earlier for this client id */
	KD_RES_ERROR,       /* send an error frame (err) */
	KD_RES_RETRY,       /* the turn was logged concurrently: run job again (resend) */
};

struct kd_result {
	struct kd_result *next;          /* server's done list link */
	int kind;                        /* enum kd_result_kind */
	uint64_t sid;
	uint64_t t_recv_us;
	int err;                         /* KD_RES_ERROR: enum kd_err */
	int fallback;                    /* KD_RES_REPLY: the reply offers choices */
	int closes;                      /* close the connection once frame is sent */
	int64_t session_id;              /* KD_RES_SESSION */
	char token[STORE_TOKEN_LEN + 1]; /* KD_RES_SESSION */
	struct kd_frame *frame;          /* to send, a ->next chain sent in order (may be
					    NULL for RETRY) */
	int media;                       /* 1 audio, 2 image: media_seconds is set */
	double media_seconds;            /* decode + recognise / look, on the worker */
	double audio_seconds;            /* audio: length of the clip */
	struct kd_job *job;              /* KD_RES_RETRY: the job to run again */
};

/* Where results go; called on a worker or the store writer thread. */
typedef void (*kd_post_fn)(void *arg, struct kd_result *r);

struct kd_pool;

/* Opens one store connection per worker on the calling thread, then starts the
 * workers (n = conf->workers, or one per online core when 0).  Returns NULL with a
 * message in err on failure.  bots, writer and media (may be NULL: uploads are then
 * refused) must outlive the pool. */
struct kd_pool *kd_pool_create(const struct kefu_conf *conf, struct kd_bots *bots,
			       struct store_writer *writer, struct kd_media *media,
			       kd_post_fn post, void *post_arg, char *err, size_t errlen);
/* Closes the job queue, lets the workers finish the jobs already queued and joins them.
 * Results of finished jobs are posted as usual; turns they submitted may still be in
 * the store writer, whose done callbacks use the pool: stop the writer after this and
 * before kd_pool_destroy.  Calling it twice is fine.  Main thread. */
void kd_pool_stop(struct kd_pool *p);
/* Stops the pool if still running and frees everything. */
void kd_pool_destroy(struct kd_pool *p);

/* Service thread.  0 = queued (the pool owns job), 1 = its class's queue is full,
 * -1 = stopping.  Voice clips and pictures queue apart from everything else: workers
 * take text, session and history jobs first, and at most media_workers of them run
 * uploads at once, so at least one worker is always free for text (pool.c). */
int kd_pool_push(struct kd_pool *p, struct kd_job *job);
/* Jobs waiting, both classes / the text class only. */
size_t kd_pool_depth(struct kd_pool *p);
size_t kd_pool_depth_fast(struct kd_pool *p);
size_t kd_pool_capacity(const struct kd_pool *p);
int kd_pool_workers(const struct kd_pool *p);

struct kd_job *kd_job_new(int kind, uint64_t sid, uint64_t t_recv_us);
void kd_job_free(struct kd_job *j);
/* Frees a result with its frame and job. */
void kd_result_free(struct kd_result *r);

#endif
