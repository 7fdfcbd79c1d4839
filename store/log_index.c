/* store/log_index.c — the indexer: brings the console's full-text index of the log
 * (messages_fts), the report rollups (report_hours, report_latency, report_answers) and
 * each session's last activity (sessions.last_ms) up to date with the messages
 * committed since its watermark, in batches.
 *
 * Until schema step 13 ("log index") per-row triggers on messages did this inside every
 * logged turn's transaction: measured, they were about 60 % of a turn's cost on the
 * store writer (docs/performance.md "The log insert"), most of it FTS5 flushing a tiny
 * segment of trigram terms at every commit and merging those segments.  Now the
 * messages with id > log_index.last_id are not indexed yet; a pass takes those up to
 * a bound, indexes them (the words with one INSERT ... SELECT; the rollups counted in
 * C from one scan, store/log_rollup.c, one row upserted per hour or day, language and
 * channel instead of several per message) and moves
 * the watermark, all in one transaction, so a crash leaves either the pass entirely
 * or none of it, and the next pass starts where the last committed one ended.
 *
 * sessions.last_ms: the log writer does not touch the session with each turn (that
 * rewrote the session row and moved its sessions_last entry, a sixth of a turn's
 * statements' cost); a pass sets it to the newest created_ms of the session's messages
 * in its range, never backwards (a hand-off or an operator's message may have set it).
 *
 * Who runs passes: the store writer thread (store/writer.c), after a batch commits,
 * once enough messages wait or the oldest has waited long enough; and whoever reads
 * the index, the rollups or last_ms (reports, the console's search and inbox, the
 * retention purge inside its transaction, exports) calls store_log_index_all first,
 * so they see every committed message.  Passes from two connections serialise
 * on the write lock (BEGIN IMMEDIATE) and each reads the watermark inside its own
 * transaction, so they never index a message twice.
 *
 * Deleting a message (retention, forget, purge) removes it from the FTS index through
 * the trigger messages_fts_delete only when it is at or below the watermark (above it,
 * it was never indexed: FTS5 must not be told to delete what it does not hold); the
 * same trigger lowers the watermark when the newest messages are deleted, so their
 * ids, which SQLite then hands out again, are indexed when reused.  The rollups keep
 * counts of indexed messages that were deleted (aggregates, as before step 13); a
 * message deleted before any pass took it is not counted.
 *
 * What a message counts as (the rules of the triggers of step 10, read from the log):
 * a bot reply under its meta's language (else the session's), with its latency bucket
 * and answer; an operator message under the session's language; a customer message
 * under the language of the bot reply that answers it (reply_to) when that reply is
 * committed by the time of the pass, else of the last bot reply before it in the
 * session, else the session's.  Hours and days are the message's own time (UTC).
 *
 * Merging.  FTS5 keeps the index as segments, one a pass, in levels; since schema
 * step 16 a pass writes its segment and merges nothing (automerge 0: merging a level of
 * 16 segments inside a pass made some passes of 4,096 messages take 30-92 ms at 20,000
 * replies/s).  store_log_index_merge merges at most a given number of pages of a level
 * that holds 16 segments (usermerge), or of a merge under way, in its own transaction:
 * the writer runs it in pieces between its batches after each pass until nothing is
 * left to merge.  A level that reaches 64 segments (crisismerge: nobody merged) is
 * merged at once by the pass that adds the 64th.
 *
 * Statements.  A pass's statements (this file's and store/log_rollup.c's) are entries of
 * store/stmt.c's table, prepared once per connection on first use
 * (SQLITE_PREPARE_PERSISTENT) and kept in that connection's cache (struct store): the
 * writer thread's connection keeps its own for its passes, each reader's connection
 * (reports, search, the purge) its own for its catch-up.  They were prepared again on
 * every pass (0.1-0.3 us a turn on the writer).  Each is reset and unbound after its step,
 * so no cached statement holds a read snapshot between passes.
 *
 * Runs on the thread that owns the connection given (the connection and its statement
 * cache are used by one thread at a time, store.h).
 */
#include <stdio.h>

#include "store_int.h"

/* The pass's statements, by their ids in store/stmt.c's table (see "Statements"). */
static const enum store_stmt_id rollup_sql[] = {
	SQ_LOG_INDEX_HOURS, SQ_LOG_INDEX_LATENCY, SQ_LOG_INDEX_ANSWERS,
};

static const enum store_stmt_id after_sql[] = { SQ_LOG_INDEX_LAST_MS, SQ_LOG_INDEX_SET };

static const enum store_stmt_id fts_sql[] = { SQ_LOG_INDEX_FTS };

#define N_OF(A) ((int)(sizeof A / sizeof *A))

