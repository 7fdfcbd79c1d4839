/* common/tensor.h — the small dense maths kernels of kefu (prefix cm_).
 *
 * This is the one place that calls OpenBLAS (cblas_sgemm / cblas_sgemv); everything else
 * (nlu, vision, speech) calls these wrappers so that threading and layout decisions live
 * in one file.  All matrices are row-major float32.  Each kernel has a naive reference in
 * common/test_tensor.c with a stated tolerance.
 *
 * Pure functions over caller-owned memory: any thread, no allocation.  OpenBLAS is used
 * single-threaded by callers that run on a worker (see cm_blas_single_thread).
 */
#ifndef KEFU_COMMON_TENSOR_H
#define KEFU_COMMON_TENSOR_H

#include <stddef.h>
#include <stdint.h>

/* Asks OpenBLAS for one thread per call (kefu runs one worker per core). */
void cm_blas_single_thread(void);

/* C[m×n] = alpha · op(A) · op(B) + beta · C, where op(A) is A[m×k], or A[k×m] transposed
 * when trans_a is non-zero, and op(B) is B[k×n], or B[n×k] transposed when trans_b is. */
void cm_sgemm(int m, int n, int k, float alpha, const float *a, int trans_a, const float *b,
	      int trans_b, float beta, float *c);
/* y[m] = alpha · A[m×n] · x[n] + beta · y, or y[n] = alpha · Aᵀ · x[m] + beta · y when
 * trans is non-zero. */
void cm_sgemv(int m, int n, float alpha, const float *a, int trans, const float *x,
	      float beta, float *y);
/* y += a · x over n floats (auto-vectorised loop: the sparse-feature hot path). */
void cm_axpy(size_t n, float a, const float *x, float *y);
/* Asks the CPU to fetch the bytes [p, p + n) into its caches (a hint; no effect on
 * results). */
static inline void cm_prefetch(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + n;
	for (; a < end; a += 64)      /* every cache line the bytes touch */
		__builtin_prefetch((const void *)a);
}
float cm_dot(size_t n, const float *x, const float *y);
/* Scales x to unit L2 norm (left alone when the norm is 0); returns the old norm. */
float cm_l2_normalize(size_t n, float *x);
/* In-place softmax of x[n] at temperature t (> 0): x ← exp(x/t − max) / Σ.  Returns the
 * log of the normaliser, log Σ exp(x/t), so log p_i = x_i/t − returned value. */
float cm_softmax(size_t n, float *x, float t);
/* x ← max(x, 0). */
void cm_relu(size_t n, float *x);
/* IEEE half <-> single precision (round to nearest even; inf/nan preserved). */
uint16_t cm_f16_from_f32(float f);
float cm_f32_from_f16(uint16_t h);
/* y += a · x over n floats given as halves: y[i] += a · cm_f32_from_f16(x[i]), with the
 * same results as that loop (F16C, 8 at a time, where the CPU has it; no FMA). */
void cm_axpy_f16(size_t n, float a, const uint16_t *x, float *y);
/* y[n] += Σ_j vals[j] · row rows[j] of a table of halves (row r at table + r · stride),
 * the rows added in the order given, each as cm_axpy_f16 adds it (the same results);
 * each row is fetched CM_GATHER_AHEAD rows before it is added, so the memory's latency
 * of rows scattered over megabytes overlaps the arithmetic. */
#define CM_GATHER_AHEAD 8
void cm_gather_f16(size_t n, const uint16_t *table, size_t stride, const uint32_t *rows,
		   const float *vals, size_t k, float *y);
/* 1 when the CPU (and OS) can run AVX and F16C code; asked once, then cached. */
int cm_cpu_f16c(void);
/* dst[i] = cm_f32_from_f16 of the i-th little-endian half at src (src need not be
 * aligned), for i < n. */
void cm_f32_from_f16_n(float *dst, const void *src, size_t n);

#endif
