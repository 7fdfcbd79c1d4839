/* tools/kefu/cmd_answer.c — `kefu answer` and `kefu example`: change one answer or one
 * example question from a script, without an export/import round trip.
 *
 *   kefu answer add TITLE --body TEXT [--lang L] [--tags T] [--disabled]
 *   kefu answer edit ANSWER [--title T] [--body TEXT] [--lang L] [--tags T]
 *   kefu answer enable|disable|delete ANSWER
 *   kefu example add ANSWER TEXT...
 *   kefu example delete ANSWER TEXT...
 *
 * ANSWER is a title or #ID.  The store must exist (kefu init).  A running kefud
 * answers from the change after SIGHUP (and `kefu train` for the trained encoder).
 * Exit status: 0 done, 1 the database failed, 2 bad arguments, an unknown answer or a
 * text the store refused.  Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"

/* Finds ANSWER (a title, or #ID); prints why not.  0 or 2. */
static int find(struct store *st, const char *prog, const char *name, struct store_answer *a)
{
	int64_t id = 0;
	int rc;
	char *end;

	if (name[0] == '#' && name[1]) {
		id = strtoll(name + 1, &end, 10);
		rc = *end ? STORE_NOT_FOUND : 0;
	} else {
		rc = store_answer_find(st, name, &id);
	}
	if (rc == 0)
		rc = store_answer_get(st, id, a);
	if (rc == STORE_NOT_FOUND)
		fprintf(stderr, "%s: no answer %s%s%s\n", prog, name[0] == '#' ? "" : "titled \"",
			name, name[0] == '#' ? "" : "\"");
	else if (rc)
		fprintf(stderr, "%s: %s\n", prog, store_errmsg(st));
	return rc == 0 ? 0 : rc < 0 ? 1 : 2;
}

static int fail(struct store *st, const char *prog, int rc)
{
	fprintf(stderr, "%s: %s\n", prog, store_errmsg(st));
	return rc < 0 ? 1 : 2;
}

int cmd_answer(int argc, char **argv)
{
	const char *prog = "kefu answer";
	const char *title = cli_take_value(&argc, argv, "--title");
	const char *body = cli_take_value(&argc, argv, "--body");
	const char *lang = cli_take_value(&argc, argv, "--lang");
	const char *tags = cli_take_value(&argc, argv, "--tags");
	int disabled = cli_take_flag(&argc, argv, "--disabled");
	struct kefu_conf c;
	char *pos[3];
	int npos, rc = cli_parse_conf(&c, prog, argc, argv, pos, 3, &npos);
	struct store *st;
	struct store_answer a = { 0 };

	if (rc)
		return rc < 0 ? 2 : 0;
	const char *verb = npos ? pos[0] : "";
	int add = !strcmp(verb, "add"), edit = !strcmp(verb, "edit");
	if (npos != 2 || (!add && !edit && strcmp(verb, "enable") && strcmp(verb, "disable") &&
			  strcmp(verb, "delete")) || (add && (!body || title)) ||
	    (!add && !edit && (title || body || lang || tags)) || (!add && disabled) ||
	    (title && !*title) || (body && !*body) || (lang && !*lang)) {
		fprintf(stderr, "usage: kefu answer add TITLE --body TEXT [--lang L] [--tags T] "
			"[--disabled]\n       kefu answer edit ANSWER [--title T] [--body TEXT] "
			"[--lang L] [--tags T]\n       kefu answer enable|disable|delete ANSWER   "
			"(ANSWER: a title or #ID)\n");
		return 2;
	}
	if (!(st = cli_open_existing(&c)))
		return 1;
	if (add) {
		int64_t id;
		rc = store_answer_add(st, pos[1], body, lang ? lang : "en", tags, &id);
		if (rc == 0 && disabled && (rc = store_answer_get(st, id, &a)) == 0) {
			a.enabled = 0;
			rc = store_answer_update(st, &a);
		}
		if (rc == STORE_DUPLICATE)
			fprintf(stderr, "%s: an answer titled \"%s\" exists (kefu answer edit)\n",
				prog, pos[1]);
		else if (rc)
			rc = fail(st, prog, rc);
		else
			printf("added answer #%lld \"%s\"%s\n", (long long)id, pos[1],
			       disabled ? " (disabled)" : "");
		rc = rc == STORE_DUPLICATE ? 2 : rc;
		goto out;
	}
	if ((rc = find(st, prog, pos[1], &a)))
		goto out;
	if (!strcmp(verb, "delete")) {
		if ((rc = store_answer_delete(st, a.id)))
			rc = fail(st, prog, rc);
		else
			printf("deleted answer #%lld \"%s\" and its example questions\n",
			       (long long)a.id, a.title);
		goto out;
	}
	struct store_answer upd = a;
	if (edit) {
		upd.title = title ? (char *)title : a.title;
		upd.body = body ? (char *)body : a.body;
		upd.lang = lang ? (char *)lang : a.lang;
		upd.tags = tags ? (char *)tags : a.tags;
	} else {
		upd.enabled = !strcmp(verb, "enable");
	}
	if ((rc = store_answer_update(st, &upd)))
		rc = fail(st, prog, rc);
	else
		printf("answer #%lld \"%s\" %s\n", (long long)a.id, upd.title,
		       edit ? "updated" : upd.enabled ? "enabled" : "disabled");
out:
	store_answer_clear(&a);
	store_close(st);
	return rc;
}

int cmd_example(int argc, char **argv)
{
	const char *prog = "kefu example";
	struct kefu_conf c;
	char *pos[66];
	int npos, rc = cli_parse_conf(&c, prog, argc, argv, pos, 66, &npos);
	struct store *st;
	struct store_answer a = { 0 };

	if (rc)
		return rc < 0 ? 2 : 0;
	if (npos < 3 || (strcmp(pos[0], "add") && strcmp(pos[0], "delete"))) {
		fprintf(stderr, "usage: kefu example add|delete ANSWER TEXT...   (ANSWER: a title "
			"or #ID)\n");
		return 2;
	}
	if (!(st = cli_open_existing(&c)))
		return 1;
	int add = !strcmp(pos[0], "add");
	if ((rc = find(st, prog, pos[1], &a)))
		goto out;
	for (int i = 2; i < npos && rc == 0; i++) {
		int r = add ? store_example_add(st, a.id, pos[i])
			    : store_example_delete(st, a.id, pos[i]);
		if (r == STORE_DUPLICATE || r == STORE_NOT_FOUND)
			printf("\"%s\": %s\n", pos[i],
			       add ? "already there" : "not an example of it");
		else if (r)
			rc = fail(st, prog, r);
		else
			printf("\"%s\": %s \"%s\"\n", pos[i], add ? "added to" : "deleted from",
			       a.title);
	}
out:
	store_answer_clear(&a);
	store_close(st);
	return rc;
}
