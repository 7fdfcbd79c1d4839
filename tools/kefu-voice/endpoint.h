/* tools/kefu-voice/endpoint.h — streaming utterance end-pointing for kefu-voice.
 *
 * Samples (16 kHz mono int16) go in as they are captured, in pieces of any size; whole
 * utterances come out as soon as the pause after them is long enough.  The per-frame
 * decision is the server's own detector (asr_vad_frame, speech/vad.c) and the turning of
 * decisions into utterances is the server's asr_vad_smooth with the same options
 * (drop clicks, hangover, merge across short pauses, padding), run on the frames seen since
 * the last cut: an utterance is cut once hangover + pause of unvoiced frames follow it,
 * because then no later frame can merge with it any more.
 *
 * One kv_ep per stream, used by one thread (the capture thread in hands-free mode, the main
 * thread for --input).  Not thread-safe.
 */
#ifndef KEFU_VOICE_ENDPOINT_H
#define KEFU_VOICE_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "speech.h"

typedef struct kv_ep kv_ep;

struct kv_utt {
	int16_t *pcm;           /* the utterance with its padding (malloc'd, the caller owns it) */
	size_t n;               /* samples */
	double start_s;         /* stream time of its first sample, seconds */
	double speech_end_s;    /* stream time where the last voiced frame ended */
	double cut_s;           /* stream time at which it was cut (>= speech_end_s) */
	int forced;             /* 1: cut at max_seconds while still voiced */
};

/* An end-pointer with the VAD options o (NULL: the server's defaults, asr_vad_defaults)
 * that cuts utterances longer than max_seconds (0: 30 s).  NULL on no memory. */
kv_ep *kv_ep_create(const struct asr_vad_opts *o, double max_seconds);
void kv_ep_destroy(kv_ep *e);

/* Feeds pcm[0..n).  Returns the number of utterances now ready (kv_ep_next), or -1 on no
 * memory (the samples are then dropped). */
int kv_ep_feed(kv_ep *e, const int16_t *pcm, size_t n);
/* End of the stream: whatever speech is pending becomes an utterance.  Returns the number
 * ready, or -1 on no memory. */
int kv_ep_flush(kv_ep *e);
/* Drops everything pending (samples and ready utterances) but keeps the detector's noise
 * model: used after playing a spoken reply, whose echo must not become a question. */
void kv_ep_discard(kv_ep *e);
/* Takes the oldest ready utterance: 1 and *u filled (u->pcm is the caller's), or 0. */
int kv_ep_next(kv_ep *e, struct kv_utt *u);

#endif
