/* daemon/session.h — per-connection state (pss) and the sid -> pss registry.
 *
 * Everything here belongs to the lws service thread: lws allocates each chat
 * connection's struct kd_pss, the server fills it in ESTABLISHED and empties it in
 * CLOSED.  Workers know a connection only by its sid, a 64-bit serial made of a
 * registry slot and that slot's generation, so a result for a connection that closed
 * (slot free or reused) is recognised in O(1) and dropped.
 *
 * Each connection runs at most one job at a time (in_flight); frames that arrive
 * meanwhile wait in its backlog.  That keeps replies in the order the customer sent
 * the messages and makes "hello" apply before the messages that follow it.
 */
#ifndef KEFU_DAEMON_SESSION_H
#define KEFU_DAEMON_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "proto.h"
#include "store.h"

struct lws;

struct kd_pss {
	struct lws *wsi;
	uint64_t sid;                          /* 0 until registered */
	int64_t session_id;                    /* store row; 0 until welcome */
	char token[STORE_TOKEN_LEN + 1];
	unsigned resumed : 1;                  /* session_id came from a hello: its log may
						  hold client ids this connection never sent
						  (job->resumed) */

	unsigned char *rx;                     /* message being reassembled */
	size_t rx_len, rx_cap;
	unsigned rx_skip : 1;                  /* over max_frame: discard to the end */
	unsigned rx_binary : 1;
	unsigned rx_upload : 1;                /* this binary message is pss->upload's */
	unsigned upload_skip : 1;              /* discard the next binary message: its
						  announcement was refused */
	unsigned closing : 1;                  /* close once the output is sent */

	struct kd_job *upload;                 /* announced upload waiting for its binary
						  message (owns the bytes received so far) */
	size_t upload_cap;                     /* allocated bytes of upload->data */

	int in_flight;                         /* a job of ours is with the workers */
	struct kd_job *backlog, *backlog_tail; /* waiting for in_flight to clear */
	unsigned n_backlog;
	unsigned n_backlog_uploads;            /* ... of which voice clips / pictures */

	struct kd_frame *out, *out_tail;       /* frames to write, oldest first */
	unsigned n_out;
	size_t out_bytes;                      /* their payload bytes (charged to the
						  memory budget, budget.h) */
	unsigned cut : 1;                      /* being closed: slow reader or idle */
	unsigned peer_closed : 1;              /* the client sent its close: no direct writes
						  (ws.c send_frame_now) */

	char ip[48];                           /* client address (edge.c: the peer, or
						  what a trusted proxy says); upload quota
						  and per-address limit key */
	unsigned ip_counted : 1;               /* counted by kd_edge_admit */
	unsigned refused : 2;                  /* its kd_edge_verdict when refused (edge.c) */
	uint64_t idle_set_us;                  /* idle_timeout clock last restarted */
	unsigned idle_cut : 1;                 /* silent past idle_timeout: closing (1001) */

	uint64_t rate_start_us;                /* start of the current 10 s window */
	unsigned rate_n;                       /* messages in it */
};

struct kd_registry {
	struct kd_pss **slot;
	uint32_t *gen;
	uint32_t *free_list;
	uint32_t cap, n_free, used;
};

void kd_registry_init(struct kd_registry *r);
void kd_registry_free(struct kd_registry *r);
/* Gives pss a sid.  0, or -1 on allocation failure. */
int kd_registry_add(struct kd_registry *r, struct kd_pss *pss);
void kd_registry_remove(struct kd_registry *r, struct kd_pss *pss);
/* The live connection with this sid, or NULL if it closed. */
struct kd_pss *kd_registry_find(const struct kd_registry *r, uint64_t sid);

void kd_pss_out_push(struct kd_pss *pss, struct kd_frame *f);   /* takes f */
struct kd_frame *kd_pss_out_pop(struct kd_pss *pss);            /* caller frees */
void kd_pss_backlog_push(struct kd_pss *pss, struct kd_job *j); /* takes j */
void kd_pss_backlog_push_front(struct kd_pss *pss, struct kd_job *j);
struct kd_job *kd_pss_backlog_pop(struct kd_pss *pss);
/* Frees buffers, backlog and output (CLOSED). */
void kd_pss_clear(struct kd_pss *pss);

/* Rate limit: 1 if one more message fits in the window of 10 s (and counts it), else 0. */
int kd_pss_rate_ok(struct kd_pss *pss, uint64_t now_us, int limit);

/* Appends buf[0..len) to the reassembly buffer, keeping at most max bytes.  Returns 0,
 * 1 if that would exceed max (nothing appended), -1 on allocation failure. */
int kd_pss_rx_append(struct kd_pss *pss, const void *buf, size_t len, size_t max);
/* Appends buf[0..len) to the pending upload's bytes, growing its buffer up to the
 * announced size.  Returns 0, 1 if that would pass the announced size (nothing
 * appended), -1 on allocation failure. */
int kd_pss_upload_append(struct kd_pss *pss, const void *buf, size_t len);
/* Empties the reassembly buffer (keeps a small allocation for the next message). */
void kd_pss_rx_reset(struct kd_pss *pss);

#endif
