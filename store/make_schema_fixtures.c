/* store/make_schema_fixtures.c — writes store/testdata/schema/schema_vN.db for every
 * earlier schema version N (1 .. latest-1): the current code's migration steps stopped
 * at N (store_open_version), then a few rows in that version's tables written with
 * plain SQL (two answers with examples, one session with a customer message and its
 * reply; from version 3 an attachment, a rating and feedback; from 4 an operator's text).
 * Column lists are named, so later steps' columns keep their defaults.
 * The files are committed; store/test_upgrade.c opens copies of them with the current
 * kefu.  Run by hand after appending a migration step:
 *   build/store/make_schema_fixtures store/testdata/schema
 * Small pages, rollback journal, vacuumed: a few KB each.  Main thread only.
 */
#include <stdio.h>
#include <unistd.h>

#include "store_int.h"

static const char *const rows_v1 =
	"INSERT INTO answers (id, title, body, lang, tags, enabled, created_ms, updated_ms)"
	"  VALUES (1, 'Lost card', 'Freeze it in the app.', 'en', '', 1, 1, 1);"
	"INSERT INTO answers (id, title, body, lang, tags, enabled, created_ms, updated_ms)"
	"  VALUES (2, '挂失', '请在应用中冻结。', 'zh', '', 1, 1, 1);"
	"INSERT INTO examples VALUES (1, 1, 'I lost my card', 1);"
	"INSERT INTO examples VALUES (2, 2, '我的卡丢了', 1);"
	"INSERT INTO sessions (id, token, channel, created_ms, last_ms, closed_ms, state)"
	"  VALUES (1, '0123456789abcdef0123456789abcdef', 'ws', 1000, 2000,"
	"  NULL, 'bot');"
	"INSERT INTO messages (id, session_id, kind, client_id, text, answer_id, confidence,"
	"  latency_us, meta, reply_to, created_ms)"
	"  VALUES (1, 1, 0, 'c-1', 'I lost my card', NULL, NULL, NULL, NULL, NULL, 1000);"
	"INSERT INTO messages (id, session_id, kind, client_id, text, answer_id, confidence,"
	"  latency_us, meta, reply_to, created_ms)"
	"  VALUES (2, 1, 1, NULL, 'Freeze it in the app.', 1, 0.9, 1200, NULL, 1, 1001);";
static const char *const rows_v3 =
	"INSERT INTO attachments VALUES (1, 1, 'image', 'image/png',"
	"  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', x'89504e47', 0,"
	"  NULL, 1000);"
	"INSERT INTO feedback VALUES (1, 1, 2, 1, 1002);"
	"INSERT INTO ratings VALUES (1, 1, 5, 'quick', 1003);";
static const char *const rows_v4 =
	"INSERT INTO texts VALUES ('greeting', 'en', 'Hello from the fixture', 1004);";

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char path[1024], err[600];

	for (int v = 1; v < store_schema_latest(); v++) {
		snprintf(path, sizeof path, "%s/schema_v%d.db", dir, v);
		unlink(path);
		/* small pages and no WAL before the first table exists */
		sqlite3 *db;
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA page_size = 1024; VACUUM;", NULL, NULL, NULL)) {
			fprintf(stderr, "%s: cannot create\n", path);
			return 1;
		}
		sqlite3_close(db);
		struct store *st = store_open_version(path, v, err, sizeof err);
		if (!st) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		if (store_exec(st, rows_v1) || (v >= 3 && store_exec(st, rows_v3)) ||
		    (v >= 4 && store_exec(st, rows_v4)) ||
		    store_exec(st, "PRAGMA journal_mode = DELETE; VACUUM;")) {
			store_fail(st, path);
			fprintf(stderr, "%s\n", store_errmsg(st));
			return 1;
		}
		store_close(st);
		printf("%s: schema %d\n", path, v);
	}
	return 0;
}
