/* fuzz/fuzz_model_cnn.c — libFuzzer harness for the `KEFUCNN` model file (vis_cnn_open,
 * vision/cnn.c: header, class names, op and tensor tables, the shape plan), through
 * vis_cnn_open_mem (the parser vis_cnn_open runs on the file it maps) over a 64-byte
 * aligned copy of exactly the input's size, as a mapping is aligned: handing the bytes over
 * as a file (memfd write, open, mmap, munmap) took two thirds of the time.  A model that
 * opens with a small input (at most 32×32, read from the documented header: in_h at byte
 * 20, in_w at 24) is also run once on a grey picture, so a plan that under-sizes a buffer
 * shows up as a bad write; larger ones are only opened, to keep executions fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vision.h"

#define FZ_RUN_SIDE 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	void *copy = NULL;

	if (size && posix_memalign(&copy, 64, size))
		return 0;
	if (size)
		memcpy(copy, data, size);
	struct vis_cnn *m = vis_cnn_open_mem(copy, size, "fuzz.kfm", err, sizeof err);

	if (!m) {
		free(copy);
		return 0;
	}
	uint32_t in_h = get32(data + 20), in_w = get32(data + 24);
	int nc = vis_cnn_n_classes(m), ed = vis_cnn_embed_dim(m);
	for (int i = 0; i < nc; i++)
		(void)strlen(vis_cnn_class_name(m, i));
	if (in_h <= FZ_RUN_SIDE && in_w <= FZ_RUN_SIDE && nc <= 4096 && ed <= 65536) {
		struct vis_cnn_state *st = vis_cnn_state_create(m);
		float *px = calloc((size_t)in_h * in_w * 3, sizeof *px);
		float *probs = calloc((size_t)nc, sizeof *probs);
		float *emb = calloc(ed > 0 ? (size_t)ed : 1, sizeof *emb);
		if (st && px && probs && emb) {
			for (size_t i = 0; i < (size_t)in_h * in_w * 3; i++)
				px[i] = 128;
			vis_cnn_set_pixels(m, st, px);
			(void)vis_cnn_run(m, st, probs, ed > 0 ? emb : NULL);
		}
		free(px);
		free(probs);
		free(emb);
		vis_cnn_state_destroy(st);
	}
	vis_cnn_close(m);
	free(copy);
	return 0;
}
