/* vision/test_cnn.c — 'vision: cnn kernels vs naive' and 'vision: cnn matches tfjs'.
 *
 *   test_vis_cnn kernels           the convolution (patches read in place) and the direct
 *                                  depthwise kernel against naive loops (random sizes,
 *                                  strides, padding), tolerance 1e-4 relative; the
 *                                  convolution bit for bit against im2col + the product,
 *                                  the depthwise kernel's bands against its whole pass.
 *   test_vis_cnn parity MODELS_DIR both converted nsfwjs models on the committed PNG inputs
 *                                  against the package's own tfjs outputs
 *                                  (vision/testdata/cnn_reference.txt): probabilities and
 *                                  every embedding value within 1e-4 (·(1+|v|) for the
 *                                  embedding, whose values reach ~10).  Exits 77 (skipped)
 *                                  only when a model file is absent.
 *   test_vis_cnn imagenet MODELS   the ImageNet MobileNetV2 converted from uint8 TFLite
 *                                  names the usual Grace Hopper picture "military uniform"
 *                                  (no tfjs reference exists for it; 77 if absent).
 */
#include "vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnn_kernels.h"
#include "file.h"
#include "rng.h"
#include "tensor.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static uint32_t rng = 2463534242u;
static float frand(void)
{
	return (float)(cm_xorshift32(&rng) % 20001) / 10000.f - 1.f;
}

static float naive_at(const struct vis_k_conv *g, const float *in, const float *w, int oy,
		      int ox, int co, int dw)
{
	double s = 0;
	for (int ky = 0; ky < g->kh; ky++)
		for (int kx = 0; kx < g->kw; kx++) {
			int iy = oy * g->stride - g->pt + ky, ix = ox * g->stride - g->pl + kx;
			if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
				continue;
			if (dw)
				s += (double)in[((size_t)iy * g->w + ix) * g->cin + co] *
				     w[((size_t)ky * g->kw + kx) * g->cin + co];
			else
				for (int ci = 0; ci < g->cin; ci++)
					s += (double)in[((size_t)iy * g->w + ix) * g->cin + ci] *
					     w[(((size_t)ky * g->kw + kx) * g->cin + ci) * g->cout + co];
		}
	return (float)s;
}

/* The fused passes' depthwise over bands (vis_k_depthwise_rows): output rows two at a
 * time, each band read from a copy holding only the input rows its taps reach, must give
 * exactly what the whole pass gave (full).  1 if any value differs. */
static int band_differs(const struct vis_k_conv *g, const float *in, const float *w, const float *b, int act, const float *full)
{
	const size_t row = (size_t)g->w * g->cin, orow = (size_t)g->ow * g->cout;
	float *part = malloc(sizeof(float) * row * (size_t)g->h);
	float *out = malloc(sizeof(float) * orow * 2);
	int differs = 0;
	for (int oy0 = 0; oy0 < g->oh; oy0 += 2) {
		int oy1 = oy0 + 2 < g->oh ? oy0 + 2 : g->oh;
		int lo = oy0 * g->stride - g->pt, hi = (oy1 - 1) * g->stride - g->pt + g->kh;
		lo = lo < 0 ? 0 : lo;
		hi = hi > g->h ? g->h : hi;
		memcpy(part, in + (size_t)lo * row, sizeof(float) * row * (size_t)(hi - lo));
		vis_k_depthwise_rows(g, part, lo, w, b, act, oy0, oy1, out);
		differs |= memcmp(out, full + (size_t)oy0 * orow,
				  sizeof(float) * orow * (size_t)(oy1 - oy0)) != 0;
	}
	free(part);
	free(out);
	return differs;
}

