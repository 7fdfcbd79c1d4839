/* fuzz/fuzz_import_rasa.c — libFuzzer harness for `kefu import nlu.yml`: the input is a
 * Rasa file (NLU, and it may also hold `responses:`, rules and stories) that
 * nlu_rasa_import_json (nlu/rasa_import.c over nlu/rasa.c's libyaml walk) turns into the
 * JSON import format; that JSON goes through store_import_json into an in-memory store and
 * the export round trip of store_mem.c.  The bytes are handed over as an in-memory input
 * (the way the console's import route gives them), not as a file: reading a file per
 * input (a 128 KB buffer, stat, open) took a third of the time and is not a parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rasa.h"
#include "store_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlu_rasa_input in = { NULL, "nlu.yml", (const char *)data, size };
	struct nlu_rasa_counts counts;
	char why[300], *report = NULL;
	char *json = nlu_rasa_import_json(&in, 1, NULL, &counts, NULL, &report, why, sizeof why);

	free(report);
	if (json) {
		fz_import_roundtrip(store_import_json, json, strlen(json));
		free(json);
	}
	return 0;
}
