/* summary/test_summary.c — unit tests of summary/ without a store: ROUGE against cases
 * computed by hand, entity extraction in English and Chinese, cleaning and cutting,
 * redundancy removal (MMR), the card's answers/reactions/mood from a dialogue, and the
 * baselines.  TF-IDF only (no GloVe file needed), so every figure is deterministic. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sum_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); \
	failures++; } } while (0)
#define NEAR(a, b) (fabs((a) - (b)) < 1e-4)

static void check_rouge(const char *c, const char *r, double r1, double r2, double rl)
{
	struct sum_rouge x;
	CHECK(sum_rouge_pair(c, r, &x) == 0);
	if (!NEAR(x.r1, r1) || !NEAR(x.r2, r2) || !NEAR(x.rl, rl)) {
		fprintf(stderr, "FAIL rouge('%s', '%s') = %.4f %.4f %.4f, want %.4f %.4f %.4f\n",
			c, r, x.r1, x.r2, x.rl, r1, r2, rl);
		failures++;
	}
}

static void test_rouge(void)
{
	/* unigrams 5 of 6 both ways; bigrams "the cat", "on the", "the mat" = 3 of 5; LCS
	 * "the cat on the mat" = 5 of 6 */
	check_rouge("the cat sat on the mat", "the cat is on the mat", 5.0 / 6, 0.6, 5.0 / 6);
	/* P = 2/4, R = 2/3: F = 4/7; no shared bigram; LCS "a c" */
	check_rouge("a b c d", "a c e", 4.0 / 7, 0, 4.0 / 7);
	/* clipped counts: "the" matches once; P = 1/3, R = 1 */
	check_rouge("the the the", "the", 0.5, 0, 0.5);
	/* case and punctuation do not count */
	check_rouge("Hello, WORLD!", "hello world", 1, 1, 1);
	/* Chinese characters: 客 户 退 款 = 4 of 5 / 6 → F = 8/11; bigrams 客户, 退款 = 2 of
	 * 4 / 5 → F = 4/9; LCS 客户退款 = 4 */
	check_rouge("客户要退款", "客户申请退款", 8.0 / 11, 4.0 / 9, 8.0 / 11);
	/* mixed: "app" is one word, each character one token */
	check_rouge("APP登不上", "app 登不上", 1, 1, 1);
	/* LCS is a subsequence, not a substring: a x b y c vs a b c → 3 of 5 / 3 */
	check_rouge("a x b y c", "a b c", 0.75, 0, 0.75);
	check_rouge("", "anything", 0, 0, 0);
	check_rouge("anything", "", 0, 0, 0);

	const char *refs[] = { "the cat is on the mat", "a dog" };
	struct sum_rouge m;
	CHECK(sum_rouge_refs("the cat sat on the mat", refs, 2, &m) == 0);
	CHECK(NEAR(m.r1, (5.0 / 6 + 0) / 2));
	CHECK(NEAR(m.r2, 0.3));

	CHECK(sum_rouge_len("Hi, I can't log in! 登不上") == 9);
	const char *s = "one two three. four five";
	CHECK(sum_cut_len(s, 3) == strlen("one two three."));
	CHECK(sum_cut_len(s, 9) == strlen(s));
}

static int has(const struct sum_entity *e, size_t n, int kind, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].kind == kind && !strcmp(e[i].text, text))
			return 1;
	return 0;
}

static void dump(const struct sum_entity *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  entity %s '%s'\n", sum_name_entity(e[i].kind), e[i].text);
}

