/* speech/vad.c — voice-activity detection for end-pointing.
 *
 * The idea of the WebRTC VAD, re-derived in floating point:
 *   - every 10 ms frame (160 samples) a 256-point Hann-windowed FFT over the last 16 ms gives
 *     log energies (dB re full scale) in six sub-bands: 80-250, 250-500, 500-1000, 1000-2000,
 *     2000-3000, 3000-4000 Hz (speech lives there; rumble and hiss mostly do not);
 *   - per band two Gaussians over the log energy, one for noise and one for speech; each frame
 *     gets a log-likelihood ratio per band, and the frame is voiced if the weighted sum passes a
 *     global threshold or one band is overwhelmingly speech-like (a local threshold);
 *   - the models adapt: the noise Gaussian follows frames judged non-speech and is pulled down
 *     to a running minimum of each band's energy over the last second (so it recovers from a
 *     start in speech and follows a rising noise floor); the speech Gaussian follows voiced
 *     frames; the speech mean is kept at least MIN_SEP dB above the noise mean;
 *   - asr_vad_segments() turns raw decisions into utterances: voiced runs shorter than
 *     min_speech_ms are dropped (clicks), each run is extended by a hangover, runs closer than
 *     pause_ms are merged, and pad_ms of context is kept on each side.
 * A fixed energy threshold fails when the noise floor is above it; the per-band adaptive
 * models do not (test_vad.c measures both on speech + noise at several SNRs).
 *
 * One asr_vad per stream, used by one thread (a worker for a clip, the capture thread of
 * kefu-voice for a microphone).  No allocation after asr_vad_create.
 */
#include "speech.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NB 6
#define FFT_N 256
#define HIST (FFT_N - ASR_VAD_FRAME)  /* samples of the previous frames in the window */
#define MIN_WIN 100                   /* frames of the running minimum (1 s) */
#define MIN_SEP 8.0f                  /* dB between the noise and speech means at least */
#define INIT_FRAMES 10                /* frames that seed the noise model */
#define LLR_FLOOR 3.0f                /* most one band can say against speech */

static const float band_lo[NB] = { 80, 250, 500, 1000, 2000, 3000 };
static const float band_hi[NB] = { 250, 500, 1000, 2000, 3000, 4000 };
/* weights of the bands in the global decision: formant bands count most */
static const float band_w[NB] = { 0.7f, 1.0f, 1.2f, 1.2f, 1.0f, 0.9f };

struct asr_vad {
	struct asr_vad_opts o;
	float win[FFT_N];
	float cosv[FFT_N / 2], sinv[FFT_N / 2];
	int lo_bin[NB], hi_bin[NB];
	int16_t hist[HIST];
	float nmu[NB], nvar[NB], smu[NB], svar[NB];
	float ring[NB][MIN_WIN];
	long frames;                  /* frames decided (or seeded) since the reset */
	long nring;                   /* frames in the running-minimum ring */
	float re[FFT_N], im[FFT_N];
};

void asr_vad_defaults(struct asr_vad_opts *o)
{
	o->hangover_ms = 200;
	o->min_speech_ms = 80;
	o->pause_ms = 600;
	o->pad_ms = 150;
	o->threshold = 6.0f;
}

void asr_vad_reset(asr_vad *v)
{
	memset(v->hist, 0, sizeof v->hist);
	for (int b = 0; b < NB; b++) {
		v->nmu[b] = -90.0f;
		v->nvar[b] = 25.0f;
		v->smu[b] = -40.0f;
		v->svar[b] = 100.0f;
	}
	v->frames = 0;
	v->nring = 0;
}

