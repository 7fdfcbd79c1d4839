/* nlu/test_use.c — parity of kefu's Universal Sentence Encoder lite (use.c, use_tok.c)
 * with the package's own JavaScript run by tfjs: for each sentence of
 * nlu/testdata/use_sentences.json, the token ids must equal and the 512-d vector must
 * agree with nlu/testdata/use_ref.tsv (written by `node scripts/npm/use/reference.js
 * refs ...`) to cosine ≥ 0.9999 and max |diff| ≤ 1e-4.  Also: a second scratch answers
 * bit for bit alike, invalid UTF-8 is refused; and the encoder's USE half (encoder.c,
 * `--use`): trained, saved as format 4, loaded back with and without the sentence
 * encoder, it answers paraphrases its words do not share.  And the batched passes
 * training uses (nlu_use_embed_batch, nlu_use_embed_many on two threads) give every
 * sentence's vector within 1e-5 of the one-at-a-time pass (max |diff|), an invalid text
 * among them a zero row.  The teacher's cache (teacher.c, `--distill`): one row per
 * distinct text with its scaled vector, the same copies of a text whichever set holds it
 * (so cross-validation folds can share one), and training on part of it.
 *
 *   test_nlu_use MODELS_DIR TESTDATA_DIR
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "glove.h"
#include "model.h"
#include "use.h"

static int failures;
#define CHECK(c, ...)                                                                 \
	do {                                                                          \
		if (!(c)) {                                                           \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			failures++;                                                   \
		}                                                                     \
	} while (0)

/* A small intent set whose test questions share few words with the examples. */
static const char *const toy[][2] = {
	{"my card has not arrived yet", "card"}, {"when will I get my new card", "card"},
	{"the card I ordered is still not here", "card"}, {"how long does card delivery take", "card"},
	{"send money to my friend", "transfer"}, {"I want to transfer funds abroad", "transfer"},
	{"how do I make a bank transfer", "transfer"}, {"pay someone from my account", "transfer"},
	{"what is the exchange rate today", "rate"}, {"how much is a euro in dollars", "rate"},
	{"currency conversion rates please", "rate"}, {"what rate do you use for pounds", "rate"},
	{"hello there", "greet"}, {"good morning", "greet"}, {"hi, how are you", "greet"},
	{"hey, nice to meet you", "greet"},
};

/* The batched passes against nlu_use_embed, over the test sentences repeated `rep` times
 * (so that batches fill and split) with an invalid text among them. */
static void batched(const struct nlu_use *u, struct nlu_use_scratch *s, json_t *sent, int rep)
{
	size_t k = json_array_size(sent), n = k * (size_t)rep + 1, bad_at = n / 2;
	const char **texts = malloc(sizeof *texts * n);
	float *one = calloc(n * NLU_USE_DIM, sizeof *one), *bat = malloc(sizeof *bat * n * NLU_USE_DIM);
	float *two = malloc(sizeof *two * n * NLU_USE_DIM);
	struct nlu_use_scratch *sb = nlu_use_scratch_create(u);
	if (!texts || !one || !bat || !two || !sb) {
		CHECK(0, "out of memory");
		return;
	}
	for (size_t i = 0, j = 0; i < n; i++)
		texts[i] = i == bad_at ? "bad \xff utf-8" : json_string_value(json_array_get(sent, j++ % k));
	for (size_t i = 0; i < n; i++)
		if (i != bad_at)
			nlu_use_embed(u, s, texts[i], strlen(texts[i]), one + i * NLU_USE_DIM);
	CHECK(nlu_use_embed_batch(u, sb, texts, n, bat) == 1, "batch: one invalid text");
	CHECK(nlu_use_embed_many(u, texts, n, two, 2) == 1, "two threads: one invalid text");
	double db = 0, d2 = 0;
	for (size_t i = 0; i < n * NLU_USE_DIM; i++) {
		db = fmax(db, fabs((double)one[i] - bat[i]));
		d2 = fmax(d2, fabs((double)one[i] - two[i]));
	}
	CHECK(db <= 1e-5 && d2 <= 1e-5, "batched vectors differ: max |diff| %.2g, two threads %.2g",
	      db, d2);
	printf("batched pass: %zu sentences, max |diff| %.2g (one thread), %.2g (two threads)\n",
	       n, db, d2);
	nlu_use_scratch_destroy(sb);
	free(texts);
	free(one);
	free(bat);
	free(two);
}

