/* daemon/wake.c — the done lists' lock, the service loop's wake-up and the ticker thread
 * that wakes it once a second while a deadline waits (wake.h).  Any thread; the ticker
 * runs on its own. */
#include "wake.h"

#include <time.h>

void kd_wake_init(struct kd_wake *w)
{
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->ctx_lock, NULL);
	w->ctx = NULL;
	w->live = 0;
	atomic_init(&w->want, 0);
	atomic_init(&w->tick_stop, 0);
	w->tick_started = 0;
}

void kd_wake_destroy(struct kd_wake *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->ctx_lock);
}

void kd_wake_set_live(struct kd_wake *w, struct lws_context *ctx, int live)
{
	pthread_mutex_lock(&w->ctx_lock);
	if (ctx)
		w->ctx = ctx;
	w->live = live && w->ctx;
	pthread_mutex_unlock(&w->ctx_lock);
}

void kd_wake_lock(struct kd_wake *w)
{
	pthread_mutex_lock(&w->lock);
}

void kd_wake_unlock(struct kd_wake *w)
{
	pthread_mutex_unlock(&w->lock);
}

void kd_wake_unlock_and_wake(struct kd_wake *w)
{
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_lock(&w->ctx_lock);
	if (w->live)
		lws_cancel_service(w->ctx);
	pthread_mutex_unlock(&w->ctx_lock);
}

void kd_wake_want(struct kd_wake *w, int who, int on)
{
	if (on)
		atomic_fetch_or(&w->want, who);
	else
		atomic_fetch_and(&w->want, ~who);
}

static void *ticker(void *arg)
{
	struct kd_wake *w = arg;
	struct timespec ts = { .tv_sec = 1 };

	while (!atomic_load(&w->tick_stop)) {
		nanosleep(&ts, NULL);
		if (atomic_load(&w->want)) {
			kd_wake_lock(w);
			kd_wake_unlock_and_wake(w);
		}
	}
	return NULL;
}

int kd_wake_ticker_start(struct kd_wake *w)
{
	if (w->tick_started)
		return 0;
	atomic_store(&w->tick_stop, 0);
	if (pthread_create(&w->tick, NULL, ticker, w))
		return -1;
	pthread_setname_np(w->tick, "kd-ticker");
	w->tick_started = 1;
	return 0;
}

void kd_wake_ticker_stop(struct kd_wake *w)
{
	if (!w->tick_started)
		return;
	atomic_store(&w->tick_stop, 1);
	pthread_join(w->tick, NULL);
	w->tick_started = 0;
}
