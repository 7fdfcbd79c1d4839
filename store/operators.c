/* store/operators.c — operator accounts, console sessions, API tokens, failed-login
 * streaks and the audit log (schema v5, migrate.c).  auth/ decides; this file only
 * keeps rows.  It never sees a secret: passwords arrive as argon2id PHC strings,
 * session ids and bearer tokens as their SHA-256 hex.  Times come from the caller so
 * auth/'s tests can inject a clock.
 *
 * These statements are rare next to chat turns (a login, a console request), so they
 * are prepared per call (finalized before return) like people.c's, not cached in
 * stmt.c.  Runs on the thread that owns the connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MAX_LOGIN 64
#define MAX_NAME 200
#define MAX_IP 64
#define MAX_CHANGES 65536

#define OP_COLS "id, login, name, role, disabled, created_ms, updated_ms, last_login_ms"
#define TOKEN_COLS "id, operator_id, role, name, created_ms, last_used_ms, revoked_ms"

/* Per-call statements of this file, reported as one kind on failure. */
#define prep(st, sql) store_prep(st, sql, "preparing an operator statement")

/* login: 1..64 of [a-z0-9._@-] (lowercase, so "Ann" and "ann" cannot both exist). */
static int check_login(struct store *st, const char *login)
{
	size_t n = login ? strlen(login) : 0;

	if (n == 0 || n > MAX_LOGIN)
		return store_invalid(st, "login must be 1 to %d characters", MAX_LOGIN);
	for (size_t i = 0; i < n; i++) {
		char c = login[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return store_invalid(st, "login may hold only a-z, 0-9 and . _ @ -");
	}
	return 0;
}

static int check_role(struct store *st, const char *role)
{
	if (!role || (strcmp(role, "admin") && strcmp(role, "agent")))
		return store_invalid(st, "role must be admin or agent");
	return 0;
}

static int check_hash(struct store *st, const char *what, const char *h)
{
	if (!h || strlen(h) != STORE_HASH_HEX || strspn(h, "0123456789abcdef") != STORE_HASH_HEX)
		return store_invalid(st, "%s must be %d lowercase hex characters", what,
				     STORE_HASH_HEX);
	return 0;
}

/* ---- operators -------------------------------------------------------------------- */

void store_operator_clear(struct store_operator *o)
{
	if (!o)
		return;
	free(o->login);
	free(o->name);
	free(o->role);
	free(o->pass_hash);
	memset(o, 0, sizeof *o);
}

static void read_operator(sqlite3_stmt *s, struct store_operator *o, int with_hash)
{
	o->id = sqlite3_column_int64(s, 0);
	o->login = store_col_dup(s, 1, 1);
	o->name = store_col_dup(s, 2, 1);
	o->role = store_col_dup(s, 3, 1);
	o->disabled = sqlite3_column_int(s, 4);
	o->created_ms = sqlite3_column_int64(s, 5);
	o->updated_ms = sqlite3_column_int64(s, 6);
	o->last_login_ms = sqlite3_column_int64(s, 7);
	o->pass_hash = with_hash ? store_col_dup(s, 8, 1) : NULL;
}

/* A caller's callback and its argument, for the row functions of store_rows() below. */
struct walk {
	int (*op)(void *arg, const struct store_operator *o);
	int (*token)(void *arg, const struct store_api_token *t);
	int (*audit)(void *arg, const struct store_audit *a);
	void *arg;
};

static int operator_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;
	struct store_operator o = { 0 };
	int r;

	read_operator(s, &o, 0);
	r = w->op(w->arg, &o);
	store_operator_clear(&o);
	return r;
}

