/* tools/kefu/cmd_mining.c — `kefu eval-mining`: how well kefu finds what customers asked
 * that it could not answer.
 *
 *   kefu eval-mining --train STORE.csv --traffic TRAFFIC.csv [--clusters-out FILE.jsonl]
 *                    [--json] [--quiet] [--features both|tfidf|glove|hidden]
 *                    [--method average|dbscan] [--cluster-threshold S] [--glove-weight W]
 *                    [--min-pts N] [--low-conf C] [--center 0|1] [--attach S]
 *                    [--novelty T] [--novelty-k K] [--low-conf-novelty G]
 *                    [--turns-out FILE.csv] [--by-reason]
 *
 * STORE.csv and TRAFFIC.csv have a `text,category` header (or Rasa NLU YAML, as `kefu
 * eval` reads).  STORE becomes an answer store in a temporary database (one answer per
 * category, its questions as examples) trained as `kefu train` does (nlu_train_store;
 * no cross-validation: its figures are not reported here); the bot is loaded from it as
 * kefud loads it and every TRAFFIC question goes through pol_answer and mn_collect, the
 * daemon's answer path and collection rules; new_topic reads each question's mn_novelty
 * off STORE's questions and the whole TRAFFIC, as kefud's review thread reads it off the
 * store and its newest turns (--novelty-k 0 turns the rule off, and low_confidence is
 * then decided on the confidence alone).  --turns-out writes each traffic question's
 * category, answer, confidence, novelty and reasons (for choosing the rules' parameters
 * on a development split); --by-reason adds "by_reason" to the JSON: the share of new
 * and of known questions each reason collects.  The collected questions
 * are clustered with mn_run, as kefud's review thread does.  TRAFFIC categories absent
 * from STORE are "new".
 * Main thread (training adds one helper thread).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_policy.h"
#include "cmd_mining.h"
#include "csv.h"
#include "glove.h"
#include "mining.h"
#include "model.h"
#include "nlu.h"
#include "store.h"
#include "tensor.h"

#define PROG "kefu eval-mining"

/* STORE's categories as answers with their questions, in the JSON import format. */
static char *store_json(const struct nlu_dataset *d)
{
	json_t *doc = json_pack("{s:s, s:i, s:[]}", "format", "kefu-answers", "version", 1,
				"answers");
	json_t *arr = doc ? json_object_get(doc, "answers") : NULL;
	char *s = NULL;

	if (!arr)
		goto out;
	for (size_t l = 0; l < d->n_labels; l++) {
		json_t *ex = json_array();
		for (size_t i = 0; i < d->n; i++)
			if ((size_t)d->labels[i] == l)
				json_array_append_new(ex, json_string(d->texts[i]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "title", d->names[l],
			"body", d->names[l], "lang", "en", "examples", ex));
	}
	s = json_dumps(doc, JSON_COMPACT);
out:
	json_decref(doc);
	return s;
}

/* The temporary store: STORE imported and trained.  NULL with the error printed. */
static struct store *make_store(const struct nlu_dataset *d, const struct kefu_conf *c,
				const char *path, int quiet)
{
	char err[600];
	struct store *st = store_open(path, err, sizeof err);
	char *js = store_json(d);
	struct nlu_train_result tr;

	if (!st || !js) {
		fprintf(stderr, PROG ": %s\n", st ? "out of memory" : err);
		goto fail;
	}
	if (store_import_json(st, js, strlen(js), NULL, err, sizeof err)) {
		fprintf(stderr, PROG ": importing STORE: %s\n", err);
		goto fail;
	}
	struct cli_progress prog;
	cli_progress_init(&prog, PROG, quiet);
	struct nlu_progress np = { cli_progress_step, &prog };
	int rc = nlu_train_store_ex(st, c->models, 0, &np, &tr, err, sizeof err);
	cli_progress_end(&prog);
	if (rc) {
		fprintf(stderr, PROG ": training: %s\n", err);
		goto fail;
	}
	free(js);
	return st;
fail:
	free(js);
	store_close(st);
	return NULL;
}

