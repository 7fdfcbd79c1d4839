/* store/test_writer.c — the session-log writer: 10,000 turns from 4 threads are all
 * committed, each done() is called exactly once and only after its turn is visible to
 * another connection (checked from inside done()); a bad turn (unknown session) fails
 * alone inside a batch; a resent client id is reported as STORE_DUPLICATE; stopping
 * drains the queue; the WAL stays bounded (checkpoints) under sustained writes;
 * store_writer_failing reports a commit that failed for the storage (the file locked
 * by another connection) until the next commit, and not a turn's own bad data. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "store.h"
#include "store_int.h"
#include "test_util.h"

#define THREADS 4
#define PER_THREAD 2500
#define TOTAL (THREADS * PER_THREAD)

static atomic_int done_calls[TOTAL + 100];
static int done_rc[TOTAL + 100];
static int64_t sids[THREADS];
static struct store *checker;   /* used only inside done(), i.e. on the writer thread */
static atomic_int not_visible;

struct tag {
	int idx;
	int64_t sid;
	char cid[32];
	int check;
};
static struct tag tags[TOTAL + 100];

static void on_done(void *arg, int rc)
{
	struct tag *t = arg;
	struct store_message m;

	atomic_fetch_add(&done_calls[t->idx], 1);
	done_rc[t->idx] = rc;
	if (rc == 0 && t->check) {
		/* committed means another connection already sees the reply */
		if (store_turn_find(checker, t->sid, t->cid, &m) != 0)
			atomic_fetch_add(&not_visible, 1);
		store_message_clear(&m);
	}
}

static struct store_turn *make_turn(int idx, int64_t sid, const char *cid, int check)
{
	struct store_turn *t = calloc(1, sizeof *t);
	char text[64];

	tags[idx].idx = idx;
	tags[idx].sid = sid;
	tags[idx].check = check;
	snprintf(tags[idx].cid, sizeof tags[idx].cid, "%s", cid);
	t->session_id = sid;
	t->client_id = strdup(cid);
	snprintf(text, sizeof text, "question %d", idx);
	t->customer_text = strdup(text);
	snprintf(text, sizeof text, "answer %d", idx);
	t->reply_text = strdup(text);
	t->reply_kind = STORE_MSG_BOT;
	t->answer_id = idx % 77 + 1;
	t->confidence = 0.5;
	t->latency_us = idx;
	t->reply_meta = strdup("{}");
	t->done = on_done;
	t->arg = &tags[idx];
	return t;
}

static void count_done(void *arg, int rc)
{
	CHECK(rc == 0);
	atomic_fetch_add((atomic_int *)arg, 1);
}

static atomic_int *health_done;

static void on_health_done(void *arg, int rc)
{
	*(int *)arg = rc;
	atomic_fetch_add(health_done, 1);
}

struct producer {
	struct store_writer *w;
	int k;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		int idx = p->k * PER_THREAD + i;
		char cid[32];
		snprintf(cid, sizeof cid, "m%d", i);
		struct store_turn *t = make_turn(idx, sids[p->k], cid, 1);
		if (store_writer_submit(p->w, t)) {
			store_turn_free(t);
			CHECK(0);
		}
	}
	return NULL;
}

