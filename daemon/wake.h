/* daemon/wake.h — how other threads hand results to the lws service thread: a lock for
 * the done lists and lws_cancel_service on the context while it is live.
 *
 * Each module with a done list (ws.c for chat results, http_api.c for API responses)
 * appends under kd_wake_lock, then kd_wake_unlock_and_wake; the service thread swaps
 * its list out under the same lock in LWS_CALLBACK_EVENT_WAIT_CANCELLED.  The wake-up
 * comes after the unlock, so a drain may run before it (then it finds the list empty,
 * harmless), never after a result is appended without a wake-up still to come.
 * server.c owns the struct: sets the context once it exists (live) and clears live at
 * quiesce, after which posts are only queued (no lws call) and freed at destroy.  Any
 * thread.
 */
#ifndef KEFU_DAEMON_WAKE_H
#define KEFU_DAEMON_WAKE_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>

/* Who wants the once-a-second wake-up (kd_wake_want): deadlines the service thread checks
 * on each wake-up instead of lws timers (under lws 4.1 + libev a timer set while the
 * loop's timer is armed for a later one waits for that one: a 2 s idle_timeout fired
 * after more than 10 s, an operator's 6 s typing lapse after 15 s). */
enum { KD_TICK_OPS = 1, KD_TICK_IDLE = 2 };

struct kd_wake {
	pthread_mutex_t lock;        /* the done lists */
	pthread_mutex_t ctx_lock;    /* the two fields below; held around lws_cancel_service */
	struct lws_context *ctx;
	int live;                    /* lws calls allowed from other threads */
	atomic_int want;             /* KD_TICK_* bits: the ticker wakes the loop each second */
	atomic_int tick_stop;
	pthread_t tick;
	int tick_started;
};

void kd_wake_init(struct kd_wake *w);
void kd_wake_destroy(struct kd_wake *w);
/* Main thread: the context exists (live) / no more lws calls (quiesce). */
void kd_wake_set_live(struct kd_wake *w, struct lws_context *ctx, int live);
void kd_wake_lock(struct kd_wake *w);
void kd_wake_unlock(struct kd_wake *w);
/* Unlocks, then wakes the service loop if live (under ctx_lock, not the done lists'
 * lock: the loop, woken by the write lws_cancel_service makes, takes that lock at once
 * to drain, and blocked on it while the waker still held it: two more futex calls and
 * a context switch per wake-up). */
void kd_wake_unlock_and_wake(struct kd_wake *w);
/* Service thread: sets (on) or clears the bit who of the ticker's reasons to run. */
void kd_wake_want(struct kd_wake *w, int who, int on);
/* Main thread: starts / stops (joins) the ticker thread, which wakes the loop once a
 * second while any bit of want is set.  Start: 0, or -1 when no thread could be made. */
int kd_wake_ticker_start(struct kd_wake *w);
void kd_wake_ticker_stop(struct kd_wake *w);

#endif