static int take_float(int *argc, char **argv, const char *name, double lo, double hi,
		      double *out)
{
	const char *s = cli_take_value(argc, argv, name);
	char *end;
	if (!s)
		return 0;
	double v = strtod(s, &end);
	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, PROG ": %s wants a number in [%g, %g]\n", name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* Writes the clusters as JSON lines {"cluster", "label", "texts"}. */
static int write_clusters(const char *path, const struct mn_result *r,
			  const char *const *texts, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, PROG ": %s: cannot write\n", path);
		return -1;
	}
	for (int c = 0; c < r->k; c++) {
		json_t *tx = json_array();
		for (size_t i = 0; i < n; i++)
			if (r->cluster[i] == c)
				json_array_append_new(tx, json_string(texts[i]));
		json_t *o = json_pack("{s:i, s:s, s:o}", "cluster", c, "label",
				      texts[r->named[c].central], "texts", tx);
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
	}
	return fclose(f) ? -1 : 0;
}

/* s as one CSV field (cm_csv_put), then sep. */
static void csv_field(FILE *f, const char *s, char sep)
{
	cm_csv_put(f, s);
	fputc(sep, f);
}

/* One traffic question's line of --turns-out (CSV): what the rules saw and decided
 * (the reasons '|'-separated; answer empty when kefu gave none). */
static void write_turn(FILE *f, const char *text, const char *category, int is_new,
		       const struct pol_reply *r, const struct mn_turn *t, unsigned why)
{
	csv_field(f, text, ',');
	csv_field(f, category, ',');
	fprintf(f, "%d,", is_new);
	csv_field(f, r->answer_id && r->title ? r->title : "", ',');
	fprintf(f, "%.6f,%.6f,", t->confidence, t->has_novelty ? t->novelty : 0.0);
	const char *sep = "";
	for (int b = 0; b < MN_N_REASONS; b++)
		if ((why >> b) & 1) {
			fprintf(f, "%s%s", sep, mn_reason_name(1u << b));
			sep = "|";
		}
	fputc('\n', f);
}

