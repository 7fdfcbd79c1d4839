/* nlu/eval.c — measures the trained encoder the way the daemon uses it: train, save the
 * model file, load it back, answer each test text one at a time on one thread (timed),
 * then accuracy, macro-F1, in-scope accuracy, OOS recall and the most confused pairs.
 * Runs on the caller's thread (training may use a helper thread, see linear.c); a
 * cross-validation trains cv_threads folds at once, the caller's thread being one. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "model.h"
#include "rng.h"

/* CPU time of the process (every thread) or of the calling thread, in seconds: what a
 * run costs on a machine whose other users inflate wall-clock figures. */
static double cpu_seconds(clockid_t which)
{
	struct timespec ts;
	clock_gettime(which, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

double nlu_eval_in_scope_at_recall(const float *conf, const char *pred_oos, const char *right,
				 const char *is_oos, size_t n, double want, double *recall)
{
	size_t n_oos = 0, caught = 0, m = 0, n_in = 0, ok = 0;
	float *c = malloc(sizeof *c * (n ? n : 1)), thr = 0;
	if (!c)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (is_oos[i]) {
			n_oos++;
			if (pred_oos[i])
				caught++;
			else
				c[m++] = conf[i];
		}
	qsort(c, m, sizeof *c, cmp_float);
	size_t need = (size_t)ceil(want * (double)n_oos - 1e-9);
	if (need > caught && need - caught <= m)
		thr = nextafterf(c[need - caught - 1], 2.0f);
	free(c);
	caught = 0;
	for (size_t i = 0; i < n; i++) {
		int refused = pred_oos[i] || conf[i] < thr;
		if (is_oos[i]) {
			caught += (size_t)refused;
		} else {
			n_in++;
			ok += right[i] && !refused;
		}
	}
	*recall = n_oos ? (double)caught / (double)n_oos : 0;
	return n_in ? (double)ok / (double)n_in : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Index of name in names[0..*n), appending it when absent. */
static int intern(const char **names, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(names[i], name))
			return i;
	names[*n] = name;
	return (*n)++;
}

static void add_confused(struct nlu_eval_result *r, const char *truth, const char *pred,
			 int count)
{
	for (int i = 0; i < r->n_confused; i++)
		if (!strcmp(r->confused[i].truth, truth) && !strcmp(r->confused[i].pred, pred)) {
			r->confused[i].count += count;
			goto sort;
		}
	if (r->n_confused < NLU_EVAL_TOP_CONFUSED) {
		int i = r->n_confused++;
		snprintf(r->confused[i].truth, sizeof r->confused[i].truth, "%s", truth);
		snprintf(r->confused[i].pred, sizeof r->confused[i].pred, "%s", pred);
		r->confused[i].count = count;
	} else if (count > r->confused[NLU_EVAL_TOP_CONFUSED - 1].count) {
		int i = NLU_EVAL_TOP_CONFUSED - 1;
		snprintf(r->confused[i].truth, sizeof r->confused[i].truth, "%s", truth);
		snprintf(r->confused[i].pred, sizeof r->confused[i].pred, "%s", pred);
		r->confused[i].count = count;
	}
sort:
	for (int i = 1; i < r->n_confused; i++)
		for (int j = i; j > 0 && r->confused[j].count > r->confused[j - 1].count; j--) {
			__typeof__(r->confused[0]) t = r->confused[j];
			r->confused[j] = r->confused[j - 1];
			r->confused[j - 1] = t;
		}
}

/* nlu_eval_run; pred (may be NULL) gets each test text's predicted label as an index
 * into ref's names (-1: refused, or a label ref does not have). */
static int eval_run(const struct nlu_dataset *tr, const struct nlu_dataset *te,
		    const struct nlu_dataset *val, const char *oos_label,
		    const struct nlu_enc_opts *o, struct nlu_eval_result *r,
		    const struct nlu_dataset *ref, int *pred_out, char *err, size_t errlen)
{
	struct nlu_enc *e = NULL, *loaded = NULL;
	struct nlu_enc_scratch *s = NULL;
	void *blob = NULL;
	size_t blob_len = 0;
	int rc = -1, n_names = 0;
	size_t n_all = te->n_labels + tr->n_labels + 1;
	const char **names = malloc(sizeof *names * n_all);
	int *truth = malloc(sizeof *truth * (te->n ? te->n : 1));
	int *pred = malloc(sizeof *pred * (te->n ? te->n : 1));
	double *us = malloc(sizeof *us * (te->n ? te->n : 1));

	memset(r, 0, sizeof *r);
	r->oos_recall = -1;
	r->n_folds = 1;
	if (!names || !truth || !pred || !us) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	uint64_t t0 = cm_now_us();
	double c0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
	e = nlu_enc_train(tr, oos_label, val, o, err, errlen);
	if (!e)
		goto out;
	if (nlu_enc_save(e, &blob, &blob_len)) {
		snprintf(err, errlen, "out of memory saving the model");
		goto out;
	}
	r->train_seconds = (double)(cm_now_us() - t0) / 1e6;
	r->train_cpu_seconds = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	loaded = nlu_enc_load(blob, blob_len, o->glove, err, errlen);
	if (loaded)
		loaded->use = o->use;  /* as kefud sets it: the model file holds the MLP only */
	if (!loaded || !(s = nlu_enc_scratch_create(loaded))) {
		if (loaded)
			snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->n_train = tr->n;
	r->n_test = te->n;
	r->model_bytes = blob_len;
	r->threshold = loaded->threshold;
	r->margin = loaded->margin;
	r->temperature = loaded->temperature;
	r->beta = loaded->beta;
	r->gamma = loaded->use_mlp.d_in ? loaded->gamma : 0;
	r->alpha = loaded->glove ? loaded->alpha : 0;
	double *cpu = malloc(sizeof *cpu * (te->n ? te->n : 1));
	float *m_conf = malloc(sizeof *m_conf * (te->n ? te->n : 1));
	char *m_flags = malloc(3 * (te->n ? te->n : 1));
	if (!cpu || !m_conf || !m_flags) {
		free(cpu);
		free(m_conf);
		free(m_flags);
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	int oos = oos_label ? intern(names, &n_names, oos_label) : -1;
	size_t ok = 0, n_in = 0, ok_in = 0, n_oos = 0, ok_oos = 0;
	for (size_t i = 0; i < te->n; i++) {
		struct nlu_enc_pred p;
		const char *t = te->texts[i];
		uint64_t a = cm_now_us();
		double ca = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
		nlu_enc_predict(loaded, s, t, strlen(t), &p, NULL);
		us[i] = (double)(cm_now_us() - a);
		cpu[i] = (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - ca) * 1e6;
		const char *pl = oos_label && p.refuse ? oos_label : loaded->labels[p.cls];
		if (pred_out)
			pred_out[i] = nlu_dataset_label(ref, pl);
		truth[i] = intern(names, &n_names, te->names[te->labels[i]]);
		pred[i] = intern(names, &n_names, pl);
		m_conf[i] = p.conf;
		m_flags[i] = (char)(p.cls == loaded->oos_class);                  /* pred_oos */
		m_flags[te->n + i] = (char)(!strcmp(loaded->labels[p.cls],
						    te->names[te->labels[i]]));  /* right */
		m_flags[2 * te->n + i] = (char)(oos_label &&
						!strcmp(te->names[te->labels[i]], oos_label));
		ok += truth[i] == pred[i];
		if (truth[i] == oos) {
			n_oos++;
			ok_oos += pred[i] == oos;
		} else {
			n_in++;
			ok_in += truth[i] == pred[i];
		}
	}
	/* macro-F1 and confusions over the interned names */
	int *tp = calloc((size_t)n_names, sizeof *tp), *fp = calloc((size_t)n_names, sizeof *fp);
	int *fn = calloc((size_t)n_names, sizeof *fn);
	int *pair = calloc((size_t)n_names * (size_t)n_names, sizeof *pair);
	if (!tp || !fp || !fn || !pair) {
		free(tp); free(fp); free(fn); free(pair); free(cpu); free(m_conf); free(m_flags);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < te->n; i++) {
		if (truth[i] == pred[i]) {
			tp[truth[i]]++;
		} else {
			fn[truth[i]]++;
			fp[pred[i]]++;
			pair[truth[i] * n_names + pred[i]]++;
		}
	}
	double f1 = 0;
	int n_f1 = 0;
	for (int c = 0; c < n_names; c++) {
		if (tp[c] + fp[c] + fn[c] == 0)
			continue;
		f1 += 2.0 * tp[c] / (2.0 * tp[c] + fp[c] + fn[c]);
		n_f1++;
	}
	for (int a = 0; a < n_names; a++)
		for (int b = 0; b < n_names; b++)
			if (pair[a * n_names + b])
				add_confused(r, names[a], names[b], pair[a * n_names + b]);
	free(tp); free(fp); free(fn); free(pair);

	r->accuracy = te->n ? (double)ok / (double)te->n : 0;
	r->macro_f1 = n_f1 ? f1 / n_f1 : 0;
	r->in_scope_accuracy = n_in ? (double)ok_in / (double)n_in : 0;
	if (oos_label)
		r->oos_recall = n_oos ? (double)ok_oos / (double)n_oos : 0;
	qsort(us, te->n, sizeof *us, cmp_double);
	r->predict_us_median = te->n ? (te->n % 2 ? us[te->n / 2]
					 : (us[te->n / 2 - 1] + us[te->n / 2]) / 2) : 0;
	qsort(cpu, te->n, sizeof *cpu, cmp_double);
	r->predict_cpu_us_median = te->n ? (te->n % 2 ? cpu[te->n / 2]
					 : (cpu[te->n / 2 - 1] + cpu[te->n / 2]) / 2) : 0;
	free(cpu);
	r->in_scope_at_oos80 = -1;
	r->oos_recall_matched = -1;
	if (oos_label)
		r->in_scope_at_oos80 = nlu_eval_in_scope_at_recall(m_conf, m_flags,
								   m_flags + te->n,
								   m_flags + 2 * te->n, te->n,
								   0.8, &r->oos_recall_matched);
	free(m_conf);
	free(m_flags);
	rc = 0;
out:
	nlu_enc_scratch_destroy(s);
	nlu_enc_destroy(loaded);
	nlu_enc_destroy(e);
	free(blob);
	free(names);
	free(truth);
	free(pred);
	free(us);
	return rc;
}

int nlu_eval_run(const struct nlu_dataset *tr, const struct nlu_dataset *te,
		 const struct nlu_dataset *val, const char *oos_label,
		 const struct nlu_enc_opts *o, struct nlu_eval_result *r, char *err,
		 size_t errlen)
{
	return eval_run(tr, te, val, oos_label, o, r, NULL, NULL, err, errlen);
}

static int split_add(struct nlu_dataset *dst, const struct nlu_dataset *src, size_t i)
{
	return nlu_dataset_add(dst, src->texts[i], src->names[src->labels[i]]);
}

int nlu_eval_cv(const struct nlu_dataset *d, int k, const char *oos_label,
		const struct nlu_enc_opts *o, struct nlu_eval_result *r, char *err,
		size_t errlen)
{
	return nlu_eval_cv_oof(d, k, oos_label, o, r, NULL, err, errlen);
}

/* Cross-validation folds shared by the threads that train them (cv_work). */
struct cv {
	const struct nlu_dataset *d;
	int k;
	const char *oos_label;
	const struct nlu_enc_opts *o;
	const uint32_t *order;
	int *oof;                      /* may be NULL */
	struct nlu_eval_result *fr;    /* k results */
	pthread_mutex_t mu;
	int next, done, bad;
	char *err;
	size_t errlen;
};

/* Fold f: train on the others, evaluate on it, its predictions into oof.  0 or -1 with
 * a message in err. */
static int cv_fold(struct cv *c, int f, char *err, size_t errlen)
{
	const struct nlu_dataset *d = c->d;
	struct nlu_dataset tr, te;
	uint32_t *fold_idx = malloc(sizeof *fold_idx * (d->n ? d->n : 1));
	int *fold_pred = malloc(sizeof *fold_pred * (d->n ? d->n : 1)), bad = !fold_idx || !fold_pred;
	size_t n_te = 0;

	nlu_dataset_init(&tr);
	nlu_dataset_init(&te);
	for (size_t i = 0; i < d->n && !bad; i++) {
		int test = i % (size_t)c->k == (size_t)f;
		if (test)
			fold_idx[n_te++] = c->order[i];
		bad = split_add(test ? &te : &tr, d, c->order[i]);
	}
	if (bad) {
		snprintf(err, errlen, "out of memory");
	} else {
		bad = eval_run(&tr, &te, NULL, c->oos_label, c->o, &c->fr[f], d, fold_pred, err,
			       errlen);
		for (size_t i = 0; !bad && c->oof && i < n_te; i++)
			c->oof[fold_idx[i]] = fold_pred[i];
	}
	nlu_dataset_free(&tr);
	nlu_dataset_free(&te);
	free(fold_idx);
	free(fold_pred);
	return bad ? -1 : 0;
}

/* A training thread: takes the next fold until none is left or one failed. */
static void *cv_work(void *arg)
{
	struct cv *c = arg;
	char err[512];

	for (;;) {
		pthread_mutex_lock(&c->mu);
		int f = c->bad ? c->k : c->next++;
		pthread_mutex_unlock(&c->mu);
		if (f >= c->k)
			return NULL;
		int bad = cv_fold(c, f, err, sizeof err);
		pthread_mutex_lock(&c->mu);
		if (bad && !c->bad)
			snprintf(c->err, c->errlen, "%s", err);
		c->bad |= bad;
		c->done++;
		if (!bad && c->o->on_fold)
			c->o->on_fold(c->o->on_fold_arg, c->done, c->k);
		pthread_mutex_unlock(&c->mu);
	}
}

int nlu_eval_cv_oof(const struct nlu_dataset *d, int k, const char *oos_label,
		    const struct nlu_enc_opts *o, struct nlu_eval_result *r, int *oof,
		    char *err, size_t errlen)
{
	uint32_t *order = malloc(sizeof *order * (d->n ? d->n : 1));
	struct nlu_eval_result *frs = calloc((size_t)(k > 0 ? k : 1), sizeof *frs);
	double *medians = malloc(sizeof *medians * (size_t)(k > 0 ? k : 1));
	uint64_t s = 0x853c49e6748fea9bull;
	int rc = -1;
	struct nlu_enc_opts co = *o;       /* with the USE vectors every fold shares */
	struct nlu_teacher *tch = NULL;

	memset(r, 0, sizeof *r);
	if (o->use && !o->teacher && !(co.teacher = tch = nlu_enc_teacher(d, o))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!order || !medians || !frs) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (k < 2 || (size_t)k > d->n) {
		snprintf(err, errlen, "--cv needs 2 ≤ K ≤ the number of examples");
		goto out;
	}
	for (size_t i = 0; i < d->n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = d->n; i > 1; i--) {
		size_t j = cm_xorshift64(&s) % i;
		uint32_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	struct cv c = { d, k, oos_label, &co, order, oof, frs, PTHREAD_MUTEX_INITIALIZER, 0, 0, 0,
			err, errlen };
	pthread_t tid[NLU_CV_THREADS_MAX];
	int n_th = o->cv_threads < 1 ? 1 : o->cv_threads > k ? k : o->cv_threads, started = 0;
	if (n_th > NLU_CV_THREADS_MAX)
		n_th = NLU_CV_THREADS_MAX;
	while (started < n_th - 1 && !pthread_create(&tid[started], NULL, cv_work, &c))
		started++;
	cv_work(&c);           /* this thread is one of them */
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	if (c.bad)
		goto out;
	for (int f = 0; f < k; f++) {   /* in fold order: the same sums whatever ran first */
		const struct nlu_eval_result *fr = &frs[f];
		r->n_train += fr->n_train;
		r->n_test += fr->n_test;
		r->accuracy += fr->accuracy / k;
		r->macro_f1 += fr->macro_f1 / k;
		r->in_scope_accuracy += fr->in_scope_accuracy / k;
		r->oos_recall += fr->oos_recall / k;
		r->train_seconds += fr->train_seconds / k;
		r->train_cpu_seconds += fr->train_cpu_seconds / k;
		r->predict_cpu_us_median += fr->predict_cpu_us_median / k;
		r->beta += fr->beta / k;
		r->gamma += fr->gamma / k;
		r->alpha += fr->alpha / k;
		r->in_scope_at_oos80 += fr->in_scope_at_oos80 / k;
		r->oos_recall_matched += fr->oos_recall_matched / k;
		r->model_bytes += fr->model_bytes / (size_t)k;
		r->threshold += fr->threshold / k;
		r->margin += fr->margin / k;
		r->temperature += fr->temperature / k;
		medians[f] = fr->predict_us_median;
		for (int q = 0; q < fr->n_confused; q++)
			add_confused(r, fr->confused[q].truth, fr->confused[q].pred, fr->confused[q].count);
	}
	r->n_train /= (size_t)k;
	r->n_test /= (size_t)k;
	if (!oos_label)
		r->oos_recall = -1;
	r->n_folds = k;
	qsort(medians, (size_t)k, sizeof *medians, cmp_double);
	r->predict_us_median = k % 2 ? medians[k / 2] : (medians[k / 2 - 1] + medians[k / 2]) / 2;
	rc = 0;
out:
	nlu_teacher_destroy(tch);
	free(order);
	free(frs);
	free(medians);
	return rc;
}
