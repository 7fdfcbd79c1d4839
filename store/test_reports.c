/* store/test_reports.c — the report figures (store/reports.c) on a small hand-made log
 * whose right numbers are worked out by hand in the comments, written row by row as
 * kefud writes them (customer message, then the bot reply, so the rollup triggers run
 * as in production); and the webhook rows and outbox (store/webhooks.c): the triggers
 * queue one delivery per subscribed endpoint, attempts are recorded.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>

#include "store_int.h"
#include "test_util.h"

#define T0 1789948800000LL            /* 2026-09-21 00:00 UTC: day 0 */
#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

static struct store *st;

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	char *err = NULL;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (sqlite3_exec(st->db, buf, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL sql: %s\n  %s\n", err, buf);
		failures++;
	}
	sqlite3_free(err);
}

static int64_t session(const char *channel, int64_t at)
{
	static int n;
	sql("INSERT INTO sessions (token, channel, created_ms, last_ms) VALUES"
	    " ('%032d', '%s', %lld, %lld)", ++n, channel, (long long)at, (long long)at);
	return sqlite3_last_insert_rowid(st->db);
}

static int64_t customer(int64_t sid, int64_t at)
{
	sql("INSERT INTO messages (session_id, kind, text, created_ms) VALUES"
	    " (%lld, 0, 'q', %lld)", (long long)sid, (long long)at);
	int64_t id = sqlite3_last_insert_rowid(st->db);
	/* the session's side, as store_message_add does it (store/log_session.c) */
	CHECK_RC(st, store_log_session_note(st, sid, STORE_MSG_CUSTOMER, NULL), 0);
	return id;
}

/* A bot reply to message q: answer (0: none), fallback flag, latency, language. */
static int64_t bot(int64_t sid, int64_t q, int64_t answer, int fallback, int lat_us,
		   const char *lang, int64_t at)
{
	char meta[64];
	snprintf(meta, sizeof meta, "{\"lang\":\"%s\",\"fallback\":%s}", lang,
		 fallback ? "true" : "false");
	sql("INSERT INTO messages (session_id, kind, text, answer_id, confidence, latency_us,"
	    " meta, reply_to, created_ms) VALUES (%lld, 1, 'a', %lld, 0.9, %d, '%s', %lld, %lld)",
	    (long long)sid, (long long)answer, lat_us, meta, (long long)q, (long long)at);
	int64_t id = sqlite3_last_insert_rowid(st->db);
	/* the session's side, as store_message_add does it (store/log_session.c) */
	CHECK_RC(st, store_log_session_note(st, sid, STORE_MSG_BOT, meta), 0);
	return id;
}

static json_t *report(int (*fn)(struct store *, const struct store_report_query *, char **),
		      const struct store_report_query *q)
{
	char *text = NULL;
	json_t *j;

	CHECK_RC(st, fn(st, q, &text), 0);
	j = text ? json_loads(text, 0, NULL) : NULL;
	CHECK(j != NULL);
	free(text);
	return j;
}

static double num(json_t *j, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, (size_t)atoi(k)) : json_object_get(j, k);
	if (!json_is_number(j)) {
		fprintf(stderr, "  %s is not a number\n", path);
		return NAN;
	}
	return json_number_value(j);
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)
/* within the latency buckets' 5 % above the exact value */
#define BUCKETED(got, exact) ((got) >= (exact) && (got) <= (exact) * 1.05)

