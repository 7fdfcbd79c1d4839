/* nlu/report.c — the training report of a text model and the comparison of two reports.
 *
 * The report is built from the cross-validation's out-of-fold predictions (each example
 * question predicted by the fold model that did not see it, nlu_eval_cv_oof): accuracy
 * and macro-F1 over all of them, precision / recall / F1 per answer, the most confused
 * pairs with example questions, the answers with too few examples, and "oof": each
 * example's truth and prediction keyed by a hash of (answer, text).  Two reports are
 * compared on the questions both scored with the same truth — the same held-out slice
 * for both models: every one of those questions was unseen by the model that answered
 * it.  Runs on the caller's thread; pure computation on JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hash.h"
#include "model.h"
#include "nlu.h"
#include "nlu_int.h"

#define TOP_CONFUSED 10          /* pairs listed */
#define CONFUSED_EXAMPLES 3      /* questions shown per pair */
#define TOP_CHANGED 10           /* answers listed as better / worse */

static const char *title_of(const struct nlu_report_titles *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ids[i] == id)
			return t->titles[i];
	return "";
}

static int64_t label_id(const struct nlu_dataset *d, int l)
{
	return l >= 0 ? strtoll(d->names[l], NULL, 10) : 0;
}

static void oof_key(int64_t answer_id, const char *text, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, nlu_data_hash_add(NLU_DATA_HASH_INIT, answer_id, text));
}

struct pair { int truth, pred, count; };

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return y->count - x->count;
}

static double f1_of(int tp, int fp, int fn)
{
	return tp + fp + fn ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

char *nlu_report_build(const struct nlu_dataset *d, const int *oof, int folds,
		       const struct nlu_report_titles *titles, double *accuracy,
		       double *macro_f1)
{
	size_t L = d->n_labels;
	int *tp = calloc(L + 1, sizeof *tp), *fp = calloc(L + 1, sizeof *fp);
	int *fn = calloc(L + 1, sizeof *fn), *n_ex = calloc(L + 1, sizeof *n_ex);
	int *pairs = calloc(L * L + 1, sizeof *pairs);
	struct pair *top = calloc(L * L + 1, sizeof *top);
	json_t *o = json_object(), *answers = json_array(), *confused = json_array();
	json_t *few = json_array(), *keys = json_object();
	char *out = NULL;
	size_t ok = 0;

	if (!tp || !fp || !fn || !n_ex || !pairs || !top || !o || !answers || !confused ||
	    !few || !keys)
		goto done;
	for (size_t i = 0; i < d->n; i++) {
		int t = d->labels[i], p = oof[i];
		char key[17];
		n_ex[t]++;
		if (p == t) {
			tp[t]++;
			ok++;
		} else {
			fn[t]++;
			if (p >= 0) {
				fp[p]++;
				pairs[(size_t)t * L + (size_t)p]++;
			}
		}
		oof_key(label_id(d, t), d->texts[i], key);
		json_object_set_new(keys, key, json_pack("[I,I]", (json_int_t)label_id(d, t),
							 (json_int_t)label_id(d, p)));
	}
	double macro = 0;
	for (size_t l = 0; l < L; l++) {
		double prec = tp[l] + fp[l] ? (double)tp[l] / (tp[l] + fp[l]) : 0;
		double rec = n_ex[l] ? (double)tp[l] / n_ex[l] : 0;
		double f1 = f1_of(tp[l], fp[l], fn[l]);
		int64_t id = label_id(d, (int)l);
		macro += f1;
		json_array_append_new(answers, json_pack("{s:I, s:s, s:i, s:f, s:f, s:f}",
			"answer_id", (json_int_t)id, "title", title_of(titles, id),
			"examples", n_ex[l], "precision", prec, "recall", rec, "f1", f1));
		if (n_ex[l] < NLU_REPORT_FEW_EXAMPLES)
			json_array_append_new(few, json_pack("{s:I, s:s, s:i}", "answer_id",
				(json_int_t)id, "title", title_of(titles, id), "examples", n_ex[l]));
	}
	size_t n_top = 0;
	for (size_t t = 0; t < L; t++)
		for (size_t p = 0; p < L; p++)
			if (pairs[t * L + p])
				top[n_top++] = (struct pair){ (int)t, (int)p, pairs[t * L + p] };
	qsort(top, n_top, sizeof *top, cmp_pair);
	for (size_t k = 0; k < n_top && k < TOP_CONFUSED; k++) {
		json_t *ex = json_array();
		for (size_t i = 0; i < d->n && json_array_size(ex) < CONFUSED_EXAMPLES; i++)
			if (d->labels[i] == top[k].truth && oof[i] == top[k].pred)
				json_array_append_new(ex, json_string(d->texts[i]));
		int64_t a = label_id(d, top[k].truth), b = label_id(d, top[k].pred);
		json_array_append_new(confused, json_pack("{s:I, s:s, s:I, s:s, s:i, s:o}",
			"answer_id", (json_int_t)a, "title", title_of(titles, a),
			"confused_with_id", (json_int_t)b, "confused_with", title_of(titles, b),
			"count", top[k].count, "examples", ex));
	}
	json_object_set_new(o, "format", json_integer(1));
	json_object_set_new(o, "examples", json_integer((json_int_t)d->n));
	json_object_set_new(o, "answers_count", json_integer((json_int_t)L));
	json_object_set_new(o, "folds", json_integer(folds));
	*accuracy = d->n ? (double)ok / d->n : 0;
	*macro_f1 = L ? macro / L : 0;
	json_object_set_new(o, "accuracy", json_real(*accuracy));
	json_object_set_new(o, "macro_f1", json_real(*macro_f1));
	json_object_set_new(o, "few_examples_below", json_integer(NLU_REPORT_FEW_EXAMPLES));
	json_object_set_new(o, "answers", answers);
	json_object_set_new(o, "confused", confused);
	json_object_set_new(o, "few_examples", few);
	json_object_set_new(o, "oof", keys);
	answers = confused = few = keys = NULL;
	out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(5));
done:
	json_decref(o);
	json_decref(answers);
	json_decref(confused);
	json_decref(few);
	json_decref(keys);
	free(tp); free(fp); free(fn); free(n_ex); free(pairs); free(top);
	return out;
}

