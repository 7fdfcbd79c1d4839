/* daemon/picture_models.c — the shared picture models and each worker's state for them
 * (picture_models.h has the threads).  The blocklist, catalogue and fusion model live in
 * slots (slot.h); the CNNs are opened once and read-only.
 */
#include "picture_models.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fusion.h"
#include "glove.h"
#include "hash.h"
#include "log.h"
#include "store.h"

/* The image blocklist: SHA-256 hex digests, sorted. */
struct kd_blocklist {
	char (*v)[65];
	size_t n;
};

/* The catalogue and the answers' picture labels, loaded together. */
struct kd_catalogue {
	struct vis_catalog *cat;
	struct pol_labels *labels;
};

struct kd_pic {
	const struct kefu_conf *conf;
	struct vis_cnn *safety, *embed;      /* read-only after create; may be NULL */
	struct nlu_glove *glove;             /* for fusion models; opened by kd_pic_create,
						read-only after */
	struct kd_slot *blocklist;           /* struct kd_blocklist */
	struct kd_slot *catalogue;           /* struct kd_catalogue */
	struct kd_slot *fusion;              /* struct fu_model */
	/* the vision workers (tesseract, zbar, CNN states): as many as pictures may run at
	   once (conf_media_workers), made at start by the warm-up thread, leased for one
	   picture at a time */
	pthread_mutex_t vis_lock;
	pthread_cond_t vis_cond;
	pthread_t warm;
	int warm_started;
	struct vis_worker **vis;             /* {vis_lock} free ones: vis[0..n_free) */
	int n_vis, n_free;                   /* {vis_lock} made, free */
	int warming;                         /* {vis_lock} the warm-up thread still runs */
	char vis_err[256];                   /* {vis_lock} why none could be made */
};

struct kd_pic_worker {
	struct fu_state *fu;                 /* for the fusion model of generation fu_gen */
	unsigned fu_gen;
};

/* ---- free functions of the slots --------------------------------------------------------- */

static void blocklist_free(void *obj)
{
	struct kd_blocklist *b = obj;

	free(b->v);
	free(b);
}

static void catalogue_free(void *obj)
{
	struct kd_catalogue *c = obj;

	vis_catalog_free(c->cat);
	pol_labels_free(c->labels);
	free(c);
}

static void fusion_free(void *obj)
{
	fu_model_destroy(obj);
}

/* ---- the blocklist ----------------------------------------------------------------------- */

