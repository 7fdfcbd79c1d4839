/* store/test_log_session.c — a logged message's session state (store/log_session.c),
 * since the schema step that dropped the triggers messages_lang, messages_reopen and
 * report_conversation: a customer message re-opens a resolved session and marks it as a
 * conversation, a bot reply gives it its meta's language (only a non-empty string of
 * valid JSON, as the trigger read it), on a plain connection (the console's, ops') and
 * through the log writer, which remembers each session's state: a change made by
 * another connection (resolve, a language set, a session deleted and its id handed out
 * again) is seen by the next turn, and a rolled-back batch leaves nothing remembered.
 * A store from before the step keeps what its triggers set. */
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>

#include "store.h"
#include "jscan.h"
#include "store_int.h"
#include "test_util.h"

static struct store *st;          /* "the console": another connection than the writer's */
static struct store_writer *w;

static int64_t q1(const char *sql, int64_t sid)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, sid);
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return v;
}

static const char *lang(int64_t sid)
{
	static char buf[32];
	sqlite3_stmt *s;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, "SELECT lang FROM sessions WHERE id = ?1", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, sid);
		if (sqlite3_step(s) == SQLITE_ROW)
			snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	return buf;
}

#define FLAGS(sid) q1("SELECT report_flags FROM sessions WHERE id = ?1", sid)
#define RESOLVED(sid) q1("SELECT resolved_ms FROM sessions WHERE id = ?1", sid)   /* -2: NULL */

static void exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL sql: %s\n  %s\n", err, sql);
		failures++;
	}
	sqlite3_free(err);
}

static void resolve(int64_t sid)
{
	char sql[96];

	snprintf(sql, sizeof sql, "UPDATE sessions SET resolved_ms = 5 WHERE id = %lld",
		 (long long)sid);
	exec(sql);
}

struct wait {
	atomic_int left;
	int rc[8];
};

/* Writer thread: the turns of one wait are acknowledged one after another. */
static void on_done(void *arg, int rc)
{
	struct wait *wt = arg;

	for (int k = 0; k < 8; k++)
		if (wt->rc[k] == 99) {
			wt->rc[k] = rc;
			break;
		}
	atomic_fetch_sub(&wt->left, 1);
}

static struct store_turn *turn(int64_t sid, const char *meta, struct wait *wt)
{
	static int n;
	struct store_turn *t = calloc(1, sizeof *t);
	char cid[32];

	snprintf(cid, sizeof cid, "c%d", ++n);
	t->session_id = sid;
	t->client_id = strdup(cid);
	t->customer_text = strdup("where is my card");
	t->reply_text = strdup("on its way");
	t->reply_kind = STORE_MSG_BOT;
	t->answer_id = 3;
	t->confidence = 0.8;
	t->latency_us = 100;
	t->reply_meta = meta ? strdup(meta) : NULL;
	t->done = on_done;
	t->arg = wt;
	return t;
}

static void wait_all(struct wait *wt)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 10000 && atomic_load(&wt->left) > 0; i++)
		nanosleep(&ms, NULL);
	CHECK(atomic_load(&wt->left) == 0);
}

/* One turn through the writer, waited for; returns its rc. */
static int logged(int64_t sid, const char *meta)
{
	struct wait wt = { .rc = { 99, 99, 99, 99, 99, 99, 99, 99 } };

	atomic_store(&wt.left, 1);
	CHECK(store_writer_submit(w, turn(sid, meta, &wt)) == 0);
	wait_all(&wt);
	return wt.rc[0];
}

static int64_t new_session(void)
{
	int64_t sid = 0;
	char tok[STORE_TOKEN_LEN + 1];

	CHECK_RC(st, store_session_create(st, "ws", &sid, tok), 0);
	return sid;
}

