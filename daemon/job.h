/* daemon/job.h — what travels between the lws service thread and the workers: a job
 * ({sid, kind, payload}) in, a result (frames to send to that sid) out.
 *
 * The service thread makes a job per accepted request (kd_job_new, or
 * kd_job_feedback_new for a parsed feedback/rating/handoff frame) and pushes it on the
 * pool (pool.h); a worker answers it and posts a result (worker.h).  Ownership: a job
 * belongs to the service thread until kd_pool_push returns 0, then to the pool, which
 * frees it.  A result belongs to the poster until post() is called, then to the server.
 * Jobs and results carry the sid (the connection's serial number), never a struct lws
 * pointer: the connection may close while its job is in flight.  Any thread.
 */
#ifndef KEFU_DAEMON_JOB_H
#define KEFU_DAEMON_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

enum kd_job_kind {
	KD_JOB_OPEN = 1,   /* create the connection's session row, answer welcome */
	KD_JOB_HELLO,      /* resume the session with this token, answer history */
	KD_JOB_MESSAGE,    /* answer a customer message, log the turn */
	KD_JOB_AUDIO,      /* transcribe a voice clip, answer it, log it (answer.c) */
	KD_JOB_IMAGE,      /* look at a picture, answer it, log it (answer.c) */
	KD_JOB_FEEDBACK,   /* thumbs up/down on a reply (feedback.c) */
	KD_JOB_RATING,     /* star rating of the chat (feedback.c) */
	KD_JOB_HANDOFF,    /* ask for a person (feedback.c) */
};

struct kd_job {
	struct kd_job *next;             /* service thread: per-connection backlog link */
	int kind;                        /* enum kd_job_kind */
	uint64_t sid;                    /* connection serial number */
	int64_t session_id;              /* store session row; set when dispatched */
	uint64_t t_recv_us;              /* frame received (cm_now_us) */
	uint64_t t_queued_us;            /* pushed into the pool (pool.c: media shedding) */
	uint64_t t_start_us;             /* a worker took it (pool.c; the reply's stages) */
	char id[KD_ID_BYTES + 1];        /* client id of the frame (message, hello), or "" */
	char token[STORE_TOKEN_LEN + 1]; /* hello */
	char *text;                      /* message: malloc'd text; image: the words, or NULL;
					    open: the Accept-Language header, or NULL */
	size_t text_len;
	unsigned char *data;             /* audio/image: malloc'd upload bytes */
	size_t data_len;                 /* bytes received so far / in all */
	size_t data_want;                /* audio/image: announced size (binary form) */
	int speak;                       /* audio: answer with a spoken WAV too */
	int held;                        /* audio/image: a person holds the session (ops.c):
					    logged for them, acknowledged, no bot reply */
	char mime[64];                   /* audio/image: as announced ("" if none) */
	char ref[KD_ID_BYTES + 1];       /* feedback: id of the rated message */
	int value;                       /* feedback: 1 or -1; rating: stars; hello:
					    newest messages to skip (history paging) */
	size_t charged;                  /* bytes charged to the memory budget (budget.h),
					    released by kd_job_free */
	int logged;                      /* message: the writer found its client id logged
					    already (job.c turn_done): look the reply up
					    before answering again */
	int resumed;                     /* the connection resumed its session (hello), so
					    the log may hold this client id from an earlier
					    connection: an upload is looked up before it is
					    decoded (answer.c) */
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
	int resumed;                     /* KD_RES_SESSION: from a hello, not a welcome */
	struct kd_frame *frame;          /* to send, a ->next chain sent in order (may be
					    NULL for RETRY) */
	int media;                       /* 1 audio, 2 image: media_seconds is set */
	double media_seconds;            /* decode + recognise / look, on the worker */
	double audio_seconds;            /* audio: length of the clip */
	uint64_t predict_ns;             /* typed message: the worker's CPU in pol_answer
					    (kefu_predict_cpu_seconds_total) */
	/* a turn's reply, its stages (kefu_reply_stage_seconds): a worker took the job,
	 * handed the turn to the store writer, the writer committed it (cm_now_us) */
	uint64_t t_start_us, t_submit_us, t_done_us;
	struct kd_job *job;              /* KD_RES_RETRY: the job to run again; a turn's
					    result (kd_submit_turn) holds its job until
					    freed, on the service thread */
	const struct kd_env *env;        /* a turn's result: where turn_done posts it */
	char id[KD_ID_BYTES + 1];        /* the job's client id ("" if none) */
	char *held_text;                 /* an upload logged for a person (job->held): the
					    customer text of its row (transcript or words),
					    for the operators' consoles; malloc'd or NULL */
};

/* Where results go (the service thread's done list); called on a worker or the store
 * writer thread. */
typedef void (*kd_post_fn)(void *arg, struct kd_result *r);

struct kd_job *kd_job_new(int kind, uint64_t sid, uint64_t t_recv_us);
/* A job for a parsed feedback/rating/handoff request; moves r->text into it.  NULL on
 * allocation failure (r untouched).  Service thread. */
struct kd_job *kd_job_feedback_new(struct kd_req *r, uint64_t sid, uint64_t t_recv_us);
void kd_job_free(struct kd_job *j);
/* A new result of kind for job (sid, receive time copied), or NULL. */
struct kd_result *kd_result_new(const struct kd_job *job, int kind);
/* Frees a result with its frame and job. */
void kd_result_free(struct kd_result *r);

#endif
