/* vision/test_catalog.c — the picture store, catalogue and category head:
 *   store    pictures round trip in a fresh store (add, duplicate bytes, get, walk, set
 *            embedding, the answers a label illustrates through tags, delete);
 *   head     softmax head on separable synthetic clusters, blob round trip, bad blobs;
 *   catalog  MODELS_DIR: a few demo clothing photos in a store, the catalogue computes
 *            their embeddings; a held-out shoe photo matches "Returning shoes", a
 *            screenshot is not in the catalogue; the head trained by
 *            vis_head_train_store names held-out photos.  Exits 77 when a model is absent.
 * Main thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "file.h"
#include "store.h"
#include "tensor.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)

static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", KEFU_SRCDIR, rel);
	return cm_read_file(path, len);
}

static struct store *fresh_store(const char *name, char *path, size_t cap)
{
	char err[300];
	snprintf(path, cap, "/tmp/kefu-test-catalog-%d-%s.db", (int)getpid(), name);
	const char *sfx[3] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char p[1100];
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
	struct store *st = store_open(path, err, sizeof err);
	if (!st)
		fprintf(stderr, "%s\n", err);
	return st;
}

static void drop_store(struct store *st, const char *path)
{
	char p[1100];
	store_close(st);
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

/* ---- store ------------------------------------------------------------------------- */

struct walk {
	int n, with_embed;
	int64_t pairs[8][2];
	char labels[8][16];
	int n_pairs;
};

static int walk_cb(void *arg, const struct store_picture *p)
{
	struct walk *w = arg;
	w->n++;
	w->with_embed += p->embedding != NULL;
	return 0;
}

static int pair_cb(void *arg, int64_t aid, const char *label)
{
	struct walk *w = arg;
	if (w->n_pairs < 8) {
		w->pairs[w->n_pairs][0] = aid;
		snprintf(w->labels[w->n_pairs], 16, "%s", label);
		w->n_pairs++;
	}
	return 0;
}

static int test_store(void)
{
	char path[1024];
	struct store *st = fresh_store("store", path, sizeof path);
	int64_t shoes, bag, p1, p2, p3, dup;
	struct store_picture p;
	const char a[] = "not really a jpeg but bytes", b[] = "other bytes", c[] = "third";

	if (!st)
		return 1;
	CHECK(store_answer_add(st, "Returning shoes", "Send them back.", "en", "clothing,shoes",
			       &shoes) == 0);
	CHECK(store_answer_add(st, "Bag straps", "Adjust them.", "en", "", &bag) == 0);
	CHECK(store_picture_add(st, 0, "shoes", "a.jpg", a, sizeof a, &p1) == 0);
	CHECK(store_picture_add(st, 0, "shoes", "again.jpg", a, sizeof a, &dup) == STORE_DUPLICATE);
	CHECK(dup == p1);
	CHECK(store_picture_add(st, bag, "bag", "b.jpg", b, sizeof b, &p2) == 0);
	CHECK(store_picture_add(st, 0, NULL, "c.jpg", c, sizeof c, &p3) == STORE_INVALID);
	CHECK(store_picture_add(st, 999, NULL, "c.jpg", c, sizeof c, &p3) == STORE_NOT_FOUND);
	CHECK(store_picture_add(st, 0, "x", "c.jpg", NULL, 0, &p3) == STORE_INVALID);

	CHECK(store_picture_get(st, p1, 1, &p) == 0);
	CHECK(p.len == sizeof a && !memcmp(p.data, a, sizeof a));
	CHECK(!strcmp(p.label, "shoes") && !strcmp(p.source, "a.jpg") && p.answer_id == 0);
	CHECK(strlen(p.sha256) == 64 && p.embedding == NULL && p.embed_model == NULL);
	store_picture_clear(&p);

	float v[4] = { 1, 2, 3, 4 };
	CHECK(store_picture_set_embedding(st, p2, "cnn_x", v, 4) == 0);
	CHECK(store_picture_set_embedding(st, 12345, "cnn_x", v, 4) == STORE_NOT_FOUND);
	CHECK(store_picture_get(st, p2, 0, &p) == 0);
	CHECK(p.data == NULL && p.dim == 4 && p.embedding && p.embedding[3] == 4.0f);
	CHECK(p.embed_model && !strcmp(p.embed_model, "cnn_x") && p.answer_id == bag);
	store_picture_clear(&p);

	struct walk w = { 0 };
	CHECK(store_pictures_foreach(st, 1, walk_cb, &w) == 0);
	CHECK(w.n == 2 && w.with_embed == 1);
	int64_t n;
	CHECK(store_picture_count(st, &n) == 0 && n == 2);
	/* shoes through its tags, the bag answer through its own picture */
	CHECK(store_picture_answers_foreach(st, pair_cb, &w) == 0);
	CHECK(w.n_pairs == 2);
	CHECK(w.pairs[0][0] == shoes && !strcmp(w.labels[0], "shoes"));
	CHECK(w.pairs[1][0] == bag && !strcmp(w.labels[1], "bag"));

	CHECK(store_picture_delete(st, p1) == 0);
	CHECK(store_picture_delete(st, p1) == STORE_NOT_FOUND);
	CHECK(store_picture_count(st, &n) == 0 && n == 1);
	CHECK(store_answer_delete(st, bag) == 0);          /* ON DELETE CASCADE */
	CHECK(store_picture_count(st, &n) == 0 && n == 0);
	drop_store(st, path);
	return 0;
}

