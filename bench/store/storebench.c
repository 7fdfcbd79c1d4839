/* bench/store/storebench.c — throughput and latency of the session-log writer.
 *
 * For several batch limits (1, 16, 256 turns per transaction) it runs two loads on a
 * fresh database in DIR (default: the current directory; use a disk, not tmpfs):
 *   flood       one thread submits TURNS turns as fast as the queue takes them, to the
 *               customers in turn;
 *   closed loop CUSTOMERS "customers" (100 unless given), each a session with one turn
 *               in flight: the next turn of a customer is submitted from the done() of
 *               its previous one (like a chat client waiting for its reply).  With 1,000
 *               the session indexes' leaves outgrow SQLite's default page cache, as they
 *               do in kefud at 1,000 sessions.
 * Each turn is a customer message (~40 bytes) plus a bot reply (~300 bytes, meta ~80)
 * and a session touch: two rows and an update.  Prints turns/s, process CPU time per
 * turn (all threads, including the load generator), mean turns per transaction, and
 * submit -> done latency percentiles, beside the SQLite figures of
 * ARCHITECTURE.md (same kind of machine): 32k single-row commits/s at
 * synchronous=NORMAL, 82k rows/s at 100 rows per transaction.
 *
 * Open loop (--rate): one thread submits RATE turns a second for SECONDS to CUSTOMERS
 * customers (1,000 unless given) picked at random, each turn at its due time in the
 * fixed schedule, and the latency counts from that due time (a late submit does not
 * hide the delay): the writer's part of kefud's 20,000/s tail.  Prints the latency
 * percentiles and the writer's stops for WAL restarts (count, longest).
 *
 * Usage: storebench [TURNS] [DIR] [CUSTOMERS]
 *        storebench --rate RATE [SECONDS] [DIR] [CUSTOMERS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"

#define CUSTOMERS 100          /* the default */
#define PRODUCERS 1

static const char reply_text[] =
	"If your card has been lost or stolen, freeze it straight away in the app under "
	"**Cards > Freeze**. Then order a replacement: it arrives within 5 working days. "
	"Any payments you did not make will be refunded once we have checked them; you can "
	"follow the case under *Help > My requests*. Call us at any time if you need help.";
static const char reply_meta[] =
	"{\"quick_replies\":[{\"id\":12,\"title\":\"Card delivery\"},{\"id\":40,\"title\":\"Refunds\"}]}";

struct bench {
	struct store_writer *w;
	int64_t *sids;                /* [customers] */
	int customers, total;
	atomic_int submitted, done;
	uint32_t *lat_us;             /* [total] */
	pthread_mutex_t lock;
	pthread_cond_t all_done;
	int closed_loop;
	int rate;                     /* open loop: turns a second (0: flood or closed loop) */
};

struct tag {
	struct bench *b;
	int customer;
	uint64_t t_submit;
};

static void submit(struct bench *b, int customer);

static void on_done(void *arg, int rc)
{
	struct tag *t = arg;
	struct bench *b = t->b;
	int n = atomic_fetch_add(&b->done, 1);

	if (rc != 0)
		fprintf(stderr, "turn failed: %d\n", rc);
	b->lat_us[n] = (uint32_t)(cm_now_us() - t->t_submit);
	if (b->closed_loop && atomic_load(&b->submitted) < b->total)
		submit(b, t->customer);
	free(t);
	if (n + 1 == b->total) {
		pthread_mutex_lock(&b->lock);
		pthread_cond_signal(&b->all_done);
		pthread_mutex_unlock(&b->lock);
	}
}

static void submit_due(struct bench *b, int customer, uint64_t due_us);

static void submit(struct bench *b, int customer)
{
	submit_due(b, customer, cm_now_us());
}

/* due_us: when the turn was due (latency counts from it) */
static void submit_due(struct bench *b, int customer, uint64_t due_us)
{
	int k = atomic_fetch_add(&b->submitted, 1);
	struct store_turn *t;
	struct tag *tag;
	char cid[32], text[64];

	if (k >= b->total)
		return;
	t = calloc(1, sizeof *t);
	tag = calloc(1, sizeof *tag);
	snprintf(cid, sizeof cid, "c%d", k);
	snprintf(text, sizeof text, "I think I lost my card yesterday, #%d", k);
	t->session_id = b->sids[customer];
	t->client_id = strdup(cid);
	t->customer_text = strdup(text);
	t->reply_text = strdup(reply_text);
	t->reply_kind = STORE_MSG_BOT;
	t->answer_id = 12;
	t->confidence = 0.93;
	t->latency_us = 480;
	t->reply_meta = strdup(reply_meta);
	t->done = on_done;
	t->arg = tag;
	tag->b = b;
	tag->customer = customer;
	tag->t_submit = due_us;
	if (store_writer_submit(b->w, t)) {
		store_turn_free(t);
		free(tag);
	}
}

static void *producer(void *arg)
{
	struct bench *b = arg;

	for (int c = 0; atomic_load(&b->submitted) < b->total; c = (c + 1) % b->customers)
		submit(b, c);
	return NULL;
}

