/* common/stopper.h — the sleep-and-stop of a background thread: the thread works, then
 * sleeps up to a period in cm_stopper_sleep; another thread's cm_stopper_stop ends the
 * sleep at once and makes every later sleep return 1.  kefud's retention, review and
 * webhook threads each loop on one.  Any thread; the struct is the caller's. */
#ifndef KEFU_COMMON_STOPPER_H
#define KEFU_COMMON_STOPPER_H

#include <pthread.h>
#include <stdint.h>

struct cm_stopper {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;                /* {lock} */
};

void cm_stopper_init(struct cm_stopper *s);
void cm_stopper_destroy(struct cm_stopper *s);
/* Sleeps ms milliseconds (0: not at all) or until stopped.  1 once stopped, else 0. */
int cm_stopper_sleep(struct cm_stopper *s, int64_t ms);
/* Ends every sleep from now on (the caller then joins the thread). */
void cm_stopper_stop(struct cm_stopper *s);

/* Puts the calling thread (and the threads it starts later) at the lowest priority:
 * SCHED_IDLE and nice 19, so background work (kefud's training, the review queue's
 * passes) only uses CPU that serving leaves.  A refusal is logged as who's warning. */
void cm_background_priority(const char *who);

#endif
