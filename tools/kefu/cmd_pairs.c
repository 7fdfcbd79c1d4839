/* tools/kefu/cmd_pairs.c — `kefu eval-pairs`: how close kefu's encoder puts two sentences,
 * scored on labelled pairs (paraphrase or not).
 *
 *   kefu eval-pairs --pairs FILE.tsv [--train FILE] [--json] [--db FILE] [--models DIR]
 *
 * FILE.tsv: one pair a line, `id <TAB> sentence 1 <TAB> sentence 2 <TAB> label` with label
 * 1 (same meaning) or 0; an optional first line naming the columns is skipped.  The
 * similarity is the cosine of kefu's sentence vectors (nlu_bot_sentence_vector: the
 * trained model's contrastively trained sequence half): of the encoder trained on
 * --train (CSV text,category or Rasa YAML, as kefu eval) when given, else of the store's
 * live model; when that has no sequence half (BM25, an older model), of untrained
 * features: TF-IDF of words and character n-grams (nlu/features.c, idf fitted on the
 * pairs' own sentences).  Prints n, auc (ROC area of the similarity against the label),
 * best_f1 (and the threshold that reaches it), us_per_pair (CPU µs to encode both
 * sentences and compare them, one thread) and which encoder scored them.  Exit 2 on a
 * usage error, 1 on a bad file (FILE:LINE: why) or a training failure.  Main thread.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "cmd_eval.h"
#include "glove.h"
#include "model.h"
#include "nlu.h"
#include "store.h"
#include "tensor.h"
#include "utf8.h"

#define PROG "kefu eval-pairs"

struct pair {
	char *a, *b;
	int label;
	double sim;
};

/* Splits the TSV text buf (modified in place) into pairs.  0, or -1 with FILE:LINE. */
static int parse_pairs(char *buf, const char *path, struct pair **out, size_t *n_out,
		       char *err, size_t errlen)
{
	size_t n = 0, cap = 0, line = 0;
	struct pair *p = NULL;
	char *s = buf;

	while (*s) {
		char *nl = strchr(s, '\n'), *f[5];
		int nf = 0;
		line++;
		if (nl)
			*nl = 0;
		size_t l = strlen(s);
		if (l && s[l - 1] == '\r')
			s[--l] = 0;
		if (l) {
			f[nf++] = s;
			for (char *c = s; *c && nf < 5; c++)
				if (*c == '\t') {
					*c = 0;
					f[nf++] = c + 1;
				}
			int is_label = nf == 4 && (!strcmp(f[3], "0") || !strcmp(f[3], "1"));
			if (line == 1 && nf == 4 && !is_label)
				goto next;   /* the header */
			if (nf != 4) {
				snprintf(err, errlen, "%s:%zu: want 4 tab-separated fields (id, sentence "
					 "1, sentence 2, label), found %d", path, line, nf);
				goto fail;
			}
			if (!is_label) {
				snprintf(err, errlen, "%s:%zu: the label must be 0 or 1", path, line);
				goto fail;
			}
			if (!*f[1] || !*f[2] || !cm_utf8_valid(f[1], strlen(f[1])) ||
			    !cm_utf8_valid(f[2], strlen(f[2]))) {
				snprintf(err, errlen, "%s:%zu: a sentence is empty or not UTF-8", path,
					 line);
				goto fail;
			}
			struct pair *q = cm_grow(p, &cap, n + 1, sizeof *q, 256);
			if (!q) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			p = q;
			p[n++] = (struct pair){ f[1], f[2], f[3][0] == '1', 0 };
		}
next:
		if (!nl)
			break;
		s = nl + 1;
	}
	if (!n) {
		snprintf(err, errlen, "%s: no pairs", path);
		goto fail;
	}
	*out = p;
	*n_out = n;
	return 0;
fail:
	free(p);
	return -1;
}

static double thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_sim_desc(const void *x, const void *y)
{
	double a = ((const struct pair *)x)->sim, b = ((const struct pair *)y)->sim;
	return a > b ? -1 : a < b;
}