static int cmp_sha(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Reads one SHA-256 hex digest per line ('#' comments, blank lines and other text are
 * skipped with a warning).  NULL on no memory; a missing file is an empty list. */
static struct kd_blocklist *read_blocklist(const char *path)
{
	struct kd_blocklist *b = calloc(1, sizeof *b);
	char line[256];
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	if (!b || !path[0])
		return b;
	f = fopen(path, "r");
	if (!f) {
		LOG_WARN("image_blocklist %s: %s", path, strerror(errno));
		return b;
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
		if (b->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char (*v)[65] = realloc(b->v, nc * sizeof *v);
			if (!v) {
				fclose(f);
				blocklist_free(b);
				return NULL;
			}
			b->v = v;
			cap = nc;
		}
		memcpy(b->v[b->n++], line, 65);
	}
	fclose(f);
	qsort(b->v, b->n, sizeof *b->v, cmp_sha);
	LOG_INFO("image_blocklist %s: %zu pictures", path, b->n);
	return b;
}

int kd_pic_load_blocklist(struct kd_pic *p, char *err, size_t errlen)
{
	struct kd_blocklist *b;

	if (!p->conf->vision)
		return 0;
	b = read_blocklist(p->conf->image_blocklist);
	if (!b || !kd_slot_set(p->blocklist, b)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int kd_pic_blocked(struct kd_pic *p, const char *sha256)
{
	struct kd_slot_ref ref;
	struct kd_blocklist *b = kd_slot_acquire(p->blocklist, &ref);
	int hit = b && b->n &&
		  bsearch(sha256, b->v, b->n, sizeof *b->v, cmp_sha) != NULL;

	kd_slot_release(p->blocklist, &ref);
	return hit;
}

/* ---- the fusion model -------------------------------------------------------------------- */

int kd_pic_load_fusion(struct kd_pic *p, char *err, size_t errlen)
{
	struct fu_model *model;
	struct store *st;
	int none = 0;

	if (!p->conf->vision)
		return 0;
	st = store_open(p->conf->db, err, errlen);
	if (!st)
		return -1;
	model = fu_model_load_store(st, p->glove, &none, err, errlen);
	store_close(st);
	if (!model && !none)
		return -1;
	if (model) {
		const char *name = fu_model_embed_name(model);
		if (!p->embed || fu_model_embed_dim(model) != vis_cnn_embed_dim(p->embed) ||
		    (name[0] && strcmp(name, vis_cnn_name(p->embed)))) {
			snprintf(err, errlen, "the fusion model reads %s embeddings (%d floats) but "
				 "image_embed is %s: set image_embed to its CNN", name[0] ? name : "?",
				 fu_model_embed_dim(model), p->embed ? vis_cnn_name(p->embed) : "absent");
			fu_model_destroy(model);
			return -1;
		}
		LOG_INFO("fusion model loaded: %zu answers, %d-float %s embeddings, rank %d",
			 fu_model_n_answers(model), fu_model_embed_dim(model),
			 vis_cnn_name(p->embed), fu_model_hidden(model));
	}
	if (!kd_slot_set(p->fusion, model) && model) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- the catalogue ----------------------------------------------------------------------- */

int kd_pic_load_catalog(struct kd_pic *p, char *err, size_t errlen)
{
	/* pictures whose embedding is missing or stale are left out rather than computed
	 * here (~40 ms each, 16 s for the demo's 400 at every fresh start): `kefu train` and
	 * `kefu pictures add` compute and store them */
	struct vis_catalog_opts opts = { .no_compute = 1 };
	struct kd_catalogue *c;
	struct store *st;

	if (!p->conf->vision || !p->embed)
		return 0;
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = store_open(p->conf->db, err, errlen);
	if (st) {
		c->cat = vis_catalog_load(st, p->embed, &opts, err, errlen);
		if (c->cat)
			c->labels = pol_labels_load(st, err, errlen);
	}
	store_close(st);
	if (!c->cat || !c->labels) {
		catalogue_free(c);
		return -1;
	}
	LOG_INFO("picture catalogue: %d pictures of %s, category head %s, %d labels",
		 vis_catalog_size(c->cat), vis_catalog_embed_name(c->cat),
		 vis_catalog_has_head(c->cat) ? "loaded" : "none",
		 pol_labels_n_labels(c->labels));
	if (!kd_slot_set(p->catalogue, c)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- life cycle -------------------------------------------------------------------------- */

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

/* The warm-up thread: makes the vision workers one after the other (tesseract loads its
 * language data, ~0.3 s of CPU each), so kefud starts at once and its first picture does
 * not pay for them; a picture arriving earlier waits for the first one. */
static void *warm_main(void *arg)
{
	struct kd_pic *p = arg;
	const char *langs = p->conf->ocr_langs[0] ? p->conf->ocr_langs : NULL;
	int want = conf_media_workers(p->conf, NULL);

	pthread_setname_np(pthread_self(), "kd-vis-warm");
	for (int i = 0; i < want; i++) {
		char why[256];
		uint64_t t0 = cm_now_us();
		struct vis_worker *vw = vis_worker_create(p->safety, p->embed, langs, why,
							  sizeof why);
		if (!vw && langs) {
			/* OCR language data missing: still decode, scan codes and check safety */
			LOG_WARN("OCR (%s) unavailable: %s; pictures are read without OCR", langs,
				 why);
			langs = NULL;
			vw = vis_worker_create(p->safety, p->embed, NULL, why, sizeof why);
		}
		if (vw) {
			/* the catalogue's pictures are embedded from VIS_CATALOG_VIEWS views
			 * (picture, mirror, padded square); a query embedded the same way names
			 * the garment more often (bench/policy: category head 83.6 % against
			 * 80.9 % with one view) for two more CNN passes */
			vis_worker_set_embed_views(vw, VIS_CATALOG_VIEWS);
			LOG_INFO("vision worker %d of %d ready in %.2f s", i + 1, want,
				 (double)(cm_now_us() - t0) / 1e6);
		} else {
			LOG_ERR("vision: %s", why);
		}
		pthread_mutex_lock(&p->vis_lock);
		if (vw) {
			p->vis[p->n_free++] = vw;
			p->n_vis++;
		} else {
			snprintf(p->vis_err, sizeof p->vis_err, "%s", why);
		}
		pthread_cond_broadcast(&p->vis_cond);
		pthread_mutex_unlock(&p->vis_lock);
		if (!vw)
			break;
	}
	pthread_mutex_lock(&p->vis_lock);
	p->warming = 0;
	pthread_cond_broadcast(&p->vis_cond);
	pthread_mutex_unlock(&p->vis_lock);
	return NULL;
}

/* Worker thread: a free vision worker for one picture (waiting while all are in use or
 * still being made), or NULL with err when none could be made. */
static struct vis_worker *lease_vision(struct kd_pic *p, char *err, size_t errlen)
{
	struct vis_worker *vw = NULL;

	if (!p->conf->vision) {
		snprintf(err, errlen, "pictures are turned off on this server");
		return NULL;
	}
	pthread_mutex_lock(&p->vis_lock);
	while (!p->n_free && (p->warming || p->n_vis))
		pthread_cond_wait(&p->vis_cond, &p->vis_lock);
	if (p->n_free)
		vw = p->vis[--p->n_free];
	else
		snprintf(err, errlen, "%s", p->vis_err[0] ? p->vis_err : "no vision worker");
	pthread_mutex_unlock(&p->vis_lock);
	return vw;
}

static void return_vision(struct kd_pic *p, struct vis_worker *vw)
{
	pthread_mutex_lock(&p->vis_lock);
	p->vis[p->n_free++] = vw;
	pthread_cond_signal(&p->vis_cond);
	pthread_mutex_unlock(&p->vis_lock);
}

struct kd_pic *kd_pic_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct kd_pic *p = calloc(1, sizeof *p);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = conf;
	pthread_mutex_init(&p->vis_lock, NULL);
	pthread_cond_init(&p->vis_cond, NULL);
	p->blocklist = kd_slot_create(blocklist_free);
	p->catalogue = kd_slot_create(catalogue_free);
	p->fusion = kd_slot_create(fusion_free);
	if (!p->blocklist || !p->catalogue || !p->fusion) {
		snprintf(err, errlen, "out of memory");
		kd_pic_destroy(p);
		return NULL;
	}
	if (!conf->vision)
		return p;
	p->safety = open_model(conf, "nsfw_mobilenet_v2", "safety check");
	p->embed = open_model(conf, conf->image_embed, "embedding");
	/* the word vectors a fusion model may read, opened once before any thread can load
	 * one (the signal and live threads both do); without the file such a model is
	 * refused and the others still load */
	char path[CONF_STR_MAX + 32];
	snprintf(path, sizeof path, "%s/glove-100d.kfv", conf->models);
	p->glove = access(path, R_OK) ? NULL : nlu_glove_open(path, err, errlen);
	if (kd_pic_load_blocklist(p, err, errlen)) {
		kd_pic_destroy(p);
		return NULL;
	}
	if (kd_pic_load_fusion(p, err, errlen))
		LOG_WARN("no fusion model (pictures answered without it): %s", err);
	if (kd_pic_load_catalog(p, err, errlen))
		LOG_WARN("no picture catalogue (no category or matches): %s", err);
	p->vis = calloc((size_t)conf_media_workers(conf, NULL), sizeof *p->vis);
	if (!p->vis) {
		snprintf(err, errlen, "out of memory");
		kd_pic_destroy(p);
		return NULL;
	}
	p->warming = 1;
	if (pthread_create(&p->warm, NULL, warm_main, p)) {
		snprintf(err, errlen, "cannot start the vision warm-up thread");
		p->warming = 0;
		kd_pic_destroy(p);
		return NULL;
	}
	p->warm_started = 1;
	return p;
}

void kd_pic_destroy(struct kd_pic *p)
{
	if (!p)
		return;
	if (p->warm_started)
		pthread_join(p->warm, NULL);
	for (int i = 0; i < p->n_free; i++)  /* the workers stopped: every one is free */
		vis_worker_destroy(p->vis[i]);
	free(p->vis);
	pthread_mutex_destroy(&p->vis_lock);
	pthread_cond_destroy(&p->vis_cond);
	kd_slot_destroy(p->catalogue);
	kd_slot_destroy(p->fusion);
	kd_slot_destroy(p->blocklist);
	nlu_glove_close(p->glove);
	vis_cnn_close(p->safety);
	vis_cnn_close(p->embed);
	free(p);
}

/* ---- per-worker state -------------------------------------------------------------------- */

static struct kd_pic_worker *worker_state(struct kd_pic_worker **pw)
{
	if (!*pw)
		*pw = calloc(1, sizeof **pw);
	return *pw;
}

void kd_pic_acquire(struct kd_pic *p, struct kd_pic_worker **pwp, struct kd_pic_use *u,
		    struct pol_models *pm)
{
	struct kd_pic_worker *pw = worker_state(pwp);
	struct kd_catalogue *c = kd_slot_acquire(p->catalogue, &u->cat);
	struct fu_model *f = kd_slot_acquire(p->fusion, &u->fusion);

	pm->labels = c ? c->labels : NULL;
	pm->fusion = NULL;
	pm->fs = NULL;
	if (!f || !pw)
		return;
	if (!pw->fu || pw->fu_gen != u->fusion.gen) {
		fu_state_destroy(pw->fu);
		pw->fu = fu_state_create(f);
		pw->fu_gen = u->fusion.gen;
	}
	if (pw->fu) {
		pm->fusion = f;
		pm->fs = pw->fu;
	}
}

void kd_pic_release(struct kd_pic *p, struct kd_pic_use *u)
{
	kd_slot_release(p->catalogue, &u->cat);
	kd_slot_release(p->fusion, &u->fusion);
}

int kd_pic_match(const struct kd_pic_use *u, const float *embed, int dim, char *label,
		 size_t labellen, float *label_p, struct vis_match *out)
{
	const struct kd_catalogue *c = u->cat.obj;
	const char *l = NULL;
	int n;

	label[0] = '\0';
	*label_p = 0;
	if (!c || !embed)
		return 0;
	if (vis_catalog_category(c->cat, embed, dim, &l, label_p) == 0 && l)
		snprintf(label, labellen, "%s", l);
	n = vis_catalog_match(c->cat, embed, dim, out, KD_MAX_MATCHES, NULL);
	return n < 0 ? 0 : n;
}

/* ---- one picture, read and answered ------------------------------------------------------ */

/* The picture as the policy reads it: pointers into seen, catalogue results and the
 * blocklist verdict.  ents and codes are the caller's arrays of s's sizes. */
static struct pol_picture policy_picture(const struct vis_seen *s, struct pol_entity *ents,
					 const char **codes, const char *category,
					 float category_p, const struct vis_match *match,
					 struct pol_match *pm, int n_match)
{
	struct pol_picture pic = { .unsafe = s->unsafe, .ocr_text = s->ocr.text,
				   .entities = ents, .n_entities = s->n_entities,
				   .codes = codes, .embed = s->embed,
				   .embed_dim = s->embed ? s->embed_dim : 0,
				   .category = category, .category_p = category_p,
				   .matches = pm, .n_matches = n_match };

	for (int i = 0; i < s->n_entities; i++)
		ents[i] = (struct pol_entity){ s->entities[i].kind == VIS_ENT_ORDER ? POL_ENT_ORDER :
					       s->entities[i].kind == VIS_ENT_ERROR_CODE
						       ? POL_ENT_ERROR_CODE : POL_ENT_OTHER,
					       s->entities[i].text };
	for (int i = 0; i < s->codes.n; i++)
		if (s->codes.v[i].utf8)            /* only UTF-8 contents are text */
			codes[pic.n_codes++] = s->codes.v[i].data;
	for (int i = 0; i < n_match; i++)
		pm[i] = (struct pol_match){ match[i].answer_id, match[i].score };
	return pic;
}

int kd_pic_answer(struct kd_pic *p, struct kd_pic_worker **pw, const struct pol_models *base,
		  const uint8_t *data, size_t len, const struct vis_decode_opts *opts,
		  const char *words, size_t words_len, int ask, struct kd_pic_seen *out,
		  char *err, size_t errlen)
{
	struct vis_worker *vw = p ? lease_vision(p, err, errlen) : NULL;
	struct pol_match pmatch[KD_MAX_MATCHES];
	struct pol_entity *ents = NULL;
	const char **codes = NULL;
	struct kd_pic_use use = { 0 };
	struct pol_models m = *base;
	int rc;

	memset(out, 0, sizeof *out);
	if (!vw) {
		if (!p)
			snprintf(err, errlen, "pictures are not available");
		return KD_PIC_FAILED;
	}
	/* the vision decoder takes a zero-byte buffer as corrupt_image */
	rc = vis_see(vw, data ? data : (const uint8_t *)"", len, opts, &out->seen, err, errlen);
	return_vision(p, vw);
	if (rc)
		return rc;
	out->format = out->seen.format_name;
	out->safety_label = out->seen.safety_label;
	if (cm_sha256_hex(data, len, out->sha256))
		goto oom;
	/* a picture on the operator's blocklist is refused whatever the model says */
	if (!out->seen.unsafe && kd_pic_blocked(p, out->sha256)) {
		LOG_INFO("a picture is on the image_blocklist");
		out->seen.unsafe = 1;
	}
	kd_pic_acquire(p, pw, &use, &m);
	if (!out->seen.unsafe && out->seen.embed)
		out->n_match = kd_pic_match(&use, out->seen.embed, out->seen.embed_dim,
					    out->category, sizeof out->category,
					    &out->category_p, out->match);
	if (ask) {
		ents = calloc((size_t)out->seen.n_entities + 1, sizeof *ents);
		codes = calloc((size_t)out->seen.codes.n + 1, sizeof *codes);
		if (!ents || !codes)
			goto oom_release;
		struct pol_picture pic = policy_picture(&out->seen, ents, codes, out->category,
							out->category_p, out->match, pmatch,
							out->n_match);
		struct pol_input in = { .words = words, .words_len = words ? words_len : 0,
					.picture = &pic };
		if (pol_answer(&m, &in, &out->reply))
			goto oom_release;
		out->answered = 1;
	}
	kd_pic_release(p, &use);
	free(ents);
	free(codes);
	return 0;
oom_release:
	kd_pic_release(p, &use);
oom:
	free(ents);
	free(codes);
	kd_pic_seen_free(out);
	snprintf(err, errlen, "out of memory");
	return KD_PIC_FAILED;
}

void kd_pic_seen_free(struct kd_pic_seen *s)
{
	pol_reply_clear(&s->reply);
	vis_seen_free(&s->seen);
	memset(s, 0, sizeof *s);
}

void kd_pic_worker_destroy(struct kd_pic_worker *pw)
{
	if (!pw)
		return;
	fu_state_destroy(pw->fu);
	free(pw);
}
