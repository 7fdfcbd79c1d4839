/* speech/tts.c — text to speech with flite's built-in voices (slt, rms, awb, kal).
 *
 * Used for spoken replies (16 kHz WAV via asr_audio_encode) and by the tests and bench/speech
 * to make spoken queries.  Voices are registered once per tts_voice; flite keeps no other global
 * state that synthesis writes, but a cst_voice carries feature tables that synthesis reads and
 * caches into, so each thread that speaks owns its own tts_voice.  The voices' excitation
 * noise comes from libc rand(), so the same text gives slightly different audio each time
 * unless the caller seeds rand() (the tests and bench/speech do, for repeatable clips).
 * Registering and unregistering a voice run under sp_flite_lock (flite's global set-up).
 */
#include "speech.h"
#include "speech_int.h"

#include <stdlib.h>
#include <string.h>

#include <flite.h>

#include "log.h"

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_kal(const char *voxdir);
void unregister_cmu_us_slt(cst_voice *v);
void unregister_cmu_us_rms(cst_voice *v);
void unregister_cmu_us_awb(cst_voice *v);
void unregister_cmu_us_kal(cst_voice *v);

static const struct {
	const char *name;
	cst_voice *(*reg)(const char *);
	void (*unreg)(cst_voice *);
} voices[] = {
	{ "slt", register_cmu_us_slt, unregister_cmu_us_slt },
	{ "rms", register_cmu_us_rms, unregister_cmu_us_rms },
	{ "awb", register_cmu_us_awb, unregister_cmu_us_awb },
	{ "kal", register_cmu_us_kal, unregister_cmu_us_kal },
};

struct tts_voice {
	int idx;
	cst_voice *voice;
};

tts_voice *tts_create(const char *voice)
{
	for (size_t i = 0; i < sizeof voices / sizeof voices[0]; i++) {
		if (strcmp(voice, voices[i].name) != 0)
			continue;
		tts_voice *t = calloc(1, sizeof *t);
		if (!t)
			return NULL;
		t->idx = (int)i;
		sp_flite_lock();         /* registration initialises flite's shared lexicon */
		flite_init();
		t->voice = voices[i].reg(NULL);
		sp_flite_unlock();
		if (!t->voice) {
			free(t);
			return NULL;
		}
		return t;
	}
	LOG_ERR("unknown flite voice '%s'", voice);
	return NULL;
}

void tts_destroy(tts_voice *t)
{
	if (!t)
		return;
	sp_flite_lock();
	voices[t->idx].unreg(t->voice);
	sp_flite_unlock();
	free(t);
}

int tts_synth(tts_voice *t, const char *text, int16_t **pcm, size_t *n, int *rate)
{
	*pcm = NULL;
	*n = 0;
	cst_wave *w = flite_text_to_wave(text, t->voice);
	if (!w)
		return ASR_ERR_INTERNAL;
	size_t ns = (size_t)w->num_samples * (size_t)(w->num_channels > 0 ? w->num_channels : 1);
	int16_t *out = malloc((ns ? ns : 1) * sizeof *out);
	if (!out) {
		delete_wave(w);
		return ASR_ERR_NOMEM;
	}
	/* mono voices; keep the first channel if one ever is not */
	size_t nf = (size_t)w->num_samples;
	for (size_t i = 0; i < nf; i++)
		out[i] = w->samples[i * (size_t)(w->num_channels > 0 ? w->num_channels : 1)];
	*pcm = out;
	*n = nf;
	*rate = w->sample_rate;
	delete_wave(w);
	return 0;
}
