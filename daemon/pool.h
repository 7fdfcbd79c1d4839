/* daemon/pool.h — the worker pool: jobs in, results out.
 *
 * The lws service thread creates a job per accepted request ({sid, kind, payload}) and
 * pushes it with kd_pool_push (never blocks: 1 = full, answer "busy").  Each worker
 * thread owns one store connection and one nlu_state; it pops a job, does the SQLite
 * and NLU work and hands back a struct kd_result through the post callback (which the
 * server implements: append to its done list and wake lws).  A reply for a new turn is
 * posted only from the store writer's done callback, i.e. after the turn committed.
 *
 * Jobs and results themselves are job.h.  Customer turns (typed, voice clips, pictures)
 * are answered in answer.c through the answer policy (policy/); feedback, ratings and
 * hand-off requests in feedback.c; the worker's ASR/vision state is voice_models.h /
 * picture/picture.h.
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
#include "job.h"
#include "store.h"

struct kd_bots;
struct pic_models;
struct kd_voice;

struct kd_pool;

/* Opens one store connection per worker on the calling thread, then starts the
 * workers (n = conf->workers, or one per online core when 0).  Returns NULL with a
 * message in err on failure.  bots, writer, pics and voice (either may be NULL: those
 * uploads are then refused) must outlive the pool.  operators_online (may be NULL)
 * tells a hand-off whether a person is there. */
struct kd_pool *kd_pool_create(const struct kefu_conf *conf, struct kd_bots *bots,
			       struct store_writer *writer, struct pic_models *pics,
			       struct kd_voice *voice, kd_post_fn post, void *post_arg,
			       int (*operators_online)(void), char *err, size_t errlen);
/* Closes the job queue, lets the workers finish the jobs already queued and joins them.
 * Results of finished jobs are posted as usual; turns they submitted may still be in
 * the store writer, whose done callbacks use the pool: stop the writer after this and
 * before kd_pool_destroy.  Calling it twice is fine.  Main thread. */
void kd_pool_stop(struct kd_pool *p);
/* Stops the pool if still running and frees everything. */
void kd_pool_destroy(struct kd_pool *p);

/* Service thread.  0 = queued (the pool owns job), 1 = its class's queue is full,
 * 2 = a voice clip or picture that would wait longer than media_wait_max_ms (answer
 * busy with kd_pool_retry_after), -1 = stopping.  A media job that still waits longer
 * than that is answered busy by the worker that takes it (pool.c, "shedding").  Voice clips and pictures queue apart from everything else: workers
 * take text, session and history jobs first, and at most media_workers of them run
 * uploads at once, so at least one worker is always free for text (pool.c). */
int kd_pool_push(struct kd_pool *p, struct kd_job *job);
/* Jobs waiting, both classes / the text class only. */
size_t kd_pool_depth(struct kd_pool *p);
size_t kd_pool_depth_fast(struct kd_pool *p);
size_t kd_pool_capacity(const struct kd_pool *p);
/* The busy error's message for an upload shed for waiting too long. */
#define KD_MEDIA_BUSY_MSG "kefud has too many pictures and voice clips to read now; " \
	"please retry in a moment"
/* Seconds (1..600) a refused upload is told to wait: the media queue's estimated wait. */
int kd_pool_retry_after(struct kd_pool *p);
/* Uploads answered busy so far for waiting too long (at push or when taken). */
uint64_t kd_pool_shed(struct kd_pool *p);
int kd_pool_workers(const struct kd_pool *p);

#endif
