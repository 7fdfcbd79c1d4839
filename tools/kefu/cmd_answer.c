/* tools/kefu/cmd_answer.c — `kefu answer` and `kefu example`: change one answer or one
 * example question from a script, without an export/import round trip.
 *
 *   kefu answer add TITLE --body TEXT [--lang L] [--tags T] [--disabled]
 *   kefu answer edit ANSWER [--title T] [--body TEXT] [--lang L] [--tags T]
 *   kefu answer enable|disable|delete ANSWER
 *   kefu answer history ANSWER [--json]
 *   kefu answer revert ANSWER VERSION
 *   kefu example add ANSWER TEXT...
 *   kefu example delete ANSWER TEXT...
 *
 * ANSWER is a title or #ID.  The store must exist (kefu init).  Every change is a new
 * version of the answer (store/answer_versions.c) made by "cli:USER"; `history` lists
 * them with what each changed, `revert` brings one back as a new version.  A running
 * kefud sees the new version and reloads its bot within a second (daemon/answers_live.c;
 * `kefu train` for the trained encoder).
 * Exit status: 0 done, 1 the database failed, 2 bad arguments, an unknown answer or a
 * text the store refused.  Main thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "store.h"

/* "cli:USER": who the versions and the audit log say made the change. */
static struct store_who cli_who(void)
{
	static char login[128];
	struct store_who w = { 0, cli_actor(login, sizeof login) };
	return w;
}

/* The audit row of a change of answer id (as the console's are: api/answers.c). */
static void audit(struct store *st, const char *action, int64_t id, const char *what)
{
	char login[128], object[48], changes[300];
	struct store_audit a = { .login = cli_actor(login, sizeof login), .action = action,
				 .object = object, .ip = "", .changes = changes };
	json_t *j = json_pack("{s:s}", "what", what ? what : "");
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	snprintf(object, sizeof object, "answer:%lld", (long long)id);
	snprintf(changes, sizeof changes, "%s", text ? text : "{}");
	if (store_audit_add(st, &a, cm_wall_ms()))
		fprintf(stderr, "kefu: audit row not written: %s\n", store_errmsg(st));
	free(text);
	json_decref(j);
}

/* store_answer_update(arg) as a versioned change. */
static int update_fn(void *arg, struct store *st)
{
	return store_answer_update(st, arg);
}

