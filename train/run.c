/* train/run.c — trn_run (train.h): the text encoder, the picture step and the fusion
 * model trained one after the other and saved as one run, with their progress mapped
 * onto one fraction and time left.  Runs on the caller's thread.
 */
#include "train.h"

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "clock.h"
#include "log.h"
#include "store.h"
#include "vision.h"

/* Shares of the whole training, measured on the demo store (docs/learning.md): the
 * text encoder's folds and final model, the first picture step (embeddings of 400
 * photos; later runs find them cached), the fusion model's epochs. */
#define SHARE_TEXT 0.50
#define SHARE_PICTURES 0.15
#define SHARE_FUSION 0.35

struct run {
	const struct trn_opts *o;
	uint64_t t0;
	double base, share;      /* the current stage's start and share of the whole */
	int stopped;
};

static void report(struct run *r, const char *stage, int done, int total)
{
	struct trn_progress p = { stage, done, total, 0, 0, -1 };

	p.fraction = r->base + r->share * (total > 0 ? (double)done / total : 1);
	p.elapsed_s = (double)(cm_now_us() - r->t0) / 1e6;
	if (p.fraction > 0.02)
		p.left_s = p.elapsed_s * (1 - p.fraction) / p.fraction;
	if (r->o->progress)
		r->o->progress(r->o->progress_arg, &p);
}

static void stage(struct run *r, double base, double share)
{
	r->base = base;
	r->share = share;
}

static int stopping(const struct run *r)
{
	return r->o->stop && atomic_load(r->o->stop);
}

static void on_text(void *arg, const char *name, int done, int total)
{
	report(arg, !strcmp(name, "cross-validation") ? "cross-validation" : "text model", done,
	       total);
}

static void on_epoch(void *arg, int done, int total)
{
	report(arg, "fusion", done, total);
}

/* The picture step: missing catalogue embeddings and the category head.  0, or -1. */
static int pictures(struct store *st, const struct trn_opts *o, int64_t run,
		    struct trn_result *res, char *err, size_t errlen)
{
	char path[1200], why[300];
	int64_t n = 0;

	if (store_picture_count(st, &n) || n == 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s.kfm", o->models, o->image_embed);
	struct vis_cnn *m = vis_cnn_open(path, why, sizeof why);
	if (!m) {
		LOG_WARN("picture step skipped: %s: %s", path, why);
		return 0;
	}
	int rc = vis_head_train_store_as(st, m, run, o->live, &res->n_pictures, &res->n_labels,
					 &res->head_version, err, errlen);
	vis_cnn_close(m);
	if (rc < 0)
		return -1;
	res->pictures = rc == 1 ? 2 : 1;
	return 0;
}

int trn_run(struct store *st, const struct trn_opts *o, struct trn_result *res, char *err,
	    size_t errlen)
{
	struct run r = { o, cm_now_us(), 0, SHARE_TEXT, 0 };
	struct nlu_progress np = { on_text, &r };
	struct nlu_train_opts to = { o->cv_folds, o->live, &np, o->text_use };

	memset(res, 0, sizeof *res);
	report(&r, "cross-validation", 0, 1);
	if (nlu_train_store_opts(st, o->models, &to, &res->text, err, errlen))
		return -1;
	if (stopping(&r)) {
		snprintf(err, errlen, "stopped");
		return -1;
	}
	stage(&r, SHARE_TEXT, SHARE_PICTURES);
	report(&r, "pictures", 0, 1);
	if (pictures(st, o, res->text.version, res, err, errlen))
		return -1;
	report(&r, "pictures", 1, 1);
	if (stopping(&r)) {
		snprintf(err, errlen, "stopped");
		return -1;
	}
	stage(&r, SHARE_TEXT + SHARE_PICTURES, SHARE_FUSION);
	struct fu_save save = { res->text.version, o->live, on_epoch, &r };
	if (fu_train_store_as(st, o->models, &save, &res->fusion, res->fusion_note,
			      sizeof res->fusion_note)) {
		snprintf(err, errlen, "fusion: %s", res->fusion_note);
		return -1;
	}
	if (!res->fusion.skipped)
		res->fusion_note[0] = '\0';
	if (o->keep > 0 && store_models_prune(st, "nlu", o->keep, &res->pruned))
		LOG_WARN("old models not deleted: %s", store_errmsg(st));
	res->seconds = (double)(cm_now_us() - r.t0) / 1e6;
	report(&r, "done", 1, 1);
	return 0;
}
