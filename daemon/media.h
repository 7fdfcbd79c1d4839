/* daemon/media.h — the models behind voice clips and pictures, and each worker's state
 * for them.
 *
 * struct kd_media is shared by every worker: the two CNN models (mmapped read-only,
 * opened at start; a missing file is a warning and that step is skipped) and the
 * domain language model, a folder of files (ARPA + extra pronunciations) built from
 * the store's example questions and answer titles.  The language model is built at
 * start on a builder thread of its own and again on SIGHUP (kd_media_rebuild_lm, on the
 * signal thread); each build gets a new generation number.
 *
 * struct kd_media_worker belongs to one worker thread: its pocketsphinx decoder + VAD
 * (remade when the language model's generation moved) and its vis_worker (tesseract engine, zbar scanner, CNN states).  Everything is made on the
 * first upload that needs it, so kefud starts as fast as before and a text-only
 * deployment never loads a decoder (each costs ~1 s and ~100 MB).
 *
 * Locks: {lock} guards the build state and generation; {flite} the flite voice (flite's
 * global lexicon set-up, which a build's letter-to-sound also needs, is serialised inside
 * speech/ by asr_lex_create and asr_tts_create); {files} (a rwlock) is held for
 * reading while a worker loads the current language model's files and for writing while
 * the builder deletes an old generation's folder.
 */
#ifndef KEFU_DAEMON_MEDIA_H
#define KEFU_DAEMON_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "speech.h"
#include "catalog.h"
#include "vision.h"

struct kd_media;
struct kd_media_worker;

/* Opens the CNN models under conf->models (when conf->vision) and starts the first
 * language-model build (when conf->asr).  Main thread, at start.  Returns NULL with a
 * message in err only on allocation or thread failure: missing models are warnings. */
struct kd_media *kd_media_create(const struct kefu_conf *conf, char *err, size_t errlen);
/* Waits for a build in progress, removes the language-model folder, closes the models.
 * Main thread, after the workers stopped. */
void kd_media_destroy(struct kd_media *m);

/* Builds the domain language model from the store again and swaps it in (workers pick
 * it up at their next clip).  Returns 0, or -1 (the current model stays) with a message
 * in err.  Blocks for the build: call it off the service thread (SIGHUP: signal
 * thread). */
int kd_media_rebuild_lm(struct kd_media *m, char *err, size_t errlen);

/* Worker thread.  The worker's decoder for the current language model (made or remade
 * as needed; waits for the first build at most once) and its VAD.  0, or -1 with a
 * message in err (ASR unavailable). */
int kd_media_asr(struct kd_media *m, struct kd_media_worker **mw, asr_decoder **dec,
		 asr_vad **vad, char *err, size_t errlen);
/* Any thread.  Speaks text with the flite voice conf tts_voice: 0 and a malloc'd
 * 16-bit mono WAV in *wav (caller frees), *len its size; or a negative enum asr_err.
 * flite registers each voice once per process (one cst_voice shared by every
 * asr_tts of that voice), so there is one voice behind a mutex rather than one per
 * worker; synthesis takes a few ms per second of speech. */
int kd_media_speak(struct kd_media *m, const char *text, void **wav, size_t *len);
/* Worker thread.  The worker's vis_worker, or NULL with a message in err. */
struct vis_worker *kd_media_vision(struct kd_media *m, struct kd_media_worker **mw,
				   char *err, size_t errlen);
/* 1 if the SHA-256 (64 lowercase hex) is in conf image_blocklist, else 0.  Any thread. */
int kd_media_blocked(const struct kd_media *m, const char *sha256);
/* Name of a safety class of the safety model ("neutral", ...), or "" without one. */
const char *kd_media_safety_name(const struct kd_media *m, int i);
/* Generation of the language model the decoders use (0: generic model only). */
unsigned kd_media_lm_generation(struct kd_media *m);

/* ---- the fusion model (fusion/fusion.h): words + picture -> answer ---------------------- */

/* Loads the store's latest "fusion" model (with the GloVe vectors under conf models when it
 * was trained with them) and swaps it in; none in the store leaves no model.  A model
 * whose embedding is not conf image_embed's is not used (warning).  0, or -1 with err (the
 * current model stays).  Main thread at start, signal thread on SIGHUP. */
int kd_media_load_fusion(struct kd_media *m, char *err, size_t errlen);

/* Worker thread.  Scores the answers for text + the picture's embedding with the current
 * fusion model and the worker's state for it.  Returns 1 with *answer_id and *conf set
 * when a model is loaded and chose an answer, 0 when there is no model or no choice. */
int kd_media_fuse(struct kd_media *m, struct kd_media_worker **mw, const char *text,
		  const float *embed, int dim, int64_t *answer_id, float *conf);

/* ---- the picture catalogue (vision/catalog.h): answers illustrated by pictures --------- */

/* Loads the store's pictures (computing their missing embeddings with the image_embed
 * CNN) and category head, and swaps them in.  0, or -1 with err (the current catalogue
 * stays).  Main thread at start, signal thread on SIGHUP. */
int kd_media_load_catalog(struct kd_media *m, char *err, size_t errlen);

#define KD_MAX_MATCHES 3

/* Worker thread.  The category (*label copied into label, "" when no head) and the
 * answers whose pictures look like the embedding (best first, at most KD_MAX_MATCHES;
 * returns how many, 0 when none passes the catalogue's threshold or there is none). */
int kd_media_match(struct kd_media *m, const float *embed, int dim, char *label,
		   size_t labellen, float *label_p, struct vis_match *out);

/* Frees a worker's media state (NULL is fine).  The worker's thread or after it ended. */
void kd_media_worker_destroy(struct kd_media_worker *mw);

#endif
