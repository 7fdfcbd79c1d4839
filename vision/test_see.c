/* vision/test_see.c — 'vision: see pipeline': one picture through every step a worker has
 * (vis_see) with the converted models: a banner's text, entity and safety verdict, a QR
 * code, the embedding's size and norm, and a broken picture refused cleanly.  Exits 77
 * (skipped) only when a model file is absent.
 */
#include "vision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "tensor.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

/* The bytes of vision/testdata/name (malloc'd, *n their count); NULL when unreadable. */
static uint8_t *slurp(const char *name, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/vision/testdata/%s", KEFU_SRCDIR, name);
	return (uint8_t *)cm_read_file(path, n);
}

int main(int argc, char **argv)
{
	char path[1024], err[300];
	struct vis_cnn *m[2] = { 0 };
	const char *names[2] = { "nsfw_mobilenet_v2", "mobilenet_v2_mid" };
	if (argc < 2)
		return 2;
	cm_blas_single_thread();
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s.kfm", argv[1], names[i]);
		if (access(path, R_OK)) {
			printf("SKIP: %s absent (scripts/setup.sh converts it)\n", path);
			return 77;
		}
		if (!(m[i] = vis_cnn_open(path, err, sizeof err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	struct vis_worker *w = vis_worker_create(m[0], m[1], "eng", err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return 1;
	struct vis_seen s;
	size_t n;
	uint8_t *buf = slurp("ocr_banner.png", &n);
	CHECK(buf && vis_see(w, buf, n, NULL, &s, err, sizeof err) == 0);
	printf("banner: %dx%d %s text '%s' entities %d safety top %s %.3f unsafe %d "
	       "ms decode %.1f ocr %.1f codes %.1f cnn %.1f\n", s.w, s.h, vis_format_name(s.format),
	       s.ocr.text, s.n_entities, vis_cnn_class_name(m[0], s.safety_top),
	       s.safety[s.safety_top], s.unsafe, s.ms_decode, s.ms_ocr, s.ms_codes, s.ms_cnn);
	CHECK(s.format == VIS_FMT_PNG && strstr(s.ocr.text, "E1042"));
	CHECK(s.n_entities == 1 && !strcmp(s.entities[0].text, "E1042"));
	CHECK(s.n_safety == 5 && !s.unsafe && s.codes.n == 0);
	CHECK(s.embed_dim == 1792 && s.embed &&
	      fabsf(cm_dot(1792, s.embed, s.embed) - 1.f) < 1e-4f);
	vis_seen_free(&s);

	free(buf);
	buf = slurp("code_qr.png", &n);
	CHECK(buf && vis_see(w, buf, n, NULL, &s, err, sizeof err) == 0);
	CHECK(s.codes.n == 1 && s.codes.v[0].utf8 && strstr(s.codes.v[0].data, "RMA-20931"));
	vis_seen_free(&s);

	free(buf);
	buf = slurp("flag.jpg", &n);
	CHECK(buf && vis_see(w, buf, n / 2, NULL, &s, err, sizeof err) == VIS_E_CORRUPT && err[0]);
	CHECK(s.ocr.text == NULL && s.embed == NULL);
	vis_seen_free(&s);
	free(buf);

	vis_worker_destroy(w);
	vis_cnn_close(m[0]);
	vis_cnn_close(m[1]);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
