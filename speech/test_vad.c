/* speech/test_vad.c — unit tests for vad.c.
 *
 * 1. Synthetic signals: harmonic "vowel" bursts (120 Hz voice, harmonics to 3.8 kHz) between
 *    silences must give segments at the right places; pure silence and stationary noise alone
 *    must give none; pause_ms decides whether two bursts are one utterance or two.
 * 2. Speech + noise: two flite sentences (voice slt) with 1 s gaps, white and pink noise added
 *    at 20, 10, 5 and 0 dB SNR.  Frame decisions after smoothing are scored against the clean
 *    signal's utterance spans (balanced accuracy = mean of speech recall and non-speech
 *    recall) for this VAD and for a fixed energy threshold chosen as the best one on the clean
 *    signal, smoothed the same way.  The VAD must stay accurate and beat the threshold in noise.
 */
#include "speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static uint32_t rng = 2463534242u;
static double urand(void)
{
	return (cm_xorshift32(&rng) + 0.5) / 4294967296.0;
}
static double grand(void)
{
	return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

/* adds a voiced burst [t0, t1) s with amplitude amp and a 20 ms attack/decay */
static void burst(float *x, double t0, double t1, double amp)
{
	size_t s = (size_t)(t0 * ASR_RATE), e = (size_t)(t1 * ASR_RATE);
	for (size_t i = s; i < e; i++) {
		double t = (double)(i - s) / ASR_RATE, env = 1;
		if (t < 0.02) env = t / 0.02;
		if ((double)(e - i) / ASR_RATE < 0.02) env = (double)(e - i) / ASR_RATE / 0.02;
		double v = 0, f0 = 120 + 10 * sin(2 * M_PI * 3 * t);
		for (int k = 1; k * 120 < 3800; k++)
			v += sin(2 * M_PI * f0 * k * t) / k;
		x[i] += (float)(amp * env * v);
	}
}

static int16_t *to16(const float *x, size_t n)
{
	int16_t *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		double v = x[i] * 32767.0;
		p[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
	}
	return p;
}

static void test_synthetic(void)
{
	asr_vad *v = asr_vad_create(NULL);
	size_t n = 4 * ASR_RATE, ns;
	float *x = calloc(n, sizeof *x);
	burst(x, 0.5, 1.5, 0.1);
	burst(x, 2.5, 3.1, 0.1);
	int16_t *p = to16(x, n);
	struct asr_segment *s = asr_vad_segments(v, p, n, &ns, NULL);
	printf("bursts 0.5-1.5 s, 2.5-3.1 s:");
	for (size_t i = 0; i < ns; i++)
		printf(" [%.2f, %.2f)", (double)s[i].start / ASR_RATE, (double)s[i].end / ASR_RATE);
	printf("\n");
	/* default: 150 ms pad, 200 ms hangover */
	CHECK(ns == 2);
	if (ns == 2) {
		CHECK(fabs((double)s[0].start / ASR_RATE - 0.35) < 0.05);
		CHECK(fabs((double)s[0].end / ASR_RATE - 1.85) < 0.06);
		CHECK(fabs((double)s[1].start / ASR_RATE - 2.35) < 0.05);
		CHECK(fabs((double)s[1].end / ASR_RATE - 3.45) < 0.06);
	}
	free(s);
	asr_vad_destroy(v);

	/* a pause of 1 s (0.8 s after the hangover) is inside one utterance when pause_ms is 1000 */
	struct asr_vad_opts o;
	asr_vad_defaults(&o);
	o.pause_ms = 1000;
	v = asr_vad_create(&o);
	s = asr_vad_segments(v, p, n, &ns, NULL);
	CHECK(ns == 1);
	free(s);

	/* silence, and stationary noise alone, are not speech */
	memset(p, 0, n * sizeof *p);
	s = asr_vad_segments(v, p, n, &ns, NULL);
	CHECK(ns == 0 && s == NULL);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(0.03 * grand());
	free(p);
	p = to16(x, n);
	s = asr_vad_segments(v, p, n, &ns, NULL);
	CHECK(ns == 0);
	free(s);

	/* a 30 ms click is not speech */
	memset(x, 0, n * sizeof *x);
	burst(x, 1.0, 1.03, 0.2);
	free(p);
	p = to16(x, n);
	s = asr_vad_segments(v, p, n, &ns, NULL);
	CHECK(ns == 0);
	free(s);

	/* a burst straight from the first sample is found (the noise model must not take the
	 * speech for noise for long) */
	memset(x, 0, n * sizeof *x);
	burst(x, 0.0, 1.2, 0.1);
	free(p);
	p = to16(x, n);
	s = asr_vad_segments(v, p, n, &ns, NULL);
	CHECK(ns == 1 && s && s[0].start == 0 && fabs((double)s[0].end / ASR_RATE - 1.55) < 0.1);
	free(s);

	/* fewer samples than a frame */
	s = asr_vad_segments(v, p, 100, &ns, NULL);
	CHECK(ns == 0 && s == NULL);
	free(p);
	free(x);
	asr_vad_destroy(v);
}

/* ---- speech + noise ---- */

struct scene {
	float *clean;
	size_t n;
	uint8_t *truth;      /* per frame: inside an utterance span */
	double speech_power; /* mean power over the truth frames */
};

static void make_scene(struct scene *sc)
{
	static const char *const text[] = {
		"I am still waiting on my card, can you tell me when it will arrive?",
		"Please cancel the transfer I made yesterday to my landlord.",
	};
	tts_voice *t = tts_create("slt");
	CHECK(t != NULL);
	int16_t *u[2];
	size_t un[2], lo[2], hi[2];
	int rate;
	for (int k = 0; k < 2; k++) {
		CHECK(tts_synth(t, text[k], &u[k], &un[k], &rate) == 0 && rate == ASR_RATE);
		/* span of the utterance without flite's own leading/trailing quiet */
		lo[k] = un[k];
		hi[k] = 0;
		for (size_t i = 0; i + ASR_VAD_FRAME <= un[k]; i += ASR_VAD_FRAME) {
			double e = 0;
			for (size_t j = 0; j < ASR_VAD_FRAME; j++)
				e += (double)u[k][i + j] * u[k][i + j];
			e = 10 * log10(e / ASR_VAD_FRAME / (32768.0 * 32768.0) + 1e-12);
			if (e > -50) {
				if (i < lo[k]) lo[k] = i;
				hi[k] = i + ASR_VAD_FRAME;
			}
		}
	}
	tts_destroy(t);
	size_t gap = ASR_RATE;
	sc->n = gap + un[0] + gap + un[1] + gap;
	sc->n -= sc->n % ASR_VAD_FRAME;
	sc->clean = calloc(sc->n, sizeof *sc->clean);
	size_t nf = sc->n / ASR_VAD_FRAME;
	sc->truth = calloc(nf, 1);
	size_t off[2] = { gap, gap + un[0] + gap };
	double pw = 0;
	size_t np = 0;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < un[k]; i++)
			sc->clean[off[k] + i] = u[k][i] / 32768.0f;
		for (size_t f = (off[k] + lo[k]) / ASR_VAD_FRAME;
		     f < (off[k] + hi[k]) / ASR_VAD_FRAME; f++)
			sc->truth[f] = 1;
		free(u[k]);
	}
	for (size_t f = 0; f < nf; f++)
		if (sc->truth[f])
			for (size_t j = 0; j < ASR_VAD_FRAME; j++, np++)
				pw += (double)sc->clean[f * ASR_VAD_FRAME + j] * sc->clean[f * ASR_VAD_FRAME + j];
	sc->speech_power = pw / (double)np;
	double floor_amp = sqrt(sc->speech_power * 1e-6);
	/* a real recording is never digital zero: a noise floor 60 dB under the speech */
	for (size_t i = 0; i < sc->n; i++)
		sc->clean[i] += (float)(floor_amp * grand());
}

