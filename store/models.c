/* store/models.c — trained model blobs, versioned per kind.
 *
 * Versions count up from 1 per kind.  The next version is computed inside the INSERT
 * itself (MAX(version) + 1 ... RETURNING version), so two processes saving a model at
 * once get distinct versions (the write lock serialises them; UNIQUE(kind, version)
 * backs it up).  Blobs are read whole into memory: models are loaded once at start-up
 * or on reload, never per request.  Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

int store_model_put(struct store *st, const char *kind, const void *blob, size_t len,
		    const char *metrics_json, const char *data_hash, int64_t *version_out)
{
	sqlite3_stmt *s;
	int rc = store_check_text(st, "model kind", kind, STORE_MAX_SHORT, 1);

	if (rc)
		return rc;
	if (!blob && len)
		return store_invalid(st, "model blob is missing");
	if (!(s = store_stmt(st, SQ_MODEL_PUT)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, kind);
	/* a zero-length blob must still be non-NULL for the NOT NULL column */
	sqlite3_bind_blob64(s, 2, len ? blob : "", (sqlite3_uint64)len, SQLITE_STATIC);
	store_bind_text(s, 3, metrics_json);
	store_bind_text(s, 4, data_hash);
	sqlite3_bind_int64(s, 5, cm_wall_ms());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE && version_out)
			*version_out = v;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, "saving a model");
	store_stmt_done(s);
	return rc;
}

int store_model_latest(struct store *st, const char *kind, void **blob, size_t *len,
		       int64_t *version_out)
{
	sqlite3_stmt *s = kind ? store_stmt(st, SQ_MODEL_LATEST) : NULL;
	int rc;

	*blob = NULL;
	*len = 0;
	if (!s)
		return kind ? -SQLITE_ERROR : STORE_NOT_FOUND;
	store_bind_text(s, 1, kind);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		void *copy = malloc(n ? n : 1);
		if (!copy) {
			rc = -SQLITE_NOMEM;
		} else {
			if (n)
				memcpy(copy, p, n);
			*blob = copy;
			*len = n;
			if (version_out)
				*version_out = sqlite3_column_int64(s, 1);
			rc = 0;
		}
	} else {
		rc = rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, "loading a model");
	}
	store_stmt_done(s);
	return rc;
}
