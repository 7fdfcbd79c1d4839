/* store/reports.c — the console's Reports: what the log says about a period, by language
 * and channel (docs/console.md "Reports" defines every figure; docs/api.md the shapes).
 *
 * Conversation-level figures (conversations, containment, hand-off rate, time to an
 * operator) read sessions and handoffs through covering indexes by creation time.
 * Message-level figures (messages, fallbacks, thumbs, ratings, answer latency, top
 * answers, busiest hours) read the rollups report_hours, report_latency and
 * report_answers, which index passes keep (store/log_index.c; each report runs one
 * first, so it counts every committed message): a 90-day report reads a few thousand rollup rows instead of a million
 * messages.  So message counts have whole-hour boundaries (the period's start is
 * rounded down to its hour), latency and top answers whole UTC days, and latency
 * percentiles come from buckets of two significant digits, reported at the bucket's
 * middle (within 5 %).  Conversations are read through the covering index
 * sessions_report and the flags triggers keep on each session.
 *
 * Each function answers JSON text (malloc'd, the caller frees) built with jansson.
 * Statements are prepared per call (reports are rare next to chat turns).  Runs on the
 * thread that owns the connection (an API worker in kefud, the bench).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

#define prep(st, sql) store_prep(st, sql, "preparing a report statement")

/* The filters every statement takes: ?1 from, ?2 to (ms), ?3 lang, ?4 channel (stored
 * name), ?5 tz offset (ms), ?6 limit.  S_ is for a query over sessions s. */
#define S_FILTER "(?3 IS NULL OR s.lang = ?3) AND (?4 IS NULL OR s.channel = ?4)"
/* R_ for the hourly rollup r: the hours that start in [from rounded down to its hour,
 * to); D_ for a daily rollup: the UTC days that start in [from's day, to) */
#define R_FILTER \
	"r.hour_ms >= ?1 / 3600000 * 3600000 AND r.hour_ms < ?2" \
	" AND (?3 IS NULL OR r.lang = ?3) AND (?4 IS NULL OR r.channel = ?4)"
#define D_FILTER \
	"r.day_ms >= ?1 / 86400000 * 86400000 AND r.day_ms < ?2" \
	" AND (?3 IS NULL OR r.lang = ?3) AND (?4 IS NULL OR r.channel = ?4)"
/* A conversation of the period: a session created in it where a customer wrote
 * (sessions.report_flags, kept by triggers: 1 wrote, 2 asked for a person, 4 has a
 * thumbs-down); the covering index sessions_report answers it alone. */
#define CONV_WHERE \
	"s.created_ms >= ?1 AND s.created_ms < ?2 AND " S_FILTER " AND s.report_flags & 1"
#define HAS_HANDOFF "(s.report_flags & 2 <> 0)"
#define CONTAINED "(s.report_flags & 6 = 0)"

static sqlite3_stmt *prep_bound(struct store *st, const struct store_report_query *q,
				const char *sql)
{
	sqlite3_stmt *s = prep(st, sql);
	const char *ch = q->channel && !strcmp(q->channel, "widget") ? "ws" : q->channel;

	if (!s)
		return NULL;
	/* bind only the parameters the statement names */
	for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
		switch (i) {
		case 1: sqlite3_bind_int64(s, 1, q->from_ms); break;
		case 2: sqlite3_bind_int64(s, 2, q->to_ms); break;
		case 3: store_bind_text(s, 3, q->lang && q->lang[0] ? q->lang : NULL); break;
		case 4: store_bind_text(s, 4, ch && ch[0] ? ch : NULL); break;
		case 5: sqlite3_bind_int64(s, 5, (int64_t)q->tz_min * 60000); break;
		case 6: sqlite3_bind_int(s, 6, q->limit > 0 ? q->limit : 10); break;
		}
	}
	return s;
}

/* Walks s's rows with row(arg, s); finalizes s.  0 or < 0. */
static int walk(struct store *st, sqlite3_stmt *s, const char *what,
		int (*row)(void *arg, sqlite3_stmt *s), void *arg)
{
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_rows(st, s, what, row, arg);
	sqlite3_finalize(s);
	return rc;
}

/* A share n / d, or JSON null when d is 0 (no data is not 0 %). */
static json_t *share(int64_t n, int64_t d)
{
	return d > 0 ? json_real((double)n / (double)d) : json_null();
}