int cmd_eval_mining(int argc, char **argv)
{
	struct kefu_conf conf;
	struct nlu_dataset tr, tf;
	struct mn_rules rules;
	struct mn_opts mo;
	struct mn_result res = { 0 };
	struct cli_policy pol = { 0 };
	struct store *st = NULL;
	struct nlu_glove *glove = NULL;
	char err[600], dir[] = "/tmp/kefu-eval-mining-XXXXXX", path[sizeof dir + 16], *pos[1];
	const char **texts = NULL;
	int *truth = NULL, *is_new = NULL, npos, rc = 1, have_dir = 0;
	float *novelty = NULL;        /* per traffic question (mn_novelty); NULL: off */
	FILE *turns_f = NULL;         /* --turns-out */
	double v;

	nlu_dataset_init(&tr);
	nlu_dataset_init(&tf);
	mn_rules_default(&rules);
	mn_opts_default(&mo);
	int json = cli_take_flag(&argc, argv, "--json");
	int quiet = cli_take_flag(&argc, argv, "--quiet");
	int with_reasons = cli_take_flag(&argc, argv, "--by-reason");
	const char *f_tr = cli_take_value(&argc, argv, "--train");
	const char *f_tf = cli_take_value(&argc, argv, "--traffic");
	const char *f_out = cli_take_value(&argc, argv, "--clusters-out");
	const char *f_turns = cli_take_value(&argc, argv, "--turns-out");
	const char *feat = cli_take_value(&argc, argv, "--features");
	const char *method = cli_take_value(&argc, argv, "--method");
	if (feat && (mo.feat = mn_feat_parse(feat)) < 0) {
		fprintf(stderr, PROG ": --features wants both, tfidf, glove or hidden\n");
		return 2;
	}
	if (method && (mo.method = mn_method_parse(method)) < 0) {
		fprintf(stderr, PROG ": --method wants average or dbscan\n");
		return 2;
	}
	v = mo.threshold;
	if (take_float(&argc, argv, "--cluster-threshold", -1, 1, &v))
		return 2;
	mo.threshold = (float)v;
	v = mo.glove_weight;
	if (take_float(&argc, argv, "--glove-weight", 0, 1, &v))
		return 2;
	mo.glove_weight = (float)v;
	v = mo.min_pts;
	if (take_float(&argc, argv, "--min-pts", 1, 1000, &v))
		return 2;
	mo.min_pts = (int)v;
	if (take_float(&argc, argv, "--low-conf", 0, 1, &rules.low_conf))
		return 2;
	if (take_float(&argc, argv, "--novelty", -2, 2, &rules.novelty))
		return 2;
	if (take_float(&argc, argv, "--low-conf-novelty", -2, 2, &rules.low_conf_novelty))
		return 2;
	v = rules.novelty_k;
	if (take_float(&argc, argv, "--novelty-k", 0, 64, &v))
		return 2;
	rules.novelty_k = (int)v;
	v = mo.center;
	if (take_float(&argc, argv, "--center", 0, 1, &v))
		return 2;
	mo.center = v > 0;
	v = mo.attach;
	if (take_float(&argc, argv, "--attach", 0, 1, &v))
		return 2;
	mo.attach = (float)v;
	int p = cli_parse_conf(&conf, PROG, argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos || !f_tr || !*f_tr || !f_tf || !*f_tf || (f_out && !*f_out) ||
	    (f_turns && !*f_turns)) {
		fprintf(stderr, "usage: " PROG " --train STORE.csv --traffic TRAFFIC.csv "
			"[--clusters-out FILE.jsonl] [--json] [--quiet]\n"
			"  both files: CSV with a text,category header (or Rasa NLU YAML)\n");
		return 2;
	}
	if (nlu_dataset_read(f_tr, &tr, err, sizeof err) ||
	    nlu_dataset_read(f_tf, &tf, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	cm_blas_single_thread();
	if (!mkdtemp(dir)) {
		fprintf(stderr, PROG ": cannot make a temporary folder\n");
		goto out;
	}
	have_dir = 1;
	snprintf(path, sizeof path, "%s/store.db", dir);
	if (!(st = make_store(&tr, &conf, path, quiet)) || cli_policy_open(&pol, st, &conf, 0))
		goto out;
	nlu_glove_path(conf.models, err, sizeof err);
	glove = access(err, R_OK) ? NULL : nlu_glove_open(err, err, sizeof err);

	/* how much more the traffic asks each question's topic than the store covers it
	 * (mn_novelty_texts: the traffic against the store's examples, as the review
	 * thread scores its window of recent questions against the store) */
	if (rules.novelty_k > 0 && tf.n) {
		struct mn_vecs *ref = mn_embed(pol.bot, glove, &mo, (const char *const *)tr.texts,
					       tr.n, NULL, err, sizeof err);
		if (!(novelty = malloc(tf.n * sizeof *novelty)) && ref)
			snprintf(err, sizeof err, "out of memory");
		int bad = !ref || !novelty ||
			mn_novelty_texts(ref, pol.bot, glove, &mo, (const char *const *)tf.texts,
					 tf.n, rules.novelty_k, 0, novelty, err, sizeof err);
		mn_vecs_free(ref);
		if (bad) {
			fprintf(stderr, PROG ": %s\n", err);
			goto out;
		}
	}

	/* every traffic question through the daemon's answer path and collection rules */
	texts = malloc((tf.n ? tf.n : 1) * sizeof *texts);
	truth = malloc((tf.n ? tf.n : 1) * sizeof *truth);
	is_new = malloc((tf.n_labels ? tf.n_labels : 1) * sizeof *is_new);
	if (!texts || !truth || !is_new) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (size_t l = 0; l < tf.n_labels; l++)
		is_new[l] = nlu_dataset_label(&tr, tf.names[l]) < 0;
	size_t n_col = 0, n_new = 0, n_new_col = 0, n_known = 0, n_known_col = 0;
	size_t by_reason[MN_N_REASONS][2] = { { 0 } };   /* [reason][new] */
	if (f_turns && !(turns_f = fopen(f_turns, "w"))) {
		fprintf(stderr, PROG ": %s: cannot write\n", f_turns);
		goto out;
	}
	if (turns_f)
		fprintf(turns_f, "text,category,new,answer,confidence,novelty,why\n");
	for (size_t i = 0; i < tf.n; i++) {
		struct pol_input in = { .words = tf.texts[i], .words_len = strlen(tf.texts[i]) };
		struct pol_reply r;
		if (pol_answer(&pol.m, &in, &r)) {
			fprintf(stderr, PROG ": out of memory\n");
			goto out;
		}
		struct mn_turn t = { .answer_id = r.answer_id, .fallback = r.fallback,
				     .confidence = r.confidence,
				     .did_you_say = r.why == POL_WHY_DID_YOU_SAY,
				     .refused = r.refused != NULL, .has_novelty = novelty != NULL,
				     .novelty = novelty ? novelty[i] : 0 };
		unsigned why = mn_collect(&rules, &t);
		int nw = is_new[tf.labels[i]];
		if (turns_f)
			write_turn(turns_f, tf.texts[i], tf.names[tf.labels[i]], nw, &r, &t,
				   why);
		pol_reply_clear(&r);
		n_new += nw;
		n_known += !nw;
		for (int b = 0; b < MN_N_REASONS; b++)
			by_reason[b][nw] += (why >> b) & 1;
		if (!why)
			continue;
		n_new_col += nw;
		n_known_col += !nw;
		texts[n_col] = tf.texts[i];
		truth[n_col++] = tf.labels[i];
	}

	if (mn_run(pol.bot, pol.ns, glove, &mo, texts, n_col, &res, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	struct mn_scores sc;
	if (mn_score(truth, res.cluster, n_col, &sc)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	/* new categories that are the majority label of a cluster of >= 5 questions */
	int *found = calloc(tf.n_labels ? tf.n_labels : 1, sizeof *found);
	int *count = calloc(tf.n_labels ? tf.n_labels : 1, sizeof *count);
	if (!found || !count) {
		free(found);
		free(count);
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (int c = 0; c < res.k; c++) {
		if (res.named[c].size < 5)
			continue;
		memset(count, 0, tf.n_labels * sizeof *count);
		for (size_t i = 0; i < n_col; i++)
			if (res.cluster[i] == c)
				count[truth[i]]++;
		int maj = -1;
		for (size_t l = 0; l < tf.n_labels; l++)
			if (count[l] && (maj < 0 || count[l] > count[maj]))
				maj = (int)l;
		if (maj >= 0 && is_new[maj])
			found[maj] = 1;
	}
	int new_found = 0;
	for (size_t l = 0; l < tf.n_labels; l++)
		new_found += found[l];
	free(found);
	free(count);
	if (f_out && write_clusters(f_out, &res, texts, n_col))
		goto out;

	double new_recall = n_new ? (double)n_new_col / (double)n_new : 0;
	double known_rate = n_known ? (double)n_known_col / (double)n_known : 0;
	if (json) {
		json_t *o = json_pack("{s:I, s:I, s:f, s:f, s:i, s:f, s:f, s:f, s:i}",
			"n_traffic", (json_int_t)tf.n, "n_collected", (json_int_t)n_col,
			"new_recall", new_recall, "known_collected_rate", known_rate,
			"n_clusters", res.k, "purity", sc.purity, "nmi", sc.nmi, "ari", sc.ari,
			"new_found", new_found);
		/* what each reason collects on its own (a question may have several) */
		json_t *br = with_reasons ? json_object() : NULL;
		for (int b = 0; br && b < MN_N_REASONS; b++)
			if (by_reason[b][0] + by_reason[b][1])
				json_object_set_new(br, mn_reason_name(1u << b), json_pack(
					"{s:f, s:f}", "new", n_new ? (double)by_reason[b][1] /
					(double)n_new : 0.0, "known", n_known ?
					(double)by_reason[b][0] / (double)n_known : 0.0));
		if (br)
			json_object_set_new(o, "by_reason", br);
		char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
		puts(s);
		free(s);
		json_decref(o);
	} else {
		int n_new_cat = 0;
		for (size_t l = 0; l < tf.n_labels; l++)
			n_new_cat += is_new[l];
		printf("traffic %zu questions (%zu of %d new categories); collected %zu\n",
		       tf.n, n_new, n_new_cat, n_col);
		printf("new_recall %.3f  known_collected_rate %.3f\n", new_recall, known_rate);
		printf("clusters %d  purity %.3f  NMI %.3f  ARI %.3f  new categories found %d\n",
		       res.k, sc.purity, sc.nmi, sc.ari, new_found);
	}
	rc = 0;
out:
	if (turns_f && fclose(turns_f) && !rc) {
		fprintf(stderr, PROG ": %s: cannot write\n", f_turns);
		rc = 1;
	}
	mn_result_free(&res);
	cli_policy_close(&pol);
	nlu_glove_close(glove);
	store_close(st);
	if (have_dir) {
		char f[sizeof path + 8];
		static const char *const suffix[] = { "", "-wal", "-shm" };
		for (int i = 0; i < 3; i++) {
			snprintf(f, sizeof f, "%s%s", path, suffix[i]);
			unlink(f);
		}
		rmdir(dir);
	}
	free(texts);
	free(truth);
	free(is_new);
	free(novelty);
	nlu_dataset_free(&tr);
	nlu_dataset_free(&tf);
	return rc;
}
