/* store/stmt.c — every data statement of the store, in one table, and the per-connection
 * cache that prepares each one once (SQLITE_PREPARE_PERSISTENT) on first use.
 * Parameters are numbered (?1, ?2, ...) and listed in the comment beside each query.
 * Runs on the thread that owns the connection.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "utf8.h"

#define ANSWER_COLS "id, title, body, lang, tags, enabled, created_ms, updated_ms"
#define MESSAGE_COLS \
	"id, session_id, kind, client_id, text, answer_id, confidence, latency_us, meta, created_ms"

/* The language a bot reply M names in its meta ("" counts as none), else NULL. */
#define META_LANG(M) \
	"nullif(CASE WHEN json_valid(" M ".meta) THEN json_extract(" M ".meta, '$.lang') END, '')"
/* A bot reply m's latency to two significant digits (12345 us -> 12000): at most 10 % low */
#define LATENCY_BUCKET \
	"CASE WHEN m.latency_us < 100 THEN m.latency_us ELSE" \
	" CAST(substr(m.latency_us, 1, 2) || substr('000000000000', 1, length(m.latency_us) - 2)" \
	" AS INTEGER) END"
/* The messages m of session s of a log index pass's range, ?1 < m.id <= ?2. */
#define LOG_RANGE \
	" FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id > ?1 AND m.id <= ?2"

