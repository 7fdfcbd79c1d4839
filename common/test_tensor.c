/* common/test_tensor.c — every kernel of tensor.h against a naive reference.
 * Tolerances: BLAS products 1e-4 relative to the sum of |terms| (float32 reordering);
 * elementwise kernels 1e-6; half precision: exact round trip for every half value and
 * round-to-nearest within half an ulp for random floats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static unsigned rng = 12345;
static float frand(void)
{
	rng = rng * 1103515245u + 12345u;
	return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void fill(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = frand();
}

static void test_gemm(int m, int n, int k, int ta, int tb)
{
	float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * n));
	float *c = malloc(sizeof(float) * (size_t)(m * n)), *c0 = malloc(sizeof(float) * (size_t)(m * n));
	fill(a, (size_t)(m * k));
	fill(b, (size_t)(k * n));
	fill(c, (size_t)(m * n));
	memcpy(c0, c, sizeof(float) * (size_t)(m * n));
	cm_sgemm(m, n, k, 0.5f, a, ta, b, tb, 2.0f, c);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0, mag = 0;
			for (int p = 0; p < k; p++) {
				double t = (double)(ta ? a[p * m + i] : a[i * k + p]) *
					   (tb ? b[j * k + p] : b[p * n + j]);
				s += t;
				mag += fabs(t);
			}
			double want = 0.5 * s + 2.0 * c0[i * n + j];
			CHECK(fabs(c[i * n + j] - want) <= 1e-4 * (mag + 2 * fabs(c0[i * n + j]) + 1),
			      "sgemm %dx%dx%d ta=%d tb=%d at %d,%d: %g vs %g", m, n, k, ta, tb, i, j,
			      c[i * n + j], want);
		}
	free(a); free(b); free(c); free(c0);
}

static void test_gemv(int m, int n, int tr)
{
	int ny = tr ? n : m, nx = tr ? m : n;
	float *a = malloc(sizeof(float) * (size_t)(m * n)), *x = malloc(sizeof(float) * (size_t)nx);
	float *y = malloc(sizeof(float) * (size_t)ny), *y0 = malloc(sizeof(float) * (size_t)ny);
	fill(a, (size_t)(m * n));
	fill(x, (size_t)nx);
	fill(y, (size_t)ny);
	memcpy(y0, y, sizeof(float) * (size_t)ny);
	cm_sgemv(m, n, 1.5f, a, tr, x, -1.0f, y);
	for (int i = 0; i < ny; i++) {
		double s = 0, mag = 0;
		for (int j = 0; j < nx; j++) {
			double t = tr ? (double)a[j * n + i] * x[j] : (double)a[i * n + j] * x[j];
			s += t;
			mag += fabs(t);
		}
		double want = 1.5 * s - y0[i];
		CHECK(fabs(y[i] - want) <= 1e-4 * (mag + fabs(y0[i]) + 1), "sgemv tr=%d at %d", tr, i);
	}
	free(a); free(x); free(y); free(y0);
}

static void test_elementwise(void)
{
	enum { N = 37 };
	float x[N], y[N], y0[N], z[N];
	fill(x, N);
	fill(y, N);
	memcpy(y0, y, sizeof y);
	cm_axpy(N, 0.25f, x, y);
	double dot = 0;
	for (int i = 0; i < N; i++) {
		CHECK(fabsf(y[i] - (y0[i] + 0.25f * x[i])) < 1e-6f, "axpy at %d", i);
		dot += (double)x[i] * y0[i];
	}
	CHECK(fabs(cm_dot(N, x, y0) - dot) < 1e-5, "dot");

	memcpy(z, x, sizeof z);
	double nn = 0;
	for (int i = 0; i < N; i++)
		nn += (double)x[i] * x[i];
	float old = cm_l2_normalize(N, z);
	CHECK(fabs(old - sqrt(nn)) < 1e-5, "l2 norm returned");
	for (int i = 0; i < N; i++)
		CHECK(fabs(z[i] - x[i] / sqrt(nn)) < 1e-6, "l2 at %d", i);
	float zero[3] = { 0, 0, 0 };
	CHECK(cm_l2_normalize(3, zero) == 0 && zero[0] == 0, "l2 of zero vector");

	for (int ti = 0; ti < 3; ti++) {
		float t = (float[]){ 1.0f, 0.5f, 3.0f }[ti];
		memcpy(z, x, sizeof z);
		z[3] = 80.0f;              /* large logit: must not overflow */
		float big = z[3];
		double sum = 0, mx = 80.0 / t;
		for (int i = 0; i < N; i++)
			sum += exp((i == 3 ? big : x[i]) / t - mx);
		float lse = cm_softmax(N, z, t);
		CHECK(fabs(lse - (mx + log(sum))) < 1e-4, "softmax lse t=%g", t);
		double tot = 0;
		for (int i = 0; i < N; i++) {
			double want = exp((i == 3 ? big : x[i]) / t - mx) / sum;
			CHECK(fabs(z[i] - want) < 1e-6, "softmax t=%g at %d", t, i);
			tot += z[i];
		}
		CHECK(fabs(tot - 1) < 1e-5, "softmax sums to 1");
	}
	memcpy(z, x, sizeof z);
	cm_relu(N, z);
	for (int i = 0; i < N; i++)
		CHECK(z[i] == (x[i] > 0 ? x[i] : 0), "relu at %d", i);
}

