/* store/models.c — trained model blobs, versioned per kind, live or candidate.
 *
 * Versions count up from 1 per kind.  The next version is computed inside the INSERT
 * itself (MAX(version) + 1 ... RETURNING version), so two processes saving a model at
 * once get distinct versions (the write lock serialises them; UNIQUE(kind, version)
 * backs it up).  One version per kind is live (the partial UNIQUE index models_live):
 * the one kefud loads; the others are candidates not yet made live or earlier ones kept
 * for a rollback.  A training run saves its "nlu" model and, with run = that version,
 * its picture and fusion models: making the "nlu" version live makes them live too.
 * Blobs are read whole into memory: models are loaded once at start-up or on reload,
 * never per request.  Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

struct activate {
	const char *kind;
	int64_t version, now;
};

static int exec_bound(struct store *st, const char *sql, const struct activate *a,
		      int *changes)
{
	sqlite3_stmt *s = store_prep(st, sql, "making a model live");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, a->kind);
	sqlite3_bind_int64(s, 2, a->version);
	sqlite3_bind_int64(s, 3, a->now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "making a model live");
	if (changes)
		*changes = sqlite3_changes(st->db);
	return 0;
}

static int activate_tx(void *arg, struct store *st)
{
	const struct activate *a = arg;
	int n = 0, rc;

	if ((rc = exec_bound(st, "UPDATE models SET live = 0 WHERE kind = ?1 AND live = 1"
			     " AND version <> ?2", a, NULL)) ||
	    (rc = exec_bound(st, "UPDATE models SET live = 1, live_ms = ?3"
			     " WHERE kind = ?1 AND version = ?2", a, &n)))
		return rc;
	if (n == 0) {
		snprintf(st->err, sizeof st->err, "no %s model version %lld", a->kind,
			 (long long)a->version);
		return STORE_NOT_FOUND;
	}
	/* the picture and fusion models of the same training go live with it */
	if ((rc = exec_bound(st, "UPDATE models SET live = 0 WHERE live = 1 AND kind <> ?1"
			     " AND kind IN (SELECT kind FROM models WHERE run = ?2 AND kind <> ?1)"
			     "", a, NULL)) ||
	    (rc = exec_bound(st, "UPDATE models SET live = 1, live_ms = ?3"
			     " WHERE run = ?2 AND kind <> ?1", a, NULL)))
		return rc;
	return 0;
}

int store_model_activate(struct store *st, const char *kind, int64_t version)
{
	struct activate a = { kind, version, cm_wall_ms() };
	int rc = store_check_text(st, "model kind", kind, STORE_MAX_SHORT, 1);

	return rc ? rc : store_transaction(st, activate_tx, &a);
}

static int one_version(struct store *st, const char *sql, const char *kind, int64_t *v)
{
	sqlite3_stmt *s = store_prep(st, sql, "reading the model versions");

	if (s)
		store_bind_text(s, 1, kind);
	return store_one_int64(st, s, "reading the model versions", v);
}

int store_model_live_version(struct store *st, const char *kind, int64_t *version)
{
	return one_version(st, "SELECT version FROM models WHERE kind = ?1 AND live = 1", kind,
			   version);
}

int store_model_latest_version(struct store *st, const char *kind, int64_t *version)
{
	/* store_model_latest's choice (SQ_MODEL_LATEST's order), without the blob */
	int rc = one_version(st, "SELECT version FROM models WHERE kind = ?1"
			     " ORDER BY live DESC, version DESC LIMIT 1", kind, version);

	if (rc == STORE_NOT_FOUND) {
		*version = 0;
		rc = 0;
	}
	return rc;
}

int store_model_previous(struct store *st, const char *kind, int64_t *version)
{
	return one_version(st, "SELECT version FROM models WHERE kind = ?1 AND live = 0"
			   " AND live_ms IS NOT NULL ORDER BY live_ms DESC, version DESC LIMIT 1",
			   kind, version);
}

struct each {
	int (*fn)(void *arg, const struct store_model_info *m);
	void *arg;
};

static int each_row(void *arg, sqlite3_stmt *s)
{
	const struct each *e = arg;
	struct store_model_info m = {
		.kind = (const char *)sqlite3_column_text(s, 0),
		.version = sqlite3_column_int64(s, 1),
		.created_ms = sqlite3_column_int64(s, 2),
		.live = sqlite3_column_int(s, 3),
		.live_ms = sqlite3_column_int64(s, 4),
		.run = sqlite3_column_int64(s, 5),
		.bytes = sqlite3_column_int64(s, 6),
		.metrics = (const char *)sqlite3_column_text(s, 7),
		.data_hash = (const char *)sqlite3_column_text(s, 8),
		.has_report = sqlite3_column_int(s, 9),
	};
	return e->fn(e->arg, &m);
}

