/* bench/reports/reportsbench.c — the Reports page's queries (store/reports.c) on a big
 * log: fills a fresh store with about 1 million messages over 90 days, written row by
 * row through the same triggers as kefud's writer, then brings the FTS index and the
 * rollups up to date with log index passes of STORE_LOG_INDEX_PASS messages
 * (store/log_index.c, as kefud's writer does between batches) and prints their CPU per
 * message, then times each report query for the last 7, 30 and 90 days, unfiltered and by
 * language and channel, and prints the median of RUNS runs beside the 200 ms target:
 * wall time (what the target is about) and this thread's CPU time (the same without
 * the waits of a loaded machine).
 *
 * The mix (a fixed seed, so every run fills the same log): 100 000 conversations, more
 * by day than by night; 70 % English, 30 % Chinese; 75 % widget, 15 % voice, 10 % api;
 * 1-9 turns each (customer message + bot reply); 12 % of replies fallbacks; latency
 * log-normal around 8 ms; 77 answers with a Zipf-like popularity; thumbs on 15 % of
 * replies (70 % up); 20 % of conversations ask for a person, 85 % of those are taken
 * (after 10 s to 15 min) and get 1-4 operator messages; 20 % rate the chat.
 *
 * Usage: reportsbench [DIR] [MESSAGES]   (DIR default ".", on a disk, not tmpfs)
 */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define RUNS 7
#define DAYS 90
#define TARGET_MS 200.0
#define DAY_MS 86400000LL

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static void must(int rc, sqlite3 *db, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "reportsbench: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static int64_t step_insert(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	must(sqlite3_step(s), db, what);
	sqlite3_reset(s);
	return sqlite3_last_insert_rowid(db);
}

/* A session start time: a day of the period, an hour weighted towards the daytime. */
static int64_t start_time(int64_t t0)
{
	static const double w[24] = { 1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7,
				      6, 6, 7, 7, 6, 5, 4, 4, 3, 3, 2, 1.5 };
	double sum = 0, x;
	int h;

	for (h = 0; h < 24; h++)
		sum += w[h];
	x = uniform() * sum;
	for (h = 0; h < 23 && x > w[h]; h++)
		x -= w[h];
	return t0 + (int64_t)(uniform() * DAYS) * DAY_MS + h * 3600000LL +
	       (int64_t)(uniform() * 3600000);
}