/* Open loop: turn k is due at t0 + k / rate; submits every due turn, sleeps to the next. */
static void *paced_producer(void *arg)
{
	struct bench *b = arg;
	uint64_t t0 = cm_now_us();
	unsigned seed = 1;

	for (int k = 0; k < b->total; k++) {
		uint64_t due = t0 + (uint64_t)k * 1000000u / (uint64_t)b->rate, now = cm_now_us();

		if (due > now) {
			struct timespec ts = { 0, (long)(due - now) * 1000 };
			nanosleep(&ts, NULL);
		}
		submit_due(b, rand_r(&seed) % b->customers, due);
	}
	return NULL;
}

/* CPU time of the whole process (all threads), user + system, in microseconds: a
 * figure that stays meaningful when other processes compete for the cores. */
static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int run(const char *dir, int total, int customers, size_t max_batch, int closed_loop,
	       int rate)
{
	char path[512], err[256], label[32];
	struct bench b = { .total = total, .customers = customers, .closed_loop = closed_loop,
			   .rate = rate };
	struct store_writer_stats ws;

	snprintf(path, sizeof path, "%s/storebench-%d.db", dir, (int)getpid());
	struct store *st = store_open(path, err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	b.sids = calloc((size_t)customers, sizeof *b.sids);
	b.lat_us = calloc((size_t)total, sizeof *b.lat_us);
	if (!b.sids || !b.lat_us) {
		fprintf(stderr, "out of memory\n");
		return -1;
	}
	for (int c = 0; c < customers; c++)
		store_session_create(st, "bench", &b.sids[c], NULL);
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.all_done, NULL);
	if (!(b.w = store_writer_start_batch(path, max_batch, err, sizeof err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}

	uint64_t t0 = cm_now_us(), cpu0 = cpu_us();
	if (closed_loop) {
		for (int c = 0; c < customers; c++)
			submit(&b, c);
	} else if (rate) {
		pthread_t th;
		pthread_create(&th, NULL, paced_producer, &b);
		pthread_join(th, NULL);
	} else {
		pthread_t th[PRODUCERS];
		for (int i = 0; i < PRODUCERS; i++)
			pthread_create(&th[i], NULL, producer, &b);
		for (int i = 0; i < PRODUCERS; i++)
			pthread_join(th[i], NULL);
	}
	pthread_mutex_lock(&b.lock);
	while (atomic_load(&b.done) < total)
		pthread_cond_wait(&b.all_done, &b.lock);
	pthread_mutex_unlock(&b.lock);
	double secs = (double)(cm_now_us() - t0) / 1e6;
	double cpu_per_turn = (double)(cpu_us() - cpu0) / total;
	store_writer_get_stats(b.w, &ws);
	store_writer_stop(b.w);

	qsort(b.lat_us, (size_t)total, sizeof *b.lat_us, cmp_u32);
	snprintf(label, sizeof label, rate ? "open(%d/s)" : "closed(%d)", rate ? rate : customers);
	printf("%-12s batch<=%-4zu %8.0f turns/s  %5.1f us CPU/turn  %6.1f turns/txn  "
	       "latency p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n",
	       closed_loop || rate ? label : "flood", max_batch, total / secs, cpu_per_turn,
	       (double)ws.turns / (double)ws.batches, b.lat_us[total / 2] / 1000.0,
	       b.lat_us[(size_t)total * 99 / 100] / 1000.0, b.lat_us[total - 1] / 1000.0);
	if (rate)
		printf("  p99.9 %.2f ms; the writer's stops for WAL checkpoints: %llu, the longest "
		       "%.2f ms; WAL checkpoints %llu\n",
		       b.lat_us[(size_t)total * 999 / 1000] / 1000.0,
		       (unsigned long long)ws.ckpt_own, ws.ckpt_own_max_us / 1000.0,
		       (unsigned long long)ws.checkpoints);
	fflush(stdout);
	free(b.lat_us);
	free(b.sids);
	store_close(st);
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--rate")) {
		int rate = atoi(argv[2]), secs = argc > 3 ? atoi(argv[3]) : 10;
		int customers = argc > 5 ? atoi(argv[5]) : 1000;

		if (rate < 1 || secs < 1 || customers < 1) {
			fprintf(stderr, "usage: storebench --rate RATE [SECONDS] [DIR] [CUSTOMERS]\n");
			return 2;
		}
		printf("session-log writer, open loop: %d turns/s for %d s to %d customers\n", rate,
		       secs, customers);
		return run(argc > 4 ? argv[4] : ".", rate * secs, customers, 256, 0, rate) ? 1 : 0;
	}
	int total = argc > 1 ? atoi(argv[1]) : 50000;
	const char *dir = argc > 2 ? argv[2] : ".";
	int customers = argc > 3 ? atoi(argv[3]) : CUSTOMERS;
	size_t batches[] = { 1, 16, 256 };

	if (total < 1000 || customers < 1 || customers > total) {
		fprintf(stderr, "usage: storebench [TURNS >= 1000] [DIR] [CUSTOMERS: 1..TURNS]\n");
		return 2;
	}
	printf("session-log writer, %d turns per run (2 rows + 1 update per turn) to %d customers, "
	       "WAL, synchronous=NORMAL\n", total, customers);
	printf("reference (ARCHITECTURE.md): 32k single-row commits/s, 82k rows/s at 100 rows/txn\n");
	for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
		if (run(dir, total, customers, batches[i], 0, 0) ||
		    run(dir, total, customers, batches[i], 1, 0))
			return 1;
	}
	return 0;
}
