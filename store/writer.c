/* store/writer.c — the session-log writer: one thread, its own connection, batched
 * commits.
 *
 * DESIGN.  Any thread submits turns (store_writer_submit) into a bounded cm_queue.  The
 * writer thread blocks for the first turn, then takes whatever else is already queued
 * (up to max_batch, 256 by default) without waiting any longer: while one batch commits, the next
 * one piles up, so batches grow by themselves under load and a lone turn is never held
 * back by a timer.  Each batch is written in one transaction (BEGIN IMMEDIATE ...
 * COMMIT); only after COMMIT returns does the writer call each turn's done(arg, rc),
 * then free the turn.  A reply must be sent to the customer only from done(): with
 * WAL + synchronous=NORMAL a committed transaction survives a kill -9 of the process,
 * so no customer can see a reply whose turn is lost.
 *
 * If anything in a batch fails (a turn for an unknown session, a full disk, ...), the
 * batch is rolled back and its turns are written again one transaction each, so one
 * bad turn fails alone.  store_writer_stop closes the queue; the thread drains what is
 * left (every queued turn is still written and acknowledged) and exits.
 *
 * Checkpoints.  SQLite's automatic checkpoint would run on the committing connection
 * (here: the writer thread) and fsync the WAL and the database file, holding every
 * queued reply back for milliseconds each time.  The writer connection therefore has
 * its own WAL hook instead: once the WAL holds CKPT_PAGES pages, and again each time it
 * grew by CKPT_PAGES more, it wakes a checkpointer thread, which runs PASSIVE checkpoints
 * on its own connection while the writer keeps committing (WAL allows one checkpointer
 * beside the writer).  (Woken at every commit past the mark, it ran back to back.)  Such
 * a round syncs the WAL and copies it into the database, but syncs the database only if
 * it reached the WAL's end, and SQLite rewinds the WAL only once every frame is copied
 * and the database synced: under sustained load no round gets there, and the file grew
 * without bound (2.8 GB after 300k turns).  A RESTART checkpoint from the other thread
 * polls for the write lock, which the writer retakes at once after each commit.  So the
 * WAL restart is coordinated: past CKPT_SYNC_PAGES (64 MB) the checkpointer runs up to
 * CKPT_CATCHUP PASSIVE rounds, each followed by a sync of the database and of the WAL
 * of its own (sqlite3_file's xSync, the sync SQLite would run), while the writer goes
 * on; then it shuts a gate: the writer finishes the transaction under way and waits
 * before its next one (gate_enter) while a last PASSIVE round copies the few frames
 * committed since the syncs, reaches the WAL's end and syncs what it copied; the
 * writer's next transaction starts the WAL over (and syncs its new header: SQLite's
 * own).  The writer so stops for the syncs of a remainder, not of the megabytes copied
 * before (it used to run that last checkpoint itself, from its WAL hook, after waiting
 * for the round in flight: 18-33 ms a stop at 20,000 replies/s).  The bound: past
 * CKPT_HARD_PAGES the writer asks for a restart and waits at the gate until the
 * checkpointer has ended one, whatever it was doing (the queue's back-pressure does the
 * rest); readers that keep old snapshots can still delay a restart, as before.  docs/performance.md "Issue 14, twelfth session".
 *
 * The log index.  The FTS5 index of customers' words and the report rollups are not
 * written with each turn (that was about 60 % of a turn's cost) but by index passes
 * (store/log_index.c) in larger batches, which cost a fraction per message.  The writer
 * runs them itself, between batches, in pieces of at most INDEX_PIECE messages, each its
 * own transaction: one once INDEX_PIECE messages wait, or once the oldest has waited
 * INDEX_DELAY_MS, and again after the next batch while a full piece waits.  So a piece
 * never delays the replies of the batch before it (their done() ran already) and delays
 * the next batch by its own few milliseconds at most (the longest 5-7 ms at 20,000
 * replies/s, where passes of 4,096 held it 35-74 ms; pieces of 512 cost more CPU a
 * message, FTS5 writing more, smaller segments: docs/performance.md "Issue 14,
 * eleventh session: the log index in pieces").  FTS5's merging comes in pieces too
 * (MERGE_PAGES).  At stop the writer indexes everything left.  Reports and search
 * catch up themselves before they read, so the delay is never visible to them.  The
 * passes also move each session's last_ms (the writer does not touch the session row
 * with each turn).
 *
 * Sessions.  A customer message re-opens its session and marks it as a conversation, a
 * bot reply sets its language (store/log_session.c, once the triggers' work): the
 * writer's connection keeps each session's state in memory, so a turn that changes
 * neither writes nothing to the session's row; the state is checked against other
 * connections' commits at the start of each batch and dropped with a rolled-back one.
 *
 * Health.  The outcome of the writer's last transaction that did not fail for a turn of
 * its own (a storage error: full disk, I/O error, read-only file, lock, corruption) is
 * kept for store_writer_failing, which kefud's /readyz reads: failing from such a
 * failed commit until the next one commits.
 *
 * Threads: the queue, the checkpointer's {lock} fields and the health fields {fail_lock}
 * are the only shared state besides the statistics counters (atomics).  The writer
 * connection, the batch array and the turns being written belong to the writer thread;
 * done() runs there too.  The checkpointer connection belongs to the checkpointer thread.
 * The gate ({ck_lock}: gate_shut, writing, ck_done) is the writer's only wait on it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "queue.h"
#include "store_int.h"

#define WRITER_BATCH 256      /* turns per transaction at most (default) */
#define WRITER_BATCH_MAX 4096
#define WRITER_QUEUE 8192     /* turns waiting at most before submit blocks */
#define CKPT_PAGES 1000       /* WAL pages that trigger a checkpoint (SQLite's default) */
#define CKPT_SYNC_PAGES 16000 /* ... that start the checkpointer's WAL restart (about 64 MB) */
#define CKPT_CATCHUP 3        /* PASSIVE rounds and syncs before the gate, at most */
#define CKPT_CATCHUP_LEFT 500 /* ... fewer if a round left at most this many frames */
#define CKPT_GATE_PAGES 20000 /* ... none more once the WAL is this large (about 80 MB) */
#define CKPT_HARD_PAGES 24000 /* ... past which the writer waits for it (about 96 MB) */
#define INDEX_PIECE 1024      /* messages a log index piece takes at most; as many waiting
				 start one at once */
