/* store/answer_views.c — the answer store as the console reads and shapes it: the list
 * with its filters (words, language, enabled, pictures, weak answers: few examples or a
 * low F1 in the latest model report), one answer with its follow-ups, examples and
 * pictures, the follow-up quick replies (set, and walked by nlu_bot_load), and taking a
 * picture away from its answer.  The read models are JSON text built by SQLite's JSON
 * functions in one statement each (as in conversations.c); the changes run inside the
 * caller's versioned change (answer_versions.c, store_answer_change).  Statements are
 * prepared per call.  Runs on the thread that owns the connection (an API worker in
 * kefud, the CLI, the bot loader).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

#define prep(st, sql) store_prep(st, sql, "preparing an answer statement")

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

/* ---- the console's read models -------------------------------------------------------------- */

int store_answer_json(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT json_object('id', a.id, 'title', a.title, 'body', a.body, 'lang', a.lang,"
		" 'tags', a.tags, 'enabled', json(CASE WHEN a.enabled THEN 'true' ELSE 'false' END),"
		" 'created_ms', a.created_ms, 'updated_ms', a.updated_ms, 'expects', a.expects,"
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
	return store_one_text(st, s, "reading an answer", "", out);
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
	return store_one_text(st, s, "listing answers", "", out);
}
