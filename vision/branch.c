/* vision/branch.c — the category head's own branch: a copy of the embedding CNN's last
 * 1x1 convolution (cin -> dim, ReLU6, BN folded; MobileNetV2: 320 -> 1280 over the 7x7
 * activations vis_cnn_run_tap copies), fine-tuned with the head's softmax for the
 * store's labels, and the embedding it gives (pooled, then averaged over the views the
 * way vis_catalog_embed averages the shared one).  The shared embedding (catalogue,
 * fusion model) is untouched: the branch costs one more 1x1 convolution per view
 * (2·hw·cin·dim = 40 MFLOP on 7x7x320 -> 1280).
 *
 * Training (vis_head_train_branch) runs on the caller's thread (`kefu train`): the head
 * trained on the frozen embeddings, then the convolution, its biases and the head's
 * weights together with Adam over shuffled mini-batches of pictures (cross-entropy through
 * the pooling, the L2 normalisations and the head's power normalisation), then the head
 * trained again on the fine-tuned embeddings.  A trained branch lives in its head and is
 * read-only (any thread).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "catalog.h"
#include "head_impl.h"
#include "rng.h"
#include "tensor.h"
#include "vision.h"

/* pooled[dim] = mean over hw positions of ReLU6(x·w + b), z (hw × dim) the
 * pre-activations. */
static void pool_view(const float *w, const float *b, int cin, int hw, int dim, const float *x,
		      float *z, float *pooled)
{
	cm_sgemm(hw, dim, cin, 1.0f, x, 0, w, 0, 0.0f, z);
	memset(pooled, 0, sizeof(float) * (size_t)dim);
	for (int r = 0; r < hw; r++) {
		const float *zr = z + (size_t)r * dim;
		for (int d = 0; d < dim; d++) {
			float a = zr[d] + b[d];
			pooled[d] += a < 0 ? 0 : a > 6 ? 6 : a;
		}
	}
	for (int d = 0; d < dim; d++)
		pooled[d] /= (float)hw;
}

/* out[dim] = L2(mean over views of L2(pooled view)): vis_catalog_embed's averaging. */
static int branch_embed(const float *w, const float *b, int cin, int hw, int dim,
			const float *taps, int views, float *out)
{
	float *z = malloc(sizeof(float) * (size_t)hw * dim), *p = malloc(sizeof(float) * dim);

	if (!z || !p) {
		free(z);
		free(p);
		return VIS_E_NOMEM;
	}
	memset(out, 0, sizeof(float) * (size_t)dim);
	for (int v = 0; v < views; v++) {
		pool_view(w, b, cin, hw, dim, taps + (size_t)v * hw * cin, z, p);
		cm_l2_normalize((size_t)dim, p);
		cm_axpy((size_t)dim, 1.0f, p, out);
	}
	cm_l2_normalize((size_t)dim, out);
	free(z);
	free(p);
	return 0;
}

int vis_head_has_branch(const struct vis_head *h) { return h->bw != NULL; }

int vis_head_branch_embed(const struct vis_head *h, const float *taps, int views, float *out)
{
	if (!h->bw || !taps || views < 1)
		return VIS_E_ARG;
	return branch_embed(h->bw, h->bb, h->cin, h->hw, h->dim, taps, views, out);
}

/* y = x/|x| backwards: dx = (dy - y (y·dy)) / |x|, in place over dy. */
static void dnorm(float *dy, const float *y, float norm, int n)
{
	float dot = cm_dot((size_t)n, y, dy);
	for (int i = 0; i < n; i++)
		dy[i] = norm > 0 ? (dy[i] - y[i] * dot) / norm : 0;
}

/* Scratch of one mini-batch of up to mb pictures. */
struct batch {
	float *x;        /* rows of taps: pictures × views × hw, cin each */
	float *z;        /* their pre-activations (rows × dim), then dL/dz */
	float *e, *en;   /* each view's L2-normalised pooled output (pictures × views × dim), norms */
	float *f, *fn;   /* per picture: the mean of its views normalised, its norm */
	float *g, *gn;   /* sqrt of it (+1e-6), its norm */
	float *h;        /* the head's features (g normalised) */
	float *p;        /* the softmax (pictures × labels), then dL/dlogits */
	float *dh;       /* dL/dh, dL/dg, dL/df per picture */
	float *gw, *gb, *gv, *gc;
};

struct fit {
	int cin, hw, dim, views, nl;
	float *w, *b, *v, *c;            /* branch and head parameters */
	float *mw, *vw, *mb, *vb, *mv, *vv, *mc, *vc;
};

