/* store/review.c — the review queue (store_review.h): the log reads kefud's review
 * thread collects from, the queue's items and clusters.  Per-call statements
 * (store_prep) on the caller's connection, one thread at a time; the review thread's
 * per-batch and per-item ones are cached (store_stmt: SQ_REVIEW_*), their parsing was
 * 12 % of its CPU.  The review thread
 * (daemon/review.c) and the API workers (api/review.c) each use their own connection.
 */
#include "store_review.h"
#include "store_int.h"

#include <string.h>

/* The turn columns of a single-turn read (STORE_TURN_SELECT, store_int.h). */
#define TURN_COLS STORE_TURN_SELECT \
	"FROM messages q JOIN messages r ON r.reply_to = q.id AND r.kind = 1 "

struct turn_walk {
	store_review_turn_cb cb;
	void *arg;
	int seen;
};

static int turn_row(void *arg, sqlite3_stmt *s)
{
	struct turn_walk *w = arg;
	struct store_review_turn t = {
		.message_id = sqlite3_column_int64(s, 0),
		.session_id = sqlite3_column_int64(s, 1),
		.text = (const char *)sqlite3_column_text(s, 2),
		.created_ms = sqlite3_column_int64(s, 3),
		.reply_id = sqlite3_column_int64(s, 4),
		.answer_id = sqlite3_column_int64(s, 5),
		.confidence = sqlite3_column_double(s, 6),
		.meta = (const char *)sqlite3_column_text(s, 7),
		.reply_ms = sqlite3_column_int64(s, 8),
	};
	if (!t.text)
		t.text = "";
	w->seen = 1;
	return w->cb(w->arg, &t);
}

/* Runs a turn query, per-call (finalized) or cached (cached: reset for its next use);
 * STORE_NOT_FOUND when one_row and nothing came. */
static int walk_rows(struct store *st, sqlite3_stmt *s, int cached, int one_row,
		     store_review_turn_cb cb, void *arg)
{
	struct turn_walk w = { cb, arg, 0 };
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_rows(st, s, "reading the log for review", turn_row, &w);
	if (!cached)
		sqlite3_finalize(s);
	return rc ? rc : one_row && !w.seen ? STORE_NOT_FOUND : 0;
}

static int walk_turns(struct store *st, sqlite3_stmt *s, int one_row,
		      store_review_turn_cb cb, void *arg)
{
	return walk_rows(st, s, 0, one_row, cb, arg);
}

/* Cached: the scan runs it every batch. */
int store_review_turns_after(struct store *st, int64_t after, int limit,
			     store_review_turn_cb cb, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, SQ_REVIEW_TURNS_AFTER);
	if (s) {
		sqlite3_bind_int64(s, 1, after);
		sqlite3_bind_int(s, 2, limit > 0 ? limit : -1);
	}
	return walk_rows(st, s, 1, 0, cb, arg);
}

int store_review_turns_last(struct store *st, int limit, store_review_turn_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, "SELECT * FROM (" STORE_TURN_COLS_BY_Q "WHERE q.kind = 0 "
				     "ORDER BY q.id DESC LIMIT ?) ORDER BY 1", "review turns");
	if (s)
		sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	return walk_turns(st, s, 0, cb, arg);
}

int store_review_turn_before(struct store *st, int64_t session_id, int64_t before_id,
			     store_review_turn_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, TURN_COLS "WHERE q.session_id = ? AND q.kind = 0 "
				     "AND q.id < ? ORDER BY q.id DESC LIMIT 1", "review turn");
	if (s) {
		sqlite3_bind_int64(s, 1, session_id);
		sqlite3_bind_int64(s, 2, before_id);
	}
	return walk_turns(st, s, 1, cb, arg);
}

int store_review_turn_of_reply(struct store *st, int64_t reply_id,
			       store_review_turn_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, TURN_COLS "WHERE r.id = ? AND q.kind = 0",
				     "review turn");
	if (s)
		sqlite3_bind_int64(s, 1, reply_id);
	return walk_turns(st, s, 1, cb, arg);
}

int store_review_turn_last(struct store *st, int64_t session_id, int64_t at_ms,
			   store_review_turn_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, TURN_COLS "WHERE q.session_id = ? AND q.kind = 0 "
				     "AND r.created_ms <= ? ORDER BY q.id DESC LIMIT 1",
				     "review turn");
	if (s) {
		sqlite3_bind_int64(s, 1, session_id);
		sqlite3_bind_int64(s, 2, at_ms);
	}
	return walk_turns(st, s, 1, cb, arg);
}