#define INDEX_DELAY_MS 2000   /* ... or the time the oldest of them waits at most */
#define MERGE_PAGES 64        /* FTS5 pages a merge piece writes at most */
/* The writer connection's page cache, KiB (SQLite's default: 2,000).  Each turn inserts
 * into its session's leaf of two indexes (messages_session, messages_client): at 1,000
 * open sessions those leaves are ~8 MB, and with the default the writer read about one
 * page a turn back from the WAL or the file (pread: 0.8-1.8 a turn, 0.1 with this;
 * docs/performance.md "Issue 14, eleventh session").  Filled only as pages are used. */
#define WRITER_CACHE_KIB "16384"

struct store_writer {
	struct store *st;                 /* writer thread only */
	struct cm_queue *q;
	pthread_t thread;
	size_t max_batch;
	void **batch;                     /* [max_batch], writer thread only */
	int *rcs;                         /* [max_batch], writer thread only */
	atomic_uint_least64_t turns, batches, failed, retried, checkpoints, index_passes;
	atomic_uint_least64_t index_cpu_ns, index_max_us;   /* in passes (written by the writer) */
	atomic_uint_least64_t ckpt_own, ckpt_own_max_us;    /* the writer's stops for a restart */
	atomic_uint_least64_t ckpt_hard, restarts;          /* its stops at the bound; restarts */
	atomic_uint_least64_t ckpt_stop_us;                 /* the stops' time in all */
	atomic_int_least64_t unindexed;   /* messages committed since the last index pass */
	int64_t index_due;                /* writer thread: when to index (ms), 0 nothing waits */
	int merge_due;                    /* writer thread: the search index may need merging */
	int merge_turn;                   /* writer thread: a due merge goes before the next pass */
	atomic_int wal_now;               /* the WAL's size in pages at the writer's last commit
					   * (written by the writer thread only) */
	int ck_next;                      /* writer thread: the WAL size that starts the next
					   * checkpoint round */
	atomic_int stopping;
	atomic_uint redact;               /* CM_REDACT_* kinds taken out of customer words */
	pthread_mutex_t fail_lock;
	int failing;                      /* {fail_lock} the last commit met a storage error */
	char fail_why[200];               /* {fail_lock} its message */

