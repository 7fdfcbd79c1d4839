/* daemon/metrics.h — kefud's counters and their Prometheus text rendering.
 *
 * Every counter is updated and read on the lws service thread only (frames arrive,
 * results are applied and /metrics is served there), so no field needs a lock or an
 * atomic: ws.c, which owns the struct, increments the counters and records into the
 * histograms (common/hist.h) itself, and this file only renders them.  Figures owned by
 * other threads (queue depth, store writer statistics, the
 * model in use) are sampled by the caller into struct kd_gauges when rendering.
 */
#ifndef KEFU_DAEMON_METRICS_H
#define KEFU_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "proto.h"

/* What kefu_messages_total{kind=...} counts. */
enum kd_kind {
	KD_K_MESSAGE = 0,   /* customer message frames accepted for a worker */
	KD_K_HELLO,         /* resume requests accepted */
	KD_K_PING,
	KD_K_REPLY,         /* replies sent for newly logged turns */
	KD_K_FALLBACK,      /* ... of which offered choices instead of an answer */
	KD_K_RESEND,        /* replies re-sent for an already logged client id */
	KD_K_AUDIO,         /* voice clips accepted (announced or inline) */
	KD_K_IMAGE,         /* pictures accepted */
	KD_K_FEEDBACK,      /* thumbs up/down frames accepted (feedback.c) */
	KD_K_RATING,        /* star ratings accepted */
	KD_K_HANDOFF,       /* "talk to a person" requests accepted */
	KD_K_COUNT
};

/* Uploads whose processing time kefu_media_seconds records. */
enum kd_media_kind { KD_MEDIA_AUDIO = 0, KD_MEDIA_IMAGE, KD_MEDIA_COUNT };

#define KD_LAT_BUCKETS 14

/* A reply's stages (kefu_reply_stage_seconds{stage=...}), which add up to its latency:
 * received to a worker taking the job (the connection's backlog and the pool's queue),
 * the worker's part (the answer, the reply built) to the turn handed to the store
 * writer, the writer's (its queue, the batch, COMMIT; an index pass or checkpoint it
 * runs first), and the committed turn's result waiting for the service thread (the
 * loop's wake-up and the drain). */
enum kd_stage { KD_ST_QUEUE = 0, KD_ST_WORKER, KD_ST_LOG, KD_ST_POST, KD_ST_COUNT };
#define KD_STAGE_BUCKETS 14

struct kd_metrics {
	uint64_t kinds[KD_K_COUNT];
	uint64_t errors[KD_E_COUNT];
	struct cm_hist latency;        /* reply latency, seconds (KD_LAT_BUCKETS bounds) */
	struct cm_hist stage[KD_ST_COUNT];   /* a reply's stages, seconds */
	/* worker time per upload (decode + ASR, or decode + OCR + codes + CNN), seconds */
	struct cm_hist media[KD_MEDIA_COUNT];
	double audio_seconds;          /* length of the voice clips recognised */
	uint64_t predict_ns;           /* workers' CPU inside pol_answer for typed messages */
	uint64_t predict_count;
	uint64_t sessions_total;       /* WebSocket connections accepted */
	int64_t sessions_open;
	uint64_t rejected_origin, rejected_full, rejected_path;
	uint64_t cut_slow, cut_idle;   /* connections closed: unread backlog, silence */
	int64_t start_ms;              /* wall clock at start */
};

/* Sampled when rendering. */
struct kd_gauges {
	size_t queue_depth, queue_cap;
	int workers;
	uint64_t turns, batches, turns_failed;   /* store writer */
	uint64_t index_passes, index_cpu_ns, index_max_us;   /* its log index passes */
	uint64_t ckpt_own, ckpt_own_max_us;                   /* its stops for WAL restarts */
	uint64_t ckpt_hard, wal_restarts;                     /* its waits at the bound; restarts */
	uint64_t ckpt_stop_us;                                /* its stops' time in all */
	size_t writer_queued;
	const char *model;                       /* nlu_bot_describe */
	size_t answers;
	uint64_t reloads;
	const char *event_loop;                  /* "libev" or "poll" */
	size_t mem_used, mem_budget;             /* budget.h */
	uint64_t media_shed;                     /* uploads answered busy (kd_pool_shed) */
};

/* Zeroes m, sets the histograms' bounds and the start time. */
void kd_metrics_init(struct kd_metrics *m);
/* Renders the Prometheus text format 0.0.4.  Returns a malloc'd NUL-terminated body
 * (caller frees) with *len set, or NULL on allocation failure. */
char *kd_metrics_render(const struct kd_metrics *m, const struct kd_gauges *g, size_t *len);

#endif