static const char *const sql_text[SQ__COUNT] = {
	[SQ_ANY_ANSWER] = "SELECT 1 FROM answers LIMIT 1",
	/* ?1 title ?2 body ?3 lang ?4 tags ?5 now */
	[SQ_ANSWER_ADD] = "INSERT INTO answers (title, body, lang, tags, enabled, created_ms, updated_ms)"
			  " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
	[SQ_ANSWER_FIND] = "SELECT id FROM answers WHERE title = ?1",
	[SQ_ANSWER_GET] = "SELECT " ANSWER_COLS " FROM answers WHERE id = ?1",
	/* ?1 id ?2 title ?3 body ?4 lang ?5 tags ?6 enabled ?7 now */
	[SQ_ANSWER_UPDATE] = "UPDATE answers SET title = ?2, body = ?3, lang = ?4, tags = ?5,"
			     " enabled = ?6, updated_ms = ?7 WHERE id = ?1",
	[SQ_ANSWER_DELETE] = "DELETE FROM answers WHERE id = ?1",
	[SQ_ANSWERS_ALL] = "SELECT " ANSWER_COLS " FROM answers ORDER BY id",
	/* ?1 answer id ?2 text ?3 now */
	[SQ_EXAMPLE_ADD] = "INSERT INTO examples (answer_id, text, created_ms) VALUES (?1, ?2, ?3)",
	[SQ_EXAMPLE_DELETE] = "DELETE FROM examples WHERE answer_id = ?1 AND text = ?2",
	[SQ_EXAMPLES_ENABLED] = "SELECT e.answer_id, e.text FROM examples e"
				" JOIN answers a ON a.id = e.answer_id WHERE a.enabled"
				" ORDER BY e.answer_id, e.id",
	[SQ_EXAMPLES_OF] = "SELECT text FROM examples WHERE answer_id = ?1 ORDER BY id",
	[SQ_COUNT_EXAMPLES] = "SELECT COUNT(*) FROM examples",

	/* ?1 token ?2 channel ?3 now */
	[SQ_SESSION_ADD] = "INSERT INTO sessions (token, channel, created_ms, last_ms)"
			   " VALUES (?1, ?2, ?3, ?3)",
	[SQ_SESSION_FIND] = "SELECT id FROM sessions WHERE token = ?1",
	/* ?1 id ?2 now */
	[SQ_SESSION_CLOSE] = "UPDATE sessions SET closed_ms = ?2, state = 'closed'"
			     " WHERE id = ?1 AND closed_ms IS NULL",
	[SQ_SESSION_EXISTS] = "SELECT 1 FROM sessions WHERE id = ?1",
	/* ?1 id: only a session nothing refers to (its rows would cascade away) */
	[SQ_SESSION_DROP_EMPTY] = "DELETE FROM sessions WHERE id = ?1"
				  " AND NOT EXISTS (SELECT 1 FROM messages WHERE session_id = ?1)"
				  " AND NOT EXISTS (SELECT 1 FROM ratings WHERE session_id = ?1)"
				  " AND NOT EXISTS (SELECT 1 FROM handoffs WHERE session_id = ?1)"
				  " AND NOT EXISTS (SELECT 1 FROM feedback WHERE session_id = ?1)",
	/* ?1 id ?2 now */
	[SQ_SESSION_TOUCH] = "UPDATE sessions SET last_ms = ?2 WHERE id = ?1",
	/* ?1 session ?2 kind ?3 client id ?4 text ?5 answer id ?6 confidence ?7 latency
	 * ?8 meta ?9 reply_to ?10 now.  A customer message whose client id the session
	 * already logged is skipped (no row; sqlite3_changes() == 0). */
	[SQ_MESSAGE_ADD] = "INSERT INTO messages (session_id, kind, client_id, text, answer_id,"
			   " confidence, latency_us, meta, reply_to, created_ms)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			   " ON CONFLICT DO NOTHING",
	/* ?1 session ?2 limit (-1: all) — the last ?2 messages, oldest first */
	[SQ_HISTORY] = "SELECT * FROM (SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1"
		       " ORDER BY id DESC LIMIT ?2) ORDER BY id",
	/* ?1 session ?2 client id */
	[SQ_TURN_FIND] = "SELECT r.id, r.session_id, r.kind, r.client_id, r.text, r.answer_id,"
			 " r.confidence, r.latency_us, r.meta, r.created_ms"
			 " FROM messages c JOIN messages r ON r.reply_to = c.id"
			 " WHERE c.session_id = ?1 AND c.kind = 0 AND c.client_id = ?2"
			 " ORDER BY r.id LIMIT 1",
	/* log_session.c, ?1 session.  A customer message: what the triggers messages_reopen
	 * and report_conversation did (re-open, mark as a conversation) */
	[SQ_LOG_CUSTOMER] = "UPDATE sessions SET resolved_ms = NULL,"
			    " report_flags = report_flags | 1"
			    " WHERE id = ?1 AND (resolved_ms IS NOT NULL OR report_flags & 1 = 0)",
	/* ?2 a bot reply's meta: what messages_lang did */
	[SQ_LOG_REPLY_LANG] = "UPDATE sessions SET lang = json_extract(?2, '$.lang')"
			      " WHERE id = ?1 AND json_valid(?2)"
			      " AND coalesce(json_extract(?2, '$.lang'), '') <> ''"
			      " AND lang <> json_extract(?2, '$.lang')",
	[SQ_LOG_SESSION_LANG] = "SELECT lang FROM sessions WHERE id = ?1",
	/* moves with other connections' commits only */
	[SQ_DATA_VERSION] = "PRAGMA data_version",
	[SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",

	/* log_index.c: a log index pass over the messages with ?1 < id <= ?2 */
	[SQ_LOG_INDEX_LAST] = "SELECT last_id FROM log_index",
	[SQ_LOG_INDEX_TOP] = "SELECT coalesce(max(id), 0) FROM messages",
	/* the FTS5 index of the words people wrote (customers, operators) */
	[SQ_LOG_INDEX_FTS] = "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages"
			     " WHERE id > ?1 AND id <= ?2 AND kind IN (0, 2)",
	/* The report rollups as grouped statements: the reference store/log_rollup.c
	 * counts the same from one scan in C (what a pass runs), and what a pass runs when
	 * that declines (a row of unexpected types) or the connection asks for it
	 * (store_log_index_use_sql: tests compare the two, benches time them). */
	[SQ_LOG_INDEX_HOURS] =
		"INSERT INTO report_hours (hour_ms, lang, channel, customer, bot, operator, fallback)"
		" SELECT m.created_ms / 3600000 * 3600000 AS h,"
		"  CASE m.kind WHEN 1 THEN coalesce(" META_LANG("m") ", s.lang)"
		"   WHEN 0 THEN coalesce((SELECT coalesce(" META_LANG("r") ", s.lang) FROM messages r"
		"     WHERE r.reply_to = m.id AND r.kind = 1 ORDER BY r.id LIMIT 1),"
		"    (SELECT " META_LANG("p") " FROM messages p WHERE p.session_id = m.session_id"
		"     AND p.kind = 1 AND p.id < m.id ORDER BY p.id DESC LIMIT 1), s.lang)"
		"   ELSE s.lang END AS l, s.channel,"
		"  sum(m.kind = 0), sum(m.kind = 1), sum(m.kind = 2),"
		"  sum(m.kind = 1 AND coalesce(CASE WHEN json_valid(m.meta) THEN"
		"   json_extract(m.meta, '$.fallback') END, coalesce(m.answer_id, 0) = 0) <> 0)"
		LOG_RANGE " AND m.kind IN (0, 1, 2) GROUP BY h, l, s.channel"
		" ON CONFLICT DO UPDATE SET customer = customer + excluded.customer,"
		"  bot = bot + excluded.bot, operator = operator + excluded.operator,"
		"  fallback = fallback + excluded.fallback",
	/* latency to two significant digits (12345 us -> 12000): at most 10 % low */
	[SQ_LOG_INDEX_LATENCY] =
		"INSERT INTO report_latency (day_ms, lang, channel, bucket, n)"
		" SELECT m.created_ms / 86400000 * 86400000 AS d, coalesce(" META_LANG("m") ", s.lang)"
		"  AS l, s.channel, " LATENCY_BUCKET " AS b, count(*)"
		LOG_RANGE " AND m.kind = 1 AND m.latency_us > 0 GROUP BY d, l, s.channel, b"
		" ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[SQ_LOG_INDEX_ANSWERS] =
		"INSERT INTO report_answers (day_ms, lang, channel, answer_id, n)"
		" SELECT m.created_ms / 86400000 * 86400000 AS d, coalesce(" META_LANG("m") ", s.lang)"
		"  AS l, s.channel, m.answer_id, count(*)"
		LOG_RANGE " AND m.kind = 1 AND coalesce(m.answer_id, 0) > 0 GROUP BY d, l, s.channel,"
		"  m.answer_id"
		" ON CONFLICT DO UPDATE SET n = n + excluded.n",
	/* each session's last activity: one update a pass instead of one a turn */
	[SQ_LOG_INDEX_LAST_MS] =
		"UPDATE sessions SET last_ms = t.ms FROM (SELECT session_id, max(created_ms) AS ms"
		"  FROM messages WHERE id > ?1 AND id <= ?2 GROUP BY session_id) AS t"
		" WHERE sessions.id = t.session_id AND sessions.last_ms < t.ms",
	[SQ_LOG_INDEX_SET] = "UPDATE log_index SET last_id = ?2",
	/* a watermark above the newest message comes down to it */
	[SQ_LOG_INDEX_LOWER] = "UPDATE log_index SET last_id ="
			       " (SELECT coalesce(max(id), 0) FROM messages)",
	/* at most ?1 pages of FTS5's merging of the index's segments (levels of 16) */
	[SQ_LOG_INDEX_MERGE] = "INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?1)",

	/* log_rollup.c: each message of the range once, with the values the statements
	 * above compute from it */
	[SQ_LOG_ROLLUP_SCAN] =
		"SELECT m.id, m.session_id, m.kind, m.created_ms, m.reply_to,"
		"  CASE m.kind WHEN 1 THEN m.meta END,"
		"  CASE m.kind WHEN 1 THEN coalesce(m.answer_id, 0) = 0 END,"
		"  CASE WHEN m.kind = 1 AND m.latency_us > 0 THEN " LATENCY_BUCKET " END,"
		"  CASE WHEN m.kind = 1 AND coalesce(m.answer_id, 0) > 0 THEN m.answer_id END,"
		"  s.lang, s.channel"
		LOG_RANGE " AND m.kind IN (0, 1, 2)",
	/* a bot reply's language and fallback flag as the statements above read them from
	 * its meta ?1 and whether it has no answer ?2: for a meta common/jscan.c is not sure of */
	[SQ_LOG_ROLLUP_META] =
		"SELECT " META_LANG("x") ", coalesce(CASE WHEN json_valid(x.meta) THEN"
		"  json_extract(x.meta, '$.fallback') END, x.noanswer) <> 0"
		" FROM (SELECT ?1 AS meta, ?2 AS noanswer) AS x",
	/* whether a bot reply below the range (id <= ?1) answers a message inside it */
	[SQ_LOG_ROLLUP_FORWARD] =
		"SELECT EXISTS (SELECT 1 FROM messages WHERE reply_to > ?1 AND reply_to <= ?2"
		" AND id <= ?1 AND kind = 1)",
	/* a customer message's language the way SQ_LOG_INDEX_HOURS finds it: ?1 its id,
	 * ?2 its session, ?3 the session's language */
	[SQ_LOG_ROLLUP_CUSTOMER] =
		"SELECT coalesce((SELECT coalesce(" META_LANG("r") ", ?3) FROM messages r"
		"  WHERE r.reply_to = ?1 AND r.kind = 1 ORDER BY r.id LIMIT 1),"
		" (SELECT " META_LANG("p") " FROM messages p WHERE p.session_id = ?2 AND p.kind = 1"
		"  AND p.id < ?1 ORDER BY p.id DESC LIMIT 1), ?3)",
	/* one group's counts: ?1 hour ?2 lang ?3 channel ?4 customer ?5 bot ?6 operator
	 * ?7 fallback */
	[SQ_LOG_ROLLUP_HOURS] =
		"INSERT INTO report_hours (hour_ms, lang, channel, customer, bot, operator,"
		" fallback) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT DO UPDATE SET customer = customer + excluded.customer,"
		"  bot = bot + excluded.bot, operator = operator + excluded.operator,"
		"  fallback = fallback + excluded.fallback",
	/* ?1 day ?2 lang ?3 channel ?4 bucket ?5 n */
	[SQ_LOG_ROLLUP_LATENCY] =
		"INSERT INTO report_latency (day_ms, lang, channel, bucket, n)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET n = n + excluded.n",
	/* ?1 day ?2 lang ?3 channel ?4 answer ?5 n */
	[SQ_LOG_ROLLUP_ANSWERS] =
		"INSERT INTO report_answers (day_ms, lang, channel, answer_id, n)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET n = n + excluded.n",

	[SQ_STATS_SESSIONS] = "SELECT COUNT(*) FROM sessions",
	[SQ_STATS_MESSAGES] = "SELECT kind, COUNT(*) FROM messages GROUP BY kind",
	[SQ_STATS_ANSWERS] = "SELECT COUNT(*) FROM answers",

	/* ?1 kind ?2 blob ?3 metrics ?4 data hash ?5 now */
	[SQ_MODEL_PUT] = "INSERT INTO models (kind, version, blob, metrics, data_hash, created_ms,"
			 " report, run)"
			 " SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7"
			 " FROM models WHERE kind = ?1 RETURNING version",
	/* the live one; a kind none of whose versions was ever made live: the newest */
	[SQ_MODEL_LATEST] = "SELECT blob, version FROM models WHERE kind = ?1"
			    " ORDER BY live DESC, version DESC LIMIT 1",

	[SQ_TEXTS_ALL] = "SELECT key, lang, text FROM texts",
	/* ?1 key ?2 lang ?3 text ?4 now */
	[SQ_TEXT_SET] = "INSERT INTO texts (key, lang, text, updated_ms) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (key, lang) DO UPDATE SET text = ?3, updated_ms = ?4",
	/* ?1 key ?2 lang */
	[SQ_TEXT_RESET] = "DELETE FROM texts WHERE key = ?1 AND lang = ?2",
	/* ?1 after ?2 limit (-1: all) */
	[SQ_REVIEW_TURNS_AFTER] = STORE_TURN_COLS_BY_Q "WHERE q.kind = 0 AND q.id > ?1"
				  " ORDER BY q.id LIMIT ?2",
	/* ?1 message ?2 session ?3 text ?4 reasons ?5 answer ?6 confidence ?7 now */
	[SQ_REVIEW_COLLECT] = "INSERT INTO review_items (message_id, session_id, text, reasons,"
			      " answer_id, confidence, created_ms, updated_ms)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
			      " ON CONFLICT(message_id) DO UPDATE SET"
			      " reasons = reasons | excluded.reasons,"
			      " updated_ms = excluded.updated_ms WHERE state = 'open'",
	/* ?1 message */
	[SQ_REVIEW_ITEM_EXISTS] = "SELECT 1 FROM review_items WHERE message_id = ?1",
	/* ?1 name */
	[SQ_REVIEW_CURSOR] = "SELECT last_id FROM review_cursors WHERE name = ?1",
	/* ?1 name ?2 last id */
	[SQ_REVIEW_CURSOR_SET] = "INSERT INTO review_cursors (name, last_id) VALUES (?1, ?2)"
				 " ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id",
};

sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id)
{
	if (!st->stmts[id]) {
		int rc = sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			store_fail(st, "preparing a statement");
			st->stmts[id] = NULL;
			return NULL;
		}
	}
	return st->stmts[id];
}

