/* vision/image.c — the RGB8 picture type: allocation, EXIF orientation, bilinear resize.
 *
 * Pure functions over caller-owned pictures; any thread.
 */
#include "vision.h"

#include <stdlib.h>
#include <string.h>

int vis_image_alloc(struct vis_image *img, int w, int h)
{
	img->w = img->h = 0;
	img->rgb = NULL;
	if (w <= 0 || h <= 0)
		return VIS_E_ARG;
	img->rgb = malloc((size_t)w * (size_t)h * 3);
	if (!img->rgb)
		return VIS_E_NOMEM;
	img->w = w;
	img->h = h;
	return 0;
}

void vis_image_free(struct vis_image *img)
{
	if (!img)
		return;
	free(img->rgb);
	img->rgb = NULL;
	img->w = img->h = 0;
}

/* EXIF orientation o, as the displayed picture's pixel (x, y) -> stored pixel (sx, sy).
 * 1 normal, 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW,
 * 7 transverse, 8 rotate 90 CCW (values from the EXIF 2.3 spec, tag 0x0112). */
int vis_image_orient(struct vis_image *img, int o)
{
	if (o <= 1 || o > 8 || !img->rgb)
		return 0;
	int sw = img->w, sh = img->h;
	int swap = o >= 5;
	int dw = swap ? sh : sw, dh = swap ? sw : sh;
	uint8_t *dst = malloc((size_t)dw * dh * 3);
	if (!dst)
		return VIS_E_NOMEM;
	for (int y = 0; y < dh; y++) {
		for (int x = 0; x < dw; x++) {
			int sx, sy;
			switch (o) {
			case 2: sx = sw - 1 - x; sy = y; break;
			case 3: sx = sw - 1 - x; sy = sh - 1 - y; break;
			case 4: sx = x; sy = sh - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = sh - 1 - x; break;
			case 7: sx = sw - 1 - y; sy = sh - 1 - x; break;
			default: sx = sw - 1 - y; sy = x; break; /* 8 */
			}
			memcpy(dst + ((size_t)y * dw + x) * 3, img->rgb + ((size_t)sy * sw + sx) * 3, 3);
		}
	}
	free(img->rgb);
	img->rgb = dst;
	img->w = dw;
	img->h = dh;
	return 0;
}

/* Grey first, then the integer upscale of the one grey channel (bilinear, pixel centres
 * as vis_image_resize without aligned corners, in 8-bit fixed point with the weights of
 * each column computed once): resizing the RGB picture in float before the grey was a
 * third of a screenshot's worker CPU (codes' 2x pass) and most of the OCR thread's own. */
uint8_t *vis_image_grey(const struct vis_image *img, int scale, int *w, int *h)
{
	const size_t n = (size_t)img->w * img->h;
	uint8_t *g = malloc(n);
	if (!g)
		return NULL;
	for (size_t i = 0; i < n; i++)
		g[i] = (uint8_t)((299 * img->rgb[3 * i] + 587 * img->rgb[3 * i + 1] +
				  114 * img->rgb[3 * i + 2] + 500) / 1000);
	*w = img->w;
	*h = img->h;
	if (scale <= 1)
		return g;
	const int sw = img->w, sh = img->h, dw = sw * scale, dh = sh * scale;
	uint8_t *big = malloc((size_t)dw * dh);
	int *x0 = malloc(sizeof(int) * (size_t)dw * 3);
	if (!big || !x0) {
		free(big);
		free(x0);
		free(g);
		return NULL;
	}
	int *x1 = x0 + dw, *wx = x1 + dw;           /* wx: weight of x1 in 1/256 */
	for (int x = 0; x < dw; x++) {
		float fx = (x + 0.5f) / (float)scale - 0.5f;
		fx = fx < 0 ? 0 : fx;
		x0[x] = (int)fx;
		x1[x] = x0[x] + 1 < sw ? x0[x] + 1 : sw - 1;
		wx[x] = (int)((fx - (float)x0[x]) * 256.f + 0.5f);
	}
	for (int y = 0; y < dh; y++) {
		float fy = (y + 0.5f) / (float)scale - 0.5f;
		fy = fy < 0 ? 0 : fy;
		const int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
		const int wy = (int)((fy - (float)y0) * 256.f + 0.5f);
		const uint8_t *r0 = g + (size_t)y0 * sw, *r1 = g + (size_t)y1 * sw;
		uint8_t *d = big + (size_t)y * dw;
		for (int x = 0; x < dw; x++) {
			int top = r0[x0[x]] * 256 + (r0[x1[x]] - r0[x0[x]]) * wx[x];
			int bot = r1[x0[x]] * 256 + (r1[x1[x]] - r1[x0[x]]) * wx[x];
			d[x] = (uint8_t)((top * 256 + (bot - top) * wy + 32768) >> 16);
		}
	}
	free(x0);
	free(g);
	*w = dw;
	*h = dh;
	return big;
}

void vis_image_resize(const struct vis_image *src, struct vis_image *dst, int align_corners)
{
	float sy_scale, sx_scale;
	if (align_corners) {
		sy_scale = dst->h > 1 ? (float)(src->h - 1) / (float)(dst->h - 1) : 0.f;
		sx_scale = dst->w > 1 ? (float)(src->w - 1) / (float)(dst->w - 1) : 0.f;
	} else {
		sy_scale = (float)src->h / (float)dst->h;
		sx_scale = (float)src->w / (float)dst->w;
	}
	for (int y = 0; y < dst->h; y++) {
		float fy = align_corners ? y * sy_scale : (y + 0.5f) * sy_scale - 0.5f;
		if (fy < 0)
			fy = 0;
		int y0 = (int)fy, y1 = y0 + 1 < src->h ? y0 + 1 : src->h - 1;
		float wy = fy - (float)y0;
		for (int x = 0; x < dst->w; x++) {
			float fx = align_corners ? x * sx_scale : (x + 0.5f) * sx_scale - 0.5f;
			if (fx < 0)
				fx = 0;
			int x0 = (int)fx, x1 = x0 + 1 < src->w ? x0 + 1 : src->w - 1;
			float wx = fx - (float)x0;
			const uint8_t *p00 = src->rgb + ((size_t)y0 * src->w + x0) * 3;
			const uint8_t *p01 = src->rgb + ((size_t)y0 * src->w + x1) * 3;
			const uint8_t *p10 = src->rgb + ((size_t)y1 * src->w + x0) * 3;
			const uint8_t *p11 = src->rgb + ((size_t)y1 * src->w + x1) * 3;
			uint8_t *d = dst->rgb + ((size_t)y * dst->w + x) * 3;
			for (int c = 0; c < 3; c++) {
				float top = p00[c] + (p01[c] - p00[c]) * wx;
				float bot = p10[c] + (p11[c] - p10[c]) * wx;
				float v = top + (bot - top) * wy + 0.5f;
				d[c] = (uint8_t)(v > 255.f ? 255.f : v);
			}
		}
	}
}
