/* nlu/test_rasa.c — the Rasa reader (nlu/rasa.c): every YAML scalar style of a response
 * text (the multi-line double-quoted one whole), the 3.x `- text:` + `metadata:` example
 * form, entity markup and the synonyms, lookups and templates it feeds, retrieval
 * intents, intent → action pairs from rules and stories (`or:` too), variation details
 * (condition, channel, buttons, image, kefu_title) and errors with their line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rasa.h"
#include "store.h"
#include "utf8.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static const char *text_of(const struct nlu_rasa *r, const char *name, size_t k)
{
	const struct nlu_rasa_response *p = nlu_rasa_response(r, name);
	return p && k < p->n && p->v[k].text ? p->v[k].text : "(none)";
}

static void test_scalars(void)
{
	const char *y =
		"version: \"3.1\"\n"
		"responses:\n"
		"  utter_dq:\n"
		"  - text: \"We are open from 9 to 5 on weekdays,\n"
		"      and from 10 to 2 on Saturdays.\"\n"
		"  utter_sq:\n"
		"  - text: 'It''s free'\n"
		"  utter_lit:\n"
		"  - text: |\n"
		"      one\n"
		"        two\n"
		"    buttons:\n"
		"    - title: Yes\n"
		"      payload: /affirm\n"
		"  utter_fold:\n"
		"  - text: >-\n"
		"      a\n"
		"      b\n"
		"  utter_esc:\n"
		"  - text: \"tab\\there \\u00e9\\nnext\"\n"
		"  utter_var:\n"
		"  - text: plain\n"
		"    metadata:\n"
		"      kefu_title: Plain words\n"
		"  - condition:\n"
		"    - type: slot\n"
		"      name: tier\n"
		"      value: gold\n"
		"    text: gold\n"
		"  - text: web\n"
		"    channel: web\n"
		"  - image: https://example.com/x.png\n"
		"  - image: pics/a.png\n"
		"  - image: file:///srv/b.png\n"
		"  utter_flow: [{text: \"flow style\"}]\n";
	struct nlu_rasa r;
	char err[256];

	nlu_rasa_init(&r);
	r.base_dir = "/bot/domain";
	CHECK(nlu_rasa_parse(&r, y, strlen(y), err, sizeof err) == 0, "parse: %s", err);
	CHECK(!strcmp(text_of(&r, "utter_dq", 0),
		      "We are open from 9 to 5 on weekdays, and from 10 to 2 on Saturdays."),
	      "multi-line double-quoted: [%s]", text_of(&r, "utter_dq", 0));
	CHECK(!strcmp(text_of(&r, "utter_sq", 0), "It's free"), "single-quoted");
	CHECK(!strcmp(text_of(&r, "utter_lit", 0), "one\n  two"), "literal: [%s]",
	      text_of(&r, "utter_lit", 0));
	CHECK(!strcmp(text_of(&r, "utter_fold", 0), "a b"), "folded");
	CHECK(!strcmp(text_of(&r, "utter_esc", 0), "tab\there \xc3\xa9\nnext"), "escapes");
	CHECK(!strcmp(text_of(&r, "utter_flow", 0), "flow style"), "flow style");
	const struct nlu_rasa_response *v = nlu_rasa_response(&r, "utter_var");
	CHECK(v && v->n == 6 && !v->v[3].image_file && v->v[4].image_file &&
	      !strcmp(v->v[4].image_file, "/bot/domain/pics/a.png") && v->v[5].image_file &&
	      !strcmp(v->v[5].image_file, "/srv/b.png"), "image files");
	CHECK(v && v->n == 6 && !v->v[0].conditional && v->v[1].conditional &&
	      v->v[2].channel && !strcmp(v->v[2].channel, "web") && v->v[3].image &&
	      !v->v[3].text && v->v[0].title && !strcmp(v->v[0].title, "Plain words"),
	      "variation details");
	const struct nlu_rasa_response *b = nlu_rasa_response(&r, "utter_lit");
	CHECK(b && b->v[0].buttons.n == 1 && !strcmp(b->v[0].buttons.a[0], "Yes") &&
	      !strcmp(b->v[0].buttons.b[0], "/affirm"), "buttons");
	nlu_rasa_free(&r);
}

static void test_nlu_and_flows(void)
{
	const char *y =
		"version: \"3.1\"\n"
		"nlu:\n"
		"- intent: card_lost\n"
		"  metadata: {sentiment: neg}\n"
		"  examples:\n"
		"  - text: I lost my [debit](card_type) card\n"
		"    metadata: {a: b}\n"
		"  - text: |\n"
		"      my [cc](card_type:credit) is gone\n"
		"  - 'a [visa]{\"entity\": \"card_type\", \"value\": \"credit\"} card'\n"
		"- intent: faq/cost\n"
		"  examples: |\n"
		"    - \"is it free\"\n"
		"    - how much\n"
		"- lookup: card_type\n"
		"  examples: |\n"
		"    - prepaid\n"
		"- synonym: credit\n"
		"  examples: |\n"
		"    - credit card\n"
		"rules:\n"
		"- rule: r\n"
		"  steps:\n"
		"  - or:\n"
		"    - intent: thanks\n"
		"    - intent: bye\n"
		"  - action: utter_bye\n"
		"stories:\n"
		"- story: s\n"
		"  steps:\n"
		"  - intent: greet\n"
		"  - slot_was_set:\n"
		"    - name: x\n"
		"  - action: utter_greet\n"
		"  - action: utter_more\n";
	struct nlu_rasa r;
	char err[256];

	nlu_rasa_init(&r);
	CHECK(nlu_rasa_parse(&r, y, strlen(y), err, sizeof err) == 0, "parse: %s", err);
	CHECK(r.ex.n == 5 && r.ex.n_labels == 2, "%zu examples, %zu intents", r.ex.n,
	      r.ex.n_labels);
	if (r.ex.n == 5) {
		CHECK(!strcmp(r.ex.texts[0], "I lost my debit card"), "[%s]", r.ex.texts[0]);
		CHECK(!strcmp(r.ex.texts[1], "my cc is gone"), "[%s]", r.ex.texts[1]);
		CHECK(!strcmp(r.ex.texts[2], "a visa card"), "[%s]", r.ex.texts[2]);
		CHECK(!strcmp(r.ex.texts[3], "is it free"), "quotes of a block line: [%s]",
		      r.ex.texts[3]);
		CHECK(!strcmp(r.ex.names[r.ex.labels[3]], "faq/cost"), "retrieval intent");
	}
	/* synonyms: cc → credit, visa → credit (annotations), credit card → credit */
	CHECK(r.synonyms.n == 3 && !strcmp(r.synonyms.a[0], "cc") &&
	      !strcmp(r.synonyms.b[0], "credit") && !strcmp(r.synonyms.a[2], "credit card"),
	      "synonyms: %zu", r.synonyms.n);
	CHECK(r.lookups.n == 1 && !strcmp(r.lookups.b[0], "prepaid"), "lookup");
	CHECK(r.entity_ex.n == 3 && !strcmp(r.entity_ex.c[0], "I lost my \x01 card"),
	      "templates: %zu", r.entity_ex.n);
	CHECK(r.links.n == 3 && !strcmp(r.links.a[0], "thanks") && !strcmp(r.links.a[1], "bye") &&
	      !strcmp(r.links.b[1], "utter_bye") && !strcmp(r.links.a[2], "greet") &&
	      !strcmp(r.links.b[2], "utter_greet"), "links: %zu", r.links.n);
	nlu_rasa_free(&r);
}

