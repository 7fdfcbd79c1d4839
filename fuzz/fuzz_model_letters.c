/* fuzz/fuzz_model_letters.c — libFuzzer harness for the spelling pass's letter classifier
 * file (asr_letters_parse, speech/letters_model.c: the text `kefu letters-train` writes and
 * kefud embeds).  A model that parses classifies one feature vector of its size and its
 * posteriors must sum to 1, so a model whose counts disagree with its arrays shows up as a
 * bad read.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "speech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	asr_letters *m = asr_letters_parse((const char *)data, size, err, sizeof err);

	if (!m)
		return 0;
	struct asr_letters_shape sh;
	float lambda, tau, q[ASR_LETTERS_K], s = 0;
	asr_letters_settings(m, &sh, &lambda, &tau);
	float *x = calloc((size_t)asr_letters_dim(&sh), sizeof *x);
	if (x) {
		x[0] = 1;
		asr_letters_predict(m, x, q);
		for (int k = 0; k < ASR_LETTERS_K; k++)
			s += q[k];
		if (isfinite(s) && fabsf(s - 1) > 1e-3f)
			abort();
	}
	free(x);
	asr_letters_free(m);
	return 0;
}
