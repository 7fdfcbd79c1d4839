/* common/test_common.c — unit tests for utf8.c and queue.c. */
#include "queue.h"
#include "utf8.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void *producer(void *arg)
{
	struct cm_queue *q = arg;
	for (uintptr_t i = 1; i <= 10000; i++)
		cm_queue_push(q, (void *)i);
	return NULL;
}

int main(void)
{
	const char *ok[] = { "hello", "我的卡丢了", "émoji 😀", "" };
	const char *bad[] = { "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "abc\xE4\xB8", "\xFF" };

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		CHECK(cm_utf8_valid(ok[i], strlen(ok[i])));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!cm_utf8_valid(bad[i], strlen(bad[i])));
	CHECK(!cm_utf8_valid("a\0b", 3));
	CHECK(cm_utf8_has_cjk("我的卡丢了") && cm_utf8_has_cjk("card 丢了") && cm_utf8_has_cjk("。"));
	CHECK(cm_utf8_has_cjk("\xEF\xBC\x9F"));              /* U+FF1F full-width ? */
	CHECK(!cm_utf8_has_cjk("I lost my card \xE2\x80\x94 \xC3\xA9"));   /* — é */
	CHECK(!cm_utf8_has_cjk("") && !cm_utf8_has_cjk(NULL) && !cm_utf8_has_cjk("\xE4\xB8"));
	/* code points counted; blank = only White_Space (tab, NBSP, ideographic space, BOM) */
	CHECK(cm_utf8_count("a\xC3\xA9\xE6\x88\x91\xF0\x9F\x98\x80", 10) == 4);
	CHECK(cm_utf8_count("", 0) == 0);
	CHECK(cm_utf8_blank("", 0) && cm_utf8_blank(" \t\n\xC2\xA0\xE3\x80\x80\xEF\xBB\xBF", 11));
	CHECK(!cm_utf8_blank(" x ", 3) && !cm_utf8_blank("\xE6\x88\x91", 3));
	CHECK(!cm_utf8_blank("\xE2\x80\x8B", 3));   /* U+200B is not White_Space */
	CHECK(cm_utf8_prefix("我的", 6, 4) == 3);
	CHECK(cm_utf8_prefix("abc", 3, 10) == 3);
	CHECK(cm_utf8_complete("我的", 6) == 6 && cm_utf8_complete("我的", 5) == 3);
	CHECK(cm_utf8_complete("我的", 4) == 3 && cm_utf8_complete("a\xc3", 2) == 1);
	CHECK(cm_utf8_complete("abc", 3) == 3 && cm_utf8_complete("", 0) == 0);
	CHECK(cm_utf8_complete("\xf0\x9f\x98\x80", 4) == 4 && cm_utf8_complete("\xf0\x9f\x98", 3) == 0);
	{
		char b[5];
		CHECK(cm_utf8_copy(b, sizeof b, "a我的") == 4 && !strcmp(b, "a我"));
		CHECK(cm_utf8_copy(b, 3, "a我的") == 1 && !strcmp(b, "a"));
		CHECK(cm_utf8_copy(b, sizeof b, "abc") == 3 && !strcmp(b, "abc"));
	}

	struct cm_queue *q = cm_queue_create(4);
	CHECK(cm_queue_try_push(q, (void *)1) == 0);
	for (int i = 0; i < 3; i++)
		cm_queue_try_push(q, (void *)2);
	CHECK(cm_queue_try_push(q, (void *)3) == 1);
	CHECK(cm_queue_depth(q) == 4);
	void *out[8];
	CHECK(cm_queue_pop_many(q, out, 8, 0) == 4);
	CHECK(cm_queue_pop_many(q, out, 8, 10) == 0);

	pthread_t t;
	pthread_create(&t, NULL, producer, q);
	uintptr_t sum = 0, got = 0;
	while (got < 10000) {
		uintptr_t v = (uintptr_t)cm_queue_pop(q);
		sum += v;
		got++;
	}
	pthread_join(t, NULL);
	CHECK(sum == 10000u * 10001u / 2);
	cm_queue_close(q);
	CHECK(cm_queue_pop(q) == NULL);
	CHECK(cm_queue_try_push(q, (void *)1) == -1);
	cm_queue_destroy(q);

	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
