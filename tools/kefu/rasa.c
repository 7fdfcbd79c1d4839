/* tools/kefu/rasa.c — `kefu import` of Rasa data: turns a Rasa NLU YAML file (intents and
 * their examples) plus the `responses:` of the same file or of a Rasa domain file into the
 * project's JSON import format, so store_import_json does the one-transaction import.
 * Each intent becomes an answer titled with the intent name whose body is the first text
 * of `utter_<intent>`; an intent with no such response is imported disabled, with a body
 * that says so, for an operator to write.  Main thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "utf8.h"

/* Index of the first example of label name in d, or -1. */
static long first_of(const struct nlu_dataset *d, const char *name)
{
	int l = nlu_dataset_label(d, name);

	for (size_t i = 0; l >= 0 && i < d->n; i++)
		if (d->labels[i] == l)
			return (long)i;
	return -1;
}

static int read_responses(const char *path, struct nlu_dataset *resp)
{
	size_t len;
	char err[512], *buf = cli_read_file(path, &len);

	if (!buf)
		return -1;
	int rc = nlu_dataset_parse_responses(buf, len, resp, err, sizeof err);
	if (rc)
		fprintf(stderr, "kefu import: %s: %s\n", path, err);
	free(buf);
	return rc;
}

char *cli_rasa_to_json(const char *nlu_path, const char *domain_path, int *n_disabled)
{
	struct nlu_dataset d, resp;
	char err[1024], *out = NULL;
	json_t *arr = json_array();

	*n_disabled = 0;
	nlu_dataset_init(&d);
	nlu_dataset_init(&resp);
	if (!arr)
		goto done;
	if (nlu_dataset_read(nlu_path, &d, err, sizeof err)) {
		fprintf(stderr, "kefu import: %s\n", err);
		goto done;
	}
	if (read_responses(nlu_path, &resp) || (domain_path && read_responses(domain_path, &resp)))
		goto done;
	for (size_t l = 0; l < d.n_labels; l++) {
		char uname[600], body[700];
		snprintf(uname, sizeof uname, "utter_%s", d.names[l]);
		long r = first_of(&resp, uname);
		json_t *qs = json_array();
		int cjk = cm_utf8_has_cjk(d.names[l]) ||
			  (r >= 0 && cm_utf8_has_cjk(resp.texts[r]));
		for (size_t i = 0; qs && i < d.n; i++)
			if (d.labels[i] == (int)l) {
				json_array_append_new(qs, json_string(d.texts[i]));
				cjk |= cm_utf8_has_cjk(d.texts[i]);
			}
		if (r < 0) {
			snprintf(body, sizeof body, "*No answer text yet for the Rasa intent `%s`: "
				 "write one, then enable this answer.*", d.names[l]);
			++*n_disabled;
		}
		json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o*}", "title", d.names[l],
				      "body", r < 0 ? body : resp.texts[r], "lang", cjk ? "zh" : "en",
				      "tags", "rasa", "enabled", r >= 0, "questions", qs);
		if (!a || json_array_append_new(arr, a))
			goto done;
	}
	out = json_dumps(arr, JSON_COMPACT);
done:
	json_decref(arr);
	nlu_dataset_free(&d);
	nlu_dataset_free(&resp);
	return out;
}