/* ---- head -------------------------------------------------------------------------- */

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 65536.0f;
}

static int test_head(void)
{
	enum { N = 300, DIM = 32, L = 3 };
	static float x[N * DIM];
	int y[N];
	unsigned seed = 7;
	const char *labels[L] = { "hat", "shoes", "t-shirt" };

	/* class k: features k*8..k*8+7 high, the rest noise (non-negative, like ReLU6) */
	for (int i = 0; i < N; i++) {
		y[i] = i % L;
		for (int d = 0; d < DIM; d++)
			x[i * DIM + d] = 0.3f * frand(&seed) + ((d / 8) == y[i] ? 1.0f : 0.0f);
	}
	struct vis_head *h = vis_head_train(x, y, N - 30, DIM, labels, L, "synthetic", NULL);
	CHECK(h != NULL);
	if (!h)
		return 1;
	int right = 0;
	float probs[L];
	for (int i = N - 30; i < N; i++)
		right += vis_head_predict(h, x + i * DIM, probs) == y[i];
	CHECK(right == 30);
	CHECK(probs[y[N - 1]] > 0.8f);

	size_t len;
	void *blob = vis_head_save(h, &len);
	char err[200];
	CHECK(blob != NULL);
	struct vis_head *h2 = vis_head_load(blob, len, err, sizeof err);
	CHECK(h2 != NULL);
	if (h2) {
		float p2[L];
		vis_head_predict(h2, x + (N - 1) * DIM, p2);
		CHECK(fabsf(p2[0] - probs[0]) < 1e-6f && fabsf(p2[2] - probs[2]) < 1e-6f);
		CHECK(!strcmp(vis_head_label(h2, 1), "shoes") && vis_head_dim(h2) == DIM);
		CHECK(!strcmp(vis_head_embed_name(h2), "synthetic"));
		vis_head_free(h2);
	}
	CHECK(vis_head_load(blob, len - 1, err, sizeof err) == NULL);      /* truncated */
	((char *)blob)[0] = 'X';
	CHECK(vis_head_load(blob, len, err, sizeof err) == NULL);          /* bad magic */
	free(blob);

	/* calibration: on separable classes the held-out probabilities of an L2-regularised
	 * head are under-confident, so T < 1 sharpens them; the labels stay the same */
	float before[L], after[L];
	int same = 1;
	vis_head_predict(h, x + (N - 1) * DIM, before);
	float t = vis_head_calibrate(h, x, y, N - 30, 5, NULL);
	CHECK(t >= 0.05f && t < 1.0f);
	for (int i = N - 30; i < N; i++)
		same &= vis_head_predict(h, x + i * DIM, probs) == y[i];
	CHECK(same);
	vis_head_predict(h, x + (N - 1) * DIM, after);
	CHECK(after[y[N - 1]] > before[y[N - 1]]);
	CHECK(vis_head_calibrate(h, x, y, 6, 5, NULL) == 1.0f);           /* too few */

	y[0] = L;                                                          /* bad label */
	CHECK(vis_head_train(x, y, N, DIM, labels, L, "synthetic", NULL) == NULL);
	vis_head_free(h);
	return 0;
}

/* ---- catalog ----------------------------------------------------------------------- */

/* Demo photos (store/demo/clothing, CC0): the first ones go in the store, the last of
 * each kind is held out as the query. */
static const char *const shoes[] = { "pic_shoes_00f6e504.jpg", "pic_shoes_01c5cb43.jpg",
				     "pic_shoes_04dd77eb.jpg", "pic_shoes_04fa06fb.jpg" };
static const char *const dress[] = { "pic_dress_009b3c31.jpg", "pic_dress_041c6bde.jpg",
				     "pic_dress_04f0b07f.jpg", "pic_dress_053689bb.jpg" };

static int add_demo(struct store *st, const char *name, const char *label)
{
	char rel[256];
	size_t len;
	snprintf(rel, sizeof rel, "store/demo/clothing/%s", name);
	char *data = slurp(rel, &len);
	if (!data) {
		fprintf(stderr, "missing %s\n", rel);
		return 1;
	}
	int rc = store_picture_add(st, 0, label, name, data, len, NULL);
	free(data);
	return rc;
}

static int query(const struct vis_cnn *m, struct vis_cnn_state *cs, const char *rel, float *q)
{
	size_t len;
	char *data = slurp(rel, &len), err[200];
	struct vis_image img;
	if (!data)
		return -1;
	int rc = vis_decode((const uint8_t *)data, len, NULL, &img, err, sizeof err);
	free(data);
	if (rc)
		return rc;
	rc = vis_catalog_embed(m, cs, &img, VIS_CATALOG_VIEWS, q);
	vis_image_free(&img);
	return rc;
}

