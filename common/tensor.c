/* common/tensor.c — dense kernels over OpenBLAS and a few plain loops (see tensor.h).
 * Any thread; no allocation; no global state besides OpenBLAS's own thread setting. */
#include "tensor.h"

#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define CM_X86 1
#endif

#include "fuzz_trace.h"

void openblas_set_num_threads(int n);

void cm_blas_single_thread(void)
{
	openblas_set_num_threads(1);
}

void cm_sgemm(int m, int n, int k, float alpha, const float *a, int trans_a, const float *b,
	      int trans_b, float beta, float *c)
{
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
		    trans_b ? CblasTrans : CblasNoTrans, m, n, k,
		    alpha, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
}

void cm_sgemv(int m, int n, float alpha, const float *a, int trans, const float *x,
	      float beta, float *y)
{
	cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha, a, n, x, 1,
		    beta, y, 1);
}

/* With AVX2 (chosen at load time where the CPU has it) the loop below runs 8 lanes per
 * instruction instead of SSE's 4; the sparse text model calls it once per feature.  GCC
 * only: clang 14 (the fuzz build) names the resolver cm_axpy.ifunc, so other files' calls
 * to cm_axpy do not link. */
#if defined(__x86_64__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
#endif
void cm_axpy(size_t n, float a, const float *restrict x, float *restrict y)
{
	size_t i = 0;
	/* 8 independent lanes: GCC's -O2 (SLP) turns this into AVX/SSE without -O3 */
	for (; i + 8 <= n; i += 8) {
		y[i] += a * x[i];
		y[i + 1] += a * x[i + 1];
		y[i + 2] += a * x[i + 2];
		y[i + 3] += a * x[i + 3];
		y[i + 4] += a * x[i + 4];
		y[i + 5] += a * x[i + 5];
		y[i + 6] += a * x[i + 6];
		y[i + 7] += a * x[i + 7];
	}
	for (; i < n; i++)
		y[i] += a * x[i];
}

float cm_dot(size_t n, const float *x, const float *y)
{
	float s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
}

float cm_l2_normalize(size_t n, float *x)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	float norm = (float)sqrt(s);
	if (norm > 0)
		for (size_t i = 0; i < n; i++)
			x[i] /= norm;
	return norm;
}

float cm_softmax(size_t n, float *x, float t)
{
	if (n == 0)
		return 0;
	float mx = x[0];
	for (size_t i = 1; i < n; i++)
		if (x[i] > mx)
			mx = x[i];
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		x[i] = expf((x[i] - mx) / t);
		sum += x[i];
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] / sum);
	return mx / t + (float)log(sum);
}

void cm_relu(size_t n, float *x)
{
	/* a select, not a branch: the compiler makes it a vector blend (a branch on the
	 * sign of each of the MLP's 256 hidden units mispredicted half the time) */
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] < 0 ? 0.0f : x[i];
}

uint16_t cm_f16_from_f32(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000u;
	uint32_t exp = (x >> 23) & 0xffu;
	uint32_t man = x & 0x7fffffu;

	if (exp == 0xff)                       /* inf or nan */
		return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
	int e = (int)exp - 127 + 15;
	if (e >= 0x1f)                         /* overflow -> inf */
		return (uint16_t)(sign | 0x7c00u);
	if (e <= 0) {                          /* subnormal half or zero */
		if (e < -10)
			return (uint16_t)sign;
		man |= 0x800000u;
		uint32_t shift = (uint32_t)(14 - e);
		uint32_t h = man >> shift;
		uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
		if (rem > half || (rem == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = ((uint32_t)e << 10) | (man >> 13);
	uint32_t rem = man & 0x1fffu;
	if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
		h++;                           /* may carry into the exponent: still correct */
	return (uint16_t)(sign | h);
}

float cm_f32_from_f16(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, x;

	if (exp == 0) {
		if (man == 0) {
			x = sign;
		} else {                       /* subnormal: normalise */
			int e = -1;
			do {
				e++;
				man <<= 1;
			} while (!(man & 0x400u));
			x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
		}
	} else if (exp == 0x1f) {
		x = sign | 0x7f800000u | (man << 13);
	} else {
		x = sign | ((exp + 127 - 15) << 23) | (man << 13);
	}
	float f;
	memcpy(&f, &x, 4);
	return f;
}

/* CPUID leaf 1: AVX, F16C and the OS saving the AVX registers (OSXSAVE), asked once.
 * Not __builtin_cpu_supports("f16c"): clang 14 (the fuzz build) does not know that
 * name. */
int cm_cpu_f16c(void)
{
	static atomic_int have = -1;
	int h = atomic_load_explicit(&have, memory_order_relaxed);

	if (h < 0) {
#ifdef CM_X86
		unsigned a, b, c, d;
		h = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AVX) && (c & bit_F16C) &&
		    (c & bit_OSXSAVE);
#else
		h = 0;
#endif
		atomic_store_explicit(&have, h, memory_order_relaxed);
	}
	return h;
}

#ifdef CM_X86
/* y += a · x for halves x with the CPU's half-to-float conversion, 8 at a time (exact,
 * as cm_f32_from_f16 is; a multiply then an add, no FMA: bit for bit the scalar loop). */
__attribute__((target("avx,f16c"), always_inline))
static inline void row_f16c(size_t n, float a, const uint16_t *x, float *y)
{
	__m256 va = _mm256_set1_ps(a);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
		_mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(va, v)));
	}
	for (; i < n; i++)
		y[i] += a * _cvtsh_ss(x[i]);
}

__attribute__((target("avx,f16c")))
static void axpy_f16c(size_t n, float a, const uint16_t *x, float *y)
{
	row_f16c(n, a, x, y);
}

__attribute__((target("avx,f16c")))
static void gather_f16c(size_t n, const uint16_t *table, size_t stride, const uint32_t *rows,
			const float *vals, size_t k, float *y)
{
	for (size_t j = 0; j < k && j < CM_GATHER_AHEAD; j++)
		cm_prefetch(table + (size_t)rows[j] * stride, n * sizeof *table);
	for (size_t j = 0; j < k; j++) {
		if (j + CM_GATHER_AHEAD < k)
			cm_prefetch(table + (size_t)rows[j + CM_GATHER_AHEAD] * stride,
				    n * sizeof *table);
		row_f16c(n, vals[j], table + (size_t)rows[j] * stride, y);
	}
}
#endif

void cm_axpy_f16(size_t n, float a, const uint16_t *x, float *y)
{
#ifdef CM_X86
	if (cm_cpu_f16c()) {
		axpy_f16c(n, a, x, y);
		return;
	}
#endif
	for (size_t i = 0; i < n; i++)
		y[i] += a * cm_f32_from_f16(x[i]);
}

void cm_gather_f16(size_t n, const uint16_t *table, size_t stride, const uint32_t *rows,
		   const float *vals, size_t k, float *y)
{
#ifdef CM_X86
	if (cm_cpu_f16c()) {
		gather_f16c(n, table, stride, rows, vals, k, y);
		return;
	}
#endif
	for (size_t j = 0; j < k; j++) {
		const uint16_t *x = table + (size_t)rows[j] * stride;
		for (size_t i = 0; i < n; i++)
			y[i] += vals[j] * cm_f32_from_f16(x[i]);
	}
}

CM_NO_FUZZ_TRACE void cm_f32_from_f16_n(float *dst, const void *src, size_t n)
{
	const unsigned char *p = src;

	for (size_t i = 0; i < n; i++)
		dst[i] = cm_f32_from_f16((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
}