	struct store *ck_st;              /* checkpointer thread only */
	pthread_t ck_thread;
	pthread_mutex_t ck_lock;
	pthread_cond_t ck_wake;
	int ck_pending, ck_stopping;      /* {ck_lock} */
	int ck_running;                   /* {ck_lock} a checkpoint is under way */
	int ck_restart;                   /* {ck_lock} the WAL is past CKPT_SYNC_PAGES */
	int ck_done;                      /* {ck_lock} restarts the checkpointer has ended */
	int gate_shut;                    /* {ck_lock} the writer must not start a transaction */
	int writing;                      /* {ck_lock} the writer's transaction is under way */
	pthread_cond_t gate_open, gate_free;   /* gate_shut cleared; writing cleared */
};

/* Writer thread: notes a stop of its own for a WAL restart (since t0) in the statistics. */
static void count_stop(struct store_writer *w, uint64_t t0)
{
	uint64_t took_us = cm_now_us() - t0;

	atomic_fetch_add(&w->ckpt_own, 1);
	atomic_fetch_add(&w->ckpt_stop_us, took_us);
	if (took_us > atomic_load(&w->ckpt_own_max_us))
		atomic_store(&w->ckpt_own_max_us, took_us);
}

/* Writer thread, after each commit: pages is the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_writer *w = arg;
	int wake = 0;

	(void)db;
	(void)name;
	if (pages < atomic_load(&w->wal_now)) {   /* the WAL started over */
		w->ck_next = CKPT_PAGES;
		atomic_fetch_add(&w->restarts, 1);
	}
	atomic_store(&w->wal_now, pages);
	pthread_mutex_lock(&w->ck_lock);
	if (pages >= CKPT_SYNC_PAGES && !w->ck_restart) {
		w->ck_restart = 1;                 /* at once, even after a round in flight */
		w->ck_pending = 1;
		wake = 1;
	} else if (pages < CKPT_SYNC_PAGES) {
		w->ck_restart = 0;
	}
	if (pages >= w->ck_next) {
		/* one round per CKPT_PAGES new pages: signalled at every commit past the
		 * mark, it ran back to back (75 rounds/s at 5,000 replies/s, each syncing
		 * the WAL and copying the hot pages again) */
		w->ck_next = pages + CKPT_PAGES;
		wake |= !w->ck_running;
	}
	if (wake) {
		w->ck_pending = 1;
		pthread_cond_signal(&w->ck_wake);
	}
	pthread_mutex_unlock(&w->ck_lock);
	return SQLITE_OK;
}

/* Writer thread, before a transaction: waits while the checkpointer holds the gate
 * (its last step before a WAL restart), or, with the WAL past CKPT_HARD_PAGES, until the
 * checkpointer has ended a restart (the bound: back-pressure on the queue).  The bound
 * asks for that restart itself: the checkpointer may still be in a round it started
 * before the WAL passed the mark (on a slow disk the WAL grew past 170 MB while one
 * round ran), or have ended one that could not rewind the WAL (a reader's snapshot).
 * Then marks a transaction under way. */
static void gate_enter(struct store_writer *w)
{
	pthread_mutex_lock(&w->ck_lock);
	if (w->gate_shut || atomic_load(&w->wal_now) >= CKPT_HARD_PAGES) {
		uint64_t t0 = cm_now_us();
		int done = w->ck_done;

		if (!w->gate_shut) {
			atomic_fetch_add(&w->ckpt_hard, 1);
			w->ck_restart = 1;
			w->ck_pending = 1;
			pthread_cond_signal(&w->ck_wake);
		}
		while (!w->ck_stopping &&
		       (w->gate_shut ||
			(atomic_load(&w->wal_now) >= CKPT_HARD_PAGES && w->ck_done == done)))
			pthread_cond_wait(&w->gate_open, &w->ck_lock);
		count_stop(w, t0);
	}
	w->writing = 1;
	pthread_mutex_unlock(&w->ck_lock);
}

