/* fuzz/fuzz_review_meta.c — libFuzzer harness for the review thread's reader of a logged
 * reply's meta (daemon/review_meta.c): the input, cut at its first NUL as the log's TEXT
 * column would hand it, goes to the direct scan (kd_reply_meta_direct) and to the jansson
 * read (kd_reply_meta_jansson).  When the scan decides, it must say what jansson says:
 * fallback, "Did you say", refused and the quick replies' titles.  kd_reply_meta_read,
 * the entry the review thread calls, runs too (it takes one of the two).  The meta comes
 * from kefud's own log, but a store can be edited by hand or restored from elsewhere, so
 * the reader is held to the standard of a parser of untrusted bytes.  The direct scan is
 * common/jscan.c's, which the store writer uses too with SQLite's JSON functions as its
 * reference, so whatever the scan judges SQLite's json_valid must accept as well (one
 * in-memory connection, opened at the first input).  Dictionary: review_meta.dict (the
 * meta's keys and JSON tokens).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "jscan.h"
#include "review_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct kd_reply_meta *a, const struct kd_reply_meta *b)
{
	if (a->fallback != b->fallback || a->did_you_say != b->did_you_say ||
	    a->refused != b->refused || a->n_quick != b->n_quick)
		return 0;
	for (size_t i = 0; i < a->n_quick; i++)
		if (strcmp(a->quick[i], b->quick[i]))
			return 0;
	return 1;
}

/* SQLite's json_valid of text: 1, 0, or -1 when it could not be asked. */
static int sqlite_valid(const char *text)
{
	static sqlite3 *db;
	static sqlite3_stmt *q;
	int v = -1;

	if (!db && (sqlite3_open(":memory:", &db) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &q, NULL) != SQLITE_OK))
		return -1;
	if (sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *meta = malloc(size + 1);
	struct kd_reply_meta direct, ref, read;

	if (!meta)
		return 0;
	memcpy(meta, data, size);
	meta[size] = '\0';
	if (cm_jscan_object(meta, strlen(meta), NULL, 0) && sqlite_valid(meta) == 0)
		abort();                     /* the scan judged a text SQLite refuses */
	kd_reply_meta_jansson(meta, &ref);
	if (kd_reply_meta_direct(meta, &direct)) {
		if (!same(&direct, &ref))
			abort();             /* the direct scan decided differently from jansson */
		kd_reply_meta_free(&direct);
	}
	kd_reply_meta_read(meta, &read);
	if (!same(&read, &ref))
		abort();                     /* the review thread's entry differs from jansson */
	kd_reply_meta_free(&read);
	kd_reply_meta_free(&ref);
	free(meta);
	return 0;
}
