/* mining/test_mining.c — unit tests of the review queue's mining (suite: mining):
 * collection rules for every reason, the scores against scikit-learn's values, both
 * clustering methods on a made-up similarity matrix, cluster ids kept across
 * re-clusterings, and features + clusters + names + nearest answers on real text with a
 * BM25 bot built in memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mining.h"
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
 * scores above the known questions; the new_topic rule follows the threshold. */
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
	const char *texts[] = {      /* the store's examples, then the traffic */
		"I lost my card", "my card was stolen", "lost card",
		"what exchange rate do you use", "how much is the exchange rate",
		"exchange rate today",
		"I think I lost my card", "can I buy bitcoin", "how do I buy bitcoin",
		"buy bitcoin in the app", "which exchange rate do you use",
	};
	size_t n = sizeof texts / sizeof *texts, n_ref = 6;
	struct nlu_opts no = { .threshold = 0.35 };
	char err[256];
	struct nlu_bot *bot = nlu_bot_build(answers, 2, ex, 6, &no, NULL, err, sizeof err);
	struct mn_opts o;
	float nov[5] = { -9, -9, -9, -9, -9 };

	CHECK(bot);
	if (!bot)
		return;
	mn_opts_default(&o);
	struct mn_vecs *v = mn_embed(bot, NULL, &o, texts, n, NULL, err, sizeof err);
	CHECK(v && mn_novelty(v, n_ref, 2, 0, nov) == 0);
	for (int b = 1; b <= 3; b++)           /* the bitcoin questions over the known ones */
		CHECK(nov[b] > nov[0] && nov[b] > nov[4]);
	CHECK(nov[0] < 0 && nov[4] < 0);
	float again[5] = { -9, -9, -9, -9, -9 };
	CHECK(v && mn_novelty(v, n_ref, 2, 3, again) == 0);     /* only from index 3 */
	CHECK(again[0] == -9 && again[2] == -9 && fabsf(again[3] - nov[3]) < 1e-6f &&
	      fabsf(again[4] - nov[4]) < 1e-6f);
	CHECK(v && mn_novelty(v, n_ref, 0, 0, nov) == -1);      /* bad k */
	mn_vecs_free(v);
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
}

int main(void)
{
	test_collect();
	test_scores();
	test_cluster();
	test_real_text();
	test_novelty();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