/* One line per version, newest first, with what it changed from the one before. */
static int history(struct store *st, const struct store_answer *a, int as_json)
{
	char *text = NULL, *d = NULL, when[32];
	json_t *vs, *v;
	size_t i;
	int rc = store_answer_versions_json(st, a->id, &text);

	if (rc)
		return rc;
	if (as_json) {
		printf("%s\n", text);
		free(text);
		return 0;
	}
	vs = json_loads(text, 0, NULL);
	free(text);
	if (!json_array_size(vs))
		printf("answer #%lld \"%s\" has no versions yet (it was not changed since)\n",
		       (long long)a->id, a->title);
	json_array_foreach(vs, i, v) {
		int64_t n = json_integer_value(json_object_get(v, "version"));
		time_t t = (time_t)(json_integer_value(json_object_get(v, "created_ms")) / 1000);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&t));
		printf("v%-4lld %s  %-14s %-16s", (long long)n, when,
		       json_string_value(json_object_get(v, "login")),
		       json_string_value(json_object_get(v, "action")));
		if (n > 1 && store_answer_diff_json(st, a->id, n - 1, n, &d) == 0) {
			json_t *j = json_loads(d, 0, NULL), *x;
			const char *k;
			json_object_foreach(json_object_get(j, "fields"), k, x)
				printf(" %s", k);
			printf(" examples +%zu -%zu pictures +%zu -%zu",
			       json_array_size(json_object_get(json_object_get(j, "examples"), "added")),
			       json_array_size(json_object_get(json_object_get(j, "examples"), "removed")),
			       json_array_size(json_object_get(json_object_get(j, "pictures"), "added")),
			       json_array_size(json_object_get(json_object_get(j, "pictures"), "removed")));
			json_decref(j);
			free(d);
		}
		printf("\n");
	}
	json_decref(vs);
	return 0;
}

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
	int as_json = cli_take_flag(&argc, argv, "--json");
	struct kefu_conf c;
	char *pos[4];
	int npos, rc = cli_parse_conf(&c, prog, argc, argv, pos, 4, &npos);
	struct store *st;
	struct store_answer a = { 0 };
	struct store_who who = cli_who();

	if (rc)
		return rc < 0 ? 2 : 0;
	const char *verb = npos ? pos[0] : "";
	int add = !strcmp(verb, "add"), edit = !strcmp(verb, "edit");
	int hist = !strcmp(verb, "history"), revert = !strcmp(verb, "revert");
	char *end = NULL;
	long long version = revert && npos == 3 ? strtoll(pos[2], &end, 10) : 0;
	if (npos != 2 + revert || (!add && !edit && !hist && !revert && strcmp(verb, "enable") &&
				   strcmp(verb, "disable") && strcmp(verb, "delete")) ||
	    (revert && (!end || *end || version < 1)) || (as_json && !hist) ||
	    (add && (!body || title)) ||
	    (!add && !edit && (title || body || lang || tags)) || (!add && disabled) ||
	    (title && !*title) || (body && !*body) || (lang && !*lang)) {
		fprintf(stderr, "usage: kefu answer add TITLE --body TEXT [--lang L] [--tags T] "
			"[--disabled]\n       kefu answer edit ANSWER [--title T] [--body TEXT] "
			"[--lang L] [--tags T]\n       kefu answer enable|disable|delete ANSWER\n"
			"       kefu answer history ANSWER [--json]\n"
			"       kefu answer revert ANSWER VERSION   (ANSWER: a title or #ID)\n");
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
		if (rc == 0)
			rc = store_answer_version_add(st, id, &who, "create", NULL);
		if (rc == STORE_DUPLICATE)
			fprintf(stderr, "%s: an answer titled \"%s\" exists (kefu answer edit)\n",
				prog, pos[1]);
		else if (rc)
			rc = fail(st, prog, rc);
		else {
			audit(st, "answer.add", id, pos[1]);
			printf("added answer #%lld \"%s\"%s\n", (long long)id, pos[1],
			       disabled ? " (disabled)" : "");
		}
		rc = rc == STORE_DUPLICATE ? 2 : rc;
		goto out;
	}
	if ((rc = find(st, prog, pos[1], &a)))
		goto out;
	if (hist) {
		if ((rc = history(st, &a, as_json)))
			rc = fail(st, prog, rc);
		goto out;
	}
	if (revert) {
		int64_t v = 0;
		int missing = 0;
		rc = store_answer_revert(st, a.id, version, &who, &v, &missing);
		if (rc == STORE_NOT_FOUND) {
			fprintf(stderr, "%s: answer #%lld has no version %lld (kefu answer history)\n",
				prog, (long long)a.id, version);
			rc = 2;
		} else if (rc) {
			rc = fail(st, prog, rc);
		} else {
			audit(st, "answer.revert", a.id, pos[2]);
			printf("answer #%lld is version %lld again, as its version %lld", (long long)a.id,
			       version, (long long)v);
			if (missing)
				printf(" (%d picture(s) of it were deleted since and stay gone)", missing);
			printf("\n");
		}
		goto out;
	}
	if (!strcmp(verb, "delete")) {
		/* the history keeps the answer as it was, under a "delete" version */
		if ((rc = store_answer_delete_versioned(st, a.id, &who)))
			rc = fail(st, prog, rc);
		else if ((audit(st, "answer.delete", a.id, a.title), 1))
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
	if ((rc = store_answer_change(st, a.id, &who, edit ? "edit" : verb, update_fn, &upd, NULL)))
		rc = fail(st, prog, rc);
	else if ((audit(st, "answer.edit", a.id, verb), 1))
		printf("answer #%lld \"%s\" %s\n", (long long)a.id, upd.title,
		       edit ? "updated" : upd.enabled ? "enabled" : "disabled");
out:
	store_answer_clear(&a);
	store_close(st);
	return rc;
}

struct example_change {
	int64_t id;
	const char *text;
	int add;
};

static int example_fn(void *arg, struct store *st)
{
	struct example_change *x = arg;
	return x->add ? store_example_add(st, x->id, x->text)
		      : store_example_delete(st, x->id, x->text);
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
	struct store_who who = cli_who();
	for (int i = 2; i < npos && rc == 0; i++) {
		struct example_change x = { a.id, pos[i], add };
		int r = store_answer_change(st, a.id, &who, add ? "example.add" : "example.delete",
					    example_fn, &x, NULL);
		if (r == STORE_DUPLICATE || r == STORE_NOT_FOUND)
			printf("\"%s\": %s\n", pos[i],
			       add ? "already there" : "not an example of it");
		else if (r)
			rc = fail(st, prog, r);
		else {
			audit(st, add ? "example.add" : "example.delete", a.id, pos[i]);
			printf("\"%s\": %s \"%s\"\n", pos[i], add ? "added to" : "deleted from",
			       a.title);
		}
	}
out:
	store_answer_clear(&a);
	store_close(st);
	return rc;
}
