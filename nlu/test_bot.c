/* nlu/test_bot.c — unit tests for bot.c on a small in-memory answer set (English and
 * Chinese): routing, title match, confidence range and monotonicity, fallback with
 * quick replies in the customer's language, empty text, reference counting, and two
 * threads sharing one bot. */
#include "nlu_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static const struct nlu_answer_in answers[] = {
	{ 10, "Lost or stolen card", "Freeze your card in the app, then order a new one.", "en" },
	{ 11, "Refund status", "Refunds reach your account within 5 working days.", "en" },
	{ 12, "Change password", "Open Settings > Security > Change password.", "en" },
	{ 13, "Opening hours", "We are open 9:00-18:00, Monday to Friday.", "en" },
	{ 14, "Card delivery", "A new card arrives within 7 days.", "en" },
	{ 20, "银行卡挂失", "请立即在手机银行中冻结您的卡，并申请补办新卡。", "zh" },
	{ 21, "退款进度", "退款将在5个工作日内退回原账户。", "zh" },
	{ 22, "修改密码", "请打开“设置 > 安全 > 修改密码”。", "zh" },
	{ 23, "营业时间", "我们的营业时间是周一至周五 9:00-18:00。", "zh" },
};

static const struct nlu_example_in examples[] = {
	{ 10, "I lost my card" }, { 10, "my card was stolen" },
	{ 10, "someone stole my wallet with my bank card" }, { 10, "I can't find my card" },
	{ 11, "where is my refund" }, { 11, "I am still waiting for my refund" },
	{ 11, "how long does a refund take" }, { 11, "refund not received yet" },
	{ 12, "how do I change my password" }, { 12, "I forgot my password" },
	{ 12, "reset password" }, { 12, "update my login password" },
	{ 13, "when are you open" }, { 13, "what are your opening hours" },
	{ 13, "are you open on saturday" }, { 13, "what time do you close" },
	{ 14, "when will my new card arrive" }, { 14, "my card has not arrived yet" },
	{ 14, "how long does card delivery take" }, { 14, "track my card delivery" },
	{ 20, "我的卡丢了" }, { 20, "银行卡被偷了怎么办" }, { 20, "卡不见了" },
	{ 20, "我要挂失银行卡" }, { 20, "钱包丢了，里面有银行卡" },
	{ 21, "我的退款到哪了" }, { 21, "退款多久到账" }, { 21, "为什么还没收到退款" },
	{ 21, "怎么查询退款进度" },
	{ 22, "怎么修改密码" }, { 22, "忘记密码了" }, { 22, "我想改登录密码" },
	{ 22, "密码怎么重置" },
	{ 23, "你们几点开门" }, { 23, "营业时间是什么" }, { 23, "周末营业吗" },
	{ 23, "几点下班" },
	{ 999, "an example of an answer that does not exist" },
};

#define N_ANSWERS (sizeof answers / sizeof answers[0])
#define N_EXAMPLES (sizeof examples / sizeof examples[0])

static struct nlu_bot *build(double threshold)
{
	char err[200];
	struct nlu_opts o = { .threshold = threshold };
	struct nlu_bot *bot = nlu_bot_build(answers, N_ANSWERS, examples, N_EXAMPLES, &o, NULL,
					    err, sizeof err);
	if (!bot)
		fprintf(stderr, "build: %s\n", err);
	return bot;
}

static int ask(const struct nlu_bot *bot, struct nlu_state *s, const char *text,
	       struct nlu_reply *r)
{
	return nlu_bot_reply(bot, s, text, strlen(text), r);
}

