/* store/test_answer_versions.c — answer versions on a real SQLite file: the first change
 * keeps the state before it, a change that changes nothing records nothing, the diff
 * names fields, examples and pictures, a revert is a new version and brings examples,
 * follow-ups and still-stored pictures back (a deleted one is counted missing) and
 * keeps the pictures added after the version it goes back to (off the answer, not
 * deleted: a revert forward brings them back), a
 * failing change rolls back with no version; the list's filters (words, language,
 * enabled, pictures, weak by examples and by the F1 of the latest model report) and
 * the import plan (dry run changes nothing; applied, versions "import"). */
#include <jansson.h>

#include "store.h"
#include "test_util.h"

static struct store *st;
static const struct store_who ann = { 1, "ann" };

static int edit_body(void *arg, struct store *s)
{
	struct store_answer a;
	int rc = store_answer_get(s, 1, &a);

	if (rc)
		return rc;
	free(a.body);
	a.body = strdup(arg);
	rc = store_answer_update(s, &a);
	store_answer_clear(&a);
	return rc;
}

static int add_example(void *arg, struct store *s) { return store_example_add(s, 1, arg); }
static int fail_after(void *arg, struct store *s)
{
	(void)arg;
	CHECK(store_example_add(s, 1, "will be rolled back") == 0);
	return STORE_INVALID;
}

static int one_pair(void *arg, int64_t answer_id, int64_t followup_id)
{
	int64_t *p = arg;
	p[0] = answer_id;
	p[1] = followup_id;
	return 0;
}

static json_t *get_json_(int rc, char **textp)
{
	char *text = *textp;

	json_t *j = rc ? NULL : json_loads(text, 0, NULL);
	if (!j)
		fprintf(stderr, "rc %d: %s\n", rc, rc ? store_errmsg(st) : text);
	CHECK(j != NULL);
	free(text);
	*textp = NULL;
	return j;
}
/* the call first, then its text (argument order is unspecified) */
static int last_rc;
#define get_json(call, text) (last_rc = (call), get_json_(last_rc, &(text)))

static json_t *list(const struct store_answer_filter *f)
{
	char *t = NULL;
	return get_json(store_answers_list_json(st, f, &t), t);
}

static long long total(const struct store_answer_filter *f)
{
	json_t *j = list(f);
	long long n = json_integer_value(json_object_get(j, "total"));
	json_decref(j);
	return n;
}

