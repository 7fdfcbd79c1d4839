/* store/db.c — opening and closing a store connection, its pragmas, errors and
 * transactions.
 *
 * Every connection is set up the same way: WAL journal (readers never block the one
 * writer), synchronous=NORMAL (in WAL mode a commit survives a process kill; only an OS
 * crash or power loss can drop the last commits — measured 32k single-row commits/s
 * here against 5k/s at FULL), foreign keys on, a 5 s busy timeout so the writer thread,
 * workers and the CLI wait for each other's write locks instead of failing, and
 * extended result codes (so UNIQUE violations are told apart), and secure_delete, so
 * a purged or forgotten conversation is zeroed on disk rather than left in free pages.
 *
 * A connection is used by one thread at a time; nothing here is shared between
 * connections.  store_transaction nests: the outermost call is BEGIN IMMEDIATE ...
 * COMMIT, inner calls are SAVEPOINTs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define BUSY_TIMEOUT_MS 5000

static const char *const setup_sql =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"PRAGMA foreign_keys = ON;"
	"PRAGMA temp_store = MEMORY;"
	"PRAGMA secure_delete = ON;";   /* deleted rows are overwritten (privacy.c) */

/* Once per process, before SQLite initialises: no memory statistics.  They take a
 * mutex shared by every connection around each of SQLite's allocations (kefud's threads
 * each have a connection; docs/performance.md "Issue 14, third pass").  A process that
 * used SQLite before (not kefu's) keeps its settings: sqlite3_config then refuses. */
static void sqlite_config_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* The pragmas, retried while SQLite answers BUSY, up to the busy timeout.  Switching a
 * fresh file to WAL needs its exclusive lock: when two connections opening it at once
 * both hold a shared lock and ask for more, SQLite answers one of them BUSY at once,
 * without calling the busy handler (it would wait for the other forever), and that one
 * must retry itself (test_migrate's race of four threads failed this way under load). */
static int setup_connection(struct store *st)
{
	for (int waited = 0;; waited += 10) {
		if (store_exec(st, setup_sql) == SQLITE_OK)
			return 0;
		if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
			return store_fail(st, "setting up the connection");
		sqlite3_sleep(10);
	}
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	return store_open_version(path, store_schema_latest(), err, errlen);
}

struct store *store_open_version(const char *path, int last, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof *st);
	int rc;

	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_once(&once, sqlite_config_once);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     store_vfs());   /* wal_vfs.c: a commit's WAL frames in one write */
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (setup_connection(st)) {
		snprintf(err, errlen, "%s: %s", path, st->err);
		goto fail;
	}
	if (store_migrate_to(st, last)) {
		snprintf(err, errlen, "%s: %s", path, st->err);
		goto fail;
	}
	return st;
fail:
	sqlite3_close(st->db);
	free(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_stmts_finalize(st);
	if (sqlite3_close(st->db) != SQLITE_OK)
		fprintf(stderr, "store_close: %s\n", sqlite3_errmsg(st->db));
	store_log_sessions_free(st);
	free(st);
}

const char *store_errmsg(struct store *st)
{
	return st->err[0] ? st->err : "no error";
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "reading user_version");
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store_transaction(struct store *st, int (*fn)(void *arg, struct store *st), void *arg)
{
	int outer = st->tx_depth == 0, rc;

	if (store_exec(st, outer ? "BEGIN IMMEDIATE" : "SAVEPOINT store_tx"))
		return store_fail(st, "starting a transaction");
	st->tx_depth++;
	rc = fn(arg, st);
	st->tx_depth--;
	if (rc == 0) {
		if (store_exec(st, outer ? "COMMIT" : "RELEASE store_tx") == 0)
			return 0;
		rc = store_fail(st, "committing");
	}
	/* keep fn's (or the commit's) message: the rollback must not overwrite it */
	if (outer)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	else
		sqlite3_exec(st->db, "ROLLBACK TO store_tx; RELEASE store_tx", NULL, NULL, NULL);
	return rc;
}