static void test_half(void)
{
	/* every finite half survives half -> float -> half exactly, and the float matches
	 * the definition (-1)^s 2^(e-15) (1 + m/1024), subnormals m 2^-24 */
	for (uint32_t h = 0; h < 0x10000u; h++) {
		uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
		if (e == 0x1f)
			continue;
		double want = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp((double)m, -24);
		if (h & 0x8000)
			want = -want;
		float f = cm_f32_from_f16((uint16_t)h);
		CHECK((double)f == want, "f32_from_f16(%#x) = %g, want %g", h, f, want);
		CHECK(cm_f16_from_f32(f) == h, "round trip of %#x", h);
	}
	CHECK(isinf(cm_f32_from_f16(cm_f16_from_f32(1e6f))), "overflow to inf");
	CHECK(isnan(cm_f32_from_f16(cm_f16_from_f32(NAN))), "nan preserved");
	/* the array form reads little-endian halves from unaligned bytes, one by one alike */
	{
		unsigned char raw[1 + 2 * 5] = { 0 };
		const uint16_t hs[5] = { 0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000 };
		float out[5];
		for (int k = 0; k < 5; k++) {
			raw[1 + 2 * k] = (unsigned char)(hs[k] & 0xff);
			raw[2 + 2 * k] = (unsigned char)(hs[k] >> 8);
		}
		cm_f32_from_f16_n(out, raw + 1, 5);
		for (int k = 0; k < 5; k++)
			CHECK(out[k] == cm_f32_from_f16(hs[k]) && (k != 0 || out[0] == 1.0f),
			      "f32_from_f16_n element %d: %g", k, out[k]);
	}
	/* random floats: nearest half (no half lies strictly closer) */
	for (int i = 0; i < 100000; i++) {
		float f = frand() * 70000.0f * (i % 7 == 0 ? 1e-6f : 1.0f);
		if (fabsf(f) >= 65504.0f)
			continue;
		uint16_t h = cm_f16_from_f32(f);
		double got = cm_f32_from_f16(h);
		double up = cm_f32_from_f16((uint16_t)(h + 1)), dn = cm_f32_from_f16((uint16_t)(h - 1));
		CHECK(fabs(got - f) <= fabs(up - f) && ((h & 0x7fff) == 0 || fabs(got - f) <= fabs(dn - f)),
		      "nearest half of %.9g: got %.9g", f, got);
	}
}

/* The half-precision row sums equal the scalar loop over widened halves exactly (the
 * same multiply and add per element, whichever path the CPU takes), tails included. */
static void test_half_rows(void)
{
	enum { ROWS = 9, STRIDE = 80 };
	static uint16_t table[ROWS * STRIDE];
	const uint32_t rows[5] = { 3, 0, 8, 3, 5 };
	float vals[5], y[STRIDE], want[STRIDE];

	for (int i = 0; i < ROWS * STRIDE; i++)
		table[i] = cm_f16_from_f32(frand() * 4.0f);
	fill(vals, 5);
	for (size_t n = 1; n <= 77; n += 19) {
		fill(y, n);
		memcpy(want, y, sizeof *y * n);
		for (int j = 0; j < 5; j++)
			for (size_t i = 0; i < n; i++)
				want[i] += vals[j] * cm_f32_from_f16(table[rows[j] * STRIDE + i]);
		cm_gather_f16(n, table, STRIDE, rows, vals, 5, y);
		CHECK(!memcmp(y, want, sizeof *y * n), "gather_f16 n=%zu", n);
		memcpy(y, want, sizeof *y * n);
		for (size_t i = 0; i < n; i++)
			want[i] += -0.75f * cm_f32_from_f16(table[STRIDE + i]);
		cm_axpy_f16(n, -0.75f, table + STRIDE, y);
		CHECK(!memcmp(y, want, sizeof *y * n), "axpy_f16 n=%zu", n);
	}
}

int main(void)
{
	cm_blas_single_thread();
	test_gemm(1, 1, 1, 0, 0);
	test_gemm(7, 5, 3, 0, 0);
	test_gemm(33, 17, 65, 0, 1);
	test_gemm(33, 17, 65, 1, 0);
	test_gemm(9, 12, 31, 1, 1);
	test_gemm(64, 64, 64, 0, 0);
	test_gemv(1, 1, 0);
	test_gemv(31, 19, 0);
	test_gemv(31, 19, 1);
	test_gemv(256, 256, 0);
	test_elementwise();
	test_half();
	test_half_rows();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("tensor: all kernels match their references\n");
	return failures != 0;
}
