/* store/store.h — kefu's SQLite answer store, session log, operators and model blobs.
 *
 * One `struct store` is one SQLite connection (WAL mode, foreign keys on,
 * synchronous=NORMAL, busy_timeout set, prepared statements only).  A connection is used
 * by one thread at a time: each daemon worker opens its own, the CLI opens one, and the
 * session-log writer (store_writer_*) owns its own connection on its own thread.
 *
 * Schema versions are applied by store_open() in order (PRAGMA user_version); see
 * store/migrate.c for the schema and docs/store.md for the whole picture.  Every
 * function returns 0 on success, a negative value on a database error (the negated
 * SQLite primary result code, e.g. -SQLITE_BUSY; the message is in store_errmsg()),
 * and documented positive values for expected conditions (STORE_NOT_FOUND,
 * STORE_DUPLICATE, STORE_INVALID).
 *
 * Strings handed out by the store are heap copies owned by the caller unless stated.
 * The *_foreach callbacks must not call the same foreach on the same connection (its
 * statement is in use) and should not write to the tables being walked.
 */
#ifndef KEFU_STORE_H
#define KEFU_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STORE_NOT_FOUND 1
#define STORE_DUPLICATE 2
#define STORE_INVALID 3      /* an argument was rejected (missing, empty, too long, bad
				UTF-8); store_errmsg() says which and why */

#define STORE_TOKEN_LEN 32   /* session tokens: 32 lowercase hex chars (128 random bits) */

struct store;

/* Opens (creating if needed) the database at path and migrates it to the current
 * schema.  Returns NULL and writes a message into err on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
/* The last error's message (valid until the next call on this connection). */
const char *store_errmsg(struct store *st);
int store_schema_version(struct store *st);
/* The schema version this build migrates to (the number of migration steps). */
int store_schema_latest(void);

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
/* Titles are unique: STORE_DUPLICATE if one with this title exists.  tags may be NULL
 * (""); the new answer is enabled. */
int store_answer_add(struct store *st, const char *title, const char *body,
		     const char *lang, const char *tags, int64_t *id_out);
/* Finds an answer by exact title (import uses it); STORE_NOT_FOUND if none. */
int store_answer_find(struct store *st, const char *title, int64_t *id_out);
/* Fills out (caller clears it with store_answer_clear); STORE_NOT_FOUND if no such id. */
int store_answer_get(struct store *st, int64_t id, struct store_answer *out);
/* Writes title, body, lang, tags, enabled of answer a->id (updated_ms set to now);
 * STORE_NOT_FOUND if no such id, STORE_DUPLICATE if the new title is taken. */
int store_answer_update(struct store *st, const struct store_answer *a);
/* Deletes the answer and its examples; STORE_NOT_FOUND if no such id. */
int store_answer_delete(struct store *st, int64_t id);
/* Calls cb for every answer (enabled or not) in id order; cb returning non-zero stops
 * the walk and is returned.  The answer passed to cb is valid during the call only. */
int store_answers_foreach(struct store *st,
			  int (*cb)(void *arg, const struct store_answer *a), void *arg);

/* Adds an example question; STORE_DUPLICATE if that answer already has that text,
 * STORE_NOT_FOUND if there is no such answer. */
int store_example_add(struct store *st, int64_t answer_id, const char *text);
/* Deletes that answer's example with exactly this text; STORE_NOT_FOUND if it has none. */
int store_example_delete(struct store *st, int64_t answer_id, const char *text);
/* The examples of one answer (enabled or not) in id order; cb as above. */
int store_answer_examples_foreach(struct store *st, int64_t answer_id,
				  int (*cb)(void *arg, const char *text), void *arg);
/* Every example of every enabled answer, in (answer id, example id) order. */
int store_examples_foreach(struct store *st,
			   int (*cb)(void *arg, int64_t answer_id, const char *text), void *arg);
int store_count_examples(struct store *st, int64_t *n_out);

/* ---- what an answer says besides its body; the customer's synonyms (extras.c) ------- */

/* A quick-reply button: the words on it and target, the title of the answer it selects. */
struct store_button {
	const char *title, *target;
};
/* Replaces the variants (further bodies, rotated with the body) and the buttons of
 * answer_id.  0, STORE_INVALID (an empty text), or < 0. */
int store_answer_extras_set(struct store *st, int64_t answer_id,
			    const char *const *variants, size_t n_variants,
			    const struct store_button *buttons, size_t n_buttons);
/* Each variant of answer_id (0: of every answer), by answer then position.  cb returns
 * non-zero to stop (that value is returned). */
int store_variants_foreach(struct store *st, int64_t answer_id,
			   int (*cb)(void *arg, int64_t answer_id, const char *body), void *arg);
/* Each button of answer_id (0: of every answer), by answer then position. */
int store_buttons_foreach(struct store *st, int64_t answer_id,
			  int (*cb)(void *arg, int64_t answer_id, const char *title,
				    const char *target), void *arg);
/* Sets the synonym word (stored lowercase) → canonical; an existing word is replaced.
 * 0, STORE_INVALID (either empty), or < 0.  A word equal to its canonical is never listed. */
int store_synonym_set(struct store *st, const char *word, const char *canonical);
/* Each synonym, by word. */
int store_synonyms_foreach(struct store *st,
			   int (*cb)(void *arg, const char *word, const char *canonical),
			   void *arg);

/* Runs fn inside one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK if fn fails);
 * used by import and seeding so a bad file changes nothing.  Returns 0 once committed,
 * fn's non-zero return value after rolling back, or < 0 if BEGIN/COMMIT failed.
 * Nested calls (fn calling store_transaction) become savepoints. */
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
/* STORE_NOT_FOUND if the token is unknown (or not 32 lowercase hex chars). */
int store_session_find(struct store *st, const char *token, int64_t *sid_out);
/* Marks the session closed (state "closed", closed_ms now); closing twice is fine;
 * STORE_NOT_FOUND if no such session. */
int store_session_close(struct store *st, int64_t sid);
/* Sets the session's last_ms to now (the writer does it for every turn). */
int store_session_touch(struct store *st, int64_t sid);
/* Deletes the session if nothing was ever logged in it (no message, rating, hand-off or
 * feedback): the one a connection got at welcome before it resumed another with hello.
 * 0 whether or not it was deleted (*dropped, may be NULL, says which). */
int store_session_drop_if_empty(struct store *st, int64_t sid, int *dropped);

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

/* The last `limit` messages of one session (all if limit <= 0), oldest first; cb as
 * for store_answers_foreach (the message is valid during the call only). */
int store_history(struct store *st, int64_t sid, int limit,
		  int (*cb)(void *arg, const struct store_message *m), void *arg);

/* If the session already logged a customer message with this client id, fills
 * reply_out with the bot reply logged for it (kind STORE_MSG_BOT, same turn) and
 * returns 0; STORE_NOT_FOUND otherwise.  Makes client resends idempotent. */
int store_turn_find(struct store *st, int64_t sid, const char *client_id,
		    struct store_message *reply_out);

