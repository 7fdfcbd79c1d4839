/* daemon/wake.c — the done lists' lock and the service loop's wake-up (wake.h).
 * Any thread. */
#include "wake.h"

void kd_wake_init(struct kd_wake *w)
{
	pthread_mutex_init(&w->lock, NULL);
	w->ctx = NULL;
	w->live = 0;
}

void kd_wake_destroy(struct kd_wake *w)
{
	pthread_mutex_destroy(&w->lock);
}

void kd_wake_set_live(struct kd_wake *w, struct lws_context *ctx, int live)
{
	pthread_mutex_lock(&w->lock);
	if (ctx)
		w->ctx = ctx;
	w->live = live && w->ctx;
	pthread_mutex_unlock(&w->lock);
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
	if (w->live)
		lws_cancel_service(w->ctx);
	pthread_mutex_unlock(&w->lock);
}
