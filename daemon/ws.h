/* daemon/ws.h — the chat WebSocket protocol "kefu.v1" at /ws (ws.c, docs/protocol.md).
 *
 * One lws protocol callback; its per-connection data is a struct kd_pss (session.h) and
 * its lws_protocols.user a struct kd_ws: everything the protocol needs, handed in by
 * whoever sets up the context (server.c), so this file knows nothing of the server or
 * of the operators' side (ops.c), which it reaches only through kd_ws_hooks.  Runs on
 * the lws service thread only, except kd_ws_post (workers, the store writer).
 */
#ifndef KEFU_DAEMON_WS_H
#define KEFU_DAEMON_WS_H

#include <libwebsockets.h>
#include <stdatomic.h>

#include "budget.h"
#include "conf.h"
#include "edge.h"
#include "job.h"
#include "metrics.h"
#include "proto.h"
#include "routes.h"
#include "session.h"
#include "wake.h"

#define KD_WS_PROTOCOL "kefu.v1"
#define KD_WS_PATH "/ws"

struct kd_pool;

/* The operators' side of a customer's chat (ops.c fills it; every member optional).
 * Service thread. */
struct kd_ws_hooks {
	void *arg;
	/* nonzero while an operator's console is connected or a conversation is held:
	 * customer_message, held and on_result (but for KD_RES_FRAME results: hand-off
	 * acks) are called only then; NULL: always */
	const int *watching;
	/* a customer message: 1 when a person holds the session and the message went to
	 * the log for them (req->text moved), 0 to let the bot answer */
	int (*customer_message)(void *arg, struct kd_pss *pss, struct kd_req *req);
	/* 1 when a person holds the session now: an upload is logged for them, the bot
	 * does not answer it */
	int (*held)(void *arg, const struct kd_pss *pss);
	void (*customer_typing)(void *arg, struct kd_pss *pss, int on);
	void (*handoff_asked)(void *arg, struct kd_pss *pss);
	/* a result is about to go to the customer (may append frames to r) */
	void (*on_result)(void *arg, struct kd_pss *pss, struct kd_result *r);
	void (*leave_message)(void *arg, struct kd_pss *pss, struct kd_req *req);
};

struct kd_ws {
	const struct kefu_conf *conf;
	struct kd_metrics *met;
	struct kd_registry *reg;
	struct kd_quota *q_session, *q_ip;   /* upload bytes per day */
	struct kd_pool *pool;                /* set before the loop runs */
	unsigned backlog_max;                /* jobs waiting per connection */
	const struct kd_routes *routes;      /* size limits of every HTTP request */
	const char *const *origins;          /* allowed Origins besides the own ones */
	int n_origins, any_origin;
	struct kd_disk *disk;                /* uploads pause below min_free_disk */
	struct kd_edge *edge;                /* client addresses, per-address limits */
	/* the server's answer: is origin kefud's own (its listen address) */
	int (*own_origin)(void *arg, const char *origin);
	void *arg;
	struct kd_ws_hooks hooks;
	/* results from other threads, and the stop request */
	struct kd_wake *wake;
	struct kd_result *done, *done_tail;  /* {wake->lock} */
	atomic_int stop;                     /* any thread: leave the loop */
	uint64_t idle_swept_us;              /* service thread: last idle_sweep */
	int destroying;                      /* service thread: lws_context_destroy began */
};

int kd_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		   void *in, size_t len);
/* kd_post_fn: queues r for the service thread and wakes it.  Any thread. */
void kd_ws_post(void *ws, struct kd_result *r);
/* Asks the loop to finish (it destroys the context from inside).  Any thread. */
void kd_ws_request_stop(struct kd_ws *ws);
/* Frees results never delivered.  Main thread, after the context is gone. */
void kd_ws_free_pending(struct kd_ws *ws);

#endif