/* One Adam step on the mini-batch idx[0..m) of pictures; returns 0 or VIS_E_NOMEM. */
static void step(struct fit *F, struct batch *B, const float *taps, int tap_views, const int *y,
		 const int *idx, int m, const struct vis_branch_opts *o, long t, float l2)
{
	const int cin = F->cin, hw = F->hw, dim = F->dim, V = F->views, L = F->nl;
	const size_t vrows = (size_t)hw, rows = (size_t)m * V * hw;

	for (int i = 0; i < m; i++)
		memcpy(B->x + (size_t)i * V * hw * cin,
		       taps + (size_t)idx[i] * tap_views * hw * cin,
		       sizeof(float) * (size_t)V * hw * cin);
	cm_sgemm((int)rows, dim, cin, 1.0f, B->x, 0, F->w, 0, 0.0f, B->z);
	for (int i = 0; i < m; i++) {
		float *f = B->f + (size_t)i * dim, *g = B->g + (size_t)i * dim;
		memset(f, 0, sizeof(float) * (size_t)dim);
		for (int v = 0; v < V; v++) {
			size_t k = (size_t)i * V + v;
			float *e = B->e + k * dim;
			memset(e, 0, sizeof(float) * (size_t)dim);
			for (size_t r = 0; r < vrows; r++) {
				float *zr = B->z + (k * vrows + r) * dim;
				for (int d = 0; d < dim; d++) {
					zr[d] += F->b[d];
					e[d] += zr[d] < 0 ? 0 : zr[d] > 6 ? 6 : zr[d];
				}
			}
			for (int d = 0; d < dim; d++)
				e[d] /= (float)hw;
			B->en[k] = cm_l2_normalize((size_t)dim, e);
			cm_axpy((size_t)dim, 1.0f / (float)V, e, f);
		}
		B->fn[i] = cm_l2_normalize((size_t)dim, f);
		for (int d = 0; d < dim; d++)
			g[d] = sqrtf((f[d] > 0 ? f[d] : 0) + 1e-6f);
		B->gn[i] = cm_l2_normalize((size_t)dim, g);       /* g is now h */
	}
	/* logits, softmax, minus the target, over m */
	cm_sgemm(m, L, dim, 1.0f, B->g, 0, F->v, 0, 0.0f, B->p);
	memset(B->gc, 0, sizeof(float) * (size_t)L);
	for (int i = 0; i < m; i++) {
		float *pi = B->p + (size_t)i * L;
		for (int l = 0; l < L; l++)
			pi[l] += F->c[l];
		cm_softmax((size_t)L, pi, 1.0f);
		pi[y[idx[i]]] -= 1.0f;
		for (int l = 0; l < L; l++) {
			pi[l] /= (float)m;
			B->gc[l] += pi[l];
		}
	}
	cm_sgemm(dim, L, m, 1.0f, B->g, 1, B->p, 0, 0.0f, B->gv);
	for (size_t k = 0; k < (size_t)dim * L; k++)
		B->gv[k] += l2 * F->v[k];
	cm_sgemm(m, dim, L, 1.0f, B->p, 0, F->v, 1, 0.0f, B->dh);
	/* back through the normalisations to each row's dL/dz */
	for (int i = 0; i < m; i++) {
		float *d = B->dh + (size_t)i * dim, *h = B->g + (size_t)i * dim;
		const float *f = B->f + (size_t)i * dim;
		dnorm(d, h, B->gn[i], dim);                        /* dL/dg */
		for (int k = 0; k < dim; k++)
			d[k] /= 2 * h[k] * B->gn[i];               /* g = h·|g|: dL/df̂ */
		dnorm(d, f, B->fn[i], dim);                        /* dL/d(mean of views) */
		for (int v = 0; v < V; v++) {
			size_t k = (size_t)i * V + v;
			float *de = B->e + k * dim;                /* reused as dL/de */
			float *tmp = B->h;
			for (int q = 0; q < dim; q++)
				tmp[q] = d[q] / (float)V;
			float dot = cm_dot((size_t)dim, de, tmp);
			for (int q = 0; q < dim; q++)
				de[q] = (tmp[q] - de[q] * dot) / (B->en[k] > 0 ? B->en[k] : 1) /
					(float)hw;
			for (size_t r = 0; r < vrows; r++) {
				float *zr = B->z + (k * vrows + r) * dim;
				for (int q = 0; q < dim; q++)
					zr[q] = zr[q] > 0 && zr[q] < 6 ? de[q] : 0;
			}
		}
	}
	cm_sgemm(cin, dim, (int)rows, 1.0f, B->x, 1, B->z, 0, 0.0f, B->gw);
	memset(B->gb, 0, sizeof(float) * (size_t)dim);
	for (size_t r = 0; r < rows; r++)
		cm_axpy((size_t)dim, 1.0f, B->z + r * dim, B->gb);
	cm_adam_step(F->w, B->gw, F->mw, F->vw, (size_t)cin * dim, o->lr, 0.0f, t);
	cm_adam_step(F->b, B->gb, F->mb, F->vb, (size_t)dim, o->lr, 0.0f, t);
	cm_adam_step(F->v, B->gv, F->mv, F->vv, (size_t)dim * L, o->head_lr, 0.0f, t);
	cm_adam_step(F->c, B->gc, F->mc, F->vc, (size_t)L, o->head_lr, 0.0f, t);
}

