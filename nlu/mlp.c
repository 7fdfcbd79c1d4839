/* nlu/mlp.c — a one-hidden-layer network (ReLU) over the dense sentence vector, the
 * second half of kefu's text encoder ensemble.  Training: mini-batch Adam with weight
 * decay; each batch is three sgemm calls forward/backward through common/tensor.h.
 * Runs on the caller's thread; predicting is two sgemv calls, allocation-free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "model.h"
#include "rng.h"
#include "tensor.h"

static float uniform(uint64_t *s)
{
	return (float)cm_xorshift64_unit(s);
}

void nlu_mlp_free(struct nlu_mlp *m)
{
	free(m->w1);
	free(m->b1);
	free(m->w2);
	free(m->b2);
	memset(m, 0, sizeof *m);
}

struct adam {
	float *m, *v;
};


int nlu_mlp_train(struct nlu_mlp *m, uint32_t d_in, uint32_t n_cls, const float *x,
		  const int *y, size_t n, const struct nlu_mlp_opts *o)
{
	uint32_t h = o->hidden, bs = (uint32_t)o->batch;
	size_t n1 = (size_t)h * d_in, n2 = (size_t)n_cls * h;
	size_t nparam = n1 + h + n2 + n_cls;
	uint64_t seed = o->seed ? o->seed : 99;
	int rc = -1, t = 0;

	memset(m, 0, sizeof *m);
	m->d_in = d_in;
	m->d_h = h;
	m->n_cls = n_cls;
	m->w1 = malloc(sizeof(float) * n1);
	m->b1 = calloc(h, sizeof(float));
	m->w2 = malloc(sizeof(float) * n2);
	m->b2 = calloc(n_cls, sizeof(float));
	float *grad = calloc(nparam, sizeof(float));
	float *am = calloc(nparam, sizeof(float)), *av = calloc(nparam, sizeof(float));
	float *xb = malloc(sizeof(float) * bs * d_in), *hb = malloc(sizeof(float) * bs * h);
	float *zb = malloc(sizeof(float) * bs * n_cls), *dh = malloc(sizeof(float) * bs * h);
	uint32_t *order = malloc(sizeof *order * (n ? n : 1));

	if (!m->w1 || !m->b1 || !m->w2 || !m->b2 || !grad || !am || !av || !xb || !hb || !zb ||
	    !dh || !order)
		goto out;
	/* He initialisation */
	float s1 = sqrtf(6.0f / (float)d_in), s2 = sqrtf(6.0f / (float)h);
	for (size_t i = 0; i < n1; i++)
		m->w1[i] = (2 * uniform(&seed) - 1) * s1;
	for (size_t i = 0; i < n2; i++)
		m->w2[i] = (2 * uniform(&seed) - 1) * s2 * 0.5f;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	float *gw1 = grad, *gb1 = gw1 + n1, *gw2 = gb1 + h, *gb2 = gw2 + n2;
	struct adam aw1 = { am, av }, ab1 = { am + n1, av + n1 };
	struct adam aw2 = { am + n1 + h, av + n1 + h }, ab2 = { am + n1 + h + n2, av + n1 + h + n2 };
	for (int e = 0; e < o->epochs; e++) {
		for (size_t i = n; i > 1; i--) {
			size_t k = cm_xorshift64(&seed) % i;
			uint32_t tmp = order[i - 1];
			order[i - 1] = order[k];
			order[k] = tmp;
		}
		for (size_t start = 0; start < n; start += bs) {
			int b = (int)(n - start < bs ? n - start : bs);
			for (int r = 0; r < b; r++)
				memcpy(xb + (size_t)r * d_in, x + (size_t)order[start + (size_t)r] * d_in,
				       sizeof(float) * d_in);
			/* forward */
			for (int r = 0; r < b; r++)
				memcpy(hb + (size_t)r * h, m->b1, sizeof(float) * h);
			cm_sgemm(b, (int)h, (int)d_in, 1.0f, xb, 0, m->w1, 1, 1.0f, hb);
			cm_relu((size_t)b * h, hb);
			for (int r = 0; r < b; r++)
				memcpy(zb + (size_t)r * n_cls, m->b2, sizeof(float) * n_cls);
			cm_sgemm(b, (int)n_cls, (int)h, 1.0f, hb, 0, m->w2, 1, 1.0f, zb);
			/* dloss/dz = (softmax − onehot) / b */
			memset(gb2, 0, sizeof(float) * n_cls);
			memset(gb1, 0, sizeof(float) * h);
			for (int r = 0; r < b; r++) {
				float *z = zb + (size_t)r * n_cls;
				size_t ex = order[start + (size_t)r];
				cm_softmax(n_cls, z, 1.0f);
				if (o->soft)   /* the target: (1 − w) one-hot + w · the teacher's row */
					cm_axpy(n_cls, -o->soft_w, o->soft + ex * n_cls, z);
				z[y[ex]] -= o->soft ? 1.0f - o->soft_w : 1.0f;
				for (uint32_t c = 0; c < n_cls; c++) {
					z[c] /= (float)b;
					gb2[c] += z[c];
				}
			}
			cm_sgemm((int)n_cls, (int)h, b, 1.0f, zb, 1, hb, 0, 0.0f, gw2);
			cm_sgemm(b, (int)h, (int)n_cls, 1.0f, zb, 0, m->w2, 0, 0.0f, dh);
			for (size_t i = 0; i < (size_t)b * h; i++)
				if (hb[i] <= 0)
					dh[i] = 0;
			for (int r = 0; r < b; r++)
				cm_axpy(h, 1.0f, dh + (size_t)r * h, gb1);
			cm_sgemm((int)h, (int)d_in, b, 1.0f, dh, 1, xb, 0, 0.0f, gw1);
			t++;
			cm_adam_step(m->w1, gw1, aw1.m, aw1.v, n1, o->lr, o->wd, t);
			cm_adam_step(m->b1, gb1, ab1.m, ab1.v, h, o->lr, 0, t);
			cm_adam_step(m->w2, gw2, aw2.m, aw2.v, n2, o->lr, o->wd, t);
			cm_adam_step(m->b2, gb2, ab2.m, ab2.v, n_cls, o->lr, 0, t);
		}
	}
	rc = 0;
out:
	free(grad);
	free(am);
	free(av);
	free(xb);
	free(hb);
	free(zb);
	free(dh);
	free(order);
	if (rc)
		nlu_mlp_free(m);
	return rc;
}

void nlu_mlp_logits(const struct nlu_mlp *m, const float *x, float *hidden, float *logits)
{
	memcpy(hidden, m->b1, sizeof(float) * m->d_h);
	cm_sgemv((int)m->d_h, (int)m->d_in, 1.0f, m->w1, 0, x, 1.0f, hidden);
	cm_relu(m->d_h, hidden);
	memcpy(logits, m->b2, sizeof(float) * m->n_cls);
	cm_sgemv((int)m->n_cls, (int)m->d_h, 1.0f, m->w2, 0, hidden, 1.0f, logits);
}
