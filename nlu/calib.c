/* nlu/calib.c — confidence that means something: temperature scaling of the logits
 * (Guo et al. 2017) fitted on held-out examples, and the out-of-scope rule (threshold on
 * calibrated confidence + margin between the two best answers) tuned on validation
 * examples.  Pure functions on the caller's thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Mean NLL of y at inverse temperature beta; convex in beta. */
static double nll(const float *logits, const int *y, size_t n, int n_cls, double beta)
{
	double tot = 0;
	for (size_t i = 0; i < n; i++) {
		const float *z = logits + i * (size_t)n_cls;
		double mx = z[0];
		for (int c = 1; c < n_cls; c++)
			if (z[c] > mx)
				mx = z[c];
		double s = 0;
		for (int c = 0; c < n_cls; c++)
			s += exp(beta * (z[c] - mx));
		tot += log(s) - beta * (z[y[i]] - mx);
	}
	return n ? tot / (double)n : 0;
}

double nlu_calib_nll(const float *logits, const int *y, size_t n, int n_cls, float t)
{
	return nll(logits, y, n, n_cls, 1.0 / t);
}

float nlu_calib_temperature(const float *logits, const int *y, size_t n, int n_cls)
{
	if (n == 0 || n_cls < 2)
		return 1.0f;
	/* golden-section search on log(beta) in [ln 0.05, ln 20] */
	const double g = 0.6180339887498949;
	double a = log(0.05), b = log(20.0);
	double c = b - g * (b - a), d = a + g * (b - a);
	double fc = nll(logits, y, n, n_cls, exp(c)), fd = nll(logits, y, n, n_cls, exp(d));
	for (int it = 0; it < 40; it++) {
		if (fc < fd) {
			b = d;
			d = c;
			fd = fc;
			c = b - g * (b - a);
			fc = nll(logits, y, n, n_cls, exp(c));
		} else {
			a = c;
			c = d;
			fc = fd;
			d = a + g * (b - a);
			fd = nll(logits, y, n, n_cls, exp(d));
		}
	}
	return (float)(1.0 / exp((a + b) / 2));
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

void nlu_calib_oos(const float *conf, const float *second, const int *pred, const int *y,
		   size_t n, int oos_class, float w_oos, float *threshold, float *margin)
{
	size_t n_oos = 0, n_in = 0;
	*threshold = 0;
	*margin = 0;
	for (size_t i = 0; i < n; i++)
		n_oos += y[i] == oos_class;
	n_in = n - n_oos;
	if (n_oos == 0 || n_in == 0 || oos_class < 0)
		return;
	float *cand = malloc(sizeof *cand * (n + 1));
	if (!cand)
		return;
	memcpy(cand, conf, sizeof *cand * n);
	qsort(cand, n, sizeof *cand, cmp_float);
	double best = -1;
	const int n_thr = 200;
	for (int ti = 0; ti <= n_thr; ti++) {
		float t = ti == 0 ? 0.0f : cand[(size_t)((double)(ti - 1) / n_thr * (double)(n - 1))];
		for (int mi = 0; mi <= 10; mi++) {
			float m = 0.05f * (float)mi;
			size_t ok_in = 0, ok_oos = 0;
			for (size_t i = 0; i < n; i++) {
				int refuse = pred[i] == oos_class || conf[i] < t ||
					     conf[i] - second[i] < m;
				if (y[i] == oos_class)
					ok_oos += refuse;
				else
					ok_in += !refuse && pred[i] == y[i];
			}
			double s = (double)ok_in + w_oos * (double)ok_oos;
			if (s > best + 1e-12) {
				best = s;
				*threshold = t;
				*margin = m;
			}
		}
	}
	free(cand);
}