struct vis_head *vis_head_train_branch(const float *taps, int views, int hw, int cin,
				       const float *w0, const float *b0, const int *y, int n,
				       int dim, const char *const *labels, int n_labels,
				       const char *embed_name, const struct vis_branch_opts *opts,
				       float *x_out)
{
	const struct vis_branch_opts o = opts ? *opts : VIS_BRANCH_DEFAULTS;
	const int mb = o.batch < n ? o.batch : n, V = views;
	struct vis_head *h = NULL;
	struct fit F = { .cin = cin, .hw = hw, .dim = dim, .views = V, .nl = n_labels };
	struct batch B = { 0 };
	int *perm = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1)), ok = 1;
	size_t wn = (size_t)cin * dim, vn = (size_t)dim * n_labels, rows = (size_t)mb * V * hw;

	if (!taps || views < 1 || n < 2 || !perm)
		goto out;
	for (int i = 0; i < n && ok; i++)
		ok = !branch_embed(w0, b0, cin, hw, dim, taps + (size_t)i * views * hw * cin, views,
				   x_out + (size_t)i * dim);
	if (!ok || !(h = vis_head_train(x_out, y, n, dim, labels, n_labels, embed_name, NULL)))
		goto out;
	if (o.epochs > 0) {
		float **all[] = { &F.w, &F.b, &F.v, &F.c, &F.mw, &F.vw, &F.mb, &F.vb, &F.mv, &F.vv,
				  &F.mc, &F.vc, &B.x, &B.z, &B.e, &B.en, &B.f, &B.fn, &B.g, &B.gn,
				  &B.h, &B.p, &B.dh, &B.gw, &B.gb, &B.gv, &B.gc };
		const size_t len[] = { wn, dim, vn, n_labels, wn, wn, dim, dim, vn, vn, n_labels,
				       n_labels, rows * cin, rows * dim, (size_t)mb * V * dim,
				       (size_t)mb * V, (size_t)mb * dim, mb, (size_t)mb * dim, mb,
				       dim, (size_t)mb * n_labels, (size_t)mb * dim, wn, dim, vn,
				       n_labels };
		for (size_t k = 0; k < sizeof all / sizeof *all; k++)
			ok &= !!(*all[k] = calloc(len[k], sizeof(float)));
		if (!ok) {
			vis_head_free(h);
			h = NULL;
			goto free_fit;
		}
		memcpy(F.w, w0, sizeof(float) * wn);
		memcpy(F.b, b0, sizeof(float) * (size_t)dim);
		memcpy(F.v, h->w, sizeof(float) * vn);
		memcpy(F.c, h->b, sizeof(float) * (size_t)n_labels);
		uint64_t rs = o.seed ? o.seed : 0x9e3779b97f4a7c15ull;
		long t = 0;
		for (int i = 0; i < n; i++)
			perm[i] = i;
		for (int ep = 0; ep < o.epochs; ep++) {
			for (int i = n - 1; i > 0; i--) {     /* Fisher-Yates */
				int j = (int)(cm_xorshift64(&rs) % (uint64_t)(i + 1)), s = perm[i];
				perm[i] = perm[j];
				perm[j] = s;
			}
			for (int s = 0; s < n; s += mb)
				step(&F, &B, taps, views, y, perm + s, n - s < mb ? n - s : mb, &o,
				     ++t, 0.1f / (float)n);
		}
		vis_head_free(h);
		h = NULL;
		for (int i = 0; i < n && ok; i++)
			ok = !branch_embed(F.w, F.b, cin, hw, dim, taps + (size_t)i * views * hw * cin,
					   views, x_out + (size_t)i * dim);
		if (ok && (h = vis_head_train(x_out, y, n, dim, labels, n_labels, embed_name, NULL))) {
			h->cin = cin;
			h->hw = hw;
			h->bw = F.w;
			h->bb = F.b;
			F.w = F.b = NULL;
		}
free_fit:
		for (size_t k = 0; k < sizeof all / sizeof *all; k++)
			free(*all[k]);
	}
out:
	free(perm);
	return h;
}