/* A reply's meta and the language the session has after it, from "en". */
static const struct { const char *meta, *after; } metas[] = {
	{ "{\"lang\":\"zh\"}", "zh" },
	{ " { \"title\" : \"a \\\"lang\\\": \\\"de\\\"\", \"lang\" : \"fr\" } ", "fr" },
	{ "{\"q\":[{\"lang\":\"it\"}],\"x\":{\"lang\":\"it\"},\"lang\":\"fr\"}", "fr" },
	{ "{\"l\\u0061ng\":\"de\"}", NULL },       /* an escaped key: as SQLite reads it */
	{ "{\"lang\":\"f\\u0072\"}", "fr" },       /* an escaped value */
	{ "{\"lang\":\"\"}", "en" },               /* no language */
	{ "{\"lang\":7}", "7" },                   /* not a string: as the trigger did */
	{ "{\"fallback\":true}", "en" },
	{ "{\"lang\":\"zh\"", "en" },              /* not JSON */
	{ "{\"lang\":\"zh\"} x", "en" },
	{ "{\"lang\":\"zh\",}", "en" },
	{ "[\"lang\",\"zh\"]", "en" },
	{ "{\"lang\":\"zh\",\"lang\":\"ja\"}", NULL },   /* duplicate: whatever SQLite says */
	{ NULL, "en" },
};

/* Every meta above, on a plain connection and through the writer: the same language. */
static void test_metas(void)
{
	for (size_t i = 0; i < sizeof metas / sizeof *metas; i++) {
		int64_t a = new_session(), b = new_session();
		char want[32] = "";

		CHECK_RC(st, store_message_add(st, a, STORE_MSG_BOT, NULL, "x", 0, 0, 0,
					       "{\"lang\":\"en\"}", 0, NULL), 0);
		CHECK(logged(b, "{\"lang\":\"en\"}") == 0);
		CHECK(!strcmp(lang(a), "en") && !strcmp(lang(b), "en"));
		CHECK_RC(st, store_message_add(st, a, STORE_MSG_BOT, NULL, "x", 0, 0, 0,
					       metas[i].meta, 0, NULL), 0);
		CHECK(logged(b, metas[i].meta) == 0);
		snprintf(want, sizeof want, "%s", metas[i].after ? metas[i].after : lang(a));
		if (strcmp(lang(a), want) || strcmp(lang(b), want)) {
			fprintf(stderr, "FAIL meta %s: plain %s, writer %s, want %s\n",
				metas[i].meta ? metas[i].meta : "NULL", lang(a), lang(b), want);
			failures++;
		}
		/* and back: the writer's remembered language follows */
		CHECK(logged(b, "{\"lang\":\"en\"}") == 0);
		CHECK(!strcmp(lang(b), "en"));
	}
}

/* common/jscan.c's scan as the store uses it: what it is sure of, and that whatever it
 * judges SQLite's json_valid accepts (where it declines, SQLite reads the meta). */