static void kernels(void)
{
	const int cases[][6] = { /* h, cin, cout, k, stride, pad_top_left */
		{ 9, 3, 8, 3, 2, 0 }, { 8, 5, 7, 3, 1, 1 }, { 7, 16, 12, 1, 1, 0 },
		{ 10, 4, 6, 3, 2, 1 }, { 6, 8, 8, 1, 2, 0 }, { 5, 2, 3, 5, 1, 2 },
		/* channels past 16: the depthwise kernel's blocks of 16 and its tail */
		{ 9, 40, 24, 3, 1, 1 }, { 11, 35, 16, 3, 2, 1 }, { 8, 48, 8, 3, 2, 0 },
		/* the 3x3 kernel's tiles of outputs (widths multiple of 16), narrow rows */
		{ 12, 32, 8, 3, 1, 1 }, { 13, 16, 16, 3, 2, 1 }, { 2, 16, 8, 3, 1, 1 },
		{ 1, 32, 8, 3, 1, 0 },
		/* one output pixel (the vector-matrix path), padding on every side */
		{ 3, 3, 5, 3, 2, 0 }, { 4, 3, 32, 3, 2, 1 }, { 6, 2, 9, 5, 2, 2 },
	};
	for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
		const int *c = cases[t];
		for (int dw = 0; dw < 2; dw++) {
			struct vis_k_conv g = { .h = c[0], .w = c[0] + 1, .cin = c[1], .kh = c[3],
						.kw = c[3], .stride = c[4], .pt = c[5], .pl = c[5] };
			g.cout = dw ? c[1] : c[2];
			int pb = c[5];
			g.oh = (g.h + g.pt + pb - g.kh) / g.stride + 1;
			g.ow = (g.w + g.pl + pb - g.kw) / g.stride + 1;
			size_t nin = (size_t)g.h * g.w * g.cin, nout = (size_t)g.oh * g.ow * g.cout;
			size_t nw = (size_t)g.kh * g.kw * g.cin * (dw ? 1 : g.cout);
			float *in = malloc(nin * 4), *w = malloc(nw * 4), *b = malloc(g.cout * 4);
			float *out = malloc(nout * 4);
			const size_t k = (size_t)g.kh * g.kw * g.cin;
			float *col = malloc((size_t)g.oh * g.ow * k * 4);
			float *patch = malloc(VIS_K_PATCH_ROWS * k * 4), *ref = malloc(nout * 4);
			for (size_t i = 0; i < nin; i++) in[i] = frand() * 3;
			for (size_t i = 0; i < nw; i++) w[i] = frand();
			for (int i = 0; i < g.cout; i++) b[i] = frand();
			for (int act = 0; act < 3; act++) {
				if (dw)
					vis_k_depthwise(&g, in, w, b, act, out);
				else
					vis_k_conv(&g, in, w, b, act, patch, out);
				float worst = 0;
				for (int oy = 0; oy < g.oh; oy++)
					for (int ox = 0; ox < g.ow; ox++)
						for (int co = 0; co < g.cout; co++) {
							float r = naive_at(&g, in, w, oy, ox, co, dw) +
								  b[co];
							if (act >= 1 && r < 0) r = 0;
							if (act == 2 && r > 6) r = 6;
							float e = fabsf(out[((size_t)oy * g.ow + ox) * g.cout + co] - r) /
								  (1.f + fabsf(r));
							if (e > worst) worst = e;
						}
				if (worst > 1e-4f)
					fprintf(stderr, "case %zu dw %d act %d: error %g\n", t, dw, act,
						worst);
				CHECK(worst <= 1e-4f);
				if (dw) {
					CHECK(!band_differs(&g, in, w, b, act, out));
					continue;
				}
				/* the convolution reads its patches in place: exactly the values
				   of the product over im2col's rows (the same sums in order) */
				vis_k_im2col(&g, in, col);
				vis_k_matmul(col, g.oh * g.ow, (int)k, w, g.cout, b, act, ref);
				CHECK(!memcmp(ref, out, nout * 4));
			}
			free(in); free(w); free(b); free(out); free(col); free(patch); free(ref);
		}
	}
	/* a product wider than its 64 panels: the columns past them, 4 at a time */
	{
		enum { M = 7, K = 5, N = 64 * 64 + 7 };
		float *a = malloc(M * K * 4), *w = malloc(K * N * 4), *b = malloc(N * 4);
		float *c = malloc(M * N * 4);
		for (int i = 0; i < M * K; i++) a[i] = frand();
		for (int i = 0; i < K * N; i++) w[i] = frand();
		for (int i = 0; i < N; i++) b[i] = frand();
		vis_k_matmul(a, M, K, w, N, b, 1, c);
		float worst = 0;
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				double r = b[j];
				for (int q = 0; q < K; q++)
					r += (double)a[i * K + q] * w[q * N + j];
				r = r < 0 ? 0 : r;
				float e = fabsf(c[i * N + j] - (float)r) / (1.f + fabsf((float)r));
				worst = e > worst ? e : worst;
			}
		CHECK(worst <= 1e-5f);
		free(a); free(w); free(b); free(c);
	}
	float a[6] = { 1, 2, 3, 4, 5, 6 }, p[3];
	vis_k_avgpool(a, 2, 3, p);
	CHECK(p[0] == 2.5f && p[1] == 3.5f && p[2] == 4.5f);
}