static int64_t fill(const char *path, int64_t want, int64_t t0)
{
	sqlite3 *db;
	sqlite3_stmt *ses, *msg, *fb, *rat, *ho, *st_op;
	int64_t n = 0, nses = 0;
	char tok[40];

	must(sqlite3_open(path, &db), db, "open");
	must(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;"
			  " PRAGMA foreign_keys = ON; BEGIN", NULL, NULL, NULL), db, "begin");
	must(sqlite3_prepare_v2(db, "INSERT INTO sessions (token, channel, created_ms, last_ms)"
				" VALUES (?1, ?2, ?3, ?3)", -1, &ses, NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "INSERT INTO messages (session_id, kind, client_id, text,"
				" answer_id, confidence, latency_us, meta, reply_to, created_ms)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1, &msg,
				NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "INSERT INTO feedback (session_id, message_id, value,"
				" created_ms) VALUES (?1, ?2, ?3, ?4)", -1, &fb, NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "INSERT INTO ratings (session_id, stars, created_ms)"
				" VALUES (?1, ?2, ?3)", -1, &rat, NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "INSERT INTO handoffs (session_id, requested_ms, taken_ms,"
				" closed_ms) VALUES (?1, ?2, ?3, ?4)", -1, &ho, NULL), db, "prepare");
	must(sqlite3_prepare_v2(db, "UPDATE sessions SET state = ?2, last_ms = ?3 WHERE id = ?1",
				-1, &st_op, NULL), db, "prepare");
	while (n < want) {
		double c = uniform();
		const char *channel = c < 0.75 ? "ws" : c < 0.90 ? "voice" : "api";
		const char *lang = uniform() < 0.7 ? "en" : "zh";
		int64_t t = start_time(t0), sid;
		int turns = 1 + (int)(uniform() * 9);

		snprintf(tok, sizeof tok, "%032llx", (unsigned long long)++nses);
		sqlite3_bind_text(ses, 1, tok, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ses, 2, channel, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ses, 3, t);
		sid = step_insert(db, ses, "session");
		for (int i = 0; i < turns; i++) {
			char cid[16], meta[64];
			int fallback = uniform() < 0.12;
			int answer = fallback ? 0 : 1 + (int)(77 * pow(uniform(), 2.5));
			int lat = (int)(8000 * exp(0.6 * normal()));
			int64_t q, r;

			snprintf(cid, sizeof cid, "m%d", i);
			sqlite3_bind_int64(msg, 1, sid);
			sqlite3_bind_int(msg, 2, 0);
			sqlite3_bind_text(msg, 3, cid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(msg, 4, "where is my card, it has not arrived yet", -1,
					  SQLITE_STATIC);
			for (int k = 5; k <= 9; k++)
				sqlite3_bind_null(msg, k);
			sqlite3_bind_int64(msg, 10, t);
			q = step_insert(db, msg, "customer message");
			t += 1 + lat / 1000;
			snprintf(meta, sizeof meta, "{\"lang\":\"%s\",\"fallback\":%s}", lang,
				 fallback ? "true" : "false");
			sqlite3_bind_int(msg, 2, 1);
			sqlite3_bind_null(msg, 3);
			sqlite3_bind_text(msg, 4, "Your card arrives within 5 working days; track it "
					  "in the app under Cards.", -1, SQLITE_STATIC);
			sqlite3_bind_int(msg, 5, answer);
			sqlite3_bind_double(msg, 6, fallback ? 0.2 : 0.9);
			sqlite3_bind_int(msg, 7, lat);
			sqlite3_bind_text(msg, 8, meta, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(msg, 9, q);
			sqlite3_bind_int64(msg, 10, t);
			r = step_insert(db, msg, "bot reply");
			n += 2;
			if (uniform() < 0.15) {
				sqlite3_bind_int64(fb, 1, sid);
				sqlite3_bind_int64(fb, 2, r);
				sqlite3_bind_int(fb, 3, uniform() < 0.7 ? 1 : -1);
				sqlite3_bind_int64(fb, 4, t + 5000);
				step_insert(db, fb, "feedback");
			}
			t += 20000 + (int64_t)(uniform() * 60000);
		}
		if (uniform() < 0.2) {
			int taken = uniform() < 0.85;
			int64_t wait = 10000 + (int64_t)(uniform() * 890000);
			sqlite3_bind_int64(ho, 1, sid);
			sqlite3_bind_int64(ho, 2, t);
			if (taken) {
				sqlite3_bind_int64(ho, 3, t + wait);
				sqlite3_bind_int64(ho, 4, t + wait + 300000);
			} else {
				sqlite3_bind_null(ho, 3);
				sqlite3_bind_null(ho, 4);
			}
			step_insert(db, ho, "hand-off");
			if (taken) {
				int ops = 1 + (int)(uniform() * 4);
				t += wait;
				sqlite3_bind_int64(st_op, 1, sid);
				sqlite3_bind_text(st_op, 2, "operator", -1, SQLITE_STATIC);
				sqlite3_bind_int64(st_op, 3, t);
				step_insert(db, st_op, "state");
				for (int i = 0; i < ops; i++) {
					sqlite3_bind_int64(msg, 1, sid);
					sqlite3_bind_int(msg, 2, 2);
					sqlite3_bind_null(msg, 3);
					sqlite3_bind_text(msg, 4, "Hello, I am looking into it now.", -1,
							  SQLITE_STATIC);
					for (int k = 5; k <= 9; k++)
						sqlite3_bind_null(msg, k);
					sqlite3_bind_text(msg, 8, "{\"operator_id\":1,\"name\":\"Ann\"}",
							  -1, SQLITE_STATIC);
					sqlite3_bind_int64(msg, 10, t + i * 30000);
					step_insert(db, msg, "operator message");
					n++;
				}
			}
		}
		if (uniform() < 0.2) {
			sqlite3_bind_int64(rat, 1, sid);
			sqlite3_bind_int(rat, 2, 1 + (int)(uniform() * 5));
			sqlite3_bind_int64(rat, 3, t + 60000);
			step_insert(db, rat, "rating");
		}
		if (nses % 5000 == 0) {
			must(sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL), db, "commit");
			fprintf(stderr, "\rfilling: %lld messages", (long long)n);
		}
	}
	must(sqlite3_exec(db, "COMMIT; ANALYZE", NULL, NULL, NULL), db, "commit");
	fprintf(stderr, "\rfilling: %lld messages, %lld conversations\n", (long long)n,
		(long long)nses);
	sqlite3_finalize(ses);
	sqlite3_finalize(msg);
	sqlite3_finalize(fb);
	sqlite3_finalize(rat);
	sqlite3_finalize(ho);
	sqlite3_finalize(st_op);
	sqlite3_close(db);
	return n;
}

