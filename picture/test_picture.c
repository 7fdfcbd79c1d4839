/* picture/test_picture.c — unit tests of the one picture call (pic_answer) on real models
 * and a real store: a small BM25 bot built in memory, a fresh SQLite store in a temporary
 * folder (no catalogue pictures, no fusion model), the CNNs from MODELS_DIR.  Checks what
 * one call returns for a photo with words (read, hashed, answered from the words), that a
 * picture on the image blocklist is refused whatever the safety model says, that ask = 0
 * reads without answering, that damaged bytes give the decoder's error code with nothing
 * to free, and that pictures turned off give PIC_FAILED with the reason.
 *
 *   test_picture MODELS_DIR TESTDATA_DIR      (main thread; the models' warm-up thread)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "hash.h"
#include "nlu.h"
#include "nlu_int.h"
#include "picture.h"

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
