/* daemon/retention.h — kefud's retention thread: with `retention_days` > 0 it deletes
 * sessions (messages, attachments, feedback, ratings, hand-offs) whose last activity is
 * older than that, once at start and then every hour (store_purge_older, store/privacy.c).
 */
#ifndef KEFU_DAEMON_RETENTION_H
#define KEFU_DAEMON_RETENTION_H

#include <stddef.h>

struct kd_retention;

/* Starts the thread on its own store connection to db.  Returns NULL without error when
 * days is 0 (keep everything); NULL with a message in err when it cannot start. */
struct kd_retention *kd_retention_start(const char *db, int days, char *err, size_t errlen);
/* Wakes the thread, joins it and closes its connection.  NULL is fine.  Main thread. */
void kd_retention_stop(struct kd_retention *r);

#endif
