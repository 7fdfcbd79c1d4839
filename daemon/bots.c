/* daemon/bots.c — the current bot and its hot swap (see bots.h).  Any thread; the
 * mutex guards bot, model and answers; gen is an atomic so workers can poll it. */
#include "bots.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "nlu.h"
#include "store.h"

struct kd_bots {
	pthread_mutex_t lock;
	struct nlu_bot *bot;     /* {lock} one reference */
	char model[128];         /* {lock} nlu_bot_describe of bot */
	size_t answers;          /* {lock} */
	uint64_t reloads;        /* {lock} */
	atomic_uint gen;         /* written under lock */
};

static void describe(struct kd_bots *b)
{
	snprintf(b->model, sizeof b->model, "%s", nlu_bot_describe(b->bot));
	b->answers = nlu_bot_n_answers(b->bot);
}

struct kd_bots *kd_bots_create(struct nlu_bot *bot)
{
	struct kd_bots *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	b->bot = bot;
	atomic_init(&b->gen, 1);
	describe(b);
	return b;
}

void kd_bots_destroy(struct kd_bots *b)
{
	if (!b)
		return;
	nlu_bot_unref(b->bot);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct nlu_bot *kd_bots_acquire(struct kd_bots *b, unsigned *gen)
{
	struct nlu_bot *bot;

	pthread_mutex_lock(&b->lock);
	bot = b->bot;
	nlu_bot_ref(bot);
	*gen = atomic_load(&b->gen);
	pthread_mutex_unlock(&b->lock);
	return bot;
}

unsigned kd_bots_generation(struct kd_bots *b)
{
	return atomic_load_explicit(&b->gen, memory_order_acquire);
}

void kd_bots_swap(struct kd_bots *b, struct nlu_bot *bot)
{
	struct nlu_bot *old;

	pthread_mutex_lock(&b->lock);
	old = b->bot;
	b->bot = bot;
	describe(b);
	b->reloads++;
	atomic_fetch_add_explicit(&b->gen, 1, memory_order_release);
	pthread_mutex_unlock(&b->lock);
	/* Workers still answering with the old bot hold their own references. */
	nlu_bot_unref(old);
}

void kd_bots_info(struct kd_bots *b, char *model, size_t modellen, size_t *answers,
		  uint64_t *reloads)
{
	pthread_mutex_lock(&b->lock);
	snprintf(model, modellen, "%s", b->model);
	*answers = b->answers;
	*reloads = b->reloads;
	pthread_mutex_unlock(&b->lock);
}

int kd_bots_reload(struct kd_bots *b, const struct kefu_conf *conf, char *err,
		   size_t errlen)
{
	struct nlu_opts opts = { .threshold = conf->threshold };
	struct nlu_bot *bot;
	struct store *st = store_open(conf->db, err, errlen);

	if (!st)
		return -1;
	bot = nlu_bot_load(st, &opts, err, errlen);
	store_close(st);
	if (!bot)
		return -1;
	kd_bots_swap(b, bot);
	return 0;
}
