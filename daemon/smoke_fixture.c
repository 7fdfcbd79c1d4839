/* daemon/smoke_fixture.c — writes the small answer store the browser tests with
 * `fixture: true` (tests/browser) serve, so they do not depend on the demo content:
 * three English and two Chinese answers with example questions.  Usage: smoke_fixture DB.  Main
 * thread only. */
#include <stdio.h>

#include "store.h"

struct fixture {
	const char *title, *body, *lang;
	const char *examples[5];
};

static const struct fixture answers[] = {
	{ "Lost or stolen card", "Freeze your card in the app **right away**, then order a new one.",
	  "en", { "I lost my card", "my card was stolen", "I can't find my card",
		  "someone stole my wallet with my card", NULL } },
	{ "Opening hours", "Our branches are open 9:00-17:00, Monday to Friday.", "en",
	  { "when are you open", "what are your opening hours", "are you open on saturday",
	    NULL } },
	{ "Change password", "Go to *Settings > Security* and choose **Change password**.",
	  "en", { "how do I change my password", "I want a new password",
		  "reset my password", NULL } },
	{ "挂失银行卡", "请立即在手机银行冻结您的卡，然后申请补办新卡。", "zh",
	  { "我的卡丢了", "银行卡被偷了", "卡找不到了怎么办", "怎么挂失银行卡", NULL } },
	{ "营业时间", "我们的营业时间是周一至周五 9:00-17:00。", "zh",
	  { "你们几点开门", "营业时间是什么时候", "周末营业吗", NULL } },
};

static int fill(void *arg, struct store *st)
{
	(void)arg;
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		int64_t id;
		if (store_answer_add(st, answers[i].title, answers[i].body, answers[i].lang, "",
				     &id))
			return -1;
		for (int k = 0; answers[i].examples[k]; k++)
			if (store_example_add(st, id, answers[i].examples[k]))
				return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	struct store *st;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DB\n", argv[0]);
		return 2;
	}
	st = store_open(argv[1], err, sizeof err);
	if (!st) {
		fprintf(stderr, "smoke_fixture: %s\n", err);
		return 1;
	}
	rc = store_transaction(st, fill, NULL);
	if (rc)
		fprintf(stderr, "smoke_fixture: %s\n", store_errmsg(st));
	store_close(st);
	return rc ? 1 : 0;
}