/* Writer thread, after a transaction (committed or not). */
static void gate_leave(struct store_writer *w)
{
	pthread_mutex_lock(&w->ck_lock);
	w->writing = 0;
	if (w->gate_shut)
		pthread_cond_signal(&w->gate_free);
	pthread_mutex_unlock(&w->ck_lock);
}

/* Checkpointer thread: syncs the file of the checkpointer's connection that op names
 * (SQLITE_FCNTL_FILE_POINTER: the database; SQLITE_FCNTL_JOURNAL_POINTER: the WAL),
 * the same sync SQLite's checkpoint runs (synchronous=NORMAL: fdatasync). */
static void sync_file(struct store_writer *w, int op)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(w->ck_st->db, "main", op, &f) == SQLITE_OK && f && f->pMethods &&
	    f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK)
		LOG_WARN("WAL checkpoint: a sync failed");
}

/* Checkpointer thread: one PASSIVE checkpoint; *copied = the WAL frames copied so far. */
static void ck_passive(struct store_writer *w, int *copied)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(w->ck_st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
					   &done);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		LOG_WARN("WAL checkpoint: %s", sqlite3_errmsg(w->ck_st->db));
	atomic_fetch_add(&w->checkpoints, 1);
	if (copied)
		*copied = done;
}

/* Checkpointer thread: gets the WAL restarted.  While the writer commits, PASSIVE rounds
 * copy the WAL into the database (each syncs the WAL first; none syncs the database:
 * SQLite syncs it only in a round that reaches the WAL's end), then the database and
 * the WAL are synced here, off the writer's path.  Only then is the gate shut: the
 * writer stops between transactions while a last PASSIVE round copies and syncs the
 * few frames committed since, reaching the WAL's end, so the writer's next transaction
 * starts the WAL over.  The writer's stop holds two syncs of a few pages each, not of
 * the megabytes copied before. */
static void ck_restart(struct store_writer *w)
{
	int copied = 0, left = 0;

	for (int i = 0; i < CKPT_CATCHUP; i++) {
		ck_passive(w, &copied);
		sync_file(w, SQLITE_FCNTL_FILE_POINTER);
		sync_file(w, SQLITE_FCNTL_JOURNAL_POINTER);
		/* what the writer committed since the round started */
		left = atomic_load(&w->wal_now) - copied;
		if (left <= CKPT_CATCHUP_LEFT || atomic_load(&w->wal_now) >= CKPT_GATE_PAGES)
			break;
	}
	pthread_mutex_lock(&w->ck_lock);
	w->gate_shut = 1;
	while (w->writing)
		pthread_cond_wait(&w->gate_free, &w->ck_lock);
	pthread_mutex_unlock(&w->ck_lock);
	ck_passive(w, &copied);
	pthread_mutex_lock(&w->ck_lock);
	w->gate_shut = 0;
	w->ck_done++;
	pthread_cond_broadcast(&w->gate_open);
	pthread_mutex_unlock(&w->ck_lock);
}

static void *checkpointer_main(void *arg)
{
	struct store_writer *w = arg;

	pthread_setname_np(pthread_self(), "kd-ckpt");   /* per-thread CPU in bench/ws */
	for (;;) {
		pthread_mutex_lock(&w->ck_lock);
		while (!w->ck_pending && !w->ck_stopping)
			pthread_cond_wait(&w->ck_wake, &w->ck_lock);
		int stop = w->ck_stopping, restart = w->ck_restart && !stop;
		w->ck_pending = 0;
		w->ck_running = 1;
		pthread_mutex_unlock(&w->ck_lock);
		if (restart)
			ck_restart(w);
		else
			ck_passive(w, NULL);   /* copies what it can, blocking nobody */
		pthread_mutex_lock(&w->ck_lock);
		w->ck_running = 0;
		pthread_mutex_unlock(&w->ck_lock);
		if (stop)
			return NULL;
	}
}

