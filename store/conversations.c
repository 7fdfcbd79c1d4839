/* store/conversations.c — the operator console's read models of the session log: the
 * inbox (conversations newest activity first, with filters and counts), one
 * conversation's whole transcript, full-text search over messages (FTS5), and private
 * notes.  Tables: schema v6 in migrate.c (sessions.lang/operator_id/resolved_ms,
 * notes, messages_fts; a text search first brings messages_fts up to date: log_index.c).
 *
 * The answers are JSON text built by SQLite's JSON functions in one statement each, so
 * a transcript with its attachments, feedback, notes, ratings and hand-offs is one
 * read (one snapshot) and the C side only hands the text on (api/ parses it).  Nested
 * objects coming out of a sub-select lose SQLite's JSON subtype, so each is wrapped in
 * json() to stay an object rather than become a string.
 *
 * Like store/people.c these run rarely next to chat turns: statements are prepared per
 * call.  Runs on the thread that owns the connection (an API worker in kefud).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define STORE_MAX_NOTE 8000      /* bytes of a private note */
#define FTS_MIN_CHARS 3          /* the trigram tokenizer needs three characters */

/* One conversation as a JSON object; s is the sessions row, ?9 the low-confidence
 * bound. */
#define CONV_ITEM \
	"json_object('id', s.id," \
	" 'channel', CASE s.channel WHEN 'ws' THEN 'widget' ELSE s.channel END," \
	" 'state', s.state, 'lang', s.lang, 'created_ms', s.created_ms," \
	" 'last_ms', s.last_ms, 'resolved_ms', s.resolved_ms," \
	" 'assignee', json((SELECT json_object('id', o.id, 'login', o.login," \
	"   'name', o.name) FROM operators o WHERE o.id = s.operator_id))," \
	" 'messages', (SELECT count(*) FROM messages m WHERE m.session_id = s.id)," \
	" 'thumbs_down', (SELECT count(*) FROM feedback f WHERE f.session_id = s.id" \
	"   AND f.value = -1)," \
	" 'low_confidence', (SELECT count(*) FROM messages m WHERE m.session_id = s.id" \
	"   AND m.kind = 1 AND (coalesce(m.answer_id, 0) = 0 OR m.confidence < ?9))," \
	" 'waiting_since_ms', (SELECT min(h.requested_ms) FROM handoffs h" \
	"   WHERE h.session_id = s.id AND h.closed_ms IS NULL AND h.taken_ms IS NULL)," \
	" 'last_text', (SELECT substr(m.text, 1, 200) FROM messages m" \
	"   WHERE m.session_id = s.id ORDER BY m.id DESC LIMIT 1)," \
	" 'last_kind', (SELECT CASE m.kind WHEN 0 THEN 'customer' WHEN 1 THEN 'bot'" \
	"   WHEN 2 THEN 'operator' ELSE 'system' END FROM messages m" \
	"   WHERE m.session_id = s.id ORDER BY m.id DESC LIMIT 1)," \
	" 'left_message', EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id" \
	"   AND m.kind = 0 AND m.meta LIKE '%\"left_message\":true%')," \
	" 'rating', (SELECT r.stars FROM ratings r WHERE r.session_id = s.id" \
	"   ORDER BY r.id DESC LIMIT 1))"

#define HAS_LOW \
	"EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.kind = 1" \
	" AND (coalesce(m.answer_id, 0) = 0 OR m.confidence < ?9))"
#define HAS_DOWN "EXISTS (SELECT 1 FROM feedback f WHERE f.session_id = s.id AND f.value = -1)"
#define IS_OPEN "(s.resolved_ms IS NULL AND s.state <> 'closed')"

/* Per-call statements of this file, reported as one kind on failure. */
#define prep(st, sql) store_prep(st, sql, "preparing a conversation statement")

/* Number of UTF-8 code points of s. */
static size_t n_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Binds the text search q at ?fts (an FTS5 phrase) or ?like (a LIKE pattern, for
 * queries too short for trigrams); the other stays NULL.  -1 out of memory. */
static int bind_search(sqlite3_stmt *s, int fts, int like, const char *q)
{
	size_t n = strlen(q);
	char *buf = malloc(2 * n + 3), *p = buf;
	int use_fts = n_chars(q) >= FTS_MIN_CHARS;

	if (!buf)
		return -1;
	*p++ = use_fts ? '"' : '%';
	for (const char *c = q; *c; c++) {
		if (use_fts && *c == '"')
			*p++ = '"';                  /* "" inside an FTS5 string */
		else if (!use_fts && (*c == '%' || *c == '_' || *c == '\\'))
			*p++ = '\\';
		*p++ = *c;
	}
	*p++ = use_fts ? '"' : '%';
	*p = '\0';
	sqlite3_bind_text(s, use_fts ? fts : like, buf, -1, free);
	return 0;
}

