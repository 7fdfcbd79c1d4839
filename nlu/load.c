/* nlu/load.c — nlu_bot_load: reads the enabled answers and their example questions
 * through store.h into memory and hands them to nlu_bot_build.  The only file of nlu/
 * that talks to the store.  Runs on the loading thread (kefud's start-up or SIGHUP
 * reload, the CLI), with that thread's store connection.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "nlu_int.h"
#include "store.h"

struct load_ctx {
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

struct nlu_bot *nlu_bot_load(struct store *st, const struct nlu_opts *opts,
			     char *err, size_t errlen)
{
	struct load_ctx c = { 0 };
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
	return bot;
}