/* Logs one message directly, outside the writer (the writer uses it for each turn;
 * callers on other connections may use it for system notes).  client_id is kept for
 * customer messages only; answer_id/confidence/latency_us for bot and operator
 * replies; reply_to (0: none) is the customer message this one answers; meta may be
 * NULL.  Returns 0 (id_out set), STORE_DUPLICATE if the session already logged a
 * customer message with this client id (nothing written), or < 0 (an unknown session
 * is a foreign-key failure). */
int store_message_add(struct store *st, int64_t sid, int kind, const char *client_id,
		      const char *text, int64_t answer_id, double confidence, int latency_us,
		      const char *meta, int64_t reply_to, int64_t *id_out);

struct store_stats {
	int64_t sessions, customer_messages, bot_replies, answers, examples;
};
int store_stats(struct store *st, struct store_stats *out);

/* ---- trained models --------------------------------------------------------------- */

/* One version of a model kind is live (what kefud loads); the others are candidates
 * not made live yet, or earlier versions kept for a rollback (docs/learning.md). */

/* A model to save (store_model_save). */
struct store_model_new {
	const char *kind;         /* "nlu", "fusion", ... */
	const void *blob;
	size_t len;
	const char *metrics;      /* JSON text, may be NULL */
	const char *data_hash;    /* of its training data, may be NULL */
	const char *report;       /* the training report (JSON text), may be NULL */
	int64_t run;              /* the "nlu" version of the same training, 0: none */
	int live;                 /* 1: live at once; 0: a candidate */
};
/* Saves m in one transaction; version_out gets its version (1, 2, ... per kind). */
int store_model_save(struct store *st, const struct store_model_new *m, int64_t *version_out);
/* store_model_save of a live model without report or run (tools, fixtures). */
int store_model_put(struct store *st, const char *kind, const void *blob, size_t len,
		    const char *metrics_json, const char *data_hash, int64_t *version_out);
/* The live model of that kind (a kind none of whose versions was ever live: the
 * newest): *blob is malloc'd (caller frees); STORE_NOT_FOUND if none. */
int store_model_latest(struct store *st, const char *kind, void **blob, size_t *len,
		       int64_t *version_out);
/* Makes a version live (the one live before stays, as a candidate for a rollback),
 * and with it the models of other kinds saved with run = version.  One transaction;
 * STORE_NOT_FOUND when there is no such version. */
int store_model_activate(struct store *st, const char *kind, int64_t version);
/* The version store_model_latest would load, 0 when there is none (cheap: no blob;
 * kefud's live thread polls it for the fusion model). */
int store_model_latest_version(struct store *st, const char *kind, int64_t *version);
/* The live version; STORE_NOT_FOUND when none is. */
int store_model_live_version(struct store *st, const char *kind, int64_t *version);
/* The version that was live last before the live one (the rollback's target);
 * STORE_NOT_FOUND when none was. */
int store_model_previous(struct store *st, const char *kind, int64_t *version);

struct store_model_info {
	const char *kind;
	int64_t version, created_ms;
	int live;
	int64_t live_ms;          /* when it last became live; 0: never */
	int64_t run;              /* 0: none */
	int64_t bytes;            /* of the blob */
	const char *metrics;      /* JSON text or NULL */
	const char *data_hash;    /* or NULL */
	int has_report;
};
/* Every version of kind (NULL: every kind), by kind then newest first; fn's pointers
 * are valid during the call; a non-zero return stops the walk and is returned. */
int store_models_foreach(struct store *st, const char *kind,
			 int (*fn)(void *arg, const struct store_model_info *m), void *arg);
/* The report of a version (malloc'd JSON text); STORE_NOT_FOUND: no such version or
 * it has no report. */
int store_model_report(struct store *st, const char *kind, int64_t version, char **report);
/* Deletes the versions of kind beyond the newest keep (never the live one) and the
 * models of other kinds whose run is no longer a version of kind.  deleted may be NULL. */
int store_models_prune(struct store *st, const char *kind, int keep, int *deleted);

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
	char *customer_meta;      /* JSON text of the customer message, or NULL */
	struct store_attachment *attachment;  /* upload bytes tied to the customer message
				     (same transaction), or NULL; freed with the turn */
	/* Called on the writer thread after the turn's transaction committed (rc 0) or
	 * failed (rc < 0).  rc is STORE_DUPLICATE (committed, nothing written) when the
	 * session had already logged a customer message with this client_id: the earlier
	 * turn stands (store_turn_find returns its reply).  Called exactly once per
	 * submitted turn.  Must not block; typically pushes a result and wakes lws. */
	void (*done)(void *arg, int rc);
	void *arg;
};

struct store_writer;
struct store_attachment;

/* Frees a turn and its strings (for a caller that kept ownership after a failed
 * submit).  NULL is fine. */
void store_turn_free(struct store_turn *turn);

/* Starts the writer thread with its own connection to path; NULL on failure. */
struct store_writer *store_writer_start(const char *path, char *err, size_t errlen);
/* Same with at most max_batch (1..4096) turns per transaction (store_writer_start
 * uses 256); for benchmarks and tuning. */
struct store_writer *store_writer_start_batch(const char *path, size_t max_batch, char *err,
					      size_t errlen);
/* Queues a turn (blocking briefly if the writer's queue is full).  Ownership of turn
 * passes to the writer on 0; on -1 (writer stopping) the caller still owns it. */
int store_writer_submit(struct store_writer *w, struct store_turn *turn);
/* Personal data (common/redact.h CM_REDACT_* kinds; 0 = none, the default) is taken out
 * of the customer's words and their meta (transcript, text read in a picture) before
 * each turn is written: kefud's `redact_log` option.  Any thread. */
void store_writer_set_redact(struct store_writer *w, unsigned what);
/* The redaction of JSON (privacy.c), shared by the writer and the console's view
 * (api/redact_view.c): every string inside v replaced by its cm_redact copy (kinds
 * what), except, at v's top level, the members named in keep (NULL-terminated, may be
 * NULL).  Any thread. */
struct json_t;
void store_redact_json(struct json_t *v, unsigned what, const char *const *keep);
/* The members of a customer message's meta that stay as they are: the contact a
 * customer left with a leave_message ("email", "phone", "name"; given so that a person
 * calls back), NULL for any other meta. */
const char *const *store_meta_kept(struct json_t *meta);
/* Commits what is queued, stops the thread, closes its connection. */
void store_writer_stop(struct store_writer *w);
/* The connection st never checkpoints the WAL after its own commits (PRAGMA
 * wal_autocheckpoint = 0): for kefud's connections that commit beside a running log
 * writer, whose checkpointer is then the only one (two checkpointers contend: "WAL
 * checkpoint: database is locked").  0 or < 0. */
int store_leave_checkpoints(struct store *st);

