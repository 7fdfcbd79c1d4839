/* tools/kefu/cmd_texts.c — `kefu texts`: the customer-facing texts kefu says in its own
 * words (greeting, fallback, "Did you say …?", picture refusal, hand-off, ...), per key
 * and language, and an operator's replacements of them (store.h "customer-facing texts").
 *
 *   kefu texts list [KEY] [--json]
 *   kefu texts set KEY LANG TEXT [--json]
 *   kefu texts reset KEY LANG [--json]
 *
 * A running kefud picks a change up on SIGHUP (or at restart).  Exit status: 0 done (a
 * reset of a default text too), 1 the database failed, 2 bad arguments or a text the
 * store refused (unknown key or language, empty, too long, a placeholder missing).
 * Main thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"

struct list_ctx {
	const char *key;       /* only this key, or NULL */
	json_t *arr;           /* --json */
	int n;
};

static json_t *row_json(const struct store_text_row *r)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "key", r->key, "lang", r->lang,
			 "text", r->text, "custom", r->custom, "default", r->default_text,
			 "what", r->what);
}

static int list_row(void *arg, const struct store_text_row *r)
{
	struct list_ctx *c = arg;

	if (c->key && strcmp(c->key, r->key))
		return 0;
	c->n++;
	if (c->arr)
		return json_array_append_new(c->arr, row_json(r)) ? -1 : 0;
	printf("%-16s %s %s %s\n", r->key, r->lang, r->custom ? "custom " : "default", r->text);
	return 0;
}

/* The row of key/lang as it is now, printed as JSON. */
static int print_one(void *arg, const struct store_text_row *r)
{
	const char *const *kl = arg;

	if (strcmp(r->key, kl[0]) || strcmp(r->lang, kl[1]))
		return 0;
	json_t *j = row_json(r);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(j);
	return 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kefu texts list [KEY] [--json]\n"
		     "       kefu texts set KEY LANG TEXT [--json]\n"
		     "       kefu texts reset KEY LANG [--json]\n"
		     "LANG is en or zh; kefud picks changes up on SIGHUP.  The options of\n"
		     "`kefu stats --help` (--db ...) apply.\n");
}

int cmd_texts(int argc, char **argv)
{
	struct kefu_conf c;
	struct store *st;
	char *pos[5];
	int npos, rc = 0;
	int json = cli_take_flag(&argc, argv, "--json");

	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	int p = cli_parse_conf(&c, "kefu texts", argc, argv, pos, 5, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	const char *verb = npos > 0 ? pos[0] : "";
	int list = !strcmp(verb, "list"), set = !strcmp(verb, "set"), reset = !strcmp(verb, "reset");
	if (!(list && npos <= 2) && !(set && npos == 4) && !(reset && npos == 3)) {
		usage(stderr);
		return 2;
	}
	if (!(st = cli_open_existing(&c)))
		return 1;
	if (list) {
		struct list_ctx lc = { .key = npos == 2 ? pos[1] : NULL,
				       .arr = json ? json_array() : NULL };
		rc = store_texts_foreach(st, list_row, &lc);
		if (rc == 0 && lc.key && lc.n == 0) {
			fprintf(stderr, "kefu texts: unknown text key '%s'\n", lc.key);
			rc = STORE_INVALID;
		} else if (rc == 0 && lc.arr) {
			char *s = json_dumps(lc.arr, JSON_COMPACT);
			if (s)
				puts(s);
			free(s);
		}
		json_decref(lc.arr);
	} else {
		rc = set ? store_text_set(st, pos[1], pos[2], pos[3])
			 : store_text_reset(st, pos[1], pos[2]);
		if (rc == STORE_NOT_FOUND) {   /* resetting a default text: nothing to do */
			if (!json)
				printf("%s %s is the default text already\n", pos[1], pos[2]);
			rc = 0;
		} else if (rc == 0 && !json) {
			printf("%s %s %s (kefud uses it after SIGHUP or a restart)\n", pos[1], pos[2],
			       set ? "set" : "back to the default");
		}
		if (rc == 0 && json) {
			const char *kl[2] = { pos[1], pos[2] };
			rc = store_texts_foreach(st, print_one, kl) == 1 ? 0 : -1;
		}
	}
	if (rc == STORE_INVALID) {
		if (!list)
			fprintf(stderr, "kefu texts: %s\n", store_errmsg(st));
		store_close(st);
		return 2;
	}
	if (rc) {
		fprintf(stderr, "kefu texts: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	store_close(st);
	return 0;
}
