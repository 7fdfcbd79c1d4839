/* store/answer_versions.c — every change of an answer as a version: who, when, what.
 *
 * A version is a row of answer_versions (schema step 7): the answer's number 1, 2, …,
 * the action ("edit", "example.add", "picture.remove", "revert:3", "import", …), the
 * operator (id and login; id NULL and "cli:USER" for the command line) and a JSON
 * snapshot of the whole answer after the change:
 *
 *   {"title", "body", "lang", "tags", "enabled", "followups": [ids],
 *    "examples": [texts in id order], "pictures": [{"id", "sha256", "label", "source"}]}
 *
 * store_answer_change runs a change inside one transaction: when the answer has no
 * version yet its state before the change is kept first as version 1 ("initial"), then
 * the change, then the new version — only when the snapshot differs from the latest, so
 * a change that changes nothing records nothing.  The diff of two versions and the
 * revert (which applies an old snapshot and is itself a new version) work on these
 * snapshots.  Pictures are versioned by reference (their ids in the snapshot), their
 * bytes are not copied: a revert makes the answer's pictures those of the old snapshot.
 * Pictures the old version did not have (added since) leave the answer but are not
 * deleted (answer_id NULL: a labelled one keeps teaching its category, an unlabelled
 * one is kept for a later revert and deleted with the answer), so reverting to a
 * version that had them links them again.  A picture deleted since (Remove deletes an
 * unlabelled picture: the operator asked for it) or that belongs to another answer now
 * cannot come back and is counted as missing.
 *
 * The snapshots are built by SQLite's JSON functions in one statement (as in
 * conversations.c); statements are prepared per call (rare, next to chat turns).  Runs
 * on the thread that owns the connection.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

#define prep(st, sql) store_prep(st, sql, "preparing an answer-version statement")

int store_answer_snapshot(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st, "SELECT " STORE_ANSWER_SNAPSHOT_SQL " FROM answers a WHERE a.id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return store_one_text(st, s, "reading an answer's snapshot", "", out);
}

/* The latest version of answer id: *version (0 when none) and its snapshot (may be
 * NULL: not wanted).  0 or < 0. */
static int latest(struct store *st, int64_t id, int64_t *version, char **snapshot)
{
	sqlite3_stmt *s = prep(st, "SELECT version, snapshot FROM answer_versions"
			       " WHERE answer_id = ?1 ORDER BY version DESC LIMIT 1");
	int rc;

	*version = 0;
	if (snapshot)
		*snapshot = NULL;
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(s, 0);
		if (snapshot && !(*snapshot = store_col_dup(s, 1, 1)))
			rc = -SQLITE_NOMEM;
		else
			rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_fail(st, "reading an answer's versions");
	}
	sqlite3_finalize(s);
	return rc;
}

static int insert_version(struct store *st, int64_t id, int64_t version, const char *action,
			  const struct store_who *who, const char *snapshot)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO answer_versions (answer_id, version, action,"
			       " operator_id, login, snapshot, created_ms)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, version);
	store_bind_text(s, 3, action);
	if (who && who->operator_id > 0)
		sqlite3_bind_int64(s, 4, who->operator_id);
	store_bind_text(s, 5, who && who->login ? who->login : "");
	store_bind_text(s, 6, snapshot);
	sqlite3_bind_int64(s, 7, cm_wall_ms());
	rc = store_step_write(st, s, "recording an answer version");
	sqlite3_finalize(s);
	return rc;
}

int store_answer_version_after(struct store *st, int64_t id, const struct store_who *who,
			       const char *action, const char *before, int64_t *version_out)
{
	char *now = NULL, *last = NULL;
	int64_t v = 0;
	int rc;

	if ((rc = store_answer_snapshot(st, id, &now)) || (rc = latest(st, id, &v, &last)))
		goto out;
	if (v == 0 && before && strcmp(before, now)) {
		/* the first change of an answer: keep what was there before it */
		if ((rc = insert_version(st, id, ++v, "initial", NULL, before)))
			goto out;
		free(last);
		last = strdup(before);
	}
	if (!last || strcmp(last, now))
		rc = insert_version(st, id, ++v, action ? action : "edit", who, now);
	if (!rc && version_out)
		*version_out = v;
out:
	free(now);
	free(last);
	return rc;
}

