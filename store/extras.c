/* store/extras.c — what an answer says besides its body, and the customer's words the bot
 * maps onto the store's: variants (further bodies of one answer, a Rasa response's
 * variations: the bot rotates the body and them), quick-reply buttons (the words on the
 * button and the title of the answer it selects) and synonyms (a customer's word or
 * phrase → the store's wording, applied before the bot reads a question).  Filled by
 * imports (store/io.c), read by nlu/load.c and the exports.  Tables of the schema step
 * "answer variants and buttons, synonyms" (migrate.c).  Statements are prepared per call
 * (imports and loads are rare).  Runs on the thread that owns the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define prep(st, sql) store_prep(st, sql, "preparing an answer-extras statement")

/* Runs a per-call write: ?1 id, ?2 pos, ?3 a and ?4 b (NULL: not bound; parameters
 * the SQL lacks are not bound either). */
static int write_row(struct store *st, const char *sql, int64_t id, int64_t pos,
		     const char *a, const char *b, const char *what)
{
	sqlite3_stmt *s = prep(st, sql);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, pos);
	if (a)
		sqlite3_bind_text(s, 3, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 4, b, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, what);
	sqlite3_finalize(s);
	return rc;
}

int store_answer_extras_set(struct store *st, int64_t answer_id,
			    const char *const *variants, size_t n_variants,
			    const struct store_button *buttons, size_t n_buttons)
{
	int rc;

	for (size_t i = 0; i < n_variants; i++)
		if (!variants[i] || !variants[i][0])
			return store_invalid(st, "variant %zu of answer %lld is empty", i + 1,
					     (long long)answer_id);
	for (size_t i = 0; i < n_buttons; i++)
		if (!buttons[i].title || !buttons[i].title[0] || !buttons[i].target ||
		    !buttons[i].target[0])
			return store_invalid(st, "button %zu of answer %lld needs a title and "
					     "the answer it selects", i + 1, (long long)answer_id);
	if ((rc = write_row(st, "DELETE FROM answer_variants WHERE answer_id = ?1",
			    answer_id, 0, NULL, NULL, "replacing variants")) ||
	    (rc = write_row(st, "DELETE FROM answer_buttons WHERE answer_id = ?1",
			    answer_id, 0, NULL, NULL, "replacing buttons")))
		return rc;
	for (size_t i = 0; i < n_variants; i++)
		if ((rc = write_row(st, "INSERT INTO answer_variants (answer_id, position, body)"
				    " VALUES (?1, ?2, ?3)", answer_id, (int64_t)i, variants[i],
				    NULL, "adding a variant")))
			return rc;
	for (size_t i = 0; i < n_buttons; i++)
		if ((rc = write_row(st, "INSERT INTO answer_buttons (answer_id, position, title,"
				    " target) VALUES (?1, ?2, ?3, ?4)", answer_id, (int64_t)i,
				    buttons[i].title, buttons[i].target, "adding a button")))
			return rc;
	return 0;
}

struct walk {
	int (*variant)(void *arg, int64_t answer_id, const char *body);
	int (*button)(void *arg, int64_t answer_id, const char *title, const char *target);
	int (*synonym)(void *arg, const char *word, const char *canonical);
	void *arg;
};

static const char *col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

static int row(void *arg, sqlite3_stmt *s)
{
	struct walk *w = arg;

	if (w->variant)
		return w->variant(w->arg, sqlite3_column_int64(s, 0), col(s, 1));
	if (w->button)
		return w->button(w->arg, sqlite3_column_int64(s, 0), col(s, 1), col(s, 2));
	return w->synonym(w->arg, col(s, 0), col(s, 1));
}

static int walk(struct store *st, const char *sql, int64_t answer_id, struct walk *w,
		const char *what)
{
	sqlite3_stmt *s = prep(st, sql);
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	if (answer_id)
		sqlite3_bind_int64(s, 1, answer_id);
	rc = store_rows(st, s, what, row, w);
	sqlite3_finalize(s);
	return rc;
}

int store_variants_foreach(struct store *st, int64_t answer_id,
			   int (*cb)(void *arg, int64_t answer_id, const char *body), void *arg)
{
	struct walk w = { .variant = cb, .arg = arg };

	return walk(st, "SELECT answer_id, body FROM answer_variants"
		    " WHERE ?1 IS NULL OR answer_id = ?1 ORDER BY answer_id, position",
		    answer_id, &w, "listing answer variants");
}

int store_buttons_foreach(struct store *st, int64_t answer_id,
			  int (*cb)(void *arg, int64_t answer_id, const char *title,
				    const char *target), void *arg)
{
	struct walk w = { .button = cb, .arg = arg };

	return walk(st, "SELECT answer_id, title, target FROM answer_buttons"
		    " WHERE ?1 IS NULL OR answer_id = ?1 ORDER BY answer_id, position",
		    answer_id, &w, "listing answer buttons");
}

int store_synonym_set(struct store *st, const char *word, const char *canonical)
{
	sqlite3_stmt *s;
	int rc;

	if (!word || !word[0] || !canonical || !canonical[0])
		return store_invalid(st, "a synonym needs a word and the word it stands for");
	s = prep(st, "INSERT INTO synonyms (word, canonical) VALUES (lower(?1), ?2)"
		 " ON CONFLICT (word) DO UPDATE SET canonical = excluded.canonical");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_text(s, 1, word, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, canonical, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "setting a synonym");
	sqlite3_finalize(s);
	return rc;
}

int store_synonyms_foreach(struct store *st,
			   int (*cb)(void *arg, const char *word, const char *canonical),
			   void *arg)
{
	struct walk w = { .synonym = cb, .arg = arg };

	return walk(st, "SELECT word, canonical FROM synonyms WHERE lower(word) <> lower(canonical)"
		    " ORDER BY word", 0, &w, "listing synonyms");
}
