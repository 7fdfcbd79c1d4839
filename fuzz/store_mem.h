/* fuzz/store_mem.h — the import harnesses' database: an empty in-memory SQLite store
 * (store_open(":memory:"), migrated to the current schema, emptied after each input),
 * so one input
 * cannot change what the next one sees.  libFuzzer's thread only.
 */
#ifndef KEFU_FUZZ_STORE_MEM_H
#define KEFU_FUZZ_STORE_MEM_H

#include <stddef.h>

#include "store.h"

/* Imports data[0..len) with import (store_import_csv or store_import_json) into an empty
 * store; on success exports the result and imports that export again into another empty
 * store, which must succeed (an import must never accept what its own export cannot
 * give back).  Aborts on a broken invariant. */
typedef int (*fz_import_fn)(struct store *st, const char *data, size_t len,
			    struct store_import_result *res, char *err, size_t errlen);
void fz_import_roundtrip(fz_import_fn import, const char *data, size_t len);

#endif