int store_operator_add(struct store *st, const char *login, const char *name,
		       const char *role, const char *pass_hash, int64_t now_ms, int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = check_login(st, login)) || (rc = check_role(st, role)) ||
	    (rc = store_check_text(st, "display name", name ? name : "", MAX_NAME, 0)) ||
	    (rc = store_check_text(st, "password hash", pass_hash, 512, 1)))
		return rc;
	if (!(s = prep(st, "INSERT INTO operators (login, name, role, pass_hash, disabled,"
			   " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, login);
	store_bind_text(s, 2, name ? name : "");
	store_bind_text(s, 3, role);
	store_bind_text(s, 4, pass_hash);
	sqlite3_bind_int64(s, 5, now_ms);
	rc = store_write_once(st, s, "adding an operator", NULL);
	if (rc == STORE_DUPLICATE)
		snprintf(st->err, sizeof st->err, "an operator with login %s exists", login);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int get_one(struct store *st, const char *sql, int64_t id, const char *login,
		   struct store_operator *out)
{
	sqlite3_stmt *s = prep(st, sql);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	if (login)
		store_bind_text(s, 1, login);
	else
		sqlite3_bind_int64(s, 1, id);
	memset(out, 0, sizeof *out);
	rc = store_step_one(st, s, "reading an operator");
	if (rc == 0) {
		read_operator(s, out, 1);
		rc = out->login && out->name && out->role && out->pass_hash ? 0 : -SQLITE_NOMEM;
		if (rc)
			store_operator_clear(out);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_operator_get(struct store *st, int64_t id, struct store_operator *out)
{
	return get_one(st, "SELECT " OP_COLS ", pass_hash FROM operators WHERE id = ?1", id,
		       NULL, out);
}

int store_operator_find(struct store *st, const char *login, struct store_operator *out)
{
	if (!login)
		return STORE_NOT_FOUND;
	return get_one(st, "SELECT " OP_COLS ", pass_hash FROM operators WHERE login = ?1", 0,
		       login, out);
}

int store_operators_foreach(struct store *st,
			    int (*cb)(void *arg, const struct store_operator *o), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " OP_COLS " FROM operators ORDER BY id");
	struct walk w = { .op = cb, .arg = arg };
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_rows(st, s, "listing operators", operator_row, &w);
	sqlite3_finalize(s);
	return rc;
}

static int count(struct store *st, const char *sql, int64_t *n_out)
{
	return store_one_int64(st, prep(st, sql), "counting", n_out);
}

int store_operator_count(struct store *st, int active_only, int64_t *n_out)
{
	return count(st, active_only ? "SELECT count(*) FROM operators WHERE NOT disabled"
				     : "SELECT count(*) FROM operators", n_out);
}

/* Runs an UPDATE of one operator (?1 id, ?2 value, ?3 now); STORE_NOT_FOUND if none. */
static int update_operator(struct store *st, const char *sql, int64_t id, const char *text,
			   int64_t value, int64_t now_ms, const char *what)
{
	sqlite3_stmt *s = prep(st, sql);
	int rc, n = 0;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (text)
		store_bind_text(s, 2, text);
	else
		sqlite3_bind_int64(s, 2, value);
	sqlite3_bind_int64(s, 3, now_ms);
	rc = store_write_once(st, s, what, &n);
	return rc ? rc : n ? 0 : STORE_NOT_FOUND;
}

static int delete_sessions_of(struct store *st, int64_t operator_id)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM operator_sessions WHERE operator_id = ?1");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, operator_id);
	return store_write_once(st, s, "ending an operator's sessions", NULL);
}

int store_operator_set_disabled(struct store *st, int64_t id, int disabled, int64_t now_ms)
{
	int rc = update_operator(st, "UPDATE operators SET disabled = ?2, updated_ms = ?3"
				     " WHERE id = ?1", id, NULL, disabled ? 1 : 0, now_ms,
				 "disabling an operator");

	return rc || !disabled ? rc : delete_sessions_of(st, id);
}

int store_operator_set_password(struct store *st, int64_t id, const char *pass_hash,
				int64_t now_ms)
{
	int rc = store_check_text(st, "password hash", pass_hash, 512, 1);

	if (rc)
		return rc;
	rc = update_operator(st, "UPDATE operators SET pass_hash = ?2, updated_ms = ?3"
				 " WHERE id = ?1", id, pass_hash, 0, now_ms,
			     "changing a password");
	return rc ? rc : delete_sessions_of(st, id);
}

int store_operator_set_last_login(struct store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s = prep(st, "UPDATE operators SET last_login_ms = ?2 WHERE id = ?1");
	int rc, n = 0;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	rc = store_write_once(st, s, "recording a login", &n);
	return rc ? rc : n ? 0 : STORE_NOT_FOUND;
}

/* ---- failed-login streaks ----------------------------------------------------------- */

int store_login_attempts_get(struct store *st, const char *login_hash,
			     struct store_login_attempts *out)
{
	sqlite3_stmt *s = prep(st, "SELECT failures, last_failed_ms, locked_until_ms"
				   " FROM login_attempts WHERE login_hash = ?1");
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, login_hash ? login_hash : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->failures = sqlite3_column_int(s, 0);
		out->last_failed_ms = sqlite3_column_int64(s, 1);
		out->locked_until_ms = sqlite3_column_int64(s, 2);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "reading login attempts");
	sqlite3_finalize(s);
	return rc;
}

int store_login_attempts_put(struct store *st, const char *login_hash,
			     const struct store_login_attempts *a)
{
	sqlite3_stmt *s;
	int rc = check_hash(st, "login hash", login_hash);

	if (rc)
		return rc;
	if (!(s = prep(st, "INSERT INTO login_attempts (login_hash, failures, last_failed_ms,"
			   " locked_until_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(login_hash) DO UPDATE"
			   " SET failures = ?2, last_failed_ms = ?3, locked_until_ms = ?4")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, login_hash);
	sqlite3_bind_int(s, 2, a->failures);
	sqlite3_bind_int64(s, 3, a->last_failed_ms);
	sqlite3_bind_int64(s, 4, a->locked_until_ms);
	return store_write_once(st, s, "recording a failed login", NULL);
}

int store_login_attempts_clear(struct store *st, const char *login_hash)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM login_attempts WHERE login_hash = ?1");

	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, login_hash ? login_hash : "");
	return store_write_once(st, s, "clearing login attempts", NULL);
}

int store_login_attempts_prune(struct store *st, int64_t before_ms)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM login_attempts WHERE last_failed_ms < ?1"
				   " AND locked_until_ms < ?1");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, before_ms);
	return store_write_once(st, s, "pruning login attempts", NULL);
}

