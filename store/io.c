/* store/io.c — importing answers and example questions from CSV or JSON, and exporting
 * them as JSON (the format is documented in docs/store.md).
 *
 * Every import runs in one store_transaction: a file with any bad row changes nothing,
 * and the error names the CSV line (or the JSON answer index).  Answers are matched by
 * title, so importing the same file twice adds nothing the second time (the examples
 * are counted as duplicates).  Runs on the thread that owns the connection (the CLI).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "store_int.h"
#include "utf8.h"

#define EXPORT_FORMAT "kefu-answers"
#define EXPORT_VERSION 1

/* Trims ASCII white space in place; returns s. */
static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

/* Adds an example and counts it.  Returns 0 or the store's code (message in st). */
static int add_example(struct store *st, int64_t answer_id, const char *text,
		       struct store_import_result *res)
{
	int rc = store_example_add(st, answer_id, text);

	if (rc == 0)
		res->examples_added++;
	else if (rc == STORE_DUPLICATE)
		res->duplicates++;
	else
		return rc;
	return 0;
}

/* ---- CSV --------------------------------------------------------------------------- */

struct csv_job {
	const char *data;
	size_t len;
	struct store_import_result *res;
	char *err;
	size_t errlen;
};

static int csv_fail(struct csv_job *j, int rc, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int csv_fail(struct csv_job *j, int rc, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(j->err, j->errlen, "line %d: ", line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < j->errlen)
		vsnprintf(j->err + n, j->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc ? rc : STORE_INVALID;
}

static int csv_import(void *arg, struct store *st)
{
	struct csv_job *j = arg;
	struct cm_csv r;
	int col_q = -1, col_t = -1, col_a = -1, rc;
	size_t n_cols;

	cm_csv_init(&r, j->data, j->len);
	rc = cm_csv_next(&r);
	if (rc <= 0) {
		snprintf(j->err, j->errlen, "%s", rc < 0 ? r.err : "empty file (a header row "
			 "question,answer_title[,answer] is required)");
		cm_csv_free(&r);
		return STORE_INVALID;
	}
	n_cols = r.n_fields;
	for (size_t i = 0; i < n_cols; i++) {
		const char *h = trim(r.fields[i]);
		int *col = !strcasecmp(h, "question") ? &col_q :
			   !strcasecmp(h, "answer_title") ? &col_t :
			   !strcasecmp(h, "answer") ? &col_a : NULL;
		if (!col) {
			rc = csv_fail(j, 0, r.line, "unknown column \"%s\" (expected question, "
				      "answer_title, answer)", h);
			goto out;
		}
		if (*col >= 0) {
			rc = csv_fail(j, 0, r.line, "column \"%s\" appears twice", h);
			goto out;
		}
		*col = (int)i;
	}
	if (col_q < 0 || col_t < 0) {
		rc = csv_fail(j, 0, r.line, "the header must name question and answer_title");
		goto out;
	}
	while ((rc = cm_csv_next(&r)) == 1) {
		int64_t aid;
		if (r.n_fields != n_cols) {
			rc = csv_fail(j, 0, r.line, "%zu fields, the header has %zu", r.n_fields,
				      n_cols);
			goto out;
		}
		for (size_t i = 0; i < n_cols; i++)
			if (strlen(r.fields[i]) != r.lens[i]) {
				rc = csv_fail(j, 0, r.line, "a NUL byte in field %zu", i + 1);
				goto out;
			}
		char *q = trim(r.fields[col_q]), *title = trim(r.fields[col_t]);
		const char *body = col_a >= 0 ? trim(r.fields[col_a]) : "";

		rc = store_answer_find(st, title, &aid);
		if (rc == STORE_NOT_FOUND) {
			if (!*body) {
				rc = csv_fail(j, 0, r.line, "no answer titled \"%s\" and no answer "
					      "text to create it", title);
				goto out;
			}
			int zh = cm_utf8_has_cjk(title) || cm_utf8_has_cjk(body);
			rc = store_answer_add(st, title, body, zh ? "zh" : "en", "", &aid);
			if (rc == 0)
				j->res->answers_added++;
		}
		if (rc == 0)
			rc = add_example(st, aid, q, j->res);
		if (rc) {
			rc = csv_fail(j, rc, r.line, "%s", store_errmsg(st));
			goto out;
		}
	}
	if (rc < 0) {
		snprintf(j->err, j->errlen, "%s", r.err);
		rc = STORE_INVALID;
	}
out:
	cm_csv_free(&r);
	return rc;
}

int store_import_csv(struct store *st, const char *data, size_t len,
		     struct store_import_result *res, char *err, size_t errlen)
{
	struct store_import_result tmp;
	struct csv_job j = { data, len, res ? res : &tmp, err, errlen };
	int rc;

	memset(j.res, 0, sizeof *j.res);
	err[0] = '\0';
	rc = store_transaction(st, csv_import, &j);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", store_errmsg(st));
		memset(j.res, 0, sizeof *j.res);   /* rolled back: nothing was imported */
	}
	return rc;
}

/* ---- JSON -------------------------------------------------------------------------- */

#define DRY_RUN_DONE 99   /* json_import's "worked, now roll back" */

struct json_job {
	json_t *answers;
	json_t *synonyms;                 /* {"word": "canonical", ...} or NULL */
	int dry_run;
	struct store_import_result *res;
	char *err;
	size_t errlen;
};

/* Returns the string member key of o, def if absent; sets *bad if present but not a
 * string. */
static const char *get_str(json_t *o, const char *key, const char *def, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return def;
	if (!json_is_string(v)) {
		*bad = 1;
		return def;
	}
	return json_string_value(v);
}

#define MAX_EXTRAS 64   /* variants or buttons of one answer */

/* "variants": [body, ...] and "quick_replies": [{"title", "answer"}, ...] of answer
 * aid: both replaced (an absent one is emptied). */
static int json_extras(struct json_job *j, struct store *st, size_t idx, int64_t aid,
		       json_t *a)
{
	json_t *v = json_object_get(a, "variants"), *q = json_object_get(a, "quick_replies");
	const char *vt[MAX_EXTRAS];
	struct store_button b[MAX_EXTRAS];
	size_t nv = json_array_size(v), nb = json_array_size(q);
	int rc;

	if ((v && !json_is_array(v)) || (q && !json_is_array(q)) || nv > MAX_EXTRAS ||
	    nb > MAX_EXTRAS) {
		snprintf(j->err, j->errlen, "answers[%zu]: variants and quick_replies must be "
			 "arrays of at most %d", idx, MAX_EXTRAS);
		return STORE_INVALID;
	}
	for (size_t i = 0; i < nv; i++)
		if (!(vt[i] = json_string_value(json_array_get(v, i)))) {
			snprintf(j->err, j->errlen, "answers[%zu].variants[%zu]: not a string",
				 idx, i);
			return STORE_INVALID;
		}
	for (size_t i = 0; i < nb; i++) {
		json_t *x = json_array_get(q, i);
		b[i].title = json_string_value(json_object_get(x, "title"));
		b[i].target = json_string_value(json_object_get(x, "answer"));
		if (!b[i].title || !b[i].target) {
			snprintf(j->err, j->errlen, "answers[%zu].quick_replies[%zu]: needs "
				 "\"title\" and \"answer\" (the title of the answer it selects)",
				 idx, i);
			return STORE_INVALID;
		}
	}
	rc = store_answer_extras_set(st, aid, vt, nv, b, nb);
	if (rc)
		snprintf(j->err, j->errlen, "answers[%zu]: %s", idx, store_errmsg(st));
	return rc;
}

static int json_answer(struct json_job *j, struct store *st, size_t idx, json_t *a)
{
	int bad = 0, rc, enabled = 1;
	int64_t aid;
	const char *title, *body, *lang, *tags;
	json_t *ex, *en;

	if (!json_is_object(a)) {
		snprintf(j->err, j->errlen, "answers[%zu]: not an object", idx);
		return STORE_INVALID;
	}
	title = get_str(a, "title", NULL, &bad);
	body = get_str(a, "body", NULL, &bad);
	lang = get_str(a, "lang", "en", &bad);
	tags = get_str(a, "tags", "", &bad);
	en = json_object_get(a, "enabled");
	ex = json_object_get(a, "examples");
	if (!ex)
		ex = json_object_get(a, "questions");
	if (bad || (en && !json_is_boolean(en)) || (ex && !json_is_array(ex))) {
		snprintf(j->err, j->errlen, "answers[%zu]: title, body, lang and tags must be "
			 "strings, enabled a boolean, examples an array", idx);
		return STORE_INVALID;
	}
	if (en)
		enabled = json_is_true(en);

	rc = store_answer_find(st, title, &aid);
	if (rc == STORE_NOT_FOUND) {
		rc = store_answer_add(st, title, body, lang, tags, &aid);
		if (rc == 0)
			j->res->answers_added++;
		if (rc == 0 && !enabled) {
			struct store_answer cur;
			rc = store_answer_get(st, aid, &cur);
			if (rc == 0) {
				cur.enabled = 0;
				rc = store_answer_update(st, &cur);
				store_answer_clear(&cur);
			}
		}
	} else if (rc == 0) {
		struct store_answer cur;
		rc = store_answer_get(st, aid, &cur);
		if (rc == 0 && ((body && strcmp(cur.body, body)) || strcmp(cur.lang, lang) ||
				strcmp(cur.tags, tags) || cur.enabled != enabled)) {
			struct store_answer upd = cur;
			upd.body = body ? (char *)body : cur.body;
			upd.lang = (char *)lang;
			upd.tags = (char *)tags;
			upd.enabled = enabled;
			rc = store_answer_update(st, &upd);
			if (rc == 0)
				j->res->answers_updated++;
		}
		store_answer_clear(&cur);
	}
	for (size_t i = 0; rc == 0 && ex && i < json_array_size(ex); i++) {
		json_t *q = json_array_get(ex, i);
		if (!json_is_string(q)) {
			snprintf(j->err, j->errlen, "answers[%zu].examples[%zu]: not a string", idx, i);
			return STORE_INVALID;
		}
		rc = add_example(st, aid, json_string_value(q), j->res);
		if (rc) {
			snprintf(j->err, j->errlen, "answers[%zu].examples[%zu]: %s", idx, i,
				 store_errmsg(st));
			return rc;
		}
	}
	if (rc == 0 && json_object_get(a, "expects")) {   /* an entity by voice (speech.md) */
		json_t *x = json_object_get(a, "expects");
		rc = store_answer_set_expects(st, aid, json_is_string(x) ? json_string_value(x)
								     : NULL);
	}
	if (rc == 0 && (json_object_get(a, "variants") || json_object_get(a, "quick_replies")))
		return json_extras(j, st, idx, aid, a);
	if (rc)
		snprintf(j->err, j->errlen, "answers[%zu] (\"%s\"): %s", idx, title ? title : "",
			 store_errmsg(st));
	return rc;
}

static int json_import(void *arg, struct store *st)
{
	struct json_job *j = arg;
	size_t i;
	json_t *a;
	int rc;

	const char *word;
	json_t *canon;

	json_array_foreach(j->answers, i, a)
		if ((rc = json_answer(j, st, i, a)))
			return rc;
	json_object_foreach(j->synonyms, word, canon)
		if (!json_is_string(canon) ||
		    (rc = store_synonym_set(st, word, json_string_value(canon)))) {
			snprintf(j->err, j->errlen, "synonyms[\"%s\"]: %s", word,
				 json_is_string(canon) ? store_errmsg(st) : "not a string");
			return json_is_string(canon) ? rc : STORE_INVALID;
		}
	return j->dry_run ? DRY_RUN_DONE : 0;
}

int store_import_json(struct store *st, const char *data, size_t len,
		      struct store_import_result *res, char *err, size_t errlen)
{
	return store_import_json_ex(st, data, len, 0, res, err, errlen);
}

int store_import_json_ex(struct store *st, const char *data, size_t len, int dry_run,
			 struct store_import_result *res, char *err, size_t errlen)
{
	struct store_import_result tmp;
	struct json_job j = { NULL, NULL, dry_run, res ? res : &tmp, err, errlen };
	json_error_t jerr;
	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	memset(j.res, 0, sizeof *j.res);
	err[0] = '\0';
	if (!doc) {
		snprintf(err, errlen, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return STORE_INVALID;
	}
	if (json_is_array(doc)) {
		j.answers = doc;
	} else if (json_is_object(doc)) {
		const char *fmt = json_string_value(json_object_get(doc, "format"));
		json_t *ver = json_object_get(doc, "version");
		if (fmt && strcmp(fmt, EXPORT_FORMAT)) {
			snprintf(err, errlen, "format \"%s\" is not \"" EXPORT_FORMAT "\"", fmt);
			rc = STORE_INVALID;
			goto out;
		}
		if (ver && (!json_is_integer(ver) || json_integer_value(ver) > EXPORT_VERSION)) {
			snprintf(err, errlen, "format version is newer than this build reads (%d)",
				 EXPORT_VERSION);
			rc = STORE_INVALID;
			goto out;
		}
		j.answers = json_object_get(doc, "answers");
		j.synonyms = json_object_get(doc, "synonyms");
		if (j.synonyms && !json_is_object(j.synonyms)) {
			snprintf(err, errlen, "synonyms must be an object {\"word\": \"canonical\"}");
			rc = STORE_INVALID;
			goto out;
		}
	}
	if (!json_is_array(j.answers)) {
		snprintf(err, errlen, "expected {\"answers\": [...]} or an array of answers");
		rc = STORE_INVALID;
		goto out;
	}
	rc = store_transaction(st, json_import, &j);
	if (rc == DRY_RUN_DONE)
		rc = 0;                     /* counted, then rolled back */
	else if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s", store_errmsg(st));
		memset(j.res, 0, sizeof *j.res);
	}
out:
	json_decref(doc);
	return rc;
}

/* ---- export ------------------------------------------------------------------------ */

static int export_example(void *arg, const char *text)
{
	return json_array_append_new(arg, json_string(text)) ? -SQLITE_NOMEM : 0;
}

static int export_variant(void *arg, int64_t answer_id, const char *body)
{
	(void)answer_id;
	return json_array_append_new(arg, json_string(body)) ? -SQLITE_NOMEM : 0;
}

static int export_button(void *arg, int64_t answer_id, const char *title, const char *target)
{
	(void)answer_id;
	return json_array_append_new(arg, json_pack("{s:s, s:s}", "title", title, "answer",
						    target)) ? -SQLITE_NOMEM : 0;
}

/* Adds "variants" and "quick_replies" to answer o when it has any. */
static int export_extras(struct store *st, int64_t id, json_t *o)
{
	json_t *v = json_array(), *q = json_array();
	int rc = v && q ? 0 : -SQLITE_NOMEM;

	if (rc == 0)
		rc = store_variants_foreach(st, id, export_variant, v);
	if (rc == 0)
		rc = store_buttons_foreach(st, id, export_button, q);
	if (rc == 0 && json_array_size(v))
		json_object_set(o, "variants", v);
	if (rc == 0 && json_array_size(q))
		json_object_set(o, "quick_replies", q);
	json_decref(v);
	json_decref(q);
	return rc;
}

static int export_synonym(void *arg, const char *word, const char *canonical)
{
	return json_object_set_new(arg, word, json_string(canonical)) ? -SQLITE_NOMEM : 0;
}

struct export_job {
	struct store *st;
	FILE *out;
	int n;
};

static int export_answer(void *arg, const struct store_answer *a)
{
	struct export_job *x = arg;
	json_t *ex = json_array();
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "title", a->title, "body",
			      a->body, "lang", a->lang, "tags", a->tags, "enabled", a->enabled,
			      "examples", ex);
	int rc;

	if (!o)
		return -SQLITE_NOMEM;
	rc = store_answer_examples_foreach(x->st, a->id, export_example, ex);
	if (rc == 0)
		rc = export_extras(x->st, a->id, o);
	if (rc == 0) {
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!s)
			rc = -SQLITE_NOMEM;
		else if (fprintf(x->out, "%s\n  %s", x->n++ ? "," : "", s) < 0)
			rc = -SQLITE_IOERR;
		free(s);
	}
	json_decref(o);
	return rc;
}