/* Counters since start (any thread; for /metrics and benchmarks). */
struct store_writer_stats {
	uint64_t turns;            /* turns handled (committed or failed) */
	uint64_t batches;          /* transactions attempted (batches) */
	uint64_t failed;           /* turns whose done() got rc < 0 */
	uint64_t retried_batches;  /* batches rolled back and retried turn by turn */
	uint64_t checkpoints;      /* WAL checkpoints run off the writer thread */
	uint64_t index_passes;     /* log index passes run by the writer (store/log_index.c) */
	uint64_t index_cpu_ns;     /* the writer thread's CPU time inside those passes and its
				      merges of the search index (store_log_index_merge) */
	uint64_t index_max_us;     /* the longest pass or merge, wall clock: what it held the
				      next batch of replies back at most */
	uint64_t ckpt_own;         /* the writer's stops for a WAL restart (the checkpointer
				      thread's last step: store/writer.c) */
	uint64_t ckpt_own_max_us;  /* the longest of them, wall clock: nothing committed */
	uint64_t ckpt_stop_us;     /* all of them, wall clock */
	uint64_t ckpt_hard;        /* of them, waits for a whole restart: the WAL had grown
				      past its bound (CKPT_HARD_PAGES) meanwhile */
	uint64_t wal_restarts;     /* times the writer found the WAL started over */
	size_t queued;             /* turns waiting now */
	int64_t unindexed;         /* messages the writer committed that no pass took yet */
};
void store_writer_get_stats(struct store_writer *w, struct store_writer_stats *out);
/* 1 while the writer's last transaction failed for the storage (full disk, I/O error,
 * read-only file, lock, corruption; not a turn's own bad data), with its message in
 * why (may be NULL); 0 once a transaction commits again (or none failed).  Any
 * thread: kefud's /readyz. */
int store_writer_failing(struct store_writer *w, char *why, size_t whylen);

/* ==== the log's search index and report rollups (store/log_index.c) ============== */

/* Messages per index pass at most (one transaction; the writer's passes are as large). */
#define STORE_LOG_INDEX_PASS 8192
/* One pass: indexes (FTS5 text of customer and operator messages, the report rollups)
 * the messages committed after the watermark, at most max_rows ids of them (0: all),
 * and moves the watermark, in one transaction (BEGIN IMMEDIATE; inside the caller's
 * if one is open).  *left (may be NULL): messages still unindexed after it.  0 or < 0. */
int store_log_index(struct store *st, int64_t max_rows, int64_t *left);
/* Passes until every committed message is indexed; takes no write lock when nothing
 * waits.  Reports and the console's search call it first.  0 or < 0. */
int store_log_index_all(struct store *st);
/* At most pages FTS5 leaf pages of merging the search index's segments (a level that
 * holds 16, or a merge under way), in one transaction (BEGIN IMMEDIATE; inside the
 * caller's if one is open).  *more: 1 if it merged something (there may be more), 0 if
 * nothing waited.  The store writer runs it between batches (store/writer.c).  0 or < 0. */
int store_log_index_merge(struct store *st, int pages, int *more);
/* How many message ids above the watermark (committed, not indexed yet).  0 or < 0. */
int store_log_index_lag(struct store *st, int64_t *lag);
/* on != 0: this connection's passes count the report rollups with the grouped SQL
 * statements that store/log_rollup.c's scan replaced (the same counts; tests compare
 * the two, benches time them).  Default 0. */
void store_log_index_use_sql(struct store *st, int on);

/* ==== voice clips and pictures: attachments (store/media.c) ======================== */

/* The bytes of one upload a customer sent, tied to the customer message row that
 * carries its transcript (audio) or words + OCR text (image).  Strings and data are
 * malloc'd and owned by the struct (store_attachment_clear). */
struct store_attachment {
	int64_t id, message_id;
	char *kind;               /* "audio" or "image" */
	char *mime;               /* as the client announced it; may be "" or NULL */
	char sha256[65];          /* lowercase hex of data (the caller computes it) */
	void *data;
	size_t len;
	int unsafe;               /* a picture the safety model refused */
	char *meta;               /* JSON text: what was heard / seen; may be NULL */
	int64_t created_ms;
};
void store_attachment_clear(struct store_attachment *a);

/* Stores a (its kind, mime, sha256, data, unsafe, meta) for customer message
 * message_id; id_out (may be NULL) gets the new row id.  0, STORE_INVALID (kind missing,
 * sha256 not 64 hex), or < 0 (an unknown message is a foreign-key failure).  The
 * writer calls it inside a turn's transaction. */
int store_attachment_add(struct store *st, int64_t message_id,
			 const struct store_attachment *a, int64_t *id_out);
/* Fills out with attachment id (data included); STORE_NOT_FOUND if none. */
int store_attachment_get(struct store *st, int64_t id, struct store_attachment *out);
/* The attachment of the customer message that session sid logged with client_id (the
 * first one if several); data is left NULL unless with_data.  STORE_NOT_FOUND if that
 * message has none (or does not exist).  Makes an upload's resend answer from the log. */
int store_attachment_find(struct store *st, int64_t sid, const char *client_id,
			  int with_data, struct store_attachment *out);

/* ---- import, export, demo seeding (store/io.c, store/seed.c) ---------------------- */

struct store_import_result {
	int64_t answers_added;     /* answers created */
	int64_t answers_updated;   /* JSON only: existing answers whose body/lang/tags/enabled changed */
	int64_t examples_added;
	int64_t duplicates;        /* example questions the answer already had */
};

/* Imports CSV `question,answer_title[,answer]` from data[0..len) (RFC 4180, header row
 * required, columns matched by name in any order).  A missing answer is created from
 * the row's answer text (lang "zh" if the title or text has CJK characters, else
 * "en"); a row naming a missing answer without answer text is an error.  Everything
 * happens in one transaction: on any error nothing changes, the return is non-zero
 * and err names the line.  res may be NULL. */
int store_import_csv(struct store *st, const char *data, size_t len,
		     struct store_import_result *res, char *err, size_t errlen);
/* Imports the JSON export format (docs/store.md) from data[0..len): answers are
 * matched by title, created if missing, otherwise their body/lang/tags/enabled are
 * set from the file; examples are added (duplicates counted).  One transaction, as
 * for CSV. */
int store_import_json(struct store *st, const char *data, size_t len,
		      struct store_import_result *res, char *err, size_t errlen);
/* Same; with dry_run set the import is done, counted into res, then rolled back. */
int store_import_json_ex(struct store *st, const char *data, size_t len, int dry_run,
			 struct store_import_result *res, char *err, size_t errlen);
/* ---- what an answer expects (store/answer_expects.c; docs/speech.md "Grammars") ---- */

/* 1 when kind is "none", "number", "code", "date" or "amount". */
int store_expects_valid(const char *kind);
/* The entity answer id asks for into out ("none" when it asks for none or does not
 * exist).  0, STORE_NOT_FOUND, or < 0. */
int store_answer_expects(struct store *st, int64_t id, char *out, size_t outlen);
/* Sets it: 0, STORE_NOT_FOUND (no such answer), STORE_INVALID (not a kind above), < 0. */
int store_answer_set_expects(struct store *st, int64_t id, const char *kind);

/* Writes every answer (enabled or not) with its examples as the JSON export format.
 * Returns 0, or < 0 on a database or write error (message in store_errmsg()). */