int store_models_foreach(struct store *st, const char *kind,
			 int (*fn)(void *arg, const struct store_model_info *m), void *arg)
{
	struct each e = { fn, arg };
	sqlite3_stmt *s = store_prep(st, "SELECT kind, version, created_ms, live,"
				     " COALESCE(live_ms, 0), COALESCE(run, 0), length(blob), metrics,"
				     " data_hash, report IS NOT NULL FROM models"
				     " WHERE ?1 IS NULL OR kind = ?1 ORDER BY kind, version DESC",
				     "listing the models");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, kind);
	rc = store_rows(st, s, "listing the models", each_row, &e);
	sqlite3_finalize(s);
	return rc;
}

int store_model_report(struct store *st, const char *kind, int64_t version, char **report)
{
	sqlite3_stmt *s = store_prep(st, "SELECT report FROM models WHERE kind = ?1"
				     " AND version = ?2", "reading a model report");
	int rc;

	*report = NULL;
	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, version);
	rc = store_step_one(st, s, "reading a model report");
	if (rc == 0) {
		*report = store_col_dup(s, 0, 0);
		rc = *report || sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : -SQLITE_NOMEM;
		if (rc == 0 && !*report)
			rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(s);
	return rc;
}

struct prune {
	const char *kind;
	int keep, deleted;
};

static int prune_tx(void *arg, struct store *st)
{
	struct prune *p = arg;
	static const char *const sql[] = {
		/* the kind's versions past the newest `keep`, never the live one */
		"DELETE FROM models WHERE kind = ?1 AND live = 0 AND version NOT IN"
		" (SELECT version FROM models WHERE kind = ?1 ORDER BY version DESC LIMIT ?2)",
		/* models of other kinds whose training's version is gone */
		"DELETE FROM models WHERE kind <> ?1 AND live = 0 AND run IS NOT NULL AND run NOT IN"
		" (SELECT version FROM models WHERE kind = ?1)",
	};

	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		sqlite3_stmt *s = store_prep(st, sql[i], "deleting old models");
		if (!s)
			return -SQLITE_ERROR;
		store_bind_text(s, 1, p->kind);
		sqlite3_bind_int(s, 2, p->keep);
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return store_fail(st, "deleting old models");
		p->deleted += sqlite3_changes(st->db);
	}
	return 0;
}

int store_models_prune(struct store *st, const char *kind, int keep, int *deleted)
{
	struct prune p = { kind, keep < 1 ? 1 : keep, 0 };
	int rc = store_check_text(st, "model kind", kind, STORE_MAX_SHORT, 1);

	if (!rc)
		rc = store_transaction(st, prune_tx, &p);
	if (deleted)
		*deleted = rc ? 0 : p.deleted;
	return rc;
}

int store_model_put(struct store *st, const char *kind, const void *blob, size_t len,
		    const char *metrics_json, const char *data_hash, int64_t *version_out)
{
	struct store_model_new m = { kind, blob, len, metrics_json, data_hash, NULL, 0, 1 };

	return store_model_save(st, &m, version_out);
}

struct save {
	const struct store_model_new *m;
	int64_t version;
};

static int save_tx(void *arg, struct store *st)
{
	struct save *sv = arg;
	const struct store_model_new *m = sv->m;
	sqlite3_stmt *s;
	int rc;

	if (!(s = store_stmt(st, SQ_MODEL_PUT)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, m->kind);
	/* a zero-length blob must still be non-NULL for the NOT NULL column */
	sqlite3_bind_blob64(s, 2, m->len ? m->blob : "", (sqlite3_uint64)m->len, SQLITE_STATIC);
	store_bind_text(s, 3, m->metrics);
	store_bind_text(s, 4, m->data_hash);
	sqlite3_bind_int64(s, 5, cm_wall_ms());
	store_bind_text(s, 6, m->report);
	if (m->run)
		sqlite3_bind_int64(s, 7, m->run);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sv->version = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, "saving a model");
	store_stmt_done(s);
	if (rc == 0 && m->live) {
		struct activate a = { m->kind, sv->version, cm_wall_ms() };
		rc = activate_tx(&a, st);
	}
	return rc;
}

int store_model_save(struct store *st, const struct store_model_new *m, int64_t *version_out)
{
	struct save sv = { m, 0 };
	int rc = store_check_text(st, "model kind", m->kind, STORE_MAX_SHORT, 1);

	if (rc)
		return rc;
	if (!m->blob && m->len)
		return store_invalid(st, "model blob is missing");
	rc = store_transaction(st, save_tx, &sv);
	if (rc == 0 && version_out)
		*version_out = sv.version;
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
	rc = store_step_one(st, s, "loading a model");
	if (rc == 0) {
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
	}
	store_stmt_done(s);
	return rc;
}
