/* nlu/test_load.c — nlu_bot_load against a real store: a temporary SQLite file made
 * through store_open, answers and examples added with store.h, a disabled answer left
 * out, then English and Chinese questions asked. */
#include "nlu.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static int64_t add(struct store *st, const char *title, const char *body, const char *lang,
		   const char *const *ex)
{
	int64_t id = 0;

	CHECK(store_answer_add(st, title, body, lang, "", &id) == 0);
	for (; *ex; ex++)
		CHECK(store_example_add(st, id, *ex) == 0);
	return id;
}

int main(void)
{
	char dir[] = "/tmp/kefu-nlu-XXXXXX", path[64], err[256];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/test.db", dir);
	struct store *st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		fprintf(stderr, "store_open: %s\n", err);
		return 1;
	}
	struct nlu_opts opts = { .threshold = 0.35 };

	/* An empty store cannot make a bot, and says why. */
	CHECK(nlu_bot_load(st, &opts, err, sizeof err) == NULL && err[0]);

	static const char *const lost[] = { "I lost my card", "my card was stolen",
					    "I can't find my bank card", NULL };
	static const char *const refund[] = { "where is my refund", "refund not received",
					      "how long does a refund take", NULL };
	static const char *const lost_zh[] = { "我的卡丢了", "银行卡被偷了", "卡不见了怎么办", NULL };
	static const char *const hours[] = { "when are you open", "opening hours", NULL };
	int64_t a_lost = add(st, "Lost or stolen card", "Freeze the card in the app.", "en", lost);
	int64_t a_refund = add(st, "Refund status", "Refunds take 5 working days.", "en", refund);
	int64_t a_zh = add(st, "银行卡挂失", "请在手机银行中冻结您的卡。", "zh", lost_zh);
	int64_t a_hours = add(st, "Opening hours", "9:00-18:00 on weekdays.", "en", hours);

	/* Disable one answer: the bot must never offer it. */
	struct store_answer a;
	CHECK(store_answer_get(st, a_hours, &a) == 0);
	a.enabled = 0;
	CHECK(store_answer_update(st, &a) == 0);
	store_answer_clear(&a);

	struct nlu_bot *bot = nlu_bot_load(st, &opts, err, sizeof err);
	CHECK(bot != NULL);
	if (!bot) {
		fprintf(stderr, "nlu_bot_load: %s\n", err);
		store_close(st);
		return 1;
	}
	CHECK(nlu_bot_n_answers(bot) == 3);
	struct nlu_state *s = nlu_state_create(bot);
	struct nlu_reply r;
	CHECK(s != NULL);

	CHECK(nlu_bot_reply(bot, s, "I lost my card", 14, &r) == 0);
	CHECK(!r.fallback && r.answer_id == a_lost && strcmp(r.text, "Freeze the card in the app.") == 0);
	const char *q = "Where is my refund?";
	CHECK(nlu_bot_reply(bot, s, q, strlen(q), &r) == 0 && r.answer_id == a_refund);
	q = "我的银行卡丢了";
	CHECK(nlu_bot_reply(bot, s, q, strlen(q), &r) == 0);
	CHECK(r.answer_id == a_zh && strcmp(r.lang, "zh") == 0);
	q = "Opening hours";   /* the disabled answer's title: not known any more */
	CHECK(nlu_bot_reply(bot, s, q, strlen(q), &r) == 0);
	CHECK(r.answer_id != a_hours && r.confidence < 1.0);
	for (int i = 0; i < r.n_quick; i++)
		CHECK(r.quick[i].answer_id != a_hours);

	/* The store can go: the bot keeps its own copies. */
	store_close(st);
	CHECK(nlu_bot_reply(bot, s, "Refund status", 13, &r) == 0);
	CHECK(r.answer_id == a_refund && r.confidence == 1.0 && strcmp(r.title, "Refund status") == 0);

	nlu_state_destroy(s);
	nlu_bot_unref(bot);
	unlink(path);
	char side[80];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	rmdir(dir);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("nlu load: all tests passed\n");
	return failures ? 1 : 0;
}
