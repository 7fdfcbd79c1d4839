/* store/store_review.h — the review queue in the store (store/review.c, schema step
 * "review queue"): what customers asked that kefu could not answer, its clusters, and
 * the log reads kefud's review thread collects them from.  Part of store/'s public
 * interface (store.h's rules: return values, one connection per thread).
 *
 * The log reads walk turns — a customer message with kefu's reply to it (messages.
 * reply_to) — and the feedback and hand-off rows, each after a cursor kept in
 * review_cursors, so the review thread reads every row once and never the writer's way.
 */
#ifndef KEFU_STORE_REVIEW_H
#define KEFU_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One customer turn of the log (pointers valid during the callback only). */
struct store_review_turn {
	int64_t message_id, session_id;  /* the customer message */
	const char *text;
	int64_t created_ms;
	int64_t reply_id;                /* kefu's reply (kind bot) */
	int64_t answer_id;               /* 0: none */
	double confidence;
	const char *meta;                /* the reply's meta JSON (fallback, why,
					    quick_replies), or NULL */
	int64_t reply_ms;
};
typedef int (*store_review_turn_cb)(void *arg, const struct store_review_turn *t);

/* Customer turns answered by the bot whose message id > after, oldest first, at most
 * limit (customer messages kefu did not answer — an operator held the chat — are
 * skipped).  cb returning non-zero stops the walk and is returned. */
int store_review_turns_after(struct store *st, int64_t after, int limit,
			     store_review_turn_cb cb, void *arg);
/* The newest limit bot-answered customer turns, oldest first (the window the review
 * thread reads new topics off). */
int store_review_turns_last(struct store *st, int limit, store_review_turn_cb cb, void *arg);
/* The session's bot-answered turn just before customer message before_id (the one the
 * customer may have asked again); STORE_NOT_FOUND if none. */
int store_review_turn_before(struct store *st, int64_t session_id, int64_t before_id,
			     store_review_turn_cb cb, void *arg);
/* The turn whose bot reply is message reply_id; STORE_NOT_FOUND if none. */
int store_review_turn_of_reply(struct store *st, int64_t reply_id,
			       store_review_turn_cb cb, void *arg);
/* The session's last bot-answered turn logged at or before at_ms; STORE_NOT_FOUND. */
int store_review_turn_last(struct store *st, int64_t session_id, int64_t at_ms,
			   store_review_turn_cb cb, void *arg);
/* Feedback rows with id > after, oldest first: cb(arg, id, reply message id, value). */
int store_review_feedback_after(struct store *st, int64_t after,
				int (*cb)(void *arg, int64_t id, int64_t message_id, int value),
				void *arg);
/* Hand-off rows with id > after: cb(arg, id, session id, requested_ms). */
int store_review_handoffs_after(struct store *st, int64_t after,
				int (*cb)(void *arg, int64_t id, int64_t session_id,
					  int64_t requested_ms),
				void *arg);

/* The review thread's read position `name` ("messages", "feedback", "handoffs",
 * "novelty"); 0 when
 * never set. */
int store_review_cursor(struct store *st, const char *name, int64_t *last_id);
int store_review_cursor_set(struct store *st, const char *name, int64_t last_id);

/* Puts customer message message_id into the queue with reasons (bits OR-ed into an
 * existing item's; a closed item stays closed).  *is_new (may be NULL) says whether a
 * new open item was made. */
int store_review_collect(struct store *st, int64_t message_id, int64_t session_id,
			 const char *text, unsigned reasons, int64_t answer_id,
			 double confidence, int64_t now_ms, int *is_new);

struct store_review_item {
	int64_t id, message_id, session_id;
	const char *text;
	unsigned reasons;                /* mining.h enum mn_reason bits */
	int64_t answer_id;               /* what kefu answered (0: none) */
	double confidence;
	int64_t cluster_id;              /* 0: not clustered yet */
	const char *state;               /* open, added, created, dismissed */
	int64_t created_ms;
};
typedef int (*store_review_item_cb)(void *arg, const struct store_review_item *it);

/* Open items, newest first, at most limit (<= 0: all). */
int store_review_open_foreach(struct store *st, int limit, store_review_item_cb cb,
			      void *arg);
/* Open items of one cluster, oldest first. */
int store_review_cluster_items(struct store *st, int64_t cluster_id,
			       store_review_item_cb cb, void *arg);
/* One item (any state); STORE_NOT_FOUND. */
int store_review_item(struct store *st, int64_t id, store_review_item_cb cb, void *arg);
/* Closes an open item: state "added", "created" or "dismissed".  STORE_NOT_FOUND if no
 * such open item. */
int store_review_close(struct store *st, int64_t id, const char *state, int64_t now_ms);
/* Counts of open items by reason bit (counts[MN bit index], STORE_REVIEW_REASONS entries:
 * mining.h's MN_N_REASONS) and in all. */
#define STORE_REVIEW_REASONS 7
int store_review_counts(struct store *st, int64_t counts[STORE_REVIEW_REASONS], int64_t *open);

struct store_review_cluster {
	int64_t id;
	const char *label;               /* the most central question */
	const char *terms;               /* key terms, ", "-separated */
	int64_t answer_id;               /* nearest existing answer, 0: none */
	double answer_p;
	int64_t size;
	int64_t updated_ms;
};

/* Replaces the clustering in one transaction: every cluster row, and the cluster_id of
 * items[i] = cluster_of[i] (items not listed keep theirs). */
int store_review_set_clusters(struct store *st, const int64_t *items,
			      const int64_t *cluster_of, size_t n,
			      const struct store_review_cluster *clusters, size_t k);
/* Clusters with at least one open item, largest first (size = open items now). */
int store_review_clusters_foreach(struct store *st,
				  int (*cb)(void *arg, const struct store_review_cluster *c),
				  void *arg);
/* One cluster; STORE_NOT_FOUND. */
int store_review_cluster(struct store *st, int64_t id,
			 int (*cb)(void *arg, const struct store_review_cluster *c), void *arg);

#endif