static void test_errors(void)
{
	struct {
		const char *y, *want;
	} bad[] = {
		{ "nlu:\n- intent: x\n  examples: no pipe here\n", "line 3" },
		{ "nlu:\n- intent: x\n  examples: |\n    - a\n    b\n", "line 5" },
		{ "responses:\n  utter_x:\n  - text: \"open\n", "line" },
		{ "responses:\n  utter_x:\n  - text: \"\xff\"\n", "line 3" },
		{ "- just a list\n", "line 1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct nlu_rasa r;
		char err[256] = "";
		nlu_rasa_init(&r);
		CHECK(nlu_rasa_parse(&r, bad[i].y, strlen(bad[i].y), err, sizeof err) < 0 &&
		      strstr(err, bad[i].want), "bad %zu refused with %s: %s", i, bad[i].want, err);
		nlu_rasa_free(&r);
	}
}

/* Titles made from long intent names (Chinese among them) stay whole characters and
 * within the store's limit, a second answer's suffix included (found by fuzzing: a
 * byte-wise cut made invalid UTF-8, the import failed as "out of memory" and leaked). */
static void test_long_titles(void)
{
	char y[4096], name[400];
	size_t o = 0;

	for (int i = 0; i < 90; i++)                        /* 90 x 3 + 90 bytes of name */
		o += (size_t)snprintf(name + o, sizeof name - o, "退x");
	snprintf(y, sizeof y, "nlu:\n- intent: %s\n  examples: |\n    - one\n"
		 "- intent: %s_b\n  examples: |\n    - two\n", name, name);
	struct nlu_rasa_input in = { NULL, "nlu.yml", y, strlen(y) };
	struct nlu_rasa_counts counts;
	char why[300] = "", *report = NULL;
	char *json = nlu_rasa_import_json(&in, 1, NULL, &counts, NULL, &report, why, sizeof why);
	CHECK(json != NULL, "long intent names imported: %s", why);
	json_t *doc = json ? json_loads(json, 0, NULL) : NULL, *a;
	size_t i, n = 0;
	json_array_foreach(json_object_get(doc, "answers"), i, a) {
		const char *t = json_string_value(json_object_get(a, "title"));
		CHECK(t && strlen(t) <= STORE_MAX_TITLE && cm_utf8_valid(t, strlen(t)),
		      "title %zu: %zu bytes", i, t ? strlen(t) : 0);
		n++;
	}
	CHECK(n == 2 && counts.answers == 2, "2 answers, got %zu", n);
	json_decref(doc);
	free(json);
	free(report);
}

int main(void)
{
	test_scalars();
	test_nlu_and_flows();
	test_errors();
	test_long_titles();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("nlu rasa: ok\n");
	return failures ? 1 : 0;
}
