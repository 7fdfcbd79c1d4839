/* store/sessions.c — chat sessions, reading the message log, and counts.
 *
 * Sessions are named to clients by a token of 128 bits from getrandom(2) written as 32
 * lowercase hex characters; the row id never leaves the server.  Messages are written
 * by the log writer (writer.c) in turns; this file reads them back (history, resend
 * look-up) and also holds store_message_add for single messages outside a turn.
 * Runs on the thread that owns the connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "store_int.h"

void store_message_clear(struct store_message *m)
{
	if (!m)
		return;
	free(m->client_id);
	free(m->text);
	free(m->meta);
	memset(m, 0, sizeof *m);
}

/* Fills token with 32 lowercase hex chars + NUL; 0 or -errno. */
static int random_token(char token[STORE_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[STORE_TOKEN_LEN / 2];
	size_t got = 0;

	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		token[2 * i] = hex[raw[i] >> 4];
		token[2 * i + 1] = hex[raw[i] & 15];
	}
	token[STORE_TOKEN_LEN] = '\0';
	return 0;
}

int store_session_create(struct store *st, const char *channel, int64_t *sid_out,
			 char token_out[STORE_TOKEN_LEN + 1])
{
	sqlite3_stmt *s;
	char token[STORE_TOKEN_LEN + 1];
	int rc = store_check_text(st, "channel", channel ? channel : "", STORE_MAX_SHORT, 0);

	if (rc)
		return rc;
	if (!(s = store_stmt(st, SQ_SESSION_ADD)))
		return -SQLITE_ERROR;
	/* a token collision is a 2^-128 event; one retry is more than enough */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (random_token(token)) {
			snprintf(st->err, sizeof st->err, "getrandom failed");
			return -SQLITE_ERROR;
		}
		store_bind_text(s, 1, token);
		store_bind_text(s, 2, channel ? channel : "");
		sqlite3_bind_int64(s, 3, cm_wall_ms());
		rc = store_step_write(st, s, "creating a session");
		if (rc != STORE_DUPLICATE)
			break;
	}
	if (rc)
		return rc > 0 ? -SQLITE_CONSTRAINT : rc;
	if (sid_out)
		*sid_out = sqlite3_last_insert_rowid(st->db);
	if (token_out)
		memcpy(token_out, token, sizeof token);
	return 0;
}

static int is_token(const char *t)
{
	size_t i;

	if (!t)
		return 0;
	for (i = 0; t[i]; i++)
		if (i >= STORE_TOKEN_LEN || !((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return i == STORE_TOKEN_LEN;
}

int store_session_find(struct store *st, const char *token, int64_t *sid_out)
{
	sqlite3_stmt *s;
	int rc;

	if (!is_token(token))
		return STORE_NOT_FOUND;   /* never hand odd strings to SQLite as keys */
	if (!(s = store_stmt(st, SQ_SESSION_FIND)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, token);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sid_out)
			*sid_out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, "finding a session");
	}
	store_stmt_done(s);
	return rc;
}

static int session_exists(struct store *st, int64_t sid)
{
	sqlite3_stmt *s = store_stmt(st, SQ_SESSION_EXISTS);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = sqlite3_step(s);
	store_stmt_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, "finding a session");
}

int store_session_close(struct store *st, int64_t sid)
{
	sqlite3_stmt *s = store_stmt(st, SQ_SESSION_CLOSE);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int64(s, 2, cm_wall_ms());
	rc = store_step_write(st, s, "closing a session");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = session_exists(st, sid);   /* already closed is fine; unknown is not */
	return rc;
}

int store_session_drop_if_empty(struct store *st, int64_t sid, int *dropped)
{
	sqlite3_stmt *s = store_stmt(st, SQ_SESSION_DROP_EMPTY);
	int rc;

	if (dropped)
		*dropped = 0;
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = store_step_write(st, s, "dropping an empty session");
	if (rc == 0 && dropped)
		*dropped = sqlite3_changes(st->db) > 0;
	return rc;
}

/* Fills m from a row of MESSAGE_COLS (stmt.c); 0 or -SQLITE_NOMEM. */
static int read_message(sqlite3_stmt *s, struct store_message *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(s, 0);
	m->session_id = sqlite3_column_int64(s, 1);
	m->kind = sqlite3_column_int(s, 2);
	m->client_id = store_col_dup(s, 3, 0);
	m->text = store_col_dup(s, 4, 1);
	m->answer_id = sqlite3_column_int64(s, 5);
	m->confidence = sqlite3_column_double(s, 6);
	m->latency_us = sqlite3_column_int(s, 7);
	m->meta = store_col_dup(s, 8, 0);
	m->created_ms = sqlite3_column_int64(s, 9);
	if (!m->text || (!m->client_id && sqlite3_column_type(s, 3) != SQLITE_NULL) ||
	    (!m->meta && sqlite3_column_type(s, 8) != SQLITE_NULL)) {
		store_message_clear(m);
		return -SQLITE_NOMEM;
	}
	return 0;
}

