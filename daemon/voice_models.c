/* daemon/voice_models.c — the domain language model, each worker's decoder and the flite
 * voice (voice_models.h has the threads and locks).
 *
 * Domain language model.  A build reads the store on a connection of its own (the
 * enabled English answers' titles and example questions: the acoustic model is en-us),
 * writes an ARPA trigram model and the pronunciations cmudict lacks (asr_domain_build,
 * speech/domain.c) into a fresh folder <tmp>/kefud-asr-XXXXXX/<n>, and sets it into the
 * language-model slot.  The previous generation's folder is deleted by the slot's free
 * function when the last worker loading from it lets go.  Workers remake their decoder
 * (generic en-us LM mixed with the domain one, weight conf asr_domain_weight, and the
 * generated entity model asr_domain_build writes beside it) when they
 * see a new generation.  A build that fails keeps the previous model; with none at all
 * the decoders use the generic model alone.
 */
#include "voice_models.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "slot.h"
#include "store.h"

#define KD_LM_ARPA "domain.arpa"       /* the names asr_domain_build writes */
#define KD_LM_DICT "extra.dict"
#define KD_LM_ENTITY "entities.arpa"

/* One built language model: its folder, deleted when the object is freed. */
struct kd_lm {
	char dir[512];
};

struct kd_voice {
	const struct kefu_conf *conf;
	struct cm_slot *lm;                  /* struct kd_lm */

	pthread_mutex_t lock;
	pthread_cond_t built;                /* signalled when a build ends */
	int first_done;                      /* {lock} the start-up build ended */
	int building;                        /* {lock} a build runs (one at a time) */
	unsigned n_built;                    /* {lock} folders made so far */

	pthread_mutex_t flite;               /* the voice only */
	tts_voice *tts;                      /* {flite} made on first use */
	int tts_failed;                      /* {flite} */

	char root[448];                      /* our temp folder ("" if none) */
	pthread_t builder;
	int builder_started;
};

struct kd_voice_worker {
	asr_decoder *dec;
	asr_vad *vad;
	unsigned dec_gen;                    /* language-model generation of dec */
	int asr_failed;                      /* creating a decoder failed for dec_gen */
};

/* ---- reading the store's texts ------------------------------------------------------------ */

struct texts {
	char **v;
	size_t n, cap;
	int64_t *en_ids;                     /* enabled English answers, ascending ids */
	size_t n_en, cap_en;
};

static int texts_push(struct texts *t, const char *s)
{
	char **v = cm_grow(t->v, &t->cap, t->n + 1, sizeof *v, 1024);
	if (!v)
		return -1;
	t->v = v;
	if (!(t->v[t->n] = strdup(s)))
		return -1;
	t->n++;
	return 0;
}

static void texts_free(struct texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->en_ids);
}

static int on_answer(void *arg, const struct store_answer *a)
{
	struct texts *t = arg;

	if (!a->enabled || strcmp(a->lang, "en"))
		return 0;
	int64_t *v = cm_grow(t->en_ids, &t->cap_en, t->n_en + 1, sizeof *v, 128);
	if (!v)
		return -1;
	t->en_ids = v;
	t->en_ids[t->n_en++] = a->id;        /* foreach walks in id order */
	return texts_push(t, a->title);
}

