/* tools/kefu/cmd_models.c — `kefu models list|activate V|rollback|report [V]`: the text
 * model's versions (train/versions.c, the same JSON the console's Training page reads):
 * which is live, the candidates and earlier ones, making one live (with the picture and
 * fusion models of its training), going back to the one live before, and a version's
 * training report beside the live one's.  A running kefud answers with a newly live
 * version after SIGHUP.  Main thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "store.h"
#include "train.h"

static void when(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%MZ", &tm);
}

static int list(struct store *st, int json)
{
	char *s = trn_versions_json(st);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL, *v;
	size_t i;

	if (!j) {
		fprintf(stderr, "kefu models: %s\n", store_errmsg(st));
		free(s);
		return 1;
	}
	if (json) {
		puts(s);
	} else {
		printf("%-8s %-10s %-18s %9s %9s %9s\n", "version", "state", "trained", "accuracy",
		       "macro-F1", "examples");
		json_array_foreach(json_object_get(j, "versions"), i, v) {
			char t[32];
			when(json_integer_value(json_object_get(v, "created_ms")), t, sizeof t);
			printf("v%-7lld %-10s %-18s %8.2f%% %8.2f%% %9lld\n",
			       (long long)json_integer_value(json_object_get(v, "version")),
			       json_string_value(json_object_get(v, "state")), t,
			       100 * json_number_value(json_object_get(v, "cv_accuracy")),
			       100 * json_number_value(json_object_get(v, "cv_macro_f1")),
			       (long long)json_integer_value(json_object_get(v, "examples")));
		}
	}
	free(s);
	json_decref(j);
	return 0;
}

static void print_report(json_t *r)
{
	json_t *a, *c = json_object_get(r, "against_live");
	size_t i;

	printf("v%lld%s: %lld examples of %lld answers, %lld-fold cross-validation\n",
	       (long long)json_integer_value(json_object_get(r, "version")),
	       json_is_true(json_object_get(r, "live")) ? " (live)" : "",
	       (long long)json_integer_value(json_object_get(r, "examples")),
	       (long long)json_integer_value(json_object_get(r, "answers_count")),
	       (long long)json_integer_value(json_object_get(r, "folds")));
	printf("accuracy %.2f %%, macro-F1 %.2f %%\n",
	       100 * json_number_value(json_object_get(r, "accuracy")),
	       100 * json_number_value(json_object_get(r, "macro_f1")));
	if (json_is_object(c))
		printf("against live v%lld on the same %lld questions: accuracy %.2f %% vs %.2f %%, "
		       "macro-F1 %.2f %% vs %.2f %%; %zu answers better, %zu worse\n",
		       (long long)json_integer_value(json_object_get(c, "live_version")),
		       (long long)json_integer_value(json_object_get(c, "questions")),
		       100 * json_number_value(json_object_get(json_object_get(c, "candidate"), "accuracy")),
		       100 * json_number_value(json_object_get(json_object_get(c, "live"), "accuracy")),
		       100 * json_number_value(json_object_get(json_object_get(c, "candidate"), "macro_f1")),
		       100 * json_number_value(json_object_get(json_object_get(c, "live"), "macro_f1")),
		       json_array_size(json_object_get(c, "better")),
		       json_array_size(json_object_get(c, "worse")));
	printf("most confused:\n");
	json_array_foreach(json_object_get(r, "confused"), i, a)
		printf("  %3lld × %s → %s (\"%s\")\n",
		       (long long)json_integer_value(json_object_get(a, "count")),
		       json_string_value(json_object_get(a, "title")),
		       json_string_value(json_object_get(a, "confused_with")),
		       json_string_value(json_array_get(json_object_get(a, "examples"), 0)));
	json_t *few = json_object_get(r, "few_examples");
	printf("answers with fewer than %lld examples: %zu\n",
	       (long long)json_integer_value(json_object_get(r, "few_examples_below")),
	       json_array_size(few));
	json_array_foreach(few, i, a)
		printf("  %s (%lld)\n", json_string_value(json_object_get(a, "title")),
		       (long long)json_integer_value(json_object_get(a, "examples")));
}

static int parse_version(const char *s, int64_t *v)
{
	char *end;
	if (*s == 'v')
		s++;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || x < 1)
		return -1;
	*v = x;
	return 0;
}

int cmd_models(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[2];
	int npos, rc = 1;
	int json = cli_take_flag(&argc, argv, "--json");
	int p = cli_parse_conf(&c, "kefu models", argc, argv, pos, 2, &npos);
	int64_t v = 0;

	if (p)
		return p < 0 ? 2 : 0;
	const char *sub = npos ? pos[0] : "";
	if (!(!strcmp(sub, "list") && npos == 1) && !(!strcmp(sub, "rollback") && npos == 1) &&
	    !(!strcmp(sub, "activate") && npos == 2) && !(!strcmp(sub, "report") && npos <= 2)) {
		fprintf(stderr, "usage: kefu models list|activate VERSION|rollback|report [VERSION] "
			"[--json] [--db FILE]\n");
		return 2;
	}
	if (npos == 2 && parse_version(pos[1], &v)) {
		fprintf(stderr, "kefu models: %s is not a version (1, 2, ... or v1, v2, ...)\n",
			pos[1]);
		return 2;
	}
	struct store *st = cli_open_existing(&c);
	if (!st)
		return 1;
	if (!strcmp(sub, "list")) {
		rc = list(st, json);
	} else if (!strcmp(sub, "activate")) {
		int r = store_model_activate(st, "nlu", v);
		if (r)
			fprintf(stderr, "kefu models: %s\n", store_errmsg(st));
		else
			printf("v%lld is live; send SIGHUP to a running kefud to answer with it\n",
			       (long long)v);
		rc = r ? 1 : 0;
	} else if (!strcmp(sub, "rollback")) {
		int r = trn_rollback(st, &v);
		if (r == STORE_NOT_FOUND)
			fprintf(stderr, "kefu models: no earlier live version to go back to\n");
		else if (r)
			fprintf(stderr, "kefu models: %s\n", store_errmsg(st));
		else
			printf("rolled back: v%lld is live again; send SIGHUP to a running kefud\n",
			       (long long)v);
		rc = r ? 1 : 0;
	} else {
		char *out = NULL;
		int r = v ? 0 : store_model_live_version(st, "nlu", &v);
		if (r == 0)
			r = trn_report_json(st, v, &out);
		if (r == STORE_NOT_FOUND)
			fprintf(stderr, "kefu models: no report for %s (train with --cv 2 or more)\n",
				v ? "that version" : "a live version");
		else if (r)
			fprintf(stderr, "kefu models: %s\n", store_errmsg(st));
		else if (json)
			puts(out);
		else {
			json_t *j = json_loads(out, 0, NULL);
			print_report(j);
			json_decref(j);
		}
		free(out);
		rc = r ? 1 : 0;
	}
	store_close(st);
	return rc;
}