int store_answer_version_add(struct store *st, int64_t id, const struct store_who *who,
			     const char *action, int64_t *version_out)
{
	return store_answer_version_after(st, id, who, action, NULL, version_out);
}

int store_answer_versions_mark(struct store *st, int64_t *mark_out)
{
	sqlite3_stmt *s = prep(st, "SELECT coalesce(max(id), 0) FROM answer_versions");

	return store_one_int64(st, s, "reading the last answer version", mark_out);
}

int store_pictures_mark(struct store *st, int64_t *mark_out)
{
	/* which pictures there are and whose they are: any add, delete or move changes it */
	sqlite3_stmt *s = prep(st, "SELECT count(*) * 1000003 + coalesce(sum((id * 7919"
			       " + coalesce(answer_id, 0)) % 2147483647), 0) FROM pictures");

	return store_one_int64(st, s, "reading the pictures' mark", mark_out);
}

int store_content_mark(struct store *st, int64_t *mark_out)
{
	/* small tables, an index's end or a partial index (models_live: the models'
	 * blobs are never read) only: read every POLL_MS by kefud's live thread.
	 * An answer row changed (updated_ms), an example added (the rowid's end), a
	 * variant, button, synonym or text set or removed, a model trained, activated or
	 * rolled back: each term moves; the sum wraps like any checksum would. */
	sqlite3_stmt *s = prep(st, "SELECT"
		" (SELECT count(*) * 1000003 + coalesce(max(updated_ms), 0) FROM answers)"
		" + (SELECT coalesce(max(id), 0) * 7919 FROM examples)"
		" + (SELECT count(*) * 104729 + coalesce(sum(length(body) * (position + 1)), 0)"
		"    FROM answer_variants)"
		" + (SELECT count(*) * 15485863 + coalesce(sum((length(title) + length(target))"
		"    * (position + 1)), 0) FROM answer_buttons)"
		" + (SELECT count(*) * 32452843 + coalesce(sum(length(word) * 31"
		"    + length(canonical) + unicode(canonical)), 0) FROM synonyms)"
		" + (SELECT count(*) * 49979687 + coalesce(sum(updated_ms % 1000000007), 0)"
		"    FROM texts)"
		" + (SELECT coalesce(max(id), 0) * 67867967 FROM models)"
		" + (SELECT coalesce(sum(id), 0) * 1009 FROM models WHERE live = 1)");

	return store_one_int64(st, s, "reading the store's content mark", mark_out);
}

static int run1(struct store *st, const char *sql, int64_t a, int64_t b, const char *what)
{
	sqlite3_stmt *s = prep(st, sql);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) > 1)
		sqlite3_bind_int64(s, 2, b);
	rc = store_step_write(st, s, what);
	sqlite3_finalize(s);
	return rc;
}

struct deletion {
	int64_t id;
	const struct store_who *who;
};

static int delete_tx(void *arg, struct store *st)
{
	struct deletion *d = arg;
	int64_t id = d->id;
	const struct store_who *who = d->who;
	char *snap = NULL;
	int64_t v = 0;
	int rc;

	/* the last version says "delete" and keeps the answer as it was */
	if ((rc = store_answer_snapshot(st, id, &snap)) || (rc = latest(st, id, &v, NULL)) ||
	    (rc = insert_version(st, id, v + 1, "delete", who, snap)))
		goto out;
	/* its pictures go with it (the foreign key's cascade), and so do the unlabelled
	 * ones a revert took off it and kept for a later revert */
	if ((rc = run1(st, "DELETE FROM pictures WHERE answer_id IS NULL AND label = ''"
		       " AND id IN (SELECT json_extract(p.value, '$.id') FROM answer_versions v,"
		       " json_each(v.snapshot, '$.pictures') p WHERE v.answer_id = ?1)", id, 0,
		       "deleting an answer's kept pictures")))
		goto out;
	rc = store_answer_delete(st, id);
out:
	free(snap);
	return rc;
}

int store_answer_delete_versioned(struct store *st, int64_t id, const struct store_who *who)
{
	struct deletion d = { id, who };
	return store_transaction(st, delete_tx, &d);
}

/* ---- a change in one transaction ------------------------------------------------------------ */