static void test_entities(void)
{
	struct sum_entity e[32];
	size_t n = 0;

	sum_entities_find("My order #12345678 was charged $49.99 twice, error E1002 on the app. "
			  "Mail jo.doe@example.com by 2024-03-05 or call +44 20 7946 0958; "
			  "it crashed with 0x80070005 and ERR_CARD_DECLINED on March 5th, "
			  "refund 20 dollars, ticket no. 4471",
			  SUM_SRC_TEXT, 0, e, &n, 32);
	CHECK(has(e, n, SUM_ENT_ORDER, "12345678"));
	CHECK(has(e, n, SUM_ENT_AMOUNT, "$49.99"));
	CHECK(has(e, n, SUM_ENT_ERROR_CODE, "E1002"));
	CHECK(has(e, n, SUM_ENT_EMAIL, "jo.doe@example.com"));
	CHECK(has(e, n, SUM_ENT_DATE, "2024-03-05"));
	CHECK(has(e, n, SUM_ENT_ERROR_CODE, "0x80070005"));
	CHECK(has(e, n, SUM_ENT_ERROR_CODE, "ERR_CARD_DECLINED"));
	CHECK(has(e, n, SUM_ENT_DATE, "March 5th"));
	CHECK(has(e, n, SUM_ENT_AMOUNT, "20 dollars"));
	CHECK(has(e, n, SUM_ENT_ORDER, "4471"));
	if (failures)
		dump(e, n);

	/* a Twitter handle, a version number, a train time and a plain count are not entities */
	size_t before = n;
	sum_entities_find("@SpotifyCares v1.0.64.399 the 0815 from Paddington, 3 times",
			  SUM_SRC_TEXT, 1, e, &n, 32);
	CHECK(n == before);
	if (n != before)
		dump(e + before, n - before);
	/* the same entity again is not added twice */
	CHECK(sum_entities_find("order 12345678", SUM_SRC_TEXT, 2, e, &n, 32) == 0);

	n = 0;
	sum_entities_find("订单号2024031588213还没发货，扣了398元，错误码1005，预计3月20日之前发出，"
			  "2024年3月5日下的单，手机13812345678，邮箱 wang@example.cn，退款￥59.9",
			  SUM_SRC_VOICE, 3, e, &n, 32);
	CHECK(has(e, n, SUM_ENT_ORDER, "2024031588213"));
	CHECK(has(e, n, SUM_ENT_AMOUNT, "398元"));
	CHECK(has(e, n, SUM_ENT_ERROR_CODE, "1005"));
	CHECK(has(e, n, SUM_ENT_DATE, "3月20日"));
	CHECK(has(e, n, SUM_ENT_DATE, "2024年3月5日"));
	CHECK(has(e, n, SUM_ENT_PHONE, "13812345678"));
	CHECK(has(e, n, SUM_ENT_EMAIL, "wang@example.cn"));
	CHECK(has(e, n, SUM_ENT_AMOUNT, "￥59.9"));
	sum_entities_find("工单号：4471，错误码是 503", SUM_SRC_TEXT, 4, e, &n, 32);
	CHECK(has(e, n, SUM_ENT_ORDER, "4471"));
	CHECK(has(e, n, SUM_ENT_ERROR_CODE, "503"));
	CHECK(n && e[0].source == SUM_SRC_VOICE && e[0].turn == 3);
	if (failures)
		dump(e, n);
}

static void test_clean(void)
{
	char *c = sum_clean("@AppleSupport my phone\n keeps   rebooting https://t.co/x ^JD");
	CHECK(c && !strcmp(c, "my phone\nkeeps rebooting"));
	free(c);
	c = sum_clean("Fish &amp; chips &lt;3 &quot;now&quot; &foo;");
	CHECK(c && !strcmp(c, "Fish & chips <3 \"now\" &foo;"));
	free(c);
	c = sum_clean("Mail me at a@b.com please /MT");
	CHECK(c && !strcmp(c, "Mail me at a@b.com please"));
	free(c);
}

static int count(const char *hay, const char *needle)
{
	int k = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		k++;
	return k;
}

