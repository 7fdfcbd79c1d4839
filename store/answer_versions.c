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
 * snapshots.  Pictures are bytes: a revert links again the pictures of the old snapshot
 * that are still stored; a picture deleted since (a picture without a label is deleted
 * when removed from its answer) cannot come back and is counted as missing.
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

/* The snapshot of answer row `a` as one JSON text. */
#define SNAPSHOT_EXPR \
	"json_object('title', a.title, 'body', a.body, 'lang', a.lang, 'tags', a.tags," \
	" 'enabled', json(CASE WHEN a.enabled THEN 'true' ELSE 'false' END)," \
	" 'followups', json(a.followups)," \
	" 'examples', json((SELECT json_group_array(text) FROM (SELECT text FROM examples" \
	"   WHERE answer_id = a.id ORDER BY id)))," \
	" 'pictures', json((SELECT json_group_array(json_object('id', id, 'sha256', sha256," \
	"   'label', label, 'source', source)) FROM (SELECT id, sha256, label, source" \
	"   FROM pictures WHERE answer_id = a.id ORDER BY id))))"

/* Steps a per-call statement for one text column 0 into *out (malloc'd); finalizes it.
 * 0, STORE_NOT_FOUND (no row), < 0. */
static int one_text(struct store *st, sqlite3_stmt *s, const char *what, char **out)
{
	int rc;

	*out = NULL;
	if (!s)
		return -SQLITE_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = store_col_dup(s, 0, 1);
		rc = *out ? 0 : -SQLITE_NOMEM;
	} else {
		rc = rc == SQLITE_DONE ? STORE_NOT_FOUND : store_fail(st, what);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_answer_snapshot(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st, "SELECT " SNAPSHOT_EXPR " FROM answers a WHERE a.id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return one_text(st, s, "reading an answer's snapshot", out);
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

int store_answer_version_add(struct store *st, int64_t id, const struct store_who *who,
			     const char *action, int64_t *version_out)
{
	char *now = NULL, *last = NULL;
	int64_t v = 0;
	int rc;

	if ((rc = store_answer_snapshot(st, id, &now)) || (rc = latest(st, id, &v, &last)))
		goto out;
	if (!last || strcmp(last, now))
		rc = insert_version(st, id, ++v, action ? action : "edit", who, now);
	if (!rc && version_out)
		*version_out = v;
out:
	free(now);
	free(last);
	return rc;
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
	int64_t v;
	char *before = NULL;
	int rc;

	if ((rc = latest(st, c->id, &v, NULL)))
		return rc;
	if (v == 0) {          /* the first change: keep what was there before it */
		if ((rc = store_answer_snapshot(st, c->id, &before)))
			return rc;
		rc = insert_version(st, c->id, 1, "initial", NULL, before);
		free(before);
		if (rc)
			return rc;
	}
	if ((rc = c->fn(c->arg, st)))
		return rc;
	return store_answer_version_add(st, c->id, c->who, c->action, &c->version);
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

/* ---- follow-ups and pictures ------------------------------------------------------------------ */

int store_answer_set_followups(struct store *st, int64_t id, const int64_t *ids, int n)
{
	json_t *arr;
	char *text;
	sqlite3_stmt *s;
	int64_t found;
	int rc = 0;

	if (n < 0 || n > STORE_MAX_FOLLOWUPS)
		return store_invalid(st, "at most %d follow-ups", STORE_MAX_FOLLOWUPS);
	if (!(arr = json_array()))
		return -SQLITE_NOMEM;
	for (int i = 0; i < n && !rc; i++) {
		if (ids[i] == id)
			rc = store_invalid(st, "an answer cannot follow itself");
		for (int j = 0; j < i && !rc; j++)
			if (ids[j] == ids[i])
				rc = store_invalid(st, "follow-up %lld listed twice", (long long)ids[i]);
		if (rc)
			break;
		s = prep(st, "SELECT id FROM answers WHERE id = ?1");
		if (s)
			sqlite3_bind_int64(s, 1, ids[i]);
		rc = store_one_int64(st, s, "reading a follow-up", &found);
		if (rc == STORE_NOT_FOUND)
			rc = store_invalid(st, "follow-up %lld is no answer", (long long)ids[i]);
		if (!rc && json_array_append_new(arr, json_integer(ids[i])))
			rc = -SQLITE_NOMEM;
	}
	text = rc ? NULL : json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (rc)
		return rc;
	if (!text)
		return -SQLITE_NOMEM;
	s = prep(st, "UPDATE answers SET followups = ?2, updated_ms = ?3 WHERE id = ?1");
	if (!s) {
		free(text);
		return -SQLITE_ERROR;
	}
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, text);
	sqlite3_bind_int64(s, 3, cm_wall_ms());
	rc = store_step_write(st, s, "setting follow-ups");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	sqlite3_finalize(s);
	free(text);
	return rc;
}

struct followup_walk {
	int (*cb)(void *arg, int64_t answer_id, int64_t followup_id);
	void *arg;
};

static int followup_row(void *arg, sqlite3_stmt *s)
{
	struct followup_walk *w = arg;
	return w->cb(w->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
}

int store_followups_foreach(struct store *st,
			    int (*cb)(void *arg, int64_t answer_id, int64_t followup_id),
			    void *arg)
{
	struct followup_walk w = { cb, arg };
	sqlite3_stmt *s = prep(st, "SELECT a.id, j.value FROM answers a, json_each(a.followups) j"
			       " WHERE json_valid(a.followups) ORDER BY a.id, j.key");
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_rows(st, s, "reading follow-ups", followup_row, &w);
	sqlite3_finalize(s);
	return rc;
}

int store_answer_picture_remove(struct store *st, int64_t answer_id, int64_t picture_id)
{
	/* a labelled picture still teaches its category: it only leaves the answer */
	static const char *const sql[] = {
		"UPDATE pictures SET answer_id = NULL WHERE id = ?1 AND answer_id = ?2"
		" AND label != ''",
		"DELETE FROM pictures WHERE id = ?1 AND answer_id = ?2 AND label = ''",
	};
	int changed = 0, rc = 0;

	for (size_t i = 0; i < 2 && !rc; i++) {
		sqlite3_stmt *s = prep(st, sql[i]);
		if (!s)
			return -SQLITE_ERROR;
		sqlite3_bind_int64(s, 1, picture_id);
		sqlite3_bind_int64(s, 2, answer_id);
		rc = store_step_write(st, s, "removing a picture from an answer");
		changed += sqlite3_changes(st->db);
		sqlite3_finalize(s);
	}
	return rc ? rc : changed ? 0 : STORE_NOT_FOUND;
}

int store_picture_answer(struct store *st, int64_t picture_id, int64_t *answer_id_out)
{
	sqlite3_stmt *s = prep(st, "SELECT coalesce(answer_id, 0) FROM pictures WHERE id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, picture_id);
	return store_one_int64(st, s, "reading a picture's answer", answer_id_out);
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
	return one_text(st, s, "listing an answer's versions", out);
}

int store_answer_version_get(struct store *st, int64_t id, int64_t version, char **snapshot)
{
	sqlite3_stmt *s = prep(st, "SELECT snapshot FROM answer_versions"
			       " WHERE answer_id = ?1 AND version = ?2");

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, version);
	}
	return one_text(st, s, "reading an answer version", snapshot);
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
	for (int k = 0; k < n_now; k++) {
		int keep = 0;
		json_array_foreach(pics, i, v)
			keep |= json_integer_value(json_object_get(v, "id")) == now[k];
		if (!keep && (rc = store_answer_picture_remove(st, r->id, now[k])) < 0)
			return rc;
	}
	json_array_foreach(pics, i, v) {
		int64_t pid = json_integer_value(json_object_get(v, "id"));
		if ((rc = store_picture_answer(st, pid, &cur)) == STORE_NOT_FOUND) {
			r->missing++;
			continue;
		}
		if (rc)
			return rc;
		if (cur != r->id && (rc = run1(st, "UPDATE pictures SET answer_id = ?2 WHERE id = ?1",
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

/* ---- the console's read models -------------------------------------------------------------- */

int store_answer_json(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT json_object('id', a.id, 'title', a.title, 'body', a.body, 'lang', a.lang,"
		" 'tags', a.tags, 'enabled', json(CASE WHEN a.enabled THEN 'true' ELSE 'false' END),"
		" 'created_ms', a.created_ms, 'updated_ms', a.updated_ms,"
		" 'followups', json((SELECT coalesce(json_group_array(json_object('id', f.id,"
		"   'title', f.title)), '[]') FROM (SELECT f.id, f.title FROM json_each(a.followups) j"
		"   JOIN answers f ON f.id = j.value ORDER BY j.key) f)),"
		" 'examples', json((SELECT json_group_array(json_object('id', id, 'text', text))"
		"   FROM (SELECT id, text FROM examples WHERE answer_id = a.id ORDER BY id))),"
		" 'pictures', json((SELECT json_group_array(json_object('id', id, 'label', label,"
		"   'source', source, 'sha256', sha256, 'bytes', length(data),"
		"   'embedded', json(CASE WHEN embedding IS NULL THEN 'false' ELSE 'true' END),"
		"   'url', '/api/v1/pictures/' || id)) FROM (SELECT * FROM pictures"
		"   WHERE answer_id = a.id ORDER BY id)))," 
		" 'version', (SELECT coalesce(max(version), 0) FROM answer_versions v"
		"   WHERE v.answer_id = a.id))"
		" FROM answers a WHERE a.id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return one_text(st, s, "reading an answer", out);
}

/* The answers that pass f, as rows of the list (?1 … ?7 the filter's values). */
#define LIST_ROWS \
	"WITH rep AS (SELECT CASE WHEN json_valid(metrics) THEN metrics END AS m" \
	"   FROM models WHERE kind = 'nlu' ORDER BY version DESC LIMIT 1)," \
	" f1 AS (SELECT CAST(json_extract(e.value, '$.answer_id') AS INTEGER) AS aid," \
	"   json_extract(e.value, '$.f1') AS f1 FROM rep, json_each(rep.m, '$.per_answer') e" \
	"   WHERE rep.m IS NOT NULL)," \
	" rows AS (SELECT a.id, a.title, a.lang, a.enabled, a.updated_ms," \
	"   substr(a.body, 1, 160) AS preview," \
	"   (SELECT count(*) FROM examples e WHERE e.answer_id = a.id) AS n_ex," \
	"   (SELECT count(*) FROM pictures p WHERE p.answer_id = a.id) AS n_pic," \
	"   (SELECT f1 FROM f1 WHERE f1.aid = a.id) AS f1," \
	"   (SELECT coalesce(max(version), 0) FROM answer_versions v WHERE v.answer_id = a.id)" \
	"     AS version" \
	"   FROM answers a WHERE (?1 IS NULL OR a.title LIKE ?1 ESCAPE '\\'" \
	"     OR a.body LIKE ?1 ESCAPE '\\' OR EXISTS (SELECT 1 FROM examples e" \
	"     WHERE e.answer_id = a.id AND e.text LIKE ?1 ESCAPE '\\'))" \
	"   AND (?2 IS NULL OR a.lang = ?2) AND (?3 < 0 OR a.enabled = ?3))," \
	" hits AS (SELECT *, (n_ex < ?5 OR coalesce(f1 < ?6, 0)) AS weak FROM rows" \
	"   WHERE (?4 < 0 OR (n_pic > 0) = ?4))" \
	" SELECT json_object('answers', json((SELECT coalesce(json_group_array(json_object(" \
	"   'id', id, 'title', title, 'lang', lang," \
	"   'enabled', json(CASE WHEN enabled THEN 'true' ELSE 'false' END)," \
	"   'updated_ms', updated_ms, 'preview', preview, 'examples', n_ex, 'pictures', n_pic," \
	"   'f1', f1, 'weak', json(CASE WHEN weak THEN 'true' ELSE 'false' END)," \
	"   'version', version)), '[]') FROM (SELECT * FROM hits WHERE (?7 = 0 OR weak)" \
	"   ORDER BY id LIMIT ?8 OFFSET ?9)))," \
	"  'total', (SELECT count(*) FROM hits WHERE (?7 = 0 OR weak))," \
	"  'f1_report', json(CASE WHEN EXISTS (SELECT 1 FROM f1) THEN 'true' ELSE 'false' END)," \
	"  'weak_examples', ?5, 'weak_f1', ?6)"

int store_answers_list_json(struct store *st, const struct store_answer_filter *f, char **out)
{
	sqlite3_stmt *s = prep(st, LIST_ROWS);
	char *like = NULL;

	if (!s)
		return -SQLITE_ERROR;
	if (f->q && f->q[0]) {
		/* LIKE with % and _ escaped: the words as written */
		size_t n = strlen(f->q), o = 0;
		if (!(like = malloc(2 * n + 3))) {
			sqlite3_finalize(s);
			return -SQLITE_NOMEM;
		}
		like[o++] = '%';
		for (size_t i = 0; i < n; i++) {
			if (f->q[i] == '%' || f->q[i] == '_' || f->q[i] == '\\')
				like[o++] = '\\';
			like[o++] = f->q[i];
		}
		like[o++] = '%';
		like[o] = '\0';
	}
	store_bind_text(s, 1, like);
	store_bind_text(s, 2, f->lang && f->lang[0] ? f->lang : NULL);
	sqlite3_bind_int(s, 3, f->enabled);
	sqlite3_bind_int(s, 4, f->pictures);
	sqlite3_bind_int(s, 5, f->weak_examples > 0 ? f->weak_examples : STORE_WEAK_EXAMPLES);
	sqlite3_bind_double(s, 6, f->weak_f1 > 0 ? f->weak_f1 : STORE_WEAK_F1);
	sqlite3_bind_int(s, 7, f->weak ? 1 : 0);
	sqlite3_bind_int(s, 8, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int(s, 9, f->offset > 0 ? f->offset : 0);
	free(like);
	return one_text(st, s, "listing answers", out);
}
