/* store/test_log_clients.c — the resend index (store/log_clients.c): a client id is found
 * and refused a second time in its session whether its message is above the watermark
 * (found through messages_session) or below it (message_clients), by store_turn_find,
 * store_message_add, feedback and the attachment look-up; a pass moves exactly the
 * customer messages above the watermark; a deleted session or message leaves the index;
 * deleting the newest messages lowers the watermark so reused ids are found; and the
 * store writer runs passes as a session's turns pile up, at start and at stop.
 */
#include <unistd.h>

#include "store_int.h"
#include "test_util.h"

static int64_t q1(struct store *st, const char *sql)
{
	int64_t v = -1;

	CHECK_RC(st, store_one_int64(st, store_prep(st, sql, "test"), "test", &v), 0);
	return v;
}

static int64_t session(struct store *st)
{
	int64_t sid = 0;

	CHECK_RC(st, store_session_create(st, "ws", &sid, NULL), 0);
	return sid;
}

/* Logs a customer message with client id cid and its reply; returns the reply's id. */
static int64_t logged_turn(struct store *st, int64_t sid, const char *cid)
{
	int64_t c = 0, r = 0;

	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, cid, cid, 0, 0, 0, NULL, 0,
				       &c), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_BOT, NULL, "reply", 3, 0.9, 100, NULL,
				       c, &r), 0);
	return r;
}

/* Whether cid of sid is found (the reply's id) and refused a second time. */
static void check_found(struct store *st, int64_t sid, const char *cid, int64_t reply)
{
	struct store_message m;

	CHECK_RC(st, store_turn_find(st, sid, cid, &m), 0);
	CHECK(m.id == reply);
	store_message_clear(&m);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, cid, "again", 0, 0, 0, NULL, 0,
				       NULL), STORE_DUPLICATE);
}

static void test_lookups(void)
{
	char err[256];
	struct store *st = store_open(tu_path("l.db"), err, sizeof err);
	struct store_message m;
	int64_t a, b, ra1, ra2, rb1, added = -1;

	CHECK(st != NULL);
	if (!st)
		return;
	a = session(st);
	b = session(st);
	CHECK(q1(st, "SELECT last_id FROM client_index") == 0);
	ra1 = logged_turn(st, a, "c-1");
	rb1 = logged_turn(st, b, "c-1");          /* the same id in another session is new */
	/* above the watermark */
	check_found(st, a, "c-1", ra1);
	check_found(st, b, "c-1", rb1);
	CHECK_RC(st, store_turn_find(st, a, "c-2", &m), STORE_NOT_FOUND);
	CHECK(q1(st, "SELECT count(*) FROM message_clients") == 0);
	/* a pass moves the customer messages, and only those */
	CHECK_RC(st, store_log_clients_pass(st, &added), 0);
	CHECK(added == 2);
	CHECK(q1(st, "SELECT count(*) FROM message_clients") == 2);
	CHECK(q1(st, "SELECT last_id FROM client_index") == q1(st, "SELECT max(id) FROM messages"));
	check_found(st, a, "c-1", ra1);
	check_found(st, b, "c-1", rb1);
	/* one below, one above */
	ra2 = logged_turn(st, a, "c-2");
	check_found(st, a, "c-1", ra1);
	check_found(st, a, "c-2", ra2);
	CHECK_RC(st, store_turn_find(st, b, "c-2", &m), STORE_NOT_FOUND);
	/* feedback names the message by its client id, below and above */
	CHECK_RC(st, store_feedback_set(st, a, "c-1", 1), 0);
	CHECK_RC(st, store_feedback_set(st, a, "c-2", -1), 0);
	CHECK(q1(st, "SELECT count(*) FROM feedback") == 2);
	CHECK_RC(st, store_feedback_set(st, a, "c-9", 1), STORE_NOT_FOUND);
	/* a pass with nothing new changes nothing; another takes the rest */
	CHECK_RC(st, store_log_clients_pass(st, &added), 0);
	CHECK(added == 1);
	CHECK_RC(st, store_log_clients_pass(st, &added), 0);
	CHECK(added == 0);
	check_found(st, a, "c-2", ra2);

	/* deleting the newest messages (indexed ones) lowers the watermark: the ids SQLite
	 * hands out again are looked up above it */
	int64_t top = q1(st, "SELECT max(id) FROM messages");
	CHECK_RC(st, store_exec(st, "DELETE FROM messages WHERE id >= (SELECT max(id) - 1"
			       " FROM messages)"), 0);
	CHECK(q1(st, "SELECT last_id FROM client_index") == top - 2);
	CHECK(q1(st, "SELECT count(*) FROM message_clients WHERE client_id = 'c-2'") == 0);
	CHECK_RC(st, store_turn_find(st, a, "c-2", &m), STORE_NOT_FOUND);
	int64_t rb2 = logged_turn(st, b, "c-2");
	CHECK(rb2 == top);                        /* the id came back */
	check_found(st, b, "c-2", rb2);
	CHECK_RC(st, store_log_clients_pass(st, &added), 0);
	CHECK(added == 1);
	check_found(st, b, "c-2", rb2);

	/* a deleted session takes its entries along (the foreign key's cascade) */
	struct store_purge pr;
	CHECK_RC(st, store_forget_sessions(st, &a, 1, &pr), 0);
	{
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM message_clients WHERE session_id = %lld",
			 (long long)a);
		CHECK(q1(st, sql) == 0);
	}
	CHECK(q1(st, "SELECT count(*) FROM message_clients") == 2);
	check_found(st, b, "c-1", rb1);
	store_close(st);
}

