/* vision/head.c — the category head: a softmax (multinomial logistic) regression over
 * power-normalised picture embeddings, trained full-batch with Adam, and its "VHEAD" blob
 * (stored by `kefu train` as model kind "image_head").
 *
 * Features: the embedding is power-normalised (x -> sqrt(max(x, 0)), then L2) — measured
 * on the clothing set, 80.4 % -> 83.0 % with the ImageNet MobileNetV2 — and then
 * standardised with the training set's mean and deviation when VIS_HEAD_STANDARDISE is
 * set (it is not by default: sklearn and this code both measured lower with it).
 *
 * Blob layout (little-endian, version 1): "VHEAD\0\0\0", u32 version, u32 dim,
 * u32 n_labels, u32 flags, u32 name length + the embedding CNN's name, per label u32 length + bytes,
 * then float32 mean[dim], sd[dim], W[dim × n_labels] (row-major), b[n_labels].
 *
 * Training runs on the caller's thread (cm_sgemm as the caller set OpenBLAS up); a
 * trained or loaded head is immutable and read by any thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "catalog.h"
#include "tensor.h"

#define HEAD_MAGIC "VHEAD\0\0\0"
#define HEAD_VERSION 1u

struct vis_head {
	int dim, n_labels;
	unsigned flags;          /* VIS_HEAD_STANDARDISE */
	char *embed_name;
	char **labels;
	float *mean, *sd;        /* dim each */
	float *w;                /* dim × n_labels */
	float *b;                /* n_labels */
};

void vis_head_free(struct vis_head *h)
{
	if (!h)
		return;
	for (int i = 0; h->labels && i < h->n_labels; i++)
		free(h->labels[i]);
	free(h->labels);
	free(h->embed_name);
	free(h->mean);
	free(h->sd);
	free(h->w);
	free(h->b);
	free(h);
}

static struct vis_head *head_alloc(int dim, int n_labels)
{
	struct vis_head *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->dim = dim;
	h->n_labels = n_labels;
	h->labels = calloc((size_t)n_labels, sizeof *h->labels);
	h->mean = calloc((size_t)dim, sizeof(float));
	h->sd = calloc((size_t)dim, sizeof(float));
	h->w = calloc((size_t)dim * (size_t)n_labels, sizeof(float));
	h->b = calloc((size_t)n_labels, sizeof(float));
	if (!h->labels || !h->mean || !h->sd || !h->w || !h->b) {
		vis_head_free(h);
		return NULL;
	}
	return h;
}

/* out = the head's input features for embedding x (power-normalised, standardised). */
static void features(const struct vis_head *h, const float *x, float *out)
{
	double n2 = 0;

	for (int d = 0; d < h->dim; d++) {
		out[d] = x[d] > 0 ? sqrtf(x[d]) : 0.0f;
		n2 += (double)out[d] * out[d];
	}
	float inv = n2 > 0 ? (float)(1.0 / sqrt(n2)) : 0.0f;
	for (int d = 0; d < h->dim; d++)
		out[d] = (out[d] * inv - h->mean[d]) / h->sd[d];
}

int vis_head_n_labels(const struct vis_head *h) { return h->n_labels; }
const char *vis_head_label(const struct vis_head *h, int i) { return h->labels[i]; }
int vis_head_dim(const struct vis_head *h) { return h->dim; }
const char *vis_head_embed_name(const struct vis_head *h) { return h->embed_name; }

/* Adam state of one parameter block. */
struct adam {
	float *m, *v;
};


