/* mining/test_mining.c — unit tests of the review queue's mining (suite: mining):
 * collection rules for every reason, the scores against scikit-learn's values, both
 * clustering methods on a made-up similarity matrix, cluster ids kept across
 * re-clusterings, features + clusters + names + nearest answers on real text with a
 * BM25 bot built in memory, the new-topic score, and the store's vectors kept per bot
 * generation (computed anew when the model or the examples change).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mining.h"
#include "model.h"
#include "nlu.h"
#include "nlu_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
	__LINE__, #c); failures++; } } while (0)

static void test_collect(void)
{
	struct mn_rules r;
	mn_rules_default(&r);
	struct mn_turn t = { .answer_id = 3, .confidence = 0.95 };

	CHECK(mn_collect(&r, &t) == 0);                        /* a sure answer */
	t.confidence = r.low_conf - 0.01;
	CHECK(mn_collect(&r, &t) == MN_LOW_CONF);
	t.confidence = 0.95;
	t.feedback = -1;
	CHECK(mn_collect(&r, &t) == MN_THUMBS_DOWN);
	t.feedback = 1;
	CHECK(mn_collect(&r, &t) == 0);
	t.handoff = 1;
	CHECK(mn_collect(&r, &t) == MN_HANDOFF);
	t.handoff = 0;
	/* asked again right after, and got the same answer: rephrase */
	t.next = 1;
	t.next_gap_s = 20;
	t.next_same_answer = 1;
	CHECK(mn_collect(&r, &t) == MN_REPHRASE);
	t.next_gap_s = r.rephrase_s + 1;                      /* too late to be "right after" */
	CHECK(mn_collect(&r, &t) == 0);
	t.next_gap_s = 5;
	t.next_same_answer = 0;
	CHECK(mn_collect(&r, &t) == 0);                        /* a new question, answered */
	t.next_similar = 1;
	CHECK(mn_collect(&r, &t) == MN_REPHRASE);
	t.next_picked = 1;                                     /* a quick reply is no rephrase */
	CHECK(mn_collect(&r, &t) == 0);

	struct mn_turn f = { .answer_id = 0, .fallback = 1, .confidence = 0.1 };
	CHECK(mn_collect(&r, &f) == MN_FALLBACK);
	f.feedback = -1;
	f.handoff = 1;
	CHECK(mn_collect(&r, &f) == (MN_FALLBACK | MN_THUMBS_DOWN | MN_HANDOFF));

	struct mn_turn d = { .did_you_say = 1, .fallback = 1 };
	CHECK(mn_collect(&r, &d) == 0);                        /* nothing known yet */
	d.next = 1;
	d.next_picked = 1;
	CHECK(mn_collect(&r, &d) == 0);                        /* took the transcript */
	d.next_picked = 0;
	CHECK(mn_collect(&r, &d) == MN_REJECTED);

	struct mn_turn u = { .refused = 1, .feedback = -1 };
	CHECK(mn_collect(&r, &u) == 0);                        /* unsafe picture */

	CHECK(!strcmp(mn_reason_name(MN_REPHRASE), "rephrase"));
	CHECK(mn_reason_bit("thumbs_down") == MN_THUMBS_DOWN);
	CHECK(mn_reason_bit("nope") == 0 && mn_reason_name(3) == NULL);
}

static void test_scores(void)
{
	/* the values scikit-learn 1.2.1 gives for these two labelings */
	int t[] = { 0, 0, 0, 1, 1, 1, 2, 2, 3, 3 };
	int p[] = { 5, 5, 1, 1, 1, 1, 2, 2, 2, 7 };
	struct mn_scores s;

	CHECK(mn_score(t, p, 10, &s) == 0);
	CHECK(fabs(s.nmi - 0.7182659441747595) < 1e-9);
	CHECK(fabs(s.ari - 0.4461538461538462) < 1e-9);
	CHECK(fabs(s.purity - 0.8) < 1e-12);
	CHECK(mn_score(t, t, 10, &s) == 0);
	CHECK(fabs(s.nmi - 1) < 1e-12 && fabs(s.ari - 1) < 1e-12 && s.purity == 1);
	int one[10] = { 0 };
	CHECK(mn_score(t, one, 10, &s) == 0);
	CHECK(fabs(s.nmi) < 1e-12 && fabs(s.ari) < 1e-12 && fabs(s.purity - 0.3) < 1e-12);
}