int store_conversations_json(struct store *st, const struct store_conv_filter *f, char **out)
{
	/* the list orders by last_ms and a text search reads messages_fts, both brought up
	 * to date by log index passes: index what was committed first (log_index.c).  For
	 * last_ms alone that is best effort: a full or read-only store still lists, its
	 * last_ms at most one writer's pass behind */
	int rc = store_log_index_all(st);

	if (rc && !(f->q && f->q[0]))
		rc = 0;
	sqlite3_stmt *s = rc ? NULL : prep(st,
		"SELECT json_group_array(json(item)) FROM (SELECT " CONV_ITEM " AS item"
		" FROM sessions s"
		" WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id)"
		"  AND (?1 IS NULL OR (?1 = 'waiting' AND s.state = 'waiting')"
		"   OR (?1 = 'open' AND " IS_OPEN ")"
		"   OR (?1 = 'resolved' AND s.resolved_ms IS NOT NULL)"
		"   OR (?1 = 'mine' AND s.operator_id = ?2 AND " IS_OPEN "))"
		"  AND (?3 = 0 OR " HAS_LOW ") AND (?4 = 0 OR " HAS_DOWN ")"
		"  AND (?5 IS NULL OR s.lang = ?5)"
		"  AND (?6 IS NULL OR s.channel = CASE ?6 WHEN 'widget' THEN 'ws' ELSE ?6 END)"
		"  AND (?7 = 0 OR s.last_ms < ?7)"
		"  AND (?10 IS NULL OR s.id IN (SELECT m.session_id FROM messages_fts"
		"   JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH ?10))"
		"  AND (?11 IS NULL OR s.id IN (SELECT m.session_id FROM messages m"
		"   WHERE m.text LIKE ?11 ESCAPE '\\'))"
		" ORDER BY s.last_ms DESC, s.id DESC LIMIT ?8)");

	if (rc)
		return rc;
	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, f->status);
	sqlite3_bind_int64(s, 2, f->operator_id);
	sqlite3_bind_int(s, 3, f->low_confidence != 0);
	sqlite3_bind_int(s, 4, f->thumbs_down != 0);
	store_bind_text(s, 5, f->lang);
	store_bind_text(s, 6, f->channel);
	sqlite3_bind_int64(s, 7, f->before_ms);
	sqlite3_bind_int(s, 8, f->limit > 0 ? f->limit : 50);
	sqlite3_bind_double(s, 9, f->low_below);
	if (f->q && f->q[0] && bind_search(s, 10, 11, f->q)) {
		sqlite3_finalize(s);
		return -SQLITE_NOMEM;
	}
	return store_one_text(st, s, "listing conversations", "[]", out);
}

int store_conversation_counts_json(struct store *st, int64_t operator_id, double low_below,
				   char **out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT json_object('all', count(*),"
		" 'waiting', coalesce(sum(s.state = 'waiting'), 0),"
		" 'open', coalesce(sum(" IS_OPEN "), 0),"
		" 'resolved', coalesce(sum(s.resolved_ms IS NOT NULL), 0),"
		" 'mine', coalesce(sum(s.operator_id = ?2 AND " IS_OPEN "), 0),"
		" 'low_confidence', coalesce(sum(" HAS_LOW "), 0),"
		" 'thumbs_down', coalesce(sum(" HAS_DOWN "), 0))"
		" FROM sessions s"
		" WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id)");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 2, operator_id);
	sqlite3_bind_double(s, 9, low_below);
	return store_one_text(st, s, "counting conversations", "{}", out);
}