int main(void)
{
	char err[256];
	const char *path = tu_path("w.db");
	struct store *st = store_open(path, err, sizeof err);
	struct store_writer *w;
	struct store_writer_stats ws;
	struct store_stats s;
	pthread_t th[THREADS];
	struct producer prod[THREADS];

	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (int k = 0; k < THREADS; k++)
		CHECK_RC(st, store_session_create(st, "test", &sids[k], NULL), 0);
	checker = store_open(path, err, sizeof err);
	w = store_writer_start(path, err, sizeof err);
	CHECK(w != NULL && checker != NULL);
	if (!w || !checker)
		return tu_finish("test_writer");

	for (int k = 0; k < THREADS; k++) {
		prod[k].w = w;
		prod[k].k = k;
		pthread_create(&th[k], NULL, produce, &prod[k]);
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);

	/* bad turns among good ones: an unknown session, and a resend of a logged id */
	int base = TOTAL;
	for (int i = 0; i < 30; i++) {
		char cid[32];
		int bad = i == 10;
		int dup = i == 20;
		snprintf(cid, sizeof cid, dup ? "m0" : "extra%d", i);
		struct store_turn *t = make_turn(base + i, bad ? 987654 : sids[0], cid, !bad && !dup);
		CHECK(store_writer_submit(w, t) == 0);
	}
	store_writer_get_stats(w, &ws);
	store_writer_stop(w);   /* drains */

	int wrong = 0;
	for (int i = 0; i < TOTAL + 30; i++) {
		if (done_calls[i] != 1)
			wrong++;
		int want = i == base + 10 ? -1 : i == base + 20 ? STORE_DUPLICATE : 0;
		if (want == -1 ? done_rc[i] >= 0 : done_rc[i] != want) {
			fprintf(stderr, "turn %d: rc %d\n", i, done_rc[i]);
			wrong++;
		}
	}
	CHECK(wrong == 0);
	CHECK(not_visible == 0);

	CHECK_RC(st, store_stats(st, &s), 0);
	CHECK(s.customer_messages == TOTAL + 28 && s.bot_replies == TOTAL + 28);
	/* every turn of one thread came through, reply linked to its question */
	for (int i = 0; i < PER_THREAD; i += 97) {
		char cid[32], want[32];
		struct store_message m;
		snprintf(cid, sizeof cid, "m%d", i);
		CHECK_RC(st, store_turn_find(st, sids[3], cid, &m), 0);
		snprintf(want, sizeof want, "answer %d", 3 * PER_THREAD + i);
		CHECK(m.text && !strcmp(m.text, want));
		store_message_clear(&m);
	}
	printf("writer: %d turns; when the producers finished: %llu turns written in %llu "
	       "batches, %zu queued, %llu retried batches\n", TOTAL + 30,
	       (unsigned long long)ws.turns, (unsigned long long)ws.batches, ws.queued,
	       (unsigned long long)ws.retried_batches);

	/* start, submit, stop at once: everything queued is still written */
	memset(done_calls, 0, sizeof done_calls);
	w = store_writer_start(path, err, sizeof err);
	for (int i = 0; i < 500; i++) {
		char cid[32];
		snprintf(cid, sizeof cid, "drain%d", i);
		CHECK(store_writer_submit(w, make_turn(i, sids[1], cid, 0)) == 0);
	}
	store_writer_stop(w);
	wrong = 0;
	for (int i = 0; i < 500; i++)
		wrong += done_calls[i] != 1 || done_rc[i] != 0;
	CHECK(wrong == 0);
	CHECK_RC(st, store_stats(st, &s), 0);
	CHECK(s.customer_messages == TOTAL + 28 + 500);

	/* the WAL stays bounded under sustained load: 40,000 turns with 3 KB replies (120 MB)
	 * must pass through checkpoints and WAL restarts instead of piling up in the WAL */
	{
		static atomic_int big_done;
		char *big = malloc(3001), wal[200];
		struct stat sb;
		memset(big, 'x', 3000);
		big[3000] = '\0';
		atomic_store(&big_done, 0);
		w = store_writer_start(path, err, sizeof err);
		for (int i = 0; i < 40000; i++) {
			struct store_turn *t = calloc(1, sizeof *t);
			t->session_id = sids[2];
			t->reply_text = strdup(big);
			t->reply_kind = STORE_MSG_BOT;
			t->done = count_done;
			t->arg = &big_done;
			CHECK(store_writer_submit(w, t) == 0);
		}
		while (atomic_load(&big_done) < 40000)
			usleep(1000);
		store_writer_get_stats(w, &ws);
		snprintf(wal, sizeof wal, "%s-wal", path);
		CHECK(stat(wal, &sb) == 0);   /* checker and st keep the WAL file open */
		printf("WAL after 120 MB of turns: %.1f MB, %llu checkpoints, %llu restarts, "
		       "%llu stops (the longest %.1f ms), %llu at the bound\n",
		       (double)sb.st_size / 1e6, (unsigned long long)ws.checkpoints,
		       (unsigned long long)ws.wal_restarts, (unsigned long long)ws.ckpt_own,
		       ws.ckpt_own_max_us / 1e3, (unsigned long long)ws.ckpt_hard);
		/* the checkpointer restarts the WAL past 16,000 pages (64 MB); past 24,000
		 * (98.3 MB) the writer waits for it after its transaction in flight */
		CHECK(sb.st_size < 105 * 1000 * 1000);
		CHECK(ws.checkpoints >= 2);
		CHECK(ws.wal_restarts >= 1);
		store_writer_stop(w);
		free(big);
	}

	/* health: a turn's own fault is not the store failing; a commit the lock of another
	 * connection keeps out is (SQLITE_BUSY after the busy timeout), until one commits */
	{
		static atomic_int n_done;
		static int rcs[3];
		char why[200] = "";
		sqlite3 *locker;
		w = store_writer_start(path, err, sizeof err);
		CHECK(w && !store_writer_failing(w, why, sizeof why));
		for (int k = 0; k < 3; k++) {
			struct store_turn *t = calloc(1, sizeof *t);
			t->session_id = k == 0 ? 987654 : sids[1];   /* 0: unknown session */
			t->reply_text = strdup("health");
			t->reply_kind = STORE_MSG_BOT;
			t->done = on_health_done;
			t->arg = &rcs[k];
			if (k == 1) {          /* another connection holds the write lock */
				CHECK(sqlite3_open(path, &locker) == SQLITE_OK);
				CHECK(sqlite3_exec(locker, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
				      SQLITE_OK);
			}
			health_done = &n_done;
			CHECK(store_writer_submit(w, t) == 0);
			while (atomic_load(&n_done) < k + 1)
				usleep(1000);
			int failing = store_writer_failing(w, why, sizeof why);
			if (k == 0)
				CHECK(rcs[0] < 0 && !failing);
			if (k == 1) {
				printf("while another connection holds the lock: rc %d, failing %d "
				       "(%s)\n", rcs[1], failing, why);
				CHECK(rcs[1] < 0 && failing && strstr(why, "locked"));
				sqlite3_exec(locker, "ROLLBACK", NULL, NULL, NULL);
				sqlite3_close(locker);
			}
			if (k == 2)
				CHECK(rcs[2] == 0 && !failing);
		}
		store_writer_stop(w);
	}

	/* a connection beside the writer can leave checkpoints to it */
	{
		sqlite3_stmt *s;
		CHECK(store_leave_checkpoints(checker) == 0);
		CHECK(sqlite3_prepare_v2(checker->db, "PRAGMA wal_autocheckpoint", -1, &s,
					 NULL) == SQLITE_OK);
		CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
		sqlite3_finalize(s);
	}

	/* a writer on an unusable path fails to start */
	CHECK(store_writer_start("/nonexistent-dir/x.db", err, sizeof err) == NULL);

	store_close(checker);
	store_close(st);
	return tu_finish("test_writer");
}