static void test_meta_scan(void)
{
	static const struct { const char *meta; int sure; const char *lang, *fallback;
			      int lang_count; } cases[] = {
		{ "{\"title\":\"x\",\"fallback\":false,\"lang\":\"en\",\"quick_replies\":"
		  "[{\"answer_id\":3,\"title\":\"a,b}\"}],\"why\":\"top\"}", 1, "\"en\"", "false", 1 },
		{ " { \"lang\" : \"zh\" , \"fallback\" : true } ", 1, "\"zh\"", "true", 1 },
		{ "{}", 1, NULL, NULL, 0 },
		{ "{\"x\":{\"lang\":\"fr\"},\"y\":[\"lang\"]}", 1, NULL, NULL, 0 },
		{ "{\"lang\":5,\"fallback\":null}", 1, "5", "null", 1 },
		{ "{\"lang\":\"en\",\"lang\":\"fr\"}", 1, "\"fr\"", NULL, 2 },  /* twice: counted */
		{ "{\"la\\u006eg\":\"en\"}", 0, NULL, NULL, 0 },     /* a \u escape */
		{ "{\"l\\\\ang\":\"en\"}", 0, NULL, NULL, 0 },       /* an escaped key */
		{ "[\"lang\",\"en\"]", 0, NULL, NULL, 0 },
		{ "{\"lang\":\"en\"} x", 0, NULL, NULL, 0 },
		{ "{\"lang\":\"en\",}", 0, NULL, NULL, 0 },
		{ "{\"lang\":\"en\"", 0, NULL, NULL, 0 },
		{ "{\"lang\":\"\xff\"}", 0, NULL, NULL, 0 },          /* not UTF-8 */
		{ "{\"a\":2e10}", 0, NULL, NULL, 0 },                /* an exponent */
		{ "{\"a\":1234567890123456}", 0, NULL, NULL, 0 },    /* 16 digits */
		{ "", 0, NULL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct cm_jscan_field f[] = { { .key = "lang" }, { .key = "fallback" } };
		int sure = cm_jscan_object(cases[i].meta, strlen(cases[i].meta), f, 2);
		int ok = sure == cases[i].sure;

		for (int k = 0; ok && sure && k < 2; k++) {
			const char *want = k ? cases[i].fallback : cases[i].lang;
			ok = want ? f[k].val && f[k].len == strlen(want) && !memcmp(f[k].val, want, f[k].len)
				  : !f[k].val;
		}
		if (ok && sure)
			ok = f[0].count == cases[i].lang_count;
		if (!ok) {
			fprintf(stderr, "FAIL meta scan of %s: %d\n", cases[i].meta, sure);
			failures++;
		}
	}
	const char *v;
	size_t n;
	struct cm_jscan_field f = { "lang", "\"en\"", 4, 1 };
	CHECK(cm_jscan_plain(&f, &v, &n) && n == 2 && !memcmp(v, "en", 2));
	f = (struct cm_jscan_field){ "lang", "\"e\\n\"", 5, 1 };
	CHECK(!cm_jscan_plain(&f, &v, &n));
	f = (struct cm_jscan_field){ "lang", "5", 1, 1 };
	CHECK(!cm_jscan_plain(&f, &v, &n));
	f = (struct cm_jscan_field){ "fallback", "true", 4, 1 };
	CHECK(cm_jscan_is(&f, "true") && !cm_jscan_is(&f, "false"));
	f = (struct cm_jscan_field){ "fallback", "trueish", 7, 1 };
	CHECK(!cm_jscan_is(&f, "true"));

	/* the strict reading: what it accepts, SQLite's json_valid accepts; these it must
	 * accept (1) or decline (0) */
	static const struct { const char *text; int sure; } texts[] = {
		{ "{\"a\":[1,-0.5,0,true,false,null,\"\\n\\\"\\/\"],\"b\":{}}", 1 },
		{ " { } ", 1 }, { "{\"lang\":\"en\"}", 1 }, { "{\"a\":\"中文\"}", 1 },
		{ "{\"a\":[1,2e10]}", 0 }, { "{\"a\":\"\\u00e9\"}", 0 }, { " [ ] ", 0 },
		{ "\"x\"", 0 }, { "-12", 0 },
		{ "", 0 }, { "{", 0 }, { "{\"a\":1,}", 0 }, { "{\"a\":[1,]}", 0 }, { "{\"a\":01}", 0 },
		{ "{\"a\":1.}", 0 }, { "{\"a\":.5}", 0 }, { "{\"a\":+1}", 0 }, { "{\"a\":tru}", 0 },
		{ "{\"a\":nul}", 0 }, { "{a:1}", 0 }, { "{\"a\":\"\\x\"}", 0 },
		{ "{\"a\":\"a\tb\"}", 0 }, { "{\"a\":1} 2", 0 }, { "{\"a\" 1}", 0 }, { "not json", 0 },
		{ "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}", 0 },
	};
	sqlite3_stmt *q = NULL;
	CHECK(sqlite3_prepare_v2(st->db, "SELECT json_valid(?1)", -1, &q, NULL) == SQLITE_OK);
	for (size_t i = 0; q && i < sizeof texts / sizeof *texts; i++) {
		int mine = cm_jscan_object(texts[i].text, strlen(texts[i].text), NULL, 0), sqlite;
		sqlite3_bind_text(q, 1, texts[i].text, -1, SQLITE_STATIC);
		CHECK(sqlite3_step(q) == SQLITE_ROW);
		sqlite = sqlite3_column_int(q, 0);
		sqlite3_reset(q);
		if (mine != texts[i].sure || (mine && !sqlite)) {
			fprintf(stderr, "FAIL sure %s: %d, want %d, json_valid %d\n", texts[i].text,
				mine, texts[i].sure, sqlite);
			failures++;
		}
	}
	sqlite3_finalize(q);
}

/* A plain connection (the console's take-over, ops' hand-off notes): every message. */
static void test_plain(void)
{
	int64_t sid = new_session(), mid;

	CHECK(FLAGS(sid) == 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_SYSTEM, NULL, "opened", 0, 0, 0,
				       NULL, 0, NULL), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_OPERATOR, NULL, "hello", 0, 1, 0,
				       "{\"lang\":\"zh\"}", 0, NULL), 0);
	CHECK(FLAGS(sid) == 0 && !strcmp(lang(sid), ""));   /* neither is the customer's or the bot's */
	resolve(sid);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "p1", "hi", 0, 0, 0, NULL, 0,
				       &mid), 0);
	CHECK(FLAGS(sid) == 1 && RESOLVED(sid) == -2);
	resolve(sid);
	/* a resend writes nothing, so it re-opens nothing */
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "p1", "hi", 0, 0, 0, NULL, 0,
				       NULL), STORE_DUPLICATE);
	CHECK(RESOLVED(sid) == 5);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "p2", "again", 0, 0, 0, NULL,
				       0, NULL), 0);
	CHECK(RESOLVED(sid) == -2);
	/* the flag's other bits stay */
	char sql[96];
	snprintf(sql, sizeof sql, "UPDATE sessions SET report_flags = 6 WHERE id = %lld",
		 (long long)sid);
	exec(sql);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "p3", "more", 0, 0, 0, NULL, 0,
				       NULL), 0);
	CHECK(FLAGS(sid) == 7);
}