static void use_half(const struct nlu_use *u)
{
	struct nlu_dataset d;
	struct nlu_enc_opts o;
	char err[300];
	nlu_dataset_init(&d);
	for (size_t i = 0; i < sizeof toy / sizeof toy[0]; i++)
		nlu_dataset_add(&d, toy[i][0], toy[i][1]);
	nlu_enc_opts_default(&o);
	o.lin.threads = 1;
	o.use = u;
	o.gamma = 0.8f;        /* the toy set has no calibration split: the half speaks */
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err);
	CHECK(e && e->use_mlp.d_in == NLU_USE_DIM && e->gamma == 0.8f, "USE half trained: %s",
	      e ? "no half" : err);
	void *blob = NULL;
	size_t len = 0;
	CHECK(e && !nlu_enc_save(e, &blob, &len) && ((unsigned char *)blob)[8] == 4,
	      "saved as format 4");
	struct nlu_enc *with = blob ? nlu_enc_load(blob, len, NULL, err, sizeof err) : NULL;
	struct nlu_enc *without = blob ? nlu_enc_load(blob, len, NULL, err, sizeof err) : NULL;
	CHECK(with && without && with->use_mlp.d_in == NLU_USE_DIM && with->gamma == 0.8f,
	      "loaded back: %s", err);
	if (!with || !without)
		goto out;
	with->use = u;         /* as kefud sets it; `without` answers with the other halves */
	struct nlu_enc_scratch *sw = nlu_enc_scratch_create(with);
	struct nlu_enc_scratch *so = nlu_enc_scratch_create(without);
	static const char *const probe[][2] = {
		{"where is my plastic", "card"}, {"wire cash to my brother", "transfer"},
		{"yo", "greet"}, {"what's the forex price for yen", "rate"},
	};
	int right = 0, differ = 0;
	for (size_t i = 0; i < 4; i++) {
		struct nlu_enc_pred pw, po;
		const float *qw, *qo;
		nlu_enc_predict(with, sw, probe[i][0], strlen(probe[i][0]), &pw, &qw);
		float keep = qw[0];
		nlu_enc_predict(without, so, probe[i][0], strlen(probe[i][0]), &po, &qo);
		right += !strcmp(with->labels[pw.cls], probe[i][1]);
		differ += keep != qo[0];
	}
	CHECK(right >= 3, "with USE: %d of 4 paraphrases right", right);
	CHECK(differ == 4, "the USE half changed %d of 4 answers' probabilities", differ);
	nlu_enc_scratch_destroy(sw);
	nlu_enc_scratch_destroy(so);
out:
	nlu_enc_destroy(with);
	nlu_enc_destroy(without);
	nlu_enc_destroy(e);
	free(blob);
	nlu_dataset_free(&d);
}

