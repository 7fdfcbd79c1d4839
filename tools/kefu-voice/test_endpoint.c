/* tools/kefu-voice/test_endpoint.c — unit test of kefu-voice's streaming end-pointer
 * (endpoint.c) on flite speech: two questions with a long pause are two utterances, found
 * where the server's whole-clip segmentation (asr_vad_segments) finds them; a short pause
 * does not split; feeding in odd piece sizes changes nothing; the cut comes hangover + pause
 * after the end of speech; max_seconds cuts a long utterance; kv_ep_discard forgets.
 * Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "speech.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, \
	__LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

struct buf {
	int16_t *p;
	size_t n;
};

static unsigned rng = 12345;

/* Appends seconds of silence. */
static void add_noise(struct buf *b, double seconds)
{
	size_t k = (size_t)(seconds * ASR_RATE);
	b->p = realloc(b->p, (b->n + k) * sizeof *b->p);
	memset(b->p + b->n, 0, k * sizeof *b->p);
	b->n += k;
}

/* A microphone is never digitally silent: white noise (about -65 dBFS RMS) over everything, so
 * flite's exact zeros do not teach the detector a noise floor no room has. */
static void hiss(struct buf *b)
{
	for (size_t i = 0; i < b->n; i++) {
		rng = rng * 1103515245u + 12345u;
		int x = b->p[i] + (int)((rng >> 16) % 61) - 30;
		b->p[i] = (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
	}
}

static void add_speech(struct buf *b, tts_voice *t, const char *text)
{
	int16_t *pcm;
	size_t n;
	int rate;
	if (tts_synth(t, text, &pcm, &n, &rate) || rate != ASR_RATE) {
		printf("FAIL: flite could not say '%s'\n", text);
		exit(1);
	}
	b->p = realloc(b->p, (b->n + n) * sizeof *b->p);
	memcpy(b->p + b->n, pcm, n * sizeof *pcm);
	b->n += n;
	free(pcm);
}

/* Runs the end-pointer over b in pieces of `piece` samples (0: random sizes). */
static size_t run(const struct buf *b, size_t piece, double max_s, struct kv_utt *out,
		  size_t max)
{
	kv_ep *e = kv_ep_create(NULL, max_s);
	size_t k = 0;
	struct kv_utt u;
	for (size_t off = 0; off < b->n;) {
		size_t n = piece;
		if (!n) {
			rng = rng * 1103515245u + 12345u;
			n = 1 + (rng >> 16) % 3000;
		}
		if (n > b->n - off)
			n = b->n - off;
		kv_ep_feed(e, b->p + off, n);
		off += n;
		while (kv_ep_next(e, &u))
			if (k < max)
				out[k++] = u;
			else
				free(u.pcm);
	}
	kv_ep_flush(e);
	while (kv_ep_next(e, &u))
		if (k < max)
			out[k++] = u;
		else
			free(u.pcm);
	kv_ep_destroy(e);
	return k;
}

static void free_utts(struct kv_utt *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(u[i].pcm);
}

int main(void)
{
	tts_voice *tts = tts_create("slt");
	if (!tts) {
		printf("FAIL: no flite voice slt\n");
		return 1;
	}
	/* two questions, 1.5 s apart */
	struct buf two = { 0 };
	add_noise(&two, 0.5);
	add_speech(&two, tts, "I lost my card");
	size_t q1_end = two.n;
	add_noise(&two, 1.5);
	size_t q2_start = two.n;
	add_speech(&two, tts, "How do I top up my account");
	add_noise(&two, 1.0);
	hiss(&two);

	struct kv_utt a[8], b[8], c[8];
	size_t na = run(&two, 1600, 0, a, 8);
	size_t nb = run(&two, 0, 0, b, 8);
	CHECK(na == 2, "two questions 1.5 s apart: %zu utterances", na);
	CHECK(nb == na, "random piece sizes: %zu utterances, 100 ms pieces: %zu", nb, na);
	for (size_t i = 0; i < na && i < nb; i++)
		CHECK(a[i].n == b[i].n && a[i].start_s == b[i].start_s &&
		      !memcmp(a[i].pcm, b[i].pcm, a[i].n * sizeof *a[i].pcm),
		      "utterance %zu differs with the piece size", i);

	/* the server's segmentation of the same clip */
	asr_vad *v = asr_vad_create(NULL);
	size_t nseg = 0;
	struct asr_segment *seg = asr_vad_segments(v, two.p, two.n, &nseg, NULL);
	CHECK(nseg == na, "server finds %zu segments, the end-pointer %zu", nseg, na);
	for (size_t i = 0; i < nseg && i < na; i++) {
		double ss = (double)seg[i].start / ASR_RATE, se = (double)seg[i].end / ASR_RATE;
		double us = a[i].start_s, ue = a[i].start_s + (double)a[i].n / ASR_RATE;
		printf("utterance %zu: stream %.2f-%.2f s, server %.2f-%.2f s, speech end %.2f, "
		       "cut %.2f\n", i, us, ue, ss, se, a[i].speech_end_s, a[i].cut_s);
		CHECK(us > ss - 0.3 && us < ss + 0.3 && ue > se - 0.3 && ue < se + 0.3,
		      "utterance %zu %.2f-%.2f s vs server %.2f-%.2f s", i, us, ue, ss, se);
		CHECK(a[i].cut_s - a[i].speech_end_s > 0.79 && a[i].cut_s - a[i].speech_end_s < 0.81,
		      "cut %.2f s after speech end %.2f (expected hangover + pause 0.8 s)",
		      a[i].cut_s, a[i].speech_end_s);
		CHECK(!a[i].forced, "utterance %zu forced", i);
	}
	if (na == 2) {
		CHECK(a[0].start_s + (double)a[0].n / ASR_RATE < (double)q2_start / ASR_RATE,
		      "first utterance runs into the second question");
		CHECK(a[1].start_s > (double)q1_end / ASR_RATE, "second starts in the first");
	}
	free(seg);
	free_utts(a, na);
	free_utts(b, nb);

	/* a 0.3 s pause does not split */
	struct buf one = { 0 };
	add_noise(&one, 0.5);
	add_speech(&one, tts, "I lost my card");
	add_noise(&one, 0.3);
	add_speech(&one, tts, "yesterday");
	add_noise(&one, 1.0);
	hiss(&one);
	size_t nc = run(&one, 1600, 0, c, 8);
	CHECK(nc == 1, "a 0.3 s pause split the utterance: %zu", nc);
	free_utts(c, nc);

	/* max_seconds: the run of speech is cut at 2 s */
	nc = run(&one, 1600, 2.0, c, 8);
	CHECK(nc >= 2 && c[0].forced && c[0].n <= (size_t)(2.0 * ASR_RATE) + 160,
	      "max 2 s: %zu utterances, first %.2f s forced %d", nc,
	      nc ? (double)c[0].n / ASR_RATE : 0.0, nc ? c[0].forced : -1);
	free_utts(c, nc);

	/* silence only: nothing */
	struct buf quiet = { 0 };
	add_noise(&quiet, 5.0);
	hiss(&quiet);
	nc = run(&quiet, 1600, 0, c, 8);
	CHECK(nc == 0, "noise alone gave %zu utterances", nc);
	free_utts(c, nc);

	/* discard forgets what is pending */
	kv_ep *e = kv_ep_create(NULL, 0);
	kv_ep_feed(e, two.p, q1_end + ASR_RATE / 2);
	kv_ep_discard(e);
	kv_ep_feed(e, two.p + q1_end + ASR_RATE / 2, two.n - q1_end - ASR_RATE / 2);
	kv_ep_flush(e);
	struct kv_utt u;
	size_t left = 0;
	while (kv_ep_next(e, &u)) {
		left++;
		free(u.pcm);
	}
	CHECK(left == 1, "after discarding the first question: %zu utterances", left);
	kv_ep_destroy(e);

	asr_vad_destroy(v);
	tts_destroy(tts);
	free(two.p);
	free(one.p);
	free(quiet.p);
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}