/* balanced accuracy of smoothed decisions raw[] against truth */
static double score(const uint8_t *raw, const uint8_t *truth, size_t nf)
{
	struct asr_vad_opts o;
	asr_vad_defaults(&o);
	o.pad_ms = 0;
	size_t ns;
	struct asr_segment *s = asr_vad_smooth(&o, raw, nf, &ns);
	uint8_t *m = calloc(nf, 1);
	for (size_t i = 0; i < ns; i++)
		memset(m + s[i].start, 1, s[i].end - s[i].start);
	size_t tp = 0, p = 0, tn = 0, q = 0;
	for (size_t f = 0; f < nf; f++) {
		if (truth[f]) { p++; tp += m[f]; }
		else { q++; tn += !m[f]; }
	}
	free(s);
	free(m);
	return 0.5 * ((double)tp / (double)p + (double)tn / (double)q);
}

static void energy_flags(const int16_t *p, size_t nf, double thr_db, uint8_t *raw)
{
	for (size_t f = 0; f < nf; f++) {
		double e = 0;
		for (size_t j = 0; j < ASR_VAD_FRAME; j++)
			e += (double)p[f * ASR_VAD_FRAME + j] * p[f * ASR_VAD_FRAME + j];
		e = 10 * log10(e / ASR_VAD_FRAME / (32768.0 * 32768.0) + 1e-12);
		raw[f] = e > thr_db;
	}
}