/* ---- console sessions ---------------------------------------------------------------- */

int store_op_session_add(struct store *st, const char *id_hash, int64_t operator_id,
			 const char *csrf, const char *ip, int64_t now_ms)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = check_hash(st, "session id hash", id_hash)) ||
	    (rc = check_hash(st, "csrf token", csrf)) ||
	    (rc = store_check_text(st, "ip", ip ? ip : "", MAX_IP, 0)))
		return rc;
	if (!(s = prep(st, "INSERT INTO operator_sessions (id_hash, operator_id, csrf, ip,"
			   " created_ms, last_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, id_hash);
	sqlite3_bind_int64(s, 2, operator_id);
	store_bind_text(s, 3, csrf);
	store_bind_text(s, 4, ip ? ip : "");
	sqlite3_bind_int64(s, 5, now_ms);
	return store_write_once(st, s, "adding an operator session", NULL);
}

int store_op_session_find(struct store *st, const char *id_hash, struct store_op_session *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if (check_hash(st, "session id hash", id_hash))
		return STORE_NOT_FOUND;
	if (!(s = prep(st, "SELECT id, operator_id, csrf, created_ms, last_ms"
			   " FROM operator_sessions WHERE id_hash = ?1")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, id_hash);
	rc = store_step_one(st, s, "reading a session");
	if (rc == 0) {
		const unsigned char *c = sqlite3_column_text(s, 2);
		out->id = sqlite3_column_int64(s, 0);
		out->operator_id = sqlite3_column_int64(s, 1);
		snprintf(out->csrf, sizeof out->csrf, "%s", c ? (const char *)c : "");
		out->created_ms = sqlite3_column_int64(s, 3);
		out->last_ms = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_op_session_touch(struct store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s = prep(st, "UPDATE operator_sessions SET last_ms = ?2 WHERE id = ?1");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	return store_write_once(st, s, "touching a session", NULL);
}

int store_op_session_delete(struct store *st, const char *id_hash)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM operator_sessions WHERE id_hash = ?1");
	int rc, n = 0;

	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, id_hash ? id_hash : "");
	rc = store_write_once(st, s, "ending a session", &n);
	return rc ? rc : n ? 0 : STORE_NOT_FOUND;
}

int store_op_session_prune(struct store *st, int64_t idle_before_ms,
			   int64_t created_before_ms, int64_t *n_out)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM operator_sessions WHERE last_ms < ?1"
				   " OR created_ms < ?2");
	int rc, n = 0;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, idle_before_ms);
	sqlite3_bind_int64(s, 2, created_before_ms);
	rc = store_write_once(st, s, "pruning sessions", &n);
	if (rc == 0 && n_out)
		*n_out = n;
	return rc;
}

