/* daemon/kefud.c — start-up and shutdown of kefud, in order (main thread).
 *
 *   conf -> log level -> signal mask -> store (seed the demo into an empty one) ->
 *   bot -> store writer (redact_log) -> retention thread -> webhook sender -> lws context
 *   (listening, port file) -> picture models
 *   (CNNs, blocklist, catalogue, fusion model) -> voice models (the domain language
 *   model builds on its own thread) -> workers -> signal thread -> service loop ...
 *   stop -> quiesce -> signal thread -> workers (finish queued jobs) -> retention ->
 *   webhook sender (an attempt in flight ends within its timeout) -> writer (commits
 *   and acknowledges what is queued) -> voice -> pictures -> lws context -> bot.
 *
 * Start-up errors print one clear line and exit non-zero before anything is served.
 */
#include "kefud.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "bots.h"
#include "conf.h"
#include "answers_live.h"
#include "http_api.h"
#include "ops.h"
#include "log.h"
#include "picture.h"
#include "nlu.h"
#include "pool.h"
#include "redact.h"
#include "retention.h"
#include "review.h"
#include "webhooks.h"
#include "server.h"
#include "signals.h"
#include "store.h"
#include "tls.h"
#include "training.h"
#include "voice_models.h"

#define KD_NOFILE_WANT 65536

/* Raises the open-file limit toward KD_NOFILE_WANT so thousands of chats fit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= KD_NOFILE_WANT || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max < KD_NOFILE_WANT ? rl.rlim_max : KD_NOFILE_WANT;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		LOG_DEBUG("open files limit raised to %llu", (unsigned long long)rl.rlim_cur);
}

/* Opens the store once on the main thread: seeds the demo when empty, loads the bot.
 * Returns the bot (one reference) or NULL with err set. */
static struct nlu_bot *load_bot(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct nlu_opts opts = { .threshold = conf->threshold, .models = conf->models };
	struct nlu_bot *bot = NULL;
	char why[512];
	struct store *st = store_open(conf->db, why, sizeof why);
	int empty;

	if (!st) {
		snprintf(err, errlen, "cannot open the database %s: %s", conf->db, why);
		return NULL;
	}
	/* refuse a store no chat could use: every session would get internal (issue 18) */
	if (store_quick_check(st, why, sizeof why)) {
		snprintf(err, errlen, "the database %s is damaged (%s): restore it from a backup "
			 "or repair it with sqlite3 .recover", conf->db, why);
		goto out;
	}
	if (store_probe_write(st, why, sizeof why)) {
		snprintf(err, errlen, "the database %s is not writable (%s): kefud logs every "
			 "turn there; check the file's and its folder's permissions and the disk",
			 conf->db, why);
		goto out;
	}
	empty = store_is_empty(st);
	if (empty < 0) {
		snprintf(err, errlen, "cannot read the database %s: %s", conf->db,
			 store_errmsg(st));
		goto out;
	}
	int64_t n_ops = -1;   /* no console account yet: say how to make the first (auth/) */
	if (store_operator_count(st, 1, &n_ops) == 0 && n_ops == 0)
		LOG_INFO("no operator account yet: create the first admin with `kefu operator add "
			 "LOGIN --role admin --db %s` (it reads the password from stdin; there is "
			 "no default password)", conf->db);
	if (empty && conf->demo) {
		LOG_INFO("%s has no answers: seeding the demo answer store", conf->db);
		if (store_seed_demo(st, why, sizeof why)) {
			snprintf(err, errlen, "cannot seed the demo answer store: %s", why);
			goto out;
		}
	}
	bot = nlu_bot_load(st, &opts, why, sizeof why);
	if (!bot)
		snprintf(err, errlen, "cannot load the bot from %s: %s%s", conf->db, why,
			 empty && !conf->demo ? " (the store is empty: import answers with "
						"`kefu import`, or run with --demo true)" : "");
	else
		LOG_INFO("bot: %s, %zu answers", nlu_bot_describe(bot), nlu_bot_n_answers(bot));
out:
	store_close(st);
	return bot;
}


/* Training's progress events go to the operators like the API's (daemon/training.c). */
static void post_api_event(void *arg, const char *json)
{
	kd_api_post_event(arg, json);
}

