/* nlu/linear_nb.c — a multinomial naive Bayes term folded into the linear half's weights.
 *
 * On the same sparse vectors the SVM learns from (TF-IDF, unit norm per block), each class
 * c gets log θ_cb = log((Σ_{i: y_i = c} x_ib + a) / (Σ_{i: y_i = c} Σ_b x_ib + a·V)) per
 * bucket b (V: the buckets some training vector has), and λ · log θ_cb is added to the
 * weight of bucket b for class c.  A text's logits are then s·(SVM margin) + λ·(its NB
 * log-likelihood less the class prior): a linear model still, so a prediction costs the
 * same product of the same tensors.  Buckets no training vector has keep their weight
 * (no text ever carries them: features.c leaves unseen features out).
 * Caller's thread (the training thread).
 */
#include <math.h>
#include <stdlib.h>

#include "model.h"

int nlu_linear_add_nb(struct nlu_linear *m, const struct nlu_sparse *xs, const int *y,
		      size_t n, float lambda, float smooth)
{
	uint32_t K = m->n_cls;
	size_t cells = (size_t)m->dim * K;
	float *cnt = calloc(cells ? cells : 1, sizeof *cnt);
	double *tot = calloc(K, sizeof *tot);
	uint8_t *seen = calloc(m->dim ? m->dim : 1, 1);
	size_t V = 0;
	int rc = -1;

	if (!cnt || !tot || !seen || !m->w)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct nlu_sparse *x = &xs[i];
		for (uint32_t k = 0; k < x->nnz; k++) {
			cnt[(size_t)x->idx[k] * K + (uint32_t)y[i]] += x->val[k];
			tot[y[i]] += x->val[k];
			V += !seen[x->idx[k]];
			seen[x->idx[k]] = 1;
		}
	}
	for (uint32_t c = 0; c < K; c++)
		tot[c] = log(tot[c] + smooth * (double)V);
	for (uint32_t b = 0; b < m->dim; b++) {
		if (!seen[b])
			continue;
		for (uint32_t c = 0; c < K; c++) {
			size_t j = (size_t)b * K + c;
			m->w[j] += lambda * (float)(log(cnt[j] + smooth) - tot[c]);
		}
	}
	rc = 0;
out:
	free(cnt);
	free(tot);
	free(seen);
	return rc;
}
