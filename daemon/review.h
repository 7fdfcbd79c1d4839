/* daemon/review.h — kefud's review thread (review.c): the review queue of what customers
 * asked that kefu could not answer, filled from the session log as traffic arrives
 * (mining's collection rules), and its clusters kept up to date, off the reply path.
 * docs/learning.md.
 */
#ifndef KEFU_DAEMON_REVIEW_H
#define KEFU_DAEMON_REVIEW_H

#include <stddef.h>

struct kefu_conf;
struct kd_bots;

struct kd_review;

/* Starts the thread on its own store connection to conf->db; bots (not owned) must
 * outlive it.  NULL with a message in err when it cannot start.  Main thread. */
struct kd_review *kd_review_start(const struct kefu_conf *conf, struct kd_bots *bots,
				  char *err, size_t errlen);
/* Wakes the thread, joins it and closes its connection.  NULL is fine.  Main thread. */
void kd_review_stop(struct kd_review *r);

#endif
