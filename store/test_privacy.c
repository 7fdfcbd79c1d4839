/* store/test_privacy.c — data care on a real SQLite file: the retention purge takes old
 * sessions with their messages, attachments and ratings and keeps recent ones; forget
 * by token and by an e-mail typed in a message; the export holds the customer's words
 * and attachment bytes; deleted text is gone from the file (secure_delete); an online
 * backup taken while another connection keeps writing is consistent, passes store_check
 * and opens (restore); store_check reports a damaged file; the writer's redact_log
 * takes cards, e-mail and phones out of the customer's words and meta JSON. */
#include "store.h"

#include <sqlite3.h>

#include "clock.h"
#include "redact.h"

#include "test_util.h"

static int64_t make_session(struct store *st, const char *text, int with_pic,
			    char token[STORE_TOKEN_LEN + 1])
{
	int64_t sid, mid;
	CHECK_RC(st, store_session_create(st, "ws", &sid, token), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "c-1", text, 0, 0, 0, NULL,
				       0, &mid), 0);
	CHECK_RC(st, store_message_add(st, sid, STORE_MSG_BOT, NULL, "Here is how.", 3, 0.9, 10,
				       NULL, mid, NULL), 0);
	if (with_pic) {
		struct store_attachment a = { .kind = "image", .mime = "image/png",
					      .data = "PICTUREBYTES", .len = 12 };
		memset(a.sha256, 'a', 64);
		CHECK_RC(st, store_attachment_add(st, mid, &a, NULL), 0);
	}
	CHECK_RC(st, store_rating_add(st, sid, 4, "fine", NULL), 0);
	return sid;
}

static int64_t count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t n = -1;
	sqlite3_open(db, &h);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

/* 1 if the bytes of needle occur anywhere in the file (database or its WAL). */
static int file_has(const char *path, const char *needle)
{
	size_t len;
	char *b = cm_read_file(path, &len);
	int found = 0;
	if (!b)
		return 0;
	found = memmem(b, len, needle, strlen(needle)) != NULL;
	free(b);
	return found;
}

