/* tools/kefu/cmd_store.c — store housekeeping commands: init, import, export, stats. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "file.h"
#include "rasa.h"
#include "store.h"

/* Parses the shared options and opens the store (seeding the demo into an empty one
 * only when seed is set, as kefud would; a store that does not exist is opened in memory
 * when in_memory_if_missing is set: a dry run creates no file); *st is NULL when the
 * command should return *status right away (help printed or an error). */
static int open_with_args_ex(const char *prog, int argc, char **argv, char **pos,
			     int max_pos, int *npos, struct kefu_conf *c, struct store **st,
			     int seed, int in_memory_if_missing)
{
	int p = cli_parse_conf(c, prog, argc, argv, pos, max_pos, npos);

	*st = NULL;
	if (p)
		return p < 0 ? 2 : 0;
	if (in_memory_if_missing && access(c->db, F_OK) != 0)
		snprintf(c->db, sizeof c->db, ":memory:");
	*st = seed ? cli_open_store(c) : cli_open_existing(c);
	return *st ? 0 : 1;
}

static int open_with_args(const char *prog, int argc, char **argv, char **pos, int max_pos,
			  int *npos, struct kefu_conf *c, struct store **st, int seed)
{
	return open_with_args_ex(prog, argc, argv, pos, max_pos, npos, c, st, seed, 0);
}

