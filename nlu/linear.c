/* nlu/linear.c — multinomial logistic regression over hashed sparse vectors.
 *
 * Weights are a dim × n_cls table, one row per feature bucket, so scoring a text costs
 * nnz axpys of n_cls floats (about 300 × 77 multiply-adds for a BANKING77 query).
 * Training is stochastic gradient descent with row-wise AdaGrad (one accumulator per
 * feature row and per bias): a row's step is lr / sqrt(Σ mean squared gradient), which
 * suits the very uneven frequencies of hashed n-grams.  L2 decay is applied to the rows a
 * step touches.  With balance > 0 each example's gradient is weighted by its class's
 * (n / (K · n_c))^balance (off by default: it measured level, docs/encoder.md).  With
 * threads = 2 the examples of each epoch are split between two threads that update the
 * shared table without locks (Hogwild: collisions on rare rows are benign for this convex
 * loss); the caller's thread joins them before returning.
 * The returned weights are the mean of the weights after each epoch of the second half
 * (epoch averaging: less noisy than the last SGD iterate).
 * nlu_linear_train (linear_svm.c) calls this learner when opts.svm_c is 0.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "tensor.h"

struct job {
	struct nlu_linear *m;
	float *g_row, *g_bias;
	const struct nlu_sparse *xs;
	const int *y;
	const uint32_t *order;
	const float *cw;       /* class weights, or NULL */
	size_t from, to;
	float lr, l2;
};

static void *run_slice(void *arg)
{
	struct job *j = arg;
	uint32_t C = j->m->n_cls;
	float *p = malloc(sizeof *p * C), *g = malloc(sizeof *g * C);

	if (!p || !g)
		goto out;
	for (size_t k = j->from; k < j->to; k++) {
		const struct nlu_sparse *x = &j->xs[j->order[k]];
		int y = j->y[j->order[k]];
		nlu_linear_logits(j->m, x, p);
		cm_softmax(C, p, 1.0f);
		p[y] -= 1.0f;              /* p is now dloss/dlogits */
		if (j->cw)
			for (uint32_t c = 0; c < C; c++)
				p[c] *= j->cw[y];
		for (uint32_t c = 0; c < C; c++) {
			j->g_bias[c] += p[c] * p[c];
			j->m->b[c] -= j->lr * p[c] / sqrtf(j->g_bias[c] + 1e-8f);
		}
		float pp = j->l2 > 0 ? 0 : cm_dot(C, p, p) / (float)C;
		for (uint32_t i = 0; i < x->nnz; i++) {
			float *w = j->m->w + (size_t)x->idx[i] * C, v = x->val[i];
			float *acc = &j->g_row[x->idx[i]];
			if (j->l2 == 0) {      /* the row's gradient is v·p: no copy needed */
				*acc += v * v * pp;
				cm_axpy(C, -j->lr * v / sqrtf(*acc + 1e-8f), p, w);
				continue;
			}
			float ss = 0;
			for (uint32_t c = 0; c < C; c++) {
				g[c] = v * p[c] + j->l2 * w[c];
				ss += g[c] * g[c];
			}
			*acc += ss / (float)C;
			cm_axpy(C, -j->lr / sqrtf(*acc + 1e-8f), g, w);
		}
	}
out:
	free(p);
	free(g);
	return NULL;
}

int nlu_linear_alloc(struct nlu_linear *m, uint32_t dim, uint32_t n_cls)
{
	memset(m, 0, sizeof *m);
	m->dim = dim;
	m->n_cls = n_cls;
	m->w = calloc((size_t)dim * n_cls, sizeof *m->w);
	m->b = calloc(n_cls, sizeof *m->b);
	m->own = 1;
	return m->w && m->b ? 0 : -1;
}

void nlu_linear_shuffle(uint32_t *v, size_t n, uint64_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t k = cm_xorshift64(seed) % i;
		uint32_t t = v[i - 1];
		v[i - 1] = v[k];
		v[k] = t;
	}
}

void nlu_linear_pair(void *(*fn)(void *), void *a0, void *a1, int threads)
{
	pthread_t tid;
	int started = threads == 2 && !pthread_create(&tid, NULL, fn, a1);

	fn(a0);
	if (started)
		pthread_join(tid, NULL);
	else if (threads == 2)
		fn(a1);
}

