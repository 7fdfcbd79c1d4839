/* tools/kefu/cmd_eval.c — `kefu eval`: trains kefu's text encoder on one file and scores
 * it on another (or by k-fold cross-validation), the way kefud answers: the model is
 * saved, loaded back and asked one text at a time on one thread.
 *
 *   kefu eval --train FILE (--test FILE | --cv K) [--val FILE] [--oos-label LABEL] [--json]
 *
 * Files are CSV (text,category) or Rasa NLU YAML.  Without --val, temperature and the
 * out-of-scope threshold are tuned on the training file (an inner cross-validation, or a
 * split carved from it: --cal-folds).  The dense
 * half of the encoder uses <models>/glove-100d.kfv (conf option `models`) when it exists;
 * --no-glove leaves it out.  Expert options for measurements: --bits N, --char-min N,
 * --char-max N, --epochs N, --lr X, --l2 X, --balance X (class weights), --threads N,
 * --augment N, --no-spell (no spelling pass); the sequence half: --no-seq, --beta X (its
 * fixed ensemble weight; default: chosen on the calibration rows), --seq-epochs N,
 * --seq-filters N, --seq-dim N, --seq-lr X, --seq-lambda X, --seq-tau X, --seq-dropout X,
 * --seq-smooth X (label smoothing), --seq-glove-dim N; calibration: --cal-folds N (inner
 * cross-validation folds; 0: a 10 % split), --weight-by-acc 0|1 (β and γ by right answers
 * or by NLL); --seq-refit N (after calibration
 * the half goes on from its weights for N passes over all of train instead of training
 * again), --seq-keep (it is kept as calibrated); --use (a USE half), --distill (USE only
 * teaches the cheap halves while training; its parts: --distill-dense X, --distill-seq
 * X, --distill-t X, --distill-folds N, --distill-copies N, --distill-p X,
 * --distill-linear 0|1|2).
 * Main thread (training may add one helper thread).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_eval.h"
#include "glove.h"
#include "model.h"
#include "tensor.h"
#include "use.h"
#include "zhseg.h"

static int num_opt(int *argc, char **argv, const char *prog, const char *name, double lo,
		   double hi, double *v)
{
	const char *s = cli_take_value(argc, argv, name);
	char *end;
	if (!s)
		return 0;
	double x = strtod(s, &end);
	if (!*s || *end || x < lo || x > hi) {
		fprintf(stderr, "%s: %s wants a number within %g..%g\n", prog, name, lo, hi);
		return -1;
	}
	*v = x;
	return 0;
}

int cli_take_enc_opts(int *argc, char **argv, const char *prog, struct nlu_enc_opts *o,
		      int *no_glove)
{
	double v;

	nlu_enc_opts_default(o);
	if (cli_take_flag(argc, argv, "--distill"))
		nlu_enc_opts_distill(o);   /* the expert knobs below may change its parts */
	*no_glove = cli_take_flag(argc, argv, "--no-glove");
	if (cli_take_flag(argc, argv, "--zh-words"))
		o->zh_dict = NLU_ZHSEG_DICT;
	if (cli_take_flag(argc, argv, "--svm-cs"))
		o->lin.svm_cs = 1;
	if (cli_take_flag(argc, argv, "--svm-ovr"))
		o->lin.svm_cs = 0;
	if (cli_take_flag(argc, argv, "--svm-auto"))
		o->lin.svm_auto = 1;
	if (cli_take_flag(argc, argv, "--svm-nb-auto"))
		o->lin.svm_nb = -1;
	if (cli_take_flag(argc, argv, "--no-spell"))
		o->spell = 0;