void store_stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

void store_stmts_finalize(struct store *st)
{
	for (int i = 0; i < SQ__COUNT; i++) {
		sqlite3_finalize(st->stmts[i]);
		st->stmts[i] = NULL;
	}
}

int store_fail(struct store *st, const char *what)
{
	int code = sqlite3_errcode(st->db) & 0xff;

	snprintf(st->err, sizeof st->err, "%s: %s", what, sqlite3_errmsg(st->db));
	return code ? -code : -SQLITE_ERROR;
}

int store_invalid(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
	return STORE_INVALID;
}

int store_check_text(struct store *st, const char *what, const char *s, size_t max,
		     int required)
{
	size_t len;

	if (!s)
		return store_invalid(st, "%s is missing", what);
	len = strlen(s);
	if (required && len == 0)
		return store_invalid(st, "%s is empty", what);
	if (len > max)
		return store_invalid(st, "%s is longer than %zu bytes", what, max);
	if (!cm_utf8_valid(s, len))
		return store_invalid(st, "%s is not valid UTF-8", what);
	return 0;
}

int store_bind_text(sqlite3_stmt *s, int col, const char *text)
{
	return text ? sqlite3_bind_text(s, col, text, -1, SQLITE_TRANSIENT)
		    : sqlite3_bind_null(s, col);
}