int store_export_json(struct store *st, FILE *out);

/* Seeds the demo answer store embedded in the library at build time (BANKING77 in
 * English + the Chinese section; see docs/store.md) in one transaction.  Meant for an
 * empty store; answers already there by title make it fail and change nothing. */
int store_seed_demo(struct store *st, char *err, size_t errlen);
/* Same from given buffers (tests use small fixtures): banking77-style CSV
 * `text,category`, a JSON array of {category,title,body,tags} (lang "en"), and a JSON
 * array of {title,body,tags,questions:[...]} (lang "zh").  Every CSV category must
 * have an answer; res (may be NULL) gets the counts. */
int store_seed(struct store *st, const char *csv, size_t csv_len, const char *en_json,
	       size_t en_len, const char *zh_json, size_t zh_len,
	       struct store_import_result *res, char *err, size_t errlen);

/* ---- people: feedback, ratings, hand-off (store/people.c; widget issue) ------------ */

/* Thumbs up (1) or down (-1) on the bot reply to the customer message with this client
 * id in session sid; a second vote on the same reply replaces the first.  Returns 0,
 * STORE_NOT_FOUND if that message has no logged reply, STORE_INVALID for another value. */
int store_feedback_set(struct store *st, int64_t sid, const char *client_id, int value);
/* The vote recorded on that reply: 0 with *value_out, or STORE_NOT_FOUND. */
int store_feedback_get(struct store *st, int64_t sid, const char *client_id, int *value_out);
/* Adds a 1-5 star rating of session sid with an optional comment (NULL = "");
 * STORE_INVALID for other stars or a bad comment. */
int store_rating_add(struct store *st, int64_t sid, int stars, const char *comment,
		     int64_t *id_out);
/* Asks for a person: when the session has no open hand-off, opens one (reason may be
 * NULL), sets sessions.state to "waiting" and logs note (NULL: nothing) as a system
 * message, in one transaction, with *created_out = 1; otherwise changes nothing and
 * sets *created_out = 0.  *id_out gets the open hand-off's id either way. */
int store_handoff_request(struct store *st, int64_t sid, const char *reason,
			  const char *note, int64_t *id_out, int *created_out);
/* Copies sessions.state ("bot", "waiting", "operator", "closed") into out;
 * STORE_NOT_FOUND if no such session. */
int store_session_state(struct store *st, int64_t sid, char *out, size_t outlen);

/* ==== reference and labelled pictures (store/pictures.c; pictures issue) ============ */

/* A picture the store keeps to recognise what customers send: either a reference
 * picture of one answer (answer_id set: "this is what the answer is about") or a
 * labelled picture that teaches a category (label, answer_id 0), or both.  An answer
 * shows a label when one of its pictures has that label, or when its comma-separated
 * tags list the label (the demo catalogue tags "Returning shoes" with "shoes" and
 * stores the shoe photos label-only; store_picture_answers_foreach walks both).  The
 * embedding is the float32 vector of the CNN named embed_model (vision/catalog.c
 * computes missing or stale ones).  Strings, data and embedding are malloc'd and owned
 * by the struct (store_picture_clear). */
struct store_picture {
	int64_t id;
	int64_t answer_id;        /* 0: none */
	char *label;              /* "" if none */
	char *source;             /* where it came from (file name), "" if unknown */
	char sha256[65];          /* lowercase hex of data */
	void *data;               /* encoded bytes (JPEG, PNG, ...); NULL unless asked for */
	size_t len;
	char *embed_model;        /* NULL when there is no embedding */
	float *embedding;         /* dim floats, NULL when none */
	int dim;
};
void store_picture_clear(struct store_picture *p);

/* Adds a picture (its SHA-256 is computed here).  answer_id 0 = none; label and source
 * may be NULL ("").  A picture needs an answer or a label (STORE_INVALID otherwise).
 * STORE_DUPLICATE when the same bytes are stored already (*id_out gets that row's id),
 * STORE_NOT_FOUND when answer_id names no answer. */
int store_picture_add(struct store *st, int64_t answer_id, const char *label,
		      const char *source, const void *data, size_t len, int64_t *id_out);
/* Fills out with picture id (data only when with_data); STORE_NOT_FOUND if none. */
int store_picture_get(struct store *st, int64_t id, int with_data, struct store_picture *out);
/* Every picture in id order (data only when with_data; embedding always when present);
 * cb returning non-zero stops the walk and is returned.  p is valid during the call. */
int store_pictures_foreach(struct store *st, int with_data,
			   int (*cb)(void *arg, const struct store_picture *p), void *arg);
/* Number of pictures. */
int store_picture_count(struct store *st, int64_t *n_out);
/* Stores the embedding (dim floats of CNN model) of picture id; STORE_NOT_FOUND if none. */
int store_picture_set_embedding(struct store *st, int64_t id, const char *model,
				const float *v, int dim);
/* Deletes picture id; STORE_NOT_FOUND if none. */
int store_picture_delete(struct store *st, int64_t id);
/* Calls cb once per (enabled answer, label) pair the pictures give: answers with a
 * labelled picture of their own, and answers whose tags list a picture label.  Ordered
 * by answer id; cb returning non-zero stops the walk and is returned. */
int store_picture_answers_foreach(struct store *st,
				  int (*cb)(void *arg, int64_t answer_id, const char *label),
				  void *arg);

/* ---- customer-facing texts (store/texts.c; schema v4 table `texts`) --------------------
 * kefu's own words to customers — the greeting, the fallback and no-match replies, "Did you
 * say …?", the refusal of a picture, the hand-off answer — one per key and language ("en",
 * "zh").  The defaults are data (store/texts.json, embedded at build time); the `texts`
 * table holds an operator's replacements.  Nobody queries per reply: a caller loads a
 * snapshot and reads from it (kefud's belongs to the bot and is reloaded with it on
 * SIGHUP, nlu_bot_texts). */

#define STORE_TEXT_MAX 2000          /* bytes of one text */

struct store_texts;                  /* immutable snapshot: defaults + replacements */

/* Loads the defaults merged with the table's replacements, on st's thread.  Returns the
 * snapshot (free with store_texts_free; then read-only, any thread) or NULL (message in
 * store_errmsg()). */
struct store_texts *store_texts_load(struct store *st);
void store_texts_free(struct store_texts *t);

/* The text of key in lang from t (NULL t: the defaults).  A language without a text of
 * its own gives the English one; an unknown key gives "".  Never NULL; valid while t
 * lives (the defaults: for ever).  Allocates nothing; any thread. */
const char *store_text(const struct store_texts *t, const char *key, const char *lang);

/* "zh" when s has a CJK character (U+2E80..U+9FFF, U+F900..U+FAFF, U+FF00..U+FFEF), else
 * "en" (also for NULL).  Pure. */
const char *store_text_lang(const char *s);
/* The first of Chinese or English an HTTP Accept-Language value lists ("zh-CN,zh;q=0.9"
 * gives "zh"), "en" when it names neither or is NULL.  Pure. */