static int test_catalog(const char *models)
{
	char path[1024], err[300];
	snprintf(path, sizeof path, "%s/mobilenet_v2_imagenet.kfm", models);
	if (access(path, R_OK)) {
		printf("SKIP: %s absent (scripts/setup.sh converts it)\n", path);
		return 77;
	}
	struct vis_cnn *m = vis_cnn_open(path, err, sizeof err);
	CHECK(m != NULL);
	if (!m)
		return 1;
	struct store *st = fresh_store("catalog", path, sizeof path);
	int64_t ret_shoes, ret_dress;
	CHECK(store_answer_add(st, "Returning shoes", "...", "en", "clothing,shoes", &ret_shoes) == 0);
	CHECK(store_answer_add(st, "Returning dresses", "...", "en", "clothing,dress", &ret_dress) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(add_demo(st, shoes[i], "shoes") == 0);
		CHECK(add_demo(st, dress[i], "dress") == 0);
	}
	struct vis_catalog *cat = vis_catalog_load(st, m, NULL, err, sizeof err);
	CHECK(cat != NULL);
	if (!cat)
		return 1;
	CHECK(vis_catalog_size(cat) == 6 && vis_catalog_dim(cat) == vis_cnn_embed_dim(m));
	CHECK(!vis_catalog_has_head(cat));

	/* embeddings were stored: a second load computes none and gives the same result */
	struct vis_catalog *again = vis_catalog_load(st, m, &(struct vis_catalog_opts){
							     .no_compute = 1 }, err, sizeof err);
	CHECK(again && vis_catalog_size(again) == 6);
	vis_catalog_free(again);

	struct vis_cnn_state *cs = vis_cnn_state_create(m);
	float *q = malloc(sizeof(float) * (size_t)vis_cnn_embed_dim(m)), best;
	struct vis_match mt[4];
	int n;
	CHECK(query(m, cs, "store/demo/clothing/pic_shoes_04fa06fb.jpg", q) == 0);
	n = vis_catalog_match(cat, q, vis_catalog_dim(cat), mt, 4, &best);
	printf("held-out shoe: %d matches, best %.3f (%s)\n", n, best, n ? mt[0].title : "-");
	CHECK(n >= 1 && mt[0].answer_id == ret_shoes && !strcmp(mt[0].label, "shoes"));
	CHECK(!strcmp(mt[0].title, "Returning shoes") && mt[0].score <= best);
	CHECK(vis_catalog_match(cat, q, 3, mt, 4, NULL) == VIS_E_ARG);

	CHECK(query(m, cs, "vision/testdata/ocr_error.png", q) == 0);
	n = vis_catalog_match(cat, q, vis_catalog_dim(cat), mt, 4, &best);
	printf("screenshot: %d matches, best %.3f (threshold %.2f)\n", n, best,
	       vis_catalog_threshold(cat));
	CHECK(n == 0 && best < vis_catalog_threshold(cat));

	/* the head, trained from the store and loaded with the next catalogue */
	int np = 0, nl = 0;
	int64_t ver = 0;
	CHECK(vis_head_train_store(st, m, &np, &nl, &ver, err, sizeof err) == 0);
	CHECK(np == 6 && nl == 2 && ver == 1);
	vis_catalog_free(cat);
	cat = vis_catalog_load(st, m, NULL, err, sizeof err);
	CHECK(cat && vis_catalog_has_head(cat));
	const char *label = NULL;
	float p = 0;
	if (cat) {
		CHECK(query(m, cs, "store/demo/clothing/pic_dress_053689bb.jpg", q) == 0);
		CHECK(vis_catalog_category(cat, q, vis_catalog_dim(cat), &label, &p) == 0);
		printf("held-out dress: category %s p %.3f\n", label ? label : "-", p);
		CHECK(label && !strcmp(label, "dress") && p > 0.5f);
		CHECK(query(m, cs, "store/demo/clothing/pic_shoes_04fa06fb.jpg", q) == 0);
		CHECK(vis_catalog_category(cat, q, vis_catalog_dim(cat), &label, &p) == 0);
		CHECK(label && !strcmp(label, "shoes"));
		CHECK(query(m, cs, "vision/testdata/ocr_error.png", q) == 0);
		CHECK(vis_catalog_category(cat, q, vis_catalog_dim(cat), &label, &p) == 2);
	}
	free(q);
	vis_cnn_state_destroy(cs);
	vis_catalog_free(cat);
	drop_store(st, path);
	vis_cnn_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	cm_blas_single_thread();
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "store"))
		rc = test_store();
	else if (!strcmp(argv[1], "head"))
		rc = test_head();
	else if (!strcmp(argv[1], "catalog") && argc > 2)
		rc = test_catalog(argv[2]);
	else
		return 2;
	if (rc == 77)
		return 77;
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("test_catalog %s: all tests passed\n", argv[1]);
	return rc || failures ? 1 : 0;
}
