/* tools/kefu/cmd_ask.c — `kefu ask [--json] TEXT`: the reply kefud would give, computed by
 * the same nlu_bot_reply the daemon's workers call, from the same store. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nlu.h"
#include "store.h"
#include "utf8.h"

static void print_json(const struct nlu_reply *r)
{
	json_t *o = json_object(), *quick = json_array();

	json_object_set_new(o, "text", json_string(r->text));
	json_object_set_new(o, "answer_id", r->answer_id ? json_integer(r->answer_id) : json_null());
	json_object_set_new(o, "title", r->title ? json_string(r->title) : json_null());
	json_object_set_new(o, "confidence", json_real(r->confidence));
	json_object_set_new(o, "fallback", json_boolean(r->fallback));
	json_object_set_new(o, "lang", json_string(r->lang ? r->lang : "en"));
	for (int i = 0; i < r->n_quick; i++) {
		json_t *q = json_object();
		json_object_set_new(q, "answer_id", json_integer(r->quick[i].answer_id));
		json_object_set_new(q, "title", json_string(r->quick[i].title));
		json_array_append_new(quick, q);
	}
	json_object_set_new(o, "quick_replies", quick);
	char *s = json_dumps(o, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(o);
}

static void print_text(const struct nlu_reply *r)
{
	if (r->fallback)
		printf("(fallback, confidence %.3f)\n", r->confidence);
	else
		printf("[%lld] %s (confidence %.3f)\n", (long long)r->answer_id, r->title,
		       r->confidence);
	printf("%s\n", r->text);
	for (int i = 0; i < r->n_quick; i++)
		printf("  -> [%lld] %s\n", (long long)r->quick[i].answer_id, r->quick[i].title);
}

int cmd_ask(int argc, char **argv)
{
	struct kefu_conf c;
	char *pos[1], err[512];
	int npos, rc = 1, json = cli_take_flag(&argc, argv, "--json");
	struct store *st = NULL;
	struct nlu_bot *bot = NULL;
	struct nlu_state *state = NULL;
	struct nlu_reply r;

	int p = cli_parse_conf(&c, "kefu ask", argc, argv, pos, 1, &npos);
	if (p)
		return p < 0 ? 2 : 0;
	if (npos != 1) {
		fprintf(stderr, "usage: kefu ask [--json] [--db FILE] TEXT\n");
		return 2;
	}
	if (!cm_utf8_valid(pos[0], strlen(pos[0]))) {
		fprintf(stderr, "kefu ask: the text is not valid UTF-8\n");
		return 2;
	}
	st = cli_open_store(&c);
	if (!st)
		return 1;
	struct nlu_opts opts = { .threshold = c.threshold };
	bot = nlu_bot_load(st, &opts, err, sizeof err);
	if (!bot) {
		fprintf(stderr, "kefu ask: %s\n", err);
		goto out;
	}
	state = nlu_state_create(bot);
	if (!state) {
		fprintf(stderr, "kefu ask: out of memory\n");
		goto out;
	}
	nlu_bot_reply(bot, state, pos[0], strlen(pos[0]), &r);
	if (json)
		print_json(&r);
	else
		print_text(&r);
	rc = 0;
out:
	nlu_state_destroy(state);
	if (bot)
		nlu_bot_unref(bot);
	store_close(st);
	return rc;
}
