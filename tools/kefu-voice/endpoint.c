/* tools/kefu-voice/endpoint.c — streaming utterance end-pointing (endpoint.h).
 *
 * Keeps the samples and the raw VAD decisions of the frames since the last cut.  After each
 * 10 ms frame: once hangover + pause unvoiced frames follow the last voiced one, the frames
 * held go through asr_vad_smooth (the server's smoothing, same options) and every segment it
 * finds becomes an utterance; the frames up to the end of the last one are dropped.  While
 * nothing is voiced, all but the padding's worth of frames is dropped, so memory stays
 * bounded by max_seconds of audio.  An utterance still voiced at max_seconds is cut there.
 *
 * Used by one thread at a time (see endpoint.h); no locks.
 */
#include "endpoint.h"

#include <stdlib.h>
#include <string.h>

#define FRAME ASR_VAD_FRAME
#define FRAME_S ((double)FRAME / ASR_RATE)

struct kv_ep {
	asr_vad *vad;
	struct asr_vad_opts o;
	size_t hang, pause, pad;     /* the options in frames */
	size_t max_frames;
	int16_t part[FRAME];         /* a frame not yet complete */
	size_t npart;
	int16_t *pcm;                /* nf frames of samples since the last cut */
	uint8_t *raw;                /* their raw decisions */
	size_t nf, cap;              /* frames held, frames allocated */
	uint64_t base;               /* stream frame index of pcm[0] */
	size_t voiced_end;           /* frame after the last voiced one (0: none held) */
	struct kv_utt *ready;        /* utterances cut, oldest first */
	size_t nready, readycap, readyhead;
};

kv_ep *kv_ep_create(const struct asr_vad_opts *o, double max_seconds)
{
	kv_ep *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (o)
		e->o = *o;
	else
		asr_vad_defaults(&e->o);
	const size_t ms = FRAME * 1000 / ASR_RATE;
	e->hang = (size_t)e->o.hangover_ms / ms;
	e->pause = (size_t)e->o.pause_ms / ms;
	e->pad = (size_t)e->o.pad_ms / ms;
	e->max_frames = (size_t)((max_seconds > 0 ? max_seconds : 30.0) / FRAME_S);
	if (e->max_frames < e->hang + e->pause + e->pad + 1)
		e->max_frames = e->hang + e->pause + e->pad + 1;
	e->vad = asr_vad_create(&e->o);
	if (!e->vad) {
		free(e);
		return NULL;
	}
	return e;
}

static void free_ready(kv_ep *e)
{
	for (size_t i = 0; i < e->nready; i++)
		free(e->ready[e->readyhead + i].pcm);
	e->nready = 0;
	e->readyhead = 0;
}

void kv_ep_destroy(kv_ep *e)
{
	if (!e)
		return;
	free_ready(e);
	free(e->ready);
	free(e->pcm);
	free(e->raw);
	asr_vad_destroy(e->vad);
	free(e);
}

/* Drops the first k frames held. */
static void drop(kv_ep *e, size_t k)
{
	if (k > e->nf)
		k = e->nf;
	memmove(e->pcm, e->pcm + k * FRAME, (e->nf - k) * FRAME * sizeof *e->pcm);
	memmove(e->raw, e->raw + k, e->nf - k);
	e->nf -= k;
	e->base += k;
	e->voiced_end = e->voiced_end > k ? e->voiced_end - k : 0;
}

/* Appends frames [s, t) as a ready utterance.  0, or -1 on no memory. */
static int emit(kv_ep *e, size_t s, size_t t, int forced)
{
	if (e->readyhead + e->nready == e->readycap) {
		if (e->readyhead) {
			memmove(e->ready, e->ready + e->readyhead, e->nready * sizeof *e->ready);
			e->readyhead = 0;
		} else {
			size_t cap = e->readycap ? 2 * e->readycap : 4;
			struct kv_utt *r = realloc(e->ready, cap * sizeof *r);
			if (!r)
				return -1;
			e->ready = r;
			e->readycap = cap;
		}
	}
	struct kv_utt *u = &e->ready[e->readyhead + e->nready];
	u->n = (t - s) * FRAME;
	u->pcm = malloc(u->n * sizeof *u->pcm);
	if (!u->pcm)
		return -1;
	memcpy(u->pcm, e->pcm + s * FRAME, u->n * sizeof *u->pcm);
	size_t last = t;
	while (last > s && !e->raw[last - 1])
		last--;
	u->start_s = (double)(e->base + s) * FRAME_S;
	u->speech_end_s = (double)(e->base + last) * FRAME_S;
	u->cut_s = (double)(e->base + e->nf) * FRAME_S;
	u->forced = forced;
	e->nready++;
	return 0;
}

