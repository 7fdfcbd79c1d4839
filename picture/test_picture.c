/* picture/test_picture.c — unit tests of the one picture call (pic_answer) on real models
 * and a real store: a small BM25 bot built in memory, a fresh SQLite store in a temporary
 * folder (no catalogue pictures, no fusion model), the CNNs from MODELS_DIR.  Checks what
 * one call returns for a photo with words (read, hashed, answered from the words), that a
 * picture on the image blocklist is refused whatever the safety model says, that ask = 0
 * reads without answering, that damaged bytes give the decoder's error code with nothing
 * to free, and that pictures turned off give PIC_FAILED with the reason.  The category
 * head's second look (pic_category) on a catalogue of demo photos (store/demo/clothing)
 * with a head trained in a second temporary store: asked again with all views only when
 * the head is unsure, its CNN state made then, none without a state pointer.
 *
 *   test_picture MODELS_DIR TESTDATA_DIR      (main thread; the models' warm-up thread)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "file.h"
#include "hash.h"
#include "nlu.h"
#include "nlu_int.h"
#include "picture.h"
#include "store.h"
#include "tensor.h"

static int failures;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
					  __LINE__, #c); failures++; } } while (0)

enum { DECLINED = 1, LOST };

static struct nlu_bot *make_bot(void)
{
	static const struct nlu_answer_in answers[] = {
		{ DECLINED, "Card declined", "Your card was declined: check the balance.", "en" },
		{ LOST, "Lost card", "Freeze the card in the app and order a new one.", "en" },
	};
	static const struct nlu_example_in ex[] = {
		{ DECLINED, "my card was declined" }, { DECLINED, "payment refused card declined" },
		{ LOST, "I lost my card" }, { LOST, "my card is missing, it was stolen" },
	};
	struct nlu_opts opts = { .threshold = 0.35 };
	char err[256];
	struct nlu_bot *bot = nlu_bot_build(answers, 2, ex, 4, &opts, NULL, err, sizeof err);

	if (!bot)
		fprintf(stderr, "bot: %s\n", err);
	return bot;
}

/* One call for data with words; returns pic_answer's code, *s filled when 0. */
static int see(struct pic_models *p, struct pic_worker **pw, const struct pol_models *m,
	       const char *data, size_t len, const char *words, int ask, struct pic_seen *s,
	       char *err, size_t errlen)
{
	struct vis_decode_opts opts = { .max_side = 1600 };

	return pic_answer(p, pw, m, (const uint8_t *)data, len, &opts, words,
			  words ? strlen(words) : 0, ask, s, err, errlen);
}

/* The 3-view query embedding of the demo photo name into q (as vis_see gives it), and
 * its bytes into *data (malloc'd, *len). */
static int demo_query(const struct vis_cnn *m, struct vis_cnn_state *cs, const char *name,
		      float *q, char **data, size_t *len)
{
	char path[1024], err[200];
	struct vis_image img;

	snprintf(path, sizeof path, "%s/store/demo/clothing/%s", KEFU_SRCDIR, name);
	if (!(*data = cm_read_file(path, len)))
		return -1;
	int rc = vis_decode((const uint8_t *)*data, *len, NULL, &img, err, sizeof err);
	if (rc)
		return rc;
	rc = vis_catalog_embed(m, cs, &img, VIS_CATALOG_VIEWS, q);
	vis_image_free(&img);
	return rc;
}

/* pic_category: the head asked again over VIS_MAX_VIEWS views only when its top
 * probability is under PIC_HEAD_UNSURE_P. */