static int dump(json_t *j, char **out)
{
	*out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return *out ? 0 : -SQLITE_NOMEM;
}

/* ---- percentiles ----------------------------------------------------------------------- */

/* A latency histogram: (bucket, n) pairs in ascending bucket order. */
struct hist {
	int64_t *bucket, *n;
	size_t len, cap;
	int64_t total;
};

static int hist_add(struct hist *h, int64_t bucket, int64_t n)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		int64_t *b = realloc(h->bucket, cap * sizeof *b), *c;
		if (!b)
			return -1;
		h->bucket = b;
		if (!(c = realloc(h->n, cap * sizeof *c)))
			return -1;
		h->n = c;
		h->cap = cap;
	}
	h->bucket[h->len] = bucket;
	h->n[h->len++] = n;
	h->total += n;
	return 0;
}

static void hist_reset(struct hist *h)
{
	h->len = 0;
	h->total = 0;
}

static void hist_free(struct hist *h)
{
	free(h->bucket);
	free(h->n);
}

/* The middle of the two-significant-digit bucket b (us): 12000 stands for
 * 12000..12999, so 12500; buckets under 100 are exact. */
static double bucket_mid(int64_t b)
{
	int64_t w = 1;

	if (b < 100)
		return (double)b;
	while (b / w >= 100)
		w *= 10;
	return (double)b + (double)(w - 1) / 2.0;
}

/* The nearest-rank p-quantile (0 < p <= 1) of h in milliseconds, or JSON null. */
static json_t *hist_quantile_ms(const struct hist *h, double p)
{
	int64_t rank, seen = 0;

	if (h->total == 0)
		return json_null();
	rank = (int64_t)ceil(p * (double)h->total);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < h->len; i++) {
		seen += h->n[i];
		if (seen >= rank)
			return json_real(bucket_mid(h->bucket[i]) / 1000.0);
	}
	return json_real(bucket_mid(h->bucket[h->len - 1]) / 1000.0);
}

int64_t store_report_nearest_rank(const int64_t *sorted, size_t n, double p)
{
	int64_t rank;

	if (n == 0)
		return 0;
	rank = (int64_t)ceil(p * (double)n);
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static int hist_row(void *arg, sqlite3_stmt *s)
{
	return hist_add(arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)) ? 1 : 0;
}

/* ---- summary ----------------------------------------------------------------------------- */

struct waits {
	int64_t *v;
	size_t len, cap;
	int64_t untaken;
};

static int wait_row(void *arg, sqlite3_stmt *s)
{
	struct waits *w = arg;

	if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
		w->untaken++;
		return 0;
	}
	if (w->len == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		int64_t *v = realloc(w->v, cap * sizeof *v);
		if (!v)
			return 1;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->len++] = sqlite3_column_int64(s, 0);
	return 0;
}

/* Copies the row's columns as integers into arg (an int64_t array of column count). */
static int ints_row(void *arg, sqlite3_stmt *s)
{
	int64_t *v = arg;

	for (int i = 0; i < sqlite3_column_count(s); i++)
		v[i] = sqlite3_column_int64(s, i);
	return 0;
}

