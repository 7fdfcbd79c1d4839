/* nlu/seq.h — what seq.c (the model: tokens, forward pass, file) and seq_train.c (its
 * training) share; nothing else includes it.  See model.h for the model itself. */
#ifndef KEFU_NLU_SEQ_H
#define KEFU_NLU_SEQ_H

#include "model.h"

#define SEQ_WIDTHS 3   /* convolution widths 1..3 */
#define SEQ_TAPS 6     /* 1 + 2 + 3 filter taps: columns of the tap product Y */

/* Column block of tap k of width w (1-based) in Y = X · W (rows × 6F). */
static inline uint32_t seq_tap(uint32_t w, uint32_t k)
{
	return (w - 1) * w / 2 + k;
}

/* Max-pools one text's tap products y[T × 6F] into h[3F] (bias added, then ReLU):
 * h[(w-1)F + f] = max_t (bconv + Σ_{k<w, t+k<T} y[t+k][tap(w,k)F + f]).  arg (may be
 * NULL) gets each feature's best window start. */
void nlu_seq_pool(uint32_t F, const float *y, int T, const float *bconv, float *h,
		  int *arg);
/* The same over rows y[t] (each 6F) that need not be contiguous; T ≤ NLU_SEQ_MAX_TOKENS. */
void nlu_seq_pool_rows(uint32_t F, const float *const *y, int T, const float *bconv, float *h,
		       int *arg);

#endif
