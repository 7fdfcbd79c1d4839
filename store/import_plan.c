/* store/import_plan.c — an import that says what it does: added, changed, removed.
 *
 * store_import_plan runs the CSV or JSON importer (io.c) inside a transaction of its
 * own, between two snapshots of every answer (answer_versions.c's snapshot: fields,
 * follow-ups, examples, pictures), and compares them by title: answers only after are
 * added, answers whose snapshot differs are changed (with the fields and how many
 * examples came and went), answers only before are removed — which happens only with
 * replace, where the answers whose title the file does not name are deleted (the file's
 * titles are read here: the answer_title column, or each answer's "title").  A dry run
 * then rolls
 * everything back, so the console can show the plan before anyone applies it; applied,
 * each added or changed answer gets a version (action "import") in the same
 * transaction.  The importers stay the one implementation of the formats: this file
 * only watches them.  Runs on the thread that owns the connection.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "store_int.h"

#define DRY_RUN_DONE 1000        /* change_fn's return to roll a dry run back */

/* {title: {"id": n, "snap": text}} of every answer. */
static int all_snapshots(struct store *st, json_t **out)
{
	sqlite3_stmt *s = store_prep(st, "SELECT a.id, a.title, " STORE_ANSWER_SNAPSHOT_SQL
				     " FROM answers a ORDER BY a.id", "preparing the import snapshot");
	json_t *m = json_object();
	int rc;

	if (!s || !m) {
		sqlite3_finalize(s);
		json_decref(m);
		return -SQLITE_ERROR;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(m, (const char *)sqlite3_column_text(s, 1),
				    json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(s, 0),
					      "snap", (const char *)sqlite3_column_text(s, 2)));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(m);
		return store_fail(st, "reading the answers before an import");
	}
	*out = m;
	return 0;
}

/* How many strings of a are not in b. */
static int n_minus(json_t *a, json_t *b)
{
	size_t i, j;
	json_t *x, *y;
	int n = 0;

	json_array_foreach(a, i, x) {
		int seen = 0;
		json_array_foreach(b, j, y)
			if (json_equal(x, y)) {
				seen = 1;
				break;
			}
		n += !seen;
	}
	return n;
}

static json_t *changed_item(const char *title, const char *was, const char *now)
{
	static const char *const fields[] = { "title", "body", "lang", "tags", "enabled",
					      "followups" };
	json_t *a = json_loads(was, 0, NULL), *b = json_loads(now, 0, NULL);
	json_t *names = json_array();

	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
		if (!json_equal(json_object_get(a, fields[i]), json_object_get(b, fields[i])))
			json_array_append_new(names, json_string(fields[i]));
	json_t *j = json_pack("{s:s, s:o, s:i, s:i}", "title", title, "fields", names,
			      "examples_added", n_minus(json_object_get(b, "examples"),
							json_object_get(a, "examples")),
			      "examples_removed", n_minus(json_object_get(a, "examples"),
							  json_object_get(b, "examples")));
	json_decref(a);
	json_decref(b);
	return j;
}

/* {title: true} of the answers the file names; NULL with err when it cannot be read
 * (the importer then says why in its own words). */
static json_t *file_titles(const char *format, const char *data, size_t len)
{
	json_t *set = json_object();

	if (!set)
		return NULL;
	if (!strcmp(format, "csv")) {
		struct cm_csv r;
		long col = -1;
		cm_csv_init(&r, data, len);
		if (cm_csv_next(&r) == 1)
			for (size_t i = 0; i < r.n_fields; i++)
				if (!strcmp(r.fields[i], "answer_title"))
					col = (long)i;
		while (col >= 0 && cm_csv_next(&r) == 1)
			if ((size_t)col < r.n_fields)
				json_object_set_new(set, r.fields[col], json_true());
		cm_csv_free(&r);
	} else {
		json_t *root = json_loadb(data, len, 0, NULL), *v;
		json_t *arr = json_is_array(root) ? root : json_object_get(root, "answers");
		size_t i;
		json_array_foreach(arr, i, v) {
			const char *t = json_string_value(json_object_get(v, "title"));
			if (t)
				json_object_set_new(set, t, json_true());
		}
		json_decref(root);
	}
	return set;
}