struct history_walk {
	int (*cb)(void *arg, const struct store_message *m);
	void *arg;
};

static int history_row(void *arg, sqlite3_stmt *s)
{
	struct history_walk *w = arg;
	struct store_message m;
	int r = read_message(s, &m);

	if (r == 0) {
		r = w->cb(w->arg, &m);
		store_message_clear(&m);
	}
	return r;
}

int store_history(struct store *st, int64_t sid, int limit,
		  int (*cb)(void *arg, const struct store_message *m), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, SQ_HISTORY);
	struct history_walk w = { cb, arg };

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	return store_rows(st, s, "reading a session's history", history_row, &w);
}

int store_turn_find(struct store *st, int64_t sid, const char *client_id,
		    struct store_message *reply_out)
{
	sqlite3_stmt *s;
	int rc;

	memset(reply_out, 0, sizeof *reply_out);
	if (!client_id)
		return STORE_NOT_FOUND;
	if (!(s = store_stmt(st, SQ_TURN_FIND)))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	store_bind_text(s, 2, client_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = read_message(s, reply_out);
	else
		rc = rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, "finding a turn");
	store_stmt_done(s);
	return rc;
}

int store_message_add(struct store *st, int64_t sid, int kind, const char *client_id,
		      const char *text, int64_t answer_id, double confidence, int latency_us,
		      const char *meta, int64_t reply_to, int64_t *id_out)
{
	sqlite3_stmt *s = store_stmt(st, SQ_MESSAGE_ADD);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int(s, 2, kind);
	/* no copies: the texts outlive the step, which clears the bindings */
	store_bind_static(s, 3, kind == STORE_MSG_CUSTOMER ? client_id : NULL);
	store_bind_static(s, 4, text ? text : "");
	if (kind == STORE_MSG_BOT || kind == STORE_MSG_OPERATOR) {
		if (answer_id > 0)
			sqlite3_bind_int64(s, 5, answer_id);
		sqlite3_bind_double(s, 6, confidence);
		sqlite3_bind_int(s, 7, latency_us);
	}
	store_bind_static(s, 8, meta);
	if (reply_to > 0)
		sqlite3_bind_int64(s, 9, reply_to);
	sqlite3_bind_int64(s, 10, cm_wall_ms());
	rc = store_step_write(st, s, "logging a message");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_DUPLICATE;    /* this client id was already logged (ON CONFLICT) */
	if (rc < 0 && sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		snprintf(st->err, sizeof st->err, "logging a message: no session %lld",
			 (long long)sid);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	/* the session's side of it (re-opened, a conversation, its language): the
	 * triggers' work before the step "session state kept by the writer" */
	if (rc == 0)
		rc = store_log_session_note(st, sid, kind, meta);
	return rc;
}

int store_session_touch(struct store *st, int64_t sid)
{
	sqlite3_stmt *s = store_stmt(st, SQ_SESSION_TOUCH);

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int64(s, 2, cm_wall_ms());
	return store_step_write(st, s, "updating a session");
}

/* Runs a single-value COUNT query into *out. */
static int count(struct store *st, enum store_stmt_id id, int64_t *out)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_fail(st, "counting");
	}
	store_stmt_done(s);
	return rc;
}

/* One row of SQ_STATS_MESSAGES (kind, count) into the store_stats at arg. */
static int kind_count_row(void *arg, sqlite3_stmt *s)
{
	struct store_stats *out = arg;
	int kind = sqlite3_column_int(s, 0);
	int64_t n = sqlite3_column_int64(s, 1);

	if (kind == STORE_MSG_CUSTOMER)
		out->customer_messages = n;
	else if (kind == STORE_MSG_BOT)
		out->bot_replies = n;
	return 0;
}

int store_stats(struct store *st, struct store_stats *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = count(st, SQ_STATS_SESSIONS, &out->sessions)) ||
	    (rc = count(st, SQ_STATS_ANSWERS, &out->answers)) ||
	    (rc = store_count_examples(st, &out->examples)))
		return rc;
	if (!(s = store_stmt(st, SQ_STATS_MESSAGES)))
		return -SQLITE_ERROR;
	return store_rows(st, s, "counting messages", kind_count_row, out);
}
