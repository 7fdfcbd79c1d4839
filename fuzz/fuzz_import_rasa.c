/* fuzz/fuzz_import_rasa.c — libFuzzer harness for `kefu import nlu.yml`: the input is the
 * Rasa NLU file (it may also hold `responses:`) that nlu_rasa_to_json (nlu/rasa_import.c,
 * over nlu/dataset.c's YAML and CSV readers) turns into the JSON import format; that JSON
 * goes through store_import_json into a fresh in-memory store and the export round trip of
 * store_mem.c.  rasa.c takes a path: the bytes are handed over through memfile.c.  A file
 * is read as Rasa YAML when it starts with "version:" or "nlu:" (the seeds do), else as
 * CSV, as `kefu import` does for a name without .yml.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rasa.h"
#include "memfile.h"
#include "store_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n_disabled = 0;
	char *json = nlu_rasa_to_json(fz_memfile(data, size), NULL, &n_disabled);

	if (json) {
		fz_import_roundtrip(store_import_json, json, strlen(json));
		free(json);
	}
	return 0;
}