static int read_png(const char *name, struct vis_image *img)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/vision/testdata/%s.png", KEFU_SRCDIR, name);
	size_t n;
	uint8_t *buf = (uint8_t *)cm_read_file(path, &n);
	if (!buf)
		return -1;
	char err[200];
	int rc = vis_decode(buf, n, NULL, img, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err);
	free(buf);
	return rc;
}

static int parity(const char *models)
{
	const char *names[] = { "nsfw_mobilenet_v2", "mobilenet_v2_mid" };
	struct vis_cnn *m[2];
	char path[1024], err[300];
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s.kfm", models, names[i]);
		if (access(path, R_OK)) {
			printf("SKIP: %s absent (scripts/setup.sh converts it)\n", path);
			return 77;
		}
		m[i] = vis_cnn_open(path, err, sizeof err);
		if (!m[i]) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	CHECK(!strcmp(vis_cnn_class_name(m[0], 3), "porn"));
	CHECK(vis_cnn_embed_dim(m[0]) == 1280 && vis_cnn_embed_dim(m[1]) == 1792);

	snprintf(path, sizeof path, "%s/vision/testdata/cnn_reference.txt", KEFU_SRCDIR);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return 1;
	char model[64], image[64], word[16];
	int n_lines = 0;
	float probs[16], *embed = malloc(sizeof(float) * 4096), *ref = malloc(sizeof(float) * 4096);
	struct vis_cnn_state *st[2] = { vis_cnn_state_create(m[0]), vis_cnn_state_create(m[1]) };
	CHECK(st[0] && st[1]);
	char line[64];
	while (fscanf(f, "%63s", line) == 1) {
		if (line[0] == '#') {
			int ch;
			while ((ch = fgetc(f)) != '\n' && ch != EOF)
				;
			continue;
		}
		snprintf(model, sizeof model, "%s", line);
		int np = 0, ne = 0;
		if (fscanf(f, "%63s %15s %d", image, word, &np) != 3 || np != 5)
			break;
		float rp[5];
		for (int i = 0; i < np; i++)
			if (fscanf(f, "%f", &rp[i]) != 1)
				goto bad;
		if (fscanf(f, "%15s %d", word, &ne) != 2 || ne > 4096)
			goto bad;
		for (int i = 0; i < ne; i++)
			if (fscanf(f, "%f", &ref[i]) != 1)
				goto bad;
		int k = strcmp(model, names[0]) ? 1 : 0;
		CHECK(!strcmp(model, names[k]) && ne == vis_cnn_embed_dim(m[k]));
		struct vis_image img;
		CHECK(read_png(image, &img) == 0);
		if (!img.rgb)
			continue;
		vis_cnn_set_image(m[k], st[k], &img);
		vis_cnn_run(m[k], st[k], probs, embed);
		float dp = 0, de = 0;
		for (int i = 0; i < 5; i++)
			dp = fmaxf(dp, fabsf(probs[i] - rp[i]));
		for (int i = 0; i < ne; i++)
			de = fmaxf(de, fabsf(embed[i] - ref[i]) / (1.f + fabsf(ref[i])));
		printf("%-18s %-11s max |dp| %.2e  max |de|/(1+|e|) %.2e  p = %.4f %.4f %.4f %.4f %.4f\n",
		       model, image, dp, de, probs[0], probs[1], probs[2], probs[3], probs[4]);
		CHECK(dp <= 1e-4f);
		CHECK(de <= 1e-4f);
		vis_image_free(&img);
		n_lines++;
	}
	CHECK(n_lines == 6);
	fclose(f);
	free(embed);
	free(ref);
	vis_cnn_state_destroy(st[0]);
	vis_cnn_state_destroy(st[1]);
	vis_cnn_close(m[0]);
	vis_cnn_close(m[1]);
	return 0;
bad:
	fprintf(stderr, "%s: unreadable line for %s\n", path, model);
	return 1;
}

