/* picture/models.c — the models behind pictures, shared by every worker (picture.h has
 * the threads): the CNNs, opened once and read-only; the image blocklist, the catalogue
 * with the answers' labels and the fusion model, each in a slot (common/slot.h) that
 * pic_load_* swaps; the vision workers, made by a warm-up thread and leased per picture.
 */
#include "models.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fusion.h"
#include "glove.h"
#include "log.h"
#include "store.h"

/* ---- free functions of the slots --------------------------------------------------------- */

static void blocklist_free(void *obj)
{
	struct pic_blocklist *b = obj;

	free(b->v);
	free(b);
}

static void catalogue_free(void *obj)
{
	struct pic_catalogue *c = obj;

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
static struct pic_blocklist *read_blocklist(const char *path)
{
	struct pic_blocklist *b = calloc(1, sizeof *b);
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
		char (*v)[65] = cm_grow(b->v, &cap, b->n + 1, sizeof *v, 64);
		if (!v) {
			fclose(f);
			blocklist_free(b);
			return NULL;
		}
		b->v = v;
		memcpy(b->v[b->n++], line, 65);
	}
	fclose(f);
	qsort(b->v, b->n, sizeof *b->v, cmp_sha);
	LOG_INFO("image_blocklist %s: %zu pictures", path, b->n);
	return b;
}

int pic_load_blocklist(struct pic_models *p, char *err, size_t errlen)
{
	struct pic_blocklist *b;

	if (!p->conf->vision)
		return 0;
	b = read_blocklist(p->conf->image_blocklist);
	if (!b || !cm_slot_set(p->blocklist, b)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int pic_blocked(struct pic_models *p, const char *sha256)
{
	struct cm_slot_ref ref;
	struct pic_blocklist *b = cm_slot_acquire(p->blocklist, &ref);
	int hit = b && b->n &&
		  bsearch(sha256, b->v, b->n, sizeof *b->v, cmp_sha) != NULL;

	cm_slot_release(p->blocklist, &ref);
	return hit;
}

/* ---- the fusion model -------------------------------------------------------------------- */

int pic_load_fusion(struct pic_models *p, char *err, size_t errlen)
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
	if (!cm_slot_set(p->fusion, model) && model) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- the catalogue ----------------------------------------------------------------------- */

int pic_load_catalog(struct pic_models *p, char *err, size_t errlen)
{
	/* pictures whose embedding is missing or stale are left out rather than computed
	 * here (~40 ms each, 16 s for the demo's 400 at every fresh start): `kefu train` and
	 * `kefu pictures add` compute and store them */
	struct vis_catalog_opts opts = { .no_compute = 1 };
	struct pic_catalogue *c;
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
	if (!cm_slot_set(p->catalogue, c)) {
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
	struct pic_models *p = arg;
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
struct vis_worker *pic_lease_vision(struct pic_models *p, char *err, size_t errlen)
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

void pic_return_vision(struct pic_models *p, struct vis_worker *vw)
{
	pthread_mutex_lock(&p->vis_lock);
	p->vis[p->n_free++] = vw;
	pthread_cond_signal(&p->vis_cond);
	pthread_mutex_unlock(&p->vis_lock);
}

struct pic_models *pic_models_create(const struct kefu_conf *conf, char *err, size_t errlen)
{
	struct pic_models *p = calloc(1, sizeof *p);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = conf;
	pthread_mutex_init(&p->vis_lock, NULL);
	pthread_cond_init(&p->vis_cond, NULL);
	p->blocklist = cm_slot_create(blocklist_free);
	p->catalogue = cm_slot_create(catalogue_free);
	p->fusion = cm_slot_create(fusion_free);
	if (!p->blocklist || !p->catalogue || !p->fusion) {
		snprintf(err, errlen, "out of memory");
		pic_models_destroy(p);
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
	if (pic_load_blocklist(p, err, errlen)) {
		pic_models_destroy(p);
		return NULL;
	}
	if (pic_load_fusion(p, err, errlen))
		LOG_WARN("no fusion model (pictures answered without it): %s", err);
	if (pic_load_catalog(p, err, errlen))
		LOG_WARN("no picture catalogue (no category or matches): %s", err);
	p->vis = calloc((size_t)conf_media_workers(conf, NULL), sizeof *p->vis);
	if (!p->vis) {
		snprintf(err, errlen, "out of memory");
		pic_models_destroy(p);
		return NULL;
	}
	p->warming = 1;
	if (pthread_create(&p->warm, NULL, warm_main, p)) {
		snprintf(err, errlen, "cannot start the vision warm-up thread");
		p->warming = 0;
		pic_models_destroy(p);
		return NULL;
	}
	p->warm_started = 1;
	return p;
}

void pic_models_destroy(struct pic_models *p)
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
	cm_slot_destroy(p->catalogue);
	cm_slot_destroy(p->fusion);
	cm_slot_destroy(p->blocklist);
	nlu_glove_close(p->glove);
	vis_cnn_close(p->safety);
	vis_cnn_close(p->embed);
	free(p);
}