static void test_versions(void)
{
	int64_t id, other, v = 0, pic, pic2;
	char *t = NULL;
	json_t *j;
	int missing = -1;

	CHECK_RC(st, store_answer_add(st, "Reset password", "Open **Settings**.", "en", "", &id), 0);
	CHECK(id == 1);
	CHECK_RC(st, store_answer_add(st, "Opening hours", "9 to 5.", "en", "", &other), 0);
	CHECK_RC(st, store_example_add(st, id, "forgot my password"), 0);
	CHECK_RC(st, store_picture_add(st, id, NULL, "a.png", "pic-one", 7, &pic), 0);
	CHECK_RC(st, store_picture_add(st, id, "shoes", "b.png", "pic-two", 7, &pic2), 0);

	/* first change: version 1 is what was there, version 2 the change */
	CHECK_RC(st, store_answer_change(st, id, &ann, "edit", edit_body, "Go to *Settings*.", &v), 0);
	CHECK(v == 2);
	j = get_json(store_answer_versions_json(st, id, &t), t);
	CHECK(json_array_size(j) == 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(j, 0), "action")), "edit"));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(j, 0), "login")), "ann"));
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(j, 1), "action")), "initial"));
	json_decref(j);
	/* the same body again: nothing new */
	CHECK_RC(st, store_answer_change(st, id, &ann, "edit", edit_body, "Go to *Settings*.", &v), 0);
	CHECK(v == 2);
	/* examples, follow-ups and pictures are part of a version */
	CHECK_RC(st, store_answer_change(st, id, &ann, "example.add", add_example, "reset it", &v), 0);
	CHECK(v == 3);
	CHECK_RC(st, store_answer_set_followups(st, id, &other, 1), 0);
	CHECK_RC(st, store_answer_set_followups(st, id, &id, 1), STORE_INVALID);
	int64_t pair[2] = { 0, 0 }, missing_id = 999;
	CHECK_RC(st, store_followups_foreach(st, one_pair, pair), 0);
	CHECK(pair[0] == id && pair[1] == other);
	CHECK_RC(st, store_answer_set_followups(st, id, &missing_id, 1), STORE_INVALID);
	CHECK_RC(st, store_answer_version_add(st, id, &ann, "followups", &v), 0);
	CHECK(v == 4);
	CHECK_RC(st, store_answer_picture_remove(st, id, pic), 0);      /* no label: deleted */
	CHECK_RC(st, store_answer_picture_remove(st, id, pic2), 0);     /* labelled: unlinked */
	CHECK_RC(st, store_answer_picture_remove(st, id, pic2), STORE_NOT_FOUND);
	CHECK_RC(st, store_answer_version_add(st, id, &ann, "picture.remove", &v), 0);
	CHECK(v == 5);

	/* a failing change leaves no trace */
	CHECK(store_answer_change(st, id, &ann, "example.add", fail_after, NULL, &v) == STORE_INVALID);
	j = get_json(store_answer_versions_json(st, id, &t), t);
	CHECK(json_array_size(j) == 5);
	json_decref(j);

	/* the diff between the first and the last */
	j = get_json(store_answer_diff_json(st, id, 1, 5, &t), t);
	json_t *f = json_object_get(j, "fields");
	CHECK(json_object_get(f, "body") && !json_object_get(f, "title"));
	CHECK(!strcmp(json_string_value(json_object_get(json_object_get(f, "body"), "to")),
		      "Go to *Settings*."));
	CHECK(json_object_get(f, "followups") != NULL);
	CHECK(json_array_size(json_object_get(json_object_get(j, "examples"), "added")) == 1);
	CHECK(json_array_size(json_object_get(json_object_get(j, "pictures"), "removed")) == 2);
	json_decref(j);
	CHECK(store_answer_diff_json(st, id, 1, 99, &t) == STORE_NOT_FOUND);

	/* revert to version 1: a new version 6 equal to version 1, one picture gone for good */
	CHECK_RC(st, store_answer_revert(st, id, 1, &ann, &v, &missing), 0);
	CHECK(v == 6 && missing == 1);
	struct store_answer a;
	CHECK_RC(st, store_answer_get(st, id, &a), 0);
	CHECK(!strcmp(a.body, "Open **Settings**."));
	store_answer_clear(&a);
	j = get_json(store_answer_json(st, id, &t), t);
	CHECK(json_array_size(json_object_get(j, "examples")) == 1);
	CHECK(json_array_size(json_object_get(j, "followups")) == 0);
	CHECK(json_array_size(json_object_get(j, "pictures")) == 1);   /* the labelled one */
	CHECK(json_integer_value(json_object_get(j, "version")) == 6);
	json_decref(j);
	j = get_json(store_answer_versions_json(st, id, &t), t);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(j, 0), "action")), "revert:1"));
	json_decref(j);
	/* revert to 4 brings the follow-up back */
	CHECK_RC(st, store_answer_revert(st, id, 4, &ann, &v, &missing), 0);
	j = get_json(store_answer_json(st, id, &t), t);
	CHECK(json_array_size(json_object_get(j, "followups")) == 1);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j,
		"followups"), 0), "title")), "Opening hours"));
	json_decref(j);
	/* a title taken meanwhile: the revert is refused, nothing changes */
	CHECK(store_answer_revert(st, id, 99, &ann, &v, NULL) == STORE_NOT_FOUND);
}

/* store_answer_change's callback adding one picture (unlabelled unless arg says). */
struct pic { int64_t answer, id; const char *label, *bytes; };
static int add_picture(void *arg, struct store *s)
{
	struct pic *p = arg;
	return store_picture_add(s, p->answer, p->label, "later.png", p->bytes, strlen(p->bytes),
				 &p->id);
}

static int64_t n_pictures(int64_t answer)
{
	char *t = NULL;
	json_t *j = get_json(store_answer_json(st, answer, &t), t);
	int64_t n = (int64_t)json_array_size(json_object_get(j, "pictures"));
	json_decref(j);
	return n;
}

/* A revert to a version from before pictures were added takes them off the answer but
 * keeps their bytes: reverting to the later version brings them back, nothing missing;
 * deleting the answer then deletes the kept unlabelled one. */