static void on_done(void *arg, int rc)
{
	int *rcs = arg;

	*rcs = rc;
}

static struct store_turn *turn(int64_t sid, const char *cid, int *rc)
{
	struct store_turn *t = calloc(1, sizeof *t);

	t->session_id = sid;
	t->client_id = strdup(cid);
	t->customer_text = strdup(cid);
	t->reply_text = strdup("reply");
	t->reply_kind = STORE_MSG_BOT;
	t->done = on_done;
	t->arg = rc;
	*rc = 1;
	return t;
}

static void test_writer(void)
{
	char err[256], cid[32];
	const char *path = tu_path("w.db");
	struct store *st = store_open(path, err, sizeof err);
	int64_t sid[3];
	int rcs[3][60];

	CHECK(st != NULL);
	if (!st)
		return;
	for (int k = 0; k < 3; k++)
		sid[k] = session(st);
	struct store_writer *w = store_writer_start(path, err, sizeof err);
	CHECK(w != NULL);
	if (!w)
		return;
	/* one session's turns pile up: passes run as it goes (40 is past CLIENT_TAIL) */
	for (int i = 0; i < 40; i++) {
		snprintf(cid, sizeof cid, "t-%d", i);
		CHECK(store_writer_submit(w, turn(sid[0], cid, &rcs[0][i])) == 0);
	}
	for (int i = 0; i < 200 && q1(st, "SELECT count(*) FROM messages") < 80; i++)
		usleep(10000);
	for (int i = 0; i < 200 && q1(st, "SELECT count(*) FROM message_clients") < 16; i++)
		usleep(10000);
	CHECK(q1(st, "SELECT count(*) FROM message_clients") >= 16);
	/* resends, in the same batch as their first and later: each logged once */
	for (int i = 0; i < 60; i++) {
		int k = 1 + i % 45 % 2;
		snprintf(cid, sizeof cid, "t-%d", i % 45);
		CHECK(store_writer_submit(w, turn(sid[k], cid, &rcs[k][i])) == 0);
	}
	store_writer_stop(w);   /* its last pass takes the rest */
	for (int i = 0; i < 40; i++)
		CHECK(rcs[0][i] == 0);
	for (int i = 0; i < 60; i++)
		CHECK(rcs[1 + i % 45 % 2][i] == (i < 45 ? 0 : STORE_DUPLICATE));
	CHECK(q1(st, "SELECT last_id FROM client_index") == q1(st, "SELECT max(id) FROM messages"));
	CHECK(q1(st, "SELECT count(*) FROM message_clients") == 40 + 45);
	CHECK(q1(st, "SELECT count(*) FROM messages WHERE kind = 0") == 40 + 45);
	store_close(st);
}

int main(void)
{
	test_lookups();
	test_writer();
	return tu_finish("test_log_clients");
}
