/* fusion/test_fusion.c — unit tests of the fused model on small synthetic problems.
 *
 *   crossed   3 word groups × 3 picture groups, answer = (words + picture) mod 3: each input
 *             alone and any sum of per-input scores are at chance; only ψ can solve it.
 *   factored  3 intents (words) × 4 kinds (picture) = 12 answers plus 2 answers without
 *             pictures: both inputs → the answer; words alone → the right intent; a
 *             picture alone → the right kind; an off-topic question + a picture → its
 *             own answer.
 *   file      save / load round trip; damaged and truncated files are refused.
 *   inputs    no input, bad UTF-8, wrong embedding size, probabilities sum to 1.
 *   store     fu_train_store on a temporary store (answers, questions, labelled pictures
 *             with embeddings, an answer shown by its tags, one without pictures) and
 *             fu_model_load_store; a store without pictures is skipped.
 * Deterministic (fixed seeds); one thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "rng.h"
#include "store.h"
#include "tensor.h"

static int failures;

#define CHECK(c, ...) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: ", \
	__FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#define DIM 16
#define MAXG 8

static const char *const WORDS[MAXG][6] = {
	{ "apple", "banana", "cherry", "grape", "melon", "peach" },
	{ "river", "ocean", "lake", "stream", "pond", "harbour" },
	{ "hammer", "wrench", "drill", "saw", "chisel", "pliers" },
	{ "violin", "piano", "trumpet", "flute", "cello", "drum" },
	{ "tiger", "zebra", "monkey", "parrot", "camel", "otter" },
	{ "copper", "silver", "iron", "zinc", "nickel", "cobalt" },
};
static const char *const FILLER[] = { "please", "the", "my", "about", "this", "with", "today",
				      "help" };

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	return cm_xorshift64(&rng);
}

static float urand(void)
{
	return (float)(rnd() >> 40) / (float)(1 << 24);
}

/* A sentence of word group g: three group words and two fillers, shuffled. */
static char *sentence(int g)
{
	const char *w[5];
	char buf[256] = "";
	for (int k = 0; k < 3; k++)
		w[k] = WORDS[g][rnd() % 6];
	for (int k = 3; k < 5; k++)
		w[k] = FILLER[rnd() % 8];
	for (int k = 4; k > 0; k--) {
		int j = (int)(rnd() % (uint64_t)(k + 1));
		const char *x = w[k];
		w[k] = w[j];
		w[j] = x;
	}
	for (int k = 0; k < 5; k++) {
		strcat(buf, w[k]);
		if (k < 4)
			strcat(buf, " ");
	}
	return strdup(buf);
}

static float centres[MAXG][DIM];

static void make_centres(void)
{
	for (int g = 0; g < MAXG; g++) {
		for (int j = 0; j < DIM; j++)
			centres[g][j] = urand() * 2 - 1;
		cm_l2_normalize(DIM, centres[g]);
	}
}

/* A picture of group g: its centre plus noise, L2-normalised (as vis_see gives them). */
static void picture(int g, float *out)
{
	for (int j = 0; j < DIM; j++)
		out[j] = centres[g][j] + 0.35f * (urand() * 2 - 1);
	cm_l2_normalize(DIM, out);
}

struct set {
	size_t n_texts, n_pics, cap_t, cap_p;
	char **texts;
	int *text_answer, *text_label;
	float *embeds;
	int *pic_label;
};

static void add_text(struct set *s, char *t, int a, int l)
{
	if (s->n_texts == s->cap_t) {
		s->cap_t = s->cap_t ? 2 * s->cap_t : 64;
		s->texts = realloc(s->texts, sizeof(char *) * s->cap_t);
		s->text_answer = realloc(s->text_answer, sizeof(int) * s->cap_t);
		s->text_label = realloc(s->text_label, sizeof(int) * s->cap_t);
	}
	s->texts[s->n_texts] = t;
	s->text_answer[s->n_texts] = a;
	s->text_label[s->n_texts++] = l;
}

static void add_pic(struct set *s, int g)
{
	if (s->n_pics == s->cap_p) {
		s->cap_p = s->cap_p ? 2 * s->cap_p : 64;
		s->embeds = realloc(s->embeds, sizeof(float) * DIM * s->cap_p);
		s->pic_label = realloc(s->pic_label, sizeof(int) * s->cap_p);
	}
	picture(g, s->embeds + DIM * s->n_pics);
	s->pic_label[s->n_pics++] = g;
}