static void test_revert_keeps_later_pictures(void)
{
	int64_t id, v0, v, n0, n1;
	struct pic p1 = { 0, 0, NULL, "later-one" }, p2 = { 0, 0, "socks", "later-two" };
	int missing = -1;

	CHECK_RC(st, store_answer_add(st, "Sock care", "Wash cold.", "en", "", &id), 0);
	CHECK_RC(st, store_answer_version_add(st, id, &ann, "create", &v0), 0);
	p1.answer = p2.answer = id;
	CHECK_RC(st, store_answer_change(st, id, &ann, "picture.add", add_picture, &p1, &v), 0);
	CHECK_RC(st, store_answer_change(st, id, &ann, "picture.add", add_picture, &p2, &v), 0);
	CHECK(n_pictures(id) == 2);
	CHECK_RC(st, store_picture_count(st, &n0), 0);

	CHECK_RC(st, store_answer_revert(st, id, v0, &ann, NULL, &missing), 0);
	CHECK(missing == 0 && n_pictures(id) == 0);
	CHECK_RC(st, store_picture_count(st, &n1), 0);
	CHECK(n1 == n0);                              /* off the answer, not deleted */
	int64_t owner = -1;
	CHECK_RC(st, store_picture_answer(st, p1.id, &owner), 0);
	CHECK(owner == 0);

	CHECK_RC(st, store_answer_revert(st, id, v, &ann, NULL, &missing), 0);
	CHECK(missing == 0 && n_pictures(id) == 2);   /* both back */
	CHECK_RC(st, store_picture_answer(st, p1.id, &owner), 0);
	CHECK(owner == id);
	char *t = NULL;
	json_t *j = get_json(store_answer_diff_json(st, id, v, v + 2, &t), t);
	CHECK(json_array_size(json_object_get(json_object_get(j, "pictures"), "added")) == 0);
	CHECK(json_array_size(json_object_get(json_object_get(j, "pictures"), "removed")) == 0);
	json_decref(j);

	/* deleting the answer: its kept unlabelled picture goes too, the labelled stays */
	CHECK_RC(st, store_answer_revert(st, id, v0, &ann, NULL, &missing), 0);
	CHECK_RC(st, store_answer_delete_versioned(st, id, &ann), 0);
	CHECK(store_picture_answer(st, p1.id, &owner) == STORE_NOT_FOUND);
	CHECK_RC(st, store_picture_answer(st, p2.id, &owner), 0);
	CHECK(owner == 0);
}

static void test_list(void)
{
	struct store_answer_filter f = { .enabled = -1, .pictures = -1 };
	int64_t zh;
	json_t *j;

	CHECK_RC(st, store_answer_add(st, "重置密码", "在设置中重置。", "zh", "", &zh), 0);
	CHECK(total(&f) == 3);
	f.q = "settings";                     /* body, any case (LIKE) */
	CHECK(total(&f) == 1);
	f.q = "forgot my";                    /* an example */
	CHECK(total(&f) == 1);
	f.q = "100%";                         /* % is a character, not a wildcard */
	CHECK(total(&f) == 0);
	f.q = NULL;
	f.lang = "zh";
	CHECK(total(&f) == 1);
	f.lang = NULL;
	f.pictures = 1;
	CHECK(total(&f) == 1);
	f.pictures = -1;
	f.weak = 1;                            /* all have fewer than 5 examples */
	CHECK(total(&f) == 3);
	f.weak_examples = 1;                   /* only those without any example */
	CHECK(total(&f) == 2);
	/* a model report naming a low F1 makes answer 1 weak too */
	CHECK_RC(st, store_model_put(st, "nlu", "x", 1, "{\"per_answer\":[{\"answer_id\":1,"
				     "\"f1\":0.3},{\"answer_id\":2,\"f1\":0.95}]}", "h", NULL), 0);
	CHECK(total(&f) == 3);
	j = list(&f);
	CHECK(json_is_true(json_object_get(j, "f1_report")));
	json_decref(j);
	CHECK_RC(st, store_answer_set_followups(st, zh, NULL, 0), 0);
	f.weak = 0;
	f.enabled = 0;
	CHECK(total(&f) == 0);
}