static void test_routing(const struct nlu_bot *bot, struct nlu_state *s)
{
	struct nlu_reply r;
	static const struct { const char *q; int64_t id; const char *lang; } cases[] = {
		{ "I lost my card", 10, "en" },
		{ "Help, my card got stolen!", 10, "en" },
		{ "Where is my REFUND?", 11, "en" },
		{ "I forgot the password", 12, "en" },
		{ "what time do you open on saturday", 13, "en" },
		{ "my new card still hasn't arrived", 14, "en" },
		{ "我的卡丢了", 20, "zh" },
		{ "银行卡丢了怎么办？", 20, "zh" },
		{ "退款什么时候到账", 21, "zh" },
		{ "密码忘记了", 22, "zh" },
		{ "你们几点开门？", 23, "zh" },
		{ "我的ＡＰＰ密码忘记了", 22, "zh" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = ask(bot, s, cases[i].q, &r);
		CHECK(rc == 0);
		CHECK(r.confidence >= 0.0 && r.confidence <= 1.0);
		if (r.fallback || r.answer_id != cases[i].id || strcmp(r.lang, cases[i].lang)) {
			fprintf(stderr, "FAIL \"%s\": answer %lld (want %lld) fallback %d conf %.3f lang %s\n",
				cases[i].q, (long long)r.answer_id, (long long)cases[i].id, r.fallback,
				r.confidence, r.lang);
			failures++;
		}
	}
	/* Off-topic: nothing explains the question well, so no guess. */
	CHECK(ask(bot, s, "今天天气怎么样", &r) == 0);
	CHECK(r.fallback && r.answer_id == 0 && strcmp(r.lang, "zh") == 0 && r.confidence < 0.35);
	ask(bot, s, "我的卡丢了", &r);
	CHECK(r.text && strstr(r.text, "冻结") != NULL && r.n_quick == 0);
	CHECK(r.title && strcmp(r.title, "银行卡挂失") == 0);
}

static void test_title_match(const struct nlu_bot *bot, struct nlu_state *s)
{
	struct nlu_reply r;

	/* What a quick-reply button sends: the title, chosen with confidence 1. */
	CHECK(ask(bot, s, "Refund status", &r) == 0);
	CHECK(r.answer_id == 11 && r.confidence == 1.0 && !r.fallback);
	CHECK(ask(bot, s, "  refund   STATUS ", &r) == 0);
	CHECK(r.answer_id == 11 && r.confidence == 1.0);
	CHECK(ask(bot, s, "修改密码", &r) == 0);
	CHECK(r.answer_id == 22 && r.confidence == 1.0 && strcmp(r.lang, "zh") == 0);
	/* A longer text that contains a title is not a title match. */
	CHECK(ask(bot, s, "Refund status please", &r) == 0);
	CHECK(r.confidence < 1.0);
}

static void test_fallback(void)
{
	struct nlu_bot *bot = build(0.999);   /* nothing but a title is sure enough */
	struct nlu_state *s = bot ? nlu_state_create(bot) : NULL;
	struct nlu_reply r;

	CHECK(s != NULL);
	if (!s) {
		nlu_bot_unref(bot);
		return;
	}
	CHECK(ask(bot, s, "card", &r) == 0);
	CHECK(r.fallback && r.answer_id == 0 && r.title == NULL);
	CHECK(strcmp(r.lang, "en") == 0 && strstr(r.text, "Did you mean") != NULL);
	CHECK(r.n_quick >= 2 && r.n_quick <= NLU_MAX_QUICK);
	for (int i = 0; i < r.n_quick; i++) {
		CHECK(r.quick[i].answer_id > 0 && r.quick[i].title != NULL);
		for (int j = 0; j < i; j++)
			CHECK(r.quick[i].answer_id != r.quick[j].answer_id);
	}
	/* The closest answers: both card answers offered first. */
	CHECK((r.quick[0].answer_id == 10 || r.quick[0].answer_id == 14) &&
	      (r.quick[1].answer_id == 10 || r.quick[1].answer_id == 14));
	/* The customer presses a button: its title is an answer. */
	const char *pick = r.quick[1].title;
	int64_t pick_id = r.quick[1].answer_id;
	CHECK(ask(bot, s, pick, &r) == 0 && r.answer_id == pick_id && !r.fallback);

	CHECK(ask(bot, s, "卡", &r) == 0);
	CHECK(r.fallback && strcmp(r.lang, "zh") == 0 && strstr(r.text, "哪一个") != NULL);
	CHECK(r.n_quick >= 1 && r.quick[0].answer_id == 20);

	/* Nothing in common with any example: no guess, no buttons. */
	CHECK(ask(bot, s, "xyzzy plugh", &r) == 0);
	CHECK(r.fallback && r.n_quick == 0 && r.answer_id == 0 && r.confidence == 0.0);
	CHECK(strstr(r.text, "rephrase") != NULL);

	/* Empty after normalisation. */
	CHECK(ask(bot, s, "  😀 !!! ", &r) == -1);
	CHECK(r.fallback && r.answer_id == 0 && r.text != NULL && r.n_quick == 0);
	CHECK(nlu_bot_reply(bot, s, "", 0, &r) == -1 && r.fallback);
	nlu_state_destroy(s);
	nlu_bot_unref(bot);
}

static void test_confidence(const struct nlu_bot *bot, struct nlu_state *s)
{
	struct nlu_params p;
	struct nlu_rank r;

	nlu_params_default(&p);
	CHECK(nlu_confidence(&p, NULL, 0, 0.0) == 0.0);
	/* In [0,1]; rises with the best score, falls as the runner-up closes in. */
	double prev_top = -1;
	for (double s1 = 0; s1 <= 3.0; s1 += 0.05) {
		double sc[3] = { s1, s1 * 0.5, s1 * 0.2 };
		double c = nlu_confidence(&p, sc, 3, 0.5);
		CHECK(c >= 0.0 && c <= 1.0);
		CHECK(c > prev_top);
		prev_top = c;
		double prev = 2;
		for (double s2 = 0; s2 <= s1; s2 += 0.05) {
			double sc2[2] = { s1, s2 };
			double c2 = nlu_confidence(&p, sc2, 2, 0.5);
			CHECK(c2 >= 0.0 && c2 <= 1.0 && c2 < prev);
			prev = c2;
		}
	}
	/* More evidence for the same answer, more confidence. */
	CHECK(nlu_bot_rank(bot, s, "card", 4, &r) == 0);
	double c1 = r.confidence;
	CHECK(nlu_bot_rank(bot, s, "card stolen", 11, &r) == 0);
	double c2 = r.confidence;
	CHECK(nlu_bot_rank(bot, s, "my card was stolen", 18, &r) == 0);
	double c3 = r.confidence;
	CHECK(c1 < c2 && c2 <= c3 && bot->answers[r.idx[0]].id == 10);
	/* Ranked scores are sorted and distinct answers. */
	for (int i = 1; i < r.n; i++) {
		CHECK(r.score[i] <= r.score[i - 1]);
		for (int j = 0; j < i; j++)
			CHECK(r.idx[i] != r.idx[j]);
	}
}

struct worker {
	const struct nlu_bot *bot;
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct nlu_state *s = nlu_state_create(w->bot);
	struct nlu_reply r;

	if (!s) {
		w->errors++;
		return NULL;
	}
	for (int i = 0; i < 2000; i++) {
		const char *q = i % 2 ? "我的卡丢了" : "where is my refund";
		int64_t want = i % 2 ? 20 : 11;
		if (nlu_bot_reply(w->bot, s, q, strlen(q), &r) || r.answer_id != want)
			w->errors++;
	}
	nlu_state_destroy(s);
	return NULL;
}

static void test_threads(struct nlu_bot *bot)
{
	pthread_t th[2];
	struct worker w[2] = { { bot, 0 }, { bot, 0 } };

	nlu_bot_ref(bot);   /* as a daemon worker pool would */
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(w[0].errors == 0 && w[1].errors == 0);
	nlu_bot_unref(bot);
}

int main(void)
{
	char err[200];
	struct nlu_opts o = { .threshold = 0.35 };

	CHECK(nlu_bot_build(answers, 0, examples, N_EXAMPLES, &o, NULL, err, sizeof err) == NULL);
	CHECK(strstr(err, "no enabled answer") != NULL);

	struct nlu_bot *bot = build(0.35);
	CHECK(bot != NULL);
	if (!bot)
		return 1;
	CHECK(nlu_bot_n_answers(bot) == N_ANSWERS);
	CHECK(strncmp(nlu_bot_describe(bot), "bm25", 4) == 0);
	struct nlu_state *s = nlu_state_create(bot);
	CHECK(s != NULL);
	test_routing(bot, s);
	test_title_match(bot, s);
	test_fallback();
	test_confidence(bot, s);
	test_threads(bot);
	nlu_state_destroy(s);
	nlu_bot_unref(bot);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("nlu bot: all tests passed\n");
	return failures ? 1 : 0;
}