/* Two tight groups {0,1,2} {3,4} and a loner 5. */
static void fill_sim(float *sim, int n)
{
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++) {
			int ga = a < 3 ? 0 : a < 5 ? 1 : 2, gb = b < 3 ? 0 : b < 5 ? 1 : 2;
			sim[a * n + b] = a == b ? 1.0f : ga == gb ? 0.8f : 0.1f;
		}
	sim[0 * n + 1] = sim[1 * n + 0] = 0.9f;
}

static void test_cluster(void)
{
	float sim[36];
	int c[6];
	struct mn_opts o;

	fill_sim(sim, 6);
	mn_opts_default(&o);
	o.method = MN_AVERAGE;
	o.threshold = 0.5f;
	CHECK(mn_cluster(sim, 6, &o, c) == 3);
	CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 1 && c[4] == 1 && c[5] == 2);
	o.threshold = 0.05f;                                   /* everything merges */
	CHECK(mn_cluster(sim, 6, &o, c) == 1);
	o.threshold = 0.95f;                                   /* nothing merges */
	CHECK(mn_cluster(sim, 6, &o, c) == 6);
	o.threshold = 0.85f;                                   /* only the closest pair */
	CHECK(mn_cluster(sim, 6, &o, c) == 5 && c[0] == 0 && c[1] == 0);

	/* small clusters join their closest big one when close enough on average */
	o.threshold = 0.85f;
	o.min_pts = 2;
	o.attach = 0.5f;
	CHECK(mn_cluster(sim, 6, &o, c) == 4);   /* 2 joins {0,1} (mean 0.8); 3, 4, 5 stay */
	CHECK(c[2] == c[0] && c[3] != c[0] && c[5] != c[0]);
	o.attach = 0.05f;
	CHECK(mn_cluster(sim, 6, &o, c) == 1);   /* everything near enough: one cluster */
	o.attach = 0;

	o.method = MN_DBSCAN;
	o.threshold = 0.5f;
	o.min_pts = 3;
	CHECK(mn_cluster(sim, 6, &o, c) == 4);                 /* {3,4} is not dense enough */
	CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] != c[4] && c[5] != c[3]);
	o.min_pts = 2;
	CHECK(mn_cluster(sim, 6, &o, c) == 3 && c[3] == c[4]);
	CHECK(mn_cluster(sim, 0, &o, c) == 0);

	/* ids: the big cluster keeps 7 (most of its members had it), the next keeps 9, a
	 * cluster of new items gets a new id */
	int64_t old[6] = { 7, 7, 9, 9, 9, 0 }, ids[3], next = 10;
	int cl[6] = { 0, 0, 0, 1, 1, 2 };
	CHECK(mn_carry_ids(old, cl, 6, 3, ids, &next) == 0);
	CHECK(ids[0] == 7 && ids[1] == 9 && ids[2] == 10 && next == 11);
	/* two new clusters split one old: the larger keeps the id */
	int64_t old2[4] = { 4, 4, 4, 4 };
	int cl2[4] = { 0, 0, 0, 1 };
	CHECK(mn_carry_ids(old2, cl2, 4, 2, ids, &next) == 0);
	CHECK(ids[0] == 4 && ids[1] == 11 && next == 12);
}

