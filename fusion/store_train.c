/* fusion/store_train.c — `kefu train`'s fusion step: builds struct fu_data from the answer
 * store (enabled answers, their example questions, the pictures table's labelled
 * pictures with embeddings and the answers each label illustrates), trains a fused model
 * and saves it as model kind "fusion" with its metrics and the hash of its data.
 *
 * Embeddings are read, not computed: vision/catalog.c (`kefu train`'s picture step) fills
 * the missing ones first.  Pictures of several CNNs: the one with the most pictures wins.
 * Runs on the caller's thread with the caller's store connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fusion_int.h"
#include "glove.h"
#include "hash.h"
#include "log.h"
#include "store.h"

struct build {
	struct store *st;
	/* answers */
	int64_t *ids;
	int *label;
	size_t n_ans, cap_ans;
	/* labels */
	char **labels;
	size_t n_labels, cap_labels;
	/* questions */
	char **texts;
	int *text_answer;
	size_t n_texts, cap_texts;
	/* pictures */
	float *embeds;
	int *pic_label;
	size_t n_pics, cap_pics;
	int dim;
	char model[64];
	int conflicts;          /* answers showing more than one label (first kept) */
	uint64_t hash;
	int oom;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	*h = cm_fnv1a(*h, p, n);
}

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	void *q = cm_grow(*p, cap, n + 1, elem, 64);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

static int answer_index(const struct build *b, int64_t id)
{
	size_t lo = 0, hi = b->n_ans;       /* ids come in ascending order */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n_ans && b->ids[lo] == id ? (int)lo : -1;
}

static int label_index(struct build *b, const char *name)
{
	for (size_t i = 0; i < b->n_labels; i++)
		if (!strcmp(b->labels[i], name))
			return (int)i;
	if (grow((void **)&b->labels, &b->cap_labels, b->n_labels, sizeof(char *)) ||
	    !(b->labels[b->n_labels] = strdup(name))) {
		b->oom = 1;
		return -1;
	}
	return (int)b->n_labels++;
}

static int on_answer(void *arg, const struct store_answer *a)
{
	struct build *b = arg;
	if (!a->enabled)
		return 0;
	size_t old = b->cap_ans;
	if (grow((void **)&b->ids, &b->cap_ans, b->n_ans, sizeof(int64_t))) {
		b->oom = 1;
		return 1;
	}
	if (b->cap_ans != old) {
		int *l = realloc(b->label, sizeof(int) * b->cap_ans);
		if (!l) {
			b->oom = 1;
			return 1;
		}
		b->label = l;
	}
	b->ids[b->n_ans] = a->id;
	b->label[b->n_ans++] = -1;
	return 0;
}

static int on_example(void *arg, int64_t answer_id, const char *text)
{
	struct build *b = arg;
	int a = answer_index(b, answer_id);
	if (a < 0)
		return 0;
	size_t old = b->cap_texts;
	if (grow((void **)&b->texts, &b->cap_texts, b->n_texts, sizeof(char *))) {
		b->oom = 1;
		return 1;
	}
	if (b->cap_texts != old) {
		int *ta = realloc(b->text_answer, sizeof(int) * b->cap_texts);
		if (!ta) {
			b->oom = 1;
			return 1;
		}
		b->text_answer = ta;
	}
	if (!(b->texts[b->n_texts] = strdup(text))) {
		b->oom = 1;
		return 1;
	}
	hash_bytes(&b->hash, &answer_id, sizeof answer_id);
	hash_bytes(&b->hash, text, strlen(text) + 1);
	b->text_answer[b->n_texts++] = a;
	return 0;
}

/* The label of a picture: its own, or "#<answer id>" for an unlabelled reference picture
 * of one answer (the answer then shows that label). */
static void picture_label(const struct store_picture *p, char *out, size_t outlen)
{
	if (p->label && *p->label)
		snprintf(out, outlen, "%s", p->label);
	else
		snprintf(out, outlen, "#%lld", (long long)p->answer_id);
}

