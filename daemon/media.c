/* daemon/media.c — shared models for voice clips and pictures, and the per-worker state
 * made from them (see media.h for the threads and locks).
 *
 * Fusion model.  The store's latest "fusion" model (fusion/, trained by `kefu train`) is
 * loaded at start and on SIGHUP; a worker scores a picture's words + embedding with it
 * under a reference it takes for that one call, so a swap never frees a model in use.
 *
 * Domain language model.  A build reads the store on a connection of its own (the
 * enabled English answers' titles and example questions: the acoustic model is en-us),
 * writes an ARPA trigram model and the pronunciations cmudict lacks (asr_domain_build,
 * speech/domain.c) into a fresh folder <tmp>/kefud-asr-XXXXXX/<generation>, then swaps
 * it in and deletes the previous generation's folder.  Workers remake their decoder (generic en-us LM mixed with the
 * domain one, weight conf asr_domain_weight) when they see a new generation.  A build
 * that fails keeps the previous model; with none at all the decoders use the generic
 * model alone.
 */
#include "media.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "clock.h"
#include "fusion.h"
#include "glove.h"
#include "log.h"
#include "store.h"

#define KD_LM_ARPA "domain.arpa"       /* the names asr_domain_build writes */
#define KD_LM_DICT "extra.dict"

/* One loaded fusion model; freed by whoever drops the last reference (a worker may still
 * score with the previous one after a SIGHUP swap). */
struct kd_fusion {
	int refs;                            /* {kd_media.lock} */
	unsigned gen;
	struct fu_model *model;
};

/* One loaded picture catalogue, reference-counted like kd_fusion. */
struct kd_catalog {
	int refs;                            /* {kd_media.lock} */
	struct vis_catalog *cat;
};

struct kd_media {
	const struct kefu_conf *conf;
	struct vis_cnn *safety, *embed;      /* read-only after create; may be NULL */
	struct nlu_glove *glove;             /* for the fusion model; opened on first need */
	struct kd_fusion *fusion;            /* {lock} current model, one reference; or NULL */
	unsigned fusion_gen;                 /* {lock} */
	struct kd_catalog *catalog;          /* {lock} current catalogue, one reference */
	char (*blocked)[65];                 /* image_blocklist, sorted; read-only */
	size_t n_blocked;

	pthread_mutex_t lock;
	pthread_cond_t built;                /* signalled when a build ends */
	int first_done;                      /* {lock} the start-up build ended */
	unsigned gen;                        /* {lock} 0 = no domain model */
	char dir[512];                       /* {lock} current generation's folder */
	int building;                        /* {lock} a build runs (one at a time) */
	pthread_rwlock_t files;              /* see media.h */

	pthread_mutex_t flite;               /* see media.h (the voice only: flite's global
						set-up has speech/'s own lock) */
	asr_tts *tts;                        /* {flite} made on first use */
	int tts_failed;                      /* {flite} */

	char root[448];                      /* our temp folder ("" if none) */
	pthread_t builder;
	int builder_started;
};

struct kd_media_worker {
	struct fu_state *fu;                 /* for the fusion model of generation fu_gen */
	unsigned fu_gen;
	asr_decoder *dec;
	asr_vad *vad;
	unsigned dec_gen;                    /* language-model generation of dec */
	int asr_failed;                      /* creating a decoder failed for dec_gen */
	struct vis_worker *vis;
	int vis_failed;
	char vis_err[256];
};

/* ---- the domain language model -------------------------------------------------------- */

struct texts {
	char **v;
	size_t n, cap;
	int64_t *en_ids;                     /* enabled English answers, ascending ids */
	size_t n_en, cap_en;
};

