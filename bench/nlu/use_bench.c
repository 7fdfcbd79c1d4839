/* bench/nlu/use_bench.c — nlu_use_bench: what the Universal Sentence Encoder lite (nlu/use.h)
 * adds to kefu's text encoder, on one train/test pair of the bench's fold files.
 *
 *   nlu_use_bench --train FILE --test FILE [--oos-label L] [--models DIR]
 *                 [--hidden N] [--epochs N] [--scale X]
 *
 * Prints one JSON object with three systems, each judged on TEST:
 *   kefu   kefu v2 as `kefu eval` trains it (nlu_enc_train, defaults, GloVe from DIR);
 *   use    USE vectors (× scale) → nlu/mlp.c's one-hidden-layer network (Adam), its
 *          temperature fitted on a 10 % split of TRAIN;
 *   ens    (1 − γ) log p_kefu + γ log p_use / T_use, softmaxed at T_ens.
 * γ ∈ {0, 0.1, .., 1} and T_ens are chosen on the 10 % split (a fixed shuffle of TRAIN)
 * with models trained on the other 90 % (the lowest NLL, as kefu chooses β); then every
 * model is trained again on all of TRAIN and TEST is scored once.  For an OOS label: its
 * examples are a class, and each system's in-scope accuracy at the loosest confidence
 * threshold with OOS recall ≥ 80 % on TEST (nlu_eval_in_scope_at_recall, as `kefu eval`
 * reports it).  Times: the thread's CPU µs per TEST sentence (median) for the USE vector,
 * the MLP, kefu's prediction, and the three together.  One thread (BLAS too).  A program,
 * not a test.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "glove.h"
#include "model.h"
#include "rng.h"
#include "tensor.h"
#include "use.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* The subset idx[0..n) of d as a dataset of its own. */
static int subset(const struct nlu_dataset *d, const uint32_t *idx, size_t n,
		  struct nlu_dataset *out)
{
	nlu_dataset_init(out);
	for (size_t i = 0; i < n; i++)
		if (nlu_dataset_add(out, d->texts[idx[i]], d->names[d->labels[idx[i]]]))
			return -1;
	return 0;
}

/* kefu's calibrated log-probabilities of texts, in tr's label order, into lp[n × K]. */
static int kefu_logp(const struct nlu_enc *e, const struct nlu_dataset *tr, char *const *texts,
		     size_t n, float *lp, double *cpu_us)
{
	struct nlu_enc_scratch *s = nlu_enc_scratch_create(e);
	int *map = malloc(sizeof *map * e->n_cls);
	size_t K = tr->n_labels;
	if (!s || !map)
		return -1;
	for (uint32_t c = 0; c < e->n_cls; c++)
		map[c] = nlu_dataset_label(tr, e->labels[c]);
	for (size_t i = 0; i < n; i++) {
		struct nlu_enc_pred p;
		const float *probs = NULL;
		uint64_t c0 = cm_thread_cpu_ns();
		int rc = nlu_enc_predict(e, s, texts[i], strlen(texts[i]), &p, &probs);
		if (cpu_us)
			cpu_us[i] = (double)(cm_thread_cpu_ns() - c0) / 1e3;
		for (size_t k = 0; k < K; k++)
			lp[i * K + k] = logf(1e-12f);
		for (uint32_t c = 0; c < e->n_cls; c++)
			if (map[c] >= 0)
				lp[i * K + (size_t)map[c]] = rc == 0 && probs ? logf(probs[c] + 1e-12f)
								      : -logf((float)K);
	}
	free(map);
	nlu_enc_scratch_destroy(s);
	return 0;
}

/* The MLP's logits of rows x[n × D] into lg[n × K]. */
static void mlp_logits(const struct nlu_mlp *m, const float *x, size_t n, float *lg,
		       double *cpu_us)
{
	float *h = malloc(sizeof *h * m->d_h);
	for (size_t i = 0; i < n; i++) {
		uint64_t c0 = cm_thread_cpu_ns();
		nlu_mlp_logits(m, x + i * m->d_in, h, lg + i * m->n_cls);
		if (cpu_us)
			cpu_us[i] = (double)(cm_thread_cpu_ns() - c0) / 1e3;
	}
	free(h);
}

/* z = (1 − g) · a + g · b / t_b, row by row. */
static void mix(const float *a, const float *b, size_t n, float g, float t_b, float *z)
{
	for (size_t i = 0; i < n; i++)
		z[i] = (1 - g) * a[i] + g * b[i] / t_b;
}

