/* store/answer_expects.c — the entity an answer asks the customer for (answers.expects,
 * schema step 12): "none", "number", "code", "date" or "amount".  kefud reads it for the
 * answer it last gave a session, and decodes that customer's next voice clip with a
 * grammar for the entity (speech/grammar.c); the answers API and the console set it.
 * Statements are prepared per call; runs on the thread that owns the connection (a kefud
 * worker, an API worker, the CLI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static const char *const kinds[] = { "none", "number", "code", "date", "amount" };

int store_expects_valid(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

int store_answer_expects(struct store *st, int64_t id, char *out, size_t outlen)
{
	sqlite3_stmt *s = store_prep(st, "SELECT expects FROM answers WHERE id = ?1",
				     "preparing an expects statement");
	char *t = NULL;
	int rc;

	if (s)
		sqlite3_bind_int64(s, 1, id);
	rc = store_one_text(st, s, "reading what an answer expects", "none", &t);
	snprintf(out, outlen, "%s", rc == 0 ? t : "none");
	free(t);
	return rc;
}

int store_answer_set_expects(struct store *st, int64_t id, const char *kind)
{
	sqlite3_stmt *s;
	int rc;

	if (!store_expects_valid(kind))
		return store_invalid(st, "expects is one of none, number, code, date, amount");
	s = store_prep(st, "UPDATE answers SET expects = ?2 WHERE id = ?1",
		       "preparing an expects statement");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? (sqlite3_changes(st->db) ? 0 : STORE_NOT_FOUND)
			       : store_fail(st, "setting what an answer expects");
	sqlite3_finalize(s);
	return rc;
}
