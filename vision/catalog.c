/* vision/catalog.c — the store's pictures as a searchable catalogue (vision/catalog.h):
 * loading (computing missing embeddings), multi-view embedding, cosine nearest
 * neighbours with a rejection threshold, the category head's verdict, and the training
 * step `kefu train` calls.
 *
 * Load and train run on the caller's thread with its store connection; a loaded
 * catalogue is immutable and read lock-free by any number of worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "clock.h"
#include "log.h"
#include "store.h"
#include "tensor.h"
#include "utf8.h"

#define MAX_VIEWS VIS_MAX_VIEWS

struct cat_answer {
	int64_t id;
	char title[128];
};

struct cat_pic {
	int64_t id, answer_id;
	char label[64];
	int has_embed;
	int *answers;            /* indices into cat->answers */
	int n_answers;
};

struct vis_catalog {
	char embed_name[64];
	int dim;
	float threshold;
	struct cat_pic *pics;     /* the pictures with an embedding, in id order */
	int n_pics;
	float *embeds;            /* n_pics × dim, L2-normalised */
	struct cat_answer *answers;
	int n_answers;
	struct vis_head *head;    /* NULL if none */
};

/* ---- loading ----------------------------------------------------------------------- */

struct load {
	struct vis_catalog *cat;
	const char *name;
	int dim;
	struct cat_pic *all;      /* every picture */
	float *all_embeds;        /* n_all × dim */
	int n_all, cap;
	int64_t *pair_answer;     /* (answer, label) pairs of store_picture_answers_foreach */
	char (*pair_label)[64];
	int n_pairs, pair_cap;
	int oom;
};

static int collect_picture(void *arg, const struct store_picture *p)
{
	struct load *l = arg;

	if (l->n_all == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		struct cat_pic *a = realloc(l->all, sizeof *a * (size_t)cap);
		if (a)
			l->all = a;
		float *e = realloc(l->all_embeds, sizeof(float) * (size_t)cap * (size_t)l->dim);
		if (e)
			l->all_embeds = e;
		if (!a || !e) {
			l->oom = 1;
			return 1;
		}
		l->cap = cap;
	}
	struct cat_pic *c = &l->all[l->n_all];
	memset(c, 0, sizeof *c);
	c->id = p->id;
	c->answer_id = p->answer_id;
	cm_utf8_copy(c->label, sizeof c->label, p->label);    /* whole characters */
	if (p->embed_model && !strcmp(p->embed_model, l->name) && p->dim == l->dim) {
		memcpy(l->all_embeds + (size_t)l->n_all * l->dim, p->embedding,
		       sizeof(float) * (size_t)l->dim);
		c->has_embed = 1;
	}
	l->n_all++;
	return 0;
}

static int collect_pair(void *arg, int64_t answer_id, const char *label)
{
	struct load *l = arg;

	if (l->n_pairs == l->pair_cap) {
		int cap = l->pair_cap ? 2 * l->pair_cap : 64;
		int64_t *a = realloc(l->pair_answer, sizeof *a * (size_t)cap);
		if (a)
			l->pair_answer = a;
		char (*b)[64] = realloc(l->pair_label, sizeof *b * (size_t)cap);
		if (b)
			l->pair_label = b;
		if (!a || !b) {
			l->oom = 1;
			return 1;
		}
		l->pair_cap = cap;
	}
	l->pair_answer[l->n_pairs] = answer_id;
	snprintf(l->pair_label[l->n_pairs], 64, "%s", label);
	l->n_pairs++;
	return 0;
}

/* Computes and stores picture i's embedding; 0, or non-zero (logged) to skip it. */
static int compute_one(struct store *st, const struct vis_cnn *embed,
		       struct vis_cnn_state *cs, int views, struct load *l, int i)
{
	struct store_picture p;
	struct vis_image img;
	char err[200];
	float *e = l->all_embeds + (size_t)i * l->dim;
	int rc;

	if ((rc = store_picture_get(st, l->all[i].id, 1, &p)))
		return rc;
	rc = vis_decode(p.data, p.len, &(struct vis_decode_opts){ .max_side = 448 }, &img, err,
			sizeof err);
	if (rc) {
		LOG_WARN("picture %lld (%s): %s: left out of the catalogue", (long long)p.id,
			 p.source, err);
		store_picture_clear(&p);
		return rc;
	}
	rc = vis_catalog_embed(embed, cs, &img, views, e);
	vis_image_free(&img);
	if (!rc && (rc = store_picture_set_embedding(st, p.id, l->name, e, l->dim)))
		LOG_WARN("picture %lld: storing its embedding: %s", (long long)p.id,
			 store_errmsg(st));
	store_picture_clear(&p);
	if (!rc)
		l->all[i].has_embed = 1;
	return rc;
}