static void test_real_text(void)
{
	static const struct nlu_answer_in answers[] = {
		{ 1, "Lost card", "Freeze it in the app.", "en" },
		{ 2, "Exchange rates", "We use the interbank rate.", "en" },
	};
	static const struct nlu_example_in ex[] = {
		{ 1, "I lost my card" }, { 1, "my card was stolen" },
		{ 2, "what exchange rate do you use" }, { 2, "how much is the currency rate" },
	};
	const char *texts[] = {
		"can I buy bitcoin with my account",
		"how do I buy crypto currency like bitcoin",
		"is bitcoin trading supported",
		"where is my pension statement",
		"send me the pension statement for last year",
		"pension statement please",
		"the app crashes at start",
	};
	size_t n = sizeof texts / sizeof *texts;
	struct nlu_opts no = { .threshold = 0.35 };
	char err[256];
	struct nlu_bot *bot = nlu_bot_build(answers, 2, ex, 4, &no, NULL, err, sizeof err);
	struct nlu_state *ns = bot ? nlu_state_create(bot) : NULL;
	struct mn_opts o;
	int used = -1;

	CHECK(bot && ns);
	if (!bot || !ns)
		return;
	mn_opts_default(&o);
	o.feat = MN_FEAT_BOTH;    /* no GloVe here: TF-IDF is used, and says so */
	struct mn_vecs *v = mn_embed(bot, NULL, &o, texts, n, &used, err, sizeof err);
	CHECK(v && mn_vecs_n(v) == n && used == MN_FEAT_TFIDF);
	float *sim = v ? mn_similarity(v) : NULL;
	CHECK(sim);
	if (!sim) {
		mn_vecs_free(v);
		return;
	}
	CHECK(fabsf(sim[0] - 1) < 1e-4f && fabsf(sim[1 * n + 0] - sim[0 * n + 1]) < 1e-6f);
	CHECK(sim[0 * n + 1] > sim[0 * n + 3]);                /* bitcoin near bitcoin */
	o.threshold = 0.15f;
	int c[7];
	int k = mn_cluster(sim, n, &o, c);
	CHECK(k == 3);
	CHECK(c[0] == c[1] && c[1] == c[2] && c[3] == c[4] && c[4] == c[5] && c[0] != c[3]);
	CHECK(c[6] != c[0] && c[6] != c[3]);
	struct mn_named nm[7];
	CHECK(mn_name(bot, ns, sim, texts, n, c, k, nm) == 0);
	int cb = c[0], cp = c[3];
	CHECK(nm[cb].size == 3 && nm[cp].size == 3);
	CHECK(strstr(nm[cb].terms, "bitcoin") == nm[cb].terms);   /* first key term */
	CHECK(strstr(nm[cp].terms, "pension") && strstr(nm[cp].terms, "statement"));
	CHECK(c[nm[cp].central] == cp && c[nm[cb].central] == cb);
	/* "currency" pulls the crypto questions towards the exchange-rate answer */
	CHECK(nm[cb].answer_id == 2 && nm[cb].answer_p > 0);
	free(sim);
	mn_vecs_free(v);
	/* asked again in other words, or something else */
	CHECK(mn_similar(bot, "can I buy bitcoin", "how do I buy bitcoin"));
	CHECK(mn_similar(bot, "my card was stolen", "my card got stolen yesterday"));
	CHECK(!mn_similar(bot, "I lost my card", "do you sell gold coins"));
	CHECK(!mn_similar(bot, "what exchange rate do you use", "where is my pension statement"));
	CHECK(mn_similar(bot, "how do I change my password", "I want to reset my password"));
	CHECK(!mn_similar(bot, "how do I change my password", "what are your opening hours"));
	nlu_state_destroy(ns);
	nlu_bot_unref(bot);
}

/* mn_novelty: a topic the traffic asks again and again but the store has no example of
 * scores above the known questions; the new_topic and low_confidence rules follow their
 * thresholds. */
