/* store/test_review.c — the review queue's tables and log reads (store/review.c): turns
 * read after a cursor, the turn before and the turn of a reply, feedback and hand-off
 * rows, collecting (reasons OR-ed, a closed item stays closed), clusters written and
 * read with their open sizes, closing items, counts, and a purged session taking its
 * items with it.
 */
#include <stdint.h>

#include "store.h"
#include "store_review.h"
#include "test_util.h"

struct seen {
	int n;
	int64_t ids[16];
	int64_t answer[16];
	char meta0[256];
};

static int on_turn(void *arg, const struct store_review_turn *t)
{
	struct seen *s = arg;
	if (s->n == 0)
		snprintf(s->meta0, sizeof s->meta0, "%s", t->meta ? t->meta : "");
	s->answer[s->n] = t->answer_id;
	s->ids[s->n++] = t->message_id;
	return 0;
}

static int on_fb(void *arg, int64_t id, int64_t mid, int value)
{
	struct seen *s = arg;
	s->answer[s->n] = value;
	s->ids[s->n++] = mid;
	(void)id;
	return 0;
}

static int on_ho(void *arg, int64_t id, int64_t sid, int64_t ms)
{
	struct seen *s = arg;
	s->ids[s->n++] = sid;
	(void)id;
	(void)ms;
	return 0;
}

static int on_item(void *arg, const struct store_review_item *it)
{
	struct seen *s = arg;
	s->answer[s->n] = it->reasons;
	s->ids[s->n++] = it->id;
	return 0;
}

static int on_cluster(void *arg, const struct store_review_cluster *c)
{
	struct seen *s = arg;
	s->answer[s->n] = c->size;
	s->ids[s->n++] = c->id;
	return 0;
}

/* Logs a customer question and the bot's reply; returns the question's id. */
static int64_t turn(struct store *st, int64_t sid, const char *cid, const char *q,
		    int64_t answer, const char *meta)
{
	int64_t qid = 0, rid = 0;
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, cid, q, 0, 0, 0, NULL, 0,
				       &qid), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_BOT, NULL, "reply", answer, 0.4, 10,
				       meta, qid, &rid), 0);
	return qid;
}

int main(void)
{
	char err[256];
	struct store *st = store_open(tu_path("review.db"), err, sizeof err);
	int64_t sid, sid2, a1;
	char tok[STORE_TOKEN_LEN + 1];

	CHECK(st);
	if (!st)
		return 1;
	CHECK_RC(st, store_answer_add(st, "Cards", "About cards", "en", "", &a1), 0);
	CHECK_RC(st, store_session_create(st, "widget", &sid, tok), 0);
	CHECK_RC(st, store_session_create(st, "widget", &sid2, tok), 0);
	int64_t q1 = turn(st, sid, "m1", "can I buy bitcoin", 0, "{\"fallback\":true}");
	int64_t q2 = turn(st, sid, "m2", "my card", a1, "{\"fallback\":false}");
	int64_t q3 = turn(st, sid2, "m1", "pension statement", 0, NULL);

	struct seen s = { 0 };
	CHECK_RC(st, store_review_turns_after(st, 0, 0, on_turn, &s), 0);
	CHECK(s.n == 3 && s.ids[0] == q1 && s.ids[1] == q2 && s.ids[2] == q3);
	CHECK(!strcmp(s.meta0, "{\"fallback\":true}") && s.answer[1] == a1);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_turns_after(st, q1, 1, on_turn, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == q2);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_turn_before(st, sid, q2, on_turn, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == q1);
	CHECK_RC(st, store_review_turn_before(st, sid2, q3, on_turn, &s), STORE_NOT_FOUND);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_turn_of_reply(st, q2 + 1, on_turn, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == q2);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_turn_last(st, sid, INT64_MAX, on_turn, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == q2);

	CHECK_RC(st, store_feedback_set(st, sid, "m2", -1), 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_feedback_after(st, 0, on_fb, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == q2 + 1 && s.answer[0] == -1);
	int64_t hid;
	int created;
	CHECK_RC(st, store_handoff_request(st, sid2, "", NULL, &hid, &created), 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_handoffs_after(st, 0, on_ho, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == sid2);

	int64_t cur = -1;
	CHECK_RC(st, store_review_cursor(st, "messages", &cur), 0);
	CHECK(cur == 0);
	CHECK_RC(st, store_review_cursor_set(st, "messages", q3), 0);
	CHECK_RC(st, store_review_cursor_set(st, "messages", q3 + 5), 0);
	CHECK_RC(st, store_review_cursor(st, "messages", &cur), 0);
	CHECK(cur == q3 + 5);

	int is_new = -1;
	CHECK_RC(st, store_review_collect(st, q1, sid, "can I buy bitcoin", 1, 0, 0.1, 1000,
					  &is_new), 0);
	CHECK(is_new == 1);
	CHECK_RC(st, store_review_collect(st, q1, sid, "can I buy bitcoin", 4, 0, 0.1, 1001,
					  &is_new), 0);
	CHECK(is_new == 0);
	CHECK_RC(st, store_review_collect(st, q3, sid2, "pension statement", 32, 0, 0.1, 1002,
					  NULL), 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_open_foreach(st, 0, on_item, &s), 0);
	CHECK(s.n == 2 && s.answer[1] == (1 | 4));            /* newest first; reasons OR-ed */
	int64_t it1 = s.ids[1], it3 = s.ids[0];
	int64_t counts[STORE_REVIEW_REASONS], open;
	CHECK_RC(st, store_review_counts(st, counts, &open), 0);
	CHECK(open == 2 && counts[0] == 1 && counts[2] == 1 && counts[5] == 1);

	int64_t items[2] = { it1, it3 }, of[2] = { 7, 7 };
	struct store_review_cluster cl = { .id = 7, .label = "can I buy bitcoin",
					   .terms = "bitcoin", .answer_id = a1, .answer_p = 0.2,
					   .size = 2, .updated_ms = 5 };
	CHECK_RC(st, store_review_set_clusters(st, items, of, 2, &cl, 1), 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_clusters_foreach(st, on_cluster, &s), 0);
	CHECK(s.n == 1 && s.ids[0] == 7 && s.answer[0] == 2);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_cluster_items(st, 7, on_item, &s), 0);
	CHECK(s.n == 2);
	CHECK_RC(st, store_review_close(st, it1, "dismissed", 2000), 0);
	CHECK_RC(st, store_review_close(st, it1, "added", 2000), STORE_NOT_FOUND);
	CHECK_RC(st, store_review_close(st, it3, "bogus", 2000), STORE_INVALID);
	/* a closed item stays closed when more reasons arrive */
	CHECK_RC(st, store_review_collect(st, q1, sid, "can I buy bitcoin", 2, 0, 0.1, 3000,
					  &is_new), 0);
	CHECK(is_new == 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_cluster(st, 7, on_cluster, &s), 0);
	CHECK(s.n == 1 && s.answer[0] == 1);                  /* one open member left */
	CHECK_RC(st, store_review_cluster(st, 8, on_cluster, &s), STORE_NOT_FOUND);

	/* the retention purge takes the items with their session */
	struct store_purge pr;
	CHECK_RC(st, store_purge_older(st, INT64_MAX, &pr), 0);
	CHECK_RC(st, store_review_counts(st, counts, &open), 0);
	CHECK(open == 0);
	memset(&s, 0, sizeof s);
	CHECK_RC(st, store_review_clusters_foreach(st, on_cluster, &s), 0);
	CHECK(s.n == 0);
	store_close(st);
	return tu_finish("test_review");
}