/* ROC area (ties count half) and the best F1 over thresholds of p sorted by sim. */
static void score_pairs(struct pair *p, size_t n, double *auc, double *best_f1,
			double *best_thr)
{
	size_t pos = 0, neg, tp = 0, fp = 0;
	double area = 0;

	qsort(p, n, sizeof *p, by_sim_desc);
	for (size_t i = 0; i < n; i++)
		pos += (size_t)p[i].label;
	neg = n - pos;
	*best_f1 = 0;
	*best_thr = p[0].sim;
	for (size_t i = 0; i < n;) {
		size_t j = i, tp_g = 0, fp_g = 0;
		while (j < n && p[j].sim == p[i].sim) {   /* a group of tied similarities */
			tp_g += (size_t)p[j].label;
			fp_g += (size_t)!p[j].label;
			j++;
		}
		area += (double)fp_g * ((double)tp + (double)tp_g / 2);
		tp += tp_g;
		fp += fp_g;
		double f1 = tp ? 2.0 * (double)tp / (2.0 * (double)tp + (double)fp + (double)(pos - tp)) : 0;
		if (f1 > *best_f1) {
			*best_f1 = f1;
			*best_thr = p[i].sim;
		}
		i = j;
	}
	*auc = pos && neg ? area / ((double)pos * (double)neg) : 0.5;
	/* area counted, for each negative, the positives ranked above it: P(pos > neg) */
}

/* Untrained features: cosine of TF-IDF vectors (idf over the pairs' sentences). */
static int tfidf_sims(struct pair *p, size_t n, double *cpu_us)
{
	struct nlu_enc_opts o;
	struct nlu_feat f = { 0 };
	struct nlu_fx *fx = nlu_fx_create();
	struct nlu_sparse sa = { 0 }, sb = { 0 };
	char **texts = malloc(sizeof *texts * 2 * n);
	float *dense = NULL;
	int rc = -1;

	nlu_enc_opts_default(&o);
	f.cfg = o.feat;
	f.dim = 1u << f.cfg.bits;
	dense = calloc(f.dim, sizeof *dense);
	if (!fx || !texts || !dense || nlu_sparse_alloc(&sa, NLU_FEAT_MAX) ||
	    nlu_sparse_alloc(&sb, NLU_FEAT_MAX))
		goto out;
	for (size_t i = 0; i < n; i++) {
		texts[2 * i] = p[i].a;
		texts[2 * i + 1] = p[i].b;
	}
	if (nlu_feat_fit_idf(&f, fx, texts, 2 * n))
		goto out;
	double t0 = thread_cpu_us();
	for (size_t i = 0; i < n; i++) {
		int ka = nlu_feat_vector(&f, fx, p[i].a, strlen(p[i].a), &sa);
		int kb = nlu_feat_vector(&f, fx, p[i].b, strlen(p[i].b), &sb);
		double dot = 0, na = 0, nb = 0;
		for (int k = 0; k < ka; k++) {
			dense[sa.idx[k]] += sa.val[k];
		}
		for (int k = 0; k < ka; k++) {
			na += (double)dense[sa.idx[k]] * sa.val[k];
		}
		for (int k = 0; k < kb; k++)
			dot += (double)dense[sb.idx[k]] * sb.val[k];
		for (int k = 0; k < ka; k++)
			dense[sa.idx[k]] = 0;
		for (int k = 0; k < kb; k++)   /* b's own norm (its buckets may repeat) */
			dense[sb.idx[k]] += sb.val[k];
		for (int k = 0; k < kb; k++) {
			nb += (double)dense[sb.idx[k]] * sb.val[k];
		}
		for (int k = 0; k < kb; k++)
			dense[sb.idx[k]] = 0;
		p[i].sim = na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
	}
	*cpu_us = (thread_cpu_us() - t0) / (double)n;
	rc = 0;
out:
	nlu_feat_free(&f);
	nlu_fx_destroy(fx);
	nlu_sparse_free(&sa);
	nlu_sparse_free(&sb);
	free(texts);
	free(dense);
	return rc;
}

/* Cosines of the encoder's sentence vectors (through the bot or a trained encoder). */
static void vector_sims(struct pair *p, size_t n, const struct nlu_bot *bot,
			struct nlu_state *st, const struct nlu_enc *e, struct nlu_enc_scratch *es,
			double *cpu_us)
{
	float za[NLU_SENTENCE_DIM * 8], zb[NLU_SENTENCE_DIM * 8];
	double t0 = thread_cpu_us();
	for (size_t i = 0; i < n; i++) {
		int da, db;
		if (bot) {
			da = nlu_bot_sentence_vector(bot, st, p[i].a, strlen(p[i].a), za, (int)(sizeof za / sizeof *za));
			db = nlu_bot_sentence_vector(bot, st, p[i].b, strlen(p[i].b), zb, (int)(sizeof zb / sizeof *zb));
		} else {
			da = nlu_enc_sentence(e, es, p[i].a, strlen(p[i].a), za);
			db = nlu_enc_sentence(e, es, p[i].b, strlen(p[i].b), zb);
		}
		p[i].sim = da > 0 && da == db ? cm_dot((size_t)da, za, zb) : 0;
	}
	*cpu_us = (thread_cpu_us() - t0) / (double)n;
}