int store_leave_checkpoints(struct store *st)
{
	return store_exec(st, "PRAGMA wal_autocheckpoint = 0") ? store_fail(st, "leaving checkpoints")
							       : 0;
}

void store_turn_free(struct store_turn *t)
{
	if (!t)
		return;
	free(t->client_id);
	free(t->customer_text);
	free(t->reply_text);
	free(t->reply_meta);
	free(t->customer_meta);
	if (t->attachment) {
		store_attachment_clear(t->attachment);
		free(t->attachment);
	}
	free(t);
}

/* Writes one turn inside the current transaction.  Returns 0, STORE_DUPLICATE (the
 * customer message's client id was already logged: nothing written), or < 0. */
static int write_turn(struct store *st, const struct store_turn *t)
{
	int64_t cust_id = 0;
	int rc;

	if (t->reply_text && t->reply_kind != STORE_MSG_BOT && t->reply_kind != STORE_MSG_OPERATOR &&
	    t->reply_kind != STORE_MSG_SYSTEM) {
		snprintf(st->err, sizeof st->err, "turn with reply kind %d", t->reply_kind);
		return -SQLITE_MISUSE;
	}
	if (t->customer_text) {
		rc = store_message_add(st, t->session_id, STORE_MSG_CUSTOMER, t->client_id,
				       t->customer_text, 0, 0, 0, t->customer_meta, 0, &cust_id);
		if (rc)
			return rc;
		/* an upload's bytes commit with the message that carries its text */
		if (t->attachment && (rc = store_attachment_add(st, cust_id, t->attachment, NULL)))
			return rc < 0 ? rc : -SQLITE_CONSTRAINT;
	}
	if (t->reply_text) {
		rc = store_message_add(st, t->session_id, t->reply_kind, NULL, t->reply_text,
				       t->answer_id, t->confidence, t->latency_us, t->reply_meta,
				       cust_id, NULL);
		if (rc)
			return rc < 0 ? rc : -SQLITE_ERROR;
	}
	/* the session's last_ms follows its messages in the next log index pass
	 * (log_index.c): a touch per turn rewrote the session row and its sessions_last
	 * entry, 4.5 of a turn's ~24 us (docs/performance.md "Issue 14, third pass") */
	return t->customer_text || t->reply_text ? 0 : store_session_touch(st, t->session_id);
}

/* Writes turns[0..n) in one transaction; fills rcs.  Returns 0 if it committed,
 * < 0 if it was rolled back (rcs then meaningless). */
static int write_batch(struct store *st, struct store_turn **turns, size_t n, int *rcs)
{
	int rc;

	sqlite3_stmt *begin = store_stmt(st, SQ_BEGIN_IMMEDIATE), *commit = store_stmt(st, SQ_COMMIT);

	if (!begin || !commit)
		return -SQLITE_ERROR;
	if ((rc = store_step_write(st, begin, "starting a log batch")))
		return rc < 0 ? rc : -SQLITE_ERROR;
	if ((rc = store_log_sessions_begin(st)))
		goto rollback;
	for (size_t i = 0; i < n; i++) {
		rcs[i] = write_turn(st, turns[i]);
		if (rcs[i] < 0) {
			rc = rcs[i];
			goto rollback;
		}
	}
	if ((rc = store_step_write(st, commit, "committing a log batch")) == 0)
		return 0;
	if (rc > 0)                       /* a deferred constraint: still not committed */
		rc = -SQLITE_CONSTRAINT;
rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	store_log_sessions_forget(st);    /* it may hold what was rolled back */
	return rc;
}

/* A failure of the storage rather than of one turn's data (a constraint, a misuse). */
static int storage_error(int rc)
{
	switch (-rc) {
	case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT: case SQLITE_NOTADB: case SQLITE_NOMEM: case SQLITE_BUSY:
	case SQLITE_LOCKED: case SQLITE_PERM: case SQLITE_PROTOCOL:
		return 1;
	}
	return 0;
}

