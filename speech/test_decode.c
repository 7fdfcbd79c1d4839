/* speech/test_decode.c — unit tests for decode.c.
 *
 * Every clip is generated here with libsndfile itself (asr_audio_encode): a 440 Hz tone under
 * a slow envelope, encoded as WAV PCM16/PCM24/float/µ-law/A-law, FLAC, OGG Vorbis, OGG Opus
 * and MP3, at 8, 16, 44.1 and 48 kHz, mono and stereo.  Each decoded clip must have the right
 * length at 16 kHz, the tone's frequency (zero crossings) and its level.  Broken clips (empty,
 * truncated, a header claiming three hours, WebM/M4A magic, text, random bytes) must give
 * their stable error code.
 */
#include "speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* n frames of a 440 Hz tone (channel c gets amplitude amp * (c + 1) / channels). */
static int16_t *tone(int rate, int channels, double seconds, double amp, size_t *n)
{
	*n = (size_t)(rate * seconds);
	int16_t *f = malloc(*n * (size_t)channels * sizeof *f);
	for (size_t i = 0; i < *n; i++)
		for (int c = 0; c < channels; c++)
			f[i * (size_t)channels + (size_t)c] = (int16_t)lrint(
				amp * (c + 1) / channels * 32767.0 * sin(2 * M_PI * 440.0 * (double)i / rate));
	return f;
}

/* zero crossings per second and RMS (of full scale) of the middle of a decoded clip */
static void measure(const struct asr_audio *a, double *zc_per_s, double *rms)
{
	size_t lo = a->n / 4, hi = a->n * 3 / 4, zc = 0;
	double e = 0;
	for (size_t i = lo; i < hi; i++) {
		if (i > lo && ((a->pcm[i - 1] < 0) != (a->pcm[i] < 0)))
			zc++;
		e += (double)a->pcm[i] * a->pcm[i];
	}
	*zc_per_s = (double)zc / ((double)(hi - lo) / ASR_RATE);
	*rms = sqrt(e / (double)(hi - lo)) / 32767.0;
}

struct fmt { const char *name; int format; int rate; int channels; double tol_rms; };

static void test_formats(void)
{
	static const struct fmt fmts[] = {
		{ "wav pcm16 16k", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 0.01 },
		{ "wav pcm24 44.1k", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 1, 0.01 },
		{ "wav float 48k", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, 0.01 },
		{ "wav ulaw 8k", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, 1, 0.02 },
		{ "wav alaw 8k", SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000, 1, 0.02 },
		{ "wav pcm16 stereo 22.05k", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 2, 0.01 },
		{ "flac 16k", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, 0.01 },
		{ "flac stereo 44.1k", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 2, 0.01 },
		{ "ogg vorbis 16k", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, 0.05 },
		{ "ogg opus 48k", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, 0.05 },
		{ "ogg opus 16k stereo", SF_FORMAT_OGG | SF_FORMAT_OPUS, 16000, 2, 0.05 },
		{ "mp3 44.1k", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, 1, 0.05 },
		{ "mp3 16k", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 16000, 1, 0.05 },
		{ "aiff pcm16 32k", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 32000, 1, 0.01 },
	};
	const double seconds = 2.0, amp = 0.5;
	for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
		const struct fmt *f = &fmts[k];
		size_t n;
		int16_t *pcm = tone(f->rate, f->channels, seconds, amp, &n);
		void *buf;
		size_t len;
		int rc = asr_audio_encode(pcm, n, f->rate, f->channels, f->format, &buf, &len);
		free(pcm);
		if (rc) {
			fprintf(stderr, "FAIL encode %s: %s\n", f->name, asr_err_name(rc));
			failures++;
			continue;
		}
		struct asr_audio a;
		struct asr_limits lim = { .max_bytes = 10u << 20, .max_seconds = 30 };
		rc = asr_audio_decode(buf, len, &lim, &a);
		free(buf);
		if (rc) {
			fprintf(stderr, "FAIL decode %s: %s\n", f->name, asr_err_name(rc));
			failures++;
			continue;
		}
		double zc, rms;
		measure(&a, &zc, &rms);
		/* stereo: channel amplitudes amp/2 and amp, so the mean has amplitude 3/4 amp */
		double want_amp = f->channels == 2 ? amp * 0.75 : amp;
		double want_rms = want_amp / sqrt(2.0);
		/* compressed formats add encoder delay/padding: allow 0.1 s */
		double dlen = fabs(a.seconds - seconds);
		int ok = dlen < 0.1 && fabs(zc - 880.0) < 10.0 && fabs(rms - want_rms) < f->tol_rms &&
			 a.src_rate == f->rate && a.src_channels == f->channels;
		printf("%-24s %6zu bytes -> %.3f s, %.1f zero crossings/s, rms %.3f (want %.3f) %s\n",
		       f->name, len, a.seconds, zc, rms, want_rms, ok ? "ok" : "FAIL");
		if (!ok)
			failures++;
		asr_audio_free(&a);
	}
}