/* The 1-minute load average (the machine may be shared), or -1. */
static double load_avg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

typedef int (*report_fn)(struct store *, const struct store_report_query *, char **);

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	int64_t want = argc > 2 ? atoll(argv[2]) : 1000000;
	static const struct { const char *name; report_fn fn; } reports[] = {
		{ "summary", store_report_summary_json },
		{ "daily", store_report_daily_json },
		{ "hours", store_report_hours_json },
		{ "answers", store_report_answers_json },
		{ "clusters", store_report_clusters_json },
	};
	static const struct { const char *name, *lang, *channel; } filters[] = {
		{ "all", NULL, NULL }, { "lang=zh", "zh", NULL }, { "channel=voice", NULL, "voice" },
	};
	static const int periods[] = { 7, 30, 90 };
	char path[512], err[256];
	struct store *st;
	int64_t t0, end;
	double t, worst = 0;
	int over = 0;

	snprintf(path, sizeof path, "%s/reportsbench.db", dir);
	for (const char *suf = ""; suf; suf = !*suf ? "-wal" : !strcmp(suf, "-wal") ? "-shm" : NULL) {
		char p[600];
		snprintf(p, sizeof p, "%s%s", path, suf);
		unlink(p);
	}
	if (!(st = store_open(path, err, sizeof err))) {
		fprintf(stderr, "reportsbench: %s\n", err);
		return 1;
	}
	store_close(st);
	end = (int64_t)time(NULL) / 86400 * DAY_MS;
	t0 = end - DAYS * DAY_MS;
	t = now_ms();
	want = fill(path, want, t0);
	printf("filled %lld messages over %d days in %.1f s (%.1f us a message)\n",
	       (long long)want, DAYS, (now_ms() - t) / 1e3, (now_ms() - t) * 1e3 / (double)want);
	if (!(st = store_open(path, err, sizeof err))) {
		fprintf(stderr, "reportsbench: %s\n", err);
		return 1;
	}
	{
		double c = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		int passes = 0;
		int64_t left;
		t = now_ms();
		do {
			if (store_log_index(st, STORE_LOG_INDEX_PASS, &left)) {
				fprintf(stderr, "reportsbench: %s\n", store_errmsg(st));
				return 1;
			}
			passes++;
		} while (left > 0);
		printf("log index: %d passes in %.1f s, %.2f us CPU a message (FTS5 trigram"
		       " index of customer and operator words, report rollups)\n", passes,
		       (now_ms() - t) / 1e3,
		       (clock_ms(CLOCK_THREAD_CPUTIME_ID) - c) * 1e3 / (double)want);
	}
	printf("%-9s %-6s %-14s %10s %10s   target\n", "report", "period", "filter", "wall", "cpu");
	for (size_t r = 0; r < sizeof reports / sizeof *reports; r++)
		for (size_t p = 0; p < sizeof periods / sizeof *periods; p++)
			for (size_t f = 0; f < sizeof filters / sizeof *filters; f++) {
				struct store_report_query q = {
					.from_ms = end - periods[p] * DAY_MS, .to_ms = end,
					.lang = filters[f].lang, .channel = filters[f].channel,
					.tz_min = 60, .limit = 10,
				};
				double ms[RUNS], cpu[RUNS];
				for (int i = 0; i < RUNS; i++) {
					char *out = NULL;
					double a = now_ms(), c = clock_ms(CLOCK_THREAD_CPUTIME_ID);
					if (reports[r].fn(st, &q, &out)) {
						fprintf(stderr, "reportsbench: %s: %s\n", reports[r].name,
							store_errmsg(st));
						return 1;
					}
					ms[i] = now_ms() - a;
					cpu[i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c;
					free(out);
				}
				qsort(ms, RUNS, sizeof *ms, cmp_double);
				qsort(cpu, RUNS, sizeof *cpu, cmp_double);
				if (ms[RUNS / 2] > worst)
					worst = ms[RUNS / 2];
				over += ms[RUNS / 2] > TARGET_MS;
				printf("%-9s %3dd    %-14s %7.1f ms %7.1f ms   %.0f ms%s\n",
				       reports[r].name, periods[p], filters[f].name, ms[RUNS / 2],
				       cpu[RUNS / 2], TARGET_MS,
				       ms[RUNS / 2] > TARGET_MS ? "  OVER" : "");
			}
	printf("slowest median %.1f ms wall (target %.0f ms): %s; load average %.1f\n", worst,
	       TARGET_MS, over ? "OVER TARGET" : "all within target", load_avg());
	store_close(st);
	return 0;
}