static void fill_log(void)
{
	int64_t a, b, c, d, e, q, r;

	/* A (widget, en), day 0 10:00: two answered turns, thumbs up, 5 stars: contained */
	a = session("ws", T0 + 10 * HOUR);
	q = customer(a, T0 + 10 * HOUR);
	r = bot(a, q, 1, 0, 1000, "en", T0 + 10 * HOUR + 1);
	sql("INSERT INTO feedback (session_id, message_id, value, created_ms) VALUES"
	    " (%lld, %lld, 1, %lld)", (long long)a, (long long)r, (long long)(T0 + 10 * HOUR + MIN));
	q = customer(a, T0 + 10 * HOUR + 5 * MIN);
	bot(a, q, 1, 0, 3000, "en", T0 + 10 * HOUR + 5 * MIN + 1);
	sql("INSERT INTO ratings (session_id, stars, created_ms) VALUES (%lld, 5, %lld)",
	    (long long)a, (long long)(T0 + 10 * HOUR + 6 * MIN));
	/* B (widget, en), day 0 11:00: a fallback, a hand-off taken after 120 s, an
	 * operator's message, 2 stars */
	b = session("ws", T0 + 11 * HOUR);
	q = customer(b, T0 + 11 * HOUR);
	bot(b, q, 0, 1, 2000, "en", T0 + 11 * HOUR + 1);
	sql("INSERT INTO handoffs (session_id, requested_ms, taken_ms) VALUES (%lld, %lld, %lld)",
	    (long long)b, (long long)(T0 + 11 * HOUR + MIN), (long long)(T0 + 11 * HOUR + 3 * MIN));
	sql("UPDATE sessions SET state = 'operator' WHERE id = %lld", (long long)b);
	sql("INSERT INTO messages (session_id, kind, text, created_ms) VALUES (%lld, 2, 'hi',"
	    " %lld)", (long long)b, (long long)(T0 + 11 * HOUR + 4 * MIN));
	sql("INSERT INTO ratings (session_id, stars, created_ms) VALUES (%lld, 2, %lld)",
	    (long long)b, (long long)(T0 + 11 * HOUR + 9 * MIN));
	/* C (voice, zh), day 1 10:00: thumbs down, a hand-off taken after 600 s */
	c = session("voice", T0 + DAY + 10 * HOUR);
	q = customer(c, T0 + DAY + 10 * HOUR);
	r = bot(c, q, 2, 0, 5000, "zh", T0 + DAY + 10 * HOUR + 1);
	sql("INSERT INTO feedback (session_id, message_id, value, created_ms) VALUES"
	    " (%lld, %lld, -1, %lld)", (long long)c, (long long)r,
	    (long long)(T0 + DAY + 10 * HOUR + MIN));
	sql("INSERT INTO handoffs (session_id, requested_ms, taken_ms) VALUES (%lld, %lld, %lld)",
	    (long long)c, (long long)(T0 + DAY + 10 * HOUR + 2 * MIN),
	    (long long)(T0 + DAY + 10 * HOUR + 12 * MIN));
	/* D (widget, zh), day 1 22:00: a hand-off nobody took, 4 stars */
	d = session("ws", T0 + DAY + 22 * HOUR);
	q = customer(d, T0 + DAY + 22 * HOUR);
	bot(d, q, 2, 0, 4000, "zh", T0 + DAY + 22 * HOUR + 1);
	sql("INSERT INTO handoffs (session_id, requested_ms) VALUES (%lld, %lld)",
	    (long long)d, (long long)(T0 + DAY + 22 * HOUR + MIN));
	sql("INSERT INTO ratings (session_id, stars, created_ms) VALUES (%lld, 4, %lld)",
	    (long long)d, (long long)(T0 + DAY + 22 * HOUR + 2 * MIN));
	/* E (widget, en), day 5: outside the period */
	e = session("ws", T0 + 5 * DAY);
	q = customer(e, T0 + 5 * DAY);
	bot(e, q, 1, 0, 9000, "en", T0 + 5 * DAY + 1);
	/* F: a session without messages is no conversation */
	session("ws", T0 + 12 * HOUR);
}