static int is_en(const struct texts *t, int64_t id)
{
	size_t lo = 0, hi = t->n_en;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->en_ids[mid] == id)
			return 1;
		if (t->en_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int on_example(void *arg, int64_t answer_id, const char *text)
{
	struct texts *t = arg;

	return is_en(t, answer_id) ? texts_push(t, text) : 0;
}

/* Reads the texts the language model is built from.  0 or -1 with err. */
static int read_texts(const struct kefu_conf *conf, struct texts *t, char *err, size_t errlen)
{
	struct store *st = store_open(conf->db, err, errlen);
	int rc;

	if (!st)
		return -1;
	rc = store_answers_foreach(st, on_answer, t);
	if (rc == 0)
		rc = store_examples_foreach(st, on_example, t);
	if (rc)
		snprintf(err, errlen, "reading the store: %s",
			 rc < 0 ? store_errmsg(st) : "out of memory");
	store_close(st);
	return rc ? -1 : 0;
}

/* ---- the language-model slot ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path))
		LOG_WARN("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static void rm_tree(const char *path)
{
	if (path[0])
		nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void lm_free(void *obj)
{
	struct kd_lm *lm = obj;

	rm_tree(lm->dir);
	free(lm);
}

int kd_voice_rebuild_lm(struct kd_voice *v, char *err, size_t errlen)
{
	struct texts t = { 0 };
	struct asr_domain d;
	struct kd_lm *lm = NULL;
	unsigned n;
	int rc = -1;
	uint64_t t0 = cm_now_us();

	if (!v->conf->asr || !v->root[0]) {
		snprintf(err, errlen, "speech recognition is off");
		return -1;
	}
	pthread_mutex_lock(&v->lock);
	while (v->building)
		pthread_cond_wait(&v->built, &v->lock);
	v->building = 1;
	n = ++v->n_built;
	pthread_mutex_unlock(&v->lock);

	lm = calloc(1, sizeof *lm);
	if (!lm) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(lm->dir, sizeof lm->dir, "%s/%u", v->root, n);
	if (mkdir(lm->dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", lm->dir, strerror(errno));
		goto out;
	}
	if (read_texts(v->conf, &t, err, errlen))
		goto out;
	rc = asr_domain_build((const char *const *)t.v, t.n, lm->dir, &d, err, errlen);
	if (rc == ASR_ERR_EMPTY)
		snprintf(err, errlen, "no English text in the store to build it from");
	if (rc) {
		rc = -1;
		goto out;
	}
	/* the slot owns lm from here; the previous folder goes with the last user */
	if (!cm_slot_set(v->lm, lm)) {
		lm = NULL;
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	lm = NULL;
	LOG_INFO("domain language model %u ready in %.2f s", cm_slot_generation(v->lm),
		 (double)(cm_now_us() - t0) / 1e6);
out:
	if (lm)
		lm_free(lm);
	texts_free(&t);
	pthread_mutex_lock(&v->lock);
	v->building = 0;
	pthread_cond_broadcast(&v->built);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

static void *builder_main(void *arg)
{
	struct kd_voice *v = arg;
	char err[512];

	if (kd_voice_rebuild_lm(v, err, sizeof err))
		LOG_WARN("no domain language model (voice uses the generic one): %s", err);
	pthread_mutex_lock(&v->lock);
	v->first_done = 1;
	pthread_cond_broadcast(&v->built);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

unsigned kd_voice_lm_generation(struct kd_voice *v)
{
	return cm_slot_generation(v->lm);
}

/* ---- life cycle -------------------------------------------------------------------------- */

struct kd_voice *kd_voice_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_voice *v = calloc(1, sizeof *v);
	const char *tmp = getenv("TMPDIR");

	if (!v || !(v->lm = cm_slot_create(lm_free))) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->conf = conf;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->built, NULL);
	pthread_mutex_init(&v->flite, NULL);
	v->first_done = 1;
	if (!conf->asr)
		return v;
	snprintf(v->root, sizeof v->root, "%s/kefud-asr-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(v->root)) {
		LOG_WARN("%s: %s: voice uses the generic language model", v->root,
			 strerror(errno));
		v->root[0] = '\0';
		return v;
	}
	v->first_done = 0;
	if (pthread_create(&v->builder, NULL, builder_main, v)) {
		snprintf(err, errlen, "cannot start the language-model builder thread");
		v->first_done = 1;
		kd_voice_destroy(v);
		return NULL;
	}
	v->builder_started = 1;
	return v;
}

void kd_voice_destroy(struct kd_voice *v)
{
	if (!v)
		return;
	if (v->builder_started)
		pthread_join(v->builder, NULL);
	cm_slot_destroy(v->lm);              /* removes the current folder */
	rm_tree(v->root);
	tts_destroy(v->tts);
	pthread_mutex_destroy(&v->flite);
	pthread_cond_destroy(&v->built);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* ---- per-worker state -------------------------------------------------------------------- */

int kd_voice_asr(struct kd_voice *v, struct kd_voice_worker **vwp, asr_decoder **dec,
		 asr_vad **vad, char *err, size_t errlen)
{
	struct kd_voice_worker *vw = *vwp ? *vwp : (*vwp = calloc(1, sizeof **vwp));
	struct asr_model_paths paths = { .domain_weight = (float)v->conf->asr_domain_weight,
					 .fast = v->conf->asr_fast,
					 .generic_words = v->conf->asr_generic_words };
	char arpa[600], dict[600], ent[600], mllr[600], hmm[600], spell_hmm[600];
	struct cm_slot_ref ref;
	struct kd_lm *lm;
	asr_decoder *d;
	uint64_t t0;

	if (!vw) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!v->conf->asr) {
		snprintf(err, errlen, "voice messages are turned off on this server");
		return -1;
	}
	if (!vw->vad && !(vw->vad = asr_vad_create(NULL))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&v->lock);
	while (!v->first_done)               /* the start-up build: once, bounded */
		pthread_cond_wait(&v->built, &v->lock);
	pthread_mutex_unlock(&v->lock);
	/* the reference keeps the folder while the decoder reads it */
	lm = cm_slot_acquire(v->lm, &ref);
	if (vw->dec && vw->dec_gen == ref.gen)
		goto ok;
	if (!vw->dec && vw->asr_failed && vw->dec_gen == ref.gen) {
		cm_slot_release(v->lm, &ref);
		snprintf(err, errlen, "the speech recogniser could not be loaded");
		return -1;
	}
	if (lm) {
		snprintf(arpa, sizeof arpa, "%s/" KD_LM_ARPA, lm->dir);
		snprintf(dict, sizeof dict, "%s/" KD_LM_DICT, lm->dir);
		snprintf(ent, sizeof ent, "%s/" KD_LM_ENTITY, lm->dir);
		paths.domain_lm = arpa;
		paths.extra_dict = dict;
		paths.entity_lm = ent;       /* spoken digits, codes, numbers (docs/speech.md) */
	}
	/* real voices: the acoustic transform set-up made, when it is there (docs/speech.md) */
	paths.mllr = asr_mllr_find(v->conf->models, mllr, sizeof mllr);
	paths.hmm = asr_hmm_find(v->conf->models, hmm, sizeof hmm);
	/* the spelled segments of real voices: the spelling search's own adapted model */
	paths.spell_hmm = v->conf->asr_spell_model
			  ? asr_spell_hmm_find(v->conf->models, spell_hmm, sizeof spell_hmm) : NULL;
	t0 = cm_now_us();
	d = asr_decoder_create(&paths, err, errlen);
	if (!d && (paths.mllr || paths.hmm || paths.spell_hmm)) {
		LOG_WARN("decoder with the adapted acoustic models %s, %s / transform %s failed"
			 " (%s): Debian's model", paths.hmm ? paths.hmm : "-",
			 paths.spell_hmm ? paths.spell_hmm : "-", paths.mllr ? paths.mllr : "-", err);
		paths.mllr = paths.hmm = paths.spell_hmm = NULL;
		d = asr_decoder_create(&paths, err, errlen);
	}
	if (!d && lm) {
		LOG_WARN("decoder with the domain model %u failed (%s): generic model only",
			 ref.gen, err);
		paths.domain_lm = paths.extra_dict = paths.entity_lm = NULL;
		d = asr_decoder_create(&paths, err, errlen);
	}
	vw->dec_gen = ref.gen;
	if (!d) {
		cm_slot_release(v->lm, &ref);
		LOG_ERR("speech recogniser: %s", err);
		vw->asr_failed = 1;
		return -1;
	}
	LOG_INFO("speech decoder loaded (language model %u, spelling pass's acoustic model %s,"
		 " acoustic model %s%s%s) in %.2f s", ref.gen,
		 paths.spell_hmm ? paths.spell_hmm : "the first pass's",
		 paths.hmm ? paths.hmm : "Debian's en-us", paths.mllr ? " + " : "",
		 paths.mllr ? paths.mllr : "", (double)(cm_now_us() - t0) / 1e6);
	asr_decoder_destroy(vw->dec);
	vw->dec = d;
	vw->asr_failed = 0;
ok:
	cm_slot_release(v->lm, &ref);
	*dec = vw->dec;
	*vad = vw->vad;
	return 0;
}

int kd_voice_speak(struct kd_voice *v, const char *text, void **wav, size_t *len)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	int rate = 0, rc;

	*wav = NULL;
	*len = 0;
	pthread_mutex_lock(&v->flite);
	if (!v->tts && !v->tts_failed) {
		v->tts = tts_create(v->conf->tts_voice);
		if (!v->tts) {
			LOG_ERR("no flite voice '%s': spoken replies are off", v->conf->tts_voice);
			v->tts_failed = 1;
		}
	}
	rc = v->tts ? tts_synth(v->tts, text, &pcm, &n, &rate) : ASR_ERR_INTERNAL;
	pthread_mutex_unlock(&v->flite);
	if (rc == 0)
		rc = asr_audio_encode(pcm, n, rate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, wav, len);
	free(pcm);
	return rc;
}

void kd_voice_worker_destroy(struct kd_voice_worker *vw)
{
	if (!vw)
		return;
	asr_decoder_destroy(vw->dec);
	asr_vad_destroy(vw->vad);
	free(vw);
}
