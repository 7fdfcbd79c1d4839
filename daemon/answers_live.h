/* daemon/answers_live.h — the live thread: answers and pictures changed while kefud runs
 * (console, API, `kefu answer`) reload the bot, the picture catalogue (computing new
 * pictures' embeddings) and the voice domain LM, debounced; see answers_live.c. */
#ifndef KEFU_DAEMON_ANSWERS_LIVE_H
#define KEFU_DAEMON_ANSWERS_LIVE_H

#include "conf.h"

struct kd_bots;
struct pic_models;
struct kd_voice;
struct kd_live;

/* Starts the thread (its own store connection, its own handle on the embedding CNN).
 * pics and voice may be NULL.  Main thread; NULL on failure. */
struct kd_live *kd_live_start(const struct kefu_conf *conf, struct kd_bots *bots,
			      struct pic_models *pics, struct kd_voice *voice);
/* Stops and joins it (a reload in progress finishes first).  NULL is fine. */
void kd_live_stop(struct kd_live *l);

#endif
