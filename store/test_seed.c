/* store/test_seed.c — demo seeding: from small fixtures (counts, quoted CSV texts,
 * Chinese answers, duplicates skipped, an unknown category rejecting the whole seed),
 * then the demo embedded in the library (77 English answers,
 * at least 15 Chinese ones with 8+ questions each, every BANKING77 training question,
 * timed). */
#include "clock.h"
#include "store.h"
#include "test_util.h"

struct zh_count {
	int zh_answers, en_answers;
};

static int count_lang(void *arg, const struct store_answer *a)
{
	struct zh_count *c = arg;

	if (!strcmp(a->lang, "zh"))
		c->zh_answers++;
	else if (!strcmp(a->lang, "en"))
		c->en_answers++;
	return 0;
}

static int count_example(void *arg, const char *text)
{
	++*(int *)arg;
	return 0;
}

struct min_examples {
	struct store *st;
	int min_zh, min_en;
};

static int min_examples(void *arg, const struct store_answer *a)
{
	struct min_examples *m = arg;
	int n = 0;

	store_answer_examples_foreach(m->st, a->id, count_example, &n);
	if (!strcmp(a->lang, "zh") && n < m->min_zh)
		m->min_zh = n;
	if (!strcmp(a->lang, "en") && n < m->min_en)
		m->min_en = n;
	return 0;
}

int main(void)
{
	char err[256];
	struct store *st = store_open(tu_path("seed.db"), err, sizeof err);
	struct store_import_result r;
	size_t lc, le, lz;
	char *csv = tu_read("store/testdata/seed_b77.csv", &lc);
	char *en = tu_read("store/testdata/seed_en.json", &le);
	char *zh = tu_read("store/testdata/seed_zh.json", &lz);
	int64_t id, n;

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* a CSV category without an answer: nothing is seeded */
	const char *orphan = "text,category\nhello,card_arrival\nwho am I,no_such_category\n";
	CHECK(store_seed(st, orphan, strlen(orphan), en, le, zh, lz, &r, err, sizeof err) != 0);
	CHECK(strstr(err, "line 3") && strstr(err, "no_such_category"));
	CHECK(store_is_empty(st) == 1);
	CHECK(store_seed(st, csv, lc, "[{", 2, zh, lz, &r, err, sizeof err) != 0);
	CHECK(store_is_empty(st) == 1);

	CHECK_RC(st, store_seed(st, csv, lc, en, le, zh, lz, &r, err, sizeof err), 0);
	CHECK(r.answers_added == 4 && r.examples_added == 5 + 5 && r.duplicates == 1);
	CHECK_RC(st, store_answer_find(st, "Lost or stolen card", &id), 0);
	CHECK_RC(st, store_example_add(st, id, "Someone stole my card,\nwhat now?"), STORE_DUPLICATE);
	CHECK_RC(st, store_answer_find(st, "Card delivery", &id), 0);
	CHECK_RC(st, store_example_add(st, id, "Is my card \"still\" coming?"), STORE_DUPLICATE);
	struct zh_count c = { 0 };
	CHECK_RC(st, store_answers_foreach(st, count_lang, &c), 0);
	CHECK(c.zh_answers == 2 && c.en_answers == 2);
	/* seeding twice fails (titles exist) and changes nothing */
	CHECK(store_seed(st, csv, lc, en, le, zh, lz, &r, err, sizeof err) == STORE_DUPLICATE);
	CHECK_RC(st, store_count_examples(st, &n), 0);
	CHECK(n == 10);
	store_close(st);
	free(csv);
	free(en);
	free(zh);

	/* the demo embedded in the library */
	st = store_open(tu_path("demo.db"), err, sizeof err);
	uint64_t t0 = cm_now_us();
	int rc = store_seed_demo(st, err, sizeof err);
	double ms = (double)(cm_now_us() - t0) / 1000.0;
	{
		struct store_stats s;
		CHECK_RC(st, rc, 0);
		CHECK_RC(st, store_stats(st, &s), 0);
		memset(&c, 0, sizeof c);
		CHECK_RC(st, store_answers_foreach(st, count_lang, &c), 0);
		struct min_examples m = { st, 1 << 30, 1 << 30 };
		CHECK_RC(st, store_answers_foreach(st, min_examples, &m), 0);
		printf("demo seed: %lld answers (%d en, %d zh), %lld example questions, "
		       "min examples en %d zh %d, %.1f ms\n", (long long)s.answers, c.en_answers,
		       c.zh_answers, (long long)s.examples, m.min_en, m.min_zh, ms);
		CHECK(c.en_answers == 77 + 30);   /* BANKING77 + the clothing catalogue */
		CHECK(c.zh_answers >= 15);
		CHECK(m.min_zh >= 8);
		CHECK(s.examples >= 10000);
		CHECK(store_is_empty(st) == 0);
	}
	store_close(st);
	return tu_finish("test_seed");
}
