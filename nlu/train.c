/* nlu/train.c — `kefu train`: the answer store's example questions -> a trained text
 * encoder saved back in the store (model kind "nlu") with its cross-validated metrics and
 * the hash of the data it learnt, which nlu_bot_load checks before using it.
 * Runs on the caller's thread, which trains the cross-validation folds two at a time with
 * one helper thread while another trains the final model (and linear.c adds one helper
 * per training): the machine's two cores both work, and the store is touched by the
 * caller's thread only.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "glove.h"
#include "use.h"
#include "log.h"
#include "model.h"
#include "nlu_int.h"
#include "store.h"

struct collect {
	struct nlu_dataset *d;
	uint64_t hash;
	int oom;
};

static int on_example(void *arg, int64_t answer_id, const char *text)
{
	struct collect *c = arg;
	char label[32];

	snprintf(label, sizeof label, "%lld", (long long)answer_id);
	c->hash = nlu_data_hash_add(c->hash, answer_id, text);
	if (nlu_dataset_add(c->d, text, label)) {
		c->oom = 1;
		return 1;
	}
	return 0;
}

struct steps {
	const struct nlu_progress *p;
	int total;             /* folds + the final model */
};

/* The final model, trained on its own thread while the folds are. */
struct final {
	const struct nlu_dataset *d;
	const struct nlu_enc_opts *o;
	struct nlu_enc *e;     /* NULL: failed, err says why */
	double seconds;
	char err[300];
};

static void *train_final(void *arg)
{
	struct final *f = arg;
	uint64_t t0 = cm_now_us();

	f->e = nlu_enc_train(f->d, NULL, NULL, f->o, f->err, sizeof f->err);
	f->seconds = (double)(cm_now_us() - t0) / 1e6;
	return NULL;
}

static void fold_done(void *arg, int done, int total)
{
	const struct steps *s = arg;
	(void)total;
	s->p->step(s->p->arg, "cross-validation", done, s->total);
}

int nlu_train_store(struct store *st, const char *models, int cv_folds,
		    struct nlu_train_result *out, char *err, size_t errlen)
{
	return nlu_train_store_ex(st, models, cv_folds, NULL, out, err, errlen);
}

int nlu_train_store_ex(struct store *st, const char *models, int cv_folds,
		       const struct nlu_progress *progress, struct nlu_train_result *out,
		       char *err, size_t errlen)
{
	struct nlu_train_opts o = { cv_folds, 1, progress, 0 };

	return nlu_train_store_opts(st, models, &o, out, err, errlen);
}

struct titles {
	int64_t *ids;
	char **titles;
	size_t n, cap;
	int oom;
};

static int on_title(void *arg, const struct store_answer *a)
{
	struct titles *t = arg;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		int64_t *ids = realloc(t->ids, sizeof *ids * cap);
		if (ids)
			t->ids = ids;
		char **ti = realloc(t->titles, sizeof *ti * cap);
		if (ti)
			t->titles = ti;
		if (!ids || !ti) {
			t->oom = 1;
			return 1;
		}
		t->cap = cap;
	}
	if (!(t->titles[t->n] = strdup(a->title ? a->title : ""))) {
		t->oom = 1;
		return 1;
	}
	t->ids[t->n++] = a->id;
	return 0;
}

static void titles_free(struct titles *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->titles[i]);
	free(t->titles);
	free(t->ids);
}

int nlu_train_store_opts(struct store *st, const char *models, const struct nlu_train_opts *to,
			 struct nlu_train_result *out, char *err, size_t errlen)
{
	int cv_folds = to->cv_folds;
	const struct nlu_progress *progress = to->progress;
	struct titles ti = { 0 };
	int *oof = NULL;
	char *report = NULL;
	struct nlu_dataset d;
	struct nlu_enc_opts o;
	struct nlu_glove *g = NULL;
	struct nlu_use *u = NULL;
	struct nlu_teacher *teacher = NULL;
	struct nlu_enc *e = NULL;
	struct collect c = { &d, NLU_DATA_HASH_INIT, 0 };
	void *blob = NULL;
	size_t len = 0;
	char path[4200], msg[300], metrics[512];
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->cv_accuracy = out->cv_macro_f1 = -1;
	nlu_dataset_init(&d);
	nlu_enc_opts_default(&o);
	struct steps steps = { progress, 1 };
	if (progress && progress->step) {
		o.on_fold = fold_done;
		o.on_fold_arg = &steps;
	}
	int src = store_examples_foreach(st, on_example, &c);
	if (c.oom || src < 0) {
		snprintf(err, errlen, "reading the example questions: %s",
			 c.oom ? "out of memory" : store_errmsg(st));
		goto out;
	}
	if (d.n_labels < 2) {
		snprintf(err, errlen, "training needs example questions for at least two answers "
			 "(the store has %zu)", d.n_labels);
		goto out;
	}
	nlu_glove_path(models, path, sizeof path);
	g = nlu_glove_open(path, msg, sizeof msg);
	if (!g)
		LOG_WARN("no word vectors (%s): training the linear half only", msg);
	o.glove = g;
	if (to->use) {
		nlu_models_file(models, NLU_USE_FILE, path, sizeof path);
		if (!(u = nlu_use_open(path, msg, sizeof msg))) {
			snprintf(err, errlen, "no sentence encoder: %s", msg);
			goto out;
		}
		o.use = u;
		if (to->use == 2)
			nlu_enc_opts_distill(&o);
	}
	out->n_examples = d.n;
	out->n_answers = d.n_labels;
	out->dense = g != NULL;
	snprintf(out->data_hash, sizeof out->data_hash, "%016" PRIx64, c.hash);

