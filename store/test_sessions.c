/* store/test_sessions.c — sessions (token format and uniqueness, find, close), the
 * message log read back in order (with and without a limit), store_turn_find for
 * idempotent resends, duplicate client ids, foreign keys, and store_stats. */
#include "store.h"
#include "test_util.h"

struct hist {
	int n;
	int64_t last_id;
	char texts[512];
	int kinds[16];
};

static int collect(void *arg, const struct store_message *m)
{
	struct hist *h = arg;

	CHECK(m->id > h->last_id);
	h->last_id = m->id;
	if (h->n < 16)
		h->kinds[h->n] = m->kind;
	h->n++;
	strncat(h->texts, m->text, sizeof h->texts - strlen(h->texts) - 2);
	strcat(h->texts, "|");
	return 0;
}

static int is_hex32(const char *t)
{
	if (strlen(t) != STORE_TOKEN_LEN)
		return 0;
	for (; *t; t++)
		if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f')))
			return 0;
	return 1;
}

int main(void)
{
	char err[256], tok[STORE_TOKEN_LEN + 1], tok2[STORE_TOKEN_LEN + 1];
	struct store *st = store_open(tu_path("s.db"), err, sizeof err);
	int64_t sid, sid2, found, cust, rep;
	struct store_message m;
	struct store_stats s;

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK_RC(st, store_session_create(st, "ws", &sid, tok), 0);
	CHECK(is_hex32(tok));
	CHECK_RC(st, store_session_create(st, "voice", &sid2, tok2), 0);
	CHECK(sid2 != sid && strcmp(tok, tok2));
	/* many tokens: all distinct and well formed (128 random bits each) */
	for (int i = 0; i < 200; i++) {
		char t[STORE_TOKEN_LEN + 1];
		int64_t x;
		CHECK_RC(st, store_session_create(st, "ws", &x, t), 0);
		CHECK(is_hex32(t) && strcmp(t, tok));
	}
	CHECK_RC(st, store_session_find(st, tok, &found), 0);
	CHECK(found == sid);
	CHECK_RC(st, store_session_find(st, tok2, &found), 0);
	CHECK(found == sid2);
	CHECK_RC(st, store_session_find(st, "0123456789abcdef0123456789abcdef", &found), STORE_NOT_FOUND);
	CHECK_RC(st, store_session_find(st, "' OR 1=1 --", &found), STORE_NOT_FOUND);
	CHECK_RC(st, store_session_find(st, "ABCDEF", &found), STORE_NOT_FOUND);
	CHECK_RC(st, store_session_find(st, NULL, &found), STORE_NOT_FOUND);

	/* a turn: customer message, then the bot reply linked to it */
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_SYSTEM, NULL, "session opened", 0, 0, 0, NULL, 0, NULL), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "c1", "I lost my card", 0, 0, 0, NULL, 0, &cust), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_BOT, NULL, "Freeze it.", 7, 0.875, 1234,
				      "{\"quick_replies\":[]}", cust, &rep), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "c2", "thanks", 0, 0, 0, NULL, 0, &cust), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_OPERATOR, NULL, "You're welcome", 0, 1, 0, NULL, cust, NULL), 0);
	/* same client id again in this session: skipped; in another session: fine */
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "c1", "I lost my card", 0, 0, 0, NULL, 0, NULL), STORE_DUPLICATE);
	CHECK_RC(st, store_message_add(st, sid2, STORE_MSG_CUSTOMER, "c1", "hello", 0, 0, 0, NULL, 0, NULL), 0);
	/* unknown session: foreign key */
	CHECK(store_message_add(st, 424242, STORE_MSG_CUSTOMER, "x", "y", 0, 0, 0, NULL, 0, NULL) < 0);

	struct hist h = { 0 };
	CHECK_RC(st, store_history(st, sid, 0, collect, &h), 0);
	CHECK(h.n == 5);
	CHECK(!strcmp(h.texts, "session opened|I lost my card|Freeze it.|thanks|You're welcome|"));
	CHECK(h.kinds[0] == STORE_MSG_SYSTEM && h.kinds[1] == STORE_MSG_CUSTOMER &&
	      h.kinds[2] == STORE_MSG_BOT && h.kinds[4] == STORE_MSG_OPERATOR);
	memset(&h, 0, sizeof h);
	CHECK_RC(st, store_history(st, sid, 2, collect, &h), 0);   /* the last two, oldest first */
	CHECK(h.n == 2 && !strcmp(h.texts, "thanks|You're welcome|"));
	memset(&h, 0, sizeof h);
	CHECK_RC(st, store_history(st, 999, 0, collect, &h), 0);
	CHECK(h.n == 0);

	/* resend look-up */
	CHECK_RC(st, store_turn_find(st, sid, "c1", &m), 0);
	CHECK(m.id == rep && m.kind == STORE_MSG_BOT && !strcmp(m.text, "Freeze it.") &&
	      m.answer_id == 7 && m.confidence == 0.875 && m.latency_us == 1234 &&
	      m.meta && !strcmp(m.meta, "{\"quick_replies\":[]}") && m.client_id == NULL &&
	      m.session_id == sid && m.created_ms > 0);
	store_message_clear(&m);
	CHECK_RC(st, store_turn_find(st, sid, "c2", &m), 0);
	CHECK(m.kind == STORE_MSG_OPERATOR && m.answer_id == 0);
	store_message_clear(&m);
	CHECK_RC(st, store_turn_find(st, sid, "c3", &m), STORE_NOT_FOUND);
	CHECK_RC(st, store_turn_find(st, sid2, "c1", &m), STORE_NOT_FOUND);   /* no reply logged */
	CHECK_RC(st, store_turn_find(st, sid2, NULL, &m), STORE_NOT_FOUND);

	/* close */
	CHECK_RC(st, store_session_close(st, sid), 0);
	CHECK_RC(st, store_session_close(st, sid), 0);
	CHECK_RC(st, store_session_close(st, 999999), STORE_NOT_FOUND);
	CHECK_RC(st, store_session_touch(st, sid2), 0);

	/* only a session nothing was logged in is dropped */
	int dropped = -1;
	CHECK_RC(st, store_session_drop_if_empty(st, sid, &dropped), 0);
	CHECK(dropped == 0);
	CHECK_RC(st, store_session_find(st, tok, &found), 0);
	int64_t empty, rated;
	char tok3[STORE_TOKEN_LEN + 1];
	CHECK_RC(st, store_session_create(st, "ws", &empty, tok3), 0);
	CHECK_RC(st, store_session_drop_if_empty(st, empty, &dropped), 0);
	CHECK(dropped == 1);
	CHECK_RC(st, store_session_find(st, tok3, &found), STORE_NOT_FOUND);
	CHECK_RC(st, store_session_create(st, "ws", &rated, tok3), 0);
	CHECK_RC(st, store_rating_add(st, rated, 5, "", NULL), 0);
	CHECK_RC(st, store_session_drop_if_empty(st, rated, &dropped), 0);
	CHECK(dropped == 0);

	CHECK_RC(st, store_stats(st, &s), 0);
	CHECK(s.sessions == 203 && s.customer_messages == 3 && s.bot_replies == 1 &&
	      s.answers == 0 && s.examples == 0);

	store_close(st);
	return tu_finish("test_sessions");
}