struct change {
	int64_t id;
	const struct store_who *who;
	const char *action;
	int (*fn)(void *arg, struct store *st);
	void *arg;
	int64_t version;
};

static int change_tx(void *arg, struct store *st)
{
	struct change *c = arg;
	char *before = NULL;
	int rc;

	if (!(rc = store_answer_snapshot(st, c->id, &before)) && !(rc = c->fn(c->arg, st)))
		rc = store_answer_version_after(st, c->id, c->who, c->action, before, &c->version);
	free(before);
	return rc;
}

int store_answer_change(struct store *st, int64_t id, const struct store_who *who,
			const char *action, int (*fn)(void *arg, struct store *st), void *arg,
			int64_t *version_out)
{
	struct change c = { id, who, action, fn, arg, 0 };
	int rc = store_transaction(st, change_tx, &c);

	if (!rc && version_out)
		*version_out = c.version;
	return rc;
}

/* ---- history, diff, revert ---------------------------------------------------------------------- */

int store_answer_versions_json(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st, "SELECT coalesce(json_group_array(json_object('version', version,"
			       " 'action', action, 'operator_id', operator_id, 'login', login,"
			       " 'created_ms', created_ms)), '[]') FROM (SELECT * FROM answer_versions"
			       " WHERE answer_id = ?1 ORDER BY version DESC)");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return store_one_text(st, s, "listing an answer's versions", "[]", out);
}

int store_answer_version_get(struct store *st, int64_t id, int64_t version, char **snapshot)
{
	sqlite3_stmt *s = prep(st, "SELECT snapshot FROM answer_versions"
			       " WHERE answer_id = ?1 AND version = ?2");

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, version);
	}
	return store_one_text(st, s, "reading an answer version", "", snapshot);
}

/* Strings of a JSON array found in none of b's (by json_equal): a new array. */
static json_t *minus(json_t *a, json_t *b, const char *key)
{
	json_t *out = json_array(), *x, *y;
	size_t i, j;

	json_array_foreach(a, i, x) {
		int seen = 0;
		json_array_foreach(b, j, y)
			if (key ? json_equal(json_object_get(x, key), json_object_get(y, key))
				: json_equal(x, y)) {
				seen = 1;
				break;
			}
		if (!seen)
			json_array_append(out, x);
	}
	return out;
}

int store_answer_diff_json(struct store *st, int64_t id, int64_t from, int64_t to, char **out)
{
	static const char *const fields[] = { "title", "body", "lang", "tags", "enabled",
					      "followups" };
	char *sa = NULL, *sb = NULL;
	json_t *a = NULL, *b = NULL, *d = NULL, *f;
	int rc;

	*out = NULL;
	if ((rc = store_answer_version_get(st, id, from, &sa)) ||
	    (rc = store_answer_version_get(st, id, to, &sb)))
		goto done;
	a = json_loads(sa, 0, NULL);
	b = json_loads(sb, 0, NULL);
	if (!a || !b) {
		rc = store_invalid(st, "a stored snapshot is not JSON");
		goto done;
	}
	d = json_pack("{s:I, s:I, s:I, s:o, s:{s:o, s:o}, s:{s:o, s:o}}", "answer_id",
		      (json_int_t)id, "from", (json_int_t)from, "to", (json_int_t)to,
		      "fields", json_object(),
		      "examples", "added", minus(json_object_get(b, "examples"),
					   json_object_get(a, "examples"), NULL),
		      "removed", minus(json_object_get(a, "examples"),
				       json_object_get(b, "examples"), NULL),
		      "pictures", "added", minus(json_object_get(b, "pictures"),
					   json_object_get(a, "pictures"), "sha256"),
		      "removed", minus(json_object_get(a, "pictures"),
				       json_object_get(b, "pictures"), "sha256"));
	if (!d) {
		rc = -SQLITE_NOMEM;
		goto done;
	}
	f = json_object_get(d, "fields");
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		json_t *x = json_object_get(a, fields[i]), *y = json_object_get(b, fields[i]);
		if (!json_equal(x, y))
			json_object_set_new(f, fields[i], json_pack("{s:O?, s:O?}", "from", x,
								    "to", y));
	}
	if (!(*out = json_dumps(d, JSON_COMPACT)))
		rc = -SQLITE_NOMEM;
