/* store/store_int.h — internals shared by the store's .c files (not for other modules).
 *
 * struct store wraps one SQLite connection plus its cache of prepared statements.
 * Every SQL statement the store runs on data is listed once, in the table in stmt.c,
 * and named here by an enum; store_stmt() prepares it on first use (persistent) and
 * hands it out reset with no bindings.  A connection — and so its statement cache —
 * is used by one thread at a time (see store.h).
 */
#ifndef KEFU_STORE_INT_H
#define KEFU_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum store_stmt_id {
	/* answers.c */
	SQ_ANY_ANSWER,
	SQ_ANSWER_ADD,
	SQ_ANSWER_FIND,
	SQ_ANSWER_GET,
	SQ_ANSWER_UPDATE,
	SQ_ANSWER_DELETE,
	SQ_ANSWERS_ALL,
	SQ_EXAMPLE_ADD,
	SQ_EXAMPLE_DELETE,
	SQ_EXAMPLES_ENABLED,
	SQ_EXAMPLES_OF,
	SQ_COUNT_EXAMPLES,
	/* sessions.c */
	SQ_SESSION_ADD,
	SQ_SESSION_FIND,
	SQ_SESSION_CLOSE,
	SQ_SESSION_EXISTS,
	SQ_SESSION_TOUCH,
	SQ_SESSION_DROP_EMPTY,
	SQ_MESSAGE_ADD,
	SQ_HISTORY,
	SQ_TURN_FIND,
	/* log_session.c */
	SQ_LOG_CUSTOMER,
	SQ_LOG_REPLY_LANG,
	SQ_LOG_SESSION_LANG,
	SQ_DATA_VERSION,
	/* writer.c: a batch's transaction (prepared once: sqlite3_exec parsed them per batch) */
	SQ_BEGIN_IMMEDIATE,
	SQ_COMMIT,
	/* log_index.c, log_rollup.c: a log index pass's statements (each pass prepared them
	 * again: 0.1-0.3 us a turn on the writer) */
	SQ_LOG_INDEX_LAST,
	SQ_LOG_INDEX_TOP,
	SQ_LOG_INDEX_FTS,
	SQ_LOG_INDEX_HOURS,
	SQ_LOG_INDEX_LATENCY,
	SQ_LOG_INDEX_ANSWERS,
	SQ_LOG_INDEX_LAST_MS,
	SQ_LOG_INDEX_SET,
	SQ_LOG_INDEX_LOWER,
	SQ_LOG_INDEX_MERGE,
	SQ_LOG_ROLLUP_SCAN,
	SQ_LOG_ROLLUP_META,
	SQ_LOG_ROLLUP_FORWARD,
	SQ_LOG_ROLLUP_CUSTOMER,
	SQ_LOG_ROLLUP_HOURS,
	SQ_LOG_ROLLUP_LATENCY,
	SQ_LOG_ROLLUP_ANSWERS,
	SQ_STATS_SESSIONS,
	SQ_STATS_MESSAGES,
	SQ_STATS_ANSWERS,
	/* models.c */
	SQ_MODEL_PUT,
	SQ_MODEL_LATEST,
	/* texts.c */
	SQ_TEXTS_ALL,
	SQ_TEXT_SET,
	SQ_TEXT_RESET,
	/* review.c: the review thread's per-pass statements */
	SQ_REVIEW_TURNS_AFTER,
	SQ_REVIEW_COLLECT,
	SQ_REVIEW_ITEM_EXISTS,
	SQ_REVIEW_CURSOR,
	SQ_REVIEW_CURSOR_SET,
	SQ__COUNT
};

/* The columns of a review turn: q = the customer message, r = kefu's reply to it
 * (store/review.c reads them, store_review.h struct store_review_turn). */
#define STORE_TURN_SELECT "SELECT q.id, q.session_id, q.text, q.created_ms, r.id, " \
	"coalesce(r.answer_id, 0), coalesce(r.confidence, 0), r.meta, r.created_ms "
/* The same for a range of customer messages in id order: CROSS JOIN keeps q the outer
 * loop, walked by rowid from the cursor and stopped at LIMIT.  Left to itself the planner
 * walked every reply after the cursor (messages_reply_to) and sorted them all before the
 * LIMIT: 284 ms instead of 7 for 500 turns 80,000 messages behind, and the review
 * thread's window read every pass sorted the whole log. */