/* Cuts what is held into utterances (forced: the last one ends at the last frame held
 * even if the smoothing would extend it).  Returns how many, or -1 on no memory. */
static int cut(kv_ep *e, int forced)
{
	size_t nseg = 0;
	struct asr_segment *seg = asr_vad_smooth(&e->o, e->raw, e->nf, &nseg);
	int made = 0;
	size_t upto = e->nf > e->pad ? e->nf - e->pad : 0;

	if (!seg && nseg)
		return -1;
	for (size_t i = 0; i < nseg; i++) {
		size_t t = forced && i + 1 == nseg ? e->nf : seg[i].end;
		if (emit(e, seg[i].start, t, forced && i + 1 == nseg) < 0) {
			free(seg);
			return -1;
		}
		made++;
		upto = t;
	}
	free(seg);
	drop(e, forced ? e->nf : upto);
	e->voiced_end = 0;          /* what is left is unvoiced (or nothing) */
	return made;
}

/* One complete frame: decide, hold, cut when due.  Returns utterances made or -1. */
static int frame(kv_ep *e, const int16_t *f)
{
	if (e->nf == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		int16_t *p = realloc(e->pcm, cap * FRAME * sizeof *p);
		if (!p)
			return -1;
		e->pcm = p;
		uint8_t *r = realloc(e->raw, cap);
		if (!r)
			return -1;
		e->raw = r;
		e->cap = cap;
	}
	memcpy(e->pcm + e->nf * FRAME, f, FRAME * sizeof *f);
	int v = asr_vad_frame(e->vad, f);
	e->raw[e->nf++] = (uint8_t)v;
	if (v)
		e->voiced_end = e->nf;
	if (e->voiced_end) {
		if (e->nf - e->voiced_end >= e->hang + e->pause)
			return cut(e, 0);
		if (e->nf >= e->max_frames)
			return cut(e, 1);
	} else if (e->nf > e->pad + 100) {
		drop(e, e->nf - e->pad);
	}
	return 0;
}

int kv_ep_feed(kv_ep *e, const int16_t *pcm, size_t n)
{
	int made = 0;
	while (n) {
		size_t k = FRAME - e->npart < n ? FRAME - e->npart : n;
		memcpy(e->part + e->npart, pcm, k * sizeof *pcm);
		e->npart += k;
		pcm += k;
		n -= k;
		if (e->npart == FRAME) {
			e->npart = 0;
			int r = frame(e, e->part);
			if (r < 0)
				return -1;
			made += r;
		}
	}
	return made;
}

int kv_ep_flush(kv_ep *e)
{
	int made = 0;
	if (e->npart) {
		memset(e->part + e->npart, 0, (FRAME - e->npart) * sizeof *e->part);
		e->npart = 0;
		int r = frame(e, e->part);
		if (r < 0)
			return -1;
		made = r;
	}
	if (e->voiced_end) {
		int r = cut(e, 0);
		if (r < 0)
			return -1;
		made += r;
	}
	return made;
}

void kv_ep_discard(kv_ep *e)
{
	free_ready(e);
	e->base += e->nf;
	e->nf = 0;
	e->npart = 0;
	e->voiced_end = 0;
}

int kv_ep_next(kv_ep *e, struct kv_utt *u)
{
	if (!e->nready)
		return 0;
	*u = e->ready[e->readyhead++];
	if (--e->nready == 0)
		e->readyhead = 0;
	return 1;
}
