/* fuzz/fuzz_model_head.c — libFuzzer harness for the category head's `VHEAD` blob
 * (vis_head_load, vision/head.c), as `kefu train` stores it and kefud loads it with the
 * picture catalogue.  A head that loads is asked for one prediction on a unit vector, and
 * its labels and embedding name are read, so a blob whose sizes disagree shows up as a
 * bad read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct vis_head *h = vis_head_load(data, size, err, sizeof err);

	if (!h)
		return 0;
	int dim = vis_head_dim(h), nl = vis_head_n_labels(h);
	float *x = calloc((size_t)dim, sizeof *x), *p = calloc((size_t)nl, sizeof *p);
	if (x && p) {
		x[0] = 1;
		int best = vis_head_predict(h, x, p);
		if (best < 0 || best >= nl)
			abort();
	}
	size_t n = strlen(vis_head_embed_name(h));
	for (int l = 0; l < nl; l++)
		n += strlen(vis_head_label(h, l));
	volatile size_t sink = n;
	(void)sink;
	free(x);
	free(p);
	vis_head_free(h);
	return 0;
}