int cmd_init(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	struct store_stats s;
	int npos, rc = open_with_args("kefu init", argc, argv, NULL, 0, &npos, &c, &st, 1);

	if (!st)
		return rc;
	if (store_stats(st, &s) == 0)
		printf("%s: schema %d, %lld answers, %lld example questions\n", c.db,
		       store_schema_version(st), (long long)s.answers, (long long)s.examples);
	store_close(st);
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int is_rasa_path(const char *p)
{
	struct stat sb;
	return has_suffix(p, ".yml") || has_suffix(p, ".yaml") ||
	       (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
}

#define MAX_PATHS 64

/* One picture of a Rasa response, for store_answer_change. */
struct pic_add {
	int64_t aid;
	const char *source;
	const char *bytes;
	size_t len;
};

static int pic_add_fn(void *arg, struct store *st)
{
	struct pic_add *x = arg;
	int64_t id;

	return store_picture_add(st, x->aid, NULL, x->source, x->bytes, x->len, &id);
}

/* Response images that are local files become pictures of their answer (after the
 * import committed; a dry run only counts them), each a version of its answer
 * ("picture.add" by who) as in the console.  Prints one report line. */
static void add_pictures(struct store *st, const struct nlu_rasa_rows *p, int dry,
			 const struct store_who *who)
{
	int added = 0, had = 0, missing = 0;
	const char *first_missing = NULL;

	for (size_t i = 0; i < p->n; i++) {
		int64_t aid;
		size_t len;
		char *bytes = cm_read_file(p->b[i], &len);
		if (!bytes) {
			missing++;
			if (!first_missing)
				first_missing = p->b[i];
			continue;
		}
		const char *base = strrchr(p->b[i], '/');
		struct pic_add x = { 0, base ? base + 1 : p->b[i], bytes, len };
		int rc = dry ? 0 : store_answer_find(st, p->a[i], &aid);
		if (rc == 0 && !dry) {
			x.aid = aid;
			rc = store_answer_change(st, aid, who, "picture.add", pic_add_fn, &x, NULL);
		}
		free(bytes);
		if (rc == 0)
			added++;
		else if (rc == STORE_DUPLICATE)
			had++;
		else
			missing++;
	}
	printf("  response images that are files: %d %s as pictures of their answer, %d "
	       "already there, %d unreadable%s%s%s\n", added, dry ? "would be added" : "added",
	       had, missing, first_missing ? " (first: " : "", first_missing ? first_missing : "",
	       first_missing ? ")" : "");
}

/* The audit row of an applied import (as the console's: api/answers.c "answers.import"). */
static void audit_import(struct store *st, const char *who, const char *format, json_t *plan)
{
	json_t *j = json_pack("{s:s, s:O, s:I, s:I}", "format", format, "counts",
			      json_object_get(plan, "counts"), "changed",
			      (json_int_t)json_array_size(json_object_get(plan, "changed")),
			      "removed", (json_int_t)json_array_size(json_object_get(plan, "removed")));
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct store_audit a = { .login = who, .action = "answers.import", .object = "",
				 .ip = "", .changes = text ? text : "{}" };

	if (store_audit_add(st, &a, cm_wall_ms()))
		fprintf(stderr, "kefu import: audit row not written: %s\n", store_errmsg(st));
	free(text);
	json_decref(j);
}

static long long count_of(json_t *plan, const char *key)
{
	return (long long)json_integer_value(json_object_get(json_object_get(plan, "counts"), key));
}

int cmd_import(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	char *pos[MAX_PATHS + 1], err[512], *report = NULL;
	const char *domain = cli_take_value(&argc, argv, "--domain");
	const char *titles = cli_take_value(&argc, argv, "--titles");
	int dry = cli_take_flag(&argc, argv, "--dry-run");
	int npos, rc = open_with_args_ex("kefu import", argc, argv, pos, MAX_PATHS, &npos, &c,
					 &st, 0, dry);
	int yaml;
	size_t len = 0;
	struct nlu_rasa_counts rc_counts = { 0 };

	if (!st)
		return rc;
	if (npos < 1 || (domain && !*domain) || (titles && !*titles)) {
		fprintf(stderr, "usage: kefu import [--db FILE] [--dry-run] FILE.csv|FILE.json | "
			"RASA.yml|RASA_DIR... [--domain DOMAIN.yml] [--titles FILE]\n");
		store_close(st);
		return 2;
	}
	yaml = is_rasa_path(pos[0]);
	if (domain)
		pos[npos++] = (char *)domain;
	for (int i = 1; i < npos; i++)
		if (!yaml || !is_rasa_path(pos[i])) {
			fprintf(stderr, "kefu import: several files at once are Rasa .yml files or "
				"folders only (%s)\n", pos[i]);
			store_close(st);
			return 2;
		}
	struct nlu_rasa_rows pictures = { 0 };
	struct nlu_rasa_input in[MAX_PATHS + 1];
	for (int i = 0; i < npos; i++)
		in[i] = (struct nlu_rasa_input){ .path = pos[i] };
	char *data = yaml ? nlu_rasa_import_json(in, npos, titles, &rc_counts, &pictures,
						 &report, err, sizeof err)
			  : cli_read_file(pos[0], &len);
	rc = 1;
	if (!data) {
		if (yaml)
			fprintf(stderr, "kefu import: %s\n", err);
		goto out;
	}
	/* the console's import (store_import_plan): every answer it adds or changes is a
	 * version by "cli:USER" (action "import"), in the same transaction */
	char login[128], *plan_text = NULL;
	struct store_who who = { 0, cli_actor(login, sizeof login) };
	const char *format = yaml || has_suffix(pos[0], ".json") ? "json" : "csv";
	if (yaml)
		len = strlen(data);
	if (store_import_plan(st, format, data, len, dry, 0, &who, &plan_text, err, sizeof err)) {
		fprintf(stderr, "kefu import: %s: %s (nothing was imported)\n", pos[0], err);
		goto out;
	}
	json_t *plan = json_loads(plan_text, 0, NULL);
	free(plan_text);
	if (!plan) {
		fprintf(stderr, "kefu import: out of memory\n");
		goto out;
	}
	printf("%s %s%s: %lld new answers, %lld updated, %lld new example questions, "
	       "%lld already there\n", dry ? "would import" : "imported", pos[0],
	       npos > 1 ? " ..." : "", count_of(plan, "answers_added"),
	       count_of(plan, "answers_updated"), count_of(plan, "examples_added"),
	       count_of(plan, "duplicates"));
	if (!dry)
		audit_import(st, who.login, yaml ? "rasa" : format, plan);
	json_decref(plan);
	if (yaml) {
		printf("Rasa import report:\n%s", report ? report : "");
		if (pictures.n)
			add_pictures(st, &pictures, dry, &who);
		printf("  answers %ld (enabled %ld, disabled for want of a response %ld); "
		       "extra example questions %ld; variations dropped %ld; responses with "
		       "unsupported parts %ld\n", rc_counts.answers,
		       rc_counts.answers - rc_counts.disabled, rc_counts.disabled,
		       rc_counts.extra_examples, rc_counts.variations_dropped,
		       rc_counts.unsupported);
		if (dry)
			printf("dry run: nothing was written\n");
	}
	rc = 0;
out:
	nlu_rasa_rows_free(&pictures);
	free(report);
	free(data);
	store_close(st);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	char *pos[1];
	const char *format = cli_take_value(&argc, argv, "--format");
	int npos, rc = open_with_args("kefu export", argc, argv, pos, 1, &npos, &c, &st, 0);
	FILE *out = stdout;

	if (!st)
		return rc;
	if (format && strcmp(format, "json") && strcmp(format, "rasa")) {
		fprintf(stderr, "kefu export: --format is json or rasa, not \"%s\"\n", format);
		store_close(st);
		return 2;
	}
	if (npos == 1 && strcmp(pos[0], "-") && !(out = fopen(pos[0], "w"))) {
		fprintf(stderr, "kefu export: %s: %s\n", pos[0], strerror(errno));
		store_close(st);
		return 1;
	}
	char err[300];
	if (format && !strcmp(format, "rasa")) {
		if ((rc = nlu_rasa_export(st, out, err, sizeof err) ? 1 : 0))
			fprintf(stderr, "kefu export: %s\n", err);
	} else if ((rc = store_export_json(st, out) ? 1 : 0))
		fprintf(stderr, "kefu export: %s\n", store_errmsg(st));
	if (out != stdout && fclose(out))
		rc = 1;
	store_close(st);
	return rc;
}

static int count_enabled(void *arg, const struct store_answer *a)
{
	*(long long *)arg += a->enabled != 0;
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	struct store_stats s;
	int json = cli_take_flag(&argc, argv, "--json");
	int npos, rc = open_with_args("kefu stats", argc, argv, NULL, 0, &npos, &c, &st, 0);

	if (!st)
		return rc;
	if (store_stats(st, &s)) {
		fprintf(stderr, "kefu stats: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	long long enabled = 0;
	if (store_answers_foreach(st, count_enabled, &enabled)) {
		fprintf(stderr, "kefu stats: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	if (json)
		printf("{\"sessions\":%lld,\"customer_messages\":%lld,\"bot_replies\":%lld,"
		       "\"answers\":%lld,\"answers_enabled\":%lld,\"answers_disabled\":%lld,"
		       "\"examples\":%lld}\n",
		       (long long)s.sessions, (long long)s.customer_messages,
		       (long long)s.bot_replies, (long long)s.answers, enabled,
		       (long long)s.answers - enabled, (long long)s.examples);
	else
		printf("sessions           %lld\ncustomer messages  %lld\nbot replies        %lld\n"
		       "answers            %lld (%lld enabled, %lld disabled)\n"
		       "example questions  %lld\n",
		       (long long)s.sessions, (long long)s.customer_messages,
		       (long long)s.bot_replies, (long long)s.answers, enabled,
		       (long long)s.answers - enabled, (long long)s.examples);
	store_close(st);
	return 0;
}