/* The writer: what it remembers never hides another connection's change. */
static void test_writer(void)
{
	int64_t sid = new_session();

	CHECK(logged(sid, "{\"lang\":\"en\"}") == 0);
	CHECK(FLAGS(sid) == 1 && RESOLVED(sid) == -2 && !strcmp(lang(sid), "en"));
	CHECK(logged(sid, "{\"lang\":\"en\"}") == 0);
	/* resolved by the console between two turns: the next turn re-opens */
	resolve(sid);
	CHECK(logged(sid, "{\"lang\":\"en\"}") == 0);
	CHECK(RESOLVED(sid) == -2);
	resolve(sid);
	CHECK(logged(sid, "{\"lang\":\"en\"}") == 0);
	CHECK(RESOLVED(sid) == -2);
	/* the flag cleared behind its back (a restore, a repair): set again */
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE sessions SET report_flags = 0, lang = 'xx'"
		 " WHERE id = %lld", (long long)sid);
	exec(sql);
	CHECK(logged(sid, "{\"lang\":\"en\"}") == 0);
	CHECK(FLAGS(sid) == 1 && !strcmp(lang(sid), "en"));
	/* languages in turn */
	const char *seq[] = { "zh", "zh", "en", "zh", "en", "en" };
	for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
		char meta[64];
		snprintf(meta, sizeof meta, "{\"fallback\":false,\"lang\":\"%s\"}", seq[i]);
		CHECK(logged(sid, meta) == 0);
		CHECK(!strcmp(lang(sid), seq[i]));
	}

	/* a session deleted by another connection and its id handed out again: the new
	 * session is flagged and gets its language, whatever the old one had */
	int64_t old = new_session();
	CHECK(logged(old, "{\"lang\":\"zh\"}") == 0);
	snprintf(sql, sizeof sql, "DELETE FROM messages WHERE session_id = %lld;"
		 " DELETE FROM sessions WHERE id = %lld", (long long)old, (long long)old);
	exec(sql);
	int64_t again = new_session();
	CHECK(again == old);
	CHECK(FLAGS(again) == 0 && !strcmp(lang(again), ""));
	CHECK(logged(again, "{\"lang\":\"zh\"}") == 0);
	CHECK(FLAGS(again) == 1 && !strcmp(lang(again), "zh"));

	/* a batch rolled back for a bad turn: the good turns are written again alone, and
	 * their sessions' state with them */
	for (int round = 0; round < 20; round++) {
		int64_t s1 = new_session(), s2 = new_session();
		struct wait wt = { .rc = { 99, 99, 99, 99, 99, 99, 99, 99 } };
		CHECK(logged(s1, "{\"lang\":\"en\"}") == 0);
		resolve(s1);
		atomic_store(&wt.left, 3);
		CHECK(store_writer_submit(w, turn(s1, "{\"lang\":\"zh\"}", &wt)) == 0);
		CHECK(store_writer_submit(w, turn(424242, "{\"lang\":\"ja\"}", &wt)) == 0);
		CHECK(store_writer_submit(w, turn(s2, "{\"lang\":\"zh\"}", &wt)) == 0);
		wait_all(&wt);
		int ok = 0, bad = 0;
		for (int k = 0; k < 3; k++)
			wt.rc[k] == 0 ? ok++ : wt.rc[k] < 0 ? bad++ : 0;
		CHECK(ok == 2 && bad == 1);
		CHECK(RESOLVED(s1) == -2 && FLAGS(s1) == 1 && !strcmp(lang(s1), "zh"));
		CHECK(FLAGS(s2) == 1 && !strcmp(lang(s2), "zh"));
		CHECK(q1("SELECT count(*) FROM sessions WHERE id = ?1", 424242) == 0);
	}
}