asr_vad *asr_vad_create(const struct asr_vad_opts *o)
{
	asr_vad *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	if (o)
		v->o = *o;
	else
		asr_vad_defaults(&v->o);
	for (int i = 0; i < FFT_N; i++)
		v->win[i] = 0.5f - 0.5f * cosf(2.0f * (float)M_PI * (float)i / FFT_N);
	for (int i = 0; i < FFT_N / 2; i++) {
		v->cosv[i] = cosf(2.0f * (float)M_PI * (float)i / FFT_N);
		v->sinv[i] = -sinf(2.0f * (float)M_PI * (float)i / FFT_N);
	}
	float hz_per_bin = (float)ASR_RATE / FFT_N;
	for (int b = 0; b < NB; b++) {
		v->lo_bin[b] = (int)ceilf(band_lo[b] / hz_per_bin);
		v->hi_bin[b] = (int)floorf(band_hi[b] / hz_per_bin);
	}
	asr_vad_reset(v);
	return v;
}

void asr_vad_destroy(asr_vad *v)
{
	free(v);
}

/* In-place iterative radix-2 FFT of v->re/v->im (FFT_N points). */
static void fft(asr_vad *v)
{
	float *re = v->re, *im = v->im;
	for (int i = 1, j = 0; i < FFT_N; i++) {
		int bit = FFT_N >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			float t = re[i]; re[i] = re[j]; re[j] = t;
			t = im[i]; im[i] = im[j]; im[j] = t;
		}
	}
	for (int len = 2; len <= FFT_N; len <<= 1) {
		int step = FFT_N / len;
		for (int i = 0; i < FFT_N; i += len)
			for (int k = 0; k < len / 2; k++) {
				float wr = v->cosv[k * step], wi = v->sinv[k * step];
				float *ar = &re[i + k], *ai = &im[i + k];
				float *br = &re[i + k + len / 2], *bi = &im[i + k + len / 2];
				float tr = *br * wr - *bi * wi, ti = *br * wi + *bi * wr;
				*br = *ar - tr; *bi = *ai - ti;
				*ar += tr; *ai += ti;
			}
	}
}

static float gauss_ll(float x, float mu, float var)
{
	float d = x - mu;
	return -0.5f * d * d / var - 0.5f * logf(var);
}

static void adapt(float *mu, float *var, float x, float a, float var_lo, float var_hi)
{
	float d = x - *mu;
	*mu += a * d;
	*var += a * (d * d - *var);
	if (*var < var_lo)
		*var = var_lo;
	if (*var > var_hi)
		*var = var_hi;
}

/* Band log energies (dB re full scale) of the window ending with this frame into e[NB]. */
static void band_energies(asr_vad *v, const int16_t *frame, float *e)
{
	for (int i = 0; i < HIST; i++)
		v->re[i] = v->hist[i] / 32768.0f * v->win[i];
	for (int i = 0; i < ASR_VAD_FRAME; i++)
		v->re[HIST + i] = frame[i] / 32768.0f * v->win[HIST + i];
	memset(v->im, 0, sizeof v->im);
	/* HIST < ASR_VAD_FRAME: the next window's history is the end of this frame */
	memcpy(v->hist, frame + ASR_VAD_FRAME - HIST, HIST * sizeof *v->hist);
	fft(v);
	for (int b = 0; b < NB; b++) {
		double p = 0;
		for (int k = v->lo_bin[b]; k <= v->hi_bin[b]; k++)
			p += (double)v->re[k] * v->re[k] + (double)v->im[k] * v->im[k];
		p /= (v->hi_bin[b] - v->lo_bin[b] + 1);
		e[b] = 10.0f * (float)log10(p + 1e-10);
	}
}

