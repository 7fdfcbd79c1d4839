/* daemon/ops.h — live take-over in kefud: the operators' WebSocket /ops (protocol
 * "kefu.ops") and what changes for a customer while a person has their conversation.
 *
 * THREADS.  Everything here runs on the lws service thread except kd_ops_create /
 * kd_ops_destroy (main thread, before and after the loop), kd_ops_online (any thread)
 * and the writer's done callback of a customer's message (store writer thread, which
 * only posts an event); while an operator is signed in it asks the server's ticker
 * (wake.h, KD_TICK_OPS) to wake the loop once a second.  The
 * service thread owns the map of taken-over sessions (session row id -> operator id
 * and display name) and every /ops connection.
 *
 * How it fits: state changes (take over, an operator's message, hand back, resolve)
 * are REST calls (api/takeover.c) that commit, then post an event (JSON text) through
 * daemon/http_api.c's done list; kd_ops_event applies it here: updates the map, sends
 * the customer's connections operator_joined / a reply from: operator / operator_left,
 * and pushes the event to every signed-in /ops connection.  A customer's message to a
 * taken-over session skips the bot: it is logged by the store writer as a
 * customer-only turn and, once committed, acknowledged to the customer and pushed to
 * the operators.  An /ops connection is signed in by its __Host-kefu cookie, checked
 * by an API worker (GET /api/v1/me through api_handle), never on this thread.
 *
 * Calls go one way: ops.c calls ws.h (the hook table's type), session.h (the registry),
 * http_api.h (requests for operators) and the store writer; nothing of those calls back
 * here except through the hook tables this file fills (kd_ops_ws_hooks for the chat
 * protocol, kd_ops_api_sink for the API's answers), which server.c hands to them.
 */
#ifndef KEFU_DAEMON_OPS_H
#define KEFU_DAEMON_OPS_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdint.h>

#include "conf.h"
#include "edge.h"
#include "http_api.h"
#include "proto.h"
#include "session.h"
#include "wake.h"
#include "ws.h"

struct api_response;
struct kd_ops;
struct kd_result;
struct store_writer;

#define KD_OPS_PROTOCOL "kefu.ops"
#define KD_OPS_PATH "/ops"

/* Reads the sessions taken over now from conf->db (a restart keeps them).  NULL with
 * err set.  Main thread. */
struct kd_ops *kd_ops_create(const struct kefu_conf *conf, char *err, size_t errlen);
void kd_ops_destroy(struct kd_ops *o);
/* What ops needs of the rest, before the loop runs (server.c): the customers'
 * registry, the store writer, the API (sign-in, takes, summaries), the loop's wake-up.
 * Main thread. */
void kd_ops_attach(struct kd_ops *o, struct kd_registry *reg, struct store_writer *writer,
		   struct kd_api *api, struct kd_wake *wake, struct kd_edge *edge);
/* Fills the protocol entry of /ops (its user is o).  Main thread. */
void kd_ops_protocol(struct kd_ops *o, struct lws_protocols *proto);
/* The hook tables the chat protocol (ws.c) and the API (http_api.c) call. */
void kd_ops_ws_hooks(struct kd_ops *o, struct kd_ws_hooks *h);
void kd_ops_api_sink(struct kd_ops *o, struct kd_api_sink *k);
int kd_ops_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len);

/* Distinct operators signed in on /ops now.  Any thread. */
int kd_ops_online(void);

/* ---- the chat protocol's hooks (kd_ws_hooks; service thread) ---- */
/* A customer message: 1 when the session is taken over and the message went to the
 * log for the operator (req->text moved), 0 to let the bot answer. */
int kd_ops_customer_message(struct kd_ops *o, struct kd_pss *pss, struct kd_req *req);
/* A customer's typing frame: told to the operators of a taken-over session. */
void kd_ops_customer_typing(struct kd_ops *o, struct kd_pss *pss, int on);
/* A hand-off was asked on this connection: the operators hear of it. */
void kd_ops_handoff_asked(struct kd_ops *o, struct kd_pss *pss);
/* A result is about to be sent to a customer's connection: new activity for the
 * consoles, a hand-off answered joins the queue, an upload logged for a person is
 * pushed to the operators, and a customer resuming a taken-over session gets
 * operator_joined appended to r's frames. */
void kd_ops_on_result(struct kd_ops *o, struct kd_pss *pss, struct kd_result *r);
/* A customer's message left for a person: logged (meta left_message, email) through
 * the writer, acknowledged after commit, pushed to the operators. */
void kd_ops_leave_message(struct kd_ops *o, struct kd_pss *pss, struct kd_req *req);

/* ---- the API's answers (kd_api_sink; service thread) ---- */
/* An event posted by a REST handler or the writer (JSON text). */
void kd_ops_event(struct kd_ops *o, const char *event_json);
/* The status of the take the hand-off queue asked for session sid. */
void kd_ops_take_done(struct kd_ops *o, int64_t sid, int status);
/* The summary card computed at a hand-off (res: the answer of GET .../summary): pushed
 * to the operators as {"type": "summary", "conversation_id", "card"}. */
void kd_ops_summary_done(struct kd_ops *o, int64_t sid, const struct api_response *res);
/* The answer of GET /api/v1/me for /ops connection conn_id. */
void kd_ops_authed(struct kd_ops *o, uint64_t conn_id, const struct api_response *res);

/* The Prometheus families of the hand-off queue (malloc'd text), or NULL. */
char *kd_ops_metrics(struct kd_ops *o);
/* Appends them to /metrics' text (len bytes, malloc'd; returned, maybe moved). */
char *kd_ops_metrics_append(struct kd_ops *o, char *text, size_t *len);

#endif