int main(void)
{
	char err[512], tok_old[33], tok_new[33], tok_mail[33], tok_other[33];
	const char *db = tu_path("p.db");
	struct store *st = store_open(db, err, sizeof err);
	struct store_purge r;

	CHECK(st != NULL);
	int64_t s_old = make_session(st, "my card OLDSECRET4242 was stolen", 1, tok_old);
	make_session(st, "recent question", 1, tok_new);
	make_session(st, "I am JANE.Doe@example.com, delete me", 1, tok_mail);
	make_session(st, "another customer", 0, tok_other);
	/* make the first session 40 days old (last_ms follows its messages once they are
	 * indexed: log_index.c) */
	CHECK_RC(st, store_log_index_all(st), 0);
	char sql[200];
	snprintf(sql, sizeof sql, "UPDATE sessions SET last_ms = last_ms - 40*86400000 "
		 "WHERE id = %lld", (long long)s_old);
	sqlite3 *h;
	sqlite3_open(db, &h);
	CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);

	/* retention: 30 days */
	CHECK_RC(st, store_purge_older(st, cm_wall_ms() - 30LL * 86400000, &r), 0);
	CHECK(r.sessions == 1 && r.messages == 2 && r.attachments == 1);
	CHECK(count(db, "SELECT count(*) FROM sessions") == 3);
	CHECK(count(db, "SELECT count(*) FROM messages") == 6);
	CHECK(count(db, "SELECT count(*) FROM attachments") == 2);
	CHECK(count(db, "SELECT count(*) FROM ratings") == 3);
	store_close(st);   /* checkpoints the WAL into the file */
	CHECK(!file_has(db, "OLDSECRET4242"));   /* secure_delete: not in free pages */
	st = store_open(db, err, sizeof err);
	CHECK(st != NULL);

	/* a customer by e-mail (case-insensitive), by token; LIKE wildcards are literal */
	int64_t *ids;
	size_t n;
	CHECK_RC(st, store_customer_sessions(st, "jane.doe@example.com", &ids, &n), 0);
	CHECK(n == 1);
	FILE *f = fopen(tu_path("export.json"), "w");
	CHECK_RC(st, store_export_sessions(st, ids, n, f), 0);
	fclose(f);
	CHECK(file_has(tu_path("export.json"), "JANE.Doe@example.com, delete me"));
	CHECK(file_has(tu_path("export.json"), "UElDVFVSRUJZVEVT"));   /* base64 PICTUREBYTES */
	CHECK(file_has(tu_path("export.json"), tok_mail));
	CHECK(!file_has(tu_path("export.json"), tok_other));
	CHECK_RC(st, store_forget_sessions(st, ids, n, &r), 0);
	CHECK(r.sessions == 1 && r.messages == 2 && r.attachments == 1);
	free(ids);
	CHECK_RC(st, store_customer_sessions(st, "%", &ids, &n), 0);
	CHECK(n == 0);
	free(ids);
	CHECK_RC(st, store_customer_sessions(st, "", &ids, &n), STORE_INVALID);
	CHECK_RC(st, store_customer_sessions(st, tok_other, &ids, &n), 0);
	CHECK(n == 1);
	CHECK_RC(st, store_forget_sessions(st, ids, n, &r), 0);
	CHECK(r.sessions == 1 && r.attachments == 0);
	free(ids);
	CHECK(count(db, "SELECT count(*) FROM sessions") == 1);

	/* backup while this connection keeps writing from a writer thread */
	struct store_writer *w = store_writer_start(db, err, sizeof err);
	CHECK(w != NULL);
	int64_t sid;
	char tok[33];
	CHECK_RC(st, store_session_create(st, "ws", &sid, tok), 0);
	for (int i = 0; i < 2000; i++) {
		struct store_turn *t = calloc(1, sizeof *t);
		char cid[32];
		snprintf(cid, sizeof cid, "m-%d", i);
		t->session_id = sid;
		t->client_id = strdup(cid);
		t->customer_text = strdup("a question while the backup runs");
		t->reply_text = strdup("an answer");
		t->reply_kind = STORE_MSG_BOT;
		store_writer_submit(w, t);
		if (i == 1000)
			CHECK(store_backup(db, tu_path("backup.db"), err, sizeof err) == 0);
	}
	/* redact_log: the writer takes personal data out of the customer's words and meta */
	store_writer_set_redact(w, CM_REDACT_ALL);
	struct store_turn *t = calloc(1, sizeof *t);
	t->session_id = sid;
	t->client_id = strdup("redact-1");
	t->customer_text = strdup("card 4111 1111 1111 1111, mail a.b@example.org");
	t->customer_meta = strdup("{\"transcript\":\"call 13812345678\",\"n\":13812345678}");
	t->reply_text = strdup("noted");
	t->reply_kind = STORE_MSG_BOT;
	store_writer_submit(w, t);
	/* a left message: its words redacted, the contact given to be called back kept */
	t = calloc(1, sizeof *t);
	t->session_id = sid;
	t->client_id = strdup("redact-2");
	t->customer_text = strdup("call me on 020 7946 0958");
	t->customer_meta = strdup("{\"left_message\":true,\"phone\":\"020 7946 0958\","
				  "\"email\":\"a.b@example.org\",\"note\":\"a.b@example.org\"}");
	store_writer_submit(w, t);
	store_writer_stop(w);
	CHECK(count(db, "SELECT count(*) FROM messages WHERE client_id = 'redact-2' AND "
		    "text = 'call me on [phone]' AND json_extract(meta, '$.phone') = "
		    "'020 7946 0958' AND json_extract(meta, '$.email') = 'a.b@example.org' AND "
		    "json_extract(meta, '$.note') = '[email]'") == 1);
	CHECK(count(db, "SELECT count(*) FROM messages WHERE client_id = 'redact-1' AND "
		    "text = 'card [card], mail [email]' AND "
		    "meta = '{\"transcript\":\"call [phone]\",\"n\":13812345678}'") == 1);
	struct store_check c;
	CHECK(store_check(tu_path("backup.db"), &c, err, sizeof err) == 0);
	CHECK(c.ok && c.version == store_schema_latest() && !strcmp(c.integrity, "ok"));
	int64_t msgs = count(tu_path("backup.db"), "SELECT count(*) FROM messages");
	int64_t orphans = count(tu_path("backup.db"), "SELECT count(*) FROM messages m WHERE "
				"m.kind = 0 AND m.session_id = (SELECT max(id) FROM sessions) AND "
				"NOT EXISTS (SELECT 1 FROM messages r WHERE r.reply_to = m.id)");
	CHECK(msgs >= 2 && msgs % 2 == 0 && orphans == 0);   /* whole turns only */
	/* restore: the copy opens as a store */
	struct store *rs = store_open(tu_path("backup.db"), err, sizeof err);
	CHECK(rs != NULL);
	store_close(rs);

	/* a damaged file */
	FILE *bad = fopen(tu_path("bad.db"), "w");
	fputs("this is not a database", bad);
	fclose(bad);
	CHECK(store_check(tu_path("bad.db"), &c, err, sizeof err) != 0 || !c.ok);
	CHECK(store_check(tu_path("missing.db"), &c, err, sizeof err) == -1);
	store_close(st);
	return tu_finish("test_privacy");
}
