/* fuzz/fuzz_image.c — libFuzzer harness for picture decoding: vis_decode (vision/decode.c)
 * over JPEG, PNG, WebP (still and animated), HEIF and AVIF, as a kefud worker calls it
 * for an upload (same max_side as daemon/upload.c), with a 4 MP pixel limit instead of the 40 MP default so
 * the fuzzer spends its time on parsing rather than on filling huge buffers (headers above
 * the limit are still parsed and refused).  A success must give a non-empty picture whose
 * every byte is readable (ASan checks the read).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vision.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vis_decode_opts opts = { .max_bytes = 8u << 20, .max_pixels = 4u << 20,
					.max_side = 1600 };
	struct vis_image img = { 0 };
	char err[256];

	(void)vis_sniff(data, size);
	int rc = vis_decode(data, size, &opts, &img, err, sizeof err);
	if (rc == 0) {
		if (img.w <= 0 || img.h <= 0 || !img.rgb)
			abort();
		unsigned sum = 0;
		for (size_t i = 0; i < (size_t)img.w * (size_t)img.h * 3; i += 61)
			sum += img.rgb[i];
		volatile unsigned sink = sum;
		(void)sink;
		vis_image_free(&img);
	} else if (img.rgb || !vis_err_code(rc)) {
		abort();                     /* error path must leave out empty, with a name */
	}
	return 0;
}
