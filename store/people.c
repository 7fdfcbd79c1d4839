/* store/people.c — what customers tell us about the service: thumbs up/down on a bot
 * reply (feedback), a 1-5 star rating of the session (ratings) and requests to talk to
 * a person (handoffs + sessions.state).  Tables: schema v3 in migrate.c.
 *
 * These frames are rare next to chat turns, so the statements here are prepared per
 * call (sqlite3_prepare_v3, finalized before return) rather than kept in stmt.c's
 * cached table; each function is one short transaction at most.  Runs on the thread
 * that owns the connection (a daemon worker).
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

#define STORE_MAX_COMMENT 2000   /* rating comment, hand-off reason (characters ~ bytes/4) */

/* Per-call statements of this file, reported as one kind on failure. */
#define prep(st, sql) store_prep(st, sql, "preparing a people statement")

/* Row id of the bot reply to the customer message client_id of session sid. */
static int find_reply(struct store *st, int64_t sid, const char *client_id, int64_t *id_out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT b.id FROM messages c JOIN messages b ON b.reply_to = c.id"
		" WHERE c.session_id = ?1 AND c.kind = 0 AND c.client_id = ?2"
		"   AND b.kind IN (1, 2) ORDER BY b.id DESC LIMIT 1");

	if (s) {
		sqlite3_bind_int64(s, 1, sid);
		store_bind_text(s, 2, client_id);
	}
	return store_one_int64(st, s, "finding a reply", id_out);
}

int store_feedback_set(struct store *st, int64_t sid, const char *client_id, int value)
{
	sqlite3_stmt *s;
	int64_t reply_id = 0;
	int rc;

	if (value != 1 && value != -1)
		return store_invalid(st, "feedback value must be 1 or -1, not %d", value);
	if ((rc = store_check_text(st, "message id", client_id, STORE_MAX_SHORT, 1)))
		return rc;
	if ((rc = find_reply(st, sid, client_id, &reply_id)))
		return rc;
	s = prep(st, "INSERT INTO feedback (session_id, message_id, value, created_ms)"
		     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(message_id) DO UPDATE"
		     " SET value = excluded.value, created_ms = excluded.created_ms");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int64(s, 2, reply_id);
	sqlite3_bind_int(s, 3, value);
	sqlite3_bind_int64(s, 4, cm_wall_ms());
	return store_write_once(st, s, "recording feedback", NULL);
}

int store_feedback_get(struct store *st, int64_t sid, const char *client_id, int *value_out)
{
	sqlite3_stmt *s;
	int64_t reply_id = 0, value = 0;
	int rc = find_reply(st, sid, client_id ? client_id : "", &reply_id);

	if (rc)
		return rc;
	if ((s = prep(st, "SELECT value FROM feedback WHERE message_id = ?1")))
		sqlite3_bind_int64(s, 1, reply_id);
	if ((rc = store_one_int64(st, s, "reading feedback", &value)) == 0)
		*value_out = (int)value;
	return rc;
}

int store_rating_add(struct store *st, int64_t sid, int stars, const char *comment,
		     int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc;

	if (stars < 1 || stars > 5)
		return store_invalid(st, "stars must be 1 to 5, not %d", stars);
	if ((rc = store_check_text(st, "rating comment", comment ? comment : "",
				   STORE_MAX_COMMENT * 4, 0)))
		return rc;
	s = prep(st, "INSERT INTO ratings (session_id, stars, comment, created_ms)"
		     " VALUES (?1, ?2, ?3, ?4)");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	sqlite3_bind_int(s, 2, stars);
	store_bind_text(s, 3, comment ? comment : "");
	sqlite3_bind_int64(s, 4, cm_wall_ms());
	rc = store_write_once(st, s, "recording a rating", NULL);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

struct handoff_tx {
	int64_t sid;
	const char *reason, *note;
	int64_t id;
	int created;
};

/* The open hand-off of a session: 0 with *id, STORE_NOT_FOUND, or < 0. */
static int open_handoff(struct store *st, int64_t sid, int64_t *id)
{
	sqlite3_stmt *s = prep(st, "SELECT id FROM handoffs WHERE session_id = ?1"
				   " AND closed_ms IS NULL ORDER BY id LIMIT 1");

	if (s)
		sqlite3_bind_int64(s, 1, sid);
	return store_one_int64(st, s, "finding a hand-off", id);
}

static int handoff_fn(void *arg, struct store *st)
{
	struct handoff_tx *h = arg;
	sqlite3_stmt *s;
	int64_t now = cm_wall_ms();
	int rc = open_handoff(st, h->sid, &h->id);

	if (rc != STORE_NOT_FOUND)
		return rc;             /* 0: one is open already (created stays 0) */
	if (!(s = prep(st, "INSERT INTO handoffs (session_id, reason, requested_ms)"
			   " VALUES (?1, ?2, ?3)")))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, h->sid);
	store_bind_text(s, 2, h->reason ? h->reason : "");
	sqlite3_bind_int64(s, 3, now);
	if ((rc = store_write_once(st, s, "opening a hand-off", NULL)))
		return rc;
	h->id = sqlite3_last_insert_rowid(st->db);
	if (!(s = prep(st, "UPDATE sessions SET state = 'waiting', last_ms = ?2 WHERE id = ?1")))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, h->sid);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = store_write_once(st, s, "marking the session waiting", NULL)))
		return rc;
	if (h->note) {
		rc = store_message_add(st, h->sid, STORE_MSG_SYSTEM, NULL, h->note, 0, 0, 0,
				       "{\"event\":\"handoff\"}", 0, NULL);
		if (rc)
			return rc < 0 ? rc : -SQLITE_ERROR;
	}
	h->created = 1;
	return 0;
}

int store_handoff_request(struct store *st, int64_t sid, const char *reason,
			  const char *note, int64_t *id_out, int *created_out)
{
	struct handoff_tx h = { .sid = sid, .reason = reason, .note = note };
	int rc;

	if ((rc = store_check_text(st, "hand-off reason", reason ? reason : "",
				   STORE_MAX_COMMENT * 4, 0)))
		return rc;
	rc = store_transaction(st, handoff_fn, &h);
	if (rc)
		return rc;
	if (id_out)
		*id_out = h.id;
	if (created_out)
		*created_out = h.created;
	return 0;
}

int store_session_state(struct store *st, int64_t sid, char *out, size_t outlen)
{
	sqlite3_stmt *s = prep(st, "SELECT state FROM sessions WHERE id = ?1");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, sid);
	rc = store_step_one(st, s, "reading a session");
	if (rc == 0) {
		const unsigned char *v = sqlite3_column_text(s, 0);
		snprintf(out, outlen, "%s", v ? (const char *)v : "");
	}
	sqlite3_finalize(s);
	return rc;
}