int cmd_eval_pairs(int argc, char **argv)
{
	struct kefu_conf conf;
	struct nlu_enc_opts o;
	struct nlu_dataset d;
	struct nlu_glove *glove = NULL;
	struct nlu_enc *e = NULL;
	struct nlu_enc_scratch *es = NULL;
	struct nlu_bot *bot = NULL;
	struct nlu_state *st = NULL;
	struct store *store = NULL;
	struct pair *p = NULL;
	char *buf = NULL, err[600], *pos[1];
	const char *encoder = "tfidf";
	size_t n = 0;
	int npos, rc = 1, no_glove;
	double cpu_us = 0;

	nlu_dataset_init(&d);
	int json = cli_take_flag(&argc, argv, "--json");
	const char *f_pairs = cli_take_value(&argc, argv, "--pairs");
	const char *f_train = cli_take_value(&argc, argv, "--train");
	if (cli_take_enc_opts(&argc, argv, PROG, &o, &no_glove))
		return 2;
	int pc = cli_parse_conf(&conf, PROG, argc, argv, pos, 1, &npos);
	if (pc)
		return pc < 0 ? 2 : 0;
	if (npos || !f_pairs || !*f_pairs || (f_train && !*f_train)) {
		fprintf(stderr, "usage: " PROG " --pairs FILE.tsv [--train FILE] [--json] [--db FILE]\n"
				"  FILE.tsv: id, sentence 1, sentence 2, label (1 same meaning, 0 not), "
				"tab-separated\n");
		return 2;
	}
	size_t len;
	if (!(buf = cli_read_file(f_pairs, &len))) {
		fprintf(stderr, PROG ": %s: cannot read the file\n", f_pairs);
		return 1;
	}
	if (memchr(buf, 0, len)) {
		fprintf(stderr, PROG ": %s: not a text file\n", f_pairs);
		goto out;
	}
	if (parse_pairs(buf, f_pairs, &p, &n, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	cm_blas_single_thread();
	if (f_train) {
		if (!no_glove)
			o.glove = glove = cli_open_glove(&conf, PROG);
		if (nlu_dataset_read(f_train, &d, err, sizeof err) ||
		    !(e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err))) {
			fprintf(stderr, PROG ": %s\n", err);
			goto out;
		}
		if (!(es = nlu_enc_scratch_create(e))) {
			fprintf(stderr, PROG ": out of memory\n");
			goto out;
		}
		if (e->seq.bits)
			encoder = "seq";
	} else {
		struct nlu_opts no = { .threshold = conf.threshold, .models = conf.models };
		if (!(store = cli_open_store(&conf)))
			goto out;
		if (!(bot = nlu_bot_load(store, &no, err, sizeof err)) ||
		    !(st = nlu_state_create(bot))) {
			fprintf(stderr, PROG ": %s\n", bot ? "out of memory" : err);
			goto out;
		}
		float probe[NLU_SENTENCE_DIM * 8];
		if (nlu_bot_sentence_vector(bot, st, "a", 1, probe, NLU_SENTENCE_DIM * 8) > 0)
			encoder = "seq";
	}
	if (!strcmp(encoder, "seq"))
		vector_sims(p, n, bot, st, e, es, &cpu_us);
	else if (tfidf_sims(p, n, &cpu_us)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	double auc, f1, thr;
	score_pairs(p, n, &auc, &f1, &thr);
	if (json) {
		json_t *jo = json_object();
		json_object_set_new(jo, "n", json_integer((json_int_t)n));
		json_object_set_new(jo, "auc", json_real(auc));
		json_object_set_new(jo, "best_f1", json_real(f1));
		json_object_set_new(jo, "threshold", json_real(thr));
		json_object_set_new(jo, "us_per_pair", json_real(cpu_us));
		json_object_set_new(jo, "encoder", json_string(encoder));
		char *s = json_dumps(jo, JSON_COMPACT | JSON_REAL_PRECISION(6));
		if (s)
			puts(s);
		free(s);
		json_decref(jo);
	} else {
		printf("pairs        %zu\nencoder      %s\nROC AUC      %.4f\nbest F1      %.4f "
		       "(cosine >= %.4f)\nµs per pair  %.1f (CPU, one thread)\n", n, encoder, auc, f1,
		       thr, cpu_us);
	}
	rc = 0;
out:
	nlu_enc_scratch_destroy(es);
	nlu_enc_destroy(e);
	nlu_state_destroy(st);
	if (bot)
		nlu_bot_unref(bot);
	store_close(store);
	nlu_glove_close(glove);
	nlu_dataset_free(&d);
	free(p);
	free(buf);
	return rc;
}
