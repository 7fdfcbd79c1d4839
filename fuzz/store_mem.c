/* fuzz/store_mem.c — see store_mem.h. */
#include "store_mem.h"

#include <stdio.h>
#include <stdlib.h>

static struct store *fresh(void)
{
	char err[256];
	struct store *st = store_open(":memory:", err, sizeof err);

	if (!st) {
		fprintf(stderr, "fuzz: store_open: %s\n", err);
		abort();
	}
	return st;
}

void fz_import_roundtrip(fz_import_fn import, const char *data, size_t len)
{
	struct store *st = fresh();
	struct store_import_result res = { 0 };
	char err[512], *dump = NULL;
	size_t dump_len = 0;

	if (import(st, data, len, &res, err, sizeof err) == 0) {
		FILE *f = open_memstream(&dump, &dump_len);
		if (!f || store_export_json(st, f) != 0)
			abort();
		fclose(f);
		struct store *again = fresh();
		if (store_import_json(again, dump, dump_len, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "fuzz: the export of an accepted import is refused: %s\n",
				err);
			abort();
		}
		store_close(again);
		free(dump);
	}
	store_close(st);
}
