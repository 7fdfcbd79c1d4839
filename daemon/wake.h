/* daemon/wake.h — how other threads hand results to the lws service thread: a lock for
 * the done lists and lws_cancel_service on the context while it is live.
 *
 * Each module with a done list (ws.c for chat results, http_api.c for API responses)
 * appends under kd_wake_lock, then kd_wake_unlock_and_wake; the service thread swaps
 * its list out under the same lock in LWS_CALLBACK_EVENT_WAIT_CANCELLED.  server.c owns
 * the struct: sets the context once it exists (live) and clears live at quiesce, after
 * which posts are only queued (no lws call) and freed at destroy.  Any thread.
 */
#ifndef KEFU_DAEMON_WAKE_H
#define KEFU_DAEMON_WAKE_H

#include <libwebsockets.h>
#include <pthread.h>

struct kd_wake {
	pthread_mutex_t lock;        /* the done lists and the two fields below */
	struct lws_context *ctx;
	int live;                    /* lws calls allowed from other threads */
};

void kd_wake_init(struct kd_wake *w);
void kd_wake_destroy(struct kd_wake *w);
/* Main thread: the context exists (live) / no more lws calls (quiesce). */
void kd_wake_set_live(struct kd_wake *w, struct lws_context *ctx, int live);
void kd_wake_lock(struct kd_wake *w);
void kd_wake_unlock(struct kd_wake *w);
/* Wakes the service loop if live, then unlocks. */
void kd_wake_unlock_and_wake(struct kd_wake *w);

#endif
