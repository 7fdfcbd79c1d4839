/* nlu/test_use.c — parity of kefu's Universal Sentence Encoder lite (use.c, use_tok.c)
 * with the package's own JavaScript run by tfjs: for each sentence of
 * nlu/testdata/use_sentences.json, the token ids must equal and the 512-d vector must
 * agree with nlu/testdata/use_ref.tsv (written by `node scripts/npm/use/reference.js
 * refs ...`) to cosine ≥ 0.9999 and max |diff| ≤ 1e-4.  Also: a second scratch answers
 * bit for bit alike, invalid UTF-8 is refused.
 *
 *   test_nlu_use MODELS_DIR TESTDATA_DIR
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
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
	json_decref(sent);
	free(ref);
	nlu_use_scratch_destroy(s);
	nlu_use_scratch_destroy(s2);
	nlu_use_close(u);
	return failures ? 1 : 0;
}
