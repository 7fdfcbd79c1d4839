/* daemon/fusion_fixture.c — test helper: puts a small trained fusion model into a store so
 * the picture test can check that kefud lets the picture choose between answers the words
 * alone cannot tell apart.
 *
 *   fusion_fixture DB MODELS_DIR EMBED_NAME LABEL=PICTURE ...
 *
 * For each LABEL it adds the answer "Returning a LABEL" whose example questions are the
 * same words for every label ("can I return this?", ...), plus the pictures' embeddings
 * (the picture and 7 flipped / cropped variants, L2-normalised as vis_see gives them) from
 * MODELS_DIR/EMBED_NAME.kfm; "Lost or stolen card" joins as an answer without pictures.
 * Trains a fusion model on that (fusion/, sparse text features, fixed seed) and saves it as
 * the store's latest "fusion" model.  Each picture is also stored as the answer's
 * reference picture (label LABEL) with its embedding, so the picture catalogue
 * (vision/catalog.h) finds it.  Exit 0 ok, 1 failure.  Main thread only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "file.h"
#include "store.h"
#include "tensor.h"
#include "vision.h"

#define MAX_LABELS 8
#define VARIANTS 8

static const char *const questions[] = {
	"can I return this?", "how do I return this item", "I want to send this back",
	"can I get a refund for this", "return this please", "is it possible to return it",
};
#define N_Q (sizeof questions / sizeof questions[0])

/* Variant v of img: bit 0 mirrors, bits 1-2 pick a 90 % crop corner (0: none). */
static int variant(const struct vis_image *img, int v, struct vis_image *out)
{
	int crop = (v >> 1) & 3, w = crop ? img->w * 9 / 10 : img->w;
	int h = crop ? img->h * 9 / 10 : img->h;
	int x0 = crop & 1 ? img->w - w : 0, y0 = crop & 2 ? img->h - h : 0;

	if (vis_image_alloc(out, w, h))
		return -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int sx = v & 1 ? x0 + w - 1 - x : x0 + x;
			memcpy(out->rgb + 3 * ((size_t)y * w + x),
			       img->rgb + 3 * ((size_t)(y0 + y) * img->w + sx), 3);
		}
	return 0;
}

