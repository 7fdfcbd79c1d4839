/* store/backup.c — an online copy of a store and a check of one.
 *
 * store_backup copies a live database with SQLite's online backup API in one step
 * (sqlite3_backup_step(-1)): the copy is taken inside one read transaction, so it is the
 * database as of one commit even while kefud keeps writing (WAL: the writer is never
 * blocked by it).  The copy goes to OUT.tmp-PID, is checked (integrity_check), then
 * renamed over OUT, so OUT is never a half-written file.
 *
 * store_check opens a file read-only WITHOUT migrating it and reports PRAGMA
 * integrity_check, PRAGMA foreign_key_check and the schema version against this build's.
 * Runs on the caller's thread (kefu backup / kefu check) with its own connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

/* First row of integrity_check ("ok" or the first problem) into out; 0 or -1. */
static int integrity(sqlite3 *db, char *out, size_t outlen, int *problems)
{
	sqlite3_stmt *s;
	int rc;

	*problems = 0;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		snprintf(out, outlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		if (!out[0])
			snprintf(out, outlen, "%s", t ? t : "");
		if (!t || strcmp(t, "ok"))
			(*problems)++;
	}
	if (rc != SQLITE_DONE)
		snprintf(out, outlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_backup(const char *src_path, const char *out_path, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	char tmp[4200], msg[512];
	int rc = -1, problems;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out_path, (long)getpid()) >=
	    sizeof tmp) {
		snprintf(err, errlen, "%s: name too long", out_path);
		return -1;
	}
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", src_path, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", src, "main"))) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	int step;
	do {   /* -1: every page inside one read transaction, so one consistent commit */
		step = sqlite3_backup_step(b, -1);
		if (step == SQLITE_BUSY || step == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (step == SQLITE_BUSY || step == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "backup of %s: %s", src_path, sqlite3_errstr(step));
		goto out;
	}
	/* the copy is a rollback-journal file of its own; check it before it replaces OUT */
	if (integrity(dst, msg, sizeof msg, &problems) || problems) {
		snprintf(err, errlen, "the copy fails integrity_check: %s", msg);
		goto out;
	}
	sqlite3_close(dst);
	dst = NULL;
	if (rename(tmp, out_path)) {
		snprintf(err, errlen, "%s: cannot rename into place", out_path);
		goto out;
	}
	rc = 0;
out:
	if (dst) {
		sqlite3_close(dst);
		unlink(tmp);
	}
	sqlite3_close(src);
	return rc;
}

int store_check(const char *path, struct store_check *r, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	int rc = -1;

	memset(r, 0, sizeof *r);
	r->latest = store_schema_latest();
	if (access(path, R_OK)) {
		snprintf(err, errlen, "%s: no such readable file", path);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (integrity(db, r->integrity, sizeof r->integrity, &r->problems)) {
		snprintf(err, errlen, "%s: %s", path, r->integrity);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			r->version = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW)
			r->fk_problems++;
		sqlite3_finalize(s);
	}
	r->ok = r->problems == 0 && r->fk_problems == 0 && r->version <= r->latest;
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}