static void test_mmr(struct sum_ctx *ctx)
{
	/* the customer says the same thing three times; MMR takes it once and then the
	 * other problem, which is less central but not redundant */
	struct sum_turn t[] = {
		{ .role = SUM_CUSTOMER, .text = "My card was declined at the supermarket today. "
						"My card was declined at the supermarket again today! "
						"Why was my card declined at the supermarket today?" },
		{ .role = SUM_CUSTOMER, .text = "Also the banking app shows an error when I log in." },
		{ .role = SUM_AGENT, .text = "Hi there! Please send us a direct message with your "
					     "card number and we will check the decline." },
	};
	struct sum_dialog d = { "en", t, 3 };
	struct sum_opts o = { .budget = 40 };
	struct sum_card c;

	CHECK(sum_card_build(ctx, &d, &o, &c) == 0);
	CHECK(count(c.summary, "declined") == 1);
	CHECK(strstr(c.summary, "banking app") != NULL);
	CHECK(strstr(c.summary, "Customer:") == c.summary);
	CHECK(strstr(c.summary, "Agent: Please send us a direct message") != NULL);
	CHECK(strstr(c.summary, "Hi there") == NULL);
	CHECK(sum_rouge_len(c.summary) <= 40);
	CHECK(!strcmp(c.lang, "en"));
	if (failures)
		fprintf(stderr, "summary: %s\n", c.summary);
	sum_card_free(&c);
}

static void test_card(struct sum_ctx *ctx)
{
	struct sum_seen_entity seen[] = { { "error_code", "ERR_CARD_DECLINED" } };
	struct sum_turn t[] = {
		{ .role = SUM_CUSTOMER, .text = "我的卡付款失败了，订单号 88120034567" },
		{ .role = SUM_BOT, .text = "……", .answer_title = "银行卡被拒", .confidence = 0.8,
		  .feedback = -1 },
		{ .role = SUM_CUSTOMER, .text = "我的卡付款失败，怎么办", .source = SUM_SRC_PICTURE,
		  .seen = seen, .n_seen = 1, .ocr_text = "支付失败 ERR_CARD_DECLINED" },
		{ .role = SUM_BOT, .text = "请选择", .fallback = 1 },
		{ .role = SUM_SYSTEM, .text = "暂时没有客服在线", .handoff = 1 },
		{ .role = SUM_CUSTOMER, .text = "太差了，我要投诉！" },
	};
	struct sum_dialog d = { NULL, t, 6 };
	struct sum_card c;

	CHECK(sum_card_build(ctx, &d, NULL, &c) == 0);
	CHECK(!strcmp(c.lang, "zh"));
	CHECK(c.n_answers == 2);
	CHECK(c.n_answers == 2 && c.answers[0].title && !strcmp(c.answers[0].title, "银行卡被拒"));
	CHECK(c.n_answers == 2 && (c.answers[0].reaction & SUM_REACT_THUMBS_DOWN));
	CHECK(c.n_answers == 2 && (c.answers[0].reaction & SUM_REACT_REPHRASED));
	CHECK(c.n_answers == 2 && c.answers[1].fallback && (c.answers[1].reaction & SUM_REACT_PERSON));
	CHECK(c.asked_person == 1);
	CHECK(c.mood == SUM_MOOD_NEGATIVE);
	CHECK(has(c.entities, c.n_entities, SUM_ENT_ORDER, "88120034567"));
	CHECK(has(c.entities, c.n_entities, SUM_ENT_ERROR_CODE, "ERR_CARD_DECLINED"));
	for (size_t i = 0; i < c.n_entities; i++)
		if (c.entities[i].kind == SUM_ENT_ERROR_CODE)
			CHECK(c.entities[i].source == SUM_SRC_PICTURE);
	CHECK(strstr(c.problem, "付款失败") != NULL);
	CHECK(strstr(c.summary, "机器人回答了“银行卡被拒”") != NULL);
	CHECK(strstr(c.text, "情绪：不满") != NULL);
	CHECK(strstr(c.text, "点踩") != NULL);
	CHECK(strstr(c.text, "（图片）") != NULL);
	if (failures)
		fprintf(stderr, "card:\n%s\nsummary: %s\n", c.text, c.summary);
	sum_card_free(&c);

	/* a happy English customer: thumbs up, thanks */
	struct sum_turn u[] = {
		{ .role = SUM_CUSTOMER, .text = "How do I reset my password?" },
		{ .role = SUM_BOT, .text = "Open Settings", .answer_title = "Reset password",
		  .feedback = 1 },
		{ .role = SUM_CUSTOMER, .text = "Great, that worked, thank you!" },
	};
	struct sum_dialog d2 = { NULL, u, 3 };
	CHECK(sum_card_build(ctx, &d2, NULL, &c) == 0);
	CHECK(c.mood == SUM_MOOD_POSITIVE);
	CHECK(c.n_answers == 1 && c.answers[0].reaction == SUM_REACT_THUMBS_UP);
	CHECK(!c.asked_person);
	CHECK(strstr(c.text, "Answers: \u201cReset password\u201d (thumbs up)") != NULL);
	CHECK(strstr(c.summary, "Bot answered \u201cReset password\u201d.") != NULL);
	if (failures)
		fprintf(stderr, "card:\n%s\n", c.text);
	sum_card_free(&c);

	/* nothing to say: an empty dialogue still gives a card */
	struct sum_dialog d3 = { NULL, NULL, 0 };
	CHECK(sum_card_build(ctx, &d3, NULL, &c) == 0);
	CHECK(c.summary && !c.summary[0] && c.n_answers == 0 && c.n_entities == 0);
	sum_card_free(&c);
}

