/* common/adam.c — the Adam step (see adam.h).  Pure arithmetic on the caller's arrays,
 * any thread. */
#include "adam.h"

#include <math.h>

void cm_adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr, float wd,
		  long t)
{
	const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
	float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);

	for (size_t i = 0; i < n; i++) {
		float gi = wd != 0.0f ? g[i] + wd * p[i] : g[i];
		m[i] = b1 * m[i] + (1 - b1) * gi;
		v[i] = b2 * v[i] + (1 - b2) * gi * gi;
		p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
	}
}
