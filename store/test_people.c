/* store/test_people.c — feedback, ratings and hand-offs (store/people.c): a vote on the
 * reply to a client id (replaced by a second vote, refused for a message with no reply,
 * another session's message or a bad value), ratings with and without a comment and
 * their bounds, a hand-off that opens once (state "waiting", one system note) and is
 * found again while open, and session state reads. */
#include "store.h"
#include "test_util.h"

static int n_system;

static int count_system(void *arg, const struct store_message *m)
{
	(void)arg;
	n_system += m->kind == STORE_MSG_SYSTEM;
	return 0;
}

int main(void)
{
	char err[256], tok[STORE_TOKEN_LEN + 1], state[32];
	struct store *st = store_open(tu_path("people.db"), err, sizeof err);
	int64_t s1, s2, cust, id, h1, h2;
	int v = 0, created = -1;

	CHECK(st != NULL);
	if (!st)
		return tu_finish("test_people");
	CHECK_RC(st, store_session_create(st, "ws", &s1, tok), 0);
	CHECK_RC(st, store_session_create(st, "ws", &s2, tok), 0);
	CHECK_RC(st, store_message_add(st, s1, STORE_MSG_CUSTOMER, "c-1", "I lost my card", 0, 0,
				       0, NULL, 0, &cust), 0);
	CHECK_RC(st, store_message_add(st, s1, STORE_MSG_BOT, NULL, "Freeze it", 12, 0.9, 100,
				       NULL, cust, NULL), 0);
	CHECK_RC(st, store_message_add(st, s1, STORE_MSG_CUSTOMER, "c-2", "no reply yet", 0, 0,
				       0, NULL, 0, NULL), 0);

	/* feedback */
	CHECK_RC(st, store_feedback_set(st, s1, "c-1", 1), 0);
	CHECK_RC(st, store_feedback_get(st, s1, "c-1", &v), 0);
	CHECK(v == 1);
	CHECK_RC(st, store_feedback_set(st, s1, "c-1", -1), 0);
	CHECK_RC(st, store_feedback_get(st, s1, "c-1", &v), 0);
	CHECK(v == -1);
	CHECK_RC(st, store_feedback_set(st, s1, "c-2", 1), STORE_NOT_FOUND);    /* no reply */
	CHECK_RC(st, store_feedback_set(st, s1, "c-9", 1), STORE_NOT_FOUND);    /* no message */
	CHECK_RC(st, store_feedback_set(st, s2, "c-1", 1), STORE_NOT_FOUND);    /* other session */
	CHECK_RC(st, store_feedback_set(st, s1, "c-1", 0), STORE_INVALID);
	CHECK_RC(st, store_feedback_set(st, s1, "c-1", 2), STORE_INVALID);
	CHECK_RC(st, store_feedback_set(st, s1, "", 1), STORE_INVALID);
	CHECK_RC(st, store_feedback_get(st, s1, "c-2", &v), STORE_NOT_FOUND);

	/* ratings */
	CHECK_RC(st, store_rating_add(st, s1, 5, "great", &id), 0);
	CHECK(id > 0);
	CHECK_RC(st, store_rating_add(st, s1, 1, NULL, NULL), 0);
	CHECK_RC(st, store_rating_add(st, s1, 0, NULL, NULL), STORE_INVALID);
	CHECK_RC(st, store_rating_add(st, s1, 6, NULL, NULL), STORE_INVALID);
	CHECK_RC(st, store_rating_add(st, s1, 3, "\xff\xfe bad utf-8", NULL), STORE_INVALID);
	CHECK(store_rating_add(st, 999999, 3, NULL, NULL) < 0);                 /* no session */

	/* hand-off: opens once, then the same one is found */
	CHECK_RC(st, store_session_state(st, s1, state, sizeof state), 0);
	CHECK(!strcmp(state, "bot"));
	CHECK_RC(st, store_handoff_request(st, s1, "a human please", "nobody is online", &h1,
					   &created), 0);
	CHECK(created == 1 && h1 > 0);
	CHECK_RC(st, store_session_state(st, s1, state, sizeof state), 0);
	CHECK(!strcmp(state, "waiting"));
	CHECK_RC(st, store_handoff_request(st, s1, NULL, "nobody is online", &h2, &created), 0);
	CHECK(created == 0 && h2 == h1);
	CHECK_RC(st, store_history(st, s1, 0, count_system, NULL), 0);
	CHECK(n_system == 1);
	CHECK_RC(st, store_session_state(st, s2, state, sizeof state), 0);
	CHECK(!strcmp(state, "bot"));
	CHECK_RC(st, store_handoff_request(st, s2, NULL, NULL, &h2, &created), 0);
	CHECK(created == 1 && h2 != h1);
	CHECK_RC(st, store_session_state(st, 999999, state, sizeof state), STORE_NOT_FOUND);
	CHECK(store_handoff_request(st, 999999, NULL, NULL, &h2, &created) < 0);

	store_close(st);
	return tu_finish("test_people");
}
