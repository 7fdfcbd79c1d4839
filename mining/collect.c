/* mining/collect.c — the collection rules of the review queue (mining.h mn_collect):
 * which customer turns kefu could not answer well, and why.  Pure functions, any
 * thread.  kefud's review thread and `kefu eval-mining` both decide with mn_collect.
 */
#include "mining.h"

#include <string.h>

static const char *const reason_names[MN_N_REASONS] = {
	"fallback", "low_confidence", "thumbs_down", "rejected", "rephrase", "handoff",
	"new_topic",
};

const char *mn_reason_name(unsigned bit)
{
	for (int i = 0; i < MN_N_REASONS; i++)
		if (bit == 1u << i)
			return reason_names[i];
	return NULL;
}

unsigned mn_reason_bit(const char *name)
{
	for (int i = 0; name && i < MN_N_REASONS; i++)
		if (!strcmp(name, reason_names[i]))
			return 1u << i;
	return 0;
}

#define NOVELTY_DEFAULT 0.04

void mn_rules_default(struct mn_rules *r)
{
	/* low_conf and novelty: chosen on development splits of BANKING77's store
	 * (bench/mining, docs/learning.md); low_conf_novelty 0: the density contrast's own
	 * zero, where the store covers a topic just as often as customers ask it */
	r->low_conf = 0.7;
	r->low_conf_novelty = 0;
	r->rephrase_s = 60;
	r->novelty = NOVELTY_DEFAULT;
	r->novelty_k = 20;
}

unsigned mn_collect(const struct mn_rules *r, const struct mn_turn *t)
{
	unsigned why = 0;

	if (t->refused)
		return 0;
	if (t->did_you_say) {
		/* asked back: collected when the customer did not take what was offered */
		if (t->next && !t->next_picked)
			why |= MN_REJECTED;
	} else if (t->fallback || !t->answer_id) {
		why |= MN_FALLBACK;
	} else {
		/* an unsure answer where the store's examples are denser than the traffic
		 * is a known question between two known answers, not a miss */
		if (t->confidence < r->low_conf &&
		    (t->has_novelty ? t->novelty >= r->low_conf_novelty : !t->novelty_later))
			why |= MN_LOW_CONF;
		if (t->has_novelty && t->novelty >= r->novelty)
			why |= MN_NEW_TOPIC;
		if (t->next && !t->next_picked && t->next_gap_s <= r->rephrase_s &&
		    (t->next_same_answer || t->next_similar))
			why |= MN_REPHRASE;
	}
	if (t->feedback < 0)
		why |= MN_THUMBS_DOWN;
	if (t->handoff)
		why |= MN_HANDOFF;
	return why;
}