int store_report_summary_json(struct store *st, const struct store_report_query *q,
			      char **out)
{
	int64_t conv[3] = { 0 }, msg[8] = { 0 };
	struct waits w = { 0 };
	struct hist lat = { 0 };
	double sum = 0;
	json_t *j;
	int rc;

	*out = NULL;
	if ((rc = store_log_index_all(st)))
		return rc;
	rc = walk(st, prep_bound(st, q,
		"SELECT count(*), coalesce(sum(" CONTAINED "), 0),"
		" coalesce(sum(" HAS_HANDOFF "), 0) FROM sessions s WHERE " CONV_WHERE),
		"reporting conversations", ints_row, conv);
	if (!rc)
		rc = walk(st, prep_bound(st, q,
			"SELECT coalesce(sum(customer), 0), coalesce(sum(bot), 0),"
			" coalesce(sum(operator), 0), coalesce(sum(fallback), 0),"
			" coalesce(sum(up), 0), coalesce(sum(down), 0), coalesce(sum(ratings), 0),"
			" coalesce(sum(good), 0) FROM report_hours r WHERE " R_FILTER),
			"reporting messages", ints_row, msg);
	if (!rc)
		rc = walk(st, prep_bound(st, q,
			"SELECT h.taken_ms - h.requested_ms FROM handoffs h"
			" JOIN sessions s ON s.id = h.session_id"
			" WHERE h.requested_ms >= ?1 AND h.requested_ms < ?2 AND " S_FILTER
			" ORDER BY 1"), "reporting hand-offs", wait_row, &w);
	if (!rc)
		rc = walk(st, prep_bound(st, q,
			"SELECT bucket, sum(n) FROM report_latency r WHERE " D_FILTER
			" GROUP BY bucket ORDER BY bucket"), "reporting latency", hist_row, &lat);
	if (rc) {
		free(w.v);
		hist_free(&lat);
		return rc < 0 ? rc : -SQLITE_NOMEM;
	}
	for (size_t i = 0; i < w.len; i++)
		sum += (double)w.v[i];
	j = json_pack("{s:I, s:o, s:I, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:I, s:I, s:I, s:o,"
		      " s:{s:I, s:I, s:o, s:o}, s:{s:I, s:o, s:o}}",
		      "conversations", (json_int_t)conv[0],
		      "containment", share(conv[1], conv[0]),
		      "handoffs", (json_int_t)conv[2],
		      "handoff_rate", share(conv[2], conv[0]),
		      "messages", "customer", (json_int_t)msg[0], "bot", (json_int_t)msg[1],
		      "operator", (json_int_t)msg[2], "total",
		      (json_int_t)(msg[0] + msg[1] + msg[2]),
		      "fallback_rate", share(msg[3], msg[1]),
		      "thumbs_up", (json_int_t)msg[4], "thumbs_down", (json_int_t)msg[5],
		      "ratings", (json_int_t)msg[6], "csat", share(msg[7], msg[6]),
		      "time_to_operator", "taken", (json_int_t)w.len,
		      "untaken", (json_int_t)w.untaken,
		      "avg_s", w.len ? json_real(sum / (double)w.len / 1000.0) : json_null(),
		      "p90_s", w.len ? json_real((double)store_report_nearest_rank(w.v, w.len, 0.9)
						 / 1000.0) : json_null(),
		      "latency", "replies", (json_int_t)lat.total,
		      "p50_ms", hist_quantile_ms(&lat, 0.5), "p99_ms", hist_quantile_ms(&lat, 0.99));
	free(w.v);
	hist_free(&lat);
	return dump(j, out);
}

/* ---- per day ------------------------------------------------------------------------------- */

/* Days of the period in the caller's time zone: index i is day (first + i). */
struct days {
	int64_t first, n;
	json_t *arr;                /* one object per day */
	struct hist h;              /* the latency walk: the day being gathered */
	int64_t h_day;
};

static json_t *day_obj(struct days *d, int64_t day)
{
	if (day < d->first || day >= d->first + d->n)
		return NULL;
	return json_array_get(d->arr, (size_t)(day - d->first));
}

static int day_conv_row(void *arg, sqlite3_stmt *s)
{
	json_t *o = day_obj(arg, sqlite3_column_int64(s, 0));
	int64_t n = sqlite3_column_int64(s, 1);

	if (!o)
		return 0;
	json_object_set_new(o, "conversations", json_integer(n));
	json_object_set_new(o, "containment", share(sqlite3_column_int64(s, 2), n));
	json_object_set_new(o, "handoff_rate", share(sqlite3_column_int64(s, 3), n));
	return 0;
}

static int day_msg_row(void *arg, sqlite3_stmt *s)
{
	json_t *o = day_obj(arg, sqlite3_column_int64(s, 0));

	if (!o)
		return 0;
	json_object_set_new(o, "customer", json_integer(sqlite3_column_int64(s, 1)));
	json_object_set_new(o, "bot", json_integer(sqlite3_column_int64(s, 2)));
	json_object_set_new(o, "operator", json_integer(sqlite3_column_int64(s, 3)));
	json_object_set_new(o, "fallback_rate", share(sqlite3_column_int64(s, 4),
						      sqlite3_column_int64(s, 2)));
	return 0;
}

static void day_lat_flush(struct days *d)
{
	json_t *o = day_obj(d, d->h_day);

	if (o && d->h.total) {
		json_object_set_new(o, "p50_ms", hist_quantile_ms(&d->h, 0.5));
		json_object_set_new(o, "p99_ms", hist_quantile_ms(&d->h, 0.99));
	}
	hist_reset(&d->h);
}