int store_conversation_json(struct store *st, int64_t sid, double low_below, char **out)
{
	sqlite3_stmt *s;

	/* its last_ms (log_index.c), best effort as in store_conversations_json */
	(void)store_log_index_all(st);
	s = prep(st,
		"SELECT json_object('conversation', json(" CONV_ITEM "),"
		" 'messages', json((SELECT json_group_array(json(mi)) FROM (SELECT json_object("
		"  'id', m.id, 'kind', CASE m.kind WHEN 0 THEN 'customer' WHEN 1 THEN 'bot'"
		"   WHEN 2 THEN 'operator' ELSE 'system' END,"
		"  'client_id', m.client_id, 'text', m.text, 'created_ms', m.created_ms,"
		"  'reply_to', m.reply_to, 'answer_id', nullif(m.answer_id, 0),"
		"  'answer_title', (SELECT a.title FROM answers a WHERE a.id = m.answer_id),"
		"  'confidence', CASE WHEN m.kind = 1 THEN m.confidence END,"
		"  'meta', json(CASE WHEN json_valid(m.meta) THEN m.meta END),"
		"  'feedback', (SELECT f.value FROM feedback f WHERE f.message_id = m.id),"
		"  'attachments', json((SELECT json_group_array(json_object('id', a.id,"
		"    'kind', a.kind, 'mime', a.mime, 'unsafe', a.unsafe, 'bytes', length(a.data),"
		"    'url', '/api/v1/attachments/' || a.id,"
		"    'meta', json(CASE WHEN json_valid(a.meta) THEN a.meta END)))"
		"   FROM attachments a WHERE a.message_id = m.id))) AS mi"
		"  FROM messages m WHERE m.session_id = s.id ORDER BY m.id))),"
		" 'notes', json((SELECT json_group_array(json(x)) FROM (SELECT json_object("
		"  'id', n.id, 'text', n.text, 'created_ms', n.created_ms,"
		"  'operator', json_object('id', n.operator_id, 'login', n.login, 'name', n.name))"
		"  AS x FROM notes n WHERE n.session_id = s.id ORDER BY n.id))),"
		" 'ratings', json((SELECT json_group_array(json_object('stars', r.stars,"
		"  'comment', r.comment, 'created_ms', r.created_ms))"
		"  FROM ratings r WHERE r.session_id = s.id)),"
		" 'handoffs', json((SELECT json_group_array(json_object('id', h.id,"
		"  'reason', h.reason, 'requested_ms', h.requested_ms, 'taken_ms', h.taken_ms,"
		"  'closed_ms', h.closed_ms, 'operator_id', h.operator_id))"
		"  FROM handoffs h WHERE h.session_id = s.id)))"
		" FROM sessions s WHERE s.id = ?1");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_double(s, 9, low_below);
	return store_one_text(st, s, "reading a conversation", "{}", out);
}

int store_search_json(struct store *st, const char *q, int limit, char **out)
{
	int rc = q && q[0] ? store_log_index_all(st) : 0;   /* as above */
	sqlite3_stmt *s = rc ? NULL : prep(st,
		"SELECT json_group_array(json(x)) FROM (SELECT json_object("
		" 'conversation_id', m.session_id, 'message_id', m.id,"
		" 'kind', CASE m.kind WHEN 0 THEN 'customer' WHEN 1 THEN 'bot'"
		"  WHEN 2 THEN 'operator' ELSE 'system' END,"
		" 'text', substr(m.text, 1, 300), 'created_ms', m.created_ms) AS x"
		" FROM messages m"
		" WHERE (?1 IS NULL OR m.id IN (SELECT rowid FROM messages_fts"
		"  WHERE messages_fts MATCH ?1))"
		"  AND (?2 IS NULL OR m.text LIKE ?2 ESCAPE '\\')"
		" ORDER BY m.id DESC LIMIT ?3)");

	if (rc)
		return rc;
	if (!s)
		return -SQLITE_ERROR;
	if (!q || !q[0]) {
		sqlite3_finalize(s);
		return store_invalid(st, "an empty search");
	}
	if (bind_search(s, 1, 2, q)) {
		sqlite3_finalize(s);
		return -SQLITE_NOMEM;
	}
	sqlite3_bind_int(s, 3, limit > 0 ? limit : 50);
	return store_one_text(st, s, "searching messages", "[]", out);
}

int store_session_exists(struct store *st, int64_t sid)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM sessions WHERE id = ?1");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = store_step_one(st, s, "finding a session");
	sqlite3_finalize(s);
	return rc;
}