#define STORE_TURN_COLS_BY_Q STORE_TURN_SELECT \
	"FROM messages q CROSS JOIN messages r ON r.reply_to = q.id AND r.kind = 1 "

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQ__COUNT];
	int tx_depth;          /* nesting of store_transaction (savepoints inside) */
	struct store_log_sessions *log_sessions;   /* log_session.c: kept session state, or NULL */
	int rollup_sql;        /* log_index.c: passes count the rollups by the SQL statements */
	char err[512];         /* last error message (store_errmsg) */
};

/* Returns the statement reset and unbound, preparing it on first use; NULL on error
 * (message in st->err). */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id);
/* Finalizes every cached statement (before closing the connection). */
void store_stmts_finalize(struct store *st);
/* Resets and unbinds s (NULL is fine); call on every path once done with a statement. */
void store_stmt_done(sqlite3_stmt *s);

/* Records the connection's current error with a context prefix into st->err and
 * returns the negated SQLite primary result code (always < 0). */
int store_fail(struct store *st, const char *what);
/* Records a message for a rejected input and returns STORE_INVALID. */
int store_invalid(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Binds a text (NULL binds SQL NULL); SQLITE_TRANSIENT copies it. */
int store_bind_text(sqlite3_stmt *s, int col, const char *text);
/* The same without a copy, for a statement stepped and cleared (store_step_write) while
 * text lives: the log writer's per-turn statements, which copied each text once more. */
int store_bind_static(sqlite3_stmt *s, int col, const char *text);
/* Returns a malloc'd copy of a text column ("" for NULL when empty_for_null, else NULL). */
char *store_col_dup(sqlite3_stmt *s, int col, int empty_for_null);

/* Runs SQL without parameters (pragmas, DDL, transaction control).  Returns 0 or the
 * (positive) SQLite result code, without touching st->err: follow a failure with
 * store_fail() to record it. */
int store_exec(struct store *st, const char *sql);

/* The row loop of every read that walks a result: steps s and calls row(arg, s) on each
 * row until row returns non-zero (that value is returned) or the rows end (0).  A SQLite
 * failure returns store_fail(st, what) (< 0).  Resets and unbinds s either way, so a
 * cached statement is ready for its next use (a per-call one is then finalized by its
 * caller).  Runs on the connection's thread. */
int store_rows(struct store *st, sqlite3_stmt *s, const char *what,
	       int (*row)(void *arg, sqlite3_stmt *s), void *arg);

/* Prepares a per-call statement (the caller finalizes it); NULL with store_fail(st,
 * what) on failure.  Runs on the connection's thread. */
sqlite3_stmt *store_prep(struct store *st, const char *sql, const char *what);

/* The step of every single-row read: steps s once; 0 when it stands on a row (the caller
 * reads its columns, then resets or finalizes s), STORE_NOT_FOUND without one, or
 * store_fail(st, what) (< 0).  Runs on the connection's thread. */
int store_step_one(struct store *st, sqlite3_stmt *s, const char *what);

/* The one-value read: steps a per-call statement once and takes column 0 of its row
 * into *out.  0, STORE_NOT_FOUND without a row, or store_fail(st, what) (< 0).
 * Finalizes s either way (NULL s: -SQLITE_ERROR, the preparation already failed). */
int store_one_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out);
/* The same for a cached statement (store_stmt), which it resets and unbinds instead. */
int store_stmt_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out);

/* The same for a text: column 0 copied into *out (malloc'd; fallback when the column is
 * NULL, e.g. "[]" for a JSON list of nothing).  0, STORE_NOT_FOUND without a row, < 0.
 * Finalizes s either way. */
int store_one_text(struct store *st, sqlite3_stmt *s, const char *what, const char *fallback,
		   char **out);

/* Steps a write statement to SQLITE_DONE; 0, STORE_DUPLICATE on a UNIQUE or primary-key
 * violation, STORE_INVALID on a CHECK or trigger refusal (st's message says which), or
 * < 0.  Resets the statement either way. */
int store_step_write(struct store *st, sqlite3_stmt *s, const char *what);