const char *store_text_lang_accept(const char *accept);

/* tmpl with each "{name}" replaced by value: a new string the caller frees, or NULL when
 * out of memory. */
char *store_text_fill(const char *tmpl, const char *name, const char *value);

/* One row of store_texts_foreach (strings valid during the callback). */
struct store_text_row {
	const char *key, *lang;
	const char *text;            /* what customers see now */
	const char *default_text;
	const char *what;            /* where kefu says it (from store/texts.json) */
	int custom;                  /* 1: text is an operator's replacement */
};

/* Calls cb for every key and language, sorted by key then language, with the text in
 * force.  Returns 0, cb's non-zero value, or < 0. */
int store_texts_foreach(struct store *st, int (*cb)(void *arg, const struct store_text_row *r),
			void *arg);
/* Replaces the text of key in lang.  0; STORE_INVALID when the key or language is
 * unknown, the text is empty, longer than STORE_TEXT_MAX, not UTF-8, or lacks a
 * placeholder ("{transcript}") of the default; < 0 on a database error. */
int store_text_set(struct store *st, const char *key, const char *lang, const char *text);
/* Goes back to the default text of key in lang.  0; STORE_NOT_FOUND when it is the
 * default already; STORE_INVALID for an unknown key or language; < 0. */
int store_text_reset(struct store *st, const char *key, const char *lang);
/* ==== operator accounts, console sessions, API tokens, audit (store/operators.c) ====
 * Schema v5.  The store keeps what auth/ decides: it never sees a password, a session
 * id or a bearer token, only their hashes (argon2id PHC string; SHA-256 hex).  Times
 * are passed in by the caller (auth/ injects its clock); strings are copied.  Login
 * names and roles are checked here too: login 1..64 bytes of [a-z0-9._@-], role
 * "admin" or "agent", display name up to 200 bytes of UTF-8. */

#define STORE_HASH_HEX 64          /* SHA-256 as lowercase hex */

struct store_operator {
	int64_t id;
	char *login, *name, *role;  /* role: "admin" or "agent" */
	char *pass_hash;            /* argon2id PHC string */
	int disabled;
	int64_t created_ms, updated_ms, last_login_ms;   /* last_login_ms 0: never */
};
void store_operator_clear(struct store_operator *o);

/* Adds an operator; STORE_INVALID (bad login, name or role), STORE_DUPLICATE (login
 * taken).  id_out may be NULL. */
int store_operator_add(struct store *st, const char *login, const char *name,
		       const char *role, const char *pass_hash, int64_t now_ms, int64_t *id_out);
/* Fills out (caller clears); STORE_NOT_FOUND if none. */
int store_operator_get(struct store *st, int64_t id, struct store_operator *out);
int store_operator_find(struct store *st, const char *login, struct store_operator *out);
/* Every operator in id order (pass_hash left NULL); cb as for store_answers_foreach. */
int store_operators_foreach(struct store *st,
			    int (*cb)(void *arg, const struct store_operator *o), void *arg);
/* Number of operators (active_only: not disabled). */
int store_operator_count(struct store *st, int active_only, int64_t *n_out);
/* Sets disabled (0/1); disabling also deletes the operator's console sessions.
 * STORE_NOT_FOUND if no such operator. */
int store_operator_set_disabled(struct store *st, int64_t id, int disabled, int64_t now_ms);
/* Replaces the password hash and deletes the operator's console sessions (a new
 * password logs every browser out).  STORE_NOT_FOUND if no such operator. */
int store_operator_set_password(struct store *st, int64_t id, const char *pass_hash,
				int64_t now_ms);
int store_operator_set_last_login(struct store *st, int64_t id, int64_t now_ms);

/* Failed-login streak of one login name typed (any name, existing or not), keyed by
 * login_hash: the SHA-256 hex of the lowercased name (auth/ computes it). */
struct store_login_attempts {
	int failures;
	int64_t last_failed_ms, locked_until_ms;
};
/* Fills out (all zero when the name has no streak). */
int store_login_attempts_get(struct store *st, const char *login_hash,
			     struct store_login_attempts *out);
/* STORE_INVALID unless login_hash is 64 lowercase hex. */
int store_login_attempts_put(struct store *st, const char *login_hash,
			     const struct store_login_attempts *a);
/* Forgets the streak (after a successful login). */
int store_login_attempts_clear(struct store *st, const char *login_hash);
/* Deletes streaks whose last failure and lock both ended before before_ms. */
int store_login_attempts_prune(struct store *st, int64_t before_ms);

/* One console session.  csrf: the synchronizer token (64 hex). */
struct store_op_session {
	int64_t id, operator_id;
	char csrf[STORE_HASH_HEX + 1];
	int64_t created_ms, last_ms;
};
/* Adds a session whose id hashes to id_hash (64 hex); STORE_INVALID for a bad hash or
 * csrf, STORE_DUPLICATE if that hash exists (a 256-bit collision: never). */
int store_op_session_add(struct store *st, const char *id_hash, int64_t operator_id,
			 const char *csrf, const char *ip, int64_t now_ms);
/* STORE_NOT_FOUND if no session has that hash. */
int store_op_session_find(struct store *st, const char *id_hash, struct store_op_session *out);
int store_op_session_touch(struct store *st, int64_t id, int64_t now_ms);
/* Deletes the session with that hash; STORE_NOT_FOUND if none. */
int store_op_session_delete(struct store *st, const char *id_hash);
/* Deletes sessions idle since before idle_before_ms or created before
 * created_before_ms; *n_out (may be NULL) gets how many. */
int store_op_session_prune(struct store *st, int64_t idle_before_ms,
			   int64_t created_before_ms, int64_t *n_out);

struct store_api_token {
	int64_t id, operator_id;
	char *role, *name;
	int64_t created_ms, last_used_ms, revoked_ms;   /* 0: never / not revoked */
};
void store_api_token_clear(struct store_api_token *t);
/* Adds a token whose secret hashes to token_hash; role "admin"/"agent"; name may be
 * NULL ("").  STORE_INVALID, STORE_NOT_FOUND (no such operator). */
int store_api_token_add(struct store *st, const char *token_hash, int64_t operator_id,
			const char *role, const char *name, int64_t now_ms, int64_t *id_out);
/* The token with that hash, revoked or not (the caller checks revoked_ms);
 * STORE_NOT_FOUND if none. */
int store_api_token_find(struct store *st, const char *token_hash, struct store_api_token *out);
int store_api_token_get(struct store *st, int64_t id, struct store_api_token *out);
int store_api_token_touch(struct store *st, int64_t id, int64_t now_ms);
/* Marks the token revoked; STORE_NOT_FOUND if none or already revoked. */
int store_api_token_revoke(struct store *st, int64_t id, int64_t now_ms);
/* Tokens of one operator (operator_id 0: all) in id order; cb as usual. */
int store_api_tokens_foreach(struct store *st, int64_t operator_id,
			     int (*cb)(void *arg, const struct store_api_token *t), void *arg);

