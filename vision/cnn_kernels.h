/* vision/cnn_kernels.h — the convolution kernels only a CNN needs (prefix vis_k_).
 *
 * Layout everywhere: one picture, HWC (row-major height × width × channels), float32.
 * The convolutions' matrix product is vis_k_matmul, kefu's own (no OpenBLAS: its packing
 * and the passes around it cost a quarter of a forward pass; docs/performance.md).
 * Pure functions over caller-owned memory; any thread; no allocation.  Each kernel is
 * checked against a naive loop in vision/test_cnn.c.
 */
#ifndef KEFU_VISION_CNN_KERNELS_H
#define KEFU_VISION_CNN_KERNELS_H

struct vis_k_conv {
	int h, w, cin;          /* input */
	int oh, ow, cout;       /* output */
	int kh, kw, stride;
	int pt, pl;             /* zero padding above and left (below/right follow from sizes) */
};

/* Rows of a convolution's product read at once (the product's tile). */
#define VIS_K_PATCH_ROWS 6

/* The patch of output pixel (oy, ox): row[(ky·kw + kx)·cin + ci], zeros outside the input. */
void vis_k_patch(const struct vis_k_conv *g, const float *in, int oy, int ox, float *row);

/* Rows of patches: col[(oy·ow + ox)][...] as vis_k_patch (the tests' reference). */
void vis_k_im2col(const struct vis_k_conv *g, const float *in, float *col);

/* Full convolution: out = conv(in, w[kh][kw][cin][cout]) + bias, then act (0 none, 1 relu,
 * 2 relu6).  The product reads the patches in the input where they lie inside it; patch
 * is scratch of VIS_K_PATCH_ROWS·kh·kw·cin floats for those that reach the padding
 * (unused for 1×1 stride-1 kernels).  The same values as vis_k_im2col + vis_k_matmul. */
void vis_k_conv(const struct vis_k_conv *g, const float *in, const float *w,
		const float *bias, int act, float *patch, float *out);

/* c[m][n] = act(a[m][k] · w[k][n] + bias[n]): the product behind every convolution, read
 * in place (no packing), bias and activation applied before the one store. */
void vis_k_matmul(const float *a, int m, int k, const float *w, int n, const float *bias,
		  int act, float *c);

/* Depthwise convolution (cout == cin): direct loops over w[kh][kw][c] + bias, then act. */
void vis_k_depthwise(const struct vis_k_conv *g, const float *in, const float *w,
		     const float *bias, int act, float *out);

/* Output rows [oy0, oy1) of the same into out (out[0] is row oy0's first value), the input
 * holding only the rows from row_lo on (in points at input row row_lo; the rows the taps
 * of those outputs reach must be there): the fused expand + depthwise pass of cnn.c feeds
 * it a band of expanded rows. */
void vis_k_depthwise_rows(const struct vis_k_conv *g, const float *in, int row_lo,
			  const float *w, const float *bias, int act, int oy0, int oy1,
			  float *out);

/* y[i] = act(y[i] + bias[i mod n]) over rows·n values. */
/* y[0..n) <- ReLU (act 1) or ReLU6 (act 2) of itself; act 0 leaves it. */
void vis_k_act(float *y, long n, int act);
void vis_k_bias_act(float *y, const float *bias, int rows, int n, int act);

/* out = a + b over n values. */
void vis_k_add(const float *a, const float *b, float *out, int n);

/* out[c] = mean over the h·w positions of in[·][c]. */
void vis_k_avgpool(const float *in, int hw, int c, float *out);

#endif