static int day_lat_row(void *arg, sqlite3_stmt *s)
{
	struct days *d = arg;
	int64_t day = sqlite3_column_int64(s, 0);

	if (day != d->h_day) {
		day_lat_flush(d);
		d->h_day = day;
	}
	return hist_add(&d->h, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)) ? 1 : 0;
}

/* floor(a / b) for b > 0 */
static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int store_report_daily_json(struct store *st, const struct store_report_query *q, char **out)
{
	int64_t tz = (int64_t)q->tz_min * 60000, last;
	struct days d = { 0 };
	int rc = 0;

	*out = NULL;
	d.first = floordiv(q->from_ms + tz, DAY_MS);
	last = floordiv(q->to_ms - 1 + tz, DAY_MS);
	d.n = last >= d.first ? last - d.first + 1 : 0;
	if (d.n > STORE_REPORT_MAX_DAYS)
		return store_invalid(st, "a report covers at most %d days", STORE_REPORT_MAX_DAYS);
	if ((rc = store_log_index_all(st)))
		return rc;
	if (!(d.arr = json_array()))
		return -SQLITE_NOMEM;
	for (int64_t i = 0; i < d.n; i++) {
		char date[16];
		time_t t = (time_t)((d.first + i) * 86400);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
		json_array_append_new(d.arr, json_pack("{s:s, s:I, s:i, s:n, s:n, s:i, s:i, s:i,"
						       " s:n, s:n, s:n}", "day", date, "day_ms",
						       (json_int_t)((d.first + i) * DAY_MS - tz),
						       "conversations", 0, "containment",
						       "handoff_rate", "customer", 0, "bot", 0,
						       "operator", 0, "fallback_rate", "p50_ms",
						       "p99_ms"));
	}
	rc = walk(st, prep_bound(st, q,
		"SELECT (s.created_ms + ?5) / 86400000 AS d, count(*),"
		" sum(" CONTAINED "), sum(" HAS_HANDOFF ")"
		" FROM sessions s WHERE " CONV_WHERE " GROUP BY d"),
		"reporting conversations per day", day_conv_row, &d);
	if (!rc)
		rc = walk(st, prep_bound(st, q,
			"SELECT (r.hour_ms + ?5) / 86400000 AS d, sum(customer), sum(bot),"
			" sum(operator), sum(fallback) FROM report_hours r WHERE " R_FILTER
			" GROUP BY d"), "reporting messages per day", day_msg_row, &d);
	if (!rc) {
		d.h_day = INT64_MIN;
		rc = walk(st, prep_bound(st, q,
			"SELECT (r.day_ms + ?5) / 86400000 AS d, bucket, sum(n)"
			" FROM report_latency r WHERE " D_FILTER " GROUP BY d, bucket ORDER BY d, bucket"),
			"reporting latency per day", day_lat_row, &d);
		day_lat_flush(&d);
	}
	hist_free(&d.h);
	if (rc) {
		json_decref(d.arr);
		return rc < 0 ? rc : -SQLITE_NOMEM;
	}
	return dump(json_pack("{s:o}", "days", d.arr), out);
}

/* ---- busiest hours ------------------------------------------------------------------------ */

static int hour_row(void *arg, sqlite3_stmt *s)
{
	json_t *o = json_array_get(arg, (size_t)sqlite3_column_int64(s, 0));

	/* each further column, by its name ("conversations", "customer", "replies") */
	for (int i = 1; o && i < sqlite3_column_count(s); i++)
		json_object_set_new(o, sqlite3_column_name(s, i),
				    json_integer(sqlite3_column_int64(s, i)));
	return 0;
}