/* Writer thread: records one transaction's outcome (rc of write_batch) for /readyz. */
static void note_outcome(struct store_writer *w, int rc)
{
	if (rc < 0 && !storage_error(rc))
		return;                     /* the turn's own fault says nothing of the store */
	pthread_mutex_lock(&w->fail_lock);
	w->failing = rc < 0;
	if (rc < 0)
		snprintf(w->fail_why, sizeof w->fail_why, "%s", store_errmsg(w->st));
	pthread_mutex_unlock(&w->fail_lock);
}

static void handle(struct store_writer *w, struct store_turn **turns, size_t n)
{
	int *rcs = w->rcs;
	unsigned redact = atomic_load(&w->redact);

	for (size_t i = 0; redact && i < n; i++)
		store_redact_turn(turns[i], redact);   /* privacy.c: before anything is written */
	int rc = write_batch(w->st, turns, n, rcs);

	if (rc == 0)
		note_outcome(w, 0);
	else {
		if (n > 1)
			atomic_fetch_add(&w->retried, 1);
		else
			note_outcome(w, rc);
		for (size_t i = 0; i < n; i++) {
			int r = n > 1 ? write_batch(w->st, &turns[i], 1, &rcs[i]) : rc;
			if (n > 1)
				note_outcome(w, r);
			if (r < 0) {
				rcs[i] = r;   /* the turn's own error, or its commit's */
				LOG_WARN("turn of session %lld not logged: %s",
					 (long long)turns[i]->session_id, store_errmsg(w->st));
				atomic_fetch_add(&w->failed, 1);
			}
		}
	}
	atomic_fetch_add(&w->batches, 1);
	atomic_fetch_add(&w->turns, n);
	for (size_t i = 0; i < n; i++)
		if (rcs[i] == 0)
			atomic_fetch_add(&w->unindexed, (turns[i]->customer_text != NULL) +
							(turns[i]->reply_text != NULL));
	for (size_t i = 0; i < n; i++) {
		if (turns[i]->done)
			turns[i]->done(turns[i]->arg, rcs[i]);
		store_turn_free(turns[i]);
	}
}

static int64_t now_ms(void)
{
	return (int64_t)(cm_now_us() / 1000);
}

/* Writer thread: adds a piece's CPU and wall time (since cpu0, t0; its own checkpoint,
 * when the piece's commit ran one, counted there, not here: since ck0) to the statistics. */
static void count_piece(struct store_writer *w, uint64_t cpu0, uint64_t t0, uint64_t ck0)
{
	uint64_t took_us = cm_now_us() - t0 - (atomic_load(&w->ckpt_stop_us) - ck0);

	atomic_fetch_add(&w->index_cpu_ns, cm_thread_cpu_ns() - cpu0);
	if (took_us > atomic_load(&w->index_max_us))
		atomic_store(&w->index_max_us, took_us);
}

/* Writer thread: one index piece (a pass of at most INDEX_PIECE messages); schedules
 * the next: at once while a full piece waits, within INDEX_DELAY_MS for fewer, a second
 * later if the pass failed.  0 or < 0. */
static int index_pass(struct store_writer *w)
{
	int64_t left = 0;
	uint64_t cpu0 = cm_thread_cpu_ns(), t0 = cm_now_us(), ck0 = atomic_load(&w->ckpt_stop_us);
	int rc = store_log_index(w->st, INDEX_PIECE, &left);

	count_piece(w, cpu0, t0, ck0);
	atomic_fetch_add(&w->index_passes, 1);
	if (rc < 0)
		LOG_WARN("log index pass: %s", store_errmsg(w->st));
	atomic_store(&w->unindexed, rc < 0 ? atomic_load(&w->unindexed) : left);
	w->index_due = rc < 0 ? now_ms() + 1000 : left >= INDEX_PIECE ? now_ms()
		     : left > 0 ? now_ms() + INDEX_DELAY_MS : 0;
	w->merge_due = rc == 0;   /* its segment may complete a level */
	return rc;
}

/* Writer thread: one merge piece (at most MERGE_PAGES pages); another is due while it
 * found something to merge. */
