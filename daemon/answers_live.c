/* daemon/answers_live.c — answers and catalogue pictures changed while kefud runs reach
 * the customers without a restart or a SIGHUP.
 *
 * Every change of an answer — made in the console (api/answers.c) or with `kefu answer`
 * — is a new row of answer_versions (store/answer_versions.c), so one number, the
 * newest version row's id (store_answer_versions_mark), says that something changed,
 * whoever changed it and from whichever process; a second, store_pictures_mark, moves
 * with any picture added, removed or moved (also `kefu pictures add`, label-only pictures
 * included); a third, store_content_mark, moves with what the command line writes
 * without a version: `kefu import`'s variants, buttons and synonyms, `kefu texts set`
 * (the greeting and the other customer-facing words the bot holds) and `kefu train` /
 * `kefu models activate|rollback` (the live model); a fourth is the fusion model's
 * version (store_model_latest_version).  The live thread reads them every POLL_MS on a
 * store connection of its own.  When one moved, the thread waits until they have stayed
 * still for QUIET_MS (an operator typing examples one after another causes one reload,
 * not ten), at most MAX_WAIT_MS, then does what SIGHUP does:
 *
 *   1. when the versions or the content mark moved, the bot (kd_bots_reload: the answers'
 *      texts, titles, examples for BM25, their follow-ups; a trained model is used while
 *      its data hash still matches);
 *   2. the pictures, when they changed since the last look (a picture added, removed or
 *      moved: store_pictures_mark): the catalogue's missing embeddings are computed here,
 *      with this thread's own handle on the embedding CNN (the same mmapped file the workers
 *      use), and stored (vis_catalog_load: ~40 ms a picture and view), then the
 *      catalogue slot is reloaded (pic_load_catalog), so a picture added in the
 *      console is findable within a second or two, with no `kefu train`.  Every missing
 *      embedding is computed then, not only the new picture's (a demo store seeded
 *      without embeddings takes its minute once);
 *   3. when the versions or the content mark moved, the voice domain language model when
 *      voice is on (kd_voice_rebuild_lm);
 *   4. the fusion model (pictures with words), when the version pic_load_fusion would
 *      load moved (store_model_latest_version "fusion": `kefu train`, the console's
 *      activate or rollback, a fixture): a fusion model from `kefu train` is live
 *      without SIGHUP, like the text model.
 *
 * Each step swaps its object into its slot as SIGHUP does; workers answering meanwhile
 * keep the one they hold.  kd_live_stop cancels a computation of embeddings in progress
 * (after the picture it is on), so kefud's shutdown does not wait for it.  Thread: its own (kd_live_start / kd_live_stop from main).
 */
#include "answers_live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots.h"
#include "catalog.h"
#include "clock.h"
#include "log.h"
#include "picture.h"
#include "stopper.h"
#include "store.h"
#include "vision.h"
#include "voice_models.h"

#define POLL_MS 250           /* how often the mark is read */
#define QUIET_MS 300          /* reload once the mark stayed still this long */
#define MAX_WAIT_MS 2000      /* ... or this long after the first change seen */

struct kd_live {
	pthread_t thread;
	struct cm_stopper stop;           /* its sleep between polls; kd_live_stop ends it */
	atomic_int stopping;              /* set by kd_live_stop: a catalogue computation in
					     progress stops after the picture it is on */
	const struct kefu_conf *conf;
	struct kd_bots *bots;
	struct pic_models *pics;          /* may be NULL */
	struct kd_voice *voice;           /* may be NULL */
	struct vis_cnn *embed;            /* this thread's handle on the embedding CNN */
	int64_t pictures;                 /* store_pictures_mark at the last look */
	int64_t fusion;                   /* the fusion model's version at the last look */
	unsigned long long reloads;
};

static int64_t mono_ms(void)
{
	return (int64_t)(cm_now_us() / 1000);
}

/* Computes and stores the missing picture embeddings; then the slot takes the new
 * catalogue. */
static void refresh_pictures(struct kd_live *l, struct store *st)
{
	char err[300];

	int64_t n = -1;

	if (!l->pics || !l->conf->vision || store_pictures_mark(st, &n) || n == l->pictures)
		return;
	l->pictures = n;
	if (l->embed) {
		/* kefud stopping ends the computation (what is stored stays for next time):
		 * a demo store's 400 pictures take minutes on a loaded machine */
		struct vis_catalog_opts opts = { .cancel = &l->stopping };
		struct vis_catalog *cat = vis_catalog_load(st, l->embed, &opts, err, sizeof err);
		if (!cat)
			LOG_ERR("picture embeddings not computed: %s", err);
		vis_catalog_free(cat);
	}
	if (atomic_load(&l->stopping))
		return;
	if (pic_load_catalog(l->pics, err, sizeof err))
		LOG_ERR("picture catalogue not reloaded, keeping the current one: %s", err);
}