struct vis_head *vis_head_train(const float *x, const int *y, int n, int dim,
				const char *const *labels, int n_labels,
				const char *embed_name, const struct vis_head_opts *opts)
{
	/* l2 = 1/(C·n) with C = 10 (sklearn's LogisticRegression scale), measured best */
	float l2 = opts && opts->l2 > 0 ? opts->l2 : 0.1f / (float)(n > 0 ? n : 1);
	int epochs = opts && opts->epochs > 0 ? opts->epochs : 500;
	float lr = opts && opts->lr > 0 ? opts->lr : 0.05f;
	size_t nd = (size_t)n * (size_t)dim, wl = (size_t)dim * (size_t)n_labels;

	if (!x || !y || n < 1 || dim < 1 || n_labels < 2 || !labels)
		return NULL;
	for (int i = 0; i < n; i++)
		if (y[i] < 0 || y[i] >= n_labels)
			return NULL;
	struct vis_head *h = head_alloc(dim, n_labels);
	float *xs = malloc(nd * sizeof(float));
	float *z = malloc((size_t)n * (size_t)n_labels * sizeof(float));
	float *gw = malloc(wl * sizeof(float)), *gb = malloc((size_t)n_labels * sizeof(float));
	struct adam aw = { calloc(wl, sizeof(float)), calloc(wl, sizeof(float)) };
	struct adam ab = { calloc((size_t)n_labels, sizeof(float)),
			   calloc((size_t)n_labels, sizeof(float)) };

	if (!h || !xs || !z || !gw || !gb || !aw.m || !aw.v || !ab.m || !ab.v)
		goto fail;
	if (!(h->embed_name = strdup(embed_name ? embed_name : "")))
		goto fail;
	for (int l = 0; l < n_labels; l++)
		if (!(h->labels[l] = strdup(labels[l])))
			goto fail;
	h->flags = opts ? opts->flags : 0;
	for (int d = 0; d < dim; d++)
		h->sd[d] = 1.0f;                  /* mean 0, sd 1: features() leaves them */
	for (int i = 0; i < n; i++)
		features(h, x + (size_t)i * dim, xs + (size_t)i * dim);
	if (h->flags & VIS_HEAD_STANDARDISE) {
		float *mean = calloc((size_t)dim, sizeof(float)), *sd = calloc((size_t)dim, sizeof(float));
		if (!mean || !sd) {
			free(mean);
			free(sd);
			goto fail;
		}
		for (size_t k = 0; k < nd; k++)
			mean[k % dim] += xs[k] / (float)n;
		for (size_t k = 0; k < nd; k++)
			sd[k % dim] += (xs[k] - mean[k % dim]) * (xs[k] - mean[k % dim]) / (float)n;
		for (int d = 0; d < dim; d++)
			sd[d] = sqrtf(sd[d]) + 1e-6f;
		for (size_t k = 0; k < nd; k++)
			xs[k] = (xs[k] - mean[k % dim]) / sd[k % dim];
		memcpy(h->mean, mean, sizeof(float) * (size_t)dim);
		memcpy(h->sd, sd, sizeof(float) * (size_t)dim);
		free(mean);
		free(sd);
	}

	for (int t = 1; t <= epochs; t++) {
		/* z = xs·W + b, softmax rows, minus the one-hot target, over n */
		cm_sgemm(n, n_labels, dim, 1.0f, xs, 0, h->w, 0, 0.0f, z);
		memset(gb, 0, (size_t)n_labels * sizeof(float));
		for (int i = 0; i < n; i++) {
			float *zi = z + (size_t)i * n_labels;
			for (int l = 0; l < n_labels; l++)
				zi[l] += h->b[l];
			cm_softmax((size_t)n_labels, zi, 1.0f);
			zi[y[i]] -= 1.0f;
			for (int l = 0; l < n_labels; l++) {
				zi[l] /= (float)n;
				gb[l] += zi[l];
			}
		}
		cm_sgemm(dim, n_labels, n, 1.0f, xs, 1, z, 0, 0.0f, gw);
		for (size_t k = 0; k < wl; k++)
			gw[k] += l2 * h->w[k];
		cm_adam_step(h->w, gw, aw.m, aw.v, wl, lr, 0.0f, t);
		cm_adam_step(h->b, gb, ab.m, ab.v, (size_t)n_labels, lr, 0.0f, t);
	}
	goto out;
fail:
	vis_head_free(h);
	h = NULL;
out:
	free(xs);
	free(z);
	free(gw);
	free(gb);
	free(aw.m);
	free(aw.v);
	free(ab.m);
	free(ab.v);
	return h;
}