static int texts_push(struct texts *t, const char *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		char **v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
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
	if (t->n_en == t->cap_en) {
		size_t cap = t->cap_en ? t->cap_en * 2 : 128;
		int64_t *v = realloc(t->en_ids, cap * sizeof *v);
		if (!v)
			return -1;
		t->en_ids = v;
		t->cap_en = cap;
	}
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

/* Writes dir/domain.arpa and dir/extra.dict from the texts (speech/domain.c).  0 or -1
 * with err. */
static int write_lm(const struct texts *t, const char *dir, char *err, size_t errlen)
{
	struct asr_domain d;
	int rc = asr_domain_build((const char *const *)t->v, t->n, dir, &d, err, errlen);

	if (rc == ASR_ERR_EMPTY)
		snprintf(err, errlen, "no English text in the store to build it from");
	return rc ? -1 : 0;
}

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

int kd_media_rebuild_lm(struct kd_media *m, char *err, size_t errlen)
{
	struct texts t = { 0 };
	char dir[512], old[512] = "";
	unsigned gen;
	int rc = -1;
	uint64_t t0 = cm_now_us();

	if (!m->conf->asr || !m->root[0]) {
		snprintf(err, errlen, "speech recognition is off");
		return -1;
	}
	pthread_mutex_lock(&m->lock);
	while (m->building)
		pthread_cond_wait(&m->built, &m->lock);
	m->building = 1;
	gen = m->gen + 1;
	pthread_mutex_unlock(&m->lock);

	snprintf(dir, sizeof dir, "%s/%u", m->root, gen);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (read_texts(m->conf, &t, err, errlen) || write_lm(&t, dir, err, errlen)) {
		rm_tree(dir);
		goto out;
	}
	/* swap: no worker is reading the old folder while we hold files for writing */
	pthread_rwlock_wrlock(&m->files);
	pthread_mutex_lock(&m->lock);
	snprintf(old, sizeof old, "%s", m->dir);
	snprintf(m->dir, sizeof m->dir, "%s", dir);
	m->gen = gen;
	pthread_mutex_unlock(&m->lock);
	rm_tree(old);
	pthread_rwlock_unlock(&m->files);
	LOG_INFO("domain language model %u ready in %.2f s", gen,
		 (double)(cm_now_us() - t0) / 1e6);
	rc = 0;
out:
	texts_free(&t);
	pthread_mutex_lock(&m->lock);
	m->building = 0;
	pthread_cond_broadcast(&m->built);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static void *builder_main(void *arg)
{
	struct kd_media *m = arg;
	char err[512];

	if (kd_media_rebuild_lm(m, err, sizeof err))
		LOG_WARN("no domain language model (voice uses the generic one): %s", err);
	pthread_mutex_lock(&m->lock);
	m->first_done = 1;
	pthread_cond_broadcast(&m->built);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

unsigned kd_media_lm_generation(struct kd_media *m)
{
	unsigned g;

	pthread_mutex_lock(&m->lock);
	g = m->gen;
	pthread_mutex_unlock(&m->lock);
	return g;
}

/* ---- life cycle ------------------------------------------------------------------------- */

static int cmp_sha(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Reads conf image_blocklist: one SHA-256 hex digest per line ('#' comments, blank
 * lines and other text are skipped with a warning).  0, or -1 on no memory. */
static int load_blocklist(struct kd_media *m, const char *path)
{
	char line[256];
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	if (!path[0])
		return 0;
	f = fopen(path, "r");
	if (!f) {
		LOG_WARN("image_blocklist %s: %s", path, strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, " \t\r\n");
		lineno++;
		if (!n || line[0] == '#')
			continue;
		line[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (line[i] >= 'A' && line[i] <= 'F')
				line[i] = (char)(line[i] - 'A' + 'a');
		if (n != 64 || strspn(line, "0123456789abcdef") != 64) {
			LOG_WARN("image_blocklist %s:%d: not a SHA-256 hex digest", path, lineno);
			continue;
		}
		if (m->n_blocked == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char (*v)[65] = realloc(m->blocked, nc * sizeof *v);
			if (!v) {
				fclose(f);
				return -1;
			}
			m->blocked = v;
			cap = nc;
		}
		memcpy(m->blocked[m->n_blocked++], line, 65);
	}
	fclose(f);
	qsort(m->blocked, m->n_blocked, sizeof *m->blocked, cmp_sha);
	LOG_INFO("image_blocklist %s: %zu pictures", path, m->n_blocked);
	return 0;
}

int kd_media_blocked(const struct kd_media *m, const char *sha256)
{
	return m->n_blocked &&
	       bsearch(sha256, m->blocked, m->n_blocked, sizeof *m->blocked, cmp_sha) != NULL;
}

/* Opens models/NAME.kfm, or warns and returns NULL when it is missing or bad. */
static struct vis_cnn *open_model(const struct kefu_conf *conf, const char *name,
				  const char *step)
{
	char path[CONF_STR_MAX + 64], err[300];
	struct vis_cnn *m;

	snprintf(path, sizeof path, "%s/%s.kfm", conf->models, name);
	if (access(path, R_OK)) {
		LOG_WARN("%s absent (scripts/setup.sh converts it): pictures get no %s", path,
			 step);
		return NULL;
	}
	m = vis_cnn_open(path, err, sizeof err);
	if (!m)
		LOG_WARN("%s: %s: pictures get no %s", path, err, step);
	return m;
}

struct kd_media *kd_media_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_media *m = calloc(1, sizeof *m);
	const char *tmp = getenv("TMPDIR");

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->conf = conf;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->built, NULL);
	pthread_rwlock_init(&m->files, NULL);
	pthread_mutex_init(&m->flite, NULL);
	m->first_done = 1;
	if (conf->vision) {
		m->safety = open_model(conf, "nsfw_mobilenet_v2", "safety check");
		m->embed = open_model(conf, conf->image_embed, "embedding");
		/* one thread per tesseract engine (measured faster); set before any
		 * worker starts one */
		setenv("OMP_THREAD_LIMIT", "1", 0);
		if (load_blocklist(m, conf->image_blocklist)) {
			snprintf(err, errlen, "out of memory");
			kd_media_destroy(m);
			return NULL;
		}
		if (kd_media_load_fusion(m, err, errlen))
			LOG_WARN("no fusion model (pictures answered by the text bot): %s", err);
		if (kd_media_load_catalog(m, err, errlen))
			LOG_WARN("no picture catalogue (no category or matches): %s", err);
	}
	if (!conf->asr)
		return m;
	snprintf(m->root, sizeof m->root, "%s/kefud-asr-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(m->root)) {
		LOG_WARN("%s: %s: voice uses the generic language model", m->root,
			 strerror(errno));
		m->root[0] = '\0';
		return m;
	}
	m->first_done = 0;
	if (pthread_create(&m->builder, NULL, builder_main, m)) {
		snprintf(err, errlen, "cannot start the language-model builder thread");
		m->first_done = 1;
		kd_media_destroy(m);
		return NULL;
	}
	m->builder_started = 1;
	return m;
}

static struct kd_media_worker *worker_state(struct kd_media_worker **mw)
{
	if (!*mw)
		*mw = calloc(1, sizeof **mw);
	return *mw;
}

static void fusion_unref(struct kd_media *m, struct kd_fusion *f)
{
	int last;

	if (!f)
		return;
	pthread_mutex_lock(&m->lock);
	last = --f->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (last) {
		fu_model_destroy(f->model);
		free(f);
	}
}

int kd_media_load_fusion(struct kd_media *m, char *err, size_t errlen)
{
	char path[CONF_STR_MAX + 32];
	struct kd_fusion *f = NULL, *old;
	struct fu_model *model;
	struct store *st;
	int none = 0;

	if (!m->conf->vision)
		return 0;
	if (!m->glove) {
		/* a model trained with word vectors needs them; without the file such a
		 * model is refused below and the others still load */
		snprintf(path, sizeof path, "%s/glove-100d.kfv", m->conf->models);
		m->glove = access(path, R_OK) ? NULL : nlu_glove_open(path, err, errlen);
	}
	st = store_open(m->conf->db, err, errlen);
	if (!st)
		return -1;
	model = fu_model_load_store(st, m->glove, &none, err, errlen);
	store_close(st);
	if (!model && !none)
		return -1;
	if (model) {
		const char *name = fu_model_embed_name(model);
		if (!m->embed || fu_model_embed_dim(model) != vis_cnn_embed_dim(m->embed) ||
		    (name[0] && strcmp(name, vis_cnn_name(m->embed)))) {
			snprintf(err, errlen, "the fusion model reads %s embeddings (%d floats) but "
				 "image_embed is %s: set image_embed to its CNN", name[0] ? name : "?",
				 fu_model_embed_dim(model), m->embed ? vis_cnn_name(m->embed) : "absent");
			fu_model_destroy(model);
			return -1;
		}
		f = calloc(1, sizeof *f);
		if (!f) {
			fu_model_destroy(model);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		f->model = model;
		f->refs = 1;
	}
	pthread_mutex_lock(&m->lock);
	old = m->fusion;
	m->fusion = f;
	if (f)
		f->gen = ++m->fusion_gen;
	pthread_mutex_unlock(&m->lock);
	fusion_unref(m, old);
	if (f)
		LOG_INFO("fusion model loaded: %zu answers, %d-float %s embeddings, rank %d",
			 fu_model_n_answers(model), fu_model_embed_dim(model),
			 vis_cnn_name(m->embed), fu_model_hidden(model));
	return 0;
}

int kd_media_fuse(struct kd_media *m, struct kd_media_worker **mwp, const char *text,
		  const float *embed, int dim, int64_t *answer_id, float *conf)
{
	struct kd_media_worker *mw = worker_state(mwp);
	struct fu_choice ch;
	struct kd_fusion *f;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	f = m->fusion;
	if (f)
		f->refs++;
	pthread_mutex_unlock(&m->lock);
	if (!f || !mw)
		goto out;
	if (!mw->fu || mw->fu_gen != f->gen) {
		fu_state_destroy(mw->fu);
		mw->fu = fu_state_create(f->model);
		mw->fu_gen = f->gen;
		if (!mw->fu)
			goto out;
	}
	if (fu_choose(f->model, mw->fu, text, strlen(text), embed, embed ? dim : 0, &ch,
		      NULL) == 0 && ch.index >= 0 && ch.answer_id > 0) {
		*answer_id = ch.answer_id;
		*conf = ch.confidence;
		rc = 1;
	}
out:
	fusion_unref(m, f);
	return rc;
}

static void catalog_unref(struct kd_media *m, struct kd_catalog *c)
{
	int last;

	if (!c)
		return;
	pthread_mutex_lock(&m->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (last) {
		vis_catalog_free(c->cat);
		free(c);
	}
}

int kd_media_load_catalog(struct kd_media *m, char *err, size_t errlen)
{
	/* pictures whose embedding is missing or stale are left out rather than computed
	 * here (~40 ms each, 16 s for the demo's 400 at every fresh start): `kefu train` and
	 * `kefu pictures add` compute and store them */
	struct vis_catalog_opts opts = { .no_compute = 1 };
	struct kd_catalog *c, *old;
	struct store *st;

	if (!m->conf->vision || !m->embed)
		return 0;
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = store_open(m->conf->db, err, errlen);
	if (st)
		c->cat = vis_catalog_load(st, m->embed, &opts, err, errlen);
	store_close(st);
	if (!c->cat) {
		free(c);
		return -1;
	}
	c->refs = 1;
	pthread_mutex_lock(&m->lock);
	old = m->catalog;
	m->catalog = c;
	pthread_mutex_unlock(&m->lock);
	catalog_unref(m, old);
	LOG_INFO("picture catalogue: %d pictures of %s, category head %s",
		 vis_catalog_size(c->cat), vis_catalog_embed_name(c->cat),
		 vis_catalog_has_head(c->cat) ? "loaded" : "none");
	return 0;
}

int kd_media_match(struct kd_media *m, const float *embed, int dim, char *label,
		   size_t labellen, float *label_p, struct vis_match *out)
{
	struct kd_catalog *c;
	const char *l = NULL;
	int n = 0;

	label[0] = '\0';
	*label_p = 0;
	pthread_mutex_lock(&m->lock);
	c = m->catalog;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&m->lock);
	if (!c || !embed)
		goto out;
	if (vis_catalog_category(c->cat, embed, dim, &l, label_p) == 0 && l)
		snprintf(label, labellen, "%s", l);
	n = vis_catalog_match(c->cat, embed, dim, out, KD_MAX_MATCHES, NULL);
	if (n < 0)
		n = 0;
out:
	catalog_unref(m, c);
	return n;
}

void kd_media_destroy(struct kd_media *m)
{
	if (!m)
		return;
	catalog_unref(m, m->catalog);
	fusion_unref(m, m->fusion);
	nlu_glove_close(m->glove);
	if (m->builder_started)
		pthread_join(m->builder, NULL);
	rm_tree(m->root);
	vis_cnn_close(m->safety);
	vis_cnn_close(m->embed);
	asr_tts_destroy(m->tts);
	free(m->blocked);
	pthread_mutex_destroy(&m->flite);
	pthread_rwlock_destroy(&m->files);
	pthread_cond_destroy(&m->built);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- per-worker state ------------------------------------------------------------------- */

int kd_media_asr(struct kd_media *m, struct kd_media_worker **mwp, asr_decoder **dec,
		 asr_vad **vad, char *err, size_t errlen)
{
	struct kd_media_worker *mw = worker_state(mwp);
	struct asr_model_paths paths = { .domain_weight = (float)m->conf->asr_domain_weight };
	char arpa[600], dict[600];
	unsigned gen;
	asr_decoder *d;
	uint64_t t0;

	if (!mw) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!m->conf->asr) {
		snprintf(err, errlen, "voice messages are turned off on this server");
		return -1;
	}
	if (!mw->vad && !(mw->vad = asr_vad_create(NULL))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&m->lock);
	while (!m->first_done)               /* the start-up build: once, bounded */
		pthread_cond_wait(&m->built, &m->lock);
	pthread_mutex_unlock(&m->lock);
	/* files before lock, as the builder takes them (it holds files for writing while
	 * it swaps) */
	pthread_rwlock_rdlock(&m->files);
	pthread_mutex_lock(&m->lock);
	gen = m->gen;
	snprintf(arpa, sizeof arpa, "%s/" KD_LM_ARPA, m->dir);
	snprintf(dict, sizeof dict, "%s/" KD_LM_DICT, m->dir);
	pthread_mutex_unlock(&m->lock);
	if (mw->dec && mw->dec_gen == gen) {
		pthread_rwlock_unlock(&m->files);
		goto ok;
	}
	if (!mw->dec && mw->asr_failed && mw->dec_gen == gen) {
		pthread_rwlock_unlock(&m->files);
		snprintf(err, errlen, "the speech recogniser could not be loaded");
		return -1;
	}
	if (gen) {
		paths.domain_lm = arpa;
		paths.extra_dict = dict;
	}
	t0 = cm_now_us();
	d = asr_decoder_create(&paths, err, errlen);
	if (!d && gen) {
		LOG_WARN("decoder with the domain model %u failed (%s): generic model only",
			 gen, err);
		paths.domain_lm = paths.extra_dict = NULL;
		d = asr_decoder_create(&paths, err, errlen);
	}
	pthread_rwlock_unlock(&m->files);
	mw->dec_gen = gen;
	if (!d) {
		LOG_ERR("speech recogniser: %s", err);
		mw->asr_failed = 1;
		return -1;
	}
	LOG_INFO("speech decoder loaded (language model %u) in %.2f s", gen,
		 (double)(cm_now_us() - t0) / 1e6);
	asr_decoder_destroy(mw->dec);
	mw->dec = d;
	mw->asr_failed = 0;
ok:
	*dec = mw->dec;
	*vad = mw->vad;
	return 0;
}

int kd_media_speak(struct kd_media *m, const char *text, void **wav, size_t *len)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	int rate = 0, rc;

	*wav = NULL;
	*len = 0;
	pthread_mutex_lock(&m->flite);
	if (!m->tts && !m->tts_failed) {
		m->tts = asr_tts_create(m->conf->tts_voice);
		if (!m->tts) {
			LOG_ERR("no flite voice '%s': spoken replies are off", m->conf->tts_voice);
			m->tts_failed = 1;
		}
	}
	rc = m->tts ? asr_tts_synth(m->tts, text, &pcm, &n, &rate) : ASR_ERR_INTERNAL;
	pthread_mutex_unlock(&m->flite);
	if (rc == 0)
		rc = asr_audio_encode(pcm, n, rate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, wav, len);
	free(pcm);
	return rc;
}

struct vis_worker *kd_media_vision(struct kd_media *m, struct kd_media_worker **mwp,
				   char *err, size_t errlen)
{
	struct kd_media_worker *mw = worker_state(mwp);
	const char *langs = m->conf->ocr_langs[0] ? m->conf->ocr_langs : NULL;
	uint64_t t0;

	if (!mw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!m->conf->vision) {
		snprintf(err, errlen, "pictures are turned off on this server");
		return NULL;
	}
	if (mw->vis)
		return mw->vis;
	if (mw->vis_failed) {
		snprintf(err, errlen, "%s", mw->vis_err);
		return NULL;
	}
	t0 = cm_now_us();
	mw->vis = vis_worker_create(m->safety, m->embed, langs, mw->vis_err, sizeof mw->vis_err);
	if (!mw->vis && langs) {
		/* OCR language data missing: still decode, scan codes and check safety */
		LOG_WARN("OCR (%s) unavailable: %s; pictures are read without OCR", langs,
			 mw->vis_err);
		mw->vis = vis_worker_create(m->safety, m->embed, NULL, mw->vis_err,
					    sizeof mw->vis_err);
	}
	if (!mw->vis) {
		LOG_ERR("vision: %s", mw->vis_err);
		mw->vis_failed = 1;
		snprintf(err, errlen, "%s", mw->vis_err);
		return NULL;
	}
	LOG_INFO("vision worker ready in %.2f s", (double)(cm_now_us() - t0) / 1e6);
	return mw->vis;
}

const char *kd_media_safety_name(const struct kd_media *m, int i)
{
	return m->safety && i >= 0 && i < vis_cnn_n_classes(m->safety)
		       ? vis_cnn_class_name(m->safety, i) : "";
}

void kd_media_worker_destroy(struct kd_media_worker *mw)
{
	if (!mw)
		return;
	fu_state_destroy(mw->fu);
	asr_decoder_destroy(mw->dec);
	asr_vad_destroy(mw->vad);
	vis_worker_destroy(mw->vis);
	free(mw);
}
