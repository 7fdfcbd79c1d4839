/* nlu/distill.c — a teacher's soft targets for the cheap halves (knowledge distillation,
 * Hinton et al. 2015): an MLP over the examples' Universal Sentence Encoder vectors,
 * trained on all folds but one, gives the probabilities of the examples of that fold
 * (cross-fitting: every example's target comes from a teacher that did not see it, so it
 * holds the teacher's doubts rather than its memory), softened at a temperature.  The
 * dense and sequence halves then learn from (1 − w) one-hot + w · that row (mlp.c,
 * seq_train.c), and prediction never runs the encoder.  Copies of the examples
 * (neighbours.c) get the probabilities of their original's teacher.  Runs on the caller's thread
 * while training. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "tensor.h"

int nlu_distill_targets(const float *x, uint32_t d_in, const int *y, size_t n, uint32_t K,
			const struct nlu_mlp_opts *mo, int folds, float temp, float *q,
			const float *xc, const uint32_t *owner, size_t m, float *qc)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint32_t *fold = malloc(sizeof *fold * (n ? n : 1));
	float *xf = malloc(sizeof *xf * (n ? n : 1) * d_in);
	int *yf = malloc(sizeof *yf * (n ? n : 1));
	float *hidden = malloc(sizeof *hidden * (mo->hidden ? mo->hidden : 1));
	int rc = -1;

	if (folds < 1)
		folds = 1;
	if (!fold || !xf || !yf || !hidden)
		goto out;
	for (size_t i = 0; i < n; i++)   /* a shuffled round-robin: folds of equal size */
		fold[i] = (uint32_t)(i % (size_t)folds);
	for (size_t i = n; i > 1; i--) {
		size_t k = cm_xorshift64(&seed) % i;
		uint32_t t = fold[i - 1];
		fold[i - 1] = fold[k];
		fold[k] = t;
	}
	for (int f = 0; f < folds; f++) {
		struct nlu_mlp m_;
		struct nlu_mlp_opts o = *mo;
		size_t nf = 0;
		o.soft = NULL;
		for (size_t i = 0; i < n; i++) {  /* one fold alone: the teacher sees all */
			if (folds > 1 && fold[i] == (uint32_t)f)
				continue;
			memcpy(xf + nf * d_in, x + i * d_in, sizeof *xf * d_in);
			yf[nf++] = y[i];
		}
		if (nlu_mlp_train(&m_, d_in, K, xf, yf, nf, &o))
			goto out;
		for (size_t i = 0; i < n; i++) {
			if (folds > 1 && fold[i] != (uint32_t)f)
				continue;
			nlu_mlp_logits(&m_, x + i * d_in, hidden, q + i * K);
			cm_softmax(K, q + i * K, temp);
		}
		for (size_t j = 0; j < m; j++) {   /* a copy: its original's teacher */
			if (folds > 1 && fold[owner[j]] != (uint32_t)f)
				continue;
			nlu_mlp_logits(&m_, xc + j * d_in, hidden, qc + j * K);
			cm_softmax(K, qc + j * K, temp);
		}
		nlu_mlp_free(&m_);
	}
	rc = 0;
out:
	free(fold);
	free(xf);
	free(yf);
	free(hidden);
	return rc;
}
