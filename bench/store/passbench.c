/* bench/store/passbench.c — what a log index pass (store/log_index.c) costs a message,
 * its report rollups counted in C (store/log_rollup.c, what kefud runs) beside the
 * grouped SQL statements they replaced, on a store that served traffic.
 *
 * Each round opens STORE.db (work on a copy: the rounds roll back, but the file is
 * opened read-write), and inside one transaction lowers the watermark by MESSAGES
 * (default 8192), runs passes of PASS messages (default 4096, the writer's size under
 * load) until it is back at the top, and rolls back: the same messages are indexed in
 * every round, into the index and rollups they already hold (as a pass adds to a
 * served store's).  The two ways alternate round by round, so the machine's load
 * moves both alike; prints the median and every round's thread CPU time per message.
 *
 * Usage: passbench STORE.db [ROUNDS] [MESSAGES] [PASS]
 * Main thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store_int.h"   /* st->db: each round's transaction, rolled back */

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One round: CPU us per message of passes over the last `messages` messages, or < 0. */
static double round_us(struct store *st, sqlite3 *db, int64_t messages, int64_t pass)
{
	char sql[200];
	int64_t left = 0;
	double t0;
	int rc = 0;

	snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; UPDATE log_index SET last_id ="
		 " (SELECT max(id) FROM messages) - %lld", (long long)messages);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "passbench: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	t0 = thread_cpu_us();
	do
		rc = store_log_index(st, pass, &left);
	while (rc == 0 && left > 0);
	double us = thread_cpu_us() - t0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (rc) {
		fprintf(stderr, "passbench: %s\n", store_errmsg(st));
		return -1;
	}
	return us / (double)messages;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: passbench STORE.db [ROUNDS] [MESSAGES] [PASS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	int64_t messages = argc > 3 ? atoll(argv[3]) : 8192;
	int64_t pass = argc > 4 ? atoll(argv[4]) : 4096;
	char err[256];
	struct store *st = store_open(argv[1], err, sizeof err);

	if (!st) {
		fprintf(stderr, "passbench: %s\n", err);
		return 1;
	}
	if (rounds < 1 || rounds > 99 || messages < 1 || pass < 1) {
		fprintf(stderr, "passbench: ROUNDS 1..99, MESSAGES and PASS >= 1\n");
		return 2;
	}
	if (store_log_index_all(st)) {   /* what the store left unindexed, before the rounds */
		fprintf(stderr, "passbench: %s\n", store_errmsg(st));
		return 1;
	}
	sqlite3 *db = st->db;
	double got[2][99];
	static const char *const way[2] = { "rollups in C (log_rollup.c)", "rollups by SQL statements" };

	round_us(st, db, messages, pass);   /* warms the page cache */
	for (int r = 0; r < rounds; r++)
		for (int w = 0; w < 2; w++) {
			store_log_index_use_sql(st, w);
			if ((got[w][r] = round_us(st, db, messages, pass)) < 0)
				return 1;
		}
	double load[1] = { 0 };
	getloadavg(load, 1);
	printf("log index passes of %lld over the last %lld messages, CPU per message,"
	       " median of %d rounds (alternating); load average %.1f\n",
	       (long long)pass, (long long)messages, rounds, load[0]);
	for (int w = 0; w < 2; w++) {
		double sorted[99];
		for (int r = 0; r < rounds; r++)
			sorted[r] = got[w][r];
		qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
		printf("  %-30s %6.2f us  (", way[w], sorted[rounds / 2]);
		for (int r = 0; r < rounds; r++)
			printf("%s%.2f", r ? " " : "", got[w][r]);
		printf(")\n");
	}
	store_close(st);
	return 0;
}