int store_report_hours_json(struct store *st, const struct store_report_query *q, char **out)
{
	json_t *arr;
	int rc;

	*out = NULL;
	if ((rc = store_log_index_all(st)))
		return rc;
	arr = json_array();
	for (int h = 0; arr && h < 24; h++)
		json_array_append_new(arr, json_pack("{s:i, s:i, s:i, s:i}", "hour", h,
						     "conversations", 0, "customer", 0, "replies", 0));
	if (!arr)
		return -SQLITE_NOMEM;
	/* ((x % 24) + 24) % 24: the hour of day of a negative offset too */
	rc = walk(st, prep_bound(st, q,
		"SELECT (((s.created_ms + ?5) / 3600000) % 24 + 24) % 24 AS h,"
		" count(*) AS conversations FROM sessions s WHERE " CONV_WHERE " GROUP BY h"),
		"reporting conversations per hour", hour_row, arr);
	if (!rc)
		rc = walk(st, prep_bound(st, q,
			"SELECT (((r.hour_ms + ?5) / 3600000) % 24 + 24) % 24 AS h,"
			" sum(customer) AS customer, sum(bot + operator) AS replies"
			" FROM report_hours r WHERE " R_FILTER " GROUP BY h"),
			"reporting messages per hour", hour_row, arr);
	if (rc) {
		json_decref(arr);
		return rc < 0 ? rc : -SQLITE_NOMEM;
	}
	return dump(json_pack("{s:o}", "hours", arr), out);
}

/* ---- top answers -------------------------------------------------------------------------- */

static int answer_row(void *arg, sqlite3_stmt *s)
{
	const char *title = (const char *)sqlite3_column_text(s, 1);
	int64_t n = sqlite3_column_int64(s, 2), down = sqlite3_column_int64(s, 4);

	return json_array_append_new(arg, json_pack("{s:I, s:s?, s:I, s:I, s:I, s:o}",
		"answer_id", (json_int_t)sqlite3_column_int64(s, 0), "title", title,
		"replies", (json_int_t)n, "thumbs_up", (json_int_t)sqlite3_column_int64(s, 3),
		"thumbs_down", (json_int_t)down, "thumbs_down_rate", share(down, n))) ? 1 : 0;
}

int store_report_answers_json(struct store *st, const struct store_report_query *q,
			      char **out)
{
	json_t *arr;
	int rc;

	*out = NULL;
	if ((rc = store_log_index_all(st)))
		return rc;
	if (!(arr = json_array()))
		return -SQLITE_NOMEM;
	/* how often each answer was given, and the thumbs given on its replies, in the
	 * period (the daily rollup) */
	rc = walk(st, prep_bound(st, q,
		"SELECT r.answer_id, a.title, sum(r.n) AS n, sum(r.up), sum(r.down)"
		" FROM report_answers r LEFT JOIN answers a ON a.id = r.answer_id WHERE " D_FILTER
		" GROUP BY r.answer_id HAVING n > 0 ORDER BY n DESC, r.answer_id LIMIT ?6"),
		"reporting top answers", answer_row, arr);
	if (rc) {
		json_decref(arr);
		return rc < 0 ? rc : -SQLITE_NOMEM;
	}
	return dump(json_pack("{s:o}", "answers", arr), out);
}

/* ---- top review clusters (the review queue's table, when it exists) ------------------------ */

static int cluster_row(void *arg, sqlite3_stmt *s)
{
	return json_array_append_new(arg, json_pack("{s:I, s:s?, s:I}",
		"cluster_id", (json_int_t)sqlite3_column_int64(s, 0),
		"label", (const char *)sqlite3_column_text(s, 1),
		"size", (json_int_t)sqlite3_column_int64(s, 2))) ? 1 : 0;
}

int store_report_clusters_json(struct store *st, const struct store_report_query *q,
			       char **out)
{
	int64_t cols = 0;
	json_t *arr;
	int rc;

	*out = NULL;
	/* the hook: a table review_clusters(id, label, size) from the review queue */
	rc = store_one_int64(st, prep(st, "SELECT count(*) FROM pragma_table_info('"
				      STORE_REPORT_CLUSTERS "') WHERE name IN ('id', 'label', 'size')"),
			     "looking for the review clusters", &cols);
	if (rc < 0)
		return rc;
	if (!(arr = json_array()))
		return -SQLITE_NOMEM;
	if (cols == 3)
		rc = walk(st, prep_bound(st, q,
			"SELECT id, label, size FROM " STORE_REPORT_CLUSTERS
			" ORDER BY size DESC, id LIMIT ?6"), "reporting review clusters",
			cluster_row, arr);
	if (rc) {
		json_decref(arr);
		return rc < 0 ? rc : -SQLITE_NOMEM;
	}
	return dump(json_pack("{s:b, s:o}", "available", cols == 3, "clusters", arr), out);
}
