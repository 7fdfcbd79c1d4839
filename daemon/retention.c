/* daemon/retention.c — the retention thread (see retention.h).
 *
 * Threads: one thread of its own with its own store connection; it purges at start and
 * then each RETENTION_PERIOD_S, sleeping on a cm_stopper (common/stopper.h) so
 * kd_retention_stop (main thread) wakes it at once.  A purge is one transaction: the
 * store writer and workers wait on SQLite's busy timeout meanwhile, as they do for
 * `kefu` commands on the same file.
 */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "stopper.h"
#include "store.h"

#define RETENTION_PERIOD_S 3600

struct kd_retention {
	struct store *st;            /* the thread's */
	int days;
	pthread_t thread;
	struct cm_stopper stop;      /* its sleep between purges; kd_retention_stop ends it */
};

static void purge_once(struct kd_retention *r)
{
	struct store_purge p;
	int64_t cutoff = cm_wall_ms() - (int64_t)r->days * 86400000;

	if (store_purge_older(r->st, cutoff, &p))
		LOG_WARN("retention purge failed: %s", store_errmsg(r->st));
	else if (p.sessions)
		LOG_INFO("retention: %lld sessions, %lld messages, %lld attachments older than "
			 "%d days deleted", (long long)p.sessions, (long long)p.messages,
			 (long long)p.attachments, r->days);
}

static void *retention_main(void *arg)
{
	struct kd_retention *r = arg;

	do
		purge_once(r);
	while (!cm_stopper_sleep(&r->stop, (int64_t)RETENTION_PERIOD_S * 1000));
	return NULL;
}

struct kd_retention *kd_retention_start(const char *db, int days, char *err, size_t errlen)
{
	struct kd_retention *r;

	if (days <= 0)
		return NULL;
	if (!(r = calloc(1, sizeof *r))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->days = days;
	cm_stopper_init(&r->stop);
	if (!(r->st = store_open(db, err, errlen)))
		goto fail;
	if (pthread_create(&r->thread, NULL, retention_main, r)) {
		snprintf(err, errlen, "cannot start the retention thread");
		store_close(r->st);
		goto fail;
	}
	LOG_INFO("retention: sessions idle for more than %d days are deleted hourly", days);
	return r;
fail:
	cm_stopper_destroy(&r->stop);
	free(r);
	return NULL;
}

void kd_retention_stop(struct kd_retention *r)
{
	if (!r)
		return;
	cm_stopper_stop(&r->stop);
	pthread_join(r->thread, NULL);
	store_close(r->st);
	cm_stopper_destroy(&r->stop);
	free(r);
}