static void set_free(struct set *s)
{
	for (size_t i = 0; i < s->n_texts; i++)
		free(s->texts[i]);
	free(s->texts);
	free(s->text_answer);
	free(s->text_label);
	free(s->embeds);
	free(s->pic_label);
}

static struct fu_model *train(struct set *s, size_t n_answers, const int *answer_label,
			      size_t n_labels, int use_text_label, int hidden)
{
	struct fu_data d = {
		.n_answers = n_answers, .answer_label = answer_label, .n_labels = n_labels,
		.n_texts = s->n_texts, .texts = (const char *const *)s->texts,
		.text_answer = s->text_answer, .text_label = use_text_label ? s->text_label : NULL,
		.n_pictures = s->n_pics, .dim = DIM, .embeds = s->embeds,
		.picture_label = s->pic_label,
	};
	struct fu_opts o;
	struct fu_train_stats st;
	char err[300];
	fu_opts_default(&o);
	o.bits = 10;
	o.hidden = hidden;
	o.epochs = 30;
	o.embed_model = "synthetic";
	struct fu_model *m = fu_model_train(&d, &o, &st, err, sizeof err);
	CHECK(m, "train: %s", err);
	if (m)
		printf("  trained (rank %d) in %.2f s: %zu pair, %zu text, %zu image, %zu off-topic "
		       "examples/epoch; T = %.2f %.2f %.2f\n", hidden, st.train_seconds, st.n_pair,
		       st.n_text, st.n_image, st.n_offtopic, st.temperature[0], st.temperature[1],
		       st.temperature[2]);
	return m;
}

static int choose(const struct fu_model *m, struct fu_state *s, const char *text,
		  const float *e, int flags)
{
	struct fu_choice c;
	int rc = fu_choose_ex(m, s, text, text ? strlen(text) : 0, e, DIM, flags, &c, NULL);
	return rc ? -1 : c.index;
}

static int test_crossed(void)
{
	enum { G = 3 };
	struct set s = { 0 };
	int answer_label[G] = { -1, -1, -1 };
	make_centres();
	for (int a = 0; a < G; a++)
		for (int t = 0; t < G; t++)
			for (int k = 0; k < 25; k++)
				add_text(&s, sentence(t), a, (a - t + G) % G);
	for (int g = 0; g < G; g++)
		for (int k = 0; k < 30; k++)
			add_pic(&s, g);
	struct fu_model *m = train(&s, G, answer_label, G, 1, 16);
	struct fu_model *flat = train(&s, G, answer_label, G, 1, 0);
	if (!m || !flat)
		return 1;
	struct fu_state *st = fu_state_create(m), *sf = fu_state_create(flat);
	int ok[5] = { 0 }, n = 300;
	for (int i = 0; i < n; i++) {
		int t = (int)(rnd() % G), g = (int)(rnd() % G), y = (t + g) % G;
		char *text = sentence(t);
		float e[DIM];
		picture(g, e);
		ok[0] += choose(m, st, text, e, 0) == y;
		ok[1] += choose(m, st, text, e, FU_NO_PSI) == y;
		ok[2] += choose(flat, sf, text, e, 0) == y;
		ok[3] += choose(m, st, text, NULL, 0) == y;
		ok[4] += choose(m, st, NULL, e, 0) == y;
		free(text);
	}
	const char *what[5] = { "fusion (with psi)", "same model, psi left out",
				"trained without psi", "words only", "picture only" };
	for (int k = 0; k < 5; k++)
		printf("  crossed: %-26s %.1f %%\n", what[k], 100.0 * ok[k] / n);
	CHECK(ok[0] >= 0.9 * n, "psi should solve the crossed problem: %d/%d", ok[0], n);
	for (int k = 1; k < 5; k++)
		CHECK(ok[k] <= 0.5 * n, "%s should stay near chance (1/3): %d/%d", what[k], ok[k], n);
	fu_state_destroy(st);
	fu_state_destroy(sf);
	fu_model_destroy(m);
	fu_model_destroy(flat);
	set_free(&s);
	return 0;
}

/* The factored problem: answers 0..11 = intent·4 + kind (label kind), 12 and 13 have no
 * pictures (word groups 4 and 5). */