int vis_head_predict(const struct vis_head *h, const float *x, float *probs)
{
	float local[256], *p = probs ? probs : local, *f = malloc(sizeof(float) * (size_t)h->dim);
	int best = 0;

	if ((!probs && h->n_labels > 256) || !f) {
		free(f);
		return -1;
	}
	features(h, x, f);
	memcpy(p, h->b, (size_t)h->n_labels * sizeof(float));
	for (int d = 0; d < h->dim; d++) {
		const float *row = h->w + (size_t)d * h->n_labels;
		for (int l = 0; l < h->n_labels; l++)
			p[l] += f[d] * row[l];
	}
	free(f);
	cm_softmax((size_t)h->n_labels, p, 1.0f);
	for (int l = 1; l < h->n_labels; l++)
		if (p[l] > p[best])
			best = l;
	return best;
}

/* ---- calibration -------------------------------------------------------------------- */

/* Mean negative log-likelihood of the true labels when the log-probabilities lp (n × L,
 * row per sample) are divided by temperature t and renormalised. */
static double nll_at(const float *lp, const int *y, int n, int L, double t)
{
	double sum = 0;

	for (int i = 0; i < n; i++) {
		const float *r = lp + (size_t)i * L;
		double mx = -1e30, z = 0;
		for (int l = 0; l < L; l++)
			mx = r[l] / t > mx ? r[l] / t : mx;
		for (int l = 0; l < L; l++)
			z += exp(r[l] / t - mx);
		sum -= r[y[i]] / t - mx - log(z);
	}
	return sum / (n > 0 ? n : 1);
}

float vis_head_calibrate(struct vis_head *h, const float *x, const int *y, int n, int folds,
			 const struct vis_head_opts *opts)
{
	int L = h->n_labels, dim = h->dim;
	float *lp = malloc(sizeof(float) * (size_t)n * (size_t)L);
	float *xt = malloc(sizeof(float) * (size_t)n * (size_t)dim);
	int *yt = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
	double best_t = 1, best = 1e30;

	if (!lp || !xt || !yt || folds < 2 || n < 2 * folds)
		goto out;
	/* held-out log-probabilities: fold f is every folds-th sample from f (the store's
	 * order mixes the labels), predicted by a head trained on the others */
	for (int f = 0; f < folds; f++) {
		int nt = 0;
		for (int i = 0; i < n; i++)
			if (i % folds != f) {
				memcpy(xt + (size_t)nt * dim, x + (size_t)i * dim,
				       sizeof(float) * (size_t)dim);
				yt[nt++] = y[i];
			}
		struct vis_head *hf = vis_head_train(xt, yt, nt, dim, (const char *const *)h->labels,
						     L, h->embed_name, opts);
		if (!hf)
			goto out;
		for (int i = f; i < n; i += folds) {
			float *r = lp + (size_t)i * L;
			vis_head_predict(hf, x + (size_t)i * dim, r);
			for (int l = 0; l < L; l++)
				r[l] = logf(r[l] > 1e-30f ? r[l] : 1e-30f);
		}
		vis_head_free(hf);
	}
	/* the temperature minimising their NLL: log-spaced grid, then a finer one */
	for (double t = 0.05; t <= 5.0; t *= 1.1) {
		double v = nll_at(lp, y, n, L, t);
		if (v < best) {
			best = v;
			best_t = t;
		}
	}
	for (double t = best_t / 1.1; t <= best_t * 1.1; t *= 1.005) {
		double v = nll_at(lp, y, n, L, t);
		if (v < best) {
			best = v;
			best_t = t;
		}
	}
	/* logits / T: W and b scaled, the argmax unchanged */
	for (size_t i = 0; i < (size_t)dim * L; i++)
		h->w[i] /= (float)best_t;
	for (int l = 0; l < L; l++)
		h->b[l] /= (float)best_t;
out:
	free(lp);
	free(xt);
	free(yt);
	return (float)best_t;
}

/* ---- blob ------------------------------------------------------------------------- */

struct wbuf {
	unsigned char *p;
	size_t len;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	put(w, b, 4);
}

