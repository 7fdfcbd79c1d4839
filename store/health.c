/* store/health.c — can this database serve a chat now?  The checks kefud runs at start
 * (integrity, writability) and behind /readyz (writability).  Each runs on the caller's
 * connection, on the caller's thread. */
#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <string.h>

int store_quick_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL);
	const char *first = NULL;

	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		first = (const char *)sqlite3_column_text(s, 0);
	if (first && !strcmp(first, "ok")) {
		sqlite3_finalize(s);
		return 0;
	}
	snprintf(err, errlen, "integrity check failed: %.200s",
		 first ? first : sqlite3_errmsg(st->db));
	for (char *p = err; *p; p++)           /* one line in the log */
		if (*p == '\n')
			*p = ' ';
	sqlite3_finalize(s);
	return -1;
}

int store_probe_write(struct store *st, char *err, size_t errlen)
{
	int rc;

	if (sqlite3_db_readonly(st->db, "main") == 1) {
		snprintf(err, errlen, "cannot write: the file was opened read-only (permissions?)");
		return -1;
	}
	/* a lock held by a writer means the file takes writes: do not wait for it */
	sqlite3_busy_timeout(st->db, 50);
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	snprintf(err, errlen, "cannot write: %s", sqlite3_errmsg(st->db));
	return -1;
}