struct score {
	double acc, macro_f1, in_scope, oos_recall, matched, matched_recall;
};

/* Scores logits z[n × K] (softmax at t) against truth y (-1: a label TRAIN lacks). */
static void score(const float *z, size_t n, size_t K, float t, const int *y, int oos,
		  struct score *r)
{
	float *conf = malloc(sizeof *conf * (n ? n : 1)), *row = malloc(sizeof *row * K);
	char *flags = malloc(3 * (n ? n : 1));
	size_t *tp = calloc(K + 1, sizeof *tp), *fp = calloc(K + 1, sizeof *fp);
	size_t *fn = calloc(K + 1, sizeof *fn);
	size_t ok = 0, n_in = 0, ok_in = 0, n_oos = 0, ok_oos = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(row, z + i * K, sizeof *row * K);
		cm_softmax(K, row, t);
		size_t best = 0;
		for (size_t k = 1; k < K; k++)
			if (row[k] > row[best])
				best = k;
		conf[i] = row[best];
		flags[i] = (char)(oos >= 0 && (int)best == oos);
		flags[n + i] = (char)((int)best == y[i]);
		flags[2 * n + i] = (char)(oos >= 0 && y[i] == oos);
		ok += (int)best == y[i];
		size_t t = y[i] >= 0 ? (size_t)y[i] : K;  /* K: a label TRAIN lacks */
		if (t == best)
			tp[t]++;
		else {
			fn[t]++;
			fp[best]++;
		}
		if (oos >= 0 && y[i] == oos) {
			n_oos++;
			ok_oos += (int)best == oos;
		} else {
			n_in++;
			ok_in += (int)best == y[i];
		}
	}
	double f1 = 0;
	int n_f1 = 0;
	for (size_t c = 0; c <= K; c++)
		if (tp[c] + fp[c] + fn[c]) {
			f1 += 2.0 * (double)tp[c] / (double)(2 * tp[c] + fp[c] + fn[c]);
			n_f1++;
		}
	r->macro_f1 = n_f1 ? f1 / n_f1 : 0;
	free(tp);
	free(fp);
	free(fn);
	r->acc = n ? (double)ok / (double)n : 0;
	r->in_scope = n_in ? (double)ok_in / (double)n_in : 0;
	r->oos_recall = n_oos ? (double)ok_oos / (double)n_oos : -1;
	r->matched = r->matched_recall = -1;
	if (oos >= 0)
		r->matched = nlu_eval_in_scope_at_recall(conf, flags, flags + n, flags + 2 * n, n,
							 0.8, &r->matched_recall);
	free(conf);
	free(row);
	free(flags);
}

static json_t *score_json(const struct score *s, int oos)
{
	json_t *o = json_object();
	json_object_set_new(o, "accuracy", json_real(oos >= 0 ? s->in_scope : s->acc));
	json_object_set_new(o, "macro_f1", json_real(s->macro_f1));
	if (oos >= 0) {
		json_object_set_new(o, "oos_recall_argmax", json_real(s->oos_recall));
		json_object_set_new(o, "in_scope_at_oos_recall_80", json_real(s->matched));
		json_object_set_new(o, "oos_recall_matched", json_real(s->matched_recall));
	}
	return o;
}