static void test_novelty(void)
{
	static const struct nlu_answer_in answers[] = {
		{ 1, "Lost card", "Freeze it in the app.", "en" },
		{ 2, "Exchange rates", "We use the interbank rate.", "en" },
	};
	static const struct nlu_example_in ex[] = {
		{ 1, "I lost my card" }, { 1, "my card was stolen" }, { 1, "lost card" },
		{ 2, "what exchange rate do you use" }, { 2, "how much is the exchange rate" },
		{ 2, "exchange rate today" },
	};
	const char *store[] = {
		"I lost my card", "my card was stolen", "lost card",
		"what exchange rate do you use", "how much is the exchange rate",
		"exchange rate today",
	};
	const char *traffic[] = {
		"I think I lost my card", "can I buy bitcoin", "how do I buy bitcoin",
		"buy bitcoin in the app", "which exchange rate do you use",
	};
	struct nlu_opts no = { .threshold = 0.35 };
	char err[256];
	struct nlu_bot *bot = nlu_bot_build(answers, 2, ex, 6, &no, NULL, err, sizeof err);
	struct mn_opts o;
	float nov[5] = { -9, -9, -9, -9, -9 };

	CHECK(bot);
	if (!bot)
		return;
	mn_opts_default(&o);
	/* a BM25 bot: the idf is fitted on the store's examples, and the traffic is
	 * embedded with it (mn_embed_as): the store's texts embedded "as" the store are the
	 * store's own vectors */
	struct mn_vecs *ref = mn_embed(bot, NULL, &o, store, 6, NULL, err, sizeof err);
	struct mn_vecs *same = ref ? mn_embed_as(ref, bot, NULL, &o, store, 6, err, sizeof err)
		: NULL;
	float *s1 = ref ? mn_similarity(ref) : NULL, *s2 = same ? mn_similarity(same) : NULL;
	CHECK(s1 && s2 && !memcmp(s1, s2, 36 * sizeof *s1));
	free(s1);
	free(s2);
	mn_vecs_free(same);
	struct mn_vecs *q = ref ? mn_embed_as(ref, bot, NULL, &o, traffic, 5, err, sizeof err)
		: NULL;
	CHECK(q && mn_novelty(ref, q, 2, 0, nov) == 0);
	for (int b = 1; b <= 3; b++)           /* the bitcoin questions over the known ones */
		CHECK(nov[b] > nov[0] && nov[b] > nov[4]);
	CHECK(nov[0] < 0 && nov[4] < 0);
	float again[5] = { -9, -9, -9, -9, -9 };
	CHECK(q && mn_novelty(ref, q, 2, 3, again) == 0);      /* only from index 3 */
	CHECK(again[0] == -9 && again[2] == -9 && fabsf(again[3] - nov[3]) < 1e-6f &&
	      fabsf(again[4] - nov[4]) < 1e-6f);
	float txt[5];                          /* the one call kefud and the eval make */
	CHECK(ref && mn_novelty_texts(ref, bot, NULL, &o, traffic, 5, 2, 0, txt, err,
				      sizeof err) == 0 && !memcmp(txt, nov, sizeof nov));
	CHECK(q && mn_novelty(ref, q, 0, 0, nov) == -1);       /* bad k */
	CHECK(ref && mn_novelty_texts(ref, bot, NULL, &o, traffic, 5, 65, 0, txt, err,
				      sizeof err) == -1 && strstr(err, "k out of"));
	atomic_int stop = 1;                   /* kefud's shutdown: a pass ends early */
	o.cancel = &stop;
	CHECK(!mn_embed(bot, NULL, &o, store, 6, NULL, err, sizeof err) &&
	      !strcmp(err, "cancelled"));
	CHECK(ref && mn_novelty_texts(ref, bot, NULL, &o, traffic, 5, 2, 0, txt, err,
				      sizeof err) < 0 && !strcmp(err, "cancelled"));
	o.cancel = NULL;
	mn_vecs_free(q);
	mn_vecs_free(ref);
	nlu_bot_unref(bot);

	struct mn_rules r;
	mn_rules_default(&r);
	struct mn_turn t = { .answer_id = 1, .confidence = 0.99, .has_novelty = 1,
			     .novelty = (float)r.novelty + 0.001f };
	CHECK(mn_collect(&r, &t) == MN_NEW_TOPIC);
	t.novelty = (float)r.novelty - 0.01f;
	CHECK(mn_collect(&r, &t) == 0);
	t.has_novelty = 0;
	t.novelty = 1;
	CHECK(mn_collect(&r, &t) == 0);                         /* unknown: no rule */
	CHECK(!strcmp(mn_reason_name(MN_NEW_TOPIC), "new_topic"));

	/* low_confidence: an unsure answer where the store is denser than the traffic is
	 * not collected; the novelty still to come decides it, none to come: collected */
	struct mn_turn u = { .answer_id = 1, .confidence = r.low_conf - 0.01, .has_novelty = 1,
			     .novelty = (float)r.low_conf_novelty };
	CHECK(mn_collect(&r, &u) == MN_LOW_CONF);
	u.novelty = (float)r.low_conf_novelty - 0.01f;
	CHECK(mn_collect(&r, &u) == 0);
	u.has_novelty = 0;
	u.novelty_later = 1;
	CHECK(mn_collect(&r, &u) == 0);
	u.novelty_later = 0;
	CHECK(mn_collect(&r, &u) == MN_LOW_CONF);
	u.has_novelty = 1;
	u.novelty = (float)r.novelty + 0.001f;                  /* both */
	CHECK(mn_collect(&r, &u) == (MN_LOW_CONF | MN_NEW_TOPIC));
	u.confidence = r.low_conf;
	CHECK(mn_collect(&r, &u) == MN_NEW_TOPIC);
}

