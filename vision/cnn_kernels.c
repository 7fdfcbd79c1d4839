/* vision/cnn_kernels.c — im2col, convolution through cm_sgemm, direct depthwise
 * convolution, bias + activation, add, average pooling (see cnn_kernels.h).
 *
 * The loops over channels are the inner ones so the compiler vectorises them; the two hot
 * ones are built at -O3 (the project's -O2 leaves these runtime-length loops scalar: the
 * depthwise kernel measured 2.4 GFLOP/s) for AVX2+FMA and plain x86-64, picked at load
 * time (target_clones), so the binary still runs on machines without AVX2.  The clone names
 * the x86-64-v3 ISA level, not a CPU: GCC dispatches "arch=haswell" with __builtin_cpu_is, so
 * an AMD Zen ran the plain clone (perf showed vis_k_depthwise.default; min 14.0 -> 12.5 ms a
 * MobileNetV2 forward).  Any thread; no allocation.
 */
#include "cnn_kernels.h"

#include <string.h>

#include "tensor.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VIS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3")))
#else
#define VIS_CLONES
#endif

/* o[i] += p[i] * q[i]: the depthwise inner loop, restrict so it vectorises. */
static inline void madd(float *restrict o, const float *restrict p, const float *restrict q,
			int n)
{
	for (int i = 0; i < n; i++)
		o[i] += p[i] * q[i];
}

void vis_k_im2col(const struct vis_k_conv *g, const float *in, float *col)
{
	const int kc = g->kw * g->cin;
	for (int oy = 0; oy < g->oh; oy++) {
		for (int ox = 0; ox < g->ow; ox++) {
			float *row = col + ((size_t)oy * g->ow + ox) * g->kh * kc;
			for (int ky = 0; ky < g->kh; ky++) {
				int iy = oy * g->stride - g->pt + ky;
				float *dst = row + (size_t)ky * kc;
				if (iy < 0 || iy >= g->h) {
					memset(dst, 0, sizeof(float) * kc);
					continue;
				}
				for (int kx = 0; kx < g->kw; kx++) {
					int ix = ox * g->stride - g->pl + kx;
					if (ix < 0 || ix >= g->w)
						memset(dst + kx * g->cin, 0, sizeof(float) * g->cin);
					else
						memcpy(dst + kx * g->cin,
						       in + ((size_t)iy * g->w + ix) * g->cin,
						       sizeof(float) * g->cin);
				}
			}
		}
	}
}

VIS_CLONES
void vis_k_bias_act(float *y, const float *bias, int rows, int n, int act)
{
	for (int r = 0; r < rows; r++) {
		float *v = y + (size_t)r * n;
		if (act == 2) {
			for (int i = 0; i < n; i++) {
				float t = v[i] + bias[i];
				t = t < 0.f ? 0.f : t;
				v[i] = t > 6.f ? 6.f : t;
			}
		} else if (act == 1) {
			for (int i = 0; i < n; i++) {
				float t = v[i] + bias[i];
				v[i] = t < 0.f ? 0.f : t;
			}
		} else {
			for (int i = 0; i < n; i++)
				v[i] += bias[i];
		}
	}
}

void vis_k_conv(const struct vis_k_conv *g, const float *in, const float *w,
		const float *bias, int act, float *col, float *out)
{
	const int m = g->oh * g->ow, k = g->kh * g->kw * g->cin;
	const float *a = in;
	if (!(g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pt == 0 && g->pl == 0)) {
		vis_k_im2col(g, in, col);
		a = col;
	}
	/* the bias goes in first and sgemm accumulates onto it (beta 1): one pass over the
	 * output fewer than beta 0 followed by a bias pass (perf: OpenBLAS's beta pass and
	 * the bias pass were 6 % and 9 % of a MobileNetV2 forward) */
	for (int r = 0; r < m; r++)
		memcpy(out + (size_t)r * g->cout, bias, sizeof(float) * (size_t)g->cout);
	cm_sgemm(m, g->cout, k, 1.f, a, 0, w, 0, 1.f, out);
	if (act)
		vis_k_act(out, (long)m * g->cout, act);
}

VIS_CLONES
void vis_k_act(float *y, long n, int act)
{
	if (act == 2) {
		for (long i = 0; i < n; i++) {
			float t = y[i] < 0.f ? 0.f : y[i];
			y[i] = t > 6.f ? 6.f : t;
		}
	} else if (act == 1) {
		for (long i = 0; i < n; i++)
			y[i] = y[i] < 0.f ? 0.f : y[i];
	}
}

VIS_CLONES
void vis_k_depthwise(const struct vis_k_conv *g, const float *in, const float *w,
		     const float *bias, int act, float *out)
{
	const int c = g->cin;
	for (int oy = 0; oy < g->oh; oy++) {
		for (int ox = 0; ox < g->ow; ox++) {
			float *o = out + ((size_t)oy * g->ow + ox) * c;
			memcpy(o, bias, sizeof(float) * c);
			for (int ky = 0; ky < g->kh; ky++) {
				int iy = oy * g->stride - g->pt + ky;
				if (iy < 0 || iy >= g->h)
					continue;
				for (int kx = 0; kx < g->kw; kx++) {
					int ix = ox * g->stride - g->pl + kx;
					if (ix < 0 || ix >= g->w)
						continue;
					madd(o, in + ((size_t)iy * g->w + ix) * c,
					     w + ((size_t)ky * g->kw + kx) * c, c);
				}
			}
			if (act == 2) {
				for (int i = 0; i < c; i++) {
					float t = o[i] < 0.f ? 0.f : o[i];
					o[i] = t > 6.f ? 6.f : t;
				}
			} else if (act == 1) {
				for (int i = 0; i < c; i++)
					o[i] = o[i] < 0.f ? 0.f : o[i];
			}
		}
	}
}

void vis_k_add(const float *a, const float *b, float *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void vis_k_avgpool(const float *in, int hw, int c, float *out)
{
	memset(out, 0, sizeof(float) * c);
	for (int p = 0; p < hw; p++)
		for (int i = 0; i < c; i++)
			out[i] += in[(size_t)p * c + i];
	for (int i = 0; i < c; i++)
		out[i] /= (float)hw;
}