struct id_walk {
	int (*fb)(void *arg, int64_t id, int64_t message_id, int value);
	int (*ho)(void *arg, int64_t id, int64_t session_id, int64_t requested_ms);
	void *arg;
};

static int feedback_row(void *arg, sqlite3_stmt *s)
{
	struct id_walk *w = arg;
	return w->fb(w->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		     sqlite3_column_int(s, 2));
}

static int handoff_row(void *arg, sqlite3_stmt *s)
{
	struct id_walk *w = arg;
	return w->ho(w->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		     sqlite3_column_int64(s, 2));
}

int store_review_feedback_after(struct store *st, int64_t after,
				int (*cb)(void *arg, int64_t id, int64_t message_id, int value),
				void *arg)
{
	struct id_walk w = { .fb = cb, .arg = arg };
	sqlite3_stmt *s = store_prep(st, "SELECT id, message_id, value FROM feedback "
				     "WHERE id > ? ORDER BY id", "review feedback");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, after);
	int rc = store_rows(st, s, "reading feedback for review", feedback_row, &w);
	sqlite3_finalize(s);
	return rc;
}

int store_review_handoffs_after(struct store *st, int64_t after,
				int (*cb)(void *arg, int64_t id, int64_t session_id,
					  int64_t requested_ms),
				void *arg)
{
	struct id_walk w = { .ho = cb, .arg = arg };
	sqlite3_stmt *s = store_prep(st, "SELECT id, session_id, requested_ms FROM handoffs "
				     "WHERE id > ? ORDER BY id", "review handoffs");
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, after);
	int rc = store_rows(st, s, "reading hand-offs for review", handoff_row, &w);
	sqlite3_finalize(s);
	return rc;
}

/* Whether a cached one-row read finds a row, its column 0 into *out (when out): 0,
 * STORE_NOT_FOUND or < 0; s reset for its next use. */
static int cached_int64(struct store *st, sqlite3_stmt *s, const char *what, int64_t *out)
{
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_step_one(st, s, what);
	if (rc == 0 && out)
		*out = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	return rc;
}

int store_review_cursor(struct store *st, const char *name, int64_t *last_id)
{
	sqlite3_stmt *s = store_stmt(st, SQ_REVIEW_CURSOR);
	if (s)
		store_bind_text(s, 1, name);
	int rc = cached_int64(st, s, "reading a review cursor", last_id);
	if (rc == STORE_NOT_FOUND) {
		*last_id = 0;
		return 0;
	}
	return rc;
}

int store_review_cursor_set(struct store *st, const char *name, int64_t last_id)
{
	sqlite3_stmt *s = store_stmt(st, SQ_REVIEW_CURSOR_SET);
	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, last_id);
	return store_step_write(st, s, "setting a review cursor");
}

int store_review_collect(struct store *st, int64_t message_id, int64_t session_id,
			 const char *text, unsigned reasons, int64_t answer_id,
			 double confidence, int64_t now_ms, int *is_new)
{
	int exists = 0;

	if (is_new) {
		sqlite3_stmt *q = store_stmt(st, SQ_REVIEW_ITEM_EXISTS);
		if (q)
			sqlite3_bind_int64(q, 1, message_id);
		int rc = cached_int64(st, q, "review collect", NULL);
		if (rc < 0)
			return rc;
		exists = rc == 0;
	}
	sqlite3_stmt *s = store_stmt(st, SQ_REVIEW_COLLECT);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int64(s, 2, session_id);
	store_bind_text(s, 3, text);
	sqlite3_bind_int64(s, 4, reasons);
	if (answer_id)
		sqlite3_bind_int64(s, 5, answer_id);
	sqlite3_bind_double(s, 6, confidence);
	sqlite3_bind_int64(s, 7, now_ms);
	int rc = store_step_write(st, s, "collecting a review item");
	if (is_new)
		*is_new = rc == 0 && !exists;
	return rc;
}

#define ITEM_COLS "SELECT id, message_id, session_id, text, reasons, " \
	"coalesce(answer_id, 0), coalesce(confidence, 0), coalesce(cluster_id, 0), state, " \
	"created_ms FROM review_items "

struct item_walk {
	store_review_item_cb cb;
	void *arg;
	int seen;
};