/* The fusion model, when another version is the one to load. */
static void refresh_fusion(struct kd_live *l, int64_t version)
{
	char err[300];

	if (!l->pics || version == l->fusion)
		return;
	l->fusion = version;
	if (pic_load_fusion(l->pics, err, sizeof err))
		LOG_ERR("fusion model v%lld not loaded, keeping the current one: %s",
			(long long)version, err);
}

/* answers: the answer versions or the content mark moved (bot and LM); the pictures
 * and the fusion model are looked at anyway. */
static void reload(struct kd_live *l, struct store *st, int answers, int64_t fusion)
{
	char err[512];
	int64_t t0 = mono_ms();

	if (answers && kd_bots_reload(l->bots, l->conf, err, sizeof err))
		LOG_ERR("answers changed, but the bot was not reloaded (the current one stays): %s",
			err);
	refresh_pictures(l, st);
	refresh_fusion(l, fusion);
	if (answers && l->conf->asr && l->voice && kd_voice_rebuild_lm(l->voice, err, sizeof err))
		LOG_ERR("domain language model not rebuilt, keeping the current one: %s", err);
	l->reloads++;
	LOG_INFO("%s changed: reloaded in %lld ms (live reload %llu)",
		 answers ? "answers" : "pictures or the fusion model", (long long)(mono_ms() - t0), l->reloads);
}

/* What the thread watches: the newest answer version, the pictures' mark, the
 * content mark (what the command line changes without a version) and the fusion
 * model's version. */
struct marks {
	int64_t versions, pictures, content, fusion;
};

static int read_marks(struct store *st, struct marks *m)
{
	return store_answer_versions_mark(st, &m->versions) ||
	       store_pictures_mark(st, &m->pictures) || store_content_mark(st, &m->content) ||
	       store_model_latest_version(st, "fusion", &m->fusion);
}

static int same(const struct marks *a, const struct marks *b)
{
	return a->versions == b->versions && a->pictures == b->pictures &&
	       a->content == b->content && a->fusion == b->fusion;
}

static void *live_main(void *arg)
{
	struct kd_live *l = arg;
	char err[300];
	struct store *st = store_open(l->conf->db, err, sizeof err);
	struct marks seen = { 0, 0, 0, 0 }, last, now_m;
	int64_t first_ms = 0, moved_ms = 0;

	if (!st) {
		LOG_ERR("live reload off: %s", err);
		return NULL;
	}
	if (read_marks(st, &seen))
		LOG_WARN("answer versions: %s", store_errmsg(st));
	l->pictures = seen.pictures;
	l->fusion = seen.fusion;          /* what pic_models_create loaded */
	last = seen;
	while (!cm_stopper_sleep(&l->stop, POLL_MS)) {
		if (read_marks(st, &now_m))
			continue;            /* busy or failing: try again at the next poll */
		int64_t now = mono_ms();
		if (same(&now_m, &seen))
			continue;
		if (!same(&now_m, &last)) {
			if (same(&last, &seen))
				first_ms = now;
			moved_ms = now;
			last = now_m;
		}
		if (now - moved_ms >= QUIET_MS || now - first_ms >= MAX_WAIT_MS) {
			reload(l, st, now_m.versions != seen.versions || now_m.content != seen.content,
			       now_m.fusion);
			seen = last = now_m;
		}
	}
	store_close(st);
	return NULL;
}

struct kd_live *kd_live_start(const struct kefu_conf *conf, struct kd_bots *bots,
			      struct pic_models *pics, struct kd_voice *voice)
{
	struct kd_live *l = calloc(1, sizeof *l);
	char path[2 * CONF_STR_MAX + 16], err[300];

	if (!l)
		return NULL;
	l->conf = conf;
	l->bots = bots;
	l->pics = pics;
	l->voice = voice;
	if (conf->vision && pics) {
		snprintf(path, sizeof path, "%s/%s.kfm", conf->models, conf->image_embed);
		if (!(l->embed = vis_cnn_open(path, err, sizeof err)))
			LOG_WARN("%s: %s: pictures added while running wait for `kefu train`",
				 path, err);
	}
	cm_stopper_init(&l->stop);
	if (pthread_create(&l->thread, NULL, live_main, l)) {
		vis_cnn_close(l->embed);
		cm_stopper_destroy(&l->stop);
		free(l);
		return NULL;
	}
	return l;
}

void kd_live_stop(struct kd_live *l)
{
	if (!l)
		return;
	atomic_store(&l->stopping, 1);
	cm_stopper_stop(&l->stop);
	pthread_join(l->thread, NULL);
	vis_cnn_close(l->embed);
	cm_stopper_destroy(&l->stop);
	free(l);
}