int kefud_main(int argc, char **argv)
{
	struct kefu_conf conf;
	struct nlu_bot *bot;
	struct kd_bots *bots = NULL;
	struct store_writer *writer = NULL;
	struct kd_server *srv = NULL;
	struct kd_pool *pool = NULL;
	struct pic_models *pics = NULL;
	struct kd_voice *voice = NULL;
	struct kd_signals *sig = NULL;
	struct kd_live *live = NULL;
	struct kd_api *api = NULL;
	struct kd_ops *ops = NULL;
	struct kd_retention *ret = NULL;
	struct kd_review *review = NULL;
	struct kd_training *training = NULL;
	struct kd_webhooks *hooks = NULL;
	char err[2048];
	int rc;

	conf_defaults(&conf);
	rc = conf_parse_args(&conf, argc, argv, "kefud", NULL, 0, NULL, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "kefud: %s\n", err);
		return 2;
	}
	cm_log_set_level(conf.log_level);
	/* Upload buffers (up to max_upload) and decoded pictures are large, short-lived and
	 * freed on other threads: a fixed mmap threshold keeps them out of the heaps so
	 * their pages go back to the system when freed (glibc would otherwise raise the
	 * threshold after the first free and keep the pages in fragmented arenas). */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (kd_signals_install()) {
		fprintf(stderr, "kefud: cannot install signal handlers\n");
		return 1;
	}
	raise_nofile();
	if (kd_tls_conf_check(&conf, err, sizeof err))   /* before the slow model loading */
		goto fail;

	bot = load_bot(&conf, err, sizeof err);
	if (!bot)
		goto fail;
	bots = kd_bots_create(bot);
	if (!bots) {
		nlu_bot_unref(bot);
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	writer = store_writer_start(conf.db, err, sizeof err);
	if (!writer)
		goto fail;
	store_writer_set_redact(writer, conf.redact_log ? CM_REDACT_ALL : 0);
	ret = kd_retention_start(conf.db, conf.retention_days, err, sizeof err);
	if (!ret && conf.retention_days > 0)
		goto fail;
	if (!(review = kd_review_start(&conf, bots, err, sizeof err)))   /* review.c */
		goto fail;
	hooks = kd_webhooks_start(&conf, err, sizeof err);   /* the outbox sender (webhooks.c) */
	if (!hooks)
		goto fail;
	api = kd_api_create(&conf, err, sizeof err);   /* /api/v1/ (http_api.c) */
	if (!api)
		goto fail;
	training = kd_training_create(&conf, post_api_event, api);   /* training.c */
	if (!training) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	kd_api_set_training(api, kd_training_api(training));
	ops = kd_ops_create(&conf, err, sizeof err);   /* /ops and take-over (ops.c) */
	if (!ops)
		goto fail;
	srv = kd_server_create(&conf, bots, writer, api, ops, err, sizeof err);
	if (!srv)
		goto fail;
	pics = pic_models_create(&conf, err, sizeof err);
	if (!pics)
		goto fail;
	voice = kd_voice_create(&conf, err, sizeof err);
	if (!voice)
		goto fail;
	pool = kd_pool_create(&conf, bots, writer, pics, voice, kd_ws_post, &srv->ws,
			      kd_ops_online, err,
			      sizeof err);
	if (!pool)
		goto fail;
	sig = kd_signals_start(srv, bots, pics, voice, &conf);
	if (!sig) {
		snprintf(err, sizeof err, "cannot start the signal thread");
		goto fail;
	}
	live = kd_live_start(&conf, bots, pics, voice);   /* answers edited while running */
	if (!live)
		LOG_WARN("live reload off: answers changed while running wait for SIGHUP");

	kd_server_run(srv, pool);

	kd_server_quiesce(srv);
	kd_live_stop(live);
	kd_signals_stop(sig);
	rc = 0;
	goto stop;
fail:
	fprintf(stderr, "kefud: %s\n", err);
	rc = 1;
stop:	/* in the reverse order of the start; what was not made is NULL and skipped */
	kd_api_stop(api);
	kd_training_destroy(training);   /* a running training stops at its next step */
	kd_pool_stop(pool);
	kd_retention_stop(ret);
	kd_review_stop(review);
	kd_webhooks_stop(hooks);
	if (writer)
		store_writer_stop(writer);   /* its done callbacks post through the pool */
	kd_pool_destroy(pool);
	kd_voice_destroy(voice);
	pic_models_destroy(pics);
	kd_server_destroy(srv);
	kd_api_destroy(api);
	kd_ops_destroy(ops);
	kd_bots_destroy(bots);
	if (rc == 0)
		LOG_INFO("stopped");
	return rc;
}
