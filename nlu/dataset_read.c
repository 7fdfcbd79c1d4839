/* nlu/dataset_read.c — a labelled data set from a file or folder: Rasa NLU YAML (the
 * intent examples, or the responses' texts, through nlu/rasa.c and libyaml), a Rasa data
 * folder, or CSV (nlu/dataset.c), told apart by the name and the first bytes.  Above
 * both dataset.c and rasa.c, so neither calls the other back (tests/arch/
 * check_cycles.py).  Runs on the caller's thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "model.h"
#include "rasa.h"

/* The intent examples of a Rasa file (nlu/rasa.c does the YAML). */
int nlu_dataset_parse_rasa(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			   size_t errlen)
{
	struct nlu_rasa r;
	int rc;

	nlu_rasa_init(&r);
	rc = nlu_rasa_parse(&r, buf, len, err, errlen);
	if (rc == 0 && r.ex.n == 0) {
		snprintf(err, errlen, "no intent examples found (expected nlu: / - intent: / "
			 "examples: |)");
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < r.ex.n; i++)
		if (nlu_dataset_add(d, r.ex.texts[i], r.ex.names[r.ex.labels[i]])) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	nlu_rasa_free(&r);
	return rc;
}

int nlu_dataset_parse_responses(const char *buf, size_t len, struct nlu_dataset *d,
				char *err, size_t errlen)
{
	struct nlu_rasa r;
	int rc;

	nlu_rasa_init(&r);
	rc = nlu_rasa_parse(&r, buf, len, err, errlen);
	for (size_t i = 0; rc == 0 && i < r.n_resp; i++)
		for (size_t k = 0; rc == 0 && k < r.resp[i].n; k++)
			if (r.resp[i].v[k].text && r.resp[i].v[k].text[0] &&
			    nlu_dataset_add(d, r.resp[i].v[k].text, r.resp[i].name)) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
	nlu_rasa_free(&r);
	return rc;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

int nlu_dataset_read(const char *path, struct nlu_dataset *d, char *err, size_t errlen)
{
	char msg[400];
	size_t len;
	int rc;
	struct stat sb;
	char *buf;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {   /* a Rasa data folder */
		struct nlu_rasa r;
		nlu_rasa_init(&r);
		rc = nlu_rasa_read(&r, path, NULL, err, errlen);
		if (rc == 0 && r.ex.n == 0) {
			snprintf(err, errlen, "%s: no intent examples in its .yml files", path);
			rc = -1;
		}
		for (size_t i = 0; rc == 0 && i < r.ex.n; i++)
			if (nlu_dataset_add(d, r.ex.texts[i], r.ex.names[r.ex.labels[i]])) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
		nlu_rasa_free(&r);
		return rc;
	}
	if (!(buf = cm_read_file(path, &len))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *s = buf + (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0);
	int yaml = ends_with(path, ".yml") || ends_with(path, ".yaml") ||
		   !strncmp(s, "version:", 8) || !strncmp(s, "nlu:", 4);
	rc = yaml ? nlu_dataset_parse_rasa(buf, len, d, msg, sizeof msg)
		  : nlu_dataset_parse_csv(buf, len, d, msg, sizeof msg);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return rc;
}