/* The same for a per-call statement, which it finalizes (NULL s: -SQLITE_ERROR, the
 * preparation already failed).  On 0, *changes (when not NULL) is the number of rows
 * changed; sqlite3_last_insert_rowid(st->db) is an INSERT's new row id. */
int store_write_once(struct store *st, sqlite3_stmt *s, const char *what, int *changes);

/* privacy.c: replaces the turn's customer text and the strings inside its customer meta
 * JSON by their redacted copies (common/redact.h kinds `what`); on out of memory the
 * turn keeps its text.  Writer thread, before the turn is written. */
void store_redact_turn(struct store_turn *t, unsigned what);

/* log_session.c: what a message just inserted (kind, meta) changes in its session sid
 * (re-opened, a conversation, its language); store_message_add calls it.  0 or < 0. */
int store_log_session_note(struct store *st, int64_t sid, int kind, const char *meta);
/* The connection remembers each session's state between messages (the log writer's);
 * 0 or -SQLITE_NOMEM.  Freed by store_close (store_log_sessions_free). */
int store_log_sessions_keep(struct store *st);
/* At the start of each write transaction: forgets the state when another connection
 * committed since (PRAGMA data_version).  0 or < 0. */
int store_log_sessions_begin(struct store *st);
/* After a rollback: forgets the state (it may hold what was rolled back). */
void store_log_sessions_forget(struct store *st);
void store_log_sessions_free(struct store *st);

/* log_rollup.c: adds the counts of the messages with lo < id <= hi to report_hours,
 * report_latency and report_answers, inside the caller's transaction (a log index
 * pass).  0, < 0, or STORE_LOG_ROLLUP_SQL: a row of a type the writer never gives,
 * nothing written; the caller counts with the SQL statements instead. */
#define STORE_LOG_ROLLUP_SQL 64
int store_log_rollup(struct store *st, int64_t lo, int64_t hi);

/* wal_vfs.c: the name of the VFS every store connection opens with (the default VFS
 * with the WAL frames of a commit written at once), or NULL (the default) when it could
 * not be registered.  Any thread; registers it on first use. */
#define STORE_VFS "kefu"
const char *store_vfs(void);

/* migrate.c: brings the database to STORE_SCHEMA_VERSION; 0 or < 0 with st->err. */
int store_migrate(struct store *st);
/* ... only up to version `last` (the schema fixtures of store/testdata/schema/). */
int store_migrate_to(struct store *st, int last);
/* db.c: store_open stopping at schema version `last` (fixtures and upgrade tests only). */
struct store *store_open_version(const char *path, int last, char *err, size_t errlen);

/* Validates a UTF-8 text argument (non-NULL, valid UTF-8, no NUL, len <= max,
 * non-empty if required); 0 or STORE_INVALID with a message naming `what`. */
int store_check_text(struct store *st, const char *what, const char *s, size_t max,
		     int required);

/* Files embedded at build time by store/embed.py (demo_data.c): data[len] is NUL. */
struct store_embedded {
	const char *name;     /* base name, e.g. "banking77.csv" */
	const char *data;
	size_t len;
};
extern const struct store_embedded store_embedded_files[];
extern const size_t store_embedded_count;

/* The JSON snapshot of answer row `a` (answer_versions.c; import_plan.c compares them):
 *   {"title", "body", "lang", "tags", "enabled", "followups": [ids],
 *    "examples": [texts in id order], "pictures": [{"id", "sha256", "label", "source"}]} */
#define STORE_ANSWER_SNAPSHOT_SQL \
	"json_object('title', a.title, 'body', a.body, 'lang', a.lang, 'tags', a.tags," \
	" 'enabled', json(CASE WHEN a.enabled THEN 'true' ELSE 'false' END)," \
	" 'followups', json(a.followups)," \
	" 'examples', json((SELECT json_group_array(text) FROM (SELECT text FROM examples" \
	"   WHERE answer_id = a.id ORDER BY id)))," \
	" 'pictures', json((SELECT json_group_array(json_object('id', id, 'sha256', sha256," \
	"   'label', label, 'source', source)) FROM (SELECT id, sha256, label, source" \
	"   FROM pictures WHERE answer_id = a.id ORDER BY id))))"


#endif
