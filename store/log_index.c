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
 * Runs on the thread that owns the connection given.
 */
#include <stdio.h>

#include "store_int.h"

/* The language a bot reply m names in its meta ("" counts as none), else NULL. */
#define META_LANG(M) \
	"nullif(CASE WHEN json_valid(" M ".meta) THEN json_extract(" M ".meta, '$.lang') END, '')"
/* Every statement of a pass reads the messages m of session s with ?1 < m.id <= ?2. */
#define RANGE \
	" FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id > ?1 AND m.id <= ?2"

/* The FTS5 index of the words people wrote (customers, operators). */
static const char *const fts_sql[] = {
	"INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages"
	" WHERE id > ?1 AND id <= ?2 AND kind IN (0, 2)",
};

/* The report rollups as grouped statements: the reference store/log_rollup.c counts
 * the same from one scan in C (what a pass runs), and what a pass runs when that
 * declines (a row of unexpected types) or the connection asks for it
 * (store_log_index_use_sql: tests compare the two, benches time them). */
static const char *const rollup_sql[] = {
	"INSERT INTO report_hours (hour_ms, lang, channel, customer, bot, operator, fallback)"
	" SELECT m.created_ms / 3600000 * 3600000 AS h,"
	"  CASE m.kind WHEN 1 THEN coalesce(" META_LANG("m") ", s.lang)"
	"   WHEN 0 THEN coalesce((SELECT coalesce(" META_LANG("r") ", s.lang) FROM messages r"
	"     WHERE r.reply_to = m.id AND r.kind = 1 ORDER BY r.id LIMIT 1),"
	"    (SELECT " META_LANG("p") " FROM messages p WHERE p.session_id = m.session_id"
	"     AND p.kind = 1 AND p.id < m.id ORDER BY p.id DESC LIMIT 1), s.lang)"
	"   ELSE s.lang END AS l, s.channel,"
	"  sum(m.kind = 0), sum(m.kind = 1), sum(m.kind = 2),"
	"  sum(m.kind = 1 AND coalesce(CASE WHEN json_valid(m.meta) THEN"
	"   json_extract(m.meta, '$.fallback') END, coalesce(m.answer_id, 0) = 0) <> 0)"
	RANGE " AND m.kind IN (0, 1, 2) GROUP BY h, l, s.channel"
	" ON CONFLICT DO UPDATE SET customer = customer + excluded.customer,"
	"  bot = bot + excluded.bot, operator = operator + excluded.operator,"
	"  fallback = fallback + excluded.fallback",
	/* latency to two significant digits (12345 us -> 12000): at most 10 % low */
	"INSERT INTO report_latency (day_ms, lang, channel, bucket, n)"
	" SELECT m.created_ms / 86400000 * 86400000 AS d, coalesce(" META_LANG("m") ", s.lang)"
	"  AS l, s.channel, CASE WHEN m.latency_us < 100 THEN m.latency_us ELSE"
	"  CAST(substr(m.latency_us, 1, 2) || substr('000000000000', 1, length(m.latency_us) - 2)"
	"  AS INTEGER) END AS b, count(*)"
	RANGE " AND m.kind = 1 AND m.latency_us > 0 GROUP BY d, l, s.channel, b"
	" ON CONFLICT DO UPDATE SET n = n + excluded.n",
	"INSERT INTO report_answers (day_ms, lang, channel, answer_id, n)"
	" SELECT m.created_ms / 86400000 * 86400000 AS d, coalesce(" META_LANG("m") ", s.lang)"
	"  AS l, s.channel, m.answer_id, count(*)"
	RANGE " AND m.kind = 1 AND coalesce(m.answer_id, 0) > 0 GROUP BY d, l, s.channel,"
	"  m.answer_id"
	" ON CONFLICT DO UPDATE SET n = n + excluded.n",
};

static const char *const after_sql[] = {
	/* each session's last activity: one update a pass instead of one a turn */
	"UPDATE sessions SET last_ms = t.ms FROM (SELECT session_id, max(created_ms) AS ms"
	"  FROM messages WHERE id > ?1 AND id <= ?2 GROUP BY session_id) AS t"
	" WHERE sessions.id = t.session_id AND sessions.last_ms < t.ms",
	"UPDATE log_index SET last_id = ?2",
};

#define N_OF(A) ((int)(sizeof A / sizeof *A))

/* The watermark and the newest message id, read on st's connection. */
static int read_range(struct store *st, int64_t *last, int64_t *top)
{
	int rc = store_one_int64(st, store_prep(st, "SELECT last_id FROM log_index",
						"reading the log index"),
				 "reading the log index", last);

	if (rc)
		return rc < 0 ? rc : store_invalid(st, "the log index has no watermark");
	return store_one_int64(st, store_prep(st, "SELECT coalesce(max(id), 0) FROM messages",
					      "reading the log index"),
			       "reading the log index", top);
}

int store_log_index_lag(struct store *st, int64_t *lag)
{
	int64_t last, top;
	int rc = read_range(st, &last, &top);

	*lag = rc ? 0 : top > last ? top - last : 0;
	return rc;
}

/* Runs statements sql[0..n) with ?1 = lo and ?2 = hi. */
static int run_sql(struct store *st, const char *const *sql, int n, int64_t lo, int64_t hi)
{
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s = store_prep(st, sql[i], "preparing the log index");
		int rc;

		if (!s)
			return -SQLITE_ERROR;
		for (int p = 1; p <= sqlite3_bind_parameter_count(s); p++)
			sqlite3_bind_int64(s, p, p == 1 ? lo : hi);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? 0 : store_fail(st, "indexing the log");
		sqlite3_finalize(s);
		if (rc)
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
	if (own && store_exec(st, "BEGIN IMMEDIATE"))
		return store_fail(st, "starting a log index pass");
	if ((rc = read_range(st, &lo, &top)))
		goto fail;
	hi = max_rows > 0 && top - lo > max_rows ? lo + max_rows : top;
	if (hi > lo && (rc = index_range(st, lo, hi)))
		goto fail;
	/* a watermark above the newest message (its messages deleted where the trigger
	 * could not lower it) would leave the ids handed out next unindexed */
	if (hi < lo && (rc = store_exec(st, "UPDATE log_index SET last_id ="
					" (SELECT coalesce(max(id), 0) FROM messages)"))) {
		rc = store_fail(st, "lowering the log index");
		goto fail;
	}
	if (own && store_exec(st, "COMMIT")) {
		rc = store_fail(st, "committing a log index pass");
		goto fail;
	}
	if (left)
		*left = top > hi ? top - hi : 0;
	return 0;
fail:
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
