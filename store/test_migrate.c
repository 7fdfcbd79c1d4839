/* store/test_migrate.c — schema migrations: a fresh file reaches the latest version with
 * the connection set up as documented; reopening changes nothing; an older database is
 * upgraded step by step; a failing step leaves the previous version intact; a newer
 * database is refused; two threads opening one fresh file both succeed. */
#include <pthread.h>

#include "store.h"
#include "store_int.h"
#include "test_util.h"

static int64_t query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static const char *query_text(struct store *st, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}

static void *open_close(void *arg)
{
	char err[256];
	struct store *st = store_open(arg, err, sizeof err);

	if (!st) {
		fprintf(stderr, "concurrent open: %s\n", err);
		return (void *)1;
	}
	store_close(st);
	return NULL;
}

int main(void)
{
	char err[256], buf[64];
	const char *path = tu_path("m.db");
	struct store *st = store_open(path, err, sizeof err);
	int64_t id;

	CHECK(st != NULL);
	if (!st)
		return tu_finish("test_migrate");
	CHECK(store_schema_latest() >= 2);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(!strcmp(query_text(st, "PRAGMA journal_mode", buf, sizeof buf), "wal"));
	CHECK(query_int(st, "PRAGMA foreign_keys") == 1);
	CHECK(query_int(st, "PRAGMA synchronous") == 1);   /* NORMAL */
	const char *tables[] = { "answers", "examples", "sessions", "messages", "models", "operators" };
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
			 tables[i]);
		CHECK(query_int(st, sql) == 1);
	}
	CHECK(store_is_empty(st) == 1);
	CHECK_RC(st, store_answer_add(st, "Opening hours", "9 to 5.", "en", "", &id), 0);
	store_close(st);

	/* re-open: idempotent, data kept */
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(store_is_empty(st) == 0);
	CHECK_RC(st, store_answer_find(st, "Opening hours", &id), 0);

	/* a conversation from before step 6: backfilled into the index and its language */
	{
		int64_t sid, mid;
		char tok[STORE_TOKEN_LEN + 1];
		CHECK_RC(st, store_session_create(st, "ws", &sid, tok), 0);
		CHECK_RC(st, store_message_add(st, sid, STORE_MSG_CUSTOMER, "m1",
					       "my parcel never arrived", 0, 0, 0, NULL, 0, &mid), 0);
		CHECK_RC(st, store_message_add(st, sid, STORE_MSG_BOT, NULL, "很抱歉", 0, 0.9, 1,
					       "{\"lang\":\"zh\"}", mid, NULL), 0);
	}
	/* an older database (version 1: none of the later tables) is upgraded */
	CHECK(sqlite3_exec(st->db, "DROP TABLE operators; DROP TABLE attachments; DROP TABLE feedback;"
			   " DROP TABLE ratings; DROP TABLE handoffs; DROP TABLE pictures;"
			   " DROP TABLE texts; DROP TABLE operator_sessions; DROP TABLE api_tokens;"
			   " DROP TABLE login_attempts; DROP TABLE audit_log;"
			   " DROP TABLE notes; DROP TABLE messages_fts; DROP INDEX sessions_last;"
			   " DROP TABLE review_items; DROP TABLE review_clusters;"
			   " DROP TABLE review_cursors;"
			   " DROP TABLE log_index; DROP TRIGGER messages_fts_delete;"
			   " DROP TABLE answer_variants;"
			   " DROP TABLE answer_buttons; DROP TABLE synonyms;"
			   " DROP TRIGGER messages_fts_update;"
			   " DROP TABLE report_hours; DROP TABLE report_latency;"
			   " DROP TABLE report_answers; DROP TABLE webhook_deliveries;"
			   " DROP TABLE webhooks;"
			   " DROP TRIGGER webhook_resolved;"
			   " DROP INDEX sessions_report; ALTER TABLE sessions DROP COLUMN report_flags;"
			   " ALTER TABLE sessions DROP COLUMN lang;"
			   " ALTER TABLE sessions DROP COLUMN operator_id;"
			   " ALTER TABLE sessions DROP COLUMN resolved_ms;"
			   " ALTER TABLE answers DROP COLUMN expects;"
			   " DROP TABLE answer_versions; ALTER TABLE answers DROP COLUMN followups;"
			   " DROP INDEX models_live; ALTER TABLE models DROP COLUMN live;"
			   " ALTER TABLE models DROP COLUMN live_ms;"
			   " ALTER TABLE models DROP COLUMN report; ALTER TABLE models DROP COLUMN run;"
			   " PRAGMA user_version = 1", NULL, NULL, NULL) == 0);
	store_close(st);
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'operators'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'pictures'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'texts'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'audit_log'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM pragma_table_info('operators')"
			    " WHERE name = 'last_login_ms'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM pragma_table_info('sessions')"
			    " WHERE name IN ('lang', 'operator_id', 'resolved_ms')") == 3);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'messages_fts'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'parcel'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'review_items'") == 1);
	CHECK(query_int(st, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '很抱歉'") == 0);
	CHECK(query_int(st, "SELECT COUNT(*) FROM sessions WHERE lang = 'zh'") == 1);
	/* the report rollups are backfilled from the log */
	CHECK(query_int(st, "SELECT customer * 10 + bot FROM report_hours WHERE lang = 'zh'") == 11);

	/* a failing step rolls back and leaves the version where it was */
	CHECK(sqlite3_exec(st->db, "PRAGMA user_version = 1", NULL, NULL, NULL) == 0);
	store_close(st);
	CHECK(store_open(path, err, sizeof err) == NULL);   /* operators exists: step 2 fails */
	CHECK(strstr(err, "migration 2") != NULL);
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		CHECK(sqlite3_open(path, &db) == SQLITE_OK);
		CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK);
		CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1);
		sqlite3_finalize(s);
		/* a database from a newer build is refused */
		CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == 0);
		sqlite3_close(db);
	}
	CHECK(store_open(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "newer") != NULL);

	/* an unusable path fails cleanly */
	CHECK(store_open("/nonexistent-dir/x/y.db", err, sizeof err) == NULL);
	CHECK(err[0] != '\0');

	/* two threads racing to create the same fresh database */
	{
		const char *p2 = tu_path("race.db");
		pthread_t th[4];
		void *rv;
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, open_close, (void *)p2);
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], &rv);
			CHECK(rv == NULL);
		}
		st = store_open(p2, err, sizeof err);
		CHECK(st && store_schema_version(st) == store_schema_latest());
		store_close(st);
	}
	return tu_finish("test_migrate");
}