int main(int argc, char **argv)
{
	const char *train = NULL, *test = NULL, *oos_label = NULL, *models = getenv("KEFU_MODELS");
	struct nlu_mlp_opts mo;
	struct nlu_enc_opts eo;
	float scale = 5.0f;
	nlu_enc_opts_default(&eo);
	mo = eo.mlp;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--train"))
			train = argv[i + 1];
		else if (!strcmp(argv[i], "--test"))
			test = argv[i + 1];
		else if (!strcmp(argv[i], "--oos-label"))
			oos_label = argv[i + 1];
		else if (!strcmp(argv[i], "--models"))
			models = argv[i + 1];
		else if (!strcmp(argv[i], "--hidden"))
			mo.hidden = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--epochs"))
			mo.epochs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--scale"))
			scale = strtof(argv[i + 1], NULL);
		else {
			fprintf(stderr, "nlu_use_bench: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!train || !test) {
		fprintf(stderr, "usage: nlu_use_bench --train FILE --test FILE [--oos-label L] "
				"[--models DIR] [--hidden N] [--epochs N] [--scale X]\n");
		return 2;
	}
	if (!models)
		models = "models";
	cm_blas_single_thread();
	char err[600], path[4096];
	struct nlu_dataset tr, te;
	nlu_dataset_init(&tr);
	nlu_dataset_init(&te);
	if (nlu_dataset_read(train, &tr, err, sizeof err) ||
	    nlu_dataset_read(test, &te, err, sizeof err)) {
		fprintf(stderr, "nlu_use_bench: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof path, "%s/glove-100d.kfv", models);
	eo.glove = nlu_glove_open(path, err, sizeof err);
	struct nlu_use *u = nlu_use_open_dir(models, err, sizeof err);
	if (!eo.glove || !u) {
		fprintf(stderr, "nlu_use_bench: %s\n", err);
		return 1;
	}
	struct nlu_use_scratch *us = nlu_use_scratch_create(u);
	size_t K = tr.n_labels, D = NLU_USE_DIM;
	int oos = oos_label ? nlu_dataset_label(&tr, oos_label) : -1;
	int *yte = malloc(sizeof *yte * te.n);
	float *xtr = malloc(sizeof *xtr * tr.n * D), *xte = malloc(sizeof *xte * te.n * D);
	double *t_use = malloc(sizeof *t_use * te.n), *t_mlp = malloc(sizeof *t_mlp * te.n);
	double *t_kefu = malloc(sizeof *t_kefu * te.n), *t_all = malloc(sizeof *t_all * te.n);
	if (!us || !yte || !xtr || !xte || !t_use || !t_mlp || !t_kefu || !t_all)
		return 1;
	for (size_t i = 0; i < te.n; i++)
		yte[i] = nlu_dataset_label(&tr, te.names[te.labels[i]]);

	/* USE vectors of every text (timed on TEST). */
	uint64_t w0 = cm_now_us(), c0 = cm_thread_cpu_ns();
	for (size_t i = 0; i < tr.n; i++) {
		nlu_use_embed(u, us, tr.texts[i], strlen(tr.texts[i]), xtr + i * D);
		for (size_t k = 0; k < D; k++)
			xtr[i * D + k] *= scale;
	}
	for (size_t i = 0; i < te.n; i++) {
		uint64_t a = cm_thread_cpu_ns();
		nlu_use_embed(u, us, te.texts[i], strlen(te.texts[i]), xte + i * D);
		t_use[i] = (double)(cm_thread_cpu_ns() - a) / 1e3;
		for (size_t k = 0; k < D; k++)
			xte[i * D + k] *= scale;
	}
	double embed_s = (double)(cm_thread_cpu_ns() - c0) / 1e9;
	fprintf(stderr, "nlu_use_bench: %zu + %zu USE vectors in %.1f s CPU (%.1f s wall)\n",
		tr.n, te.n, embed_s, (double)(cm_now_us() - w0) / 1e6);

	/* The 10 % split: a fixed shuffle of TRAIN. */
	uint32_t *idx = malloc(sizeof *idx * tr.n);
	uint64_t rs = 0x5eed0f0f5eedULL;
	for (size_t i = 0; i < tr.n; i++)
		idx[i] = (uint32_t)i;
	for (size_t i = tr.n; i > 1; i--) {
		size_t j = cm_xorshift64(&rs) % i;
		uint32_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	size_t n_cal = tr.n / 10, n_fit = tr.n - n_cal;
	const uint32_t *fit_i = idx + n_cal, *cal_i = idx;
	struct nlu_dataset fit, cal;
	float *xfit = malloc(sizeof *xfit * n_fit * D), *xcal = malloc(sizeof *xcal * n_cal * D);
	int *yfit = malloc(sizeof *yfit * n_fit), *ycal = malloc(sizeof *ycal * n_cal);
	if (subset(&tr, fit_i, n_fit, &fit) || subset(&tr, cal_i, n_cal, &cal) || !xfit || !xcal)
		return 1;
	for (size_t i = 0; i < n_fit; i++) {
		memcpy(xfit + i * D, xtr + (size_t)fit_i[i] * D, sizeof *xfit * D);
		yfit[i] = tr.labels[fit_i[i]];
	}
	for (size_t i = 0; i < n_cal; i++) {
		memcpy(xcal + i * D, xtr + (size_t)cal_i[i] * D, sizeof *xcal * D);
		ycal[i] = tr.labels[cal_i[i]];
	}

	/* Models on the 90 %: γ, T_use, T_ens on the 10 %. */
	struct nlu_mlp m = {0};
	float *lk = malloc(sizeof *lk * n_cal * K), *lu = malloc(sizeof *lu * n_cal * K);
	float *z = malloc(sizeof *z * (n_cal > te.n ? n_cal : te.n) * K);
	if (!lk || !lu || !z || nlu_mlp_train(&m, (uint32_t)D, (uint32_t)K, xfit, yfit, n_fit, &mo))
		return 1;
	struct nlu_enc *e = nlu_enc_train(&fit, oos_label, NULL, &eo, err, sizeof err);
	if (!e || kefu_logp(e, &tr, cal.texts, n_cal, lk, NULL)) {
		fprintf(stderr, "nlu_use_bench: %s\n", e ? "out of memory" : err);
		return 1;
	}
	nlu_enc_destroy(e);
	mlp_logits(&m, xcal, n_cal, lu, NULL);
	nlu_mlp_free(&m);
	float t_use_cal = nlu_calib_temperature(lu, ycal, n_cal, (int)K);
	float best_g = 0, best_t = 1;
	double best_nll = INFINITY;
	json_t *grid = json_array();
	for (int gi = 0; gi <= 10; gi++) {
		float g = (float)gi / 10;
		mix(lk, lu, n_cal * K, g, t_use_cal, z);
		float t = nlu_calib_temperature(z, ycal, n_cal, (int)K);
		double nll = nlu_calib_nll(z, ycal, n_cal, (int)K, t);
		json_array_append_new(grid, json_real(nll));
		if (nll < best_nll) {
			best_nll = nll;
			best_g = g;
			best_t = t;
		}
	}

	/* Final models on all of TRAIN, TEST scored once. */
	uint64_t k0 = cm_thread_cpu_ns();
	e = nlu_enc_train(&tr, oos_label, NULL, &eo, err, sizeof err);
	double kefu_train_s = (double)(cm_thread_cpu_ns() - k0) / 1e9;
	k0 = cm_thread_cpu_ns();
	int *ytr = tr.labels;
	if (!e || nlu_mlp_train(&m, (uint32_t)D, (uint32_t)K, xtr, ytr, tr.n, &mo)) {
		fprintf(stderr, "nlu_use_bench: %s\n", e ? "out of memory" : err);
		return 1;
	}
	double mlp_train_s = (double)(cm_thread_cpu_ns() - k0) / 1e9;
	float *tk = malloc(sizeof *tk * te.n * K), *tu = malloc(sizeof *tu * te.n * K);
	if (!tk || !tu || kefu_logp(e, &tr, te.texts, te.n, tk, t_kefu))
		return 1;
	mlp_logits(&m, xte, te.n, tu, t_mlp);
	for (size_t i = 0; i < te.n; i++)
		t_all[i] = t_use[i] + t_mlp[i] + t_kefu[i];
	struct score sk, su, se;
	score(tk, te.n, K, 1.0f, yte, oos, &sk);
	score(tu, te.n, K, t_use_cal, yte, oos, &su);
	mix(tk, tu, te.n * K, best_g, t_use_cal, z);
	score(z, te.n, K, best_t, yte, oos, &se);

	json_t *o = json_object();
	json_object_set_new(o, "n_train", json_integer((json_int_t)tr.n));
	json_object_set_new(o, "n_test", json_integer((json_int_t)te.n));
	json_object_set_new(o, "kefu", score_json(&sk, oos));
	json_object_set_new(o, "use", score_json(&su, oos));
	json_object_set_new(o, "ens", score_json(&se, oos));
	json_object_set_new(o, "gamma", json_real(best_g));
	json_object_set_new(o, "t_use", json_real(t_use_cal));
	json_object_set_new(o, "t_ens", json_real(best_t));
	json_object_set_new(o, "cal_nll_by_gamma", grid);
	json_object_set_new(o, "use_cpu_us_median", json_real(median(t_use, te.n)));
	json_object_set_new(o, "mlp_cpu_us_median", json_real(median(t_mlp, te.n)));
	json_object_set_new(o, "kefu_cpu_us_median", json_real(median(t_kefu, te.n)));
	json_object_set_new(o, "ens_cpu_us_median", json_real(median(t_all, te.n)));
	json_object_set_new(o, "use_embed_cpu_seconds", json_real(embed_s));
	json_object_set_new(o, "kefu_train_cpu_seconds", json_real(kefu_train_s));
	json_object_set_new(o, "mlp_train_cpu_seconds", json_real(mlp_train_s));
	char *js = json_dumps(o, JSON_INDENT(1));
	puts(js);
	free(js);
	json_decref(o);
	nlu_enc_destroy(e);
	nlu_mlp_free(&m);
	nlu_use_scratch_destroy(us);
	nlu_use_close(u);
	return 0;
}
