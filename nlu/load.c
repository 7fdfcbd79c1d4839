/* nlu/load.c — nlu_bot_load: reads the enabled answers and their example questions
 * through store.h into memory and hands them to nlu_bot_build, then adds the answers'
 * variants and buttons and the synonyms (extras.c).  The only file of nlu/ that talks to
 * the store.  Runs on the loading thread (kefud's start-up or SIGHUP
 * reload, the CLI), with that thread's store connection.  When the store holds a model
 * trained (kefu train) on exactly these example questions, the bot answers with it.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "log.h"
#include "nlu_int.h"
#include "store.h"

struct load_ctx {
	uint64_t data_hash;     /* of the examples read (nlu_data_hash_add) */
	struct nlu_answer_in *answers;
	size_t n_answers, cap_answers;
	struct nlu_example_in *examples;
	size_t n_examples, cap_examples;
	int oom;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? 2 * *cap : 128;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*oom = 1;
	return d;
}

static int on_answer(void *arg, const struct store_answer *a)
{
	struct load_ctx *c = arg;

	if (!a->enabled)
		return 0;
	if (grow((void **)&c->answers, &c->cap_answers, c->n_answers + 1, sizeof *c->answers)) {
		c->oom = 1;
		return 1;
	}
	struct nlu_answer_in *x = &c->answers[c->n_answers++];
	x->id = a->id;
	x->title = dup_or_null(a->title, &c->oom);
	x->body = dup_or_null(a->body, &c->oom);
	x->lang = dup_or_null(a->lang && *a->lang ? a->lang : "en", &c->oom);
	return c->oom;
}

static int on_example(void *arg, int64_t answer_id, const char *text)
{
	struct load_ctx *c = arg;

	if (grow((void **)&c->examples, &c->cap_examples, c->n_examples + 1,
		 sizeof *c->examples)) {
		c->oom = 1;
		return 1;
	}
	struct nlu_example_in *x = &c->examples[c->n_examples++];
	x->answer_id = answer_id;
	x->text = dup_or_null(text, &c->oom);
	c->data_hash = nlu_data_hash_add(c->data_hash, answer_id, text);
	return c->oom;
}

static void ctx_free(struct load_ctx *c)
{
	for (size_t i = 0; i < c->n_answers; i++) {
		free((char *)c->answers[i].title);
		free((char *)c->answers[i].body);
		free((char *)c->answers[i].lang);
	}
	for (size_t i = 0; i < c->n_examples; i++)
		free((char *)c->examples[i].text);
	free(c->answers);
	free(c->examples);
}

static int on_variant(void *arg, int64_t answer_id, const char *body)
{
	return nlu_bot_add_variant(arg, answer_id, body);
}

static int on_button(void *arg, int64_t answer_id, const char *title, const char *target)
{
	return nlu_bot_add_button(arg, answer_id, title, target);
}

static int on_synonym(void *arg, const char *word, const char *canonical)
{
	return nlu_bot_add_synonym(arg, word, canonical);
}

/* The answers' variants and buttons and the synonyms (nlu/extras.c) into bot.  0, or
 * -1 with err set. */
static int load_extras(struct store *st, struct nlu_bot *bot, char *err, size_t errlen)
{
	int rc = store_variants_foreach(st, 0, on_variant, bot);

	if (rc == 0)
		rc = store_buttons_foreach(st, 0, on_button, bot);
	if (rc == 0)
		rc = store_synonyms_foreach(st, on_synonym, bot);
	if (rc < 0)
		snprintf(err, errlen, "reading answer variants, buttons and synonyms: %s",
			 store_errmsg(st));
	else if (rc > 0)
		snprintf(err, errlen, "out of memory while reading answer variants");
	return rc ? -1 : 0;
}

/* Puts the latest "nlu" model of the store into bot when it was trained on the examples
 * just read; otherwise (none, other data, unreadable) the bot stays a BM25 bot. */
static void attach_trained(struct store *st, struct nlu_bot *bot, const struct nlu_opts *opts,
			   uint64_t data_hash)
{
	void *blob = NULL;
	size_t len = 0;
	int64_t version = 0;
	char err[400];
	int rc = store_model_latest(st, "nlu", &blob, &len, &version);

	if (rc == STORE_NOT_FOUND)
		return;
	if (rc < 0)
		LOG_WARN("reading the trained model: %s (answering with bm25)", store_errmsg(st));
	else if (nlu_bot_attach_model(bot, blob, len, version, data_hash, opts->models, err,
				      sizeof err))
		LOG_WARN("trained model v%lld not used: %s (answering with bm25)",
			 (long long)version, err);
	free(blob);
}

static int add_followup(void *arg, int64_t answer_id, int64_t followup_id)
{
	nlu_bot_add_followup(arg, answer_id, followup_id);
	return 0;
}

struct nlu_bot *nlu_bot_load(struct store *st, const struct nlu_opts *opts,
			     char *err, size_t errlen)
{
	struct load_ctx c = { .data_hash = NLU_DATA_HASH_INIT };
	struct nlu_bot *bot = NULL;
	int rc = store_answers_foreach(st, on_answer, &c);

	if (rc == 0)
		rc = store_examples_foreach(st, on_example, &c);
	if (c.oom)
		snprintf(err, errlen, "out of memory while reading the answer store");
	else if (rc < 0)
		snprintf(err, errlen, "reading the answer store: %s", store_errmsg(st));
	else
		bot = nlu_bot_build(c.answers, c.n_answers, c.examples, c.n_examples, opts,
				    NULL, err, errlen);
	ctx_free(&c);
	if (!bot)
		return NULL;
	if (load_extras(st, bot, err, errlen)) {
		nlu_bot_unref(bot);
		return NULL;
	}
	struct store_texts *texts = store_texts_load(st);
	if (!texts) {
		snprintf(err, errlen, "reading the texts: %s", store_errmsg(st));
		nlu_bot_unref(bot);
		return NULL;
	}
	nlu_bot_set_texts(bot, texts);
	if (store_followups_foreach(st, add_followup, bot) < 0)
		LOG_WARN("follow-ups not read: %s (answers offer none)", store_errmsg(st));
	attach_trained(st, bot, opts, c.data_hash);
	return bot;
}
