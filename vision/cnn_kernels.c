/* vision/cnn_kernels.c — the convolutions' matrix product (vis_k_matmul; vis_k_conv reads a
 * convolution's patches through it in place), patches / im2col, direct depthwise
 * convolution, bias + activation, add, average pooling (see cnn_kernels.h).
 *
 * The loops over channels are the inner ones so the compiler vectorises them; the hot ones
 * are built at -O3 with multiply-add contraction, in AVX-512, AVX2 and plain x86-64
 * variants picked at run time.  Earlier note on the depthwise kernel: built at -O3 (the
 * project's -O2 leaves these runtime-length loops scalar: the depthwise kernel measured
 * 2.4 GFLOP/s) for AVX2+FMA and plain x86-64, picked at load
 * time (target_clones), so the binary still runs on machines without AVX2.  The clone names
 * the x86-64-v3 ISA level, not a CPU: GCC dispatches "arch=haswell" with __builtin_cpu_is, so
 * an AMD Zen ran the plain clone (perf showed vis_k_depthwise.default; min 14.0 -> 12.5 ms a
 * MobileNetV2 forward).  Any thread; no allocation.
 */
#include "cnn_kernels.h"

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#endif


#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VIS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3")))
#else
#define VIS_CLONES
#endif

void vis_k_patch(const struct vis_k_conv *g, const float *in, int oy, int ox, float *row)
{
	/* a tap row's kw pixels are contiguous in HWC: one copy of kw·cin floats when they
	 * are all inside; a pointer into the input is formed only for pixels inside it */
	const int kc = g->kw * g->cin;
	const int ix0 = ox * g->stride - g->pl;
	for (int ky = 0; ky < g->kh; ky++) {
		const int iy = oy * g->stride - g->pt + ky;
		float *dst = row + (size_t)ky * kc;
		if (iy < 0 || iy >= g->h) {
			memset(dst, 0, sizeof(float) * kc);
			continue;
		}
		for (int kx = 0; kx < g->kw; kx++) {
			const int ix = ix0 + kx;
			if (ix < 0 || ix >= g->w)
				memset(dst + kx * g->cin, 0, sizeof(float) * g->cin);
			else
				memcpy(dst + kx * g->cin, in + ((size_t)iy * g->w + ix) * g->cin,
				       sizeof(float) * g->cin);
		}
	}
}