static int answer_index(struct vis_catalog *cat, struct store *st, int64_t id)
{
	for (int i = 0; i < cat->n_answers; i++)
		if (cat->answers[i].id == id)
			return i;
	struct cat_answer *a = realloc(cat->answers, sizeof *a * (size_t)(cat->n_answers + 1));
	if (!a)
		return -1;
	cat->answers = a;
	a += cat->n_answers;
	a->id = id;
	a->title[0] = '\0';
	struct store_answer sa;
	if (store_answer_get(st, id, &sa) == 0) {
		cm_utf8_copy(a->title, sizeof a->title, sa.title);
		store_answer_clear(&sa);
	}
	return cat->n_answers++;
}

/* Ties picture c to its own answer and to the answers of its label. */
static int link_answers(struct vis_catalog *cat, struct store *st, const struct load *l,
			struct cat_pic *c)
{
	int n = 0;

	c->answers = malloc(sizeof(int) * (size_t)(l->n_pairs + 1));
	if (!c->answers)
		return -1;
	if (c->answer_id) {
		int k = answer_index(cat, st, c->answer_id);
		if (k < 0)
			return -1;
		c->answers[n++] = k;
	}
	for (int p = 0; p < l->n_pairs; p++) {
		if (!c->label[0] || strcmp(l->pair_label[p], c->label) ||
		    l->pair_answer[p] == c->answer_id)
			continue;
		int k = answer_index(cat, st, l->pair_answer[p]), dup = 0;
		if (k < 0)
			return -1;
		for (int j = 0; j < n; j++)
			dup |= c->answers[j] == k;
		if (!dup)
			c->answers[n++] = k;
	}
	c->n_answers = n;
	return 0;
}

static void load_head(struct vis_catalog *cat, struct store *st)
{
	void *blob;
	size_t len;
	int64_t ver;
	char err[200];

	if (store_model_latest(st, VIS_HEAD_KIND, &blob, &len, &ver))
		return;
	struct vis_head *h = vis_head_load(blob, len, err, sizeof err);
	free(blob);
	if (!h) {
		LOG_WARN("image head v%lld: %s", (long long)ver, err);
		return;
	}
	if (vis_head_dim(h) != cat->dim || strcmp(vis_head_embed_name(h), cat->embed_name)) {
		LOG_WARN("image head v%lld is for %s, not %s: run kefu train", (long long)ver,
			 vis_head_embed_name(h), cat->embed_name);
		vis_head_free(h);
		return;
	}
	cat->head = h;
}