/* A damaged model file must be refused at open, not crash a worker later. */
static void damaged(const char *models)
{
	char path[1024], tmp[] = "/tmp/kefu-cnn-XXXXXX", err[300];
	snprintf(path, sizeof path, "%s/nsfw_mobilenet_v2.kfm", models);
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static uint8_t head[1 << 16];
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	int fd = mkstemp(tmp);
	CHECK(fd >= 0 && write(fd, head, n) == (ssize_t)n);  /* truncated: tables, no data */
	close(fd);
	struct vis_cnn *m = vis_cnn_open(tmp, err, sizeof err);
	CHECK(m == NULL && strstr(err, "bounds"));
	head[8] = 2;  /* version 2 */
	FILE *g = fopen(tmp, "wb");
	fwrite(head, 1, n, g);
	fclose(g);
	m = vis_cnn_open(tmp, err, sizeof err);
	CHECK(m == NULL && strstr(err, "version"));
	unlink(tmp);
}

static int imagenet(const char *models)
{
	char path[1024], err[300];
	snprintf(path, sizeof path, "%s/mobilenet_v2_imagenet.kfm", models);
	if (access(path, R_OK)) {
		printf("SKIP: %s absent (scripts/setup.sh converts it from third_party/)\n", path);
		return 77;
	}
	struct vis_cnn *m = vis_cnn_open(path, err, sizeof err);
	CHECK(m != NULL);
	if (!m)
		return 1;
	CHECK(vis_cnn_n_classes(m) == 1001 && vis_cnn_embed_dim(m) == 1280);
	struct vis_image img;
	struct vis_cnn_state *st = vis_cnn_state_create(m);
	float *p = malloc(sizeof(float) * 1001);
	snprintf(path, sizeof path, "%s/vision/testdata/grace_hopper_224.jpg", KEFU_SRCDIR);
	size_t n = 0;
	uint8_t *buf = (uint8_t *)cm_read_file(path, &n);
	CHECK(buf && vis_decode(buf, n, NULL, &img, err, sizeof err) == 0);
	free(buf);
	if (img.rgb) {
		vis_cnn_set_image(m, st, &img);
		vis_cnn_run(m, st, p, NULL);
		int best = 0;
		for (int i = 1; i < 1001; i++)
			if (p[i] > p[best])
				best = i;
		printf("imagenet top-1: %s %.3f\n", vis_cnn_class_name(m, best), p[best]);
		CHECK(!strcmp(vis_cnn_class_name(m, best), "military uniform") && p[best] > 0.5f);
	}
	vis_image_free(&img);
	free(p);
	vis_cnn_state_destroy(st);
	vis_cnn_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	cm_blas_single_thread();
	if (argc >= 2 && !strcmp(argv[1], "kernels")) {
		kernels();
	} else if (argc >= 3 && !strcmp(argv[1], "parity")) {
		int rc = parity(argv[2]);
		if (rc)
			return rc;
		damaged(argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "imagenet")) {
		int rc = imagenet(argv[2]);
		if (rc)
			return rc;
	} else {
		fprintf(stderr, "usage: test_vis_cnn kernels | parity MODELS_DIR | imagenet MODELS_DIR\n");
		return 2;
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
