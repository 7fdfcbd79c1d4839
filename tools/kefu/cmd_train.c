/* tools/kefu/cmd_train.c — `kefu train [--cv K] [--candidate] [--json]`: one training of
 * everything kefu learns from the answer store (train/: the text encoder with its
 * K-fold cross-validated report, default 3 folds, --cv 0 none; the picture step; the
 * fusion model), saved in the store as one run.  It goes live at once (a running kefud
 * answers with it after SIGHUP, without dropping a connection) unless --candidate keeps
 * it a candidate for `kefu models activate` or the console.  Progress goes to stderr
 * (a bar on a terminal, plain lines when piped) unless --quiet; the time taken is
 * printed.  Main thread (the text encoder's training adds helper threads: nlu/train.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "tensor.h"
#include "train.h"

static void on_progress(void *arg, const struct trn_progress *p)
{
	cli_progress_show(arg, p->stage, p->done, p->total, p->fraction, p->left_s);
}

static void print_json(const struct trn_result *res, int live)
{
	const struct nlu_train_result *r = &res->text;
	const struct fu_store_result *fr = &res->fusion;
	json_t *o = json_object();

	json_object_set_new(o, "version", json_integer(r->version));
	json_object_set_new(o, "live", json_boolean(live));
	json_object_set_new(o, "n_examples", json_integer((json_int_t)r->n_examples));
	json_object_set_new(o, "n_answers", json_integer((json_int_t)r->n_answers));
	json_object_set_new(o, "cv_folds", json_integer(r->cv_folds));
	if (r->cv_folds) {
		json_object_set_new(o, "cv_accuracy", json_real(r->cv_accuracy));
		json_object_set_new(o, "cv_macro_f1", json_real(r->cv_macro_f1));
	}
	json_object_set_new(o, "train_seconds", json_real(r->train_seconds));
	json_object_set_new(o, "total_seconds", json_real(res->seconds));
	json_object_set_new(o, "model_bytes", json_integer((json_int_t)r->model_bytes));
	json_object_set_new(o, "data_hash", json_string(r->data_hash));
	json_object_set_new(o, "dense", json_boolean(r->dense));
	json_object_set_new(o, "fusion", fr->skipped ? json_pack("{ss}", "skipped", res->fusion_note)
		: json_pack("{sIsIsIsIss}", "version", (json_int_t)fr->version,
			    "answers_with_pictures", (json_int_t)fr->n_pictured_answers,
			    "pictures", (json_int_t)fr->n_pictures,
			    "model_bytes", (json_int_t)fr->model_bytes,
			    "embed_model", fr->embed_model));
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	puts(s);
	free(s);
	json_decref(o);
}

static void print_text(const struct trn_result *res, const struct kefu_conf *c, int live)
{
	const struct nlu_train_result *r = &res->text;
	const struct fu_store_result *fr = &res->fusion;

	if (res->pictures == 1)
		printf("image head v%lld (%s) on %d labelled pictures of %d labels\n",
		       (long long)res->head_version, c->image_embed, res->n_pictures, res->n_labels);
	else if (res->pictures == 2)
		printf("image head: %d labelled pictures of %d label(s): nothing to train\n",
		       res->n_pictures, res->n_labels);
	printf("trained model v%lld on %zu examples of %zu answers (%s) in %.1f s, %zu bytes\n",
	       (long long)r->version, r->n_examples, r->n_answers,
	       r->dense ? "linear + GloVe" : "linear only", r->train_seconds, r->model_bytes);
	if (r->cv_folds)
		printf("%d-fold cross-validation: accuracy %.2f %%, macro-F1 %.2f %%\n", r->cv_folds,
		       100 * r->cv_accuracy, 100 * r->cv_macro_f1);
	if (fr->skipped)
		printf("fusion model skipped: %s\n", res->fusion_note);
	else
		printf("fusion model v%lld (words + picture) on %zu answers with pictures, %zu "
		       "pictures (%s) in %.1f s, %zu bytes\n", (long long)fr->version,
		       fr->n_pictured_answers, fr->n_pictures, fr->embed_model,
		       fr->stats.train_seconds, fr->model_bytes);
	printf("training took %.1f s in all\n", res->seconds);
	if (live)
		printf("v%lld is live; data hash %s; send SIGHUP to a running kefud to answer "
		       "with it\n", (long long)r->version, r->data_hash);
	else
		printf("v%lld is a candidate: kefu models report %lld, then kefu models activate "
		       "%lld\n", (long long)r->version, (long long)r->version, (long long)r->version);
}

int cmd_train(int argc, char **argv)
{
	struct kefu_conf c;
	struct trn_result res;
	char *pos[1], err[600];
	int npos, cv = 3;
	int json = cli_take_flag(&argc, argv, "--json");
	int quiet = cli_take_flag(&argc, argv, "--quiet");
	int candidate = cli_take_flag(&argc, argv, "--candidate");
	int use = cli_take_flag(&argc, argv, "--use");
	if (cli_take_flag(&argc, argv, "--distill"))
		use = 2;   /* the sentence encoder teaches, the model answers without it */
	const char *cvs = cli_take_value(&argc, argv, "--cv");

	if (cvs) {
		char *end;
		long v = strtol(cvs, &end, 10);
		if (!*cvs || *end || v < 0 || v == 1 || v > 20) {
			fprintf(stderr, "kefu train: --cv wants 0 (none) or 2..20 folds\n");
			return 2;
		}
		cv = (int)v;
	}
	int p = cli_parse_conf(&c, "kefu train", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos) {
		fprintf(stderr, "usage: kefu train [--cv K] [--candidate] [--use | --distill] [--json] "
			"[--quiet] [--db FILE] [--models DIR]\n");
		return 2;
	}
	struct store *st = cli_open_store(&c);
	if (!st)
		return 1;
	cm_blas_single_thread();
	struct cli_progress prog;
	cli_progress_init(&prog, "kefu train", quiet);
	struct trn_opts o = { c.models, c.image_embed, cv, !candidate, c.keep_models,
			      on_progress, &prog, NULL, use };
	int rc = trn_run(st, &o, &res, err, sizeof err);
	cli_progress_end(&prog);
	store_close(st);
	if (rc) {
		fprintf(stderr, "kefu train: %s\n", err);
		return 1;
	}
	if (json)
		print_json(&res, !candidate);
	else
		print_text(&res, &c, !candidate);
	return 0;
}
