/* store/media.c — attachments: the bytes of voice clips and pictures customers sent
 * (schema v3 table `attachments`, see migrate.c), tied to the customer message row that
 * carries the transcript or the words + OCR text.
 *
 * The session-log writer adds an attachment inside the turn's transaction (writer.c), so a
 * committed reply always has its upload logged; workers read one back for an idempotent
 * resend (store_attachment_find).  These statements are prepared per call rather than
 * kept in stmt.c's cache: they run once per upload, next to a decode that costs
 * milliseconds to seconds, so the microseconds of a prepare do not matter.
 * Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

#define ATT_COLS "a.id, a.message_id, a.kind, a.mime, a.sha256, a.unsafe, a.meta, a.created_ms"

void store_attachment_clear(struct store_attachment *a)
{
	if (!a)
		return;
	free(a->kind);
	free(a->mime);
	free(a->data);
	free(a->meta);
	memset(a, 0, sizeof *a);
}

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

int store_attachment_add(struct store *st, int64_t message_id,
			 const struct store_attachment *a, int64_t *id_out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (!a->kind || !a->kind[0])
		return store_invalid(st, "attachment: kind is required");
	if (!is_hex64(a->sha256))
		return store_invalid(st, "attachment: sha256 must be 64 lowercase hex digits");
	if (a->len && !a->data)
		return store_invalid(st, "attachment: no data");
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO attachments (message_id, kind, mime, sha256, data,"
			       " unsafe, meta, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "preparing an attachment insert");
	sqlite3_bind_int64(s, 1, message_id);
	store_bind_text(s, 2, a->kind);
	store_bind_text(s, 3, a->mime ? a->mime : "");
	store_bind_text(s, 4, a->sha256);
	/* a zero-length blob, not NULL: the column is NOT NULL */
	sqlite3_bind_blob64(s, 5, a->len ? a->data : "", a->len, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, a->unsafe != 0);
	store_bind_text(s, 7, a->meta);
	sqlite3_bind_int64(s, 8, cm_wall_ms());
	rc = store_write_once(st, s, "logging an attachment", NULL);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/* Reads the row at s (ATT_COLS, then the data blob at column 8 when with_data). */
static int read_row(sqlite3_stmt *s, int with_data, struct store_attachment *out)
{
	const char *sha = (const char *)sqlite3_column_text(s, 4);

	out->id = sqlite3_column_int64(s, 0);
	out->message_id = sqlite3_column_int64(s, 1);
	out->kind = store_col_dup(s, 2, 1);
	out->mime = store_col_dup(s, 3, 1);
	snprintf(out->sha256, sizeof out->sha256, "%s", sha ? sha : "");
	out->unsafe = sqlite3_column_int(s, 5);
	out->meta = store_col_dup(s, 6, 0);
	out->created_ms = sqlite3_column_int64(s, 7);
	if (!out->kind || !out->mime)
		return -1;
	if (with_data) {
		int n = sqlite3_column_bytes(s, 8);
		const void *p = sqlite3_column_blob(s, 8);
		out->len = (size_t)n;
		out->data = malloc(n > 0 ? (size_t)n : 1);
		if (!out->data)
			return -1;
		if (n > 0)
			memcpy(out->data, p, (size_t)n);
	}
	return 0;
}

/* Steps a prepared look-up and fills out from its first row. */
static int fetch(struct store *st, sqlite3_stmt *s, int with_data,
		 struct store_attachment *out)
{
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_step_one(st, s, "reading an attachment");
	if (rc == 0 && read_row(s, with_data, out)) {
		store_attachment_clear(out);
		snprintf(st->err, sizeof st->err, "reading an attachment: out of memory");
		rc = -SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

int store_attachment_get(struct store *st, int64_t id, struct store_attachment *out)
{
	sqlite3_stmt *s = NULL;

	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(st->db, "SELECT " ATT_COLS ", a.data FROM attachments a"
			       " WHERE a.id = ?1", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "preparing an attachment look-up");
	sqlite3_bind_int64(s, 1, id);
	return fetch(st, s, 1, out);
}

int store_attachment_find(struct store *st, int64_t sid, const char *client_id,
			  int with_data, struct store_attachment *out)
{
	sqlite3_stmt *s = NULL;

	memset(out, 0, sizeof *out);
	if (!client_id)
		return STORE_NOT_FOUND;
	/* messages_client (session_id, client_id WHERE kind = 0) finds the message */
	if (sqlite3_prepare_v2(st->db, with_data ?
			       "SELECT " ATT_COLS ", a.data FROM messages m JOIN attachments a"
			       " ON a.message_id = m.id WHERE m.session_id = ?1 AND m.kind = 0"
			       " AND m.client_id = ?2 ORDER BY a.id LIMIT 1" :
			       "SELECT " ATT_COLS " FROM messages m JOIN attachments a"
			       " ON a.message_id = m.id WHERE m.session_id = ?1 AND m.kind = 0"
			       " AND m.client_id = ?2 ORDER BY a.id LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "preparing an attachment look-up");
	sqlite3_bind_int64(s, 1, sid);
	store_bind_text(s, 2, client_id);
	return fetch(st, s, with_data, out);
}