static void test_category(const char *models, const char *dir)
{
	static const char *const train[][2] = {
		{ "pic_shoes_00f6e504.jpg", "shoes" }, { "pic_shoes_01c5cb43.jpg", "shoes" },
		{ "pic_shoes_04dd77eb.jpg", "shoes" }, { "pic_dress_009b3c31.jpg", "dress" },
		{ "pic_dress_041c6bde.jpg", "dress" }, { "pic_dress_04f0b07f.jpg", "dress" },
	};
	char path[1200], err[300];
	int np = 0, nl = 0;

	snprintf(path, sizeof path, "%s/mobilenet_v2_imagenet.kfm", models);
	struct vis_cnn *m = vis_cnn_open(path, err, sizeof err);
	snprintf(path, sizeof path, "%s/category.db", dir);
	struct store *st = store_open(path, err, sizeof err);
	CHECK(m && st);
	if (!m || !st) {
		fprintf(stderr, "category: %s\n", err);
		goto out_store;
	}
	for (size_t i = 0; i < sizeof train / sizeof train[0]; i++) {
		char file[1024], *data;
		size_t len;
		snprintf(file, sizeof file, "%s/store/demo/clothing/%s", KEFU_SRCDIR, train[i][0]);
		CHECK((data = cm_read_file(file, &len)) != NULL);
		if (data)
			CHECK(store_picture_add(st, 0, train[i][1], train[i][0], data, len, NULL) ==
			      0);
		free(data);
	}
	CHECK(vis_head_train_store(st, m, &np, &nl, NULL, err, sizeof err) == 0);
	struct vis_catalog *cat = vis_catalog_load(st, m, NULL, err, sizeof err);
	CHECK(cat && vis_catalog_has_head(cat));
	int dim = vis_cnn_embed_dim(m);
	float *qs = malloc(sizeof(float) * (size_t)dim), *qd = malloc(sizeof(float) * (size_t)dim);
	struct vis_cnn_state *tmp = vis_cnn_state_create(m), *cs = NULL;
	char *shoe = NULL, *dress = NULL;
	size_t shoe_len = 0, dress_len = 0;
	CHECK(qs && qd && tmp);
	if (!cat || !qs || !qd || !tmp)
		goto out;
	CHECK(demo_query(m, tmp, "pic_shoes_00f6e504.jpg", qs, &shoe, &shoe_len) == 0);
	CHECK(demo_query(m, tmp, "pic_dress_053689bb.jpg", qd, &dress, &dress_len) == 0);
	if (!shoe || !dress)
		goto out;
	const char *label = NULL, *l3 = NULL;
	float p = 0, p3 = 0;
	struct vis_decode_opts opts = { .max_side = 1600 };

	/* sure of a shoe it was trained on: answered on the query, no second look, no
	   state made */
	CHECK(vis_catalog_category(cat, qs, dim, &l3, &p3) == 0);
	printf("category: a training shoe %s p %.3f\n", l3 ? l3 : "-", p3);
	CHECK(p3 >= PIC_HEAD_UNSURE_P);
	CHECK(pic_category(cat, m, &cs, (const uint8_t *)shoe, shoe_len, &opts, qs, dim, &label,
			   &p) == 0);
	CHECK(label && l3 && !strcmp(label, l3) && p == p3 && cs == NULL);
	/* unsure: a query halfway between the shoe and the dress, the bytes the shoe's */
	float *mix = malloc(sizeof(float) * (size_t)dim);
	CHECK(mix != NULL);
	if (mix) {
		for (int i = 0; i < dim; i++)
			mix[i] = qs[i] + qd[i];
		cm_l2_normalize((size_t)dim, mix);
		CHECK(vis_catalog_category(cat, mix, dim, &l3, &p3) == 0);
		printf("category: shoe + dress query %s p %.3f\n", l3 ? l3 : "-", p3);
		CHECK(p3 < PIC_HEAD_UNSURE_P);
		/* without a state pointer: the query's answer */
		CHECK(pic_category(cat, m, NULL, (const uint8_t *)shoe, shoe_len, &opts, mix, dim,
				   &label, &p) == 0);
		CHECK(label && l3 && !strcmp(label, l3) && p == p3);
		/* with one: asked again on all views of the shoe's bytes, the state made */
		CHECK(pic_category(cat, m, &cs, (const uint8_t *)shoe, shoe_len, &opts, mix, dim,
				   &label, &p) == 1);
		CHECK(cs != NULL && label && !strcmp(label, "shoes"));
		printf("category: second look %s p %.3f\n", label ? label : "-", p);
		/* bytes that do not decode: the query's answer stands */
		CHECK(pic_category(cat, m, &cs, (const uint8_t *)shoe, 16, &opts, mix, dim,
				   &label, &p) == 0);
		CHECK(label && l3 && !strcmp(label, l3) && p == p3);
		free(mix);
	}
out:
	free(shoe);
	free(dress);
	free(qs);
	free(qd);
	vis_cnn_state_destroy(tmp);
	vis_cnn_state_destroy(cs);
	vis_catalog_free(cat);
out_store:
	store_close(st);
	vis_cnn_close(m);
	unlink(path);
	for (const char *sfx = "-wal"; sfx; sfx = sfx[1] == 'w' ? "-shm" : NULL) {
		char side[1300];
		snprintf(side, sizeof side, "%s%s", path, sfx);
		unlink(side);
	}
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/kefu-picture-XXXXXX", path[1200], err[512], sha[65];
	struct kefu_conf conf;
	struct pic_worker *pw = NULL;
	struct pic_seen s;
	size_t len;
	char *png;

	if (argc != 3) {
		fprintf(stderr, "usage: test_picture MODELS_DIR TESTDATA_DIR\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/cnn_tshirt.png", argv[2]);
	png = cm_read_file(path, &len);
	struct nlu_bot *bot = make_bot();
	if (!png || !bot || !mkdtemp(dir)) {
		fprintf(stderr, "set-up failed (%s)\n", path);
		return 1;
	}
	struct pol_models m = { .bot = bot, .ns = nlu_state_create(bot), .threshold = 0.35,
				.asr_threshold = 0.55 };
	CHECK(m.ns != NULL);
	CHECK(cm_sha256_hex(png, len, sha) == 0);

	/* pictures turned off: no models opened, the reason in err */
	conf_defaults(&conf);
	conf.vision = 0;
	snprintf(conf.db, sizeof conf.db, "%s/kefu.db", dir);
	struct pic_models *off = pic_models_create(&conf, err, sizeof err);
	CHECK(off != NULL);
	err[0] = '\0';
	CHECK(see(off, &pw, &m, png, len, "my card was declined", 1, &s, err, sizeof err) ==
	      PIC_FAILED);
	CHECK(strstr(err, "turned off") != NULL);
	pic_models_destroy(off);

	/* pictures on, a fresh store: no catalogue pictures, no fusion model */
	conf_defaults(&conf);
	conf.vision = 1;
	conf.media_workers = 1;
	snprintf(conf.db, sizeof conf.db, "%s/kefu.db", dir);
	snprintf(conf.models, sizeof conf.models, "%s", argv[1]);
	snprintf(conf.image_blocklist, sizeof conf.image_blocklist, "%s/blocklist.txt", dir);
	snprintf(path, sizeof path, "%s", conf.image_blocklist);
	struct pic_models *p = pic_models_create(&conf, err, sizeof err);
	CHECK(p != NULL);
	if (!p)
		return 1;

	/* a photo with words: read, hashed, answered from the words */
	int rc = see(p, &pw, &m, png, len, "my card was declined", 1, &s, err, sizeof err);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(!strcmp(s.format, "png"));
		CHECK(!strcmp(s.sha256, sha));
		CHECK(s.seen.w > 0 && s.seen.h > 0);
		CHECK(s.seen.embed != NULL && s.seen.embed_dim > 0);
		CHECK(!s.seen.unsafe);
		CHECK(s.n_match == 0 && s.category[0] == '\0');   /* no catalogue pictures */
		CHECK(s.answered);
		CHECK(s.reply.answer_id == DECLINED);
		CHECK(s.reply.why == POL_WHY_WORDS || s.reply.why == POL_WHY_WORDS_READ);
		pic_seen_free(&s);
	}

	/* ask = 0 (a person holds the session): read, not answered */
	rc = see(p, &pw, &m, png, len, "my card was declined", 0, &s, err, sizeof err);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(!s.answered && s.reply.answer_id == 0 && s.reply.text == NULL);
		pic_seen_free(&s);
	}

	/* on the blocklist: refused whatever the safety model says */
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fprintf(f, "# refused\n%s\n", sha);
		fclose(f);
	}
	CHECK(pic_load_blocklist(p, err, sizeof err) == 0);
	CHECK(pic_blocked(p, sha) == 1);
	rc = see(p, &pw, &m, png, len, "my card was declined", 1, &s, err, sizeof err);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(s.seen.unsafe);
		CHECK(s.answered && s.reply.why == POL_WHY_REFUSED && s.reply.answer_id == 0);
		pic_seen_free(&s);
	}

	/* damaged bytes: the decoder's code, the reason in err, nothing to free */
	char bad[64];
	memcpy(bad, png, sizeof bad);                 /* a PNG cut after its header */
	err[0] = '\0';
	rc = see(p, &pw, &m, bad, sizeof bad, NULL, 1, &s, err, sizeof err);
	CHECK(rc == VIS_E_CORRUPT);
	CHECK(err[0] != '\0');

	test_category(argv[1], dir);

	pic_worker_destroy(pw);
	pic_models_destroy(p);
	nlu_state_destroy(m.ns);
	nlu_bot_unref(bot);
	free(png);
	unlink(path);
	snprintf(path, sizeof path, "%s/kefu.db", dir);
	unlink(path);
	for (const char *sfx = "-wal"; sfx; sfx = sfx[1] == 'w' ? "-shm" : NULL) {
		char side[1300];
		snprintf(side, sizeof side, "%s%s", path, sfx);
		unlink(side);
	}
	rmdir(dir);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("picture: all checks passed\n");
	return failures ? 1 : 0;
}