static struct fu_model *factored_model(struct set *s, int hidden)
{
	static int answer_label[14];
	make_centres();
	for (int a = 0; a < 14; a++) {
		answer_label[a] = a < 12 ? a % 4 : -1;
		for (int k = 0; k < 30; k++)
			add_text(s, sentence(a < 12 ? a / 4 : a - 8), a, -1);
	}
	for (int g = 0; g < 4; g++)
		for (int k = 0; k < 25; k++)
			add_pic(s, g);
	return train(s, 14, answer_label, 4, 0, hidden);
}

static int test_factored(void)
{
	struct set s = { 0 };
	struct fu_model *m = factored_model(&s, 16);
	if (!m)
		return 1;
	CHECK(fu_model_n_answers(m) == 14 && fu_model_embed_dim(m) == DIM &&
	      !strcmp(fu_model_embed_name(m), "synthetic") && fu_model_hidden(m) == 16,
	      "accessors");
	struct fu_state *st = fu_state_create(m);
	int ok_both = 0, ok_intent = 0, ok_kind = 0, ok_off = 0, n = 200;
	for (int i = 0; i < n; i++) {
		int intent = (int)(rnd() % 3), kind = (int)(rnd() % 4), off = 12 + (int)(rnd() % 2);
		char *text = sentence(intent), *offt = sentence(off - 8);
		float e[DIM];
		picture(kind, e);
		ok_both += choose(m, st, text, e, 0) == intent * 4 + kind;
		int a = choose(m, st, text, NULL, 0);
		ok_intent += a >= 0 && a < 12 && a / 4 == intent;
		a = choose(m, st, NULL, e, 0);
		ok_kind += a >= 0 && a < 12 && a % 4 == kind;
		ok_off += choose(m, st, offt, e, 0) == off;
		free(text);
		free(offt);
	}
	printf("  factored: both %.1f %%, words -> intent %.1f %%, picture -> kind %.1f %%, "
	       "off-topic words + picture %.1f %%\n", 100.0 * ok_both / n, 100.0 * ok_intent / n,
	       100.0 * ok_kind / n, 100.0 * ok_off / n);
	CHECK(ok_both >= 0.9 * n, "both inputs: %d/%d", ok_both, n);
	CHECK(ok_intent >= 0.9 * n, "words alone give the intent: %d/%d", ok_intent, n);
	CHECK(ok_kind >= 0.9 * n, "a picture alone gives the kind: %d/%d", ok_kind, n);
	CHECK(ok_off >= 0.9 * n, "a picture does not pull off-topic words: %d/%d", ok_off, n);
	fu_state_destroy(st);
	fu_model_destroy(m);
	set_free(&s);
	return 0;
}

static int test_file(void)
{
	struct set s = { 0 };
	struct fu_model *m = factored_model(&s, 8);
	if (!m)
		return 1;
	void *blob;
	size_t len;
	char err[300];
	CHECK(!fu_model_save(m, &blob, &len), "save");
	struct fu_model *l = fu_model_load(blob, len, NULL, err, sizeof err);
	CHECK(l, "load: %s", err);
	if (!l)
		return 1;
	CHECK(fu_model_n_answers(l) == 14 && fu_model_embed_dim(l) == DIM &&
	      !strcmp(fu_model_embed_name(l), "synthetic") && fu_model_hidden(l) == 8 &&
	      fu_model_answer_id(l, 13) == 13, "loaded accessors");
	struct fu_state *a = fu_state_create(m), *b = fu_state_create(l);
	float maxd = 0;
	int same = 0, n = 100;
	for (int i = 0; i < n; i++) {
		char *text = sentence((int)(rnd() % 3));
		float e[DIM];
		picture((int)(rnd() % 4), e);
		struct fu_choice ca, cb;
		const float *pa, *pb;
		fu_choose(m, a, text, strlen(text), e, DIM, &ca, &pa);
		fu_choose(l, b, text, strlen(text), e, DIM, &cb, &pb);
		same += ca.index == cb.index;
		for (int k = 0; k < 14; k++)
			maxd = fmaxf(maxd, fabsf(pa[k] - pb[k]));
		free(text);
	}
	printf("  file: %zu bytes; %d/%d same choices; largest probability difference %.2g\n",
	       len, same, n, maxd);
	CHECK(same >= n - 1 && maxd < 0.01f, "loaded model answers as trained (%d, %g)", same,
	      maxd);
	unsigned char *bad = malloc(len);
	memcpy(bad, blob, len);
	bad[len / 2] ^= 0x40;
	struct fu_model *x = fu_model_load(bad, len, NULL, err, sizeof err);
	CHECK(!x && *err, "a flipped byte is refused");
	printf("  damaged: %s\n", err);
	x = fu_model_load(blob, len / 3, NULL, err, sizeof err);
	CHECK(!x && *err, "a truncated file is refused");
	printf("  truncated: %s\n", err);
	memcpy(bad, blob, len);
	bad[4] = 'X';
	x = fu_model_load(bad, len, NULL, err, sizeof err);
	CHECK(!x, "a wrong kind is refused");
	x = fu_model_load(blob, 10, NULL, err, sizeof err);
	CHECK(!x, "a stub is refused");
	free(bad);
	free(blob);
	fu_state_destroy(a);
	fu_state_destroy(b);
	fu_model_destroy(l);
	fu_model_destroy(m);
	set_free(&s);
	return 0;
}