int nlu_linear_train_sgd(struct nlu_linear *m, uint32_t dim, uint32_t n_cls,
			 const struct nlu_sparse *xs, const int *y, size_t n,
			 const struct nlu_linear_opts *o)
{
	uint32_t *order = malloc(sizeof *order * (n ? n : 1));
	float *g_row = calloc(dim, sizeof *g_row), *g_bias = calloc(n_cls, sizeof *g_bias);
	uint64_t seed = o->seed ? o->seed : 0x2545f4914f6cdd1dull;
	size_t nw = (size_t)dim * n_cls;
	float *avg_w = NULL, *avg_b = NULL, *cw = NULL;
	int n_avg = 0, avg_from = o->epochs / 2;
	int threads = o->threads > 1 && n >= 512 ? 2 : 1, rc = -1;
	int alloc = nlu_linear_alloc(m, dim, n_cls);

	if (alloc || !order || !g_row || !g_bias)
		goto out;
	if (o->epochs > 1) {
		avg_w = calloc(nw, sizeof *avg_w);
		avg_b = calloc(n_cls, sizeof *avg_b);
		if (!avg_w || !avg_b)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	if (o->balance > 0) {  /* class weights from the label counts */
		if (!(cw = calloc(n_cls, sizeof *cw)))
			goto out;
		for (size_t i = 0; i < n; i++)
			cw[y[i]] += 1;
		for (uint32_t c = 0; c < n_cls; c++)
			cw[c] = cw[c] > 0 ? powf((float)n / ((float)n_cls * cw[c]), o->balance) : 0;
	}
	for (int e = 0; e < o->epochs; e++) {
		nlu_linear_shuffle(order, n, &seed);
		struct job jobs[2];
		for (int t = 0; t < threads; t++)
			jobs[t] = (struct job){ m, g_row, g_bias, xs, y, order, cw, n * (size_t)t / (size_t)threads,
						n * (size_t)(t + 1) / (size_t)threads, o->lr, o->l2 };
		nlu_linear_pair(run_slice, &jobs[0], &jobs[1], threads);
		if (avg_w && e >= avg_from) {       /* average the weights of later epochs */
			cm_axpy(nw, 1.0f, m->w, avg_w);
			cm_axpy(n_cls, 1.0f, m->b, avg_b);
			n_avg++;
		}
	}
	if (avg_w && n_avg) {
		for (size_t i = 0; i < nw; i++)
			m->w[i] = avg_w[i] / (float)n_avg;
		for (uint32_t c = 0; c < n_cls; c++)
			m->b[c] = avg_b[c] / (float)n_avg;
	}
	rc = 0;
out:
	free(avg_w);
	free(avg_b);
	free(cw);
	free(order);
	free(g_row);
	free(g_bias);
	if (rc)
		nlu_linear_free(m);
	return rc;
}

/* Rows of the weight table a text touches are scattered over many megabytes (65,536
 * rows of n_cls floats): each is fetched LIN_AHEAD features before it is added, so the
 * memory's latency overlaps the arithmetic (it was a third of a prediction).  This float
 * table is a model just trained (calibration); a model read from its file keeps the
 * file's halves and goes through cm_gather_f16, which prefetches the same way. */
#define LIN_AHEAD 4

void nlu_linear_logits(const struct nlu_linear *m, const struct nlu_sparse *x, float *logits)
{
	size_t row = m->n_cls;

	memcpy(logits, m->b, sizeof *logits * m->n_cls);
	if (!m->w) {
		cm_gather_f16(row, m->wh, row, x->idx, x->val, x->nnz, logits);
		return;
	}
	for (uint32_t i = 0; i < x->nnz && i < LIN_AHEAD; i++)
		cm_prefetch(m->w + (size_t)x->idx[i] * row, row * sizeof(float));
	for (uint32_t i = 0; i < x->nnz; i++) {
		if (i + LIN_AHEAD < x->nnz)
			cm_prefetch(m->w + (size_t)x->idx[i + LIN_AHEAD] * row, row * sizeof(float));
		cm_axpy(row, x->val[i], m->w + (size_t)x->idx[i] * row, logits);
	}
}

void nlu_linear_free(struct nlu_linear *m)
{
	if (m->own) {
		free(m->w);
		free(m->wh);
		free(m->b);
	}
	memset(m, 0, sizeof *m);
}
