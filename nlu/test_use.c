/* nlu/test_use.c — parity of kefu's Universal Sentence Encoder lite (use.c, use_tok.c)
 * with the package's own JavaScript run by tfjs: for each sentence of
 * nlu/testdata/use_sentences.json, the token ids must equal and the 512-d vector must
 * agree with nlu/testdata/use_ref.tsv (written by `node scripts/npm/use/reference.js
 * refs ...`) to cosine ≥ 0.9999 and max |diff| ≤ 1e-4.  Also: a second scratch answers
 * bit for bit alike, invalid UTF-8 is refused; and the encoder's USE half (encoder.c,
 * `--use`): trained, saved as format 4, loaded back with and without the sentence
 * encoder, it answers paraphrases its words do not share.
 *
 *   test_nlu_use MODELS_DIR TESTDATA_DIR
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
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
	use_half(u);
	json_decref(sent);
	free(ref);
	nlu_use_scratch_destroy(s);
	nlu_use_scratch_destroy(s2);
	nlu_use_close(u);
	return failures ? 1 : 0;
}
