/* fuzz/fuzz_model_kefu.c — libFuzzer harness for the `KEFU` model container
 * (nlu/model_file.c) through the two loaders that read it from the store: nlu_enc_load
 * (kind "NLU ", the text encoder) and fu_model_load (kind "FUSE", the fusion model), both
 * without word vectors, as a store without models/ gives them.
 *
 * Each input is tried twice: as is (so the magic, size and checksum checks themselves are
 * fuzzed), then with its header's total size and FNV-1a checksum set to match the bytes
 * (nlu_mf_checksum, the library's own), so mutations reach the tensor table and the loaders
 * behind the checksum (unless they already matched: the same bytes once).  A model that
 * loads is then used once (a prediction for the encoder, a choice for the fusion model) so
 * inconsistent tensors show up as bad reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void try_load(const uint8_t *b, size_t len)
{
	static const char text[] = "my card was stolen";
	char err[256];

	struct nlu_enc *e = nlu_enc_load(b, len, NULL, err, sizeof err);
	if (e) {
		struct nlu_enc_scratch *s = nlu_enc_scratch_create(e);
		struct nlu_enc_pred p;
		const float *probs;
		if (s)
			(void)nlu_enc_predict(e, s, text, sizeof text - 1, &p, &probs);
		nlu_enc_scratch_destroy(s);
		nlu_enc_destroy(e);
	}
	struct fu_model *m = fu_model_load(b, len, NULL, err, sizeof err);
	if (m) {
		struct fu_state *s = fu_state_create(m);
		struct fu_choice c;
		int dim = fu_model_embed_dim(m);
		float *emb = dim > 0 && dim <= 4096 ? calloc((size_t)dim, sizeof *emb) : NULL;
		if (emb)
			emb[0] = 1;
		if (s)
			(void)fu_choose(m, s, text, sizeof text - 1, emb, emb ? dim : 0, &c, NULL);
		free(emb);
		fu_state_destroy(s);
		fu_model_destroy(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_load(data, size);
	if (size < NLU_MF_HEADER)
		return 0;
	uint8_t *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	put64(copy + 16, size);
	put64(copy + 24, nlu_mf_checksum(copy + NLU_MF_HEADER, size - NLU_MF_HEADER));
	if (memcmp(copy, data, NLU_MF_HEADER))   /* the same bytes were just tried */
		try_load(copy, size);
	free(copy);
	return 0;
}