#define OPT(name, lo, hi, field, type) \
	do { v = -1; if (num_opt(argc, argv, prog, name, lo, hi, &v)) return 2; \
	     if (v >= 0) field = (type)v; } while (0)
	OPT("--bits", 10, 24, o->feat.bits, int);
	OPT("--char-min", 0, 8, o->feat.char_min, int);
	OPT("--char-max", 0, 8, o->feat.char_max, int);
	OPT("--cjk-max", 0, 8, o->feat.cjk_max, int);
	OPT("--epochs", 1, 1000, o->lin.epochs, int);
	OPT("--lr", 0, 100, o->lin.lr, float);
	OPT("--l2", 0, 1, o->lin.l2, float);
	OPT("--balance", 0, 1, o->lin.balance, float);
	OPT("--threads", 1, 2, o->lin.threads, int);
	OPT("--svm-c", 0, 1000, o->lin.svm_c, float);
	OPT("--svm-nb", 0, 100, o->lin.svm_nb, float);
	OPT("--augment", 0, 10, o->augment, int);
	OPT("--w-oos", 0, 100, o->w_oos, float);
	OPT("--alpha", 0, 1, o->alpha, float);
	OPT("--mlp-epochs", 1, 1000, o->mlp.epochs, int);
	OPT("--beta", 0, 1, o->beta, float);
	OPT("--gamma", 0, 1, o->gamma, float);
	OPT("--cal-folds", 0, 10, o->cal_folds, int);
	OPT("--weight-by-acc", 0, 1, o->weight_by_acc, int);
	OPT("--seq-epochs", 1, 1000, o->seq.epochs, int);
	OPT("--seq-filters", 1, 1024, o->seq.filters, int);
	OPT("--seq-dim", 1, 1024, o->seq.dim, int);
	OPT("--seq-lr", 0, 1, o->seq.lr, float);
	OPT("--seq-lambda", 0, 10, o->seq.lambda, float);
	OPT("--seq-tau", 0.01, 10, o->seq.tau, float);
	OPT("--seq-dropout", 0, 0.9, o->seq.dropout, float);
	OPT("--seq-smooth", 0, 0.5, o->seq.smooth, float);
	OPT("--seq-glove-dim", 0, 100, o->seq.glove_dim, int);
	OPT("--seq-refit", 1, 1000, o->seq_refit, int);
	OPT("--distill-dense", 0, 1, o->distill_dense, float);
	OPT("--distill-seq", 0, 1, o->distill_seq, float);
	OPT("--distill-t", 0.1, 100, o->distill_t, float);
	OPT("--distill-folds", 1, 20, o->distill_folds, int);
	OPT("--distill-copies", 0, 10, o->distill_copies, int);
	OPT("--distill-p", 0, 1, o->distill_p, float);
	OPT("--distill-linear", 0, 2, o->distill_linear, int);
#undef OPT
	if (cli_take_flag(argc, argv, "--no-seq"))
		o->seq.bits = 0;
	if (cli_take_flag(argc, argv, "--seq-keep"))
		o->seq_refit = 0;

	return 0;
}

struct nlu_glove *cli_open_glove(const struct kefu_conf *c, const char *prog)
{
	char path[sizeof c->models + 32], err[600];
	struct nlu_glove *g;

	snprintf(path, sizeof path, "%s/glove-100d.kfv", c->models);
	g = nlu_glove_open(path, err, sizeof err);
	if (!g)
		fprintf(stderr, "%s: no word vectors, linear model only (%s)\n", prog, err);
	return g;
}

static void print_json(const struct nlu_eval_result *r, const char *oos)
{
	json_t *o = json_object(), *conf = json_array();
	json_object_set_new(o, "n_train", json_integer((json_int_t)r->n_train));
	json_object_set_new(o, "n_test", json_integer((json_int_t)r->n_test));
	json_object_set_new(o, "folds", json_integer(r->n_folds));
	json_object_set_new(o, "accuracy", json_real(r->accuracy));
	json_object_set_new(o, "macro_f1", json_real(r->macro_f1));
	json_object_set_new(o, "in_scope_accuracy", json_real(r->in_scope_accuracy));
	if (oos) {
		json_object_set_new(o, "oos_recall", json_real(r->oos_recall));
		json_object_set_new(o, "in_scope_at_oos_recall_80", json_real(r->in_scope_at_oos80));
		json_object_set_new(o, "oos_recall_matched", json_real(r->oos_recall_matched));
	}
	json_object_set_new(o, "train_seconds", json_real(r->train_seconds));
	json_object_set_new(o, "predict_us_median", json_real(r->predict_us_median));
	json_object_set_new(o, "train_cpu_seconds", json_real(r->train_cpu_seconds));
	json_object_set_new(o, "predict_cpu_us_median", json_real(r->predict_cpu_us_median));
	json_object_set_new(o, "beta", json_real(r->beta));
	json_object_set_new(o, "gamma", json_real(r->gamma));
	json_object_set_new(o, "alpha", json_real(r->alpha));
	json_object_set_new(o, "model_bytes", json_integer((json_int_t)r->model_bytes));
	json_object_set_new(o, "temperature", json_real(r->temperature));
	json_object_set_new(o, "threshold", json_real(r->threshold));
	json_object_set_new(o, "margin", json_real(r->margin));
	for (int i = 0; i < r->n_confused; i++) {
		json_t *p = json_object();
		json_object_set_new(p, "truth", json_string(r->confused[i].truth));
		json_object_set_new(p, "predicted", json_string(r->confused[i].pred));
		json_object_set_new(p, "count", json_integer(r->confused[i].count));
		json_array_append_new(conf, p);
	}
	json_object_set_new(o, "confused", conf);
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	puts(s);
	free(s);
	json_decref(o);
}

