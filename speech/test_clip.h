/* speech/test_clip.h — for speech/ unit tests: a flite clip of a text, padded with 0.5 s of
 * faint noise on both sides (as every real recording has), encoded in memory.  flite's
 * excitation noise comes from rand(): seeded, so every clip of a text is the same.
 * (test_asr.c keeps its own copy from before this header.) */
#ifndef KEFU_SPEECH_TEST_CLIP_H
#define KEFU_SPEECH_TEST_CLIP_H

#include <stdlib.h>
#include <string.h>

#include "speech.h"

static inline void *test_clip(tts_voice *t, const char *text, int format, size_t *len)
{
	int16_t *pcm, *buf;
	size_t n, pad, tot;
	uint32_t s = 1;
	void *clip = NULL;
	int rate;

	srand(1);
	if (tts_synth(t, text, &pcm, &n, &rate))
		return NULL;
	pad = (size_t)rate / 2;
	tot = n + 2 * pad;
	if (!(buf = calloc(tot, sizeof *buf))) {
		free(pcm);
		return NULL;
	}
	memcpy(buf + pad, pcm, n * sizeof *pcm);
	for (size_t i = 0; i < tot; i++) {
		s = s * 1664525u + 1013904223u;
		buf[i] = (int16_t)(buf[i] + (int)((s >> 24) % 7) - 3);
	}
	if (asr_audio_encode(buf, tot, rate, 1, format, &clip, len))
		clip = NULL;
	free(pcm);
	free(buf);
	return clip;
}

#endif