/* The decision and model update for one frame's band energies. */
static int decide(asr_vad *v, const float *e)
{
	int slot = (int)(v->nring % MIN_WIN);
	for (int b = 0; b < NB; b++)
		v->ring[b][slot] = e[b];
	v->nring++;
	long seen = v->nring < MIN_WIN ? v->nring : MIN_WIN;

	if (v->frames < INIT_FRAMES) {
		/* seed: the first 100 ms are taken as noise (mean and variance); if they were
		 * speech, the pull towards the running minimum below corrects it within ~0.5 s */
		float k = (float)v->frames + 1.0f;
		for (int b = 0; b < NB; b++) {
			float d = e[b] - v->nmu[b];
			if (v->frames == 0) {
				v->nmu[b] = e[b];
				v->nvar[b] = 9.0f;
			} else {
				v->nmu[b] += d / k;
				v->nvar[b] += (d * d - v->nvar[b]) / k;
			}
			if (v->nvar[b] < 4.0f)
				v->nvar[b] = 4.0f;
			v->smu[b] = v->nmu[b] + 2.0f * MIN_SEP;
		}
		v->frames++;
		return 0;
	}

	float llr_sum = 0, llr_max = -1e9f;
	float llr[NB];
	for (int b = 0; b < NB; b++) {
		llr[b] = gauss_ll(e[b], v->smu[b], v->svar[b]) - gauss_ll(e[b], v->nmu[b], v->nvar[b]);
		/* quieter than the noise mean is never evidence for speech; a band at the noise
		 * level is only weak evidence against it (a vowel has no energy at 3-4 kHz, an /s/
		 * none under 1 kHz) */
		if (e[b] < v->nmu[b] && llr[b] > 0)
			llr[b] = 0;
		if (llr[b] < -LLR_FLOOR)
			llr[b] = -LLR_FLOOR;
		llr_sum += band_w[b] * llr[b];
		if (llr[b] > llr_max)
			llr_max = llr[b];
	}
	int voiced = llr_sum > v->o.threshold || llr_max > 2.0f * v->o.threshold;

	for (int b = 0; b < NB; b++) {
		float m = v->ring[b][0];
		for (long i = 1; i < seen; i++)
			if (v->ring[b][i] < m)
				m = v->ring[b][i];
		if (voiced) {
			adapt(&v->smu[b], &v->svar[b], e[b], 0.05f, 9.0f, 400.0f);
		} else if (llr_sum < 0) {
			/* only frames that are clearly noise teach the noise model: a missed quiet
			 * stretch of speech would otherwise drag it up and swallow the rest */
			adapt(&v->nmu[b], &v->nvar[b], e[b], 0.02f, 4.0f, 64.0f);
		}
		/* the noise floor: the minimum of 100 Gaussian draws sits about 2.5 sigma under
		 * their mean; the noise mean is pulled down to that estimate quickly (the noise got
		 * quieter, or the seed was speech) and up slowly (the noise got louder while it was
		 * taken for speech) */
		float floor_mu = m + 2.5f * sqrtf(v->nvar[b]);
		if (floor_mu < v->nmu[b])
			v->nmu[b] += 0.1f * (floor_mu - v->nmu[b]);
		else
			v->nmu[b] += 0.005f * (floor_mu - v->nmu[b]);
		if (v->smu[b] < v->nmu[b] + MIN_SEP)
			v->smu[b] = v->nmu[b] + MIN_SEP;
	}
	v->frames++;
	return voiced;
}

int asr_vad_frame(asr_vad *v, const int16_t *frame)
{
	float e[NB];
	band_energies(v, frame, e);
	return decide(v, e);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Seeds the models from a whole clip's energies en[nf][NB] (a clip, unlike a live stream,
 * can be looked at before deciding): noise = the quietest 20 % of frames, speech = the 90th
 * percentile.  Scratch: tmp[nf].  Afterwards decide() skips its own seeding. */
