/* common/adam.c — the Adam step (see adam.h).  Pure arithmetic on the caller's arrays,
 * any thread.
 *
 * Written so the compiler vectorises it (it is a third of `kefu train`'s fusion step
 * otherwise): the arrays are restrict (callers never alias them), and common/ builds
 * with -fno-math-errno — v is never negative, so sqrtf never sets errno, but the check
 * alone kept GCC from vectorising the loop.  Every operation and its order are
 * the same as the scalar loop's, so the results are the same bits. */
#include "adam.h"

#include <math.h>

void cm_adam_step(float *restrict p, const float *restrict g, float *restrict m,
		  float *restrict v, size_t n, float lr, float wd, long t)
{
	const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
	float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);

	for (size_t i = 0; i < n; i++) {
		float gi = wd != 0.0f ? g[i] + wd * p[i] : g[i];
		float mi = b1 * m[i] + (1 - b1) * gi;
		float vi = b2 * v[i] + (1 - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] -= lr * (mi / c1) / (sqrtf(vi / c2) + eps);
	}
}