/* One audit row.  operator_id 0 = not an operator (the command line, an unknown login
 * name); login is copied as it was (kept after the operator is deleted); changes is
 * JSON text or NULL. */
struct store_audit {
	int64_t id, created_ms, operator_id;
	const char *login, *action, *object, *ip, *changes;
};
/* Appends a row (id and created_ms of a are ignored: created_ms = now_ms).
 * STORE_INVALID without an action. */
int store_audit_add(struct store *st, const struct store_audit *a, int64_t now_ms);
/* Rows with created_ms >= since_ms, newest first, at most limit (<= 0: all); the row
 * passed to cb is valid during the call only. */
int store_audit_foreach(struct store *st, int64_t since_ms, int limit,
			int (*cb)(void *arg, const struct store_audit *a), void *arg);
/* ==== health (store/health.c) ====================================================== */

/* PRAGMA quick_check: 0 when it answers "ok", else -1 with its first finding in err. */
int store_quick_check(struct store *st, char *err, size_t errlen);
/* 0 if a write transaction can start now (or another connection holds the write lock),
 * else -1 with the reason in err (read-only file or folder, corruption, I/O error).
 * Sets the connection's busy timeout to 50 ms: use a connection of its own. */
int store_probe_write(struct store *st, char *err, size_t errlen);

/* ==== the console's inbox (store/conversations.c; schema v6) ========================
 * Read models for the operator console, each answered as JSON text (malloc'd, the
 * caller frees) built by SQLite in one statement; docs/api.md shows the shapes.
 * "Conversations" are sessions with at least one message. */

struct store_conv_filter {
	const char *status;        /* NULL (all), "waiting", "open", "resolved", "mine" */
	int64_t operator_id;       /* the caller, for "mine" and counts */
	int low_confidence;        /* 1: only those with a low-confidence bot reply */
	int thumbs_down;           /* 1: only those with a thumbs-down */
	const char *lang;          /* NULL or "en", "zh", ... */
	const char *channel;       /* NULL or "widget", "voice", ... */
	const char *q;             /* NULL or words a message contains (full text) */
	double low_below;          /* a bot reply is low-confidence below this (or a fallback) */
	int64_t before_ms;         /* 0, or only conversations last active before this */
	int limit;                 /* <= 0: 50 */
};
/* A JSON array of conversations, newest activity first. */
int store_conversations_json(struct store *st, const struct store_conv_filter *f, char **out);
/* {"all", "waiting", "open", "resolved", "mine", "low_confidence", "thumbs_down"}. */
int store_conversation_counts_json(struct store *st, int64_t operator_id, double low_below,
				   char **out);
/* {"conversation", "messages", "notes", "ratings", "handoffs"} of session sid;
 * STORE_NOT_FOUND if none. */
int store_conversation_json(struct store *st, int64_t sid, double low_below, char **out);
/* A JSON array of messages containing q (FTS5 trigram index; a LIKE scan for queries
 * under three characters), newest first.  STORE_INVALID for an empty q. */
int store_search_json(struct store *st, const char *q, int limit, char **out);
/* The token of session sid; STORE_NOT_FOUND if none. */
int store_session_token(struct store *st, int64_t sid, char token_out[STORE_TOKEN_LEN + 1]);
/* 0 if session sid exists, STORE_NOT_FOUND if not. */
int store_session_exists(struct store *st, int64_t sid);
/* Adds a private note (1..8000 bytes of UTF-8) by an operator to session sid;
 * STORE_NOT_FOUND (no session), STORE_INVALID (text). */
int store_note_add(struct store *st, int64_t sid, int64_t operator_id, const char *login,
		   const char *name, const char *text, int64_t now_ms, int64_t *id_out);

/* Take-over (store/conversations.c).  assign: the operator becomes the assignee
 * (sessions.state "operator", the open hand-off marked taken), in one transaction;
 * release: back to the bot (state "bot", no assignee, the open hand-off closed), with
 * resolved_ms set when resolve.  STORE_NOT_FOUND if no such session. */
int store_session_assign(struct store *st, int64_t sid, int64_t operator_id, int64_t now_ms);
int store_session_release(struct store *st, int64_t sid, int resolve, int64_t now_ms);
/* The assignee of session sid (0: none); STORE_NOT_FOUND if no such session. */
int store_session_assignee(struct store *st, int64_t sid, int64_t *operator_id_out);
/* Every session taken over now, with its operator's display name (login when empty). */
/* Every session waiting for a person (an open, untaken hand-off), oldest request first. */
int store_waiting_foreach(struct store *st,
			  int (*cb)(void *arg, int64_t sid, int64_t requested_ms), void *arg);
int store_assigned_foreach(struct store *st,
			   int (*cb)(void *arg, int64_t sid, int64_t operator_id,
				     const char *name),
			   void *arg);


/* ==== reports (store/reports.c; docs/console.md "Reports") ==========================
 * Figures of a period [from_ms, to_ms) for the console's Reports page, each answered as
 * JSON text (malloc'd, the caller frees; docs/api.md shows the shapes).  lang and
 * channel (NULL or "" = all; channel "widget" is the web chat) filter by the
 * conversation's language and channel; tz_min (minutes east of UTC) places day and hour
 * boundaries; limit (<= 0: 10) caps the top lists. */

#define STORE_REPORT_MAX_DAYS 400
/* The review queue's cluster table the report reads when it exists (columns id, label,
 * size); without it the clusters report says available: false. */
#define STORE_REPORT_CLUSTERS "review_clusters"

struct store_report_query {
	int64_t from_ms, to_ms;
	const char *lang;
	const char *channel;
	int tz_min;
	int limit;
};
/* {"conversations", "containment", "handoffs", "handoff_rate", "messages": {"customer",
 * "bot", "operator", "total"}, "fallback_rate", "thumbs_up", "thumbs_down", "ratings",
 * "csat", "time_to_operator": {"taken", "untaken", "avg_s", "p90_s"}, "latency":
 * {"replies", "p50_ms", "p99_ms"}}; a share is null when its base is 0. */
int store_report_summary_json(struct store *st, const struct store_report_query *q,
			      char **out);
/* {"days": [{"day": "YYYY-MM-DD", "day_ms", "conversations", "containment",
 * "handoff_rate", "customer", "bot", "operator", "fallback_rate", "p50_ms", "p99_ms"}]},
 * every day of the period; STORE_INVALID beyond STORE_REPORT_MAX_DAYS days. */
int store_report_daily_json(struct store *st, const struct store_report_query *q, char **out);
/* {"hours": [{"hour": 0..23, "conversations", "customer", "replies"}]} */
int store_report_hours_json(struct store *st, const struct store_report_query *q, char **out);
/* {"answers": [{"answer_id", "title", "replies", "thumbs_up", "thumbs_down",
 * "thumbs_down_rate"}]}, most given first */
int store_report_answers_json(struct store *st, const struct store_report_query *q,
			      char **out);
/* {"available": bool, "clusters": [{"cluster_id", "label", "size"}]}, largest first */
int store_report_clusters_json(struct store *st, const struct store_report_query *q,
			       char **out);