/* The watermark and the newest message id, read on st's connection. */
static int read_range(struct store *st, int64_t *last, int64_t *top)
{
	int rc = store_stmt_int64(st, store_stmt(st, SQ_LOG_INDEX_LAST), "reading the log index",
				  last);

	if (rc)
		return rc < 0 ? rc : store_invalid(st, "the log index has no watermark");
	return store_stmt_int64(st, store_stmt(st, SQ_LOG_INDEX_TOP), "reading the log index", top);
}

int store_log_index_lag(struct store *st, int64_t *lag)
{
	int64_t last, top;
	int rc = read_range(st, &last, &top);

	*lag = rc ? 0 : top > last ? top - last : 0;
	return rc;
}

/* Steps the cached statement s, its parameters bound (a write: no rows); 0 or < 0
 * (a constraint's positive result as -SQLITE_CONSTRAINT), the message in st->err. */
static int step(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return -SQLITE_ERROR;   /* store_stmt said why */
	rc = store_step_write(st, s, what);
	return rc > 0 ? -SQLITE_CONSTRAINT : rc;
}

/* Runs the cached statements ids[0..n) with ?1 = lo and ?2 = hi. */
static int run_sql(struct store *st, const enum store_stmt_id *ids, int n, int64_t lo, int64_t hi)
{
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s = store_stmt(st, ids[i]);
		int rc;

		for (int p = 1; s && p <= sqlite3_bind_parameter_count(s); p++)
			sqlite3_bind_int64(s, p, p == 1 ? lo : hi);
		if ((rc = step(st, s, "indexing the log")))
			return rc;
	}
	return 0;
}

/* The statements of one pass over (lo, hi], inside the caller's transaction. */
static int index_range(struct store *st, int64_t lo, int64_t hi)
{
	int rc = run_sql(st, fts_sql, N_OF(fts_sql), lo, hi);

	/* the C count holds a few words a message of the range in memory: a pass of any
	 * size (0 = all: a catch-up of millions) is counted a bounded range at a time */
	for (int64_t a = lo; rc == 0 && a < hi; a += STORE_LOG_INDEX_PASS) {
		int64_t b = hi - a > STORE_LOG_INDEX_PASS ? a + STORE_LOG_INDEX_PASS : hi;
		if (st->rollup_sql || (rc = store_log_rollup(st, a, b)) == STORE_LOG_ROLLUP_SQL)
			rc = run_sql(st, rollup_sql, N_OF(rollup_sql), a, b);
	}
	return rc ? rc : run_sql(st, after_sql, N_OF(after_sql), lo, hi);
}

void store_log_index_use_sql(struct store *st, int on)
{
	st->rollup_sql = on != 0;
}

int store_log_index(struct store *st, int64_t max_rows, int64_t *left)
{
	int own = sqlite3_get_autocommit(st->db);   /* not inside the caller's transaction */
	int64_t lo, top, hi;
	int rc;

	if (left)
		*left = 0;
	if (own && (rc = step(st, store_stmt(st, SQ_BEGIN_IMMEDIATE), "starting a log index pass")))
		return rc;
	if ((rc = read_range(st, &lo, &top)))
		goto fail;
	hi = max_rows > 0 && top - lo > max_rows ? lo + max_rows : top;
	if (hi > lo && (rc = index_range(st, lo, hi)))
		goto fail;
	/* a watermark above the newest message (its messages deleted where the trigger
	 * could not lower it) would leave the ids handed out next unindexed */
	if (hi < lo && (rc = step(st, store_stmt(st, SQ_LOG_INDEX_LOWER), "lowering the log index")))
		goto fail;
	if (own && (rc = step(st, store_stmt(st, SQ_COMMIT), "committing a log index pass")))
		goto fail;
	if (left)
		*left = top > hi ? top - hi : 0;
	return 0;
fail:
	if (own)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_log_index_merge(struct store *st, int pages, int *more)
{
	int own = sqlite3_get_autocommit(st->db);
	sqlite3_stmt *s = store_stmt(st, SQ_LOG_INDEX_MERGE);
	int64_t changes;
	int rc;

	*more = 0;
	if (own && (rc = step(st, store_stmt(st, SQ_BEGIN_IMMEDIATE), "starting a log merge")))
		return rc;
	changes = sqlite3_total_changes64(st->db);
	if (s)
		sqlite3_bind_int(s, 1, pages);
	if ((rc = step(st, s, "merging the log's search index")))
		goto fail;
	/* FTS5 writes its structure (a change besides the command's own) only if it merged */
	*more = sqlite3_total_changes64(st->db) - changes >= 2;
	if (own && (rc = step(st, store_stmt(st, SQ_COMMIT), "committing a log merge")))
		goto fail;
	return 0;
fail:
	*more = 0;
	if (own)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_log_index_all(struct store *st)
{
	int64_t left;
	int rc;

	/* the common case, nothing to index, without taking the write lock */
	if ((rc = store_log_index_lag(st, &left)) || left == 0)
		return rc;
	do
		rc = store_log_index(st, STORE_LOG_INDEX_PASS, &left);
	while (rc == 0 && left > 0);
	return rc;
}
