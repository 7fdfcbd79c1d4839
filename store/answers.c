/* store/answers.c — answers and their example questions (the FAQ the bot answers from).
 *
 * Titles are unique across the store (imports and the CSV format name answers by
 * title); adding a second answer with a title already there returns STORE_DUPLICATE.
 * Text arguments are checked (present, valid UTF-8, bounded length) before they reach
 * SQLite; a rejected argument returns STORE_INVALID with the reason in store_errmsg().
 * Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"

void store_answer_clear(struct store_answer *a)
{
	if (!a)
		return;
	free(a->title);
	free(a->body);
	free(a->lang);
	free(a->tags);
	memset(a, 0, sizeof *a);
}

int store_is_empty(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQ_ANY_ANSWER);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = sqlite3_step(s);
	store_stmt_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(st, "checking for answers");
}

static int check_answer(struct store *st, const char *title, const char *body,
			const char *lang, const char *tags)
{
	int rc;

	if ((rc = store_check_text(st, "answer title", title, STORE_MAX_TITLE, 1)) ||
	    (rc = store_check_text(st, "answer body", body, STORE_MAX_BODY, 1)) ||
	    (rc = store_check_text(st, "answer language", lang, STORE_MAX_SHORT, 1)) ||
	    (rc = store_check_text(st, "answer tags", tags ? tags : "", STORE_MAX_SHORT, 0)))
		return rc;
	return 0;
}

int store_answer_add(struct store *st, const char *title, const char *body,
		     const char *lang, const char *tags, int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc = check_answer(st, title, body, lang, tags);

	if (rc)
		return rc;
	if (!(s = store_stmt(st, SQ_ANSWER_ADD)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, title);
	store_bind_text(s, 2, body);
	store_bind_text(s, 3, lang);
	store_bind_text(s, 4, tags ? tags : "");
	sqlite3_bind_int64(s, 5, cm_wall_ms());
	rc = store_step_write(st, s, "adding an answer");
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_answer_find(struct store *st, const char *title, int64_t *id_out)
{
	sqlite3_stmt *s = title ? store_stmt(st, SQ_ANSWER_FIND) : NULL;
	int rc;

	if (!s)
		return title ? -SQLITE_ERROR : STORE_NOT_FOUND;
	store_bind_text(s, 1, title);
	rc = store_step_one(st, s, "finding an answer");
	if (rc == 0) {
		if (id_out)
			*id_out = sqlite3_column_int64(s, 0);
	}
	store_stmt_done(s);
	return rc;
}

/* Fills a from a row of ANSWER_COLS; 0 or -SQLITE_NOMEM. */
static int read_answer(sqlite3_stmt *s, struct store_answer *a)
{
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	a->title = store_col_dup(s, 1, 1);
	a->body = store_col_dup(s, 2, 1);
	a->lang = store_col_dup(s, 3, 1);
	a->tags = store_col_dup(s, 4, 1);
	a->enabled = sqlite3_column_int(s, 5);
	a->created_ms = sqlite3_column_int64(s, 6);
	a->updated_ms = sqlite3_column_int64(s, 7);
	if (!a->title || !a->body || !a->lang || !a->tags) {
		store_answer_clear(a);
		return -SQLITE_NOMEM;
	}
	return 0;
}

int store_answer_get(struct store *st, int64_t id, struct store_answer *out)
{
	sqlite3_stmt *s = store_stmt(st, SQ_ANSWER_GET);
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_one(st, s, "reading an answer");
	if (rc == 0)
		rc = read_answer(s, out);
	store_stmt_done(s);
	return rc;
}

int store_answer_update(struct store *st, const struct store_answer *a)
{
	sqlite3_stmt *s;
	int rc = check_answer(st, a->title, a->body, a->lang, a->tags);

	if (rc)
		return rc;
	if (!(s = store_stmt(st, SQ_ANSWER_UPDATE)))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, a->id);
	store_bind_text(s, 2, a->title);
	store_bind_text(s, 3, a->body);
	store_bind_text(s, 4, a->lang);
	store_bind_text(s, 5, a->tags ? a->tags : "");
	sqlite3_bind_int(s, 6, a->enabled ? 1 : 0);
	sqlite3_bind_int64(s, 7, cm_wall_ms());
	rc = store_step_write(st, s, "updating an answer");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return rc;
}

int store_answer_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, SQ_ANSWER_DELETE);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_write(st, s, "deleting an answer");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return rc;
}

/* A caller's callback and its argument, for the row functions below. */
struct walk {
	int (*answer)(void *arg, const struct store_answer *a);
	int (*example)(void *arg, int64_t answer_id, const char *text);
	int (*text)(void *arg, const char *text);
	void *arg;
};

static int answer_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;
	struct store_answer a;
	int r = read_answer(s, &a);

	if (r == 0) {
		r = w->answer(w->arg, &a);
		store_answer_clear(&a);
	}
	return r;
}

int store_answers_foreach(struct store *st,
			  int (*cb)(void *arg, const struct store_answer *a), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, SQ_ANSWERS_ALL);
	struct walk w = { .answer = cb, .arg = arg };

	return s ? store_rows(st, s, "listing answers", answer_row, &w) : -SQLITE_ERROR;
}

int store_example_add(struct store *st, int64_t answer_id, const char *text)
{
	sqlite3_stmt *s;
	int rc = store_check_text(st, "example question", text, STORE_MAX_TEXT, 1);

	if (rc)
		return rc;
	if (!(s = store_stmt(st, SQ_EXAMPLE_ADD)))
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, answer_id);
	store_bind_text(s, 2, text);
	sqlite3_bind_int64(s, 3, cm_wall_ms());
	rc = store_step_write(st, s, "adding an example question");
	if (rc < 0 && sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = STORE_NOT_FOUND;
	return rc;
}

int store_example_delete(struct store *st, int64_t answer_id, const char *text)
{
	sqlite3_stmt *s = store_stmt(st, SQ_EXAMPLE_DELETE);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, answer_id);
	store_bind_text(s, 2, text);
	rc = store_step_write(st, s, "deleting an example question");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return rc;
}

static int example_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;

	return w->example(w->arg, sqlite3_column_int64(s, 0),
			  (const char *)sqlite3_column_text(s, 1));
}

int store_examples_foreach(struct store *st,
			   int (*cb)(void *arg, int64_t answer_id, const char *text), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, SQ_EXAMPLES_ENABLED);
	struct walk w = { .example = cb, .arg = arg };

	return s ? store_rows(st, s, "listing examples", example_row, &w) : -SQLITE_ERROR;
}

static int text_row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;

	return w->text(w->arg, (const char *)sqlite3_column_text(s, 0));
}

int store_answer_examples_foreach(struct store *st, int64_t answer_id,
				  int (*cb)(void *arg, const char *text), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, SQ_EXAMPLES_OF);
	struct walk w = { .text = cb, .arg = arg };

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, answer_id);
	return store_rows(st, s, "listing an answer's examples", text_row, &w);
}

int store_count_examples(struct store *st, int64_t *n_out)
{
	sqlite3_stmt *s = store_stmt(st, SQ_COUNT_EXAMPLES);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n_out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_fail(st, "counting examples");
	}
	store_stmt_done(s);
	return rc;
}
