/* nlu/distill.c — a teacher's soft targets for the cheap halves (knowledge distillation,
 * Hinton et al. 2015): an MLP over the examples' Universal Sentence Encoder vectors,
 * trained on all folds but one, gives the probabilities of the examples of that fold
 * (cross-fitting: every example's target comes from a teacher that did not see it, so it
 * holds the teacher's doubts rather than its memory), softened at a temperature.  The
 * dense and sequence halves then learn from (1 − w) one-hot + w · that row (mlp.c,
 * seq_train.c), and prediction never runs the encoder.  Copies of the examples
 * (neighbours.c) get the probabilities of their original's teacher.  Runs while training
 * on the caller's thread and one helper it joins before returning: the folds' teachers
 * train two at a time (each writes only its own fold's rows).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "tensor.h"

#define DISTILL_THREADS 2

struct cross {
	const float *x, *xc;
	uint32_t d_in, K;
	const int *y;
	size_t n, m;
	const struct nlu_mlp_opts *mo;
	int folds;
	float temp;
	float *q, *qc;
	const uint32_t *owner, *fold;
	atomic_int next, bad;
};

/* Fold f's teacher: trained on the other folds' rows, it scores its fold's rows and their
 * copies.  0 ok, -1 out of memory. */
static int cross_fold(struct cross *c, int f)
{
	struct nlu_mlp m_;
	struct nlu_mlp_opts o = *c->mo;
	size_t nf = 0, d_in = c->d_in;
	float *xf = malloc(sizeof *xf * (c->n ? c->n : 1) * d_in);
	int *yf = malloc(sizeof *yf * (c->n ? c->n : 1));
	float *hidden = malloc(sizeof *hidden * (o.hidden ? o.hidden : 1));
	int rc = -1;
	o.soft = NULL;
	if (!xf || !yf || !hidden)
		goto out;
	for (size_t i = 0; i < c->n; i++) {   /* one fold alone: the teacher sees all */
		if (c->folds > 1 && c->fold[i] == (uint32_t)f)
			continue;
		memcpy(xf + nf * d_in, c->x + i * d_in, sizeof *xf * d_in);
		yf[nf++] = c->y[i];
	}
	if (nlu_mlp_train(&m_, c->d_in, c->K, xf, yf, nf, &o))
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		if (c->folds > 1 && c->fold[i] != (uint32_t)f)
			continue;
		nlu_mlp_logits(&m_, c->x + i * d_in, hidden, c->q + i * c->K);
		cm_softmax(c->K, c->q + i * c->K, c->temp);
	}
	for (size_t j = 0; j < c->m; j++) {   /* a copy: its original's teacher */
		if (c->folds > 1 && c->fold[c->owner[j]] != (uint32_t)f)
			continue;
		nlu_mlp_logits(&m_, c->xc + j * d_in, hidden, c->qc + j * c->K);
		cm_softmax(c->K, c->qc + j * c->K, c->temp);
	}
	nlu_mlp_free(&m_);
	rc = 0;
out:
	free(xf);
	free(yf);
	free(hidden);
	return rc;
}

static void *cross_work(void *arg)
{
	struct cross *c = arg;
	for (int f; (f = atomic_fetch_add(&c->next, 1)) < c->folds;)
		if (cross_fold(c, f))
			atomic_store(&c->bad, 1);
	return NULL;
}

int nlu_distill_targets(const float *x, uint32_t d_in, const int *y, size_t n, uint32_t K,
			const struct nlu_mlp_opts *mo, int folds, float temp, float *q,
			const float *xc, const uint32_t *owner, size_t m, float *qc)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint32_t *fold = malloc(sizeof *fold * (n ? n : 1));
	pthread_t tid[DISTILL_THREADS];
	int started = 0;

	if (!fold)
		return -1;
	if (folds < 1)
		folds = 1;
	for (size_t i = 0; i < n; i++)   /* a shuffled round-robin: folds of equal size */
		fold[i] = (uint32_t)(i % (size_t)folds);
	for (size_t i = n; i > 1; i--) {
		size_t k = cm_xorshift64(&seed) % i;
		uint32_t t = fold[i - 1];
		fold[i - 1] = fold[k];
		fold[k] = t;
	}
	struct cross c = { x, xc, d_in, K, y, n, m, mo, folds, temp, q, qc, owner, fold, 0, 0 };
	while (started < DISTILL_THREADS - 1 && started < folds - 1 &&
	       !pthread_create(&tid[started], NULL, cross_work, &c))
		started++;
	cross_work(&c);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	free(fold);
	return atomic_load(&c.bad) ? -1 : 0;
}