/* A bot whose answers 1 and 2 come from an encoder trained on rows (text, "1" or "2"):
 * what kefu train makes and kefud loads. */
static struct nlu_bot *trained_bot(const char *const (*rows)[2], size_t n)
{
	static const struct nlu_answer_in answers[] = {
		{ 1, "Lost card", "Freeze it in the app.", "en" },
		{ 2, "Exchange rates", "We use the interbank rate.", "en" },
	};
	static const struct nlu_example_in ex[] = {
		{ 1, "I lost my card" }, { 2, "what exchange rate do you use" },
	};
	struct nlu_opts no = { .threshold = 0.35 };
	struct nlu_enc_opts eo;
	struct nlu_dataset d;
	char err[256];
	void *blob = NULL;
	size_t len = 0;
	struct nlu_bot *bot = nlu_bot_build(answers, 2, ex, 2, &no, NULL, err, sizeof err);

	nlu_dataset_init(&d);
	for (int copy = 0; copy < 3; copy++)   /* copies so a calibration split exists */
		for (size_t i = 0; i < n; i++)
			nlu_dataset_add(&d, rows[i][0], rows[i][1]);
	nlu_enc_opts_default(&eo);
	eo.feat.bits = 14;
	eo.lin.threads = 1;
	eo.seq.bits = 0;
	struct nlu_enc *e = nlu_enc_train(&d, NULL, NULL, &eo, err, sizeof err);
	if (!bot || !e || nlu_enc_save(e, &blob, &len) ||
	    nlu_bot_attach_model(bot, blob, len, 1, 0, NULL, err, sizeof err)) {
		fprintf(stderr, "trained_bot: %s\n", err);
		if (bot)
			nlu_bot_unref(bot);
		bot = NULL;
	}
	free(blob);
	nlu_enc_destroy(e);
	nlu_dataset_free(&d);
	return bot;
}

/* The similarities of v (n × n, malloc'd). */
static float *sims(const struct mn_vecs *v)
{
	return v ? mn_similarity(v) : NULL;
}

/* mn_refs_get keeps the store's vectors while the bot generation and the texts stay,
 * and computes them anew, as the new model makes them, when either changes. */
static void test_refs(void)
{
	static const char *const rows_a[][2] = {
		{ "I lost my card", "1" }, { "my card was stolen", "1" }, { "lost card", "1" },
		{ "what exchange rate do you use", "2" }, { "exchange rate today", "2" },
		{ "how much is the exchange rate", "2" },
	};
	static const char *const rows_b[][2] = {     /* other words: another idf */
		{ "card gone", "1" }, { "someone took my card", "1" }, { "card lost abroad", "1" },
		{ "euro to dollar rate", "2" }, { "what rate do you give", "2" },
		{ "currency conversion rate", "2" }, { "rate for pounds", "2" },
	};
	const char *store[] = {
		"I lost my card", "my card was stolen", "what exchange rate do you use",
		"euro to dollar rate",
	};
	struct nlu_bot *a = trained_bot(rows_a, sizeof rows_a / sizeof *rows_a);
	struct nlu_bot *b = trained_bot(rows_b, sizeof rows_b / sizeof *rows_b);
	struct mn_refs *c = mn_refs_create();
	struct mn_opts o;
	char err[256];
	int fresh = -1;

	CHECK(a && b && c);
	if (!a || !b || !c)
		goto out;
	mn_opts_default(&o);
	struct mn_vecs *va = mn_embed(a, NULL, &o, store, 4, NULL, err, sizeof err);
	struct mn_vecs *vb = mn_embed(b, NULL, &o, store, 4, NULL, err, sizeof err);
	float *sa = sims(va), *sb = sims(vb);
	CHECK(sa && sb && memcmp(sa, sb, 16 * sizeof *sa));   /* the models' features differ */

	const struct mn_vecs *v1 = mn_refs_get(c, a, 1, NULL, &o, store, 4, &fresh, err,
					       sizeof err);
	float *s1 = sims(v1);
	CHECK(v1 && fresh == 1 && s1 && sa && !memcmp(s1, sa, 16 * sizeof *sa));
	const struct mn_vecs *v2 = mn_refs_get(c, a, 1, NULL, &o, store, 4, &fresh, err,
					       sizeof err);
	CHECK(v2 == v1 && fresh == 0);                          /* kept */
	/* a new model (generation 2): computed anew, as model b makes them */
	const struct mn_vecs *v3 = mn_refs_get(c, b, 2, NULL, &o, store, 4, &fresh, err,
					       sizeof err);
	float *s3 = sims(v3);
	CHECK(v3 && fresh == 1 && s3 && sb && !memcmp(s3, sb, 16 * sizeof *sb));
	CHECK(mn_refs_get(c, b, 2, NULL, &o, store, 4, &fresh, err, sizeof err) && fresh == 0);
	/* the store's examples changed, same model: computed anew */
	const struct mn_vecs *v4 = mn_refs_get(c, b, 2, NULL, &o, store, 3, &fresh, err,
					       sizeof err);
	CHECK(v4 && fresh == 1 && mn_vecs_n(v4) == 3);
	const char *edited[] = { "I lost my card", "my card was stolen", "what rate do you use" };
	CHECK(mn_refs_get(c, b, 2, NULL, &o, edited, 3, &fresh, err, sizeof err) && fresh == 1);
	/* back to the first model's generation: its vectors again */
	const struct mn_vecs *v5 = mn_refs_get(c, a, 1, NULL, &o, store, 4, &fresh, err,
					       sizeof err);
	float *s5 = sims(v5);
	CHECK(v5 && fresh == 1 && s5 && sa && !memcmp(s5, sa, 16 * sizeof *sa));
	free(sa);
	free(sb);
	free(s1);
	free(s3);
	free(s5);
	mn_vecs_free(va);
	mn_vecs_free(vb);
out:
	mn_refs_free(c);
	if (a)
		nlu_bot_unref(a);
	if (b)
		nlu_bot_unref(b);
}

