/* store/test_upgrade.c — schema upgrades: a copy of every committed fixture of an
 * earlier schema version (store/testdata/schema/schema_vN.db, made by
 * make_schema_fixtures.c) opens with this kefu, is migrated to the latest version in
 * place, keeps its rows, passes integrity and foreign-key checks, and takes new writes
 * in the newest tables; a fixture of every version 1 .. latest-1 must exist.  A
 * database from a newer kefu (user_version above the last step) is refused with a
 * message naming both versions, and left untouched. */
#include "store.h"

#include <sqlite3.h>

#include "test_util.h"

static int64_t count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t n = -1;
	sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static void copy(const char *rel, const char *to)
{
	size_t len;
	char *b = tu_read(rel, &len);
	FILE *f = fopen(to, "wb");
	fwrite(b, 1, len, f);
	fclose(f);
	free(b);
}

int main(void)
{
	char rel[128], err[600], name[64];
	int latest = store_schema_latest();

	for (int v = 1; v < latest; v++) {
		snprintf(rel, sizeof rel, "store/testdata/schema/schema_v%d.db", v);
		snprintf(name, sizeof name, "v%d.db", v);
		const char *db = tu_path(name);
		copy(rel, db);
		struct store_check c;
		CHECK(store_check(db, &c, err, sizeof err) == 0 && c.version == v && c.ok);

		struct store *st = store_open(db, err, sizeof err);
		CHECK(st != NULL);
		if (!st) {
			fprintf(stderr, "schema %d: %s\n", v, err);
			continue;
		}
		CHECK(store_schema_version(st) == latest);
		/* the rows of the old version are all there */
		struct store_stats s;
		CHECK_RC(st, store_stats(st, &s), 0);
		CHECK(s.answers == 2 && s.examples == 2 && s.sessions == 1 &&
		      s.customer_messages == 1 && s.bot_replies == 1);
		int64_t sid;
		CHECK_RC(st, store_session_find(st, "0123456789abcdef0123456789abcdef", &sid), 0);
		/* new writes into the newest tables work */
		struct store_purge r;
		CHECK_RC(st, store_purge_older(st, 0, &r), 0);
		CHECK(r.sessions == 0);
		store_close(st);
		CHECK(store_check(db, &c, err, sizeof err) == 0 && c.ok && c.version == latest &&
		      c.fk_problems == 0);
		CHECK(count(db, "SELECT count(*) FROM attachments") == (v >= 3 ? 1 : 0));
		CHECK(count(db, "SELECT count(*) FROM texts") == (v >= 4 ? 1 : 0));
		CHECK(count(db, "SELECT count(*) FROM audit_log") == 0);   /* step 5's table */
		printf("schema %d -> %d: ok\n", v, latest);
	}

	/* a database from a newer kefu is refused and left as it was */
	const char *newer = tu_path("newer.db");
	copy("store/testdata/schema/schema_v1.db", newer);
	sqlite3 *h;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", latest + 1);
	sqlite3_open(newer, &h);
	CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	struct store *st = store_open(newer, err, sizeof err);
	CHECK(st == NULL);
	char want[64];
	snprintf(want, sizeof want, "version %d is newer than this build knows (%d)", latest + 1,
		 latest);
	CHECK(strstr(err, want) && strstr(err, "newer kefu"));
	if (st)
		store_close(st);
	CHECK(count(newer, "PRAGMA user_version") == latest + 1);
	CHECK(count(newer, "SELECT count(*) FROM sqlite_master WHERE name = 'texts'") == 0);
	return tu_finish("test_upgrade");
}
