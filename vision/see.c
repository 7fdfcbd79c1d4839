/* vision/see.c — one picture through every step a worker has (decode, OCR + entities,
 * codes, safety verdict, embedding), with the time each took.
 *
 * A struct vis_worker bundles one worker's private engines (tesseract, zbar, CNN scratch)
 * over the shared read-only models.  One thread at a time calls vis_see on it (kefud
 * leases its workers' vis_workers from a pool made at start, picture/models.c).
 *
 * OCR and the CNN passes are independent, so vis_see reads the text on the vis_worker's
 * own reader thread (started with the worker, it alone uses the tesseract engine) while
 * the calling thread scans codes and runs the safety and embedding passes; it waits for
 * the text before returning.  A picture's latency is then the longer of the two, not their
 * sum (a screenshot: OCR ~90 ms CPU beside ~55 ms for codes + 4 CNN passes).
 */
#include "vision.h"

#include <pthread.h>
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
	/* the reader thread (only when ocr): vis_see posts img, the reader fills res */
	pthread_t reader;
	int reader_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int posted, done, quit;                /* {lock} */
	const struct vis_image *img;           /* {lock} the picture to read */
	struct vis_seen *res;                  /* {lock} where the text and entities go */
	int rc;                                /* {lock} vis_ocr_read's result */
};

/* The reader thread: reads each posted picture's text and entities into res. */
static void *reader_main(void *arg)
{
	struct vis_worker *w = arg;

	pthread_setname_np(pthread_self(), "vis-ocr");   /* in perf and top */
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->posted && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		w->posted = 0;
		pthread_mutex_unlock(&w->lock);
		struct vis_seen *out = w->res;
		uint64_t t0 = cm_now_us();
		int rc = vis_ocr_read(w->ocr, w->img, &out->ocr);
		if (!rc)
			out->n_entities = vis_entities_find(out->ocr.text, out->entities,
							    VIS_MAX_ENTITIES);
		out->ms_ocr = (double)(cm_now_us() - t0) / 1000.0;
		pthread_mutex_lock(&w->lock);
		w->rc = rc;
		w->done = 1;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

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
	if (w->ocr) {
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
		if (pthread_create(&w->reader, NULL, reader_main, w)) {
			snprintf(err, errlen, "cannot start the OCR reader thread");
			vis_worker_destroy(w);
			return NULL;
		}
		w->reader_started = 1;
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
	if (w->reader_started) {
		pthread_mutex_lock(&w->lock);
		w->quit = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->reader, NULL);
	}
	if (w->ocr) {   /* set up only after the engine started */
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
	}
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

/* Codes, the safety verdict and the embedding of img into out (the calling thread's half
 * of vis_see).  0 or a vis_rc. */
static int look(struct vis_worker *w, const struct vis_image *img, struct vis_seen *out)
{
	uint64_t t0 = cm_now_us();
	int rc;

	if ((rc = vis_codes_scan(w->codes, img, &out->codes)))
		return rc;
	out->ms_codes = ms_since(t0);

	t0 = cm_now_us();
	if (w->safety) {
		int n = vis_cnn_n_classes(w->safety);
		out->n_safety = n < 16 ? n : 16;
		float p[16];
		if (n <= 16) {
			vis_cnn_set_image(w->safety, w->safety_st, img);
			vis_cnn_run(w->safety, w->safety_st, p, NULL);
			memcpy(out->safety, p, sizeof(float) * (size_t)n);
			for (int i = 1; i < n; i++)
				if (p[i] > p[out->safety_top])
					out->safety_top = i;
			out->safety_label = vis_cnn_class_name(w->safety, out->safety_top);
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
			if (!(out->embed = malloc(sizeof(float) * (size_t)out->embed_dim)))
				return VIS_E_NOMEM;
			if ((rc = vis_catalog_embed(w->embed, w->embed_st, img,
						    w->embed_views > 0 ? w->embed_views : 1,
						    out->embed)))
				return rc;
		}
	}
	out->ms_cnn = ms_since(t0);
	return 0;
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
	out->format_name = vis_format_name(out->format);
	out->safety_label = "";
	out->w = img.w;
	out->h = img.h;

	if (w->ocr) {               /* the reader thread reads while this one looks */
		pthread_mutex_lock(&w->lock);
		w->img = &img;
		w->res = out;
		w->done = 0;
		w->posted = 1;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	} else if (!(out->ocr.text = calloc(1, 1))) {
		rc = VIS_E_NOMEM;
		goto fail;
	}
	rc = look(w, &img, out);
	if (w->ocr) {
		pthread_mutex_lock(&w->lock);
		while (!w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!rc)
			rc = w->rc;
		pthread_mutex_unlock(&w->lock);
	}
	if (rc)
		goto fail;
	vis_image_free(&img);
	return 0;
fail:
	snprintf(err, errlen, "%s", vis_err_code(rc));
	vis_image_free(&img);
	vis_seen_free(out);
	return rc;
}