static int item_row(void *arg, sqlite3_stmt *s)
{
	struct item_walk *w = arg;
	struct store_review_item it = {
		.id = sqlite3_column_int64(s, 0),
		.message_id = sqlite3_column_int64(s, 1),
		.session_id = sqlite3_column_int64(s, 2),
		.text = (const char *)sqlite3_column_text(s, 3),
		.reasons = (unsigned)sqlite3_column_int64(s, 4),
		.answer_id = sqlite3_column_int64(s, 5),
		.confidence = sqlite3_column_double(s, 6),
		.cluster_id = sqlite3_column_int64(s, 7),
		.state = (const char *)sqlite3_column_text(s, 8),
		.created_ms = sqlite3_column_int64(s, 9),
	};
	if (!it.text)
		it.text = "";
	w->seen = 1;
	return w->cb(w->arg, &it);
}

static int walk_items(struct store *st, sqlite3_stmt *s, int one, store_review_item_cb cb,
		      void *arg)
{
	struct item_walk w = { cb, arg, 0 };
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_rows(st, s, "reading the review queue", item_row, &w);
	sqlite3_finalize(s);
	return rc ? rc : one && !w.seen ? STORE_NOT_FOUND : 0;
}

int store_review_open_foreach(struct store *st, int limit, store_review_item_cb cb,
			      void *arg)
{
	sqlite3_stmt *s = store_prep(st, ITEM_COLS "WHERE state = 'open' ORDER BY id DESC "
				     "LIMIT ?", "review items");
	if (s)
		sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	return walk_items(st, s, 0, cb, arg);
}

int store_review_cluster_items(struct store *st, int64_t cluster_id,
			       store_review_item_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, ITEM_COLS "WHERE state = 'open' AND cluster_id = ? "
				     "ORDER BY id", "review items");
	if (s)
		sqlite3_bind_int64(s, 1, cluster_id);
	return walk_items(st, s, 0, cb, arg);
}

int store_review_item(struct store *st, int64_t id, store_review_item_cb cb, void *arg)
{
	sqlite3_stmt *s = store_prep(st, ITEM_COLS "WHERE id = ?", "review item");
	if (s)
		sqlite3_bind_int64(s, 1, id);
	return walk_items(st, s, 1, cb, arg);
}

int store_review_close(struct store *st, int64_t id, const char *state, int64_t now_ms)
{
	if (!state || (strcmp(state, "added") && strcmp(state, "created") &&
		       strcmp(state, "dismissed")))
		return store_invalid(st, "review state must be added, created or dismissed");
	sqlite3_stmt *s = store_prep(st, "UPDATE review_items SET state = ?, updated_ms = ? "
				     "WHERE id = ? AND state = 'open'", "review close");
	if (!s)
		return -SQLITE_ERROR;
	store_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, now_ms);
	sqlite3_bind_int64(s, 3, id);
	int rc = store_step_write(st, s, "closing a review item");
	sqlite3_finalize(s);
	if (!rc && !sqlite3_changes(st->db))
		return STORE_NOT_FOUND;
	return rc;
}

struct count_walk {
	int64_t *counts, *open;
};

static int count_row(void *arg, sqlite3_stmt *s)
{
	struct count_walk *w = arg;
	unsigned r = (unsigned)sqlite3_column_int64(s, 0);
	int64_t n = sqlite3_column_int64(s, 1);
	for (int b = 0; b < STORE_REVIEW_REASONS; b++)
		if (r & (1u << b))
			w->counts[b] += n;
	*w->open += n;
	return 0;
}

int store_review_counts(struct store *st, int64_t counts[STORE_REVIEW_REASONS], int64_t *open)
{
	struct count_walk w = { counts, open };
	memset(counts, 0, STORE_REVIEW_REASONS * sizeof *counts);
	*open = 0;
	sqlite3_stmt *s = store_prep(st, "SELECT reasons, count(*) FROM review_items "
				     "WHERE state = 'open' GROUP BY reasons", "review counts");
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_rows(st, s, "counting the review queue", count_row, &w);
	sqlite3_finalize(s);
	return rc;
}

struct set_clusters {
	const int64_t *items, *cluster_of;
	size_t n;
	const struct store_review_cluster *c;
	size_t k;
};