int main(int argc, char **argv)
{
	char path[1024], err[512];
	int64_t ids[MAX_LABELS + 1], pic_ids[MAX_LABELS] = { 0 }, version;
	int labels = argc - 4, dim, rc = 1;
	struct store *st = NULL;
	struct vis_cnn *cnn = NULL;
	struct vis_cnn_state *cs = NULL;
	float *embeds = NULL;
	int *pic_label = NULL, answer_label[MAX_LABELS + 1], text_answer[(MAX_LABELS + 1) * N_Q];
	const char *texts[(MAX_LABELS + 1) * N_Q];
	size_t n_texts = 0;
	struct fu_model *model = NULL;
	void *blob = NULL;
	size_t blob_len;

	if (argc < 5 || labels > MAX_LABELS) {
		fprintf(stderr, "usage: %s DB MODELS_DIR EMBED_NAME LABEL=PICTURE ...\n", argv[0]);
		return 1;
	}
	cm_blas_single_thread();
	snprintf(path, sizeof path, "%s/%s.kfm", argv[2], argv[3]);
	if (!(st = store_open(argv[1], err, sizeof err)) ||
	    !(cnn = vis_cnn_open(path, err, sizeof err)) || !(cs = vis_cnn_state_create(cnn))) {
		fprintf(stderr, "fusion_fixture: %s\n", err);
		goto out;
	}
	dim = vis_cnn_embed_dim(cnn);
	embeds = calloc((size_t)labels * VARIANTS * (size_t)dim, sizeof *embeds);
	pic_label = calloc((size_t)labels * VARIANTS, sizeof *pic_label);
	if (!embeds || !pic_label)
		goto out;
	for (int l = 0; l < labels; l++) {
		char *eq = strchr(argv[4 + l], '='), title[128], body[256];
		struct vis_image img = { 0 };
		unsigned char *buf;
		size_t len = 0;

		if (!eq)
			goto out;
		*eq = '\0';
		snprintf(title, sizeof title, "Returning a %s", argv[4 + l]);
		snprintf(body, sizeof body, "You can return the %s within 30 days in its box "
			 "with the receipt.", argv[4 + l]);
		if (store_answer_add(st, title, body, "en", "returns", &ids[l])) {
			fprintf(stderr, "fusion_fixture: %s\n", store_errmsg(st));
			goto out;
		}
		for (size_t q = 0; q < N_Q; q++) {
			store_example_add(st, ids[l], questions[q]);
			texts[n_texts] = questions[q];
			text_answer[n_texts++] = l;
		}
		answer_label[l] = l;
		buf = (unsigned char *)cm_read_file(eq + 1, &len);
		if (!buf || vis_decode(buf, len, NULL, &img, err, sizeof err)) {
			fprintf(stderr, "fusion_fixture: %s: %s\n", eq + 1, buf ? err : "unreadable");
			free(buf);
			goto out;
		}
		/* the picture itself, as a reference picture of the answer with its
		 * embedding (view 0 below), for the picture catalogue */
		if (store_picture_add(st, ids[l], argv[4 + l], eq + 1, buf, len, &pic_ids[l]) &&
		    !pic_ids[l]) {
			fprintf(stderr, "fusion_fixture: %s\n", store_errmsg(st));
			free(buf);
			goto out;
		}
		free(buf);
		for (int v = 0; v < VARIANTS; v++) {
			struct vis_image var;
			float *e = embeds + ((size_t)l * VARIANTS + (size_t)v) * (size_t)dim;
			if (variant(&img, v, &var))
				goto out;
			vis_cnn_set_image(cnn, cs, &var);
			vis_cnn_run(cnn, cs, NULL, e);
			vis_image_free(&var);
			float norm = sqrtf(cm_dot(dim, e, e));
			for (int k = 0; k < dim && norm > 0; k++)
				e[k] /= norm;
			pic_label[l * VARIANTS + v] = l;
			if (v == 0 && store_picture_set_embedding(st, pic_ids[l], vis_cnn_name(cnn),
								  e, dim))
				goto out;
		}
		vis_image_free(&img);
	}
	/* an answer without pictures: a picture must not pull it away */
	if (store_answer_find(st, "Lost or stolen card", &ids[labels]))
		goto out;
	answer_label[labels] = -1;
	for (const char *const *q = (const char *const[]){ "I lost my card", "my card was stolen",
			"I can't find my card", NULL }; *q; q++) {
		texts[n_texts] = *q;
		text_answer[n_texts++] = labels;
	}

	struct fu_data d = {
		.n_answers = (size_t)labels + 1, .answer_ids = ids, .answer_label = answer_label,
		.n_labels = (size_t)labels, .n_texts = n_texts, .texts = texts,
		.text_answer = text_answer, .n_pictures = (size_t)labels * VARIANTS, .dim = dim,
		.embeds = embeds, .picture_label = pic_label,
	};
	struct fu_opts o;
	fu_opts_default(&o);
	o.embed_model = vis_cnn_name(cnn);
	o.seed = 7;
	model = fu_model_train(&d, &o, NULL, err, sizeof err);
	if (!model || fu_model_save(model, &blob, &blob_len) ||
	    store_model_put(st, "fusion", blob, blob_len, "{}", "fixture", &version)) {
		fprintf(stderr, "fusion_fixture: %s\n", model ? store_errmsg(st) : err);
		goto out;
	}
	printf("fusion model %lld: %d labels, %zu texts, %d pictures of %d floats\n",
	       (long long)version, labels, n_texts, labels * VARIANTS, dim);
	rc = 0;
out:
	free(blob);
	fu_model_destroy(model);
	free(embeds);
	free(pic_label);
	vis_cnn_state_destroy(cs);
	vis_cnn_close(cnn);
	store_close(st);
	return rc;
}
