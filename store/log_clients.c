/* store/log_clients.c — the resend index: which customer message of a session carries a
 * client id, kept by passes from a watermark instead of with every logged turn.
 *
 * A client id is unique within its session: a customer's resend (after a reconnect, a
 * kill -9 of kefud) is found and answered with what was logged, never logged twice,
 * and feedback and uploads name a message by it.  Until schema step 16 the unique
 * index messages_client (session_id, client_id) held every customer message: each
 * logged turn inserted into its session's page of it, so a commit of n turns of n
 * sessions dirtied n pages of that index alone, written to the WAL at COMMIT and copied
 * again by the checkpoint (38 of a commit's 90 WAL frames under bench/ws's load,
 * docs/performance.md "Issue 14, fifth pass").
 *
 * Now message_clients (session_id, client_id) -> id holds the customer messages at or
 * below client_index.last_id, and a pass (store_log_clients_pass) adds those above it,
 * sorted, and moves the watermark, in one transaction: a session's page is written once
 * a pass for all of its turns since the last.  The messages above the watermark are
 * found through messages_session (session_id, id, client_id) without reading their
 * rows: a look-up (STORE_CLIENT_MSG, store_int.h) walks the session's entries above
 * the watermark, so the store writer runs a pass once any session has CLIENT_TAIL or
 * more customer messages above it (store/writer.c), keeping that walk short.
 * store_message_add looks a customer's client id up before it writes the message, in
 * the same write transaction, so the id stays unique within its session.
 *
 * Deleting a message (forget, purge, retention, a session's cascade) removes its entry
 * (trigger message_clients_delete); the same trigger lowers the watermark when the
 * newest messages are deleted, so their ids, handed out again, are looked up above it.
 *
 * Runs on the thread that owns the connection given.
 */
#include "store_int.h"

int store_log_clients_pass(struct store *st, int64_t *added)
{
	int own = sqlite3_get_autocommit(st->db);   /* not inside the caller's transaction */
	int64_t lo = 0, hi = 0;
	sqlite3_stmt *s;
	int rc, changes = 0;

	if (added)
		*added = 0;
	if (own && store_exec(st, "BEGIN IMMEDIATE"))
		return store_fail(st, "starting a resend index pass");
	if ((rc = store_one_int64(st, store_prep(st, "SELECT last_id FROM client_index",
						 "reading the resend index"),
				  "reading the resend index", &lo)) ||
	    (rc = store_one_int64(st, store_prep(st, "SELECT coalesce(max(id), 0) FROM messages",
						 "reading the resend index"),
				  "reading the resend index", &hi))) {
		rc = rc < 0 ? rc : store_invalid(st, "the resend index has no watermark");
		goto fail;
	}
	/* hi < lo: the newest messages were deleted where the trigger could not lower the
	 * watermark; the ids handed out next must be above it */
	if (hi > lo) {
		s = store_prep(st, "INSERT INTO message_clients (session_id, client_id, id)"
			       " SELECT session_id, client_id, id FROM messages"
			       " WHERE id > ?1 AND id <= ?2 AND kind = 0 AND client_id IS NOT NULL"
			       " ORDER BY session_id, client_id, id ON CONFLICT DO NOTHING",
			       "preparing the resend index");
		if (s) {
			sqlite3_bind_int64(s, 1, lo);
			sqlite3_bind_int64(s, 2, hi);
		}
		if ((rc = store_write_once(st, s, "indexing client ids", &changes)))
			goto fail;
	}
	if (hi != lo) {
		s = store_prep(st, "UPDATE client_index SET last_id = ?1",
			       "preparing the resend index");
		if (s)
			sqlite3_bind_int64(s, 1, hi);
		if ((rc = store_write_once(st, s, "moving the resend index", NULL)))
			goto fail;
	}
	if (own && store_exec(st, "COMMIT")) {
		rc = store_fail(st, "committing a resend index pass");
		goto fail;
	}
	if (added)
		*added = changes;
	return 0;
fail:
	if (own)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
