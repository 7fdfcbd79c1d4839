/* tools/kefu/cmd_train.c — `kefu train [--cv K] [--json]`: trains kefu's text encoder on
 * the answer store's example questions and saves it in the store (model kind "nlu")
 * with its version, training-data hash and K-fold cross-validated metrics (default 3
 * folds; --cv 0 skips them).  A running kefud answers with it after SIGHUP, without
 * dropping a connection.  Then the fusion model (fusion/: words + picture, kind
 * "fusion") is trained on the same questions and the store's labelled pictures, when it
 * has any with embeddings.  Progress goes to stderr (a bar on a terminal, plain lines
 * when piped) unless --quiet.  Main thread (training adds one helper thread).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_images.h"
#include "fusion.h"
#include "nlu.h"
#include "store.h"
#include "tensor.h"

int cmd_train(int argc, char **argv)
{
	struct kefu_conf c;
	struct nlu_train_result r;
	char *pos[1], err[600];
	int npos, cv = 3;
	int json = cli_take_flag(&argc, argv, "--json");
	int quiet = cli_take_flag(&argc, argv, "--quiet");
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
		fprintf(stderr, "usage: kefu train [--cv K] [--json] [--quiet] [--db FILE] "
			"[--models DIR]\n");
		return 2;
	}
	struct store *st = cli_open_store(&c);
	if (!st)
		return 1;
	cm_blas_single_thread();
	struct cli_progress prog;
	cli_progress_init(&prog, "kefu train", quiet);
	struct nlu_progress np = { cli_progress_step, &prog };
	int rc = nlu_train_store_ex(st, c.models, cv, &np, &r, err, sizeof err);
	cli_progress_end(&prog);
	if (rc == 0 && cli_train_images(st, &c, json)) { store_close(st); return 1; }
	struct fu_store_result fr;
	char ferr[600] = "";
	int frc = rc ? 0 : fu_train_store(st, c.models, &fr, ferr, sizeof ferr);
	store_close(st);
	if (rc) {
		fprintf(stderr, "kefu train: %s\n", err);
		return 1;
	}
	if (frc) {
		fprintf(stderr, "kefu train: fusion: %s\n", ferr);
		return 1;
	}
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "version", json_integer(r.version));
		json_object_set_new(o, "n_examples", json_integer((json_int_t)r.n_examples));
		json_object_set_new(o, "n_answers", json_integer((json_int_t)r.n_answers));
		json_object_set_new(o, "cv_folds", json_integer(r.cv_folds));
		if (r.cv_folds) {
			json_object_set_new(o, "cv_accuracy", json_real(r.cv_accuracy));
			json_object_set_new(o, "cv_macro_f1", json_real(r.cv_macro_f1));
		}
		json_object_set_new(o, "train_seconds", json_real(r.train_seconds));
		json_object_set_new(o, "model_bytes", json_integer((json_int_t)r.model_bytes));
		json_object_set_new(o, "data_hash", json_string(r.data_hash));
		json_object_set_new(o, "dense", json_boolean(r.dense));
		json_object_set_new(o, "fusion", fr.skipped ? json_pack("{ss}", "skipped", ferr)
			: json_pack("{sIsIsIsIss}", "version", (json_int_t)fr.version,
				    "answers_with_pictures", (json_int_t)fr.n_pictured_answers,
				    "pictures", (json_int_t)fr.n_pictures,
				    "model_bytes", (json_int_t)fr.model_bytes,
				    "embed_model", fr.embed_model));
		char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
		puts(s);
		free(s);
		json_decref(o);
		return 0;
	}
	printf("trained model v%lld on %zu examples of %zu answers (%s) in %.1f s, %zu bytes\n",
	       (long long)r.version, r.n_examples, r.n_answers,
	       r.dense ? "linear + GloVe" : "linear only", r.train_seconds, r.model_bytes);
	if (r.cv_folds)
		printf("%d-fold cross-validation: accuracy %.2f %%, macro-F1 %.2f %%\n", r.cv_folds,
		       100 * r.cv_accuracy, 100 * r.cv_macro_f1);
	if (fr.skipped)
		printf("fusion model skipped: %s\n", ferr);
	else
		printf("fusion model v%lld (words + picture) on %zu answers with pictures, %zu "
		       "pictures (%s) in %.1f s, %zu bytes\n", (long long)fr.version,
		       fr.n_pictured_answers, fr.n_pictures, fr.embed_model,
		       fr.stats.train_seconds, fr.model_bytes);
	printf("data hash %s; send SIGHUP to a running kefud to answer with it\n", r.data_hash);
	return 0;
}