int store_bind_static(sqlite3_stmt *s, int col, const char *text)
{
	return text ? sqlite3_bind_text(s, col, text, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(s, col);
}

char *store_col_dup(sqlite3_stmt *s, int col, int empty_for_null)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	if (!t)
		return empty_for_null ? strdup("") : NULL;
	return strdup((const char *)t);
}

int store_exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* What a write's sqlite3_step result means to the caller (see store_write_once). */
static int write_result(struct store *st, int rc, const char *what)
{
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    rc == SQLITE_CONSTRAINT_TRIGGER || rc == SQLITE_CONSTRAINT_CHECK) {
		snprintf(st->err, sizeof st->err, "%s: %s", what, sqlite3_errmsg(st->db));
		return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
		       ? STORE_DUPLICATE : STORE_INVALID;
	}
	return store_fail(st, what);
}

int store_step_write(struct store *st, sqlite3_stmt *s, const char *what)
{
	int out = write_result(st, sqlite3_step(s), what);

	store_stmt_done(s);
	return out;
}

int store_write_once(struct store *st, sqlite3_stmt *s, const char *what, int *changes)
{
	if (!s)
		return -SQLITE_ERROR;
	int out = write_result(st, sqlite3_step(s), what);

	if (out == 0 && changes)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return out;
}

