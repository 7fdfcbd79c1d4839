/* nlu/dataset.c — labelled example texts for training and evaluation: the set itself
 * and CSV (text,category, through common/csv.h, so quoted fields and embedded newlines
 * are read right).  Rasa NLU YAML and reading a file or folder of either format are
 * nlu/dataset_read.c (it calls nlu/rasa.c, which adds to a set here: one way).  Runs on
 * the caller's thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "model.h"
#include "utf8.h"

void nlu_dataset_init(struct nlu_dataset *d)
{
	memset(d, 0, sizeof *d);
}

void nlu_dataset_free(struct nlu_dataset *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->texts[i]);
	for (size_t i = 0; i < d->n_labels; i++)
		free(d->names[i]);
	free(d->texts);
	free(d->labels);
	free(d->names);
	nlu_dataset_init(d);
}

int nlu_dataset_label(const struct nlu_dataset *d, const char *name)
{
	for (size_t i = 0; i < d->n_labels; i++)
		if (!strcmp(d->names[i], name))
			return (int)i;
	return -1;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int add_n(struct nlu_dataset *d, const char *text, size_t tlen, const char *label,
		 size_t llen)
{
	char lab[512];
	if (llen >= sizeof lab)
		llen = sizeof lab - 1;
	memcpy(lab, label, llen);
	lab[llen] = '\0';
	int li = nlu_dataset_label(d, lab);
	if (li < 0) {
		char **nn = cm_grow(d->names, &d->cap_labels, d->n_labels + 1, sizeof *nn, 32);
		if (!nn)
			return -1;
		d->names = nn;
		if (!(d->names[d->n_labels] = dup_n(lab, llen)))
			return -1;
		li = (int)d->n_labels++;
	}
	if (d->n == d->cap) {
		size_t nc = cm_grow_cap(d->cap, d->n + 1, 256, sizeof(char *));
		char **nt = nc ? cm_realloc_n(d->texts, nc, sizeof *nt) : NULL;
		if (!nt)
			return -1;
		d->texts = nt;
		int *nl = cm_realloc_n(d->labels, nc, sizeof *nl);
		if (!nl)
			return -1;
		d->labels = nl;
		d->cap = nc;
	}
	if (!(d->texts[d->n] = dup_n(text, tlen)))
		return -1;
	d->labels[d->n++] = li;
	return 0;
}

int nlu_dataset_add(struct nlu_dataset *d, const char *text, const char *label)
{
	return add_n(d, text, strlen(text), label, strlen(label));
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int nlu_dataset_parse_csv(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			  size_t errlen)
{
	struct cm_csv r;
	int rc, col_text = -1, col_label = -1;

	cm_csv_init(&r, buf, len);
	rc = cm_csv_next(&r);
	if (rc <= 0) {
		snprintf(err, errlen, rc ? "%s" : "empty file", r.err);
		goto fail;
	}
	for (size_t i = 0; i < r.n_fields; i++) {
		const char *h = r.fields[i];
		if (!strcmp(h, "text") || !strcmp(h, "question"))
			col_text = (int)i;
		else if (!strcmp(h, "category") || !strcmp(h, "intent") || !strcmp(h, "label"))
			col_label = (int)i;
	}
	if (col_text < 0 || col_label < 0) {
		snprintf(err, errlen, "line 1: the header needs a text and a category column");
		goto fail;
	}
	while ((rc = cm_csv_next(&r)) == 1) {
		size_t need = (size_t)(col_text > col_label ? col_text : col_label);
		if (r.n_fields <= need) {
			snprintf(err, errlen, "line %d: %zu fields, expected at least %zu", r.line,
				 r.n_fields, need + 1);
			goto fail;
		}
		const char *t = r.fields[col_text], *l = r.fields[col_label];
		size_t tl = r.lens[col_text], ll = r.lens[col_label];
		if (!cm_utf8_valid(t, tl) || !cm_utf8_valid(l, ll)) {
			snprintf(err, errlen, "line %d: not valid UTF-8", r.line);
			goto fail;
		}
		if (blank(t, tl) || blank(l, ll)) {
			snprintf(err, errlen, "line %d: empty text or category", r.line);
			goto fail;
		}
		if (add_n(d, t, tl, l, ll)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", r.err);
		goto fail;
	}
	cm_csv_free(&r);
	return 0;
fail:
	cm_csv_free(&r);
	return -1;
}