void vis_k_im2col(const struct vis_k_conv *g, const float *in, float *col)
{
	const size_t k = (size_t)g->kh * g->kw * g->cin;
	for (int oy = 0; oy < g->oh; oy++)
		for (int ox = 0; ox < g->ow; ox++)
			vis_k_patch(g, in, oy, ox, col + ((size_t)oy * g->ow + ox) * k);
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

/* ---- the convolution's matrix product: C = act(A·W + bias) ------------------------------
 *
 * kefu's own product for the convolutions (A: rows of activations, or a convolution's
 * patches, m x k; W: the weights as stored, k x n; C: m x n), with the bias as the
 * accumulators' start and the activation applied before the one store.  perf on
 * OpenBLAS's sgemm here: its kernel 50 % of a forward pass, but packing the activations
 * and weights for each call another 14 %, and the bias copy before it and the activation
 * pass after it 10 %.  This product reads A and W where they are: a tile of MR rows of A
 * (in L1) against panels of up to four vectors of W's columns (W is at most 1.2 MB, from
 * L1/L2), MR x 4 accumulators.  Built for AVX-512 (16-float vectors, MR 6: 24 of its 32
 * registers), AVX2 (8 floats) and plain x86-64, picked at run time.
 *
 * A row of A is read as nseg segments of seglen floats, ld floats apart: a matrix's row is
 * one segment of k; a convolution's patch is its kh tap rows of kw·cin floats, each
 * contiguous in the HWC input, one input row (w·cin floats) apart, so the convolution
 * reads its input in place (no im2col).  Either way the sum is bias + A[q]·W[q] for q in
 * order, one multiply-add each, so the values are the same. */
#define PW_MR VIS_K_PATCH_ROWS

static inline float clamp1(float x, int act)
{
	if (act >= 1 && x < 0.f)
		x = 0.f;
	if (act == 2 && x > 6.f)
		x = 6.f;
	return x;
}

/* ISO C (-std=c11) turns GCC's a*b+c contraction off: these loops want fused multiply-adds */
#define PW_OPT optimize("O3", "fp-contract=fast")

/* Where a tile's rows of A are: ar[r] for r < MR (missing rows repeat the last), each
 * nseg segments of seglen floats ld apart. */
struct pw_rows {
	const float *ar[PW_MR];
	int nseg, seglen, ld;
};

/* ReLU (act 1) or ReLU6 (act 2) of a vector of VW floats as max(y, 0) then min(6, y): one
 * instruction each where the ISA of the panels of that width has them (comparing into a
 * mask and blending took two: a quarter of the instructions of the products with k 16-24);
 * the same values as y > 0 ? y : 0 (NaN -> 0) and y > 6 ? 6 : y.  The panels of VW floats
 * are built for the ISA whose registers hold them (PW_ISA_VW), inlined into the product of
 * that ISA or a wider one. */
#define PW_CLAMP_MASK(y, act)                                                                \
	do {                                                                                 \
		typedef int32_t vti __attribute__((vector_size(sizeof(vt))));                \
		const vt zero_ = { 0 }, six_ = zero_ + 6.f;                                  \
		if (act >= 1)                                                                \
			y = (vt)((vti)y & (y > zero_));                                      \
		if (act == 2) {                                                              \
			vti big = y > six_;                                                  \
			y = (vt)(((vti)y & ~big) | ((vti)six_ & big));                       \
		}                                                                            \
	} while (0)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PW_ISA_16 target("arch=x86-64-v4"),
#define PW_ISA_8 target("arch=x86-64-v3"),
#define PW_ISA_4
#define PW_MAXMIN(y, act, MAX, MIN, T)                                                       \
	do {                                                                                 \
		if (act >= 1)                                                                \
			y = (vt)MAX((T)y, (T)zero);                                          \
		if (act == 2)                                                                \
			y = (vt)MIN((T)six, (T)y);                                           \
	} while (0)
#define PW_CLAMP_16(y, act) PW_MAXMIN(y, act, _mm512_max_ps, _mm512_min_ps, __m512)
#define PW_CLAMP_8(y, act) PW_MAXMIN(y, act, _mm256_max_ps, _mm256_min_ps, __m256)
#define PW_CLAMP_4(y, act) PW_MAXMIN(y, act, _mm_max_ps, _mm_min_ps, __m128)
#else
#define PW_ISA_16
#define PW_ISA_8
#define PW_ISA_4
#define PW_CLAMP_16(y, act) PW_CLAMP_MASK(y, act)
#define PW_CLAMP_8(y, act) PW_CLAMP_MASK(y, act)
#define PW_CLAMP_4(y, act) PW_CLAMP_MASK(y, act)
#endif

/* One tile: MR rows of A times NV vectors of VW columns of W from column j, into C's rows
 * from c (rows of them stored). */
#define PW_PANEL(VW, NV, MR)                                                                 \
static inline __attribute__((PW_ISA_##VW always_inline, PW_OPT)) void                        \
panel_##VW##_##NV##_##MR(const struct pw_rows *a, int rows, const float *w, int n, int j,    \
			 const float *bias, int act, float *c)                               \
{                                                                                            \
	typedef float vt __attribute__((vector_size(VW * 4), aligned(4)));                   \
	const vt zero = { 0 }, six = zero + 6.f;                                             \
	(void)zero, (void)six;                                                               \
	vt acc[MR][NV];                                                                      \
	for (int h = 0; h < NV; h++) {                                                       \
		const vt b = *(const vt *)(bias + j + h * VW);                               \
		for (int r = 0; r < MR; r++)                                                 \
			acc[r][h] = b;                                                       \
	}                                                                                    \
	const float *wp = w + j;                                                             \
	for (int s = 0; s < a->nseg; s++) {                                                  \
		const float *ar[MR];                                                         \
		for (int r = 0; r < MR; r++)                                                 \
			ar[r] = a->ar[r] + (size_t)s * a->ld;                                \
		for (int q = 0; q < a->seglen; q++, wp += n) {                               \
			vt wv[NV];                                                           \
			for (int h = 0; h < NV; h++)                                         \
				wv[h] = *(const vt *)(wp + h * VW);                          \
			for (int r = 0; r < MR; r++) {                                       \
				const float x = ar[r][q];   /* broadcast by the product */   \
				for (int h = 0; h < NV; h++)                                 \
					acc[r][h] += x * wv[h];                              \
			}                                                                    \
		}                                                                            \
	}                                                                                    \
	for (int r = 0; r < rows; r++)                                                       \
		for (int h = 0; h < NV; h++) {                                               \
			vt y = acc[r][h];                                                    \
			PW_CLAMP_##VW(y, act);                                               \
			*(vt *)(c + (size_t)r * n + j + h * VW) = y;                         \
		}                                                                            \
}
#define PW_PANELS(VW, NV) PW_PANEL(VW, NV, 6) PW_PANEL(VW, NV, 5)
PW_PANELS(16, 4)
PW_PANELS(16, 2)
PW_PANELS(16, 1)
PW_PANELS(8, 2)
PW_PANELS(8, 1)
PW_PANELS(4, 2)
PW_PANELS(4, 1)

/* One tile of MR rows: the panel of width sw at column sj.  The 64- and 8-float panels of
 * the AVX-512 product are named through PW_P64_VW / PW_P8_VW: a narrower product never
 * reaches them (64 only with VW 16; 8 is VW itself in the AVX2 one) and may not inline
 * code built for a wider ISA, so its names there are panels of its own width. */
#define PW_P64_16 panel_16_4
#define PW_P64_8 panel_8_2
#define PW_P64_4 panel_4_2
#define PW_P8_16 panel_8_1
#define PW_P8_8 panel_8_1
#define PW_P8_4 panel_4_1
#define PW_CAT_(a, b) a##b
#define PW_CAT(a, b) PW_CAT_(a, b)
#define PW_TILE(VW, MR)                                                                      \
	do {                                                                                 \
		if (VW == 16 && sw == 64)                                                    \
			PW_CAT(PW_P64_##VW, _##MR)(&ra, rows, w, n, sj, bias, act, ci);      \
		else if (sw == 2 * VW)                                                       \
			panel_##VW##_2_##MR(&ra, rows, w, n, sj, bias, act, ci);             \
		else if (sw == VW)                                                           \
			panel_##VW##_1_##MR(&ra, rows, w, n, sj, bias, act, ci);             \
		else if (sw == 8)                                                            \
			PW_CAT(PW_P8_##VW, _##MR)(&ra, rows, w, n, sj, bias, act, ci);       \
		else                                                                         \
			panel_4_1_##MR(&ra, rows, w, n, sj, bias, act, ci);                  \
	} while (0)

/* A: a matrix a (m x k), or the patches of convolution g over its input in (a NULL). */
struct pw_a {
	const float *a;
	int k;
	const struct vis_k_conv *g;
	const float *in;
	float *patch;       /* PW_MR x k floats: the rows of a tile that reaches the padding */
};

/* The tile of rows i .. i+rows-1 of A: in place when every patch of it lies inside the
 * input (pointers are formed only then), else copied into A->patch with the zeros. */
static void pw_rows_of(const struct pw_a *A, int i, int rows, struct pw_rows *ra)
{
	const struct vis_k_conv *g = A->g;
	if (!g) {
		for (int r = 0; r < PW_MR; r++)
			ra->ar[r] = A->a + (size_t)(i + (r < rows ? r : rows - 1)) * A->k;
		ra->nseg = 1, ra->seglen = A->k, ra->ld = 0;
		return;
	}
	/* each row's output pixel, from the first one's (one division a tile, not two a
	 * row) */
	int oy[PW_MR], ox[PW_MR], inside = 1;
	oy[0] = i / g->ow, ox[0] = i % g->ow;
	for (int r = 1; r < rows; r++) {
		const int wrap = ox[r - 1] + 1 == g->ow;
		oy[r] = oy[r - 1] + wrap, ox[r] = wrap ? 0 : ox[r - 1] + 1;
	}
	for (int r = 0; r < rows && inside; r++) {
		const int iy = oy[r] * g->stride - g->pt, ix = ox[r] * g->stride - g->pl;
		inside = iy >= 0 && iy + g->kh <= g->h && ix >= 0 && ix + g->kw <= g->w;
	}
	for (int r = 0; r < PW_MR; r++) {
		const int q = r < rows ? r : rows - 1;
		if (inside) {
			ra->ar[r] = A->in + ((size_t)(oy[q] * g->stride - g->pt) * g->w +
					     (size_t)(ox[q] * g->stride - g->pl)) * g->cin;
		} else {
			ra->ar[r] = A->patch + (size_t)r * A->k;
			if (r < rows)
				vis_k_patch(g, A->in, oy[q], ox[q], A->patch + (size_t)r * A->k);
		}
	}
	ra->nseg = inside ? g->kh : 1;
	ra->seglen = inside ? g->kw * g->cin : A->k;
	ra->ld = inside ? g->w * g->cin : 0;
}

/* The product with vectors of VW floats: panels of 4 (AVX-512 only) and 2 vectors, then
 * narrower ones, then the last columns one by one (none in MobileNetV2, whose widths are
 * multiples of 8).  When A is the smaller matrix (the last blocks: 49 rows against up to
 * 960 x 320 weights) the panels are the outer loop, so each panel of W is read from memory
 * once and A stays in L2; else the tiles of rows are, and W (small there) stays in L1/L2.
 * Tiles are of 6 rows, the last few of 5 so that none is partly empty (49 rows: 4 x 6 +
 * 5 x 5, where 9 tiles of 6 computed 54: the 7x7 blocks ran at 80 GFLOP/s, the 14x14 ones
 * at 100); a single row (the ImageNet logits) is a plain vector-matrix product. */
#define PW_KERNEL(NAME, VW, ATTR)                                                            \
ATTR static void NAME(const struct pw_a *A, int m, const float *w, int n,                    \
		      const float *bias, int act, float *c)                                   \
{                                                                                            \
	const int k = A->k;                                                                  \
	struct pw_rows ra;                                                                   \
	if (m == 1) {                                                                        \
		pw_rows_of(A, 0, 1, &ra);                                                    \
		for (int jj = 0; jj < n; jj++)                                               \
			c[jj] = bias[jj];                                                    \
		const float *wq = w;                                                         \
		for (int s = 0; s < ra.nseg; s++)                                            \
			for (int q = 0; q < ra.seglen; q++, wq += n) {                       \
				const float x = ra.ar[0][(size_t)s * ra.ld + q];             \
				for (int jj = 0; jj < n; jj++)                               \
					c[jj] += x * wq[jj];                                 \
			}                                                                    \
		for (int jj = 0; jj < n; jj++)                                               \
			c[jj] = clamp1(c[jj], act);                                          \
		return;                                                                      \
	}                                                                                    \
	int seg_j[64], seg_w[64], n_seg = 0, j = 0;                                          \
	for (; VW == 16 && j + 4 * VW <= n && n_seg < 60; j += 4 * VW, n_seg++)              \
		seg_j[n_seg] = j, seg_w[n_seg] = 4 * VW;                                     \
	for (; j + 2 * VW <= n && n_seg < 61; j += 2 * VW, n_seg++)                          \
		seg_j[n_seg] = j, seg_w[n_seg] = 2 * VW;                                     \
	for (; j + VW <= n && n_seg < 62; j += VW, n_seg++)                                  \
		seg_j[n_seg] = j, seg_w[n_seg] = VW;                                         \
	for (; VW > 8 && j + 8 <= n && n_seg < 63; j += 8, n_seg++)                          \
		seg_j[n_seg] = j, seg_w[n_seg] = 8;                                          \
	for (; VW > 4 && j + 4 <= n && n_seg < 64; j += 4, n_seg++)                          \
		seg_j[n_seg] = j, seg_w[n_seg] = 4;                                          \
	const int j_scalar = j;                                                              \
	/* n_tiles tiles: the first n6 of 6 rows, the rest of 5 (or, for fewer than 20	     \
	   rows, all of 6 with the last one partly repeated) */                              \
	const int n_tiles = (m + PW_MR - 1) / PW_MR, n5 = PW_MR * n_tiles - m;               \
	const int n6 = n5 <= n_tiles ? n_tiles - n5 : n_tiles;                               \
	const int by_panel = (size_t)m * k <= (size_t)k * n;                                 \
	const int outer = by_panel ? n_seg : n_tiles;                                        \
	const int inner = by_panel ? n_tiles : n_seg;                                        \
	for (int o = 0; o < outer; o++)                                                      \
		for (int in_ = 0; in_ < inner; in_++) {                                      \
			const int s = by_panel ? o : in_, t = by_panel ? in_ : o;            \
			const int i = t < n6 ? t * PW_MR : n6 * PW_MR + (t - n6) * 5;        \
			const int mr = t < n6 ? PW_MR : 5;                                   \
			const int rows = m - i < mr ? m - i : mr;                            \
			float *ci = c + (size_t)i * n;                                       \
			if (by_panel || in_ == 0)                                            \
				pw_rows_of(A, i, rows, &ra);                                 \
			const int sj = seg_j[s], sw = seg_w[s];                              \
			if (mr == PW_MR)                                                     \
				PW_TILE(VW, 6);                                              \
			else                                                                 \
				PW_TILE(VW, 5);                                              \
		}                                                                            \
	/* the last columns (past 64 segments), 4 at a time with the columns inner, so that   \
	   each sum is one multiply-add per q in order whatever the segments' lengths (a sum  \
	   over q alone was vectorised as products added in order, unfused, when a segment  \
	   was long enough) */                                                               \
	for (int i = 0; i < m && j_scalar < n; i++) {                                        \
		pw_rows_of(A, i, 1, &ra);                                                    \
		for (int j0 = j_scalar; j0 < n; j0 += 4) {                                   \
			const int nj = n - j0 < 4 ? n - j0 : 4;                              \
			float y[4];                                                          \
			for (j = 0; j < nj; j++)                                             \
				y[j] = bias[j0 + j];                                         \
			const float *wq = w + j0;                                            \
			for (int s = 0; s < ra.nseg; s++)                                    \
				for (int q = 0; q < ra.seglen; q++, wq += n) {               \
					const float x = ra.ar[0][(size_t)s * ra.ld + q];     \
					for (j = 0; j < nj; j++)                             \
						y[j] += x * wq[j];                           \
				}                                                            \
			for (j = 0; j < nj; j++)                                             \
				c[(size_t)i * n + j0 + j] = clamp1(y[j], act);               \
		}                                                                            \
	}                                                                                    \
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
PW_KERNEL(pw_v4, 16, __attribute__((target("arch=x86-64-v4"), PW_OPT)))
PW_KERNEL(pw_v3, 8, __attribute__((target("arch=x86-64-v3"), PW_OPT)))
#endif
PW_KERNEL(pw_base, 4, __attribute__((PW_OPT)))

static void pw(const struct pw_a *A, int m, const float *w, int n, const float *bias, int act,
	       float *c)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	static int isa = -1;   /* 2 AVX-512, 1 AVX2+FMA, 0 neither; a benign race: same value */
	if (isa < 0) {
		__builtin_cpu_init();
		isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 2
		      : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
	}
	if (isa == 2)
		pw_v4(A, m, w, n, bias, act, c);
	else if (isa == 1)
		pw_v3(A, m, w, n, bias, act, c);
	else
#endif
		pw_base(A, m, w, n, bias, act, c);
}

void vis_k_matmul(const float *a, int m, int k, const float *w, int n, const float *bias,
		  int act, float *c)
{
	const struct pw_a A = { .a = a, .k = k };
	pw(&A, m, w, n, bias, act, c);
}

void vis_k_conv(const struct vis_k_conv *g, const float *in, const float *w,
		const float *bias, int act, float *patch, float *out)
{
	const int m = g->oh * g->ow, k = g->kh * g->kw * g->cin;
	struct pw_a A = { .a = in, .k = k };
	if (!(g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pt == 0 && g->pl == 0))
		A.g = g, A.in = in, A.patch = patch;     /* else the input is A as it is */
	pw(&A, m, w, g->cout, bias, act, out);
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

/* Sixteen floats: one AVX-512 register in the x86-64-v4 clone, two AVX2 registers in the
 * v3 one, four SSE registers in the plain one.  aligned(4): loads from any float. */
typedef float v16 __attribute__((vector_size(64), aligned(4)));
/* static helpers only: the vector return type's ABI never crosses a call between clones */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef int32_t v16i __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) v16 clamp16(v16 x, int act)
{
	const v16 zero = { 0 }, six = zero + 6.f;
	if (act >= 1)
		x = (v16)((v16i)x & (x > zero));            /* lanes <= 0 (and NaN) -> 0 */
	if (act == 2) {
		v16i big = x > six;
		x = (v16)(((v16i)x & ~big) | ((v16i)six & big));
	}
	return x;
}

/* One output row of the depthwise convolution: for each output pixel, its channels 16 at
 * a time, each accumulated in a register over the taps and written once (the earlier
 * kernel added each tap to the whole output pixel in memory: a load and a store of it per
 * tap).  Pixel by pixel with the channels inner, as the input is laid out (HWC): a channel
 * block walking a whole row before the next one left L1 for L2 and measured slower.
 * Its input is read as it is: the expanding convolution before it applies its own ReLU6
 * in the product's one store (this kernel used to clamp each input vector as it read it,
 * up to nine times a value, 4 instructions a vector: 40 % of its instructions). */
#define DW_T 4

static inline __attribute__((always_inline)) void
dw_one(const struct vis_k_conv *g, const float *in, const int row_lo, const float *w,
       const float *bias, int act, int iy0, int ky0, int ky1, int ox, float *out);

static inline __attribute__((always_inline)) void
dw_row_body(const struct vis_k_conv *g, const float *in, const int row_lo, const int st,
	    const float *w, const float *bias, int act, int oy, float *out)
{
	const int c = g->cin, kw = g->kw;
	const int iy0 = oy * g->stride - g->pt;      /* input row of tap ky = 0 */
	const int ky0 = iy0 < 0 ? -iy0 : 0;
	const int ky1 = g->h - iy0 < g->kh ? g->h - iy0 : g->kh;
	int ox = 0;
	/* 3x3 with all three rows inside: DW_T neighbouring outputs at a time, so each input
	 * vector loaded serves every output whose taps cover it and the nine weights are
	 * loaded once for the DW_T (loads per multiply-add: 2 -> ~0.9 at stride 1) */
	if (g->kh == 3 && kw == 3 && ky0 == 0 && ky1 == 3 && (c & 15) == 0 && st == g->stride) {
		/* first output whose taps are all inside the row, and one past the last */
		int lo = (g->pl + st - 1) / st;
		int hi = g->w - 3 + g->pl >= 0 ? (g->w - 3 + g->pl) / st + 1 : 0;
		if (hi > g->ow)
			hi = g->ow;
		for (; ox < lo && ox < g->ow; ox++)
			dw_one(g, in, row_lo, w, bias, act, iy0, ky0, ky1, ox, out);
		for (; ox + DW_T <= hi; ox += DW_T) {
			const int ix = ox * st - g->pl;
			for (int ch = 0; ch < c; ch += 16) {
				v16 acc[DW_T];
				for (int t = 0; t < DW_T; t++)
					acc[t] = *(const v16 *)(bias + ch);
				for (int ky = 0; ky < 3; ky++) {
					const float *r = in + ((size_t)(iy0 + ky - row_lo) * g->w + (size_t)ix) *
								   c + ch;
					const v16 w0 = *(const v16 *)(w + (size_t)(ky * 3) * c + ch);
					const v16 w1 = *(const v16 *)(w + (size_t)(ky * 3 + 1) * c + ch);
					const v16 w2 = *(const v16 *)(w + (size_t)(ky * 3 + 2) * c + ch);
					v16 col[(DW_T - 1) * 2 + 3];
					for (int q = 0; q < (DW_T - 1) * st + 3; q++)
						col[q] = *(const v16 *)(r + (size_t)q * c);
					/* this order of sums (a row of taps, then the
					 * accumulator) is what the catalogue's embeddings
					 * and the category head were made with: three
					 * separate multiply-adds moved the embeddings' last
					 * bits and 3 of 341 validation photos across the
					 * head's boundaries (84.16 % vs 85.04 %) */
					for (int t = 0; t < DW_T; t++)
						acc[t] += col[t * st] * w0 + col[t * st + 1] * w1 +
							  col[t * st + 2] * w2;
				}
				for (int t = 0; t < DW_T; t++)
					*(v16 *)(out + (size_t)(ox + t) * c + ch) = clamp16(acc[t], act);
			}
		}
	}
	for (; ox < g->ow; ox++)
		dw_one(g, in, row_lo, w, bias, act, iy0, ky0, ky1, ox, out);
}

/* One output pixel of the depthwise convolution, any kernel, taps clipped to the input. */
static inline __attribute__((always_inline)) void
dw_one(const struct vis_k_conv *g, const float *in, const int row_lo, const float *w,
       const float *bias, int act, int iy0, int ky0, int ky1, int ox, float *out)
{
	const int c = g->cin, kw = g->kw;
	{
		const int ix = ox * g->stride - g->pl;
		const int kx0 = ix < 0 ? -ix : 0, kx1 = g->w - ix < kw ? g->w - ix : kw;
		float *o = out + (size_t)ox * c;
		int ch = 0;
		for (; ch + 16 <= c; ch += 16) {
			v16 acc = *(const v16 *)(bias + ch);
			for (int ky = ky0; ky < ky1; ky++) {
				const float *r = in + ((size_t)(iy0 + ky - row_lo) * g->w + (size_t)(ix + kx0)) *
							   c + ch;
				const float *wk = w + ((size_t)ky * kw + kx0) * c + ch;
				for (int kx = 0; kx < kx1 - kx0; kx++)
					acc += *(const v16 *)(r + (size_t)kx * c) *
					       *(const v16 *)(wk + (size_t)kx * c);
			}
			*(v16 *)(o + ch) = clamp16(acc, act);
		}
		for (; ch < c; ch++) {     /* channels past the last block of 16 */
			float acc = bias[ch];
			for (int ky = ky0; ky < ky1; ky++)
				for (int kx = kx0; kx < kx1; kx++)
					acc += in[((size_t)(iy0 + ky - row_lo) * g->w +
						      (size_t)(ix + kx)) * c + ch] *
					       w[((size_t)ky * kw + kx) * c + ch];
			o[ch] = clamp1(acc, act);
		}
	}
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"),
	       optimize("O3", "fp-contract=fast")))
static void dw_row(const struct vis_k_conv *g, const float *in, int row_lo, const float *w,
		   const float *bias, int act, int oy, float *out)
{
	/* the stride as a constant: with a run-time stride the columns of a 4-output tile
	 * were indexed at run time, so GCC kept them on the stack (the kernel ran at 15-23
	 * GFLOP/s, mostly moving them) */
	if (g->stride == 1)
		dw_row_body(g, in, row_lo, 1, w, bias, act, oy, out);
	else if (g->stride == 2)
		dw_row_body(g, in, row_lo, 2, w, bias, act, oy, out);
	else
		dw_row_body(g, in, row_lo, 0, w, bias, act, oy, out);
}

void vis_k_depthwise_rows(const struct vis_k_conv *g, const float *in, int row_lo,
			  const float *w, const float *bias, int act, int oy0, int oy1,
			  float *out)
{
	for (int oy = oy0; oy < oy1; oy++)
		dw_row(g, in, row_lo, w, bias, act, oy,
		       out + (size_t)(oy - oy0) * g->ow * g->cin);
}

void vis_k_depthwise(const struct vis_k_conv *g, const float *in, const float *w,
		     const float *bias, int act, float *out)
{
	vis_k_depthwise_rows(g, in, 0, w, bias, act, 0, g->oh, out);
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