static void put_str(struct wbuf *w, const char *s)
{
	put_u32(w, (uint32_t)strlen(s));
	put(w, s, strlen(s));
}

void *vis_head_save(const struct vis_head *h, size_t *len)
{
	size_t n = 8 + 16 + 4 + strlen(h->embed_name);
	struct wbuf w = { 0 };

	for (int l = 0; l < h->n_labels; l++)
		n += 4 + strlen(h->labels[l]);
	n += 4 + sizeof(float) * ((size_t)h->dim * (2 + (size_t)h->n_labels) + (size_t)h->n_labels);
	if (!(w.p = malloc(n)))
		return NULL;
	put(&w, HEAD_MAGIC, 8);
	put_u32(&w, HEAD_VERSION);
	put_u32(&w, (uint32_t)h->dim);
	put_u32(&w, (uint32_t)h->n_labels);
	put_u32(&w, (uint32_t)h->flags);
	put_str(&w, h->embed_name);
	for (int l = 0; l < h->n_labels; l++)
		put_str(&w, h->labels[l]);
	put(&w, h->mean, sizeof(float) * (size_t)h->dim);
	put(&w, h->sd, sizeof(float) * (size_t)h->dim);
	put(&w, h->w, sizeof(float) * (size_t)h->dim * (size_t)h->n_labels);
	put(&w, h->b, sizeof(float) * (size_t)h->n_labels);
	*len = w.len;
	return w.p;
}

struct rbuf {
	const unsigned char *p;
	size_t len, off;
};

static int get(struct rbuf *r, void *dst, size_t n)
{
	if (r->len - r->off < n)
		return -1;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	return 0;
}

static int get_u32(struct rbuf *r, uint32_t *v)
{
	unsigned char b[4];

	if (get(r, b, 4))
		return -1;
	*v = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static char *get_str(struct rbuf *r)
{
	uint32_t n;
	char *s;

	if (get_u32(r, &n) || n > 4096 || r->len - r->off < n || !(s = malloc(n + 1)))
		return NULL;
	get(r, s, n);
	s[n] = '\0';
	return s;
}

struct vis_head *vis_head_load(const void *blob, size_t len, char *err, size_t errlen)
{
	struct rbuf r = { blob, len, 0 };
	char magic[8];
	uint32_t ver, dim, nl, flags;
	struct vis_head *h;

	if (get(&r, magic, 8) || memcmp(magic, HEAD_MAGIC, 8) || get_u32(&r, &ver) ||
	    ver != HEAD_VERSION || get_u32(&r, &dim) || get_u32(&r, &nl) || get_u32(&r, &flags) || !dim ||
	    dim > 65536 || nl < 2 || nl > 4096) {
		snprintf(err, errlen, "image head: not a version %u VHEAD blob", HEAD_VERSION);
		return NULL;
	}
	/* the floats alone (mean, sd, w, b) must fit in what is left: no allocation for a
	   size the blob cannot fill (a 24-byte blob could ask for 1 GB) */
	if (sizeof(float) * ((uint64_t)dim * (2 + nl) + nl) > len - r.off) {
		snprintf(err, errlen, "image head: truncated or inconsistent blob");
		return NULL;
	}
	if (!(h = head_alloc((int)dim, (int)nl))) {
		snprintf(err, errlen, "image head: out of memory");
		return NULL;
	}
	h->flags = flags;
	int bad = !(h->embed_name = get_str(&r));
	for (uint32_t l = 0; l < nl && !bad; l++)
		bad = !(h->labels[l] = get_str(&r));
	bad = bad || get(&r, h->mean, sizeof(float) * dim) || get(&r, h->sd, sizeof(float) * dim) ||
	      get(&r, h->w, sizeof(float) * dim * nl) || get(&r, h->b, sizeof(float) * nl) ||
	      r.off != len;
	for (uint32_t d = 0; d < dim && !bad; d++)
		bad = !(h->sd[d] > 0) || !isfinite(h->mean[d]);
	if (bad) {
		snprintf(err, errlen, "image head: truncated or inconsistent blob");
		vis_head_free(h);
		return NULL;
	}
	return h;
}
