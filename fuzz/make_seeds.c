/* fuzz/make_seeds.c — writes the model-file seeds of corpus/model_kefu/ and
 * corpus/model_head/ with the project's own trainers and writers, kept tiny (a few hashed
 * feature buckets, 4-float embeddings) so each seed is a few KB: a text encoder (KEFU
 * "NLU "), a fusion model (KEFU "FUSE") and a category head (VHEAD).  Run from fuzz/ by
 * hand when a format changes: `build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus`.  The CNN seed
 * (corpus/model_cnn/) is written by make_cnn_seed.py.  Main thread only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "fusion.h"
#include "model.h"

static int put(const char *dir, const char *name, const void *b, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, len, f) == len;
	if (f)
		ok = !fclose(f) && ok;
	printf("%s: %zu bytes%s\n", path, len, ok ? "" : " (write failed)");
	return ok ? 0 : -1;
}

static const char *const texts[] = { "I lost my card", "my card was stolen",
	"where is my refund", "我要退款", "hello there", "good morning" };
static const int answer_of[] = { 0, 0, 1, 1, 2, 2 };
static const char *const labels[] = { "card", "refund", "greet" };

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "corpus";
	char err[256], sub[512];
	void *blob;
	size_t len;
	int rc = 0;

	struct nlu_dataset d;
	nlu_dataset_init(&d);
	for (int r = 0; r < 2; r++)
		for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
			nlu_dataset_add(&d, texts[i], labels[answer_of[i]]);
	struct nlu_enc_opts eo;
	nlu_enc_opts_default(&eo);
	eo.feat.bits = 10;     /* the smallest the encoder takes */
	eo.lin.threads = 1;
	snprintf(sub, sizeof sub, "%s/model_kefu", dir);
	/* without, then with a tiny sequence half (and the spelling words, on by default) */
	for (int with_seq = 0; with_seq < 2; with_seq++) {
		if (with_seq) {
			eo.seq.bits = 6;
			eo.seq.emb_dim = eo.seq.filters = eo.seq.dim = 4;
			eo.seq.glove_dim = 0;
			eo.seq.epochs = 1;
		} else {
			eo.seq.bits = 0;
		}
		struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &eo, err, sizeof err);
		if (!e || nlu_enc_save(e, &blob, &len)) {
			fprintf(stderr, "encoder: %s\n", e ? "save failed" : err);
			return 1;
		}
		rc |= put(sub, with_seq ? "encoder_seq.kefu" : "encoder.kefu", blob, len);
		free(blob);
		nlu_enc_destroy(e);
	}
	nlu_dataset_free(&d);

	static const int answer_label[] = { 0, 1, -1 }, pic_label[] = { 0, 0, 1, 1 };
	static const float emb[] = { 1, 0, 0, 0, .9f, .1f, 0, 0, 0, 0, 1, 0, 0, .1f, .9f, 0 };
	struct fu_data fd = { .n_answers = 3, .answer_label = answer_label, .n_labels = 2,
			      .n_texts = 6, .texts = texts, .text_answer = answer_of,
			      .n_pictures = 4, .dim = 4, .embeds = emb, .picture_label = pic_label };
	struct fu_opts fo;
	fu_opts_default(&fo);
	fo.bits = 10;
	fo.hidden = 2;
	fo.epochs = 2;
	fo.embed_model = "tiny";
	struct fu_model *m = fu_model_train(&fd, &fo, NULL, err, sizeof err);
	if (!m || fu_model_save(m, &blob, &len)) {
		fprintf(stderr, "fusion: %s\n", m ? "save failed" : err);
		return 1;
	}
	rc |= put(sub, "fusion.kefu", blob, len);
	free(blob);
	fu_model_destroy(m);

	struct vis_head *h = vis_head_train(emb, pic_label, 4, 4, labels, 2, "tiny", NULL);
	if (!h || !(blob = vis_head_save(h, &len))) {
		fprintf(stderr, "head: failed\n");
		return 1;
	}
	snprintf(sub, sizeof sub, "%s/model_head", dir);
	rc |= put(sub, "head.vhead", blob, len);
	free(blob);
	vis_head_free(h);
	return rc ? 1 : 0;
}