static void test_reports(void)
{
	struct store_report_query q = { .from_ms = T0, .to_ms = T0 + 2 * DAY };
	json_t *j;

	CHECK_RC(st, store_answer_add(st, "Card", "b", "en", NULL, NULL), 0);   /* id 1 */
	CHECK_RC(st, store_answer_add(st, "卡", "b", "zh", NULL, NULL), 0);     /* id 2 */
	fill_log();

	/* A, B, C, D; contained: A only; hand-offs: B, C, D */
	j = report(store_report_summary_json, &q);
	CHECK(num(j, "conversations") == 4);
	CHECK(NEAR(num(j, "containment"), 0.25));
	CHECK(num(j, "handoffs") == 3);
	CHECK(NEAR(num(j, "handoff_rate"), 0.75));
	/* customers 2+1+1+1, bot 2+1+1+1, one operator message; 1 fallback of 5 replies */
	CHECK(num(j, "messages.customer") == 5);
	CHECK(num(j, "messages.bot") == 5);
	CHECK(num(j, "messages.operator") == 1);
	CHECK(num(j, "messages.total") == 11);
	CHECK(NEAR(num(j, "fallback_rate"), 0.2));
	CHECK(num(j, "thumbs_up") == 1 && num(j, "thumbs_down") == 1);
	/* stars 5, 2, 4: two of three are 4-5 */
	CHECK(num(j, "ratings") == 3);
	CHECK(NEAR(num(j, "csat"), 2.0 / 3.0));
	/* waits 120 s and 600 s, one untaken: mean 360 s, nearest-rank p90 600 s */
	CHECK(num(j, "time_to_operator.taken") == 2);
	CHECK(num(j, "time_to_operator.untaken") == 1);
	CHECK(NEAR(num(j, "time_to_operator.avg_s"), 360));
	CHECK(NEAR(num(j, "time_to_operator.p90_s"), 600));
	/* latencies 1, 2, 3, 4, 5 ms: p50 3 ms, p99 5 ms (bucketed) */
	CHECK(num(j, "latency.replies") == 5);
	CHECK(BUCKETED(num(j, "latency.p50_ms"), 3.0));
	CHECK(BUCKETED(num(j, "latency.p99_ms"), 5.0));
	json_decref(j);

	/* Chinese: C and D, neither contained; their first turns count in zh although the
	 * session had no language when the customer wrote */
	q.lang = "zh";
	j = report(store_report_summary_json, &q);
	CHECK(num(j, "conversations") == 2);
	CHECK(NEAR(num(j, "containment"), 0));
	CHECK(NEAR(num(j, "handoff_rate"), 1));
	CHECK(num(j, "messages.customer") == 2 && num(j, "messages.bot") == 2);
	CHECK(num(j, "thumbs_down") == 1 && num(j, "thumbs_up") == 0);
	CHECK(NEAR(num(j, "csat"), 1));
	json_decref(j);
	q.lang = NULL;
	/* voice: C only */
	q.channel = "voice";
	j = report(store_report_summary_json, &q);
	CHECK(num(j, "conversations") == 1);
	CHECK(num(j, "messages.customer") == 1);
	CHECK(json_is_null(json_object_get(j, "csat")));     /* no rating: no share */
	json_decref(j);
	/* "widget" is the stored "ws": A, B, D */
	q.channel = "widget";
	j = report(store_report_summary_json, &q);
	CHECK(num(j, "conversations") == 3);
	json_decref(j);
	q.channel = NULL;

	/* per day: day 0 A, B (containment 1/2, 3 customer, 3 bot, 1 operator, fallback
	 * 1/3); day 1 C, D */
	j = report(store_report_daily_json, &q);
	CHECK(json_array_size(json_object_get(j, "days")) == 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "days"),
								      0), "day")), "2026-09-21"));
	CHECK(num(j, "days.0.conversations") == 2);
	CHECK(NEAR(num(j, "days.0.containment"), 0.5));
	CHECK(num(j, "days.0.customer") == 3 && num(j, "days.0.bot") == 3);
	CHECK(num(j, "days.0.operator") == 1);
	CHECK(NEAR(num(j, "days.0.fallback_rate"), 1.0 / 3.0));
	CHECK(BUCKETED(num(j, "days.0.p50_ms"), 2.0));          /* 1, 2, 3 ms */
	CHECK(num(j, "days.1.conversations") == 2);
	CHECK(NEAR(num(j, "days.1.handoff_rate"), 1));
	CHECK(BUCKETED(num(j, "days.1.p99_ms"), 5.0));          /* 4, 5 ms */
	json_decref(j);
	/* at UTC+3 D's 22:00 is 01:00 the next day, and the period spans three local days */
	q.tz_min = 180;
	j = report(store_report_daily_json, &q);
	CHECK(json_array_size(json_object_get(j, "days")) == 3);
	CHECK(num(j, "days.1.conversations") == 1 && num(j, "days.2.conversations") == 1);
	json_decref(j);
	q.tz_min = 0;

	/* busiest hours: 10:00 A and C (3 customer messages), 11:00 B, 22:00 D */
	j = report(store_report_hours_json, &q);
	CHECK(json_array_size(json_object_get(j, "hours")) == 24);
	CHECK(num(j, "hours.10.conversations") == 2 && num(j, "hours.10.customer") == 3);
	CHECK(num(j, "hours.11.conversations") == 1 && num(j, "hours.11.replies") == 2);
	CHECK(num(j, "hours.22.conversations") == 1 && num(j, "hours.9.conversations") == 0);
	json_decref(j);

	/* top answers: Card twice (thumbs up once), 卡 twice (thumbs down once) */
	j = report(store_report_answers_json, &q);
	CHECK(json_array_size(json_object_get(j, "answers")) == 2);
	CHECK(num(j, "answers.0.answer_id") == 1 && num(j, "answers.0.replies") == 2);
	CHECK(num(j, "answers.0.thumbs_up") == 1 && num(j, "answers.0.thumbs_down") == 0);
	CHECK(num(j, "answers.1.answer_id") == 2 && num(j, "answers.1.thumbs_down") == 1);
	CHECK(NEAR(num(j, "answers.1.thumbs_down_rate"), 0.5));
	json_decref(j);
	q.limit = 1;
	j = report(store_report_answers_json, &q);
	CHECK(json_array_size(json_object_get(j, "answers")) == 1);
	json_decref(j);
	q.limit = 0;

	/* review clusters: the review queue's table (schema step 8), biggest first */
	sql("INSERT INTO " STORE_REPORT_CLUSTERS " (id, label, size, updated_ms)"
	    " VALUES (1, 'refund', 4, 0), (2, 'parcel', 9, 0)");
	j = report(store_report_clusters_json, &q);
	CHECK(json_is_true(json_object_get(j, "available")));
	CHECK(num(j, "clusters.0.cluster_id") == 2 && num(j, "clusters.0.size") == 9);
	json_decref(j);

	/* an empty period has no shares, and too long a period is refused */
	q.from_ms = T0 + 30 * DAY;
	q.to_ms = T0 + 31 * DAY;
	j = report(store_report_summary_json, &q);
	CHECK(num(j, "conversations") == 0 && json_is_null(json_object_get(j, "containment")));
	CHECK(json_is_null(json_object_get(json_object_get(j, "latency"), "p50_ms")));
	json_decref(j);
	q.to_ms = q.from_ms + (int64_t)(STORE_REPORT_MAX_DAYS + 1) * DAY;
	{
		char *t = NULL;
		CHECK_RC(st, store_report_daily_json(st, &q, &t), STORE_INVALID);
		free(t);
	}

	{
		int64_t v[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
		CHECK(store_report_nearest_rank(v, 10, 0.9) == 90);
		CHECK(store_report_nearest_rank(v, 10, 0.5) == 50);
		CHECK(store_report_nearest_rank(v, 10, 0.99) == 100);
		CHECK(store_report_nearest_rank(v, 1, 0.9) == 10);
	}
}