static void test_baselines(struct sum_ctx *ctx)
{
	struct sum_turn t[] = {
		{ .role = SUM_CUSTOMER, .text = "@Shop my parcel is late. It was due Monday." },
		{ .role = SUM_AGENT, .text = "@123 Sorry! Can you DM us the order number? ^AB" },
		{ .role = SUM_CUSTOMER, .text = "Sent it." },
		{ .role = SUM_AGENT, .text = "Thanks, your parcel ships tomorrow." },
	};
	struct sum_dialog d = { "en", t, 4 };
	char *lead = sum_lead(ctx, &d, 100), *lex = sum_lexrank(ctx, &d, 6);
	CHECK(lead && !strcmp(lead, "my parcel is late. It was due Monday. Sorry! Can you DM us "
				    "the order number?"));
	CHECK(lex && sum_rouge_len(lex) == 6);
	CHECK(lex && strstr(lex, "parcel") != NULL);
	free(lead);
	free(lex);
	lead = sum_lead(ctx, &d, 3);
	CHECK(lead && !strcmp(lead, "my parcel is"));
	free(lead);
}

/* Every dialogue of a committed set through the card, both baselines and ROUGE: each
 * summary within its budget, kefu at least as good as Lead on ROUGE-1 over the set. */
static void test_set(struct sum_ctx *ctx, const char *rel)
{
	char path[512], line[16384];
	double k1 = 0, l1 = 0;
	int n = 0;
	snprintf(path, sizeof path, "%s/%s", KEFU_SRCDIR, rel);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof line, f)) {
		json_t *j = json_loads(line, 0, NULL), *turns = json_object_get(j, "turns");
		json_t *refs = json_object_get(j, "references");
		struct sum_turn t[64];
		const char *r[8];
		size_t nt = json_array_size(turns), nr = json_array_size(refs);
		CHECK(j && nt && nt <= 64 && nr && nr <= 8);
		if (!j || !nt || nt > 64 || !nr || nr > 8) {
			json_decref(j);
			continue;
		}
		for (size_t i = 0; i < nt; i++) {
			json_t *x = json_array_get(turns, i);
			const char *from = json_string_value(json_object_get(x, "from"));
			t[i] = (struct sum_turn){ .role = !strcmp(from, "customer") ? SUM_CUSTOMER
							  : !strcmp(from, "bot") ? SUM_BOT : SUM_AGENT,
						  .text = json_string_value(json_object_get(x, "text")) };
		}
		for (size_t i = 0; i < nr; i++)
			r[i] = json_string_value(json_array_get(refs, i));
		struct sum_dialog d = { json_string_value(json_object_get(j, "lang")), t, nt };
		struct sum_opts o = { .budget = 40 };
		struct sum_card c;
		struct sum_rouge rk, rl;
		char *lead = sum_lead(ctx, &d, 40), *lex = sum_lexrank(ctx, &d, 40);
		CHECK(sum_card_build(ctx, &d, &o, &c) == 0 && lead && lex);
		if (c.summary && lead && lex) {
			CHECK(sum_rouge_len(c.summary) <= 40 && sum_rouge_len(lead) <= 40 &&
			      sum_rouge_len(lex) <= 40);
			CHECK(c.problem && c.problem[0] && c.text);
			CHECK(sum_rouge_refs(c.summary, r, nr, &rk) == 0);
			CHECK(sum_rouge_refs(lead, r, nr, &rl) == 0);
			k1 += rk.r1;
			l1 += rl.r1;
			n++;
		}
		sum_card_free(&c);
		free(lead);
		free(lex);
		json_decref(j);
	}
	if (f)
		fclose(f);
	CHECK(n > 0 && k1 >= l1);
	if (n)
		printf("%s: %d dialogues, ROUGE-1 kefu %.3f, lead %.3f (budget 40)\n", rel, n,
		       k1 / n, l1 / n);
}

