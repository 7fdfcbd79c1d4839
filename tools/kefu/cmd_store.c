/* tools/kefu/cmd_store.c — store housekeeping commands: init, import, export, stats. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"

/* Parses the shared options and opens the store (seeding the demo into an empty one
 * only when seed is set, as kefud would); *st is NULL when the command should return
 * *status right away (help printed or an error). */
static int open_with_args(const char *prog, int argc, char **argv, char **pos, int max_pos,
			  int *npos, struct kefu_conf *c, struct store **st, int seed)
{
	int p = cli_parse_conf(c, prog, argc, argv, pos, max_pos, npos);

	*st = NULL;
	if (p)
		return p < 0 ? 2 : 0;
	*st = seed ? cli_open_store(c) : cli_open_existing(c);
	return *st ? 0 : 1;
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

int cmd_import(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	char *pos[1], err[512];
	const char *domain = cli_take_value(&argc, argv, "--domain");
	int npos, rc = open_with_args("kefu import", argc, argv, pos, 1, &npos, &c, &st, 0);
	int yaml, n_disabled = 0;
	size_t len = 0;

	if (!st)
		return rc;
	if (npos != 1 || (domain && !*domain)) {
		fprintf(stderr, "usage: kefu import [--db FILE] FILE.csv|FILE.json|FILE.yml "
			"[--domain DOMAIN.yml]\n");
		store_close(st);
		return 2;
	}
	yaml = has_suffix(pos[0], ".yml") || has_suffix(pos[0], ".yaml");
	char *data = yaml ? cli_rasa_to_json(pos[0], domain, &n_disabled)
			  : cli_read_file(pos[0], &len);
	rc = 1;
	if (!data)
		goto out;
	struct store_import_result res = { 0 };
	int r;
	if (yaml)
		len = strlen(data);
	if (yaml || has_suffix(pos[0], ".json"))
		r = store_import_json(st, data, len, &res, err, sizeof err);
	else
		r = store_import_csv(st, data, len, &res, err, sizeof err);
	if (r) {
		fprintf(stderr, "kefu import: %s: %s (nothing was imported)\n", pos[0], err);
		goto out;
	}
	printf("imported %s: %lld new answers, %lld new example questions, %lld already there\n",
	       pos[0], (long long)res.answers_added, (long long)res.examples_added,
	       (long long)res.duplicates);
	if (n_disabled)
		printf("%d intents have no utter_ response (pass the Rasa domain with --domain): "
		       "imported disabled until an answer text is written\n", n_disabled);
	rc = 0;
out:
	free(data);
	store_close(st);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	char *pos[1];
	int npos, rc = open_with_args("kefu export", argc, argv, pos, 1, &npos, &c, &st, 0);
	FILE *out = stdout;

	if (!st)
		return rc;
	if (npos == 1 && strcmp(pos[0], "-") && !(out = fopen(pos[0], "w"))) {
		perror(pos[0]);
		store_close(st);
		return 1;
	}
	rc = store_export_json(st, out) ? 1 : 0;
	if (out != stdout && fclose(out))
		rc = 1;
	store_close(st);
	return rc;
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
	if (json)
		printf("{\"sessions\":%lld,\"customer_messages\":%lld,\"bot_replies\":%lld,"
		       "\"answers\":%lld,\"examples\":%lld}\n",
		       (long long)s.sessions, (long long)s.customer_messages,
		       (long long)s.bot_replies, (long long)s.answers, (long long)s.examples);
	else
		printf("sessions           %lld\ncustomer messages  %lld\nbot replies        %lld\n"
		       "answers            %lld\nexample questions  %lld\n",
		       (long long)s.sessions, (long long)s.customer_messages,
		       (long long)s.bot_replies, (long long)s.answers, (long long)s.examples);
	store_close(st);
	return 0;
}