static void merge_piece(struct store_writer *w)
{
	uint64_t cpu0 = cm_thread_cpu_ns(), t0 = cm_now_us(), ck0 = atomic_load(&w->ckpt_stop_us);
	int more = 0;

	if (store_log_index_merge(w->st, MERGE_PAGES, &more))
		LOG_WARN("log index merge: %s", store_errmsg(w->st));
	count_piece(w, cpu0, t0, ck0);
	w->merge_due = more;      /* after a failure: again after the next pass */
}

/* Writer thread, after a batch: whether an index piece is due. */
static int index_wanted(struct store_writer *w)
{
	int64_t waiting = atomic_load(&w->unindexed);

	if (waiting <= 0)
		return 0;
	if (!w->index_due)
		w->index_due = now_ms() + INDEX_DELAY_MS;
	return waiting >= INDEX_PIECE || now_ms() >= w->index_due;
}

/* Writer thread, between batches: one piece of index work if any is due; a due merge
 * takes every other turn (at saturation a pass was always due after a batch, merges
 * never ran, and a level reached crisismerge: one pass of a closed-loop run took 57 ms). */
static void index_work(struct store_writer *w)
{
	if (w->merge_due && (w->merge_turn || !index_wanted(w))) {
		merge_piece(w);
		w->merge_turn = 0;
	} else if (index_wanted(w)) {
		index_pass(w);
		w->merge_turn = 1;
	}
}

static void *writer_main(void *arg)
{
	struct store_writer *w = arg;

	pthread_setname_np(pthread_self(), "kd-writer");
	/* what an earlier run left unindexed (a kill -9 between a commit and its pass) */
	gate_enter(w);
	index_pass(w);
	gate_leave(w);
	for (;;) {
		int64_t wait = w->merge_due ? 0 : w->index_due ? w->index_due - now_ms() : -1;
		/* stopping is set after the queue closed: read before the pop, it means 0
		 * turns from the pop are all there will be */
		int stop = atomic_load(&w->stopping);
		/* blocks for the first turn, or until index work is due; 0 turns: the queue
		 * is closed and empty, or the work is due */
		size_t n = cm_queue_pop_many(w->q, w->batch, w->max_batch,
					     wait < 0 && (w->index_due || w->merge_due) ? 0 : (int)wait);

		gate_enter(w);   /* each branch's transactions, between two gates */
		if (n > 0) {
			handle(w, (struct store_turn **)w->batch, n);
			gate_leave(w);
			gate_enter(w);
			index_work(w);
		} else if (stop) {
			/* a clean stop leaves everything indexed (merging can wait: the next
			 * start's writer goes on with it) */
			while (index_pass(w) == 0 && atomic_load(&w->unindexed) > 0)
				;
			gate_leave(w);
			return NULL;
		} else if (w->index_due && now_ms() >= w->index_due) {
			index_pass(w);
		} else if (w->merge_due) {
			merge_piece(w);
		}
		gate_leave(w);
	}
}

static void stop_checkpointer(struct store_writer *w)
{
	pthread_mutex_lock(&w->ck_lock);
	w->ck_stopping = 1;
	pthread_cond_signal(&w->ck_wake);
	pthread_cond_broadcast(&w->gate_open);   /* a writer at the bound waits no more */
	pthread_mutex_unlock(&w->ck_lock);
	pthread_join(w->ck_thread, NULL);
}

/* Frees what store_writer_start_batch made (a start that failed part way, or a stop
 * after the threads joined): NULL-safe parts, the locks initialised before any of them. */
static void free_writer(struct store_writer *w)
{
	cm_queue_destroy(w->q);
	store_close(w->st);
	store_close(w->ck_st);
	pthread_mutex_destroy(&w->ck_lock);
	pthread_mutex_destroy(&w->fail_lock);
	pthread_cond_destroy(&w->ck_wake);
	pthread_cond_destroy(&w->gate_open);
	pthread_cond_destroy(&w->gate_free);
	free(w->batch);
	free(w->rcs);
	free(w);
}

