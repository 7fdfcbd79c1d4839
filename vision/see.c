/* vision/see.c — one picture through every step a worker has (decode, OCR + entities,
 * codes, safety verdict, embedding), with the time each took.
 *
 * A struct vis_worker bundles one worker's private engines (tesseract, zbar, CNN scratch)
 * over the shared read-only models; kefud creates it on the worker thread at its first picture,
 * and only that thread uses it.
 */
#include "vision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "tensor.h"

/* The safety rule (nsfwjs's classes): sums/levels of the probabilities that make a picture
 * one operators should not see unblurred. */
#define UNSAFE_EXPLICIT 0.5f   /* p(porn) + p(hentai) */
#define UNSAFE_SEXY 0.7f       /* p(sexy) */

struct vis_worker {
	const struct vis_cnn *safety, *embed;
	struct vis_cnn_state *safety_st, *embed_st;
	int embed_views;
	struct vis_ocr *ocr;
	struct vis_codes_ctx *codes;
};

struct vis_worker *vis_worker_create(const struct vis_cnn *safety, const struct vis_cnn *embed,
				     const char *ocr_langs, char *err, size_t errlen)
{
	struct vis_worker *w = calloc(1, sizeof *w);
	if (!w)
		goto nomem;
	w->safety = safety;
	w->embed = embed;
	if ((safety && !(w->safety_st = vis_cnn_state_create(safety))) ||
	    (embed && !(w->embed_st = vis_cnn_state_create(embed))) ||
	    !(w->codes = vis_codes_create()))
		goto nomem;
	if (ocr_langs && !(w->ocr = vis_ocr_create(ocr_langs, err, errlen))) {
		vis_worker_destroy(w);
		return NULL;
	}
	return w;
nomem:
	snprintf(err, errlen, "no memory for a vision worker");
	vis_worker_destroy(w);
	return NULL;
}

void vis_worker_destroy(struct vis_worker *w)
{
	if (!w)
		return;
	vis_cnn_state_destroy(w->safety_st);
	vis_cnn_state_destroy(w->embed_st);
	vis_ocr_destroy(w->ocr);
	vis_codes_destroy(w->codes);
	free(w);
}

int vis_worker_set_embed_views(struct vis_worker *w, int views)
{
	if (views < 1 || views > VIS_MAX_VIEWS)
		return VIS_E_ARG;
	w->embed_views = views;
	return 0;
}

void vis_seen_free(struct vis_seen *s)
{
	vis_ocr_result_free(&s->ocr);
	vis_codes_free(&s->codes);
	free(s->embed);
	memset(s, 0, sizeof *s);
}

static float class_p(const struct vis_cnn *m, const float *p, const char *name)
{
	for (int i = 0; i < vis_cnn_n_classes(m); i++)
		if (!strcmp(vis_cnn_class_name(m, i), name))
			return p[i];
	return 0.f;
}

static double ms_since(uint64_t t0)
{
	return (double)(cm_now_us() - t0) / 1000.0;
}

int vis_see(struct vis_worker *w, const uint8_t *buf, size_t len,
	    const struct vis_decode_opts *opts, struct vis_seen *out, char *err, size_t errlen)
{
	struct vis_image img;
	int rc;

	memset(out, 0, sizeof *out);
	uint64_t t0 = cm_now_us();
	if (w->ocr)                 /* the per-picture CPU deadline bounds the OCR passes */
		vis_ocr_set_deadline(w->ocr, opts && opts->deadline_ms > 0
				     ? t0 + (uint64_t)opts->deadline_ms * 1000 : 0);
	if ((rc = vis_decode(buf, len, opts, &img, err, errlen)))
		return rc;
	out->ms_decode = ms_since(t0);
	out->format = vis_sniff(buf, len);
	out->w = img.w;
	out->h = img.h;

	t0 = cm_now_us();
	if (w->ocr) {
		if ((rc = vis_ocr_read(w->ocr, &img, &out->ocr)))
			goto fail;
		out->n_entities = vis_entities_find(out->ocr.text, out->entities, VIS_MAX_ENTITIES);
	} else if (!(out->ocr.text = calloc(1, 1))) {
		rc = VIS_E_NOMEM;
		goto fail;
	}
	out->ms_ocr = ms_since(t0);

	t0 = cm_now_us();
	if ((rc = vis_codes_scan(w->codes, &img, &out->codes)))
		goto fail;
	out->ms_codes = ms_since(t0);

	t0 = cm_now_us();
	if (w->safety) {
		int n = vis_cnn_n_classes(w->safety);
		out->n_safety = n < 16 ? n : 16;
		float p[16];
		if (n <= 16) {
			vis_cnn_set_image(w->safety, w->safety_st, &img);
			vis_cnn_run(w->safety, w->safety_st, p, NULL);
			memcpy(out->safety, p, sizeof(float) * (size_t)n);
			for (int i = 1; i < n; i++)
				if (p[i] > p[out->safety_top])
					out->safety_top = i;
			out->unsafe = class_p(w->safety, p, "porn") + class_p(w->safety, p, "hentai") >=
					      UNSAFE_EXPLICIT ||
				      class_p(w->safety, p, "sexy") >= UNSAFE_SEXY;
		} else {
			out->n_safety = 0;
		}
	}
	if (w->embed) {
		out->embed_dim = vis_cnn_embed_dim(w->embed);
		if (out->embed_dim > 0) {
			if (!(out->embed = malloc(sizeof(float) * (size_t)out->embed_dim))) {
				rc = VIS_E_NOMEM;
				goto fail;
			}
			if ((rc = vis_catalog_embed(w->embed, w->embed_st, &img,
						    w->embed_views > 0 ? w->embed_views : 1,
						    out->embed)))
				goto fail;
		}
	}
	out->ms_cnn = ms_since(t0);
	vis_image_free(&img);
	return 0;
fail:
	snprintf(err, errlen, "%s", vis_err_code(rc));
	vis_image_free(&img);
	vis_seen_free(out);
	return rc;
}