static void seed_from_clip(asr_vad *v, const float *en, size_t nf, float *tmp)
{
	if (nf < 2 * INIT_FRAMES)
		return;
	for (int b = 0; b < NB; b++) {
		for (size_t f = 0; f < nf; f++)
			tmp[f] = en[f * NB + (size_t)b];
		qsort(tmp, nf, sizeof *tmp, cmp_float);
		/* at least ~30 % of a clip is pause: its noise frames' median is near the clip's
		 * 15th percentile, their lower tail at the 2nd (about 2 sigma under the median) */
		float med = tmp[nf * 15 / 100], lo = tmp[nf * 2 / 100];
		float sd = (med - lo) / 2.0f;
		v->nmu[b] = med;
		v->nvar[b] = sd * sd < 4.0f ? 4.0f : sd * sd;
		v->smu[b] = tmp[nf * 9 / 10];
		if (v->smu[b] < v->nmu[b] + MIN_SEP)
			v->smu[b] = v->nmu[b] + MIN_SEP;
	}
	v->frames = INIT_FRAMES;   /* seeded: no stream-start seeding */
}

struct asr_segment *asr_vad_smooth(const struct asr_vad_opts *o, const uint8_t *raw,
				   size_t nf, size_t *n_seg)
{
	*n_seg = 0;
	const size_t ms = ASR_VAD_FRAME * 1000 / ASR_RATE;   /* 10 */
	size_t min_run = (size_t)o->min_speech_ms / ms, hang = (size_t)o->hangover_ms / ms;
	size_t pause = (size_t)o->pause_ms / ms, pad = (size_t)o->pad_ms / ms;

	/* runs of voiced frames, at most nf/2 + 1 of them */
	size_t cap = nf / 2 + 1, nr = 0;
	struct asr_segment *seg = malloc(cap * sizeof *seg);
	if (!seg)
		return NULL;
	for (size_t f = 0; f < nf;) {
		if (!raw[f]) {
			f++;
			continue;
		}
		size_t s = f;
		while (f < nf && raw[f])
			f++;
		/* unvoiced gaps shorter than the hangover inside a run: one run */
		if (nr && s < seg[nr - 1].end + hang) {
			seg[nr - 1].end = f;
			continue;
		}
		seg[nr].start = s;
		seg[nr].end = f;
		nr++;
	}
	size_t k = 0;
	for (size_t i = 0; i < nr; i++) {
		if (seg[i].end - seg[i].start < min_run)
			continue;                   /* a click, not speech */
		size_t s = seg[i].start, e = seg[i].end + hang;
		if (k && s < seg[k - 1].end + pause) {
			seg[k - 1].end = e;         /* a short pause: same utterance */
			continue;
		}
		seg[k].start = s;
		seg[k].end = e;
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		seg[i].start = seg[i].start > pad ? seg[i].start - pad : 0;
		seg[i].end = seg[i].end + pad < nf ? seg[i].end + pad : nf;
	}
	if (k == 0) {
		free(seg);
		return NULL;
	}
	*n_seg = k;
	return seg;
}

struct asr_segment *asr_vad_segments(asr_vad *v, const int16_t *pcm, size_t n,
				     size_t *n_seg, uint8_t *flags)
{
	*n_seg = 0;
	asr_vad_reset(v);
	size_t nf = n / ASR_VAD_FRAME;
	if (nf == 0)
		return NULL;
	uint8_t *raw = flags ? flags : malloc(nf);
	if (!raw)
		return NULL;
	float *en = malloc(nf * (NB + 1) * sizeof *en);
	if (!en) {
		if (raw != flags)
			free(raw);
		return NULL;
	}
	for (size_t f = 0; f < nf; f++)
		band_energies(v, pcm + f * ASR_VAD_FRAME, en + f * NB);
	seed_from_clip(v, en, nf, en + nf * NB);
	for (size_t f = 0; f < nf; f++)
		raw[f] = (uint8_t)decide(v, en + f * NB);
	free(en);
	struct asr_segment *seg = asr_vad_smooth(&v->o, raw, nf, n_seg);
	for (size_t i = 0; i < *n_seg; i++) {
		seg[i].start *= ASR_VAD_FRAME;
		seg[i].end = seg[i].end == nf ? n : seg[i].end * ASR_VAD_FRAME;
	}
	if (raw != flags)
		free(raw);
	return seg;
}
