/* store/privacy.c — data care on the session log: the retention purge (sessions whose
 * last activity is older than a cut-off go, with their messages, attachments, feedback,
 * ratings and hand-offs, through the schema's ON DELETE CASCADE), forgetting one
 * customer's sessions, and exporting them as JSON for a customer's request.
 *
 * A customer is found by what identifies them in the log: a session token, or a text
 * they typed (an e-mail address, an account or customer number) — every session with a
 * customer message containing it, case-insensitive.  kefu keeps no customer table.
 *
 * Deleted rows are overwritten (every connection runs with PRAGMA secure_delete = ON,
 * db.c) and a TRUNCATE checkpoint after a purge or forget empties the WAL, so the text
 * does not linger in free pages or old WAL frames.  Runs on the caller's connection and
 * thread (`kefu purge/forget/export-customer`, kefud's retention thread,
 * daemon/retention.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "redact.h"
#include "store_int.h"

static int count_rows(struct store *st, const char *sql, int64_t bind, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "counting rows");
	sqlite3_bind_int64(s, 1, bind);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out += sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "counting rows");
}

static int exec_bound(struct store *st, const char *sql, int64_t bind)
{
	sqlite3_stmt *s = store_prep(st, sql, "deleting");

	if (s)
		sqlite3_bind_int64(s, 1, bind);
	return store_write_once(st, s, "deleting", NULL);
}

/* Counts then deletes the sessions matching `where` (with ?1 bound to arg). */
static int delete_where(struct store *st, const char *where, int64_t arg,
			struct store_purge *r)
{
	char sql[512];
	int rc;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE %s", where);
	if ((rc = count_rows(st, sql, arg, &r->sessions)))
		return rc;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM messages WHERE session_id IN "
		 "(SELECT id FROM sessions WHERE %s)", where);
	if ((rc = count_rows(st, sql, arg, &r->messages)))
		return rc;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM attachments WHERE message_id IN "
		 "(SELECT id FROM messages WHERE session_id IN (SELECT id FROM sessions WHERE %s))",
		 where);
	if ((rc = count_rows(st, sql, arg, &r->attachments)))
		return rc;
	snprintf(sql, sizeof sql, "DELETE FROM sessions WHERE %s", where);
	return exec_bound(st, sql, arg);
}

static void truncate_wal(struct store *st)
{
	/* best effort: a reader (kefud) may hold old frames; they go at a later checkpoint */
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

struct purge_arg {
	int64_t cutoff;
	const int64_t *ids;
	size_t n;
	struct store_purge *r;
};

static int purge_tx(void *arg, struct store *st)
{
	struct purge_arg *a = arg;
	int64_t left = 0;
	int rc;

	/* last_ms follows the log in index passes (log_index.c): bring it up to date in
	 * this transaction, so a session written to a moment ago is never taken as idle */
	do
		rc = store_log_index(st, STORE_LOG_INDEX_PASS, &left);
	while (rc == 0 && left > 0);
	return rc ? rc : delete_where(st, "last_ms < ?1", a->cutoff, a->r);
}

int store_purge_older(struct store *st, int64_t cutoff_ms, struct store_purge *r)
{
	struct purge_arg a = { .cutoff = cutoff_ms, .r = r };
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = store_transaction(st, purge_tx, &a)))
		return rc;
	if (r->sessions)
		truncate_wal(st);
	return 0;
}

static int forget_tx(void *arg, struct store *st)
{
	struct purge_arg *a = arg;
	int rc;

	for (size_t i = 0; i < a->n; i++)
		if ((rc = delete_where(st, "id = ?1", a->ids[i], a->r)))
			return rc;
	return 0;
}

int store_forget_sessions(struct store *st, const int64_t *ids, size_t n,
			  struct store_purge *r)
{
	struct purge_arg a = { .ids = ids, .n = n, .r = r };
	int rc;

	memset(r, 0, sizeof *r);
	if (!n)
		return 0;
	if ((rc = store_transaction(st, forget_tx, &a)))
		return rc;
	truncate_wal(st);
	return 0;
}

struct id_list {
	int64_t *ids;
	size_t n, cap;
};

static int collect_id(void *arg, sqlite3_stmt *s)
{
	struct id_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		int64_t *p = realloc(l->ids, cap * sizeof *p);
		if (!p)
			return -SQLITE_NOMEM;
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->n++] = sqlite3_column_int64(s, 0);
	return 0;
}

int store_customer_sessions(struct store *st, const char *who, int64_t **ids, size_t *n)
{
	struct id_list l = { 0 };
	sqlite3_stmt *s;
	char *pat;
	size_t len = strlen(who), k = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!len)
		return store_invalid(st, "an empty customer identifier matches everyone");
	/* LIKE pattern: %who% with %, _ and the escape itself escaped */
	if (!(pat = malloc(2 * len + 3)))
		return -SQLITE_NOMEM;
	pat[k++] = '%';
	for (size_t i = 0; i < len; i++) {
		if (who[i] == '%' || who[i] == '_' || who[i] == '\\')
			pat[k++] = '\\';
		pat[k++] = who[i];
	}
	pat[k++] = '%';
	pat[k] = '\0';
	if (sqlite3_prepare_v2(st->db,
			       "SELECT id FROM sessions WHERE token = ?1 UNION "
			       "SELECT DISTINCT session_id FROM messages WHERE kind = 0 AND "
			       "text LIKE ?2 ESCAPE '\\' ORDER BY 1", -1, &s, NULL) != SQLITE_OK) {
		free(pat);
		return store_fail(st, "finding a customer's sessions");
	}
	store_bind_text(s, 1, who);
	store_bind_text(s, 2, pat);
	rc = store_rows(st, s, "finding a customer's sessions", collect_id, &l);
	sqlite3_finalize(s);
	free(pat);
	if (rc) {
		free(l.ids);
		return rc;
	}
	*ids = l.ids;
	*n = l.n;
	return 0;
}