static void test_import_plan(void)
{
	const char *csv = "question,answer_title,answer\n"
			  "how late are you open,Opening hours,\n"
			  "where is the branch,Branches,Find us on the map.\n";
	char err[256], *rep = NULL;
	json_t *j;
	long long before = 0;
	struct store_stats s0, s1;

	CHECK_RC(st, store_stats(st, &s0), 0);
	CHECK_RC(st, store_import_plan(st, "csv", csv, strlen(csv), 1, 0, &ann, &rep, err, sizeof err), 0);
	j = get_json(0, rep);
	CHECK(json_array_size(json_object_get(j, "added")) == 1);
	CHECK(!strcmp(json_string_value(json_array_get(json_object_get(j, "added"), 0)), "Branches"));
	CHECK(json_array_size(json_object_get(j, "changed")) == 1);
	CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(j, "changed"), 0),
						 "examples_added")) == 1);
	CHECK(json_is_false(json_object_get(j, "applied")));
	json_decref(j);
	CHECK_RC(st, store_stats(st, &s1), 0);
	CHECK(s1.answers == s0.answers && s1.examples == s0.examples);   /* dry run: nothing */
	(void)before;
	CHECK_RC(st, store_import_plan(st, "csv", csv, strlen(csv), 0, 0, &ann, &rep, err, sizeof err), 0);
	j = get_json(0, rep);
	CHECK(json_is_true(json_object_get(j, "applied")));
	json_decref(j);
	CHECK_RC(st, store_stats(st, &s1), 0);
	CHECK(s1.answers == s0.answers + 1);
	int64_t br;
	CHECK_RC(st, store_answer_find(st, "Branches", &br), 0);
	j = get_json(store_answer_versions_json(st, br, &rep), rep);
	CHECK(json_array_size(j) == 1 &&
	      !strcmp(json_string_value(json_object_get(json_array_get(j, 0), "action")), "import"));
	json_decref(j);
	/* an answer changed by an import with no version before: what it was is kept */
	j = get_json(store_answer_versions_json(st, 2, &rep), rep);
	CHECK(json_array_size(j) == 2 &&
	      !strcmp(json_string_value(json_object_get(json_array_get(j, 0), "action")), "import") &&
	      !strcmp(json_string_value(json_object_get(json_array_get(j, 1), "action")), "initial"));
	json_decref(j);
	/* a bad file: an error naming the line, nothing changed */
	const char *bad = "question,answer_title\nfoo,No such answer\n";
	CHECK(store_import_plan(st, "csv", bad, strlen(bad), 0, 0, &ann, &rep, err, sizeof err) != 0);
	CHECK(err[0] != '\0' && rep == NULL);
	/* replace: the answers the file does not name are removed (a dry run first) */
	const char *only = "{\"answers\":[{\"title\":\"Branches\",\"body\":\"Find us on the map.\","
			   "\"examples\":[\"where is the branch\"]}]}";
	CHECK_RC(st, store_stats(st, &s0), 0);
	CHECK_RC(st, store_import_plan(st, "json", only, strlen(only), 1, 1, &ann, &rep, err,
				       sizeof err), 0);
	j = get_json(0, rep);
	CHECK(json_array_size(json_object_get(j, "removed")) == (size_t)s0.answers - 1);
	CHECK(json_array_size(json_object_get(j, "added")) == 0);
	json_decref(j);
	CHECK_RC(st, store_stats(st, &s1), 0);
	CHECK(s1.answers == s0.answers);
	CHECK_RC(st, store_import_plan(st, "json", only, strlen(only), 0, 1, &ann, &rep, err,
				       sizeof err), 0);
	free(rep);
	CHECK_RC(st, store_stats(st, &s1), 0);
	CHECK(s1.answers == 1);
	j = get_json(store_answer_versions_json(st, 1, &rep), rep);   /* deleted, history kept */
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(j, 0), "action")), "delete"));
	json_decref(j);
	CHECK(store_import_plan(st, "xml", bad, strlen(bad), 1, 0, &ann, &rep, err, sizeof err) ==
	      STORE_INVALID);
}

/* The content mark moves with each thing the command line writes without a version:
 * an answer row, an example, a variant, a synonym, a text, a model saved or activated;
 * reading it again without a change gives the same number. */
static void test_content_mark(void)
{
	int64_t m0, m1, a, version;
	const struct store_model_new cand = { "nlu", "b2", 2, NULL, NULL, NULL, 0, 0 };

	CHECK(store_content_mark(st, &m0) == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 == m0);
	CHECK(store_answer_add(st, "Mark", "marked", "en", "", &a) == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_example_add(st, a, "is the mark moving") == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_synonym_set(st, "mk", "mark") == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_text_set(st, "greeting", "en", "Hello from the mark test") == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_model_put(st, "nlu", "b1", 2, NULL, NULL, &version) == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_model_save(st, &cand, &version) == 0);   /* a candidate: a new row */
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
	m0 = m1;
	CHECK(store_model_activate(st, "nlu", version) == 0);
	CHECK(store_content_mark(st, &m1) == 0 && m1 != m0);
}

int main(void)
{
	char err[256];

	st = store_open(tu_path("versions.db"), err, sizeof err);
	if (!st) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	test_versions();
	test_revert_keeps_later_pictures();
	test_list();
	test_import_plan();
	test_content_mark();
	store_close(st);
	return tu_finish("test_answer_versions");
}