static void test_noise(void)
{
	struct scene sc;
	make_scene(&sc);
	size_t nf = sc.n / ASR_VAD_FRAME;
	uint8_t *raw = malloc(nf);
	asr_vad *v = asr_vad_create(NULL);

	/* the energy threshold that is best on the clean signal */
	int16_t *p = to16(sc.clean, sc.n);
	double best_thr = -60, best = 0;
	for (double thr = -70; thr <= -20; thr += 1) {
		energy_flags(p, nf, thr, raw);
		double a = score(raw, sc.truth, nf);
		if (a > best) { best = a; best_thr = thr; }
	}
	size_t ns;
	free(asr_vad_segments(v, p, sc.n, &ns, raw));
	double clean_vad = score(raw, sc.truth, nf);
	printf("clean: VAD %.3f, energy threshold %.0f dBFS %.3f\n", clean_vad, best_thr, best);
	CHECK(clean_vad > 0.92);
	free(p);

	static const double snrs[] = { 20, 10, 5, 0 };
	static const char *const kinds[] = { "white", "pink" };
	float *x = malloc(sc.n * sizeof *x);
	for (int kind = 0; kind < 2; kind++) {
		for (size_t si = 0; si < sizeof snrs / sizeof snrs[0]; si++) {
			/* noise at unit power, then scaled to the SNR */
			double b0 = 0, b1 = 0, b2 = 0, pw = 0;
			for (size_t i = 0; i < sc.n; i++) {
				double w = grand();
				if (kind == 1) {   /* Paul Kellet's economy pink filter */
					b0 = 0.99765 * b0 + w * 0.0990460;
					b1 = 0.96300 * b1 + w * 0.2965164;
					b2 = 0.57000 * b2 + w * 1.0526913;
					w = b0 + b1 + b2 + w * 0.1848;
				}
				x[i] = (float)w;
				pw += w * w;
			}
			pw /= (double)sc.n;
			double g = sqrt(sc.speech_power / pw / pow(10, snrs[si] / 10));
			for (size_t i = 0; i < sc.n; i++)
				x[i] = (float)(sc.clean[i] + g * x[i]);
			p = to16(x, sc.n);
			free(asr_vad_segments(v, p, sc.n, &ns, raw));
			double a_vad = score(raw, sc.truth, nf);
			energy_flags(p, nf, best_thr, raw);
			double a_en = score(raw, sc.truth, nf);
			printf("%-5s noise %4.0f dB SNR: VAD %.3f  energy threshold %.3f  (%zu segments)\n",
			       kinds[kind], snrs[si], a_vad, a_en, ns);
			/* bounds measured (0.96+ at 10 dB and up, 0.94 white / 0.70 pink at 5 dB,
			 * 0.63 / 0.50 at 0 dB) with margin; 0 dB is reported, not required */
			if (snrs[si] >= 10)
				CHECK(a_vad > 0.93);
			else if (snrs[si] >= 5)
				CHECK(a_vad > 0.65);
			if (snrs[si] >= 5)
				CHECK(a_vad > a_en + 0.1);
			free(p);
		}
	}
	free(x);
	free(raw);
	free(sc.clean);
	free(sc.truth);
	asr_vad_destroy(v);
}

int main(void)
{
	test_synthetic();
	test_noise();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