done:
	json_decref(a);
	json_decref(b);
	json_decref(d);
	free(sa);
	free(sb);
	return rc;
}

struct revert {
	int64_t id;
	json_t *snap;
	int missing;         /* pictures of the snapshot no longer stored */
};

static int revert_fn(void *arg, struct store *st)
{
	struct revert *r = arg;
	json_t *s = r->snap, *v, *ex = json_object_get(s, "examples");
	json_t *pics = json_object_get(s, "pictures"), *fu = json_object_get(s, "followups");
	struct store_answer a = {
		.id = r->id, .title = (char *)json_string_value(json_object_get(s, "title")),
		.body = (char *)json_string_value(json_object_get(s, "body")),
		.lang = (char *)json_string_value(json_object_get(s, "lang")),
		.tags = (char *)json_string_value(json_object_get(s, "tags")),
		.enabled = json_is_true(json_object_get(s, "enabled")),
	};
	int64_t ids[STORE_MAX_FOLLOWUPS], cur, found;
	int n = 0, rc;
	size_t i;

	if ((rc = store_answer_update(st, &a)))
		return rc;
	/* follow-ups that still exist */
	json_array_foreach(fu, i, v) {
		sqlite3_stmt *q = prep(st, "SELECT id FROM answers WHERE id = ?1");
		if (q)
			sqlite3_bind_int64(q, 1, json_integer_value(v));
		rc = store_one_int64(st, q, "reading a follow-up", &found);
		if (rc < 0)
			return rc;
		if (!rc && n < STORE_MAX_FOLLOWUPS && found != r->id)
			ids[n++] = found;
	}
	if ((rc = store_answer_set_followups(st, r->id, ids, n)))
		return rc;
	if ((rc = run1(st, "DELETE FROM examples WHERE answer_id = ?1", r->id, 0,
		       "reverting examples")))
		return rc;
	json_array_foreach(ex, i, v)
		if ((rc = store_example_add(st, r->id, json_string_value(v))) &&
		    rc != STORE_DUPLICATE)
			return rc;
	/* pictures: those of the snapshot come back, the others leave */
	sqlite3_stmt *q = prep(st, "SELECT id FROM pictures WHERE answer_id = ?1 ORDER BY id");
	int64_t now[256];
	int n_now = 0;
	if (!q)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(q, 1, r->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && n_now < 256)
		now[n_now++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	/* a picture the version did not have leaves the answer but stays stored (a revert
	 * destroys nothing: reverting to a version that had it links it again) */
	for (int k = 0; k < n_now; k++) {
		int keep = 0;
		json_array_foreach(pics, i, v)
			keep |= json_integer_value(json_object_get(v, "id")) == now[k];
		if (!keep && (rc = run1(st, "UPDATE pictures SET answer_id = NULL WHERE id = ?1"
					" AND answer_id = ?2", now[k], r->id, "detaching a picture")))
			return rc;
	}
	json_array_foreach(pics, i, v) {
		int64_t pid = json_integer_value(json_object_get(v, "id"));
		if ((rc = store_picture_answer(st, pid, &cur)) == STORE_NOT_FOUND ||
		    (rc == 0 && cur != 0 && cur != r->id)) {
			r->missing++;        /* deleted since, or another answer's now */
			continue;
		}
		if (rc)
			return rc;
		if (cur == 0 && (rc = run1(st, "UPDATE pictures SET answer_id = ?2 WHERE id = ?1",
					   pid, r->id, "linking a picture again")))
			return rc;
	}
	return 0;
}

int store_answer_revert(struct store *st, int64_t id, int64_t version,
			const struct store_who *who, int64_t *version_out, int *missing_pictures)
{
	char *text = NULL, action[48];
	struct revert r = { id, NULL, 0 };
	int rc = store_answer_version_get(st, id, version, &text);

	if (rc)
		return rc;
	r.snap = json_loads(text, 0, NULL);
	free(text);
	if (!r.snap)
		return store_invalid(st, "version %lld's snapshot is not JSON", (long long)version);
	snprintf(action, sizeof action, "revert:%lld", (long long)version);
	rc = store_answer_change(st, id, who, action, revert_fn, &r, version_out);
	json_decref(r.snap);
	if (missing_pictures)
		*missing_pictures = r.missing;
	return rc;
}