/* ---- export of a customer's data --------------------------------------------------- */

static char *base64(const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* One row of s as a JSON object: column names as keys; BLOBs as base64 text. */
static int row_object(void *arg, sqlite3_stmt *s)
{
	json_t *arr = arg, *o = json_object();

	if (!o)
		return -SQLITE_NOMEM;
	for (int c = 0; c < sqlite3_column_count(s); c++) {
		json_t *v;
		switch (sqlite3_column_type(s, c)) {
		case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, c)); break;
		case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, c)); break;
		case SQLITE_TEXT: v = json_string((const char *)sqlite3_column_text(s, c)); break;
		case SQLITE_BLOB: {
			char *b = base64(sqlite3_column_blob(s, c),
					 (size_t)sqlite3_column_bytes(s, c));
			v = b ? json_string(b) : NULL;
			free(b);
			break;
		}
		default: v = json_null();
		}
		if (!v || json_object_set_new(o, sqlite3_column_name(s, c), v)) {
			json_decref(o);
			return -SQLITE_NOMEM;
		}
	}
	return json_array_append_new(arr, o) ? -SQLITE_NOMEM : 0;
}

static json_t *rows_json(struct store *st, const char *sql, int64_t sid, int *rc)
{
	json_t *arr = json_array();
	sqlite3_stmt *s;

	if (!arr || sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		json_decref(arr);
		*rc = store_fail(st, "exporting");
		return NULL;
	}
	sqlite3_bind_int64(s, 1, sid);
	*rc = store_rows(st, s, "exporting", row_object, arr);
	sqlite3_finalize(s);
	if (*rc) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

int store_export_sessions(struct store *st, const int64_t *ids, size_t n, FILE *out)
{
	static const struct { const char *key, *sql; } parts[] = {
		{ "messages", "SELECT id, kind, client_id, text, answer_id, confidence, meta,"
			      " reply_to, created_ms FROM messages WHERE session_id = ?1 ORDER BY id" },
		{ "attachments", "SELECT a.message_id, a.kind, a.mime, a.sha256, a.unsafe,"
				 " a.meta, a.created_ms, a.data FROM attachments a JOIN messages m"
				 " ON m.id = a.message_id WHERE m.session_id = ?1 ORDER BY a.id" },
		{ "feedback", "SELECT message_id, value, created_ms FROM feedback"
			      " WHERE session_id = ?1 ORDER BY id" },
		{ "ratings", "SELECT stars, comment, created_ms FROM ratings"
			     " WHERE session_id = ?1 ORDER BY id" },
		{ "handoffs", "SELECT reason, requested_ms, taken_ms, closed_ms FROM handoffs"
			      " WHERE session_id = ?1 ORDER BY id" },
	};
	json_t *root = json_pack("{s:i, s:[]}", "kefu_customer_export", 1, "sessions");
	json_t *list = json_object_get(root, "sessions");
	int rc = 0;

	(void)store_log_index_all(st);   /* their last_ms (log_index.c); best effort */

	if (!root)
		return -SQLITE_NOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		json_t *one = rows_json(st, "SELECT token, channel, state, created_ms, last_ms,"
					" closed_ms FROM sessions WHERE id = ?1", ids[i], &rc);
		json_t *sess = one ? json_incref(json_array_get(one, 0)) : NULL;
		json_decref(one);
		if (!sess)
			continue;
		for (size_t k = 0; k < sizeof parts / sizeof *parts && !rc; k++) {
			json_t *a = rows_json(st, parts[k].sql, ids[i], &rc);
			if (a)
				json_object_set_new(sess, parts[k].key, a);
		}
		json_array_append_new(list, sess);
	}
	if (!rc && json_dumpf(root, out, JSON_INDENT(1)) == 0)
		fputc('\n', out);
	else if (!rc)
		rc = store_invalid(st, "writing the export failed");
	json_decref(root);
	return rc;
}

/* ---- redaction of a turn before it is logged (redact_log) ------------------------- */

void store_redact_json(json_t *v, unsigned what, const char *const *keep)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		char *r = cm_redact(json_string_value(v), what, NULL);
		if (r)
			json_string_set(v, r);
		free(r);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			int kept = 0;
			for (const char *const *k = keep; k && *k && !kept; k++)
				kept = !strcmp(key, *k);
			if (!kept)
				store_redact_json(x, what, NULL);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			store_redact_json(x, what, NULL);
	}
}

const char *const *store_meta_kept(json_t *meta)
{
	static const char *const contact[] = { "email", "phone", "name", NULL };

	return json_is_true(json_object_get(meta, "left_message")) ? contact : NULL;
}

void store_redact_turn(struct store_turn *t, unsigned what)
{
	char *r;

	if (t->customer_text && (r = cm_redact(t->customer_text, what, NULL))) {
		free(t->customer_text);
		t->customer_text = r;
	}
	if (t->customer_meta) {
		json_t *m = json_loads(t->customer_meta, 0, NULL);
		if (m) {
			store_redact_json(m, what, store_meta_kept(m));
			char *d = json_dumps(m, JSON_COMPACT);
			if (d) {
				free(t->customer_meta);
				t->customer_meta = d;
			}
			json_decref(m);
		}
	}
}
