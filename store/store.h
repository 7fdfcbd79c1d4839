/* store/store.h — kefu's SQLite answer store, session log, operators and model blobs.
 *
 * One `struct store` is one SQLite connection (WAL mode, foreign keys on,
 * synchronous=NORMAL, busy_timeout set, prepared statements only).  A connection is used
 * by one thread at a time: each daemon worker opens its own, the CLI opens one, and the
 * session-log writer (store_writer_*) owns its own connection on its own thread.
 *
 * Schema versions are applied by store_open() in order (PRAGMA user_version); see
 * store/migrate.c.  Every function returns 0 on success, a negative value on a database
 * error (the message is in store_errmsg()), and documented positive values for expected
 * conditions (STORE_NOT_FOUND, STORE_DUPLICATE).
 *
 * Strings handed out by the store are heap copies owned by the caller unless stated.
 */
#ifndef KEFU_STORE_H
#define KEFU_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NOT_FOUND 1
#define STORE_DUPLICATE 2

#define STORE_TOKEN_LEN 32   /* session tokens: 32 lowercase hex chars (128 random bits) */

struct store;

/* Opens (creating if needed) the database at path and migrates it to the current
 * schema.  Returns NULL and writes a message into err on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_errmsg(struct store *st);
int store_schema_version(struct store *st);

/* ---- answers and example questions ---------------------------------------------- */

struct store_answer {
	int64_t id;
	char *title;     /* short name shown on quick-reply buttons, e.g. "Lost or stolen card" */
	char *body;      /* Markdown answer text */
	char *lang;      /* "en", "zh", ... */
	char *tags;      /* comma-separated, may be "" */
	int enabled;
	int64_t created_ms, updated_ms;
};
void store_answer_clear(struct store_answer *a);   /* frees the strings inside */

/* 1 when there is no answer at all (a fresh database: kefud then seeds the demo). */
int store_is_empty(struct store *st);
int store_answer_add(struct store *st, const char *title, const char *body,
		     const char *lang, const char *tags, int64_t *id_out);
/* Finds an answer by exact title (import uses it); STORE_NOT_FOUND if none. */
int store_answer_find(struct store *st, const char *title, int64_t *id_out);
int store_answer_get(struct store *st, int64_t id, struct store_answer *out);
int store_answer_update(struct store *st, const struct store_answer *a);
int store_answer_delete(struct store *st, int64_t id);
/* Calls cb for every answer (enabled or not) in id order; cb returning non-zero stops
 * the walk and is returned.  The answer passed to cb is valid during the call only. */
int store_answers_foreach(struct store *st,
			  int (*cb)(void *arg, const struct store_answer *a), void *arg);

/* Adds an example question; STORE_DUPLICATE if that answer already has that text. */
int store_example_add(struct store *st, int64_t answer_id, const char *text);
/* Every example of every enabled answer, in (answer id, example id) order. */
int store_examples_foreach(struct store *st,
			   int (*cb)(void *arg, int64_t answer_id, const char *text), void *arg);
int store_count_examples(struct store *st, int64_t *n_out);

/* Runs fn inside one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK if fn fails);
 * used by import and seeding so a bad file changes nothing. */
int store_transaction(struct store *st, int (*fn)(void *arg, struct store *st), void *arg);

/* ---- sessions and the message log ----------------------------------------------- */

enum store_msg_kind {
	STORE_MSG_CUSTOMER = 0,   /* a customer's message */
	STORE_MSG_BOT = 1,        /* kefu's reply */
	STORE_MSG_OPERATOR = 2,   /* a human operator's reply */
	STORE_MSG_SYSTEM = 3,
};

/* Creates a session with a fresh random token (token_out gets STORE_TOKEN_LEN chars +
 * NUL) and returns its row id. */
int store_session_create(struct store *st, const char *channel, int64_t *sid_out,
			 char token_out[STORE_TOKEN_LEN + 1]);
/* STORE_NOT_FOUND if the token is unknown. */
int store_session_find(struct store *st, const char *token, int64_t *sid_out);
int store_session_close(struct store *st, int64_t sid);

struct store_message {
	int64_t id, session_id;
	int kind;                 /* enum store_msg_kind */
	char *client_id;          /* client's message id (customer msgs), may be NULL */
	char *text;
	int64_t answer_id;        /* bot replies: chosen answer, 0 if none (fallback) */
	double confidence;        /* bot replies */
	int latency_us;           /* bot replies: receive -> reply ready */
	char *meta;               /* JSON text (quick replies etc.), may be NULL */
	int64_t created_ms;
};
void store_message_clear(struct store_message *m);

/* History of one session in order; cb as for store_answers_foreach. */
int store_history(struct store *st, int64_t sid, int limit,
		  int (*cb)(void *arg, const struct store_message *m), void *arg);

/* If the session already logged a customer message with this client id, fills
 * reply_out with the bot reply logged for it (kind STORE_MSG_BOT, same turn) and
 * returns 0; STORE_NOT_FOUND otherwise.  Makes client resends idempotent. */
int store_turn_find(struct store *st, int64_t sid, const char *client_id,
		    struct store_message *reply_out);

struct store_stats {
	int64_t sessions, customer_messages, bot_replies, answers, examples;
};
int store_stats(struct store *st, struct store_stats *out);

/* ---- trained models --------------------------------------------------------------- */

/* Saves a model blob of a kind ("nlu", ...) with its metrics (JSON text) and the hash
 * of its training data; version_out gets the new version (1, 2, ...). */
int store_model_put(struct store *st, const char *kind, const void *blob, size_t len,
		    const char *metrics_json, const char *data_hash, int64_t *version_out);
/* Latest model of that kind: *blob is malloc'd (caller frees); STORE_NOT_FOUND if none. */
int store_model_latest(struct store *st, const char *kind, void **blob, size_t *len,
		       int64_t *version_out);

/* ---- the session-log writer (one thread, batched commits) ------------------------ */

/* One turn to log: the customer's message and kefu's reply, written in the same
 * transaction.  The writer takes ownership of the struct and its strings (all malloc'd)
 * and frees them after calling done. */
struct store_turn {
	int64_t session_id;
	char *client_id;          /* may be NULL */
	char *customer_text;      /* may be NULL (reply-only turn) */
	char *reply_text;         /* may be NULL (customer-only turn) */
	int reply_kind;           /* STORE_MSG_BOT or STORE_MSG_OPERATOR */
	int64_t answer_id;
	double confidence;
	int latency_us;
	char *reply_meta;         /* JSON text or NULL */
	/* Called on the writer thread after the turn's transaction committed (rc 0) or
	 * failed (rc < 0).  Must not block; typically pushes a result and wakes lws. */
	void (*done)(void *arg, int rc);
	void *arg;
};

struct store_writer;

/* Starts the writer thread with its own connection to path; NULL on failure. */
struct store_writer *store_writer_start(const char *path, char *err, size_t errlen);
/* Queues a turn (blocking briefly if the writer's queue is full).  Ownership of turn
 * passes to the writer on 0; on -1 (writer stopping) the caller still owns it. */
int store_writer_submit(struct store_writer *w, struct store_turn *turn);
/* Commits what is queued, stops the thread, closes its connection. */
void store_writer_stop(struct store_writer *w);

#endif