/* Pass 1: which CNN most pictures have embeddings of. */
struct model_count {
	char name[64];
	int dim, n;
};

struct models {
	struct model_count v[8];
	int n;
};

static int count_model(void *arg, const struct store_picture *p)
{
	struct models *m = arg;
	if (!p->embedding || !p->embed_model || p->dim <= 0)
		return 0;
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, p->embed_model) && m->v[i].dim == p->dim) {
			m->v[i].n++;
			return 0;
		}
	if (m->n < 8) {
		snprintf(m->v[m->n].name, sizeof m->v[m->n].name, "%s", p->embed_model);
		m->v[m->n].dim = p->dim;
		m->v[m->n++].n = 1;
	}
	return 0;
}

static void show_label(struct build *b, int a, int l)
{
	if (a < 0 || l < 0)
		return;
	if (b->label[a] < 0)
		b->label[a] = l;
	else if (b->label[a] != l)
		b->conflicts++;
}

static int on_picture(void *arg, const struct store_picture *p)
{
	struct build *b = arg;
	char name[160];
	if (!p->embedding || !p->embed_model || strcmp(p->embed_model, b->model) ||
	    p->dim != b->dim || (!(p->label && *p->label) && !p->answer_id))
		return 0;
	picture_label(p, name, sizeof name);
	int l = label_index(b, name);
	if (l < 0)
		return 1;
	size_t old = b->cap_pics;
	if (grow((void **)&b->pic_label, &b->cap_pics, b->n_pics, sizeof(int))) {
		b->oom = 1;
		return 1;
	}
	if (b->cap_pics != old) {
		float *e = realloc(b->embeds, sizeof(float) * (size_t)b->dim * b->cap_pics);
		if (!e) {
			b->oom = 1;
			return 1;
		}
		b->embeds = e;
	}
	memcpy(b->embeds + b->n_pics * (size_t)b->dim, p->embedding,
	       sizeof(float) * (size_t)b->dim);
	b->pic_label[b->n_pics++] = l;
	if (p->answer_id)
		show_label(b, answer_index(b, p->answer_id), l);
	hash_bytes(&b->hash, p->sha256, sizeof p->sha256);
	hash_bytes(&b->hash, name, strlen(name) + 1);
	return 0;
}

static int on_answer_label(void *arg, int64_t answer_id, const char *label)
{
	struct build *b = arg;
	for (size_t i = 0; i < b->n_labels; i++)       /* only labels that have pictures */
		if (!strcmp(b->labels[i], label)) {
			show_label(b, answer_index(b, answer_id), (int)i);
			hash_bytes(&b->hash, &answer_id, sizeof answer_id);
			hash_bytes(&b->hash, label, strlen(label) + 1);
			break;
		}
	return 0;
}

static void build_free(struct build *b)
{
	for (size_t i = 0; i < b->n_texts; i++)
		free(b->texts[i]);
	for (size_t i = 0; i < b->n_labels; i++)
		free(b->labels[i]);
	free(b->texts);
	free(b->text_answer);
	free(b->labels);
	free(b->ids);
	free(b->label);
	free(b->embeds);
	free(b->pic_label);
}

int fu_train_store(struct store *st, const char *models, struct fu_store_result *r,
		   char *err, size_t errlen)
{
	struct fu_save save = { 0, 1, NULL, NULL };

	return fu_train_store_as(st, models, &save, r, err, errlen);
}

