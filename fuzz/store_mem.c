/* fuzz/store_mem.c — see store_mem.h.  Opening and migrating a store for every input ran
 * at about 150 inputs/s; instead two in-memory stores are opened once per process and
 * emptied after each input (the import writes only answers and examples, which have no
 * AUTOINCREMENT: an emptied store hands out the same ids as a new one).
 */
#include "store_mem.h"

#include <stdio.h>
#include <stdlib.h>

#include "store_int.h"

static struct store *opened(struct store **st)
{
	char err[256];

	if (!*st && !(*st = store_open(":memory:", err, sizeof err))) {
		fprintf(stderr, "fuzz: store_open: %s\n", err);
		abort();
	}
	return *st;
}

static void empty(struct store *st)
{
	if (store_exec(st, "DELETE FROM examples; DELETE FROM answers; DELETE FROM synonyms;"))
		abort();
}

void fz_import_roundtrip(fz_import_fn import, const char *data, size_t len)
{
	static struct store *first, *second;
	struct store *st = opened(&first);
	struct store_import_result res = { 0 };
	char err[512], *dump = NULL;
	size_t dump_len = 0;

	if (import(st, data, len, &res, err, sizeof err) == 0) {
		FILE *f = open_memstream(&dump, &dump_len);
		if (!f || store_export_json(st, f) != 0)
			abort();
		fclose(f);
		struct store *again = opened(&second);
		if (store_import_json(again, dump, dump_len, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz: the export of an accepted import is refused: %s\n",
				err);
			abort();
		}
		empty(again);
		free(dump);
	}
	empty(st);
}
