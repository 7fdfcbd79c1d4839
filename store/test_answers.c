/* store/test_answers.c — answers and example questions: add/find/get/update/delete,
 * duplicate titles and examples, argument checks, enabled filtering, cascade delete,
 * and store_transaction (rollback, nesting). */
#include "store.h"
#include "test_util.h"

struct walk {
	int n;
	int64_t last_id;
	char seen[512];
};

static int walk_answer(void *arg, const struct store_answer *a)
{
	struct walk *w = arg;

	CHECK(a->id > w->last_id);   /* id order */
	w->last_id = a->id;
	w->n++;
	strncat(w->seen, a->title, sizeof w->seen - strlen(w->seen) - 2);
	strcat(w->seen, ";");
	return 0;
}

static int stop_at_two(void *arg, const struct store_answer *a)
{
	return ++*(int *)arg == 2 ? 42 : 0;
}

static int walk_example(void *arg, int64_t answer_id, const char *text)
{
	struct walk *w = arg;

	CHECK(answer_id >= w->last_id);   /* (answer id, example id) order */
	w->last_id = answer_id;
	w->n++;
	strncat(w->seen, text, sizeof w->seen - strlen(w->seen) - 2);
	strcat(w->seen, ";");
	return 0;
}

static int add_two_then_fail(void *arg, struct store *st)
{
	int64_t id;

	store_answer_add(st, "Tx one", "body", "en", "", &id);
	store_example_add(st, id, "tx question");
	return *(int *)arg;
}

static int inner_fails(void *arg, struct store *st)
{
	return STORE_INVALID;
}

static int outer_with_inner(void *arg, struct store *st)
{
	int64_t id;

	CHECK_RC(st, store_answer_add(st, "Outer", "body", "en", "", &id), 0);
	CHECK_RC(st, store_transaction(st, inner_fails, NULL), STORE_INVALID);  /* savepoint rolled back */
	return 0;
}