int main(void)
{
	char err[256];
	struct sum_ctx *ctx = sum_ctx_create(NULL, err, sizeof err);
	CHECK(ctx != NULL);
	CHECK(sum_ctx_create("/nonexistent/glove.kfv", err, sizeof err) == NULL);
	test_rouge();
	test_entities();
	test_clean();
	if (ctx) {
		test_mmr(ctx);
		test_card(ctx);
		test_baselines(ctx);
		test_set(ctx, "tests/data/summaries_en_small.jsonl");
		test_set(ctx, "tests/data/summaries_zh_dev.jsonl");
	}
	sum_ctx_destroy(ctx);

	/* with GloVe (when the models are there): same calls, budgets still hold */
	char path[512];
	const char *models = getenv("KEFU_MODELS");
	snprintf(path, sizeof path, "%s/glove-100d.kfv", models ? models : KEFU_SRCDIR "/models");
	ctx = sum_ctx_create(path, err, sizeof err);
	if (ctx) {
		struct sum_turn t[] = {
			{ .role = SUM_CUSTOMER, .text = "My parcel is late and the tracking page "
							"shows nothing since Monday." },
			{ .role = SUM_AGENT, .text = "Sorry about that! Please DM us the order number." },
			{ .role = SUM_CUSTOMER, .text = "Sent. It is order 44556677." },
			{ .role = SUM_AGENT, .text = "Thanks, the courier lost it; a replacement ships "
						     "today and arrives on Wednesday." },
		};
		struct sum_dialog d = { "en", t, 4 };
		struct sum_opts o = { .budget = 20 };
		struct sum_card c;
		CHECK(sum_ctx_has_glove(ctx));
		CHECK(sum_card_build(ctx, &d, &o, &c) == 0);
		CHECK(c.summary && sum_rouge_len(c.summary) <= 20 && strstr(c.summary, "parcel"));
		sum_card_free(&c);
		char *lex = sum_lexrank(ctx, &d, 20);
		CHECK(lex && sum_rouge_len(lex) <= 20);
		free(lex);
		sum_ctx_destroy(ctx);
	} else {
		printf("no GloVe file (%s): TF-IDF checks only\n", err);
	}
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("summary: all checks passed\n");
	return 0;
}