struct store_writer *store_writer_start(const char *path, char *err, size_t errlen)
{
	return store_writer_start_batch(path, WRITER_BATCH, err, errlen);
}

struct store_writer *store_writer_start_batch(const char *path, size_t max_batch, char *err,
					      size_t errlen)
{
	struct store_writer *w = calloc(1, sizeof *w);

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (max_batch < 1 || max_batch > WRITER_BATCH_MAX) {
		snprintf(err, errlen, "writer batch size %zu is not in 1..%d", max_batch,
			 WRITER_BATCH_MAX);
		free(w);
		return NULL;
	}
	w->max_batch = max_batch;
	w->ck_next = CKPT_PAGES;
	pthread_mutex_init(&w->ck_lock, NULL);
	pthread_mutex_init(&w->fail_lock, NULL);
	pthread_cond_init(&w->ck_wake, NULL);
	pthread_cond_init(&w->gate_open, NULL);
	pthread_cond_init(&w->gate_free, NULL);
	w->batch = calloc(max_batch, sizeof *w->batch);
	w->rcs = calloc(max_batch, sizeof *w->rcs);
	if (!w->batch || !w->rcs) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(w->st = store_open(path, err, errlen)) || !(w->ck_st = store_open(path, err, errlen)))
		goto fail;
	sqlite3_wal_hook(w->st->db, wal_hook, w);   /* replaces the automatic checkpoint */
	/* a page cache that holds the session indexes' leaves of ~1,000 open sessions */
	if (store_exec(w->st, "PRAGMA cache_size = -" WRITER_CACHE_KIB)) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(w->st->db));
		goto fail;
	}
	if (store_log_sessions_keep(w->st)) {       /* store/log_session.c */
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(w->q = cm_queue_create(WRITER_QUEUE))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pthread_create(&w->ck_thread, NULL, checkpointer_main, w)) {
		snprintf(err, errlen, "cannot start the checkpointer thread");
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		snprintf(err, errlen, "cannot start the log writer thread");
		stop_checkpointer(w);
		goto fail;
	}
	return w;
fail:
	free_writer(w);
	return NULL;
}

void store_writer_set_redact(struct store_writer *w, unsigned what)
{
	atomic_store(&w->redact, what);
}

int store_writer_submit(struct store_writer *w, struct store_turn *turn)
{
	return cm_queue_push(w->q, turn) ? -1 : 0;
}

void store_writer_stop(struct store_writer *w)
{
	if (!w)
		return;
	cm_queue_close(w->q);
	atomic_store(&w->stopping, 1);   /* after the close: see writer_main */
	pthread_join(w->thread, NULL);
	stop_checkpointer(w);   /* after the writer: one last checkpoint of its commits */
	free_writer(w);
}

int store_writer_failing(struct store_writer *w, char *why, size_t whylen)
{
	int failing;

	pthread_mutex_lock(&w->fail_lock);
	failing = w->failing;
	if (failing && why && whylen)
		snprintf(why, whylen, "%s", w->fail_why);
	pthread_mutex_unlock(&w->fail_lock);
	return failing;
}

void store_writer_get_stats(struct store_writer *w, struct store_writer_stats *out)
{
	out->turns = atomic_load(&w->turns);
	out->batches = atomic_load(&w->batches);
	out->failed = atomic_load(&w->failed);
	out->retried_batches = atomic_load(&w->retried);
	out->checkpoints = atomic_load(&w->checkpoints);
	out->index_passes = atomic_load(&w->index_passes);
	out->index_cpu_ns = atomic_load(&w->index_cpu_ns);
	out->index_max_us = atomic_load(&w->index_max_us);
	out->ckpt_own = atomic_load(&w->ckpt_own);
	out->ckpt_own_max_us = atomic_load(&w->ckpt_own_max_us);
	out->ckpt_hard = atomic_load(&w->ckpt_hard);
	out->ckpt_stop_us = atomic_load(&w->ckpt_stop_us);
	out->wal_restarts = atomic_load(&w->restarts);
	out->unindexed = atomic_load(&w->unindexed);
	out->queued = cm_queue_depth(w->q);
}