sqlite3_stmt *store_prep(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(st->db, sql, -1, 0, &s, NULL) != SQLITE_OK) {
		store_fail(st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

int store_step_one(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, what);
}

/* store_one_int64's read; the statement is then finalized, or reset when cached. */
static int read_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out,
		      int cached)
{
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_step_one(st, s, what);
	if (rc == 0)
		*out = sqlite3_column_int64(s, 0);
	if (cached)
		store_stmt_done(s);
	else
		sqlite3_finalize(s);
	return rc;
}

int store_one_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out)
{
	return read_int64(st, s, what, out, 0);
}

int store_stmt_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out)
{
	return read_int64(st, s, what, out, 1);
}

int store_one_text(struct store *st, sqlite3_stmt *s, const char *what, const char *fallback,
		   char **out)
{
	int rc;

	*out = NULL;
	if (!s)
		return -SQLITE_ERROR;
	rc = store_step_one(st, s, what);
	if (rc == 0) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		*out = strdup(t ? t : fallback);
		rc = *out ? 0 : -SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

int store_rows(struct store *st, sqlite3_stmt *s, const char *what,
	       int (*row)(void *arg, sqlite3_stmt *s), void *arg)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = row(arg, s);
		if (r) {
			store_stmt_done(s);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, what);
	store_stmt_done(s);
	return rc;
}
