/* policy/labels.c — which picture label each answer shows (policy.h, struct pol_labels).
 *
 * Read once from the store (store_picture_answers_foreach) on the caller's thread, sorted
 * by answer id, immutable afterwards: any number of threads look answers up without
 * locks.  The category-head combination of pol_answer needs it to know that "Caring for
 * dresses" is the answer a dress photo supports.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct pol_pair {
	int64_t answer_id;
	char label[64];
};

struct pol_labels {
	struct pol_pair *v;      /* sorted by answer id (stable: the first label first) */
	int n, cap;
	int n_labels;            /* distinct labels */
	int n_answers;           /* distinct answers with a label */
	int oom;
};

static int add_pair(void *arg, int64_t answer_id, const char *label)
{
	struct pol_labels *l = arg;

	if (!label || !label[0])
		return 0;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct pol_pair *v = realloc(l->v, (size_t)cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].answer_id = answer_id;
	snprintf(l->v[l->n].label, sizeof l->v[l->n].label, "%s", label);
	l->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the pairs and counts the distinct labels.  0, or -1 on no memory. */
static int finish(struct pol_labels *l)
{
	const char **names;

	/* insertion order breaks ties so the first label stays first */
	for (int i = 1; i < l->n; i++) {
		struct pol_pair t = l->v[i];
		int j = i;
		while (j > 0 && l->v[j - 1].answer_id > t.answer_id) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = t;
	}
	names = malloc((size_t)(l->n ? l->n : 1) * sizeof *names);
	if (!names)
		return -1;
	for (int i = 0; i < l->n; i++)
		names[i] = l->v[i].label;
	qsort(names, (size_t)l->n, sizeof *names, cmp_str);
	l->n_labels = 0;
	for (int i = 0; i < l->n; i++)
		l->n_labels += i == 0 || strcmp(names[i], names[i - 1]);
	l->n_answers = 0;
	for (int i = 0; i < l->n; i++)
		l->n_answers += i == 0 || l->v[i].answer_id != l->v[i - 1].answer_id;
	free(names);
	return 0;
}

struct pol_labels *pol_labels_load(struct store *st, char *err, size_t errlen)
{
	struct pol_labels *l = calloc(1, sizeof *l);
	int rc;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = store_picture_answers_foreach(st, add_pair, l);
	if (rc || l->oom || finish(l)) {
		snprintf(err, errlen, "picture labels: %s",
			 rc < 0 ? store_errmsg(st) : "out of memory");
		pol_labels_free(l);
		return NULL;
	}
	return l;
}

struct pol_labels *pol_labels_from_pairs(const int64_t *answer_ids,
					 const char *const *labels, int n)
{
	struct pol_labels *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	for (int i = 0; i < n && !l->oom; i++)
		add_pair(l, answer_ids[i], labels[i]);
	if (l->oom || finish(l)) {
		pol_labels_free(l);
		return NULL;
	}
	return l;
}

void pol_labels_free(struct pol_labels *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}

int pol_labels_n_labels(const struct pol_labels *l)
{
	return l ? l->n_labels : 0;
}

int pol_labels_n_answers(const struct pol_labels *l)
{
	return l ? l->n_answers : 0;
}

int pol_labels_count(const struct pol_labels *l, const char *label)
{
	int n = 0;

	for (int i = 0; l && i < l->n; i++)
		n += !strcmp(l->v[i].label, label);
	return n;
}

const char *pol_labels_of(const struct pol_labels *l, int64_t answer_id)
{
	int lo = 0, hi = l ? l->n : 0;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (l->v[mid].answer_id < answer_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return l && lo < l->n && l->v[lo].answer_id == answer_id ? l->v[lo].label : "";
}
