/* daemon/bots.h — the bot in use, and swapping in a new one without dropping anyone.
 *
 * struct kd_bots holds the current struct nlu_bot in a common/slot.c slot (one reference,
 * a generation number per bot set) beside its description and reload count.  A worker
 * acquires the bot from the slot itself (kd_bots_slot, job.c's kd_worker_refresh_bot:
 * a lock-free generation check before each job): when the generation moved it takes a
 * reference to the new bot, builds a new state and releases its old reference, so the
 * old bot is freed by whichever thread lets go of it last.  Other threads take a plain
 * nlu_bot reference (kd_bots_acquire).  Any thread may call any function here;
 * kd_bots_reload does SQLite and model loading, so it runs on the signal or the live
 * thread, never on the lws service thread.
 */
#ifndef KEFU_DAEMON_BOTS_H
#define KEFU_DAEMON_BOTS_H

#include <stddef.h>
#include <stdint.h>

struct cm_slot;
struct nlu_bot;
struct kefu_conf;
struct kd_bots;

/* Takes over the caller's reference to bot.  NULL on allocation failure (the
 * reference is then still the caller's). */
struct kd_bots *kd_bots_create(struct nlu_bot *bot);
void kd_bots_destroy(struct kd_bots *b);

/* The slot holding the current bot (a struct nlu_bot *; workers acquire and release it
 * there).  Lives as long as b. */
struct cm_slot *kd_bots_slot(struct kd_bots *b);
/* Returns a new reference to the current bot (caller unrefs) and its generation. */
struct nlu_bot *kd_bots_acquire(struct kd_bots *b, unsigned *gen);
unsigned kd_bots_generation(struct kd_bots *b);
/* Replaces the current bot, taking over the caller's reference to bot. */
void kd_bots_swap(struct kd_bots *b, struct nlu_bot *bot);
/* Copies a description of the current bot (model, answers) and the reload count. */
void kd_bots_info(struct kd_bots *b, char *model, size_t modellen, size_t *answers,
		  uint64_t *reloads);

/* Loads a bot from the store at conf->db on a connection of its own and swaps it in.
 * Returns 0, or -1 (old bot kept) with a message in err. */
int kd_bots_reload(struct kd_bots *b, const struct kefu_conf *conf, char *err,
		   size_t errlen);

#endif
