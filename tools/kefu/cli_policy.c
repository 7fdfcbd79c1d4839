/* tools/kefu/cli_policy.c — the answer policy for `kefu ask` and `kefu see`
 * (cli_policy.h): the same pol_answer and models a kefud worker uses.  Main thread. */
#include "cli_policy.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fusion.h"
#include "glove.h"
#include "nlu.h"
#include "store.h"

int cli_policy_open(struct cli_policy *p, struct store *st, const struct kefu_conf *c,
		    int pictures)
{
	struct nlu_opts opts = { .threshold = c->threshold, .models = c->models };
	char err[512], path[CONF_STR_MAX + 32];
	int none = 0;

	memset(p, 0, sizeof *p);
	p->bot = nlu_bot_load(st, &opts, err, sizeof err);
	if (!p->bot)
		goto fail;
	if (!(p->ns = nlu_state_create(p->bot))) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	if (pictures) {
		snprintf(path, sizeof path, "%s/glove-100d.kfv", c->models);
		p->glove = access(path, R_OK) ? NULL : nlu_glove_open(path, err, sizeof err);
		p->fusion = fu_model_load_store(st, p->glove, &none, err, sizeof err);
		if (!p->fusion && !none)
			fprintf(stderr, "kefu: fusion model not used: %s\n", err);
		if (p->fusion && !(p->fs = fu_state_create(p->fusion))) {
			snprintf(err, sizeof err, "out of memory");
			goto fail;
		}
		if (!(p->labels = pol_labels_load(st, err, sizeof err)))
			goto fail;
	}
	p->m = (struct pol_models){ .bot = p->bot, .ns = p->ns, .fusion = p->fs ? p->fusion : NULL,
				    .fs = p->fs, .labels = p->labels, .threshold = c->threshold,
				    .asr_threshold = c->asr_threshold };
	return 0;
fail:
	fprintf(stderr, "kefu: %s\n", err);
	cli_policy_close(p);
	return 1;
}

void cli_policy_close(struct cli_policy *p)
{
	pol_labels_free(p->labels);
	fu_state_destroy(p->fs);
	fu_model_destroy(p->fusion);
	nlu_glove_close(p->glove);
	nlu_state_destroy(p->ns);
	if (p->bot)
		nlu_bot_unref(p->bot);
	memset(p, 0, sizeof *p);
}

json_t *cli_reply_json(const struct pol_reply *r)
{
	json_t *o = json_object(), *quick = json_array();

	if (!o || !quick) {
		json_decref(o);
		json_decref(quick);
		return NULL;
	}
	json_object_set_new(o, "text", json_string(r->text ? r->text : ""));
	json_object_set_new(o, "answer_id", r->answer_id ? json_integer(r->answer_id) : json_null());
	json_object_set_new(o, "title", r->title ? json_string(r->title) : json_null());
	json_object_set_new(o, "confidence", json_real(r->confidence));
	json_object_set_new(o, "fallback", json_boolean(r->fallback));
	json_object_set_new(o, "lang", json_string(r->lang ? r->lang : "en"));
	for (int i = 0; i < r->n_quick; i++)
		json_array_append_new(quick, json_pack("{s:o, s:s}", "answer_id",
			r->quick[i].answer_id ? json_integer(r->quick[i].answer_id) : json_null(),
			"title", r->quick[i].title ? r->quick[i].title : ""));
	json_object_set_new(o, "quick_replies", quick);
	json_object_set_new(o, "why", json_string(pol_why_name(r->why)));
	if (r->refused)
		json_object_set_new(o, "refused", json_string(r->refused));
	return o;
}

void cli_reply_print(const struct pol_reply *r)
{
	if (r->fallback || !r->answer_id)
		printf("(%s, confidence %.3f, why %s)\n", r->refused ? "refused" : "fallback",
		       r->confidence, pol_why_name(r->why));
	else
		printf("[%lld] %s (confidence %.3f, why %s)\n", (long long)r->answer_id, r->title,
		       r->confidence, pol_why_name(r->why));
	printf("%s\n", r->text ? r->text : "");
	for (int i = 0; i < r->n_quick; i++)
		printf("  -> [%lld] %s\n", (long long)r->quick[i].answer_id, r->quick[i].title);
}
