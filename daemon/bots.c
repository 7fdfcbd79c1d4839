/* daemon/bots.c — the current bot and its hot swap (see bots.h).  Any thread.  The bot
 * itself sits in a common/slot.c slot (workers acquire it there directly); the mutex
 * guards the description and the reload count, and serialises swaps. */
#include "bots.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "nlu.h"
#include "slot.h"
#include "store.h"

struct kd_bots {
	pthread_mutex_t lock;
	struct cm_slot *slot;    /* the current bot (one nlu_bot reference per entry) */
	char model[128];         /* {lock} nlu_bot_describe of the current bot */
	size_t answers;          /* {lock} */
	uint64_t reloads;        /* {lock} */
};

static void bot_free(void *bot)
{
	nlu_bot_unref(bot);
}

static void describe(struct kd_bots *b, const struct nlu_bot *bot)
{
	snprintf(b->model, sizeof b->model, "%s", nlu_bot_describe(bot));
	b->answers = nlu_bot_n_answers(bot);
}

struct kd_bots *kd_bots_create(struct nlu_bot *bot)
{
	struct kd_bots *b = calloc(1, sizeof *b);

	if (!b || !(b->slot = cm_slot_create(bot_free)))
		goto fail;
	/* the slot frees what it cannot take: a reference of its own, so the caller's
	 * stays the caller's on failure */
	nlu_bot_ref(bot);
	if (!cm_slot_set(b->slot, bot))
		goto fail;
	nlu_bot_unref(bot);      /* the caller's, taken over by the slot's */
	pthread_mutex_init(&b->lock, NULL);
	describe(b, bot);
	return b;
fail:
	if (b)
		cm_slot_destroy(b->slot);
	free(b);
	return NULL;
}

void kd_bots_destroy(struct kd_bots *b)
{
	if (!b)
		return;
	cm_slot_destroy(b->slot);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct cm_slot *kd_bots_slot(struct kd_bots *b)
{
	return b->slot;
}

struct nlu_bot *kd_bots_acquire(struct kd_bots *b, unsigned *gen)
{
	struct cm_slot_ref ref;
	struct nlu_bot *bot = cm_slot_acquire(b->slot, &ref);

	nlu_bot_ref(bot);
	*gen = ref.gen;
	cm_slot_release(b->slot, &ref);
	return bot;
}

unsigned kd_bots_generation(struct kd_bots *b)
{
	return cm_slot_generation(b->slot);
}

void kd_bots_swap(struct kd_bots *b, struct nlu_bot *bot)
{
	pthread_mutex_lock(&b->lock);
	/* workers still answering with the old bot hold their own references; under the
	 * lock no other swap can replace (and free) bot before it is described */
	if (cm_slot_set(b->slot, bot)) {
		describe(b, bot);
		b->reloads++;
	} else {
		LOG_ERR("no memory to swap the new bot in: the old one stays");
	}
	pthread_mutex_unlock(&b->lock);
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
