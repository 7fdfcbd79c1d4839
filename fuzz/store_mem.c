/* fuzz/store_mem.c — see store_mem.h.  Opening and migrating a store for every input ran
 * at about 150 inputs/s; instead two in-memory stores are opened once per process and
 * emptied after each input (answers, examples, synonyms, and the versions and audit rows
 * an import writes).  The emptying
 * statements are prepared once per store: compiling the DELETEs (with their foreign-key
 * actions) for every input was a fifth of an execution.
 */
#include "store_mem.h"

#include <stdio.h>
#include <stdlib.h>

#include "store_int.h"

#define N_DEL 5

struct fz_db {
	struct store *st;
	sqlite3_stmt *del[N_DEL];            /* the DELETEs of empty(), prepared once */
};

static struct fz_db *opened(struct fz_db *d)
{
	/* the imports version every change and audit it: emptied too, or the store
	 * grows with every input */
	static const char *const sql[N_DEL] = { "DELETE FROM answer_versions", "DELETE FROM audit_log",
					    "DELETE FROM examples", "DELETE FROM answers",
					    "DELETE FROM synonyms" };
	char err[256];

	if (d->st)
		return d;
	if (!(d->st = store_open(":memory:", err, sizeof err))) {
		fprintf(stderr, "fuzz: store_open: %s\n", err);
		abort();
	}
	for (int i = 0; i < N_DEL; i++)
		if (sqlite3_prepare_v3(d->st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &d->del[i], NULL) != SQLITE_OK)
			abort();
	return d;
}

static void empty(struct fz_db *d)
{
	for (int i = 0; i < N_DEL; i++)
		if (sqlite3_step(d->del[i]) != SQLITE_DONE || sqlite3_reset(d->del[i]) != SQLITE_OK)
			abort();
}

void fz_import_roundtrip(fz_import_fn import, const char *data, size_t len)
{
	static struct fz_db first, second;
	struct store *st = opened(&first)->st;
	struct store_import_result res = { 0 };
	char err[512], *dump = NULL;
	size_t dump_len = 0;

	if (import(st, data, len, &res, err, sizeof err) == 0) {
		FILE *f = open_memstream(&dump, &dump_len);
		if (!f || store_export_json(st, f) != 0)
			abort();
		fclose(f);
		struct store *again = opened(&second)->st;
		if (store_import_json(again, dump, dump_len, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz: the export of an accepted import is refused: %s\n",
				err);
			abort();
		}
		empty(&second);
		free(dump);
	}
	empty(&first);
}
