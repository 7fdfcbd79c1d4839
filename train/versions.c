/* train/versions.c — the text model's versions as the console, the API and `kefu
 * models` show them: the list (live, candidates, earlier ones), one version's report
 * compared with the live one's, making a version live, rolling back.  JSON built with
 * jansson; runs on the caller's thread with the caller's store connection.
 */
#include "train.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int add_version(void *arg, const struct store_model_info *m)
{
	json_t *metrics = m->metrics ? json_loads(m->metrics, 0, NULL) : NULL;
	json_t *acc = json_object_get(metrics, "cv_accuracy");
	json_t *f1 = json_object_get(metrics, "cv_macro_f1");
	json_t *n = json_object_get(metrics, "n_examples");
	json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:I, s:O*, s:O*, s:O*, s:b, s:s}",
			      "version", (json_int_t)m->version,
			      "state", m->live ? "live" : m->live_ms ? "earlier" : "candidate",
			      "created_ms", (json_int_t)m->created_ms,
			      "live_ms", (json_int_t)m->live_ms, "bytes", (json_int_t)m->bytes,
			      "cv_accuracy", json_number_value(acc) > 0 ? acc : NULL,
			      "cv_macro_f1", json_number_value(f1) > 0 ? f1 : NULL,
			      "examples", n, "report", m->has_report,
			      "data_hash", m->data_hash ? m->data_hash : "");

	json_decref(metrics);
	return json_array_append_new(arg, j);
}

char *trn_versions_json(struct store *st)
{
	json_t *arr = json_array(), *o = NULL;
	int64_t live = 0, prev = 0;
	char *s = NULL;

	if (!arr || store_models_foreach(st, "nlu", add_version, arr))
		goto out;
	if (store_model_live_version(st, "nlu", &live) < 0 ||
	    store_model_previous(st, "nlu", &prev) < 0)
		goto out;
	o = json_pack("{s:O, s:o, s:o}", "versions", arr,
		      "live", live ? json_integer(live) : json_null(),
		      "rollback_to", prev ? json_integer(prev) : json_null());
	s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(5)) : NULL;
out:
	json_decref(arr);
	json_decref(o);
	return s;
}

int trn_report_json(struct store *st, int64_t version, char **out)
{
	char *rep = NULL, *live_rep = NULL, *cmp = NULL;
	int64_t live = 0;
	int rc = store_model_report(st, "nlu", version, &rep);
	json_t *j;

	*out = NULL;
	if (rc)
		return rc;
	if (!(j = json_loads(rep, 0, NULL))) {
		free(rep);
		return -1;
	}
	json_object_del(j, "oof");        /* only for comparisons: too big to show */
	json_object_set_new(j, "version", json_integer(version));
	if (store_model_live_version(st, "nlu", &live) == 0 && live != version &&
	    store_model_report(st, "nlu", live, &live_rep) == 0 &&
	    (cmp = nlu_report_compare(rep, live_rep))) {
		json_t *c = json_loads(cmp, 0, NULL);
		json_object_set_new(c, "live_version", json_integer(live));
		json_object_set_new(j, "against_live", c);
	} else {
		json_object_set_new(j, "against_live", json_null());
	}
	json_object_set_new(j, "live", json_boolean(live == version));
	*out = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(5));
	json_decref(j);
	free(rep);
	free(live_rep);
	free(cmp);
	return *out ? 0 : -1;
}

int trn_rollback(struct store *st, int64_t *version)
{
	int rc = store_model_previous(st, "nlu", version);

	return rc ? rc : store_model_activate(st, "nlu", *version);
}