static int decode_rc(const void *d, size_t len, const struct asr_limits *lim)
{
	struct asr_audio a;
	int rc = asr_audio_decode(d, len, lim, &a);
	if (rc == 0)
		asr_audio_free(&a);
	else
		CHECK(a.pcm == NULL && a.n == 0);
	return rc;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static void test_errors(void)
{
	struct asr_limits lim = { .max_bytes = 1u << 20, .max_seconds = 60 };
	size_t n;
	int16_t *pcm = tone(16000, 1, 1.0, 0.5, &n);
	void *wav, *flac, *ogg, *mp3;
	size_t wl, fl, ol, ml;
	CHECK(asr_audio_encode(pcm, n, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &wav, &wl) == 0);
	CHECK(asr_audio_encode(pcm, n, 16000, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, &flac, &fl) == 0);
	CHECK(asr_audio_encode(pcm, n, 16000, 1, SF_FORMAT_OGG | SF_FORMAT_VORBIS, &ogg, &ol) == 0);
	CHECK(asr_audio_encode(pcm, n, 16000, 1, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, &mp3,
			       &ml) == 0);
	free(pcm);

	/* empty: no bytes, and a valid header with no samples */
	CHECK(decode_rc("", 0, &lim) == ASR_ERR_EMPTY);
	CHECK(decode_rc(NULL, 0, &lim) == ASR_ERR_EMPTY);
	void *w0;
	size_t w0l;
	int16_t z = 0;
	CHECK(asr_audio_encode(&z, 0, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &w0, &w0l) == 0);
	CHECK(decode_rc(w0, w0l, &lim) == ASR_ERR_EMPTY);
	free(w0);

	/* truncated: half a WAV body, a cut header, half a FLAC/OGG stream */
	CHECK(decode_rc(wav, wl / 2, &lim) == ASR_ERR_CORRUPT);
	CHECK(decode_rc(wav, 20, &lim) == ASR_ERR_CORRUPT);
	CHECK(decode_rc(flac, fl / 2, &lim) == ASR_ERR_CORRUPT);
	CHECK(decode_rc(ogg, ol / 2, &lim) == ASR_ERR_CORRUPT);
	CHECK(decode_rc(flac, 6, &lim) == ASR_ERR_CORRUPT);
	/* half an MP3 has no exact frame count to compare against: whatever frames are whole
	 * decode, or it is an error; never a crash */
	int r = decode_rc(mp3, ml / 2, &lim);
	CHECK(r == 0 || r == ASR_ERR_CORRUPT);
	printf("half an mp3: %s\n", asr_err_name(r));

	/* too large: limit on bytes, checked before anything else */
	struct asr_limits small = { .max_bytes = wl - 1, .max_seconds = 60 };
	CHECK(decode_rc(wav, wl, &small) == ASR_ERR_TOO_LARGE);
	/* too long: the header says 1 s, the limit is 0.5 s */
	struct asr_limits shortl = { .max_bytes = 1u << 20, .max_seconds = 0.5 };
	CHECK(decode_rc(wav, wl, &shortl) == ASR_ERR_TOO_LONG);
	CHECK(decode_rc(flac, fl, &shortl) == ASR_ERR_TOO_LONG);
	CHECK(decode_rc(ogg, ol, &shortl) == ASR_ERR_TOO_LONG);
	CHECK(decode_rc(mp3, ml, &shortl) == ASR_ERR_TOO_LONG);
	/* a 3-hour header on a 1-second body: refused from the header, nothing decoded */
	unsigned char *big = malloc(wl);
	memcpy(big, wav, wl);
	put32(big + 40, 3u * 3600u * 16000u * 2u);
	put32(big + 4, 36u + 3u * 3600u * 16000u * 2u);
	CHECK(decode_rc(big, wl, &lim) == ASR_ERR_TOO_LONG);
	/* ... and with no duration limit it is a truncated upload */
	struct asr_limits nolen = { .max_bytes = 1u << 20 };
	CHECK(decode_rc(big, wl, &nolen) == ASR_ERR_CORRUPT);
	free(big);

	/* formats libsndfile cannot read, and things that are not audio at all */
	static const unsigned char webm[] = { 0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81,
					      0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81 };
	static const unsigned char m4a[] = { 0, 0, 0, 0x20, 'f', 't', 'y', 'p', 'M', '4', 'A',
					     ' ', 0, 0, 0, 0, 'M', '4', 'A', ' ', 'm', 'p', '4', '2' };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
					     0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	CHECK(decode_rc(webm, sizeof webm, &lim) == ASR_ERR_UNSUPPORTED);
	CHECK(decode_rc(m4a, sizeof m4a, &lim) == ASR_ERR_UNSUPPORTED);
	CHECK(decode_rc(png, sizeof png, &lim) == ASR_ERR_UNSUPPORTED);
	const char *text = "Hello, I would like to know where my card is. Thanks!\n";
	CHECK(decode_rc(text, strlen(text), &lim) == ASR_ERR_UNSUPPORTED);
	unsigned char rnd[4096];
	uint32_t s = 12345;
	for (size_t i = 0; i < sizeof rnd; i++) {
		s = s * 1103515245u + 12345u;
		rnd[i] = (unsigned char)(s >> 16);
	}
	rnd[0] = 'x';   /* not an accidental MPEG sync */
	r = decode_rc(rnd, sizeof rnd, &lim);
	CHECK(r == ASR_ERR_UNSUPPORTED);
	printf("random bytes: %s\n", asr_err_name(r));

	/* silence decodes fine (the VAD, not the decoder, reports no speech) */
	int16_t *sil = calloc(16000, sizeof *sil);
	void *sw;
	size_t sl;
	CHECK(asr_audio_encode(sil, 16000, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &sw, &sl) == 0);
	struct asr_audio a;
	CHECK(asr_audio_decode(sw, sl, &lim, &a) == 0 && a.n == 16000);
	int all0 = 1;
	for (size_t i = 0; i < a.n; i++)
		all0 &= a.pcm[i] == 0;
	CHECK(all0);
	asr_audio_free(&a);
	free(sw);
	free(sil);

	CHECK(strcmp(asr_err_name(ASR_ERR_UNSUPPORTED), "unsupported_audio") == 0);
	CHECK(strcmp(asr_err_name(ASR_ERR_CORRUPT), "corrupt_audio") == 0);
	free(wav);
	free(flac);
	free(ogg);
	free(mp3);
}

int main(void)
{
	test_formats();
	test_errors();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
