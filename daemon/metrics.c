/* daemon/metrics.c — the counters' set-up and the /metrics body (see metrics.h; ws.c
 * updates the counters itself).  Service thread only, except kd_metrics_render which is pure and may be called from any thread on a
 * snapshot. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0"
#endif

static const double bucket_le[KD_LAT_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* finer at the bottom: the stages of a reply that takes a millisecond or two */
static const double stage_le[KD_STAGE_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5, 10,
};

static const char *const stage_names[KD_ST_COUNT] = {
	[KD_ST_QUEUE] = "queue", [KD_ST_WORKER] = "worker", [KD_ST_LOG] = "log",
	[KD_ST_POST] = "post",
};

static const char *const kind_names[KD_K_COUNT] = {
	[KD_K_MESSAGE] = "message", [KD_K_HELLO] = "hello", [KD_K_PING] = "ping",
	[KD_K_REPLY] = "reply", [KD_K_FALLBACK] = "fallback", [KD_K_RESEND] = "resend",
	[KD_K_AUDIO] = "audio", [KD_K_IMAGE] = "image", [KD_K_FEEDBACK] = "feedback",
	[KD_K_RATING] = "rating", [KD_K_HANDOFF] = "handoff",
};

static const char *const media_names[KD_MEDIA_COUNT] = {
	[KD_MEDIA_AUDIO] = "audio", [KD_MEDIA_IMAGE] = "image",
};

void kd_metrics_init(struct kd_metrics *m)
{
	memset(m, 0, sizeof *m);
	cm_hist_init(&m->latency, bucket_le, KD_LAT_BUCKETS);
	for (int s = 0; s < KD_ST_COUNT; s++)
		cm_hist_init(&m->stage[s], stage_le, KD_STAGE_BUCKETS);
	for (int k = 0; k < KD_MEDIA_COUNT; k++)
		cm_hist_init(&m->media[k], bucket_le, KD_LAT_BUCKETS);
	m->start_ms = cm_wall_ms();
}

/* Prometheus label values escape backslash, double quote and newline. */
static void put_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The _bucket, _sum and _count lines of histogram h; labels ("kind=\"audio\"", or "")
 * go before le. */
static void put_hist(FILE *f, const char *name, const char *labels, const struct cm_hist *h)
{
	const char *sep = labels[0] ? "," : "";

	for (int i = 0; i <= h->n; i++) {
		fprintf(f, "%s_bucket{%s%sle=\"", name, labels, sep);
		if (i < h->n)
			fprintf(f, "%g", h->le[i]);
		else
			fputs("+Inf", f);
		fprintf(f, "\"} %llu\n", (unsigned long long)cm_hist_cumulative(h, i));
	}
	fprintf(f, "%s_sum%s%s%s %.9g\n", name, labels[0] ? "{" : "", labels,
		labels[0] ? "}" : "", h->sum);
	fprintf(f, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
		labels[0] ? "}" : "", (unsigned long long)h->count);
}

/* n histograms of one family, h[i] labelled label="names[i]". */
static void put_hists(FILE *f, const char *name, const char *label, const char *const *names,
		      const struct cm_hist *h, int n)
{
	for (int i = 0; i < n; i++) {
		char labels[64];
		snprintf(labels, sizeof labels, "%s=\"%s\"", label, names[i]);
		put_hist(f, name, labels, &h[i]);
	}
}