/* nlu_enc_teacher on the toy set (a text twice) and on a part of it. */
static void teacher_cache(const struct nlu_use *u, struct nlu_use_scratch *s, const char *models)
{
	struct nlu_dataset d, part;
	struct nlu_enc_opts o;
	char path[4200], err[300];
	size_t n_toy = sizeof toy / sizeof toy[0];
	nlu_glove_path(models, path, sizeof path);
	struct nlu_glove *g = nlu_glove_open(path, err, sizeof err);
	CHECK(g, "word vectors: %s", err);
	if (!g)
		return;
	nlu_dataset_init(&d);
	nlu_dataset_init(&part);
	for (size_t i = 0; i < n_toy; i++)
		nlu_dataset_add(&d, toy[i][0], toy[i][1]);
	nlu_dataset_add(&d, toy[0][0], toy[0][1]);
	for (size_t i = n_toy; i-- > 0;)          /* every other text, backwards */
		if (i % 2 == 0)
			nlu_dataset_add(&part, toy[i][0], toy[i][1]);
	nlu_enc_opts_default(&o);
	nlu_enc_opts_distill(&o);
	o.lin.threads = 1;
	o.use = u;
	o.glove = g;
	struct nlu_teacher *t = nlu_enc_teacher(&d, &o), *tp = nlu_enc_teacher(&part, &o);
	CHECK(t && tp && t->n == n_toy && tp->n == part.n && t->copies == 1,
	      "teacher rows: %zu of %zu distinct texts", t ? t->n : 0, n_toy);
	if (!t || !tp)
		goto out;
	int changed = 0;
	double md = 0;
	for (size_t i = 0; i < d.n; i++) {
		long r = nlu_teacher_find(t, d.texts[i]);
		float v[NLU_USE_DIM];
		CHECK(r >= 0 && !strcmp(t->text[r], d.texts[i]), "text %zu not found", i);
		if (r < 0)
			continue;
		nlu_use_embed(u, s, d.texts[i], strlen(d.texts[i]), v);
		for (int k = 0; k < NLU_USE_DIM; k++)
			md = fmax(md, fabs((double)v[k] * NLU_DENSE_SCALE - t->x[r * NLU_USE_DIM + k]));
		changed += strcmp(t->copy[r], t->text[r]) != 0;
	}
	CHECK(md <= 1e-4, "teacher vectors differ from the encoder's × scale by %.2g", md);
	CHECK(changed >= (int)n_toy * 3 / 4, "only %d of %zu copies change a word", changed, n_toy);
	for (size_t i = 0; i < tp->n; i++) {
		long r = nlu_teacher_find(t, tp->text[i]);
		CHECK(r >= 0 && !strcmp(t->copy[r], tp->copy[i]),
		      "the copy of \"%s\" depends on the set: \"%s\" / \"%s\"", tp->text[i],
		      r >= 0 ? t->copy[r] : "", tp->copy[i]);
	}
	CHECK(nlu_teacher_find(tp, toy[1][0]) < 0, "a text outside the part found");
	/* a training on the part from the whole set's cache, as cross-validation does */
	o.teacher = t;
	struct nlu_enc *e = nlu_enc_train(&part, NULL, NULL, &o, err, sizeof err);
	CHECK(e && e->use_mlp.d_in == 0 && !e->use, "distilled on a shared cache: %s",
	      e ? "a USE half" : err);
	int right = 0;
	struct nlu_enc_scratch *es = e ? nlu_enc_scratch_create(e) : NULL;
	for (size_t i = 0; es && i < part.n; i++) {
		struct nlu_enc_pred p;
		const float *q;
		nlu_enc_predict(e, es, part.texts[i], strlen(part.texts[i]), &p, &q);
		right += p.cls >= 0 && !strcmp(e->labels[p.cls], part.names[part.labels[i]]);
	}
	CHECK(right >= (int)part.n - 1, "distilled model: %d of %zu training texts", right, part.n);
	nlu_enc_scratch_destroy(es);
	nlu_enc_destroy(e);
	o.teacher = tp;        /* a cache without the set's texts is refused */
	e = nlu_enc_train(&d, NULL, NULL, &o, err, sizeof err);
	CHECK(!e && strstr(err, "lack"), "a cache lacking texts: %s", e ? "trained" : err);
	nlu_enc_destroy(e);
out:
	nlu_teacher_destroy(t);
	nlu_teacher_destroy(tp);
	nlu_dataset_free(&d);
	nlu_dataset_free(&part);
	nlu_glove_close(g);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_nlu_use MODELS_DIR TESTDATA_DIR\n");
		return 2;
	}
	char err[512], path[4096];
	struct nlu_use *u = nlu_use_open_dir(argv[1], err, sizeof err);
	if (!u) {
		fprintf(stderr, "FAIL: %s\n", err);
		return 1;
	}
	struct nlu_use_scratch *s = nlu_use_scratch_create(u), *s2 = nlu_use_scratch_create(u);
	json_error_t jerr;
	snprintf(path, sizeof path, "%s/use_sentences.json", argv[2]);
	json_t *sent = json_load_file(path, 0, &jerr);
	snprintf(path, sizeof path, "%s/use_ref.tsv", argv[2]);
	size_t rlen;
	char *ref = cm_read_file(path, &rlen);
	if (!s || !s2 || !sent || !ref) {
		fprintf(stderr, "FAIL: cannot read the test data (%s)\n", path);
		return 1;
	}
	char *line = ref;
	double worst_cos = 1, worst_diff = 0;
	size_t i;
	json_t *js;
	json_array_foreach(sent, i, js) {
		const char *text = json_string_value(js);
		char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
		if (!nl || !tab || tab > nl) {
			fprintf(stderr, "FAIL: use_ref.tsv has too few lines\n");
			return 1;
		}
		*nl = 0;
		const int32_t *ids;
		int n = nlu_use_tokens(u, s, text, strlen(text), &ids);
		char *p = line;
		int k = 0, same = 1;
		while (p < tab) {
			long id = strtol(p, &p, 10);
			same &= k < n && ids[k] == id;
			k++;
			while (*p == ' ')
				p++;
		}
		CHECK(same && k == n, "sentence %zu: token ids differ (%d here, %d in JS)", i, n, k);
		float v[NLU_USE_DIM], v2[NLU_USE_DIM];
		CHECK(!nlu_use_embed(u, s, text, strlen(text), v), "sentence %zu: embed failed", i);
		CHECK(!nlu_use_embed(u, s2, text, strlen(text), v2) && !memcmp(v, v2, sizeof v),
		      "sentence %zu: a second scratch differs", i);
		double dot = 0, na = 0, nb = 0, md = 0;
		p = tab + 1;
		for (int d = 0; d < NLU_USE_DIM; d++) {
			double r = strtod(p, &p);
			dot += r * v[d];
			na += r * r;
			nb += (double)v[d] * v[d];
			if (fabs(r - v[d]) > md)
				md = fabs(r - v[d]);
		}
		double cs = dot / sqrt(na * nb + 1e-30);
		CHECK(cs >= 0.9999 && md <= 1e-4, "sentence %zu: cosine %.6f, max diff %.2g", i, cs,
		      md);
		if (cs < worst_cos)
			worst_cos = cs;
		if (md > worst_diff)
			worst_diff = md;
		line = nl + 1;
	}
	float v[NLU_USE_DIM];
	CHECK(nlu_use_embed(u, s, "bad \xff utf-8", 11, v) == -1, "invalid UTF-8 accepted");
	printf("use parity: %zu sentences, worst cosine %.7f, worst max |diff| %.2g\n",
	       json_array_size(sent), worst_cos, worst_diff);
	batched(u, s, sent, 40);
	teacher_cache(u, s, argv[1]);
	use_half(u);
	json_decref(sent);
	free(ref);
	nlu_use_scratch_destroy(s);
	nlu_use_scratch_destroy(s2);
	nlu_use_close(u);
	return failures ? 1 : 0;
}