/* ---- API tokens ------------------------------------------------------------------------ */

void store_api_token_clear(struct store_api_token *t)
{
	if (!t)
		return;
	free(t->role);
	free(t->name);
	memset(t, 0, sizeof *t);
}

static void read_token(sqlite3_stmt *s, struct store_api_token *t)
{
	t->id = sqlite3_column_int64(s, 0);
	t->operator_id = sqlite3_column_int64(s, 1);
	t->role = store_col_dup(s, 2, 1);
	t->name = store_col_dup(s, 3, 1);
	t->created_ms = sqlite3_column_int64(s, 4);
	t->last_used_ms = sqlite3_column_int64(s, 5);
	t->revoked_ms = sqlite3_column_int64(s, 6);
}

static int token_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;
	struct store_api_token t = { 0 };
	int r;

	read_token(s, &t);
	r = w->token(w->arg, &t);
	store_api_token_clear(&t);
	return r;
}

int store_api_token_add(struct store *st, const char *token_hash, int64_t operator_id,
			const char *role, const char *name, int64_t now_ms, int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = check_hash(st, "token hash", token_hash)) || (rc = check_role(st, role)) ||
	    (rc = store_check_text(st, "token name", name ? name : "", MAX_NAME, 0)))
		return rc;
	if (!(s = prep(st, "INSERT INTO api_tokens (token_hash, operator_id, role, name,"
			   " created_ms) SELECT ?1, id, ?3, ?4, ?5 FROM operators WHERE id = ?2")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, token_hash);
	sqlite3_bind_int64(s, 2, operator_id);
	store_bind_text(s, 3, role);
	store_bind_text(s, 4, name ? name : "");
	sqlite3_bind_int64(s, 5, now_ms);
	int n = 0;
	rc = store_write_once(st, s, "adding an api token", &n);
	if (rc == 0 && n == 0) {
		snprintf(st->err, sizeof st->err, "no operator %lld", (long long)operator_id);
		return STORE_NOT_FOUND;
	}
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static int token_one(struct store *st, const char *where, int64_t id, const char *hash,
		     struct store_api_token *out)
{
	char sql[160];
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(sql, sizeof sql, "SELECT " TOKEN_COLS " FROM api_tokens WHERE %s = ?1", where);
	if (!(s = prep(st, sql)))
		return -SQLITE_ERROR;
	if (hash)
		store_bind_text(s, 1, hash);
	else
		sqlite3_bind_int64(s, 1, id);
	rc = store_step_one(st, s, "reading a token");
	if (rc == 0) {
		read_token(s, out);
		rc = out->role && out->name ? 0 : -SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

int store_api_token_find(struct store *st, const char *token_hash, struct store_api_token *out)
{
	if (check_hash(st, "token hash", token_hash)) {
		memset(out, 0, sizeof *out);
		return STORE_NOT_FOUND;
	}
	return token_one(st, "token_hash", 0, token_hash, out);
}

int store_api_token_get(struct store *st, int64_t id, struct store_api_token *out)
{
	return token_one(st, "id", id, NULL, out);
}

int store_api_token_touch(struct store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s = prep(st, "UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1");

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	return store_write_once(st, s, "touching a token", NULL);
}

int store_api_token_revoke(struct store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s = prep(st, "UPDATE api_tokens SET revoked_ms = ?2"
				   " WHERE id = ?1 AND revoked_ms IS NULL");
	int rc, n = 0;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	rc = store_write_once(st, s, "revoking a token", &n);
	return rc ? rc : n ? 0 : STORE_NOT_FOUND;
}

int store_api_tokens_foreach(struct store *st, int64_t operator_id,
			     int (*cb)(void *arg, const struct store_api_token *t), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " TOKEN_COLS " FROM api_tokens"
				   " WHERE ?1 = 0 OR operator_id = ?1 ORDER BY id");
	struct walk w = { .token = cb, .arg = arg };
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, operator_id);
	rc = store_rows(st, s, "listing tokens", token_row, &w);
	sqlite3_finalize(s);
	return rc;
}

/* ---- audit log --------------------------------------------------------------------------- */

int store_audit_add(struct store *st, const struct store_audit *a, int64_t now_ms)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = store_check_text(st, "audit action", a->action, STORE_MAX_SHORT, 1)) ||
	    (rc = store_check_text(st, "audit login", a->login ? a->login : "", 1024, 0)) ||
	    (rc = store_check_text(st, "audit object", a->object ? a->object : "", 1024, 0)) ||
	    (rc = store_check_text(st, "audit ip", a->ip ? a->ip : "", MAX_IP, 0)) ||
	    (a->changes && (rc = store_check_text(st, "audit changes", a->changes, MAX_CHANGES, 0))))
		return rc;
	if (!(s = prep(st, "INSERT INTO audit_log (created_ms, operator_id, login, action,"
			   " object, ip, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, now_ms);
	if (a->operator_id > 0)
		sqlite3_bind_int64(s, 2, a->operator_id);
	else
		sqlite3_bind_null(s, 2);
	store_bind_text(s, 3, a->login ? a->login : "");
	store_bind_text(s, 4, a->action);
	store_bind_text(s, 5, a->object ? a->object : "");
	store_bind_text(s, 6, a->ip ? a->ip : "");
	store_bind_text(s, 7, a->changes);
	return store_write_once(st, s, "writing the audit log", NULL);
}

static int audit_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;
	struct store_audit a = {
		.id = sqlite3_column_int64(s, 0),
		.created_ms = sqlite3_column_int64(s, 1),
		.operator_id = sqlite3_column_int64(s, 2),
		.login = (const char *)sqlite3_column_text(s, 3),
		.action = (const char *)sqlite3_column_text(s, 4),
		.object = (const char *)sqlite3_column_text(s, 5),
		.ip = (const char *)sqlite3_column_text(s, 6),
		.changes = (const char *)sqlite3_column_text(s, 7),
	};

	return w->audit(w->arg, &a);
}

int store_audit_foreach(struct store *st, int64_t since_ms, int limit,
			int (*cb)(void *arg, const struct store_audit *a), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT id, created_ms, operator_id, login, action, object,"
				   " ip, changes FROM audit_log WHERE created_ms >= ?1"
				   " ORDER BY created_ms DESC, id DESC LIMIT ?2");
	struct walk w = { .audit = cb, .arg = arg };
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	rc = store_rows(st, s, "reading the audit log", audit_row, &w);
	sqlite3_finalize(s);
	return rc;
}