char *kd_metrics_render(const struct kd_metrics *m, const struct kd_gauges *g, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;

	head(f, "kefu_messages_total", "counter",
	     "Chat frames by kind: customer messages, resumes, pings, replies sent, uploads, "
	     "feedback, ratings, hand-off requests.");
	for (int k = 0; k < KD_K_COUNT; k++)
		fprintf(f, "kefu_messages_total{kind=\"%s\"} %llu\n", kind_names[k],
			(unsigned long long)m->kinds[k]);

	head(f, "kefu_errors_total", "counter", "Error frames sent, by protocol error code.");
	for (int e = 0; e < KD_E_COUNT; e++)
		fprintf(f, "kefu_errors_total{code=\"%s\"} %llu\n", kd_err_name(e),
			(unsigned long long)m->errors[e]);

	head(f, "kefu_reply_latency_seconds", "histogram",
	     "Customer message received to reply ready to send (turn committed).");
	put_hist(f, "kefu_reply_latency_seconds", "", &m->latency);
	head(f, "kefu_reply_stage_seconds", "histogram",
	     "A reply's latency by stage: queue (received to a worker taking it), worker (to "
	     "the turn handed to the log writer), log (to its COMMIT), post (to the service "
	     "thread sending it).");
	put_hists(f, "kefu_reply_stage_seconds", "stage", stage_names, m->stage, KD_ST_COUNT);

	head(f, "kefu_predict_cpu_seconds_total", "counter",
	     "Worker CPU time spent in the answer policy for typed messages (bench/ws "
	     "divides it by kefu_predict_total).");
	fprintf(f, "kefu_predict_cpu_seconds_total %.9g\n", (double)m->predict_ns / 1e9);
	head(f, "kefu_predict_total", "counter", "Typed messages the answer policy answered.");
	fprintf(f, "kefu_predict_total %llu\n", (unsigned long long)m->predict_count);

	head(f, "kefu_media_seconds", "histogram",
	     "Worker time per upload: decode + speech recognition (audio), or decode + OCR + "
	     "codes + CNN (image).");
	put_hists(f, "kefu_media_seconds", "kind", media_names, m->media, KD_MEDIA_COUNT);
	head(f, "kefu_audio_seconds_total", "counter",
	     "Length of the voice clips recognised, in seconds.");
	fprintf(f, "kefu_audio_seconds_total %.9g\n", m->audio_seconds);

	head(f, "kefu_sessions_open", "gauge", "WebSocket chat connections open now.");
	fprintf(f, "kefu_sessions_open %lld\n", (long long)m->sessions_open);
	head(f, "kefu_sessions_total", "counter", "WebSocket chat connections accepted.");
	fprintf(f, "kefu_sessions_total %llu\n", (unsigned long long)m->sessions_total);
	head(f, "kefu_connections_rejected_total", "counter",
	     "WebSocket upgrades refused, by reason.");
	fprintf(f, "kefu_connections_rejected_total{reason=\"origin\"} %llu\n",
		(unsigned long long)m->rejected_origin);
	fprintf(f, "kefu_connections_rejected_total{reason=\"max_sessions\"} %llu\n",
		(unsigned long long)m->rejected_full);
	fprintf(f, "kefu_connections_rejected_total{reason=\"path\"} %llu\n",
		(unsigned long long)m->rejected_path);

	head(f, "kefu_connections_cut_total", "counter",
	     "Chat connections closed by kefud, by reason (docs/security.md).");
	fprintf(f, "kefu_connections_cut_total{reason=\"slow_reader\"} %llu\n",
		(unsigned long long)m->cut_slow);
	fprintf(f, "kefu_connections_cut_total{reason=\"idle\"} %llu\n",
		(unsigned long long)m->cut_idle);
	head(f, "kefu_memory_bytes", "gauge",
	     "Bytes held for clients (uploads, queued jobs, unsent frames) and the budget.");
	fprintf(f, "kefu_memory_bytes{kind=\"used\"} %zu\n", g->mem_used);
	fprintf(f, "kefu_memory_bytes{kind=\"budget\"} %zu\n", g->mem_budget);

	head(f, "kefu_queue_depth", "gauge", "Jobs waiting for a worker.");
	fprintf(f, "kefu_queue_depth %zu\n", g->queue_depth);
	head(f, "kefu_queue_capacity", "gauge", "Jobs that may wait before new ones get busy.");
	fprintf(f, "kefu_queue_capacity %zu\n", g->queue_cap);
	head(f, "kefu_media_shed_total", "counter",
	     "Pictures and voice clips answered busy: they waited, or would have waited, "
	     "longer than media_wait_max_ms.");
	fprintf(f, "kefu_media_shed_total %llu\n", (unsigned long long)g->media_shed);
	head(f, "kefu_workers", "gauge", "Worker threads.");
	fprintf(f, "kefu_workers %d\n", g->workers);

	head(f, "kefu_store_turns_total", "counter", "Turns handled by the session-log writer.");
	fprintf(f, "kefu_store_turns_total %llu\n", (unsigned long long)g->turns);
	head(f, "kefu_store_batches_total", "counter", "Session-log transactions.");
	fprintf(f, "kefu_store_batches_total %llu\n", (unsigned long long)g->batches);
	head(f, "kefu_store_turns_failed_total", "counter", "Turns the writer failed to log.");
	fprintf(f, "kefu_store_turns_failed_total %llu\n", (unsigned long long)g->turns_failed);
	head(f, "kefu_store_index_passes_total", "counter",
	     "Log index passes (search index, report rollups) run by the writer.");
	fprintf(f, "kefu_store_index_passes_total %llu\n", (unsigned long long)g->index_passes);
	head(f, "kefu_store_index_cpu_seconds_total", "counter",
	     "The writer thread's CPU time inside log index passes and search index merges.");
	fprintf(f, "kefu_store_index_cpu_seconds_total %.6f\n", (double)g->index_cpu_ns / 1e9);
	head(f, "kefu_store_index_pass_max_seconds", "gauge",
	     "The longest log index pass or merge since start (wall): the next batch waited "
	     "that long.");
	fprintf(f, "kefu_store_index_pass_max_seconds %.6f\n", (double)g->index_max_us / 1e6);
	head(f, "kefu_store_writer_checkpoints_total", "counter",
	     "Times the log writer stopped for a WAL restart (the checkpointer's last step): "
	     "nothing committed meanwhile.");
	fprintf(f, "kefu_store_writer_checkpoints_total %llu\n", (unsigned long long)g->ckpt_own);
	head(f, "kefu_store_writer_checkpoint_max_seconds", "gauge",
	     "The longest of those stops since start (wall): the next batch waited that long.");
	fprintf(f, "kefu_store_writer_checkpoint_max_seconds %.6f\n",
		(double)g->ckpt_own_max_us / 1e6);
	head(f, "kefu_store_writer_checkpoint_seconds_total", "counter",
	     "Those stops' time in all (wall).");
	fprintf(f, "kefu_store_writer_checkpoint_seconds_total %.6f\n",
		(double)g->ckpt_stop_us / 1e6);
	head(f, "kefu_store_writer_bound_waits_total", "counter",
	     "Of those stops, the writer's waits for a whole WAL restart: the WAL had reached "
	     "its bound.");
	fprintf(f, "kefu_store_writer_bound_waits_total %llu\n",
		(unsigned long long)g->ckpt_hard);
	head(f, "kefu_store_wal_restarts_total", "counter", "Times the log's WAL started over.");
	fprintf(f, "kefu_store_wal_restarts_total %llu\n", (unsigned long long)g->wal_restarts);
	head(f, "kefu_store_writer_queue_depth", "gauge", "Turns waiting for the writer.");
	fprintf(f, "kefu_store_writer_queue_depth %zu\n", g->writer_queued);

	head(f, "kefu_answers", "gauge", "Enabled answers in the bot in use.");
	fprintf(f, "kefu_answers %zu\n", g->answers);
	head(f, "kefu_model_reloads_total", "counter", "Bots swapped in after SIGHUP.");
	fprintf(f, "kefu_model_reloads_total %llu\n", (unsigned long long)g->reloads);
	head(f, "kefu_start_time_seconds", "gauge", "Start time of kefud, Unix seconds.");
	fprintf(f, "kefu_start_time_seconds %lld\n", (long long)(m->start_ms / 1000));

	head(f, "kefu_build_info", "gauge", "Version, model and event loop of this kefud.");
	fprintf(f, "kefu_build_info{version=\"%s\",model=\"", KEFU_VERSION);
	put_label(f, g->model);
	fputs("\",event_loop=\"", f);
	put_label(f, g->event_loop);
	fputs("\"} 1\n", f);

	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