static void print_text(const struct nlu_eval_result *r, const char *oos)
{
	printf("trained on %zu, tested on %zu%s\n", r->n_train, r->n_test,
	       r->n_folds > 1 ? " (mean per fold)" : "");
	if (r->n_folds > 1)
		printf("folds               %d\n", r->n_folds);
	printf("accuracy            %.2f %%\n", 100 * r->accuracy);
	printf("macro-F1            %.2f %%\n", 100 * r->macro_f1);
	if (oos) {
		printf("in-scope accuracy   %.2f %%\n", 100 * r->in_scope_accuracy);
		printf("OOS recall          %.2f %%\n", 100 * r->oos_recall);
		printf("threshold / margin  %.3f / %.3f\n", r->threshold, r->margin);
	}
	printf("temperature         %.3f\n", r->temperature);
	printf("train seconds       %.2f\n", r->train_seconds);
	printf("predict µs (median) %.1f\n", r->predict_us_median);
	printf("model bytes         %zu\n", r->model_bytes);
	if (r->n_confused) {
		printf("most confused (truth -> predicted: count)\n");
		for (int i = 0; i < r->n_confused; i++)
			printf("  %s -> %s: %d\n", r->confused[i].truth, r->confused[i].pred,
			       r->confused[i].count);
	}
}

static void eval_fold(void *arg, int done, int total)
{
	cli_progress_step(arg, "cross-validation", done, total);
}

int cmd_eval(int argc, char **argv)
{
	struct nlu_dataset tr, te, va;
	struct nlu_enc_opts o;
	struct nlu_eval_result r;
	struct kefu_conf conf;
	struct nlu_glove *glove = NULL;
	char err[600], *pos[1];
	int npos;
	int rc = 1;
	double cv = 0;

	nlu_dataset_init(&tr);
	nlu_dataset_init(&te);
	nlu_dataset_init(&va);
	int json = cli_take_flag(&argc, argv, "--json");
	int quiet = cli_take_flag(&argc, argv, "--quiet");
	int no_glove;
	struct cli_progress prog;
	struct nlu_use *use = NULL;
	if (cli_take_enc_opts(&argc, argv, "kefu eval", &o, &no_glove))
		return 2;
	int with_use = cli_take_flag(&argc, argv, "--use") || o.distill_dense > 0 ||
		       o.distill_seq > 0 || o.distill_linear;   /* the teacher needs it too */
	const char *f_tr = cli_take_value(&argc, argv, "--train");
	const char *f_te = cli_take_value(&argc, argv, "--test");
	const char *f_va = cli_take_value(&argc, argv, "--val");
	const char *oos = cli_take_value(&argc, argv, "--oos-label");
	if (num_opt(&argc, argv, "kefu eval", "--cv", 2, 100, &cv))
		return 2;
	int p = cli_parse_conf(&conf, "kefu eval", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos || !f_tr || !*f_tr || (!f_te && !cv) || (f_te && cv) || (oos && !*oos)) {
		fprintf(stderr, "usage: kefu eval --train FILE (--test FILE | --cv K) [--val FILE] "
				"[--oos-label LABEL] [--json] [--quiet]\n"
				"  FILE: CSV with a text,category header, Rasa NLU YAML or a Rasa "
				"data folder\n");
		return 2;
	}
	cm_blas_single_thread();
	if (!no_glove)
		o.glove = glove = cli_open_glove(&conf, "kefu eval");
	if (with_use && !(o.use = use = nlu_use_open_dir(conf.models, err, sizeof err))) {
		fprintf(stderr, "kefu eval: --use: %s\n", err);
		goto out;
	}
	if (nlu_dataset_read(f_tr, &tr, err, sizeof err) ||
	    (f_te && nlu_dataset_read(f_te, &te, err, sizeof err)) ||
	    (f_va && nlu_dataset_read(f_va, &va, err, sizeof err))) {
		fprintf(stderr, "kefu eval: %s\n", err);
		goto out;
	}
	cli_progress_init(&prog, "kefu eval", quiet);
	o.on_fold = eval_fold;
	o.on_fold_arg = &prog;
	int bad = cv ? nlu_eval_cv(&tr, (int)cv, oos, &o, &r, err, sizeof err)
		     : nlu_eval_run(&tr, &te, f_va ? &va : NULL, oos, &o, &r, err, sizeof err);
	cli_progress_end(&prog);
	if (bad) {
		fprintf(stderr, "kefu eval: %s\n", err);
		goto out;
	}
	if (json)
		print_json(&r, oos);
	else
		print_text(&r, oos);
	rc = 0;
out:
	nlu_dataset_free(&tr);
	nlu_dataset_free(&te);
	nlu_dataset_free(&va);
	nlu_glove_close(glove);
	nlu_use_close(use);
	return rc;
}