static int test_inputs(void)
{
	struct set s = { 0 };
	struct fu_model *m = factored_model(&s, 8);
	if (!m)
		return 1;
	struct fu_state *st = fu_state_create(m);
	struct fu_choice c;
	const float *p;
	float e[DIM];
	picture(1, e);
	CHECK(fu_choose(m, st, "", 0, NULL, 0, &c, NULL) == FU_NO_INPUT && c.index == -1,
	      "no words and no picture");
	CHECK(fu_choose(m, st, NULL, 0, NULL, 0, &c, NULL) == FU_NO_INPUT, "NULL words");
	CHECK(fu_choose(m, st, "\xff\xfe", 2, e, DIM, &c, NULL) == FU_E_TEXT, "bad UTF-8");
	CHECK(fu_choose(m, st, "apple", 5, e, DIM - 1, &c, NULL) == FU_E_DIM, "wrong size");
	CHECK(fu_choose(m, st, "apple melon", 11, NULL, 0, &c, &p) == 0 &&
	      c.used == FU_USED_TEXT, "words only");
	CHECK(fu_choose(m, st, "", 0, e, DIM, &c, &p) == 0 && c.used == FU_USED_IMAGE &&
	      c.index >= 0, "picture only");
	CHECK(fu_choose(m, st, "apple melon", 11, e, DIM, &c, &p) == 0 &&
	      c.used == (FU_USED_TEXT | FU_USED_IMAGE), "both");
	double sum = 0;
	for (int k = 0; k < 14; k++)
		sum += p[k];
	CHECK(fabs(sum - 1) < 1e-4 && c.confidence > 0 && c.confidence <= 1 &&
	      c.second >= 0 && c.second != c.index && c.second_conf <= c.confidence &&
	      c.answer_id == c.index, "probabilities (sum %g)", sum);
	/* bad training data is refused with a message */
	int lab[2] = { 0, 5 };
	struct fu_data d = { .n_answers = 2, .answer_label = lab, .n_labels = 1, .n_texts = 0,
			     .n_pictures = s.n_pics, .dim = DIM, .embeds = s.embeds,
			     .picture_label = s.pic_label };
	struct fu_opts o;
	char err[200] = "";
	fu_opts_default(&o);
	CHECK(!fu_model_train(&d, &o, NULL, err, sizeof err) && *err, "bad label refused");
	printf("  bad data: %s\n", err);
	fu_state_destroy(st);
	fu_model_destroy(m);
	set_free(&s);
	return 0;
}