/* sessions.report_flags of sid: 1 a customer wrote, 2 asked for a person, 4 thumbs-down */
static int64_t flags(int64_t sid)
{
	sqlite3_stmt *s = store_prep(st, "SELECT report_flags FROM sessions WHERE id = ?1", "t");
	int64_t v = -1;

	if (s)
		sqlite3_bind_int64(s, 1, sid);
	CHECK(store_one_int64(st, s, "flags", &v) == 0);
	return v;
}

static void test_webhooks(void)
{
	static const char sealed[] = "sealed-bytes";
	struct store_delivery d;
	struct store_webhook w;
	int64_t id, n, sid, q, r;
	char *text;

	CHECK_RC(st, store_webhook_add(st, "ftp://x", "handoff.requested", sealed, 5, "ann", 1,
				       &id), STORE_INVALID);
	CHECK_RC(st, store_webhook_add(st, "http://x/a b", "handoff.requested", sealed, 5, "ann",
				       1, &id), STORE_INVALID);
	CHECK_RC(st, store_webhook_add(st, "http://x", "handoff.requested,nope", sealed, 5,
				       "ann", 1, &id), STORE_INVALID);
	CHECK_RC(st, store_webhook_add(st, "http://x", "", sealed, 5, "ann", 1, &id),
		 STORE_INVALID);
	CHECK_RC(st, store_webhook_add(st, "http://127.0.0.1:9/hook",
				       "handoff.requested,feedback.negative", sealed,
				       sizeof sealed, "ann", 1, &id), 0);
	CHECK_RC(st, store_webhook_get(st, id, &w), 0);
	CHECK(w.sealed_len == sizeof sealed && !memcmp(w.sealed, sealed, sizeof sealed));
	CHECK(w.enabled == 1 && !strcmp(w.events, "handoff.requested,feedback.negative"));
	store_webhook_clear(&w);

	/* a hand-off and a thumbs-down each queue one delivery; resolving is not subscribed */
	CHECK_RC(st, store_delivery_due(st, INT64_MAX, &d), STORE_NOT_FOUND);
	sid = session("ws", T0 + 40 * DAY);
	q = customer(sid, T0 + 40 * DAY);
	r = bot(sid, q, 1, 0, 1000, "en", T0 + 40 * DAY + 1);
	sql("INSERT INTO handoffs (session_id, reason, requested_ms) VALUES (%lld, 'card', %lld)",
	    (long long)sid, (long long)(T0 + 40 * DAY + 5));
	sql("INSERT INTO feedback (session_id, message_id, value, created_ms) VALUES"
	    " (%lld, %lld, 1, %lld)", (long long)sid, (long long)r, (long long)(T0 + 40 * DAY + 6));
	/* a thumbs up turned down is a negative feedback (and the conversation is no
	 * longer contained; turned up again, it is) */
	CHECK(flags(sid) == (1 | 2));
	sql("UPDATE feedback SET value = -1 WHERE message_id = %lld", (long long)r);
	CHECK(flags(sid) == (1 | 2 | 4));
	sql("UPDATE sessions SET resolved_ms = %lld WHERE id = %lld",
	    (long long)(T0 + 40 * DAY + 9), (long long)sid);
	CHECK(store_one_int64(st, store_prep(st, "SELECT count(*) FROM webhook_deliveries", "t"),
			      "t", &n) == 0 && n == 2);
	sql("UPDATE feedback SET value = 1 WHERE message_id = %lld", (long long)r);
	CHECK(flags(sid) == (1 | 2));
	{
		/* up, turned down, turned up: one thumbs up in the rollups, none down */
		struct store_report_query q = { .from_ms = T0 + 40 * DAY, .to_ms = T0 + 41 * DAY };
		json_t *j = report(store_report_summary_json, &q);
		CHECK(num(j, "thumbs_up") == 1 && num(j, "thumbs_down") == 0);
		json_decref(j);
		j = report(store_report_answers_json, &q);
		CHECK(num(j, "answers.0.thumbs_up") == 1 && num(j, "answers.0.thumbs_down") == 0);
		json_decref(j);
	}

	CHECK_RC(st, store_delivery_next_ms(st, &n), 0);
	CHECK(n == T0 + 40 * DAY + 5);
	CHECK_RC(st, store_delivery_due(st, T0 + 40 * DAY, &d), STORE_NOT_FOUND);   /* not yet */
	CHECK_RC(st, store_delivery_due(st, INT64_MAX, &d), 0);
	CHECK(!strcmp(d.event, "handoff.requested") && d.session_id == sid && !d.payload);
	CHECK(!strncmp(d.msg_id, "msg_", 4) && strlen(d.msg_id) == 36);
	CHECK_RC(st, store_delivery_facts_json(st, &d, &text), 0);
	CHECK(text && strstr(text, "\"reason\":\"card\"") && strstr(text, "\"channel\":\"widget\""));
	free(text);
	CHECK_RC(st, store_delivery_set_payload(st, d.id, "{\"type\":\"handoff.requested\"}"), 0);
	/* a 500 is retried later; a 204 is delivered */
	CHECK_RC(st, store_delivery_attempted(st, d.id, 500, "HTTP 500", T0 + 41 * DAY, 1000), 0);
	store_delivery_clear(&d);
	CHECK_RC(st, store_delivery_due(st, T0 + 41 * DAY - 1, &d), 0);
	CHECK(!strcmp(d.event, "feedback.negative"));
	CHECK_RC(st, store_delivery_facts_json(st, &d, &text), 0);
	CHECK(text && strstr(text, "\"answer_title\":\"Card\"") && strstr(text, "\"question\":\"q\""));
	free(text);
	CHECK_RC(st, store_delivery_attempted(st, d.id, 0, "connection refused", 0, 1000), 0);
	store_delivery_clear(&d);
	CHECK_RC(st, store_delivery_due(st, T0 + 41 * DAY, &d), 0);
	CHECK(d.attempts == 1 && d.payload && !strcmp(d.payload, "{\"type\":\"handoff.requested\"}"));
	CHECK_RC(st, store_delivery_attempted(st, d.id, 204, "", 0, 6000), 0);
	store_delivery_clear(&d);
	CHECK_RC(st, store_delivery_due(st, INT64_MAX, &d), STORE_NOT_FOUND);

	CHECK_RC(st, store_webhooks_json(st, &text), 0);
	CHECK(text && strstr(text, "\"delivered\":1") && strstr(text, "\"failed\":1") &&
	      strstr(text, "\"events\":[\"handoff.requested\",\"feedback.negative\"]") &&
	      !strstr(text, "sealed"));
	free(text);
	CHECK_RC(st, store_webhook_deliveries_json(st, id, 10, &text), 0);
	CHECK(text && strstr(text, "\"state\":\"delivered\"") &&
	      strstr(text, "\"last_error\":\"connection refused\""));
	free(text);

	/* disabled: no more deliveries; deleted: its log goes too */
	CHECK_RC(st, store_webhook_set_enabled(st, id, 0), 0);
	sql("INSERT INTO handoffs (session_id, requested_ms) VALUES (%lld, 1)", (long long)sid);
	CHECK(store_one_int64(st, store_prep(st, "SELECT count(*) FROM webhook_deliveries", "t"),
			      "t", &n) == 0 && n == 2);
	CHECK_RC(st, store_webhook_delete(st, id), 0);
	CHECK_RC(st, store_webhook_delete(st, id), STORE_NOT_FOUND);
	CHECK(store_one_int64(st, store_prep(st, "SELECT count(*) FROM webhook_deliveries", "t"),
			      "t", &n) == 0 && n == 0);
}

int main(void)
{
	char err[256];

	st = store_open(tu_path("reports.db"), err, sizeof err);
	if (!st) {
		fprintf(stderr, "FAIL open: %s\n", err);
		return 1;
	}
	test_reports();
	test_webhooks();
	store_close(st);
	return tu_finish("test_reports");
}
