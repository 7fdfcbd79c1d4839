/* fuzz/fuzz_audio.c — libFuzzer harness for voice clips: asr_audio_decode (speech/decode.c:
 * libsndfile's virtual I/O over WAV, FLAC, OGG Vorbis/Opus, MP3, then libsamplerate to
 * 16 kHz mono) with kefud's default limits (conf max_upload, max_audio_seconds).  A success
 * must give a clip no longer than the limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "speech.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct asr_limits lim = { .max_bytes = 8u << 20, .max_seconds = 60 };
	struct asr_audio a = { 0 };

	int rc = asr_audio_decode(data, size, &lim, &a);
	if (rc == 0) {
		if (a.seconds > lim.max_seconds + 1 || (a.n && !a.pcm))
			abort();
		asr_audio_free(&a);
	} else if (a.pcm) {
		abort();                     /* an error must leave out empty */
	}
	return 0;
}
