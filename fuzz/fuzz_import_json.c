/* fuzz/fuzz_import_json.c — libFuzzer harness for `kefu import FILE.json`:
 * store_import_json (store/io.c, jansson) into a fresh in-memory store, then the export
 * round trip of store_mem.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "store_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_import_roundtrip(store_import_json, (const char *)data, size);
	return 0;
}