/* A store from before the step: its triggers' state carries over, the triggers go. */
static void test_upgrade(void)
{
	const char *path = tu_path("old.db");
	char err[256];
	int before = 0;

	/* the last version that still had the triggers (no hard-coded number) */
	for (int v = store_schema_latest(); v > 1 && !before; v--) {
		char p[32];
		snprintf(p, sizeof p, "probe%d.db", v);
		struct store *o = store_open_version(tu_path(p), v, err, sizeof err);
		CHECK(o != NULL);
		if (!o)
			return;
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(o->db, "SELECT count(*) FROM sqlite_schema WHERE type ="
				       " 'trigger' AND name IN ('messages_lang', 'messages_reopen',"
				       " 'report_conversation')", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 3)
			before = v;
		sqlite3_finalize(s);
		store_close(o);
	}
	CHECK(before > 1 && before < store_schema_latest());
	struct store *o = store_open_version(path, before, err, sizeof err);
	CHECK(o != NULL);
	if (!o)
		return;
	CHECK(sqlite3_exec(o->db,
			   "INSERT INTO sessions (id, token, channel, created_ms, last_ms, resolved_ms)"
			   " VALUES (1, 'a', 'ws', 1, 1, NULL), (2, 'b', 'ws', 1, 1, 9);"
			   "INSERT INTO messages (session_id, kind, client_id, text, created_ms)"
			   " VALUES (1, 0, 'm1', 'hi', 2);"
			   "INSERT INTO messages (session_id, kind, text, meta, reply_to, created_ms)"
			   " VALUES (1, 1, 'hello', '{\"lang\":\"zh\"}', 1, 3);",
			   NULL, NULL, NULL) == SQLITE_OK);
	store_close(o);
	struct store *keep = st;
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		st = keep;
		return;
	}
	CHECK(q1("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN"
		 " ('messages_lang', 'messages_reopen', 'report_conversation') AND ?1", 1) == 0);
	CHECK(FLAGS(1) == 1 && !strcmp(lang(1), "zh") && FLAGS(2) == 0 && RESOLVED(2) == 9);
	/* and the same work goes on without them */
	CHECK_RC(st, store_message_add(st, 2, STORE_MSG_CUSTOMER, "m2", "back", 0, 0, 0, NULL, 0,
				       NULL), 0);
	CHECK(FLAGS(2) == 1 && RESOLVED(2) == -2);
	store_close(st);
	st = keep;
}

int main(void)
{
	const char *path = tu_path("ls.db");
	char err[256];

	st = store_open(path, err, sizeof err);
	w = st ? store_writer_start(path, err, sizeof err) : NULL;
	CHECK(st && w);
	if (!st || !w)
		return tu_finish("test_log_session");
	test_plain();
	test_writer();
	test_metas();
	test_meta_scan();
	store_writer_stop(w);
	test_upgrade();
	store_close(st);
	return tu_finish("test_log_session");
}