/* Per-answer counts over the common questions of one report. */
struct side {
	json_t *ids;                 /* answer id (text) -> index */
	int *tp, *fp, *fn;
	size_t ok;
};

static int idx_of(json_t *ids, int64_t id, size_t *n)
{
	char k[24];
	snprintf(k, sizeof k, "%lld", (long long)id);
	json_t *v = json_object_get(ids, k);
	if (v)
		return (int)json_integer_value(v);
	json_object_set_new(ids, k, json_integer((json_int_t)*n));
	return (int)(*n)++;
}

static json_t *side_json(const struct side *s, size_t n_common, size_t n_answers)
{
	double macro = 0;
	size_t n = 0;
	for (size_t a = 0; a < n_answers; a++)
		if (s->tp[a] + s->fp[a] + s->fn[a]) {
			macro += f1_of(s->tp[a], s->fp[a], s->fn[a]);
			n++;
		}
	return json_pack("{s:f, s:f}", "accuracy", n_common ? (double)s->ok / n_common : 0,
			 "macro_f1", n ? macro / n : 0);
}

static int cmp_delta(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "delta"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "delta"));
	return (x < y) - (x > y);
}

char *nlu_report_compare(const char *candidate, const char *live)
{
	json_t *c = json_loads(candidate, 0, NULL), *l = json_loads(live, 0, NULL);
	json_t *co = json_object_get(c, "oof"), *lo = json_object_get(l, "oof");
	json_t *ids = json_object(), *out = NULL;
	size_t cap = json_object_size(co) + 1, n_ids = 0, n_common = 0;
	struct side s[2] = { { 0 }, { 0 } };
	int64_t *id_of = calloc(2 * cap + 1, sizeof *id_of);
	char *text = NULL;
	const char *key;
	json_t *cv;

	if (!c || !l || !json_is_object(co) || !json_is_object(lo) || !ids || !id_of)
		goto done;
	for (int k = 0; k < 2; k++) {
		s[k].tp = calloc(2 * cap + 1, sizeof(int));
		s[k].fp = calloc(2 * cap + 1, sizeof(int));
		s[k].fn = calloc(2 * cap + 1, sizeof(int));
		if (!s[k].tp || !s[k].fp || !s[k].fn)
			goto done;
	}
	json_object_foreach(co, key, cv) {
		json_t *lv = json_object_get(lo, key);
		int64_t truth = json_integer_value(json_array_get(cv, 0));
		if (!lv || json_integer_value(json_array_get(lv, 0)) != truth)
			continue;
		n_common++;
		int t = idx_of(ids, truth, &n_ids);
		id_of[t] = truth;
		for (int k = 0; k < 2; k++) {
			int64_t pred = json_integer_value(json_array_get(k ? lv : cv, 1));
			if (pred == truth) {
				s[k].tp[t]++;
				s[k].ok++;
			} else {
				s[k].fn[t]++;
				if (pred) {
					int p = idx_of(ids, pred, &n_ids);
					id_of[p] = pred;
					s[k].fp[p]++;
				}
			}
		}
		if (n_ids >= 2 * cap)
			goto done;
	}
	json_t *titles = json_object();
	json_t *ans[2] = { json_object_get(c, "answers"), json_object_get(l, "answers") };
	for (int k = 1; k >= 0; k--) {
		size_t i;
		json_t *a;
		json_array_foreach(ans[k], i, a) {
			char kk[24];
			snprintf(kk, sizeof kk, "%lld",
				 (long long)json_integer_value(json_object_get(a, "answer_id")));
			json_object_set(titles, kk, json_object_get(a, "title"));
		}
	}
	json_t *changed = json_array();
	for (size_t a = 0; a < n_ids; a++) {
		if (!(s[0].tp[a] + s[0].fn[a]))      /* only answers with common questions */
			continue;
		double fc = f1_of(s[0].tp[a], s[0].fp[a], s[0].fn[a]);
		double fl = f1_of(s[1].tp[a], s[1].fp[a], s[1].fn[a]);
		char kk[24];
		snprintf(kk, sizeof kk, "%lld", (long long)id_of[a]);
		json_t *t = json_object_get(titles, kk);
		if (fc != fl)
			json_array_append_new(changed, json_pack("{s:I, s:s, s:i, s:f, s:f, s:f}",
				"answer_id", (json_int_t)id_of[a], "title", t ? json_string_value(t) : "",
				"questions", s[0].tp[a] + s[0].fn[a], "candidate_f1", fc, "live_f1", fl,
				"delta", fc - fl));
	}
	json_decref(titles);
	size_t n_ch = json_array_size(changed);
	json_t **v = malloc(sizeof *v * (n_ch + 1));
	json_t *better = json_array(), *worse = json_array();
	for (size_t i = 0; v && i < n_ch; i++)
		v[i] = json_array_get(changed, i);
	if (v)
		qsort(v, n_ch, sizeof *v, cmp_delta);
	for (size_t i = 0; v && i < n_ch; i++) {
		double dlt = json_real_value(json_object_get(v[i], "delta"));
		if (dlt > 0 && json_array_size(better) < TOP_CHANGED)
			json_array_append(better, v[i]);
	}
	for (size_t i = n_ch; v && i-- > 0;) {
		double dlt = json_real_value(json_object_get(v[i], "delta"));
		if (dlt < 0 && json_array_size(worse) < TOP_CHANGED)
			json_array_append(worse, v[i]);
	}
	free(v);
	json_decref(changed);
	out = json_pack("{s:I, s:o, s:o, s:o, s:o}", "questions", (json_int_t)n_common,
			"candidate", side_json(&s[0], n_common, n_ids),
			"live", side_json(&s[1], n_common, n_ids), "better", better, "worse", worse);
	if (out)
		text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(5));
done:
	for (int k = 0; k < 2; k++) {
		free(s[k].tp);
		free(s[k].fp);
		free(s[k].fn);
	}
	free(id_of);
	json_decref(out);
	json_decref(ids);
	json_decref(c);
	json_decref(l);
	return text;
}