int store_note_add(struct store *st, int64_t sid, int64_t operator_id, const char *login,
		   const char *name, const char *text, int64_t now_ms, int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = store_check_text(st, "note", text, STORE_MAX_NOTE, 1)))
		return rc;
	if ((rc = store_session_exists(st, sid)))
		return rc;
	if (!(s = prep(st, "INSERT INTO notes (session_id, operator_id, login, name, text,"
			   " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int64(s, 2, operator_id);
	store_bind_text(s, 3, login ? login : "");
	store_bind_text(s, 4, name ? name : "");
	store_bind_text(s, 5, text);
	sqlite3_bind_int64(s, 6, now_ms);
	rc = store_write_once(st, s, "adding a note", NULL);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* ---- take-over: the assignee of a session ----------------------------------------------- */

/* Runs one write statement with up to three integer parameters (0 = unbound past n);
 * *changes (may be NULL) gets the rows changed. */
static int write3(struct store *st, const char *sql, int n, int64_t a, int64_t b, int64_t c,
		  int *changes)
{
	sqlite3_stmt *s = prep(st, sql);
	int64_t v[3] = { a, b, c };

	if (!s)
		return -SQLITE_ERROR;
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, v[i]);
	return store_write_once(st, s, "changing a session's assignee", changes);
}

struct assign_args {
	int64_t sid, op, now;
	int release, resolve;
};

static int assign_tx(void *arg, struct store *st)
{
	struct assign_args *a = arg;
	int changed = 0, rc;

	if (!a->release) {
		rc = write3(st, "UPDATE sessions SET state = 'operator', operator_id = ?2,"
			    " resolved_ms = NULL WHERE id = ?1", 2, a->sid, a->op, 0, &changed);
		if (rc == 0 && changed)
			rc = write3(st, "UPDATE handoffs SET taken_ms = ?3, operator_id = ?2"
				    " WHERE session_id = ?1 AND closed_ms IS NULL AND taken_ms IS NULL",
				    3, a->sid, a->op, a->now, NULL);
	} else {
		rc = write3(st, a->resolve
			    ? "UPDATE sessions SET state = 'bot', operator_id = NULL,"
			      " resolved_ms = ?2 WHERE id = ?1"
			    : "UPDATE sessions SET state = 'bot', operator_id = NULL WHERE id = ?1",
			    a->resolve ? 2 : 1, a->sid, a->now, 0, &changed);
		if (rc == 0 && changed)
			rc = write3(st, "UPDATE handoffs SET closed_ms = ?2"
				    " WHERE session_id = ?1 AND closed_ms IS NULL", 2, a->sid, a->now,
				    0, NULL);
	}
	return rc ? rc : changed ? 0 : STORE_NOT_FOUND;
}

int store_session_assign(struct store *st, int64_t sid, int64_t operator_id, int64_t now_ms)
{
	struct assign_args a = { .sid = sid, .op = operator_id, .now = now_ms };

	return store_transaction(st, assign_tx, &a);
}

int store_session_release(struct store *st, int64_t sid, int resolve, int64_t now_ms)
{
	struct assign_args a = { .sid = sid, .now = now_ms, .release = 1, .resolve = resolve };

	return store_transaction(st, assign_tx, &a);
}

int store_session_assignee(struct store *st, int64_t sid, int64_t *operator_id_out)
{
	sqlite3_stmt *s = prep(st, "SELECT coalesce(operator_id, 0) FROM sessions WHERE id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, sid);
	return store_one_int64(st, s, "reading an assignee", operator_id_out);
}

/* The callbacks of the two walks below and their argument, for store_rows(). */
struct taken_walk {
	int (*cb)(void *arg, int64_t sid, int64_t operator_id, const char *name);
	void *arg;
};

static int taken_row(void *arg, sqlite3_stmt *s)
{
	struct taken_walk *w = arg;
	const char *name = (const char *)sqlite3_column_text(s, 2);

	return w->cb(w->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		     name ? name : "");
}

struct waiting_walk {
	int (*cb)(void *arg, int64_t sid, int64_t requested_ms);
	void *arg;
};

static int waiting_row(void *arg, sqlite3_stmt *s)
{
	struct waiting_walk *w = arg;

	return w->cb(w->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
}

int store_assigned_foreach(struct store *st,
			   int (*cb)(void *arg, int64_t sid, int64_t operator_id,
				     const char *name),
			   void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT s.id, s.operator_id,"
			       " CASE o.name WHEN '' THEN o.login ELSE o.name END"
			       " FROM sessions s JOIN operators o ON o.id = s.operator_id"
			       " WHERE s.state = 'operator' ORDER BY s.id");
	struct taken_walk w = { cb, arg };
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_rows(st, s, "reading taken-over sessions", taken_row, &w);
	sqlite3_finalize(s);
	return rc;
}

int store_waiting_foreach(struct store *st,
			  int (*cb)(void *arg, int64_t sid, int64_t requested_ms), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT s.id, min(h.requested_ms) FROM sessions s"
			       " JOIN handoffs h ON h.session_id = s.id AND h.closed_ms IS NULL"
			       "  AND h.taken_ms IS NULL"
			       " WHERE s.state = 'waiting' GROUP BY s.id ORDER BY 2, 1");
	struct waiting_walk w = { cb, arg };
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_rows(st, s, "reading waiting hand-offs", waiting_row, &w);
	sqlite3_finalize(s);
	return rc;
}

int store_session_token(struct store *st, int64_t sid, char token_out[STORE_TOKEN_LEN + 1])
{
	sqlite3_stmt *s = prep(st, "SELECT token FROM sessions WHERE id = ?1");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = store_step_one(st, s, "reading a session token");
	if (rc == 0) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		snprintf(token_out, STORE_TOKEN_LEN + 1, "%s", t ? t : "");
	}
	sqlite3_finalize(s);
	return rc;
}