static int test_store(void)
{
	char path[] = "/tmp/kefu-fusion-XXXXXX", db[64], err[300];
	if (!mkdtemp(path))
		return 1;
	snprintf(db, sizeof db, "%s/t.db", path);
	struct store *st = store_open(db, err, sizeof err);
	CHECK(st, "store_open: %s", err);
	if (!st)
		return 1;
	struct fu_store_result r;
	CHECK(fu_train_store(st, "/nonexistent", &r, err, sizeof err) == 0 && r.skipped,
	      "a store without answers or pictures is skipped (%s)", err);
	/* answers: intent i (returning / washing) × kind k (0 shoes: own pictures, 1 hats:
	 * shown by tags over label-only pictures), and one without pictures */
	static const char *const intent_q[2][3] = {
		{ "can I return this", "I want to send this back", "how do I get a refund" },
		{ "how do I wash this", "can this go in the dryer", "how should I clean this" } };
	static const char *const kinds[2] = { "shoes", "hats" };
	int64_t id[5];
	make_centres();
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++) {
			char title[64];
			snprintf(title, sizeof title, "%s %s", i ? "Washing" : "Returning", kinds[k]);
			CHECK(!store_answer_add(st, title, "body", "en", k ? "hats" : "", &id[i * 2 + k]),
			      "answer");
			for (int q = 0; q < 3; q++)
				store_example_add(st, id[i * 2 + k], intent_q[i][q]);
		}
	CHECK(!store_answer_add(st, "Lost card", "body", "en", "", &id[4]), "answer");
	store_example_add(st, id[4], "I lost my card");
	store_example_add(st, id[4], "my card was stolen");
	store_example_add(st, id[4], "card missing");
	for (int k = 0; k < 2; k++)
		for (int n = 0; n < 12; n++) {
			char bytes[32];
			float e[DIM];
			int64_t pid;
			snprintf(bytes, sizeof bytes, "picture %d %d", k, n);
			picture(k, e);
			/* shoes: reference pictures of "Returning shoes" labelled "shoes"; hats:
			   label-only (the answers list the label in their tags) */
			CHECK(!store_picture_add(st, k ? 0 : id[0], kinds[k], "test", bytes,
						 strlen(bytes), &pid), "picture");
			CHECK(!store_picture_set_embedding(st, pid, "synthetic", e, DIM), "embed");
		}
	int rc = fu_train_store(st, "/nonexistent", &r, err, sizeof err);
	CHECK(rc == 0 && !r.skipped, "fu_train_store: %s", err);
	printf("  store: %zu answers (%zu with pictures), %zu questions, %zu pictures, %zu "
	       "labels, model %s v%lld, %zu bytes, hash %s\n", r.n_answers, r.n_pictured_answers,
	       r.n_questions, r.n_pictures, r.n_labels, r.embed_model, (long long)r.version,
	       r.model_bytes, r.data_hash);
	/* "Washing shoes" shows "shoes" only through... nothing: neither own pictures nor tags */
	CHECK(r.n_answers == 5 && r.n_pictured_answers == 3 && r.n_questions == 15 &&
	      r.n_pictures == 24 && r.n_labels == 2 && !strcmp(r.embed_model, "synthetic"),
	      "what was read");
	int none = 0;
	struct fu_model *m = fu_model_load_store(st, NULL, &none, err, sizeof err);
	CHECK(m && !none, "load from the store: %s", err);
	if (m) {
		struct fu_state *s = fu_state_create(m);
		struct fu_choice c;
		float e[DIM];
		int ok = 0;
		for (int n = 0; n < 20; n++) {
			picture(1, e);
			fu_choose(m, s, "can I return this", 17, e, DIM, &c, NULL);
			ok += c.answer_id == id[1];
			fu_choose(m, s, "how do I wash this", 18, e, DIM, &c, NULL);
			ok += c.answer_id == id[3];
			fu_choose(m, s, "my card was stolen", 18, e, DIM, &c, NULL);
			ok += c.answer_id == id[4];
		}
		printf("  store: %d/60 right (hat pictures with return / wash / card words)\n", ok);
		CHECK(ok >= 54, "answers from the store's model: %d/60", ok);
		fu_state_destroy(s);
		fu_model_destroy(m);
	}
	store_close(st);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", path);
	CHECK(system(cmd) == 0, "cleanup");
	return 0;
}

int main(int argc, char **argv)
{
	cm_blas_single_thread();
	if (argc != 2) {
		fprintf(stderr, "usage: test_fusion crossed|factored|file|inputs|store\n");
		return 2;
	}
	int rc = !strcmp(argv[1], "crossed") ? test_crossed()
		 : !strcmp(argv[1], "factored") ? test_factored()
		 : !strcmp(argv[1], "file") ? test_file()
		 : !strcmp(argv[1], "inputs") ? test_inputs()
		 : !strcmp(argv[1], "store") ? test_store() : 2;
	if (rc == 2)
		fprintf(stderr, "unknown test %s\n", argv[1]);
	return rc || failures ? 1 : 0;
}
