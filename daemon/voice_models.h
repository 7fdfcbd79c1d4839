/* daemon/voice_models.h — the models behind voice clips and spoken replies, and each
 * worker's state for them (prefix kd_voice_).
 *
 * struct kd_voice is shared by every worker: the domain language model, a folder of
 * files (ARPA + extra pronunciations) built from the store's example questions and
 * answer titles, held in a slot (slot.h) whose free function deletes the folder once no
 * worker is loading from it; and the flite voice of spoken replies.  The language model
 * is built at start on a builder thread of its own and again on SIGHUP
 * (kd_voice_rebuild_lm, on the signal thread); each build is a new slot generation.
 *
 * struct kd_voice_worker belongs to one worker thread: its pocketsphinx decoder + VAD,
 * remade when the language model's generation moved, made on the first clip (each costs
 * ~1 s and ~100 MB), so a text-only deployment never loads one.
 *
 * Locks: {lock} guards the build state (one build at a time, the start-up build's end);
 * {flite} the flite voice (flite's global lexicon set-up, which a build's letter-to-sound
 * also needs, is serialised inside speech/ by tts_create and asr_lex_create).
 */
#ifndef KEFU_DAEMON_VOICE_MODELS_H
#define KEFU_DAEMON_VOICE_MODELS_H

#include <stddef.h>

#include "conf.h"
#include "speech.h"

struct kd_voice;
struct kd_voice_worker;

/* Starts the first language-model build (when conf->asr).  Main thread, at start.
 * NULL with a message in err only on allocation or thread failure. */
struct kd_voice *kd_voice_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* Waits for a build in progress, frees the model (its folder) and the voice.  Main
 * thread, after the workers stopped.  NULL is fine. */
void kd_voice_destroy(struct kd_voice *v);

/* Builds the domain language model from the store again and swaps it in (workers pick
 * it up at their next clip).  0, or -1 (the current model stays) with err.  Blocks for
 * the build: call it off the service thread (SIGHUP: signal thread). */
int kd_voice_rebuild_lm(struct kd_voice *v, char *err, size_t errlen);
/* Generation of the language model the decoders use (0: generic model only). */
unsigned kd_voice_lm_generation(struct kd_voice *v);

/* Worker thread.  The worker's decoder for the current language model (made or remade
 * as needed; waits for the first build at most once) and its VAD.  0, or -1 with a
 * message in err (ASR unavailable). */
int kd_voice_asr(struct kd_voice *v, struct kd_voice_worker **vw, asr_decoder **dec,
		 asr_vad **vad, char *err, size_t errlen);
/* Any thread.  Speaks text with the flite voice conf tts_voice: 0 and a malloc'd 16-bit
 * mono WAV in *wav (caller frees), *len its size; or a negative enum asr_err.  flite
 * registers each voice once per process, so there is one voice behind a mutex rather
 * than one per worker; synthesis takes a few ms per second of speech. */
int kd_voice_speak(struct kd_voice *v, const char *text, void **wav, size_t *len);

/* Frees a worker's voice state (NULL is fine).  The worker's thread or after it ended. */
void kd_voice_worker_destroy(struct kd_voice_worker *vw);

#endif