static int set_clusters_tx(void *arg, struct store *st)
{
	struct set_clusters *a = arg;
	int rc;

	if (store_exec(st, "DELETE FROM review_clusters"))
		return store_fail(st, "clearing review clusters");
	sqlite3_stmt *ins = store_prep(st, "INSERT INTO review_clusters (id, label, terms, "
				       "answer_id, answer_p, size, updated_ms) "
				       "VALUES (?, ?, ?, ?, ?, ?, ?)", "review clusters");
	if (!ins)
		return -SQLITE_ERROR;
	for (size_t i = 0; i < a->k; i++) {
		const struct store_review_cluster *c = &a->c[i];
		sqlite3_bind_int64(ins, 1, c->id);
		store_bind_text(ins, 2, c->label);
		store_bind_text(ins, 3, c->terms ? c->terms : "");
		if (c->answer_id)
			sqlite3_bind_int64(ins, 4, c->answer_id);
		else
			sqlite3_bind_null(ins, 4);
		sqlite3_bind_double(ins, 5, c->answer_p);
		sqlite3_bind_int64(ins, 6, c->size);
		sqlite3_bind_int64(ins, 7, c->updated_ms);
		if ((rc = store_step_write(st, ins, "writing a review cluster"))) {
			sqlite3_finalize(ins);
			return rc;
		}
		sqlite3_clear_bindings(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_stmt *up = store_prep(st, "UPDATE review_items SET cluster_id = ? WHERE id = ?",
				      "review clusters");
	if (!up)
		return -SQLITE_ERROR;
	for (size_t i = 0; i < a->n; i++) {
		sqlite3_bind_int64(up, 1, a->cluster_of[i]);
		sqlite3_bind_int64(up, 2, a->items[i]);
		if ((rc = store_step_write(st, up, "clustering a review item"))) {
			sqlite3_finalize(up);
			return rc;
		}
	}
	sqlite3_finalize(up);
	return 0;
}

int store_review_set_clusters(struct store *st, const int64_t *items,
			      const int64_t *cluster_of, size_t n,
			      const struct store_review_cluster *clusters, size_t k)
{
	struct set_clusters a = { items, cluster_of, n, clusters, k };
	return store_transaction(st, set_clusters_tx, &a);
}

/* size: the open items of the cluster now (actions close items between clusterings) */
#define CLUSTER_COLS "SELECT c.id, c.label, c.terms, coalesce(c.answer_id, 0), " \
	"coalesce(c.answer_p, 0), (SELECT count(*) FROM review_items i WHERE " \
	"i.cluster_id = c.id AND i.state = 'open') AS n, c.updated_ms FROM review_clusters c "

struct cluster_walk {
	int (*cb)(void *arg, const struct store_review_cluster *c);
	void *arg;
	int seen;
};

static int cluster_row(void *arg, sqlite3_stmt *s)
{
	struct cluster_walk *w = arg;
	struct store_review_cluster c = {
		.id = sqlite3_column_int64(s, 0),
		.label = (const char *)sqlite3_column_text(s, 1),
		.terms = (const char *)sqlite3_column_text(s, 2),
		.answer_id = sqlite3_column_int64(s, 3),
		.answer_p = sqlite3_column_double(s, 4),
		.size = sqlite3_column_int64(s, 5),
		.updated_ms = sqlite3_column_int64(s, 6),
	};
	if (!c.label)
		c.label = "";
	if (!c.terms)
		c.terms = "";
	w->seen = 1;
	return w->cb(w->arg, &c);
}

static int walk_clusters(struct store *st, sqlite3_stmt *s, int one,
			 int (*cb)(void *arg, const struct store_review_cluster *c), void *arg)
{
	struct cluster_walk w = { cb, arg, 0 };
	if (!s)
		return -SQLITE_ERROR;
	int rc = store_rows(st, s, "reading review clusters", cluster_row, &w);
	sqlite3_finalize(s);
	return rc ? rc : one && !w.seen ? STORE_NOT_FOUND : 0;
}

int store_review_clusters_foreach(struct store *st,
				  int (*cb)(void *arg, const struct store_review_cluster *c),
				  void *arg)
{
	return walk_clusters(st, store_prep(st, CLUSTER_COLS "WHERE n > 0 ORDER BY n DESC, "
					    "c.id", "review clusters"), 0, cb, arg);
}

int store_review_cluster(struct store *st, int64_t id,
			 int (*cb)(void *arg, const struct store_review_cluster *c), void *arg)
{
	sqlite3_stmt *s = store_prep(st, CLUSTER_COLS "WHERE c.id = ?", "review cluster");
	if (s)
		sqlite3_bind_int64(s, 1, id);
	return walk_clusters(st, s, 1, cb, arg);
}