/* The nearest-rank p-quantile of sorted[0..n) (0 when n is 0).  Pure. */
int64_t store_report_nearest_rank(const int64_t *sorted, size_t n, double p);

/* ==== webhooks (store/webhooks.c; docs/console.md "Webhooks") ========================
 * Endpoints admins configure and the outbox / delivery log that triggers fill (one row
 * per event and subscribed, enabled endpoint, in the transaction of the change).  The
 * secret is stored sealed (webhooks/wh.h); the store never sees it in clear. */

#define STORE_WEBHOOK_EVENTS "handoff.requested", "conversation.resolved", "feedback.negative"
#define STORE_WEBHOOK_URL_MAX 2000

struct store_webhook {
	int64_t id;
	char *url, *events;          /* events: comma-separated names */
	void *sealed;                /* the sealed signing secret */
	size_t sealed_len;
	int enabled;
};
void store_webhook_clear(struct store_webhook *w);
/* Adds an enabled endpoint.  STORE_INVALID: url not http(s)://host..., longer than
 * STORE_WEBHOOK_URL_MAX, with spaces; events empty or naming an unknown event. */
int store_webhook_add(struct store *st, const char *url, const char *events,
		      const void *sealed, size_t sealed_len, const char *created_by,
		      int64_t now_ms, int64_t *id_out);
/* Fills out with the row (sealed secret included); STORE_NOT_FOUND if none. */
int store_webhook_get(struct store *st, int64_t id, struct store_webhook *out);
/* Deletes it and its delivery log; STORE_NOT_FOUND if none. */
int store_webhook_delete(struct store *st, int64_t id);
int store_webhook_set_enabled(struct store *st, int64_t id, int enabled);
/* JSON array of {"id", "url", "events": [...], "enabled", "created_ms", "created_by",
 * "pending", "delivered", "failed"} (never the secret); one object for _json. */
int store_webhooks_json(struct store *st, char **out);
int store_webhook_json(struct store *st, int64_t id, char **out);
/* JSON array of deliveries, newest first (webhook_id 0: all endpoints; limit <= 0: 50):
 * {"id", "webhook_id", "msg_id", "event", "conversation_id", "state", "attempts",
 * "next_ms", "last_status", "last_error", "created_ms", "delivered_ms"}. */
int store_webhook_deliveries_json(struct store *st, int64_t webhook_id, int limit,
				  char **out);

struct store_delivery {
	int64_t id, webhook_id, session_id, ref_id, created_ms;
	char *msg_id;                /* the webhook-id header: the same at every attempt */
	char *event;
	char *payload;               /* NULL until the first attempt built it */
	int attempts;
};
void store_delivery_clear(struct store_delivery *d);
/* The pending delivery due first (next_ms <= now_ms); STORE_NOT_FOUND if none. */
int store_delivery_due(struct store *st, int64_t now_ms, struct store_delivery *out);
/* The earliest next_ms of pending deliveries; STORE_NOT_FOUND if none is pending. */
int store_delivery_next_ms(struct store *st, int64_t *next_out);
int store_delivery_set_payload(struct store *st, int64_t id, const char *payload);
/* Records an attempt: status (the HTTP status, <= 0: none) and error; a 2xx status
 * marks it delivered, else pending again at retry_at_ms, or failed when that is 0. */
int store_delivery_attempted(struct store *st, int64_t id, int status, const char *error,
			     int64_t retry_at_ms, int64_t now_ms);
/* What the event is about, as JSON: {"conversation": {...}, "handoff": {...}|null,
 * "feedback": {"message_id", "answer_id", "answer_title", "reply", "question",
 * "created_ms"}|null}. */
int store_delivery_facts_json(struct store *st, const struct store_delivery *d, char **out);
/* The database file's path ("" for an in-memory one): the webhook key lives beside it. */
const char *store_db_path(struct store *st);

/* ---- data care (privacy.c, backup.c; docs/store.md "Data care") ---------------------- */

struct store_purge {
	int64_t sessions, messages, attachments;   /* rows deleted */
};

/* Deletes every session whose last activity is before cutoff_ms (wall clock) with its
 * messages, attachments, feedback, ratings and hand-offs, in one transaction, then
 * truncates the WAL.  r gets the counts.  0 or < 0 (st->err).  Caller's thread. */
int store_purge_older(struct store *st, int64_t cutoff_ms, struct store_purge *r);
/* Session ids of one customer: the session with token `who`, and every session with a
 * customer message containing `who` (an e-mail address, a customer number;
 * case-insensitive).  *ids is malloc'd (caller frees), sorted.  0, STORE_INVALID (empty
 * who) or < 0. */
int store_customer_sessions(struct store *st, const char *who, int64_t **ids, size_t *n);
/* Deletes the sessions ids[0..n) as store_purge_older does. */
int store_forget_sessions(struct store *st, const int64_t *ids, size_t n,
			  struct store_purge *r);
/* Writes the sessions ids[0..n) as one JSON document to out: each session with its
 * messages, attachments (bytes base64), feedback, ratings and hand-offs. */
int store_export_sessions(struct store *st, const int64_t *ids, size_t n, FILE *out);

/* Copies the database at src_path to out_path with SQLite's online backup API: one
 * consistent commit even while another process writes; the copy is integrity-checked
 * before it is renamed over out_path.  0 or -1 with a message in err. */
int store_backup(const char *src_path, const char *out_path, char *err, size_t errlen);

struct store_check {
	int ok;                  /* integrity ok, foreign keys ok, version known */
	int version, latest;     /* PRAGMA user_version; this build's last step */
	int problems;            /* integrity_check rows other than "ok" */
	int fk_problems;         /* foreign_key_check rows */
	char integrity[256];     /* first integrity_check row */
};
/* Checks a database file read-only, without migrating it.  0 (see r->ok) or -1 when
 * the file cannot be read as a database (message in err). */
int store_check(const char *path, struct store_check *r, char *err, size_t errlen);

/* ==== answers in the console: versions, diff, revert (store/answer_versions.c), the list,
 * one answer, follow-ups (store/answer_views.c), the import plan (store/import_plan.c);
 * schema v7) ==========================================================================
 * Every change of an answer — its fields, follow-ups, examples, pictures — is a version:
 * number 1, 2, … per answer, the action, who, when, and a JSON snapshot of the answer
 * after it ({"title","body","lang","tags","enabled","followups":[ids],"examples":[texts],
 * "pictures":[{"id","sha256","label","source"}]}).  docs/store.md "Answer versions". */

#define STORE_MAX_FOLLOWUPS 3        /* follow-up quick replies of one answer (the bot
						shows NLU_MAX_QUICK buttons) */
#define STORE_WEAK_EXAMPLES 5        /* fewer examples than this: a weak answer */
#define STORE_WEAK_F1 0.6            /* F1 under this in the last model report: weak */

/* Who changes an answer: an operator (operator_id > 0) or the command line (0,
 * login "cli:USER"). */
struct store_who {
	int64_t operator_id;
	const char *login;
};