int main(void)
{
	char err[256];
	struct store *st = store_open(tu_path("a.db"), err, sizeof err);
	int64_t a1, a2, a3, id, n;
	struct store_answer a;

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK_RC(st, store_answer_add(st, "Lost or stolen card", "Freeze it **now**.", "en", "card", &a1), 0);
	CHECK_RC(st, store_answer_add(st, "挂失银行卡", "请冻结。", "zh", NULL, &a2), 0);
	CHECK_RC(st, store_answer_add(st, "Opening hours", "9-5", "en", "", &a3), 0);
	CHECK(a1 > 0 && a2 > a1 && a3 > a2);
	CHECK_RC(st, store_answer_add(st, "Lost or stolen card", "x", "en", "", &id), STORE_DUPLICATE);

	/* argument checks */
	CHECK_RC(st, store_answer_add(st, "", "x", "en", "", &id), STORE_INVALID);
	CHECK(strstr(store_errmsg(st), "title") != NULL);
	CHECK_RC(st, store_answer_add(st, NULL, "x", "en", "", &id), STORE_INVALID);
	CHECK_RC(st, store_answer_add(st, "Bad \xC0\xAF", "x", "en", "", &id), STORE_INVALID);
	CHECK(strstr(store_errmsg(st), "UTF-8") != NULL);
	CHECK_RC(st, store_answer_add(st, "No body", "", "en", "", &id), STORE_INVALID);

	/* find / get */
	CHECK_RC(st, store_answer_find(st, "挂失银行卡", &id), 0);
	CHECK(id == a2);
	CHECK_RC(st, store_answer_find(st, "nope", &id), STORE_NOT_FOUND);
	CHECK_RC(st, store_answer_get(st, a1, &a), 0);
	CHECK(!strcmp(a.title, "Lost or stolen card") && !strcmp(a.body, "Freeze it **now**.") &&
	      !strcmp(a.lang, "en") && !strcmp(a.tags, "card") && a.enabled == 1 &&
	      a.created_ms > 0 && a.updated_ms == a.created_ms);
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_get(st, a2, &a), 0);
	CHECK(!strcmp(a.tags, ""));
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_get(st, 9999, &a), STORE_NOT_FOUND);

	/* examples */
	CHECK_RC(st, store_example_add(st, a1, "I lost my card"), 0);
	CHECK_RC(st, store_example_add(st, a1, "my card was stolen"), 0);
	CHECK_RC(st, store_example_add(st, a1, "I lost my card"), STORE_DUPLICATE);
	CHECK_RC(st, store_example_add(st, a2, "I lost my card"), 0);   /* same text, other answer */
	CHECK_RC(st, store_example_add(st, a2, "我的卡丢了"), 0);
	CHECK_RC(st, store_example_add(st, a2, "to delete"), 0);
	CHECK_RC(st, store_example_delete(st, a2, "to delete"), 0);
	CHECK_RC(st, store_example_delete(st, a2, "to delete"), STORE_NOT_FOUND);
	CHECK_RC(st, store_example_delete(st, a1, "我的卡丢了"), STORE_NOT_FOUND);  /* a2's */
	CHECK_RC(st, store_example_add(st, a3, "when are you open"), 0);
	CHECK_RC(st, store_example_add(st, 9999, "orphan"), STORE_NOT_FOUND);
	CHECK_RC(st, store_example_add(st, a1, ""), STORE_INVALID);
	CHECK_RC(st, store_count_examples(st, &n), 0);
	CHECK(n == 5);

	struct walk w = { 0 };
	CHECK_RC(st, store_answers_foreach(st, walk_answer, &w), 0);
	CHECK(w.n == 3 && !strcmp(w.seen, "Lost or stolen card;挂失银行卡;Opening hours;"));
	int cnt = 0;
	CHECK_RC(st, store_answers_foreach(st, stop_at_two, &cnt), 42);
	CHECK(cnt == 2);

	/* update: disable a3, rename a1 */
	CHECK_RC(st, store_answer_get(st, a3, &a), 0);
	a.enabled = 0;
	CHECK_RC(st, store_answer_update(st, &a), 0);
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_get(st, a1, &a), 0);
	free(a.title);
	a.title = strdup("Card lost or stolen");
	CHECK_RC(st, store_answer_update(st, &a), 0);
	free(a.title);
	a.title = strdup("挂失银行卡");
	CHECK_RC(st, store_answer_update(st, &a), STORE_DUPLICATE);
	a.id = 9999;
	CHECK_RC(st, store_answer_update(st, &a), STORE_NOT_FOUND);
	store_answer_clear(&a);
	CHECK_RC(st, store_answer_find(st, "Card lost or stolen", &id), 0);
	CHECK(id == a1);

	memset(&w, 0, sizeof w);
	CHECK_RC(st, store_examples_foreach(st, walk_example, &w), 0);
	CHECK(w.n == 4);   /* a3 is disabled */
	CHECK(!strcmp(w.seen, "I lost my card;my card was stolen;I lost my card;我的卡丢了;"));

	/* delete cascades to examples */
	CHECK_RC(st, store_answer_delete(st, a1), 0);
	CHECK_RC(st, store_answer_delete(st, a1), STORE_NOT_FOUND);
	CHECK_RC(st, store_count_examples(st, &n), 0);
	CHECK(n == 3);

	/* transactions: a failing fn changes nothing; success commits */
	int fail = STORE_INVALID, ok = 0;
	CHECK_RC(st, store_transaction(st, add_two_then_fail, &fail), STORE_INVALID);
	CHECK_RC(st, store_answer_find(st, "Tx one", &id), STORE_NOT_FOUND);
	CHECK_RC(st, store_count_examples(st, &n), 0);
	CHECK(n == 3);
	CHECK_RC(st, store_transaction(st, add_two_then_fail, &ok), 0);
	CHECK_RC(st, store_answer_find(st, "Tx one", &id), 0);
	CHECK_RC(st, store_transaction(st, outer_with_inner, NULL), 0);
	CHECK_RC(st, store_answer_find(st, "Outer", &id), 0);

	store_close(st);
	return tu_finish("test_answers");
}