struct plan {
	const char *format, *data;
	size_t len;
	int dry_run, replace;
	const struct store_who *who;
	json_t *report;
	char *err;
	size_t errlen;
};

static int plan_tx(void *arg, struct store *st)
{
	struct plan *p = arg;
	struct store_import_result r = { 0 };
	json_t *before = NULL, *after = NULL, *v, *added, *changed, *removed;
	const char *title;
	int rc;

	if ((rc = all_snapshots(st, &before)))
		goto out;
	if (!strcmp(p->format, "csv"))
		rc = store_import_csv(st, p->data, p->len, &r, p->err, p->errlen);
	else
		rc = store_import_json(st, p->data, p->len, &r, p->err, p->errlen);
	if (rc)
		goto out;
	if (p->replace) {           /* what the file does not name goes */
		json_t *named = file_titles(p->format, p->data, p->len), *v;
		const char *t;
		if (!named) {
			rc = -SQLITE_NOMEM;
			goto out;
		}
		json_object_foreach(before, t, v)
			if (!json_object_get(named, t) && (rc = store_answer_delete_versioned(st,
					json_integer_value(json_object_get(v, "id")), p->who)))
				break;
		json_decref(named);
		if (rc)
			goto out;
	}
	if ((rc = all_snapshots(st, &after)))
		goto out;
	added = json_array();
	changed = json_array();
	removed = json_array();
	p->report = json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:b}", "added", added,
			      "changed", changed, "removed", removed, "counts", "answers_added",
			      (json_int_t)r.answers_added, "answers_updated",
			      (json_int_t)r.answers_updated, "examples_added",
			      (json_int_t)r.examples_added, "duplicates", (json_int_t)r.duplicates,
			      "applied", !p->dry_run);
	if (!p->report) {
		rc = -SQLITE_NOMEM;
		goto out;
	}
	json_object_foreach(after, title, v) {
		json_t *was = json_object_get(before, title);
		const char *now = json_string_value(json_object_get(v, "snap"));
		int64_t id = json_integer_value(json_object_get(v, "id"));
		if (!was)
			json_array_append_new(added, json_string(title));
		else if (strcmp(json_string_value(json_object_get(was, "snap")), now))
			json_array_append_new(changed, changed_item(title, json_string_value(
				json_object_get(was, "snap")), now));
		else
			continue;
		if (!p->dry_run && (rc = store_answer_version_after(st, id, p->who, "import",
				was ? json_string_value(json_object_get(was, "snap")) : NULL, NULL)))
			goto out;
	}
	json_object_foreach(before, title, v)
		if (!json_object_get(after, title))
			json_array_append_new(removed, json_string(title));
	rc = p->dry_run ? DRY_RUN_DONE : 0;
out:
	json_decref(before);
	json_decref(after);
	if (rc && rc != DRY_RUN_DONE && p->err[0] == '\0')
		snprintf(p->err, p->errlen, "%s", store_errmsg(st));
	return rc;
}

int store_import_plan(struct store *st, const char *format, const char *data, size_t len,
		      int dry_run, int replace, const struct store_who *who, char **report_json,
		      char *err, size_t errlen)
{
	struct plan p = { format, data, len, dry_run, replace, who, NULL, err, errlen };
	int rc;

	*report_json = NULL;
	err[0] = '\0';
	if (!format || (strcmp(format, "csv") && strcmp(format, "json"))) {
		snprintf(err, errlen, "format must be csv or json");
		return STORE_INVALID;
	}
	rc = store_transaction(st, plan_tx, &p);
	if (rc == DRY_RUN_DONE)
		rc = 0;
	if (!rc && !(*report_json = json_dumps(p.report, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		rc = -SQLITE_NOMEM;
	json_decref(p.report);
	return rc;
}