/* mn_similar_vec + mn_similar_vecs give mn_similar's answer, each text embedded once,
 * for a bot with an encoder; a BM25 bot has no vector of a text alone (NULL). */
static void test_similar_vecs(void)
{
	static const char *const rows[][2] = {
		{ "I lost my card", "1" }, { "my card was stolen", "1" }, { "lost card", "1" },
		{ "what exchange rate do you use", "2" }, { "exchange rate today", "2" },
		{ "how much is the exchange rate", "2" },
	};
	const char *texts[] = {
		"I lost my card", "my card got stolen yesterday", "lost card", "exchange rate today",
		"what exchange rate do you use", "do you sell gold coins", "",
	};
	size_t n = sizeof texts / sizeof *texts;
	struct nlu_bot *bot = trained_bot(rows, sizeof rows / sizeof *rows);
	struct mn_vecs *v[sizeof texts / sizeof *texts] = { 0 };
	int yes = 0, differ = 0;

	struct mn_scratch *scr = mn_scratch_create();

	CHECK(bot != NULL && scr != NULL);
	if (!bot || !scr)
		return;
	for (size_t i = 0; i < n; i++)   /* one scratch for all: nothing carries over */
		CHECK((v[i] = mn_similar_vec(bot, scr, texts[i])) != NULL);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int s = mn_similar(bot, texts[i], texts[j]);
			CHECK(mn_similar_vecs(v[i], v[j]) == s);
			yes += s;
			differ += !s;
		}
	CHECK(yes > 0 && differ > 0);   /* both answers were compared */
	for (size_t i = 0; i < n; i++)
		mn_vecs_free(v[i]);
	nlu_bot_unref(bot);

	static const struct nlu_answer_in answers[] = { { 1, "Lost card", "Freeze it.", "en" } };
	static const struct nlu_example_in ex[] = { { 1, "I lost my card" } };
	struct nlu_opts no = { .threshold = 0.35 };
	char err[256];
	struct nlu_bot *bm25 = nlu_bot_build(answers, 1, ex, 1, &no, NULL, err, sizeof err);
	CHECK(bm25 && !mn_similar_vec(bm25, scr, "I lost my card"));
	if (bm25)
		nlu_bot_unref(bm25);
	mn_scratch_free(scr);
}

int main(void)
{
	test_collect();
	test_scores();
	test_cluster();
	test_real_text();
	test_novelty();
	test_refs();
	test_similar_vecs();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