/* The answer's snapshot as it is now (malloc'd JSON text); STORE_NOT_FOUND if none. */
int store_answer_snapshot(struct store *st, int64_t id, char **out);
/* Records a version of answer id as it is now, unless it equals the latest version
 * (then *version_out is that one).  For a new answer (version 1, action "create") or
 * inside a caller's transaction.  0, STORE_NOT_FOUND, < 0. */
int store_answer_version_add(struct store *st, int64_t id, const struct store_who *who,
			     const char *action, int64_t *version_out);
/* The same after a change made inside the caller's transaction; before: the answer's
 * snapshot before the change (store_answer_snapshot), kept as version 1 ("initial")
 * when the answer had no version yet, or NULL (a new answer). */
int store_answer_version_after(struct store *st, int64_t id, const struct store_who *who,
			       const char *action, const char *before, int64_t *version_out);
/* The id of the newest version row of any answer (0: none): it moves with every change
 * of any answer, whoever made it (kefud polls it to reload its bot). */
int store_answer_versions_mark(struct store *st, int64_t *mark_out);
/* A number that changes when a picture is added, deleted or given to another answer (a
 * sum over the pictures' ids and answers, not a count). */
int store_pictures_mark(struct store *st, int64_t *mark_out);
/* A number that changes with what the bot is made of besides the answer versions: an
 * answer row written without a version (store_import_json alone, the demo seeding), an
 * example added, variants, buttons, synonyms, texts (`kefu texts set`) and models (`kefu
 * train`, activate, rollback).  Cheap enough to poll (small tables, an index's end). */
int store_content_mark(struct store *st, int64_t *mark_out);
/* Runs fn(arg, st) — the change — in one transaction with the answer's versions: the
 * state before it is kept as version 1 "initial" when the answer has none yet, then the
 * new version is recorded (none when nothing changed).  Returns 0 once committed
 * (*version_out, may be NULL: the latest version), fn's non-zero value after rolling
 * back, or < 0. */
int store_answer_change(struct store *st, int64_t id, const struct store_who *who,
			const char *action, int (*fn)(void *arg, struct store *st), void *arg,
			int64_t *version_out);
/* Deletes answer id (its examples and unlabelled pictures go with it) after recording a
 * last version "delete" holding it as it was, in one transaction (a savepoint inside the
 * caller's).  0, STORE_NOT_FOUND, < 0. */
int store_answer_delete_versioned(struct store *st, int64_t id, const struct store_who *who);
/* Sets the follow-up quick replies of answer id (n ids of other answers, at most
 * STORE_MAX_FOLLOWUPS, no repeats).  STORE_NOT_FOUND (answer), STORE_INVALID. */
int store_answer_set_followups(struct store *st, int64_t id, const int64_t *ids, int n);
/* Calls cb(arg, answer_id, followup_id) for each follow-up of every answer, in answer id
 * then list order (nlu_bot_load: the quick replies after a confident answer).  cb's
 * non-zero return stops the walk and is returned. */
int store_followups_foreach(struct store *st,
			    int (*cb)(void *arg, int64_t answer_id, int64_t followup_id),
			    void *arg);
/* Takes picture_id away from answer_id: a labelled picture stays (it teaches its
 * category) without the answer, one without a label is deleted.  STORE_NOT_FOUND when
 * the picture is not that answer's. */
int store_answer_picture_remove(struct store *st, int64_t answer_id, int64_t picture_id);
/* The answer a picture belongs to (0: none); STORE_NOT_FOUND if no such picture. */
int store_picture_answer(struct store *st, int64_t picture_id, int64_t *answer_id_out);
/* JSON array of the versions of answer id, newest first: {"version", "action",
 * "operator_id", "login", "created_ms"}. */
int store_answer_versions_json(struct store *st, int64_t id, char **out);
/* The snapshot of one version; STORE_NOT_FOUND if none. */
int store_answer_version_get(struct store *st, int64_t id, int64_t version, char **snapshot);
/* {"answer_id","from","to","fields":{name:{"from","to"}},"examples":{"added","removed"},
 * "pictures":{"added","removed"}} between two versions; STORE_NOT_FOUND. */
int store_answer_diff_json(struct store *st, int64_t id, int64_t from, int64_t to, char **out);
/* Brings answer id back to version's snapshot, as a new version (action "revert:N"), in
 * one transaction.  *missing_pictures: pictures of that version deleted since (they
 * cannot come back).  STORE_NOT_FOUND (no such version), STORE_DUPLICATE (its title is
 * another answer's now), < 0. */
int store_answer_revert(struct store *st, int64_t id, int64_t version,
			const struct store_who *who, int64_t *version_out, int *missing_pictures);

/* The console's answer list.  "Weak": fewer than weak_examples examples, or an F1 under
 * weak_f1 in the report of the latest "nlu" model (its metrics JSON holds
 * "per_answer": [{"answer_id", "f1", ...}] once training writes one). */
struct store_answer_filter {
	const char *q;             /* words in the title, body or an example; NULL: any */
	const char *lang;          /* NULL: any */
	int enabled;               /* -1 any, 0, 1 */
	int pictures;              /* -1 any, 0 without, 1 with pictures */
	int weak;                  /* 1: only weak answers */
	int weak_examples;         /* <= 0: STORE_WEAK_EXAMPLES */
	double weak_f1;            /* <= 0: STORE_WEAK_F1 */
	int limit, offset;         /* limit <= 0: 100 */
};
/* {"answers": [{"id","title","lang","enabled","updated_ms","preview","examples",
 * "pictures","f1","weak","version"}], "total", "f1_report", "weak_examples", "weak_f1"} */
int store_answers_list_json(struct store *st, const struct store_answer_filter *f, char **out);
/* One answer with its follow-ups ({"id","title"}), examples ({"id","text"}), pictures
 * (no bytes: {"id","label","source","sha256","bytes","embedded","url"}) and version;
 * STORE_NOT_FOUND. */
int store_answer_json(struct store *st, int64_t id, char **out);

/* Imports CSV ("csv") or the kefu JSON format ("json") as store_import_csv/json do, and
 * reports per answer what it added, changed and removed: {"added": [titles], "changed":
 * [{"title", "fields": [names], "examples_added": n, "examples_removed": n}], "removed":
 * [titles], "counts": {...}, "applied": bool}.  replace: answers whose title the file
 * does not name are deleted (store_answer_delete_versioned); else an import only adds
 * and updates.  dry_run: everything is rolled back.  Applied, every added or changed
 * answer gets a version (action "import").  0, or non-zero with err (nothing changed). */
int store_import_plan(struct store *st, const char *format, const char *data, size_t len,
		      int dry_run, int replace, const struct store_who *who, char **report_json,
		      char *err, size_t errlen);

/* The longest text the store accepts of each kind, in bytes (longer: STORE_INVALID). */
#define STORE_MAX_TITLE 200
#define STORE_MAX_TEXT  4000       /* an example question or a customer message */
#define STORE_MAX_BODY  65536      /* an answer body */
#define STORE_MAX_SHORT 200        /* lang, tags, channel, client ids, model kinds */

#endif