int fu_train_store_as(struct store *st, const char *models, const struct fu_save *save,
		      struct fu_store_result *r, char *err, size_t errlen)
{
	struct build b = { .st = st, .hash = CM_FNV1A_INIT };
	struct models mc = { 0 };
	struct nlu_glove *glove = NULL;
	struct fu_model *m = NULL;
	void *blob = NULL;
	size_t len = 0;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (store_answers_foreach(st, on_answer, &b) || b.oom ||
	    store_pictures_foreach(st, 0, count_model, &mc)) {
		snprintf(err, errlen, "reading the store: %s", b.oom ? "out of memory"
									: store_errmsg(st));
		goto out;
	}
	for (int i = 0; i < mc.n; i++)
		if (!i || mc.v[i].n > mc.v[0].n)
			mc.v[0] = mc.v[i];
	if (!mc.n) {
		r->skipped = 1;
		snprintf(err, errlen, "no pictures with embeddings in the store");
		rc = 0;
		goto out;
	}
	snprintf(b.model, sizeof b.model, "%s", mc.v[0].name);
	b.dim = mc.v[0].dim;
	if (store_pictures_foreach(st, 0, on_picture, &b) || b.oom ||
	    store_picture_answers_foreach(st, on_answer_label, &b) ||
	    store_examples_foreach(st, on_example, &b) || b.oom) {
		snprintf(err, errlen, "reading the store: %s", b.oom ? "out of memory"
									: store_errmsg(st));
		goto out;
	}
	for (size_t a = 0; a < b.n_ans; a++)
		r->n_pictured_answers += b.label[a] >= 0;
	r->n_answers = b.n_ans;
	r->n_questions = b.n_texts;
	r->n_pictures = b.n_pics;
	r->n_labels = b.n_labels;
	r->label_conflicts = b.conflicts;
	snprintf(r->embed_model, sizeof r->embed_model, "%s", b.model);
	if (!r->n_pictured_answers) {
		r->skipped = 1;
		snprintf(err, errlen, "no answer shows a picture label");
		rc = 0;
		goto out;
	}

	char path[1200], msg[300];
	nlu_glove_path(models, path, sizeof path);
	if (!(glove = nlu_glove_open(path, msg, sizeof msg)))
		cm_log(CM_LOG_WARN, "fusion without word vectors: %s", msg);
	struct fu_data d = {
		.n_answers = b.n_ans, .answer_ids = b.ids, .answer_label = b.label,
		.n_labels = b.n_labels, .n_texts = b.n_texts,
		.texts = (const char *const *)b.texts, .text_answer = b.text_answer,
		.n_pictures = b.n_pics, .dim = b.dim, .embeds = b.embeds,
		.picture_label = b.pic_label,
	};
	struct fu_opts o;
	fu_opts_default(&o);
	o.glove = glove;
	o.embed_model = b.model;
	o.on_epoch = save->on_epoch;
	o.on_epoch_arg = save->on_epoch_arg;
	if (!(m = fu_model_train(&d, &o, &r->stats, err, errlen)))
		goto out;
	if (fu_model_save(m, &blob, &len)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	char metrics[600];
	snprintf(metrics, sizeof metrics,
		 "{\"answers\":%zu,\"pictured_answers\":%zu,\"questions\":%zu,\"pictures\":%zu,"
		 "\"labels\":%zu,\"embed_model\":\"%s\",\"hidden\":%d,\"glove\":%s,"
		 "\"held_out_accuracy\":{\"words\":%.4f,\"picture\":%.4f,\"both\":%.4f},"
		 "\"temperature\":[%.4f,%.4f,%.4f],\"train_seconds\":%.2f}",
		 r->n_answers, r->n_pictured_answers, r->n_questions, r->n_pictures, r->n_labels,
		 b.model, o.hidden, glove ? "true" : "false", r->stats.held_out_accuracy[0],
		 r->stats.held_out_accuracy[1], r->stats.held_out_accuracy[2],
		 r->stats.temperature[0], r->stats.temperature[1], r->stats.temperature[2],
		 r->stats.train_seconds);
	snprintf(r->data_hash, sizeof r->data_hash, "%016llx", (unsigned long long)b.hash);
	struct store_model_new mn = { "fusion", blob, len, metrics, r->data_hash, NULL, save->run,
				      save->live };
	if (store_model_save(st, &mn, &r->version)) {
		snprintf(err, errlen, "saving the fusion model: %s", store_errmsg(st));
		goto out;
	}
	r->model_bytes = len;
	rc = 0;
out:
	free(blob);
	fu_model_destroy(m);
	nlu_glove_close(glove);
	build_free(&b);
	return rc;
}