struct vis_catalog *vis_catalog_load(struct store *st, const struct vis_cnn *embed,
				     const struct vis_catalog_opts *opts, char *err,
				     size_t errlen)
{
	struct vis_catalog *cat = calloc(1, sizeof *cat);
	struct load l = { 0 };
	int views = opts && opts->views > 0 ? opts->views : VIS_CATALOG_VIEWS, rc, computed = 0;
	uint64_t t0 = cm_now_us();

	if (!cat) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!embed || vis_cnn_embed_dim(embed) <= 0 || views > MAX_VIEWS) {
		snprintf(err, errlen, "the catalogue needs a CNN with an embedding");
		free(cat);
		return NULL;
	}
	cat->dim = l.dim = vis_cnn_embed_dim(embed);
	snprintf(cat->embed_name, sizeof cat->embed_name, "%s", vis_cnn_name(embed));
	cat->threshold = opts && opts->threshold > 0 ? opts->threshold : VIS_CATALOG_THRESHOLD;
	l.cat = cat;
	l.name = cat->embed_name;
	if ((rc = store_pictures_foreach(st, 0, collect_picture, &l)) ||
	    (rc = store_picture_answers_foreach(st, collect_pair, &l))) {
		snprintf(err, errlen, "%s", l.oom ? "out of memory" : store_errmsg(st));
		goto fail;
	}
	/* missing or stale embeddings: computed here, stored in one transaction's worth of
	 * updates (each its own statement; a crash loses only the work not yet stored) */
	struct vis_cnn_state *cs = NULL;
	for (int i = 0; i < l.n_all; i++) {
		if (l.all[i].has_embed || (opts && opts->no_compute))
			continue;
		if (opts && opts->cancel && atomic_load(opts->cancel))
			break;
		if (!cs && !(cs = vis_cnn_state_create(embed))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (compute_one(st, embed, cs, views, &l, i) == 0)
			computed++;
	}
	vis_cnn_state_destroy(cs);

	int n = 0;
	for (int i = 0; i < l.n_all; i++)
		n += l.all[i].has_embed;
	cat->pics = calloc((size_t)(n ? n : 1), sizeof *cat->pics);
	cat->embeds = malloc(sizeof(float) * (size_t)(n ? n : 1) * (size_t)cat->dim);
	if (!cat->pics || !cat->embeds) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < l.n_all; i++) {
		if (!l.all[i].has_embed)
			continue;
		struct cat_pic *c = &cat->pics[cat->n_pics];
		*c = l.all[i];
		memcpy(cat->embeds + (size_t)cat->n_pics * cat->dim,
		       l.all_embeds + (size_t)i * cat->dim, sizeof(float) * (size_t)cat->dim);
		cat->n_pics++;
		if (link_answers(cat, st, &l, c)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	load_head(cat, st);
	LOG_INFO("picture catalogue: %d pictures (%d embedded now) of %d answers, %s, head %s, "
		 "%.0f ms", cat->n_pics, computed, cat->n_answers, cat->embed_name,
		 cat->head ? "loaded" : "none", (double)(cm_now_us() - t0) / 1000.0);
	free(l.all);
	free(l.all_embeds);
	free(l.pair_answer);
	free(l.pair_label);
	return cat;
fail:
	free(l.all);
	free(l.all_embeds);
	free(l.pair_answer);
	free(l.pair_label);
	vis_catalog_free(cat);
	return NULL;
}

void vis_catalog_free(struct vis_catalog *cat)
{
	if (!cat)
		return;
	for (int i = 0; i < cat->n_pics; i++)
		free(cat->pics[i].answers);
	free(cat->pics);
	free(cat->embeds);
	free(cat->answers);
	vis_head_free(cat->head);
	free(cat);
}

int vis_catalog_size(const struct vis_catalog *cat) { return cat->n_pics; }
int vis_catalog_dim(const struct vis_catalog *cat) { return cat->dim; }
const char *vis_catalog_embed_name(const struct vis_catalog *cat) { return cat->embed_name; }
int vis_catalog_has_head(const struct vis_catalog *cat) { return cat->head != NULL; }
float vis_catalog_threshold(const struct vis_catalog *cat) { return cat->threshold; }

/* ---- queries ----------------------------------------------------------------------- */

/* An answer's score: the mean of the TOPK best cosines of its pictures (fewer when it has
 * fewer).  Measured on clothing validation: the label of the single nearest picture is
 * right for 65.4 % of the photos, the mean of the best 5 per label for 75.1 %. */
#define TOPK 5

int vis_catalog_match(const struct vis_catalog *cat, const float *q, int dim,
		      struct vis_match *out, int max, float *best)
{
	float top = -2.0f;
	int n = 0;

	if (dim != cat->dim || !q || max < 0)
		return VIS_E_ARG;
	float *sc = malloc(sizeof(float) * (size_t)(cat->n_answers * TOPK + 1));
	int *cnt = calloc((size_t)cat->n_answers + 1, sizeof(int));
	int *bestpic = malloc(sizeof(int) * (size_t)(cat->n_answers + 1));
	if (!sc || !cnt || !bestpic) {
		free(sc);
		free(cnt);
		free(bestpic);
		return VIS_E_NOMEM;
	}
	for (int i = 0; i < cat->n_pics; i++) {
		const struct cat_pic *c = &cat->pics[i];
		float s = cm_dot((size_t)dim, q, cat->embeds + (size_t)i * dim);
		if (s > top)
			top = s;
		for (int k = 0; k < c->n_answers; k++) {
			int a = c->answers[k], j;
			float *t = sc + (size_t)a * TOPK;   /* kept sorted, best first */
			if (cnt[a] == 0 || s > t[0])
				bestpic[a] = i;
			if (cnt[a] < TOPK)
				j = cnt[a]++;
			else if (s > t[TOPK - 1])
				j = TOPK - 1;
			else
				continue;
			while (j > 0 && t[j - 1] < s) {
				t[j] = t[j - 1];
				j--;
			}
			t[j] = s;
		}
	}
	for (int a = 0; a < cat->n_answers && max > 0; a++) {
		const float *t = sc + (size_t)a * TOPK;
		if (!cnt[a] || t[0] < cat->threshold)
			continue;
		float mean = 0;
		for (int j = 0; j < cnt[a]; j++)
			mean += t[j];
		mean /= (float)cnt[a];
		/* insert into out, best first (ties keep load order: answer id order) */
		int k;
		if (n < max)
			k = n++;
		else if (out[max - 1].score >= mean)
			continue;
		else
			k = max - 1;
		while (k > 0 && out[k - 1].score < mean) {
			out[k] = out[k - 1];
			k--;
		}
		const struct cat_pic *c = &cat->pics[bestpic[a]];
		out[k].answer_id = cat->answers[a].id;
		snprintf(out[k].title, sizeof out[k].title, "%s", cat->answers[a].title);
		out[k].score = mean;
		out[k].picture_id = c->id;
		snprintf(out[k].label, sizeof out[k].label, "%s", c->label);
	}
	free(sc);
	free(cnt);
	free(bestpic);
	if (best)
		*best = cat->n_pics ? top : 0.0f;
	return n;
}

int vis_catalog_category(const struct vis_catalog *cat, const float *q, int dim,
			 const char **label, float *p)
{
	if (!cat->head)
		return 1;
	if (dim != cat->dim || !q)
		return VIS_E_ARG;
	/* the head has no "other" class: a picture like none in the catalogue gets none */
	float top = -2.0f;
	for (int i = 0; i < cat->n_pics; i++) {
		float s = cm_dot((size_t)dim, q, cat->embeds + (size_t)i * dim);
		if (s > top)
			top = s;
	}
	if (cat->n_pics && top < cat->threshold)
		return 2;
	int n = vis_head_n_labels(cat->head);
	float *probs = malloc(sizeof(float) * (size_t)n);
	if (!probs)
		return VIS_E_NOMEM;
	int k = vis_head_predict(cat->head, q, probs);
	*label = vis_head_label(cat->head, k);
	*p = probs[k];
	free(probs);
	return 0;
}

/* ---- training (kefu train) ---------------------------------------------------------- */

int vis_head_train_store(struct store *st, const struct vis_cnn *embed, int *n_pictures,
			 int *n_labels, int64_t *version_out, char *err, size_t errlen)
{
	return vis_head_train_store_as(st, embed, 0, 1, n_pictures, n_labels, version_out, err,
				       errlen);
}

int vis_head_train_store_as(struct store *st, const struct vis_cnn *embed, int64_t run,
			    int live, int *n_pictures, int *n_labels, int64_t *version_out,
			    char *err, size_t errlen)
{
	struct vis_catalog *cat = vis_catalog_load(st, embed, NULL, err, errlen);
	const char **labels = NULL;
	int *y = NULL, nl = 0, n = 0, rc = -1;
	float *x = NULL;

	if (!cat)
		return -1;
	y = malloc(sizeof(int) * (size_t)(cat->n_pics + 1));
	x = malloc(sizeof(float) * (size_t)(cat->n_pics + 1) * (size_t)cat->dim);
	labels = malloc(sizeof(char *) * (size_t)(cat->n_pics + 1));
	if (!y || !x || !labels) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; i < cat->n_pics; i++) {
		const char *lab = cat->pics[i].label;
		int k;
		if (!lab[0])
			continue;
		for (k = 0; k < nl && strcmp(labels[k], lab); k++)
			;
		if (k == nl)
			labels[nl++] = lab;
		y[n] = k;
		memcpy(x + (size_t)n * cat->dim, cat->embeds + (size_t)i * cat->dim,
		       sizeof(float) * (size_t)cat->dim);
		n++;
	}
	*n_pictures = n;
	*n_labels = nl;
	if (nl < 2) {
		rc = 1;
		goto out;
	}
	struct vis_head *h = vis_head_train(x, y, n, cat->dim, labels, nl, cat->embed_name, NULL);
	if (!h) {
		snprintf(err, errlen, "training the image head: out of memory");
		goto out;
	}
	/* 5-fold held-out temperature: the policy multiplies these probabilities with the
	 * text's, so they must be calibrated, not only ranked right */
	float temp = vis_head_calibrate(h, x, y, n, 5, NULL);
	size_t len;
	void *blob = vis_head_save(h, &len);
	vis_head_free(h);
	if (!blob) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	char metrics[200];
	snprintf(metrics, sizeof metrics, "{\"n_pictures\":%d,\"n_labels\":%d,\"embed_model\":\"%s\","
		 "\"temperature\":%.4f}", n, nl, cat->embed_name, temp);
	int64_t ver;
	struct store_model_new mn = { VIS_HEAD_KIND, blob, len, metrics, "", NULL, run, live };
	rc = store_model_save(st, &mn, &ver);
	free(blob);
	if (rc) {
		snprintf(err, errlen, "storing the image head: %s", store_errmsg(st));
		rc = -1;
	} else if (version_out) {
		*version_out = ver;
	}
out:
	free(labels);
	free(x);
	free(y);
	vis_catalog_free(cat);
	return rc;
}
