/* common/adam.h — one Adam step (Kingma & Ba 2015, β1 0.9, β2 0.999, ε 1e-8, bias
 * corrected, L2 weight decay added to the gradient), the optimiser of the text encoder's
 * MLP (nlu/mlp.c), the fused model (fusion/train.c) and the category head
 * (vision/head.c).  The arithmetic is written once so those models train to the same
 * bits whoever calls it.  Runs on the caller's thread; the caller owns every array.
 */
#ifndef KEFU_COMMON_ADAM_H
#define KEFU_COMMON_ADAM_H

#include <stddef.h>

/* Updates p[0..n) from its gradient g with the moment estimates m and v (same length,
 * zeroed before step 1): gi = g + wd·p (just g when wd is 0); m = β1·m + (1-β1)·gi;
 * v = β2·v + (1-β2)·gi²; p -= lr·(m/(1-β1^t)) / (sqrt(v/(1-β2^t)) + ε).  t counts steps
 * from 1. */
void cm_adam_step(float *restrict p, const float *restrict g, float *restrict m,
		  float *restrict v, size_t n, float lr, float wd,
		  long t);

#endif
