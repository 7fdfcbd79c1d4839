/* fuzz/fuzz_import_csv.c — libFuzzer harness for `kefu import FILE.csv`: store_import_csv
 * (store/io.c over common/'s CSV reader) into a fresh in-memory store, then the export
 * round trip of store_mem.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "store_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_import_roundtrip(store_import_csv, (const char *)data, size);
	return 0;
}