int store_export_json(struct store *st, FILE *out)
{
	struct export_job x = { st, out, 0 };
	int rc;

	/* one read transaction: a consistent snapshot even while others write */
	if (store_exec(st, "BEGIN"))
		return store_fail(st, "starting an export");
	fprintf(out, "{\"format\": \"" EXPORT_FORMAT "\", \"version\": %d, \"answers\": [",
		EXPORT_VERSION);
	rc = store_answers_foreach(st, export_answer, &x);
	if (rc == 0 && fprintf(out, "\n]") < 0)
		rc = -SQLITE_IOERR;
	json_t *syn = json_object();
	if (rc == 0)
		rc = syn ? store_synonyms_foreach(st, export_synonym, syn) : -SQLITE_NOMEM;
	if (rc == 0 && json_object_size(syn)) {
		char *t = json_dumps(syn, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!t || fprintf(out, ", \"synonyms\": %s", t) < 0)
			rc = t ? -SQLITE_IOERR : -SQLITE_NOMEM;
		free(t);
	}
	json_decref(syn);
	store_exec(st, "COMMIT");
	if (rc == 0 && (fprintf(out, "}\n") < 0 || fflush(out)))
		rc = -SQLITE_IOERR;
	if (rc == -SQLITE_IOERR)
		snprintf(st->err, sizeof st->err, "writing the export failed");
	else if (rc == -SQLITE_NOMEM)
		snprintf(st->err, sizeof st->err, "out of memory");
	return rc;
}