	/* the USE vectors (and copies) of every text, once for the folds and the final model */
	if (u && !(o.teacher = teacher = nlu_enc_teacher(&d, &o))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct nlu_enc_opts fo = o;      /* the final model reports no fold */
	fo.on_fold = NULL;
	struct final fin = { &d, &fo, NULL, 0, "" };
	pthread_t fin_tid;
	int fin_started = 0;
	if (cv_folds >= 2 && d.n >= (size_t)cv_folds * 2) {
		struct nlu_eval_result r;
		steps.total = cv_folds + 1;
		if (!(oof = malloc(sizeof *oof * d.n))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		fin_started = !pthread_create(&fin_tid, NULL, train_final, &fin);
		o.cv_threads = 2;
		/* a fold's model only measures: its sequence half stays as calibrated on the
		 * fold's fit part (a third of the folds' cost; docs/encoder.md) */
		o.seq_refit = 0;
		int bad = nlu_eval_cv_oof(&d, cv_folds, NULL, &o, &r, oof, err, errlen);
		if (fin_started)
			pthread_join(fin_tid, NULL);
		e = fin.e;
		if (bad)
			goto out;
		if (store_answers_foreach(st, on_title, &ti) || ti.oom) {
			snprintf(err, errlen, "reading the answers: %s",
				 ti.oom ? "out of memory" : store_errmsg(st));
			goto out;
		}
		struct nlu_report_titles rt = { ti.n, ti.ids, ti.titles };
		/* the pooled out-of-fold figures: the report's, so every place shows the same */
		if (!(report = nlu_report_build(&d, oof, cv_folds, &rt, &r.accuracy,
						&r.macro_f1))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		out->cv_accuracy = r.accuracy;
		out->cv_macro_f1 = r.macro_f1;
		out->cv_folds = cv_folds;
	}
	if (!fin_started) {
		train_final(&fin);
		e = fin.e;
	}
	if (!e) {
		snprintf(err, errlen, "%s", fin.err);
		goto out;
	}
	if (progress && progress->step)
		progress->step(progress->arg, "text encoder", steps.total, steps.total);
	memcpy(e->data_hash, out->data_hash, sizeof e->data_hash);
	if (nlu_enc_save(e, &blob, &len)) {
		snprintf(err, errlen, "out of memory saving the model");
		goto out;
	}
	out->train_seconds = fin.seconds;
	out->model_bytes = len;
	snprintf(metrics, sizeof metrics,
		 "{\"format\":%d,\"n_examples\":%zu,\"n_answers\":%zu,\"cv_folds\":%d,"
		 "\"cv_accuracy\":%.6f,\"cv_macro_f1\":%.6f,\"train_seconds\":%.3f,"
		 "\"dense\":%s,\"temperature\":%.6f}",
		 NLU_ENC_VERSION, d.n, d.n_labels, out->cv_folds, out->cv_accuracy,
		 out->cv_macro_f1, out->train_seconds, g ? "true" : "false", e->temperature);
	struct store_model_new m = { "nlu", blob, len, metrics, out->data_hash, report, 0,
				     to->live };
	if (store_model_save(st, &m, &out->version)) {
		snprintf(err, errlen, "saving the model: %s", store_errmsg(st));
		goto out;
	}
	rc = 0;
out:
	free(oof);
	free(report);
	titles_free(&ti);
	free(blob);
	nlu_enc_destroy(e);
	nlu_glove_close(g);
	nlu_teacher_destroy(teacher);
	nlu_use_close(u);
	nlu_dataset_free(&d);
	return rc;
}
