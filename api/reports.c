/* api/reports.c — GET /api/v1/reports/{summary,daily,hours,answers,clusters}: the
 * console's Reports page (docs/console.md "Reports" defines every figure).  Role agent:
 * the figures are counts and shares of the conversations operators read anyway.
 *
 * Every route takes the same query: from / to (ms since the epoch; default the last 30
 * days), lang, channel, tz (minutes east of UTC for day and hour boundaries), limit
 * (top lists) and format (json, or csv for a download of the route's table).  The store
 * builds the figures (store/reports.c); this file checks the query, adds the period to
 * the answer and turns a table into CSV.  Runs on the calling API worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "buf.h"
#include "clock.h"
#include "log.h"

#define DAY_MS 86400000LL
#define DEFAULT_DAYS 30
#define TOP_MAX 100

enum { Q_FROM, Q_TO, Q_LANG, Q_CHANNEL, Q_TZ, Q_LIMIT, Q_FORMAT, Q__N };

/* A language or channel name: 1-32 of a-z 0-9 - _ (empty: all). */
static int qname(struct api_call *c, const struct api_qparam *p)
{
	for (const char *s = p->value; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_') || s - p->value >= 32)
			return api_error(c, 400, "bad_query", "%s: letters a-z, digits, - or _",
					 p->name), -1;
	return 0;
}

/* Reads the query into q (strings point into qp); csv set for format=csv.  0, or -1
 * after answering 400. */
static int parse(struct api_call *c, struct api_qparam *qp, struct store_report_query *q,
		 int *csv)
{
	int64_t to = cm_wall_ms(), from, tz = 0, limit = 10;

	if (api_query_parse(c, qp))
		return -1;
	if (api_qint(c, &qp[Q_TO], 1, INT64_MAX / 4, &to))
		return -1;
	from = to - DEFAULT_DAYS * DAY_MS;
	if (api_qint(c, &qp[Q_FROM], 0, INT64_MAX / 4, &from) || api_qint(c, &qp[Q_TZ], -840, 840, &tz) ||
	    api_qint(c, &qp[Q_LIMIT], 1, TOP_MAX, &limit) || qname(c, &qp[Q_LANG]) ||
	    qname(c, &qp[Q_CHANNEL]))
		return -1;
	if (from >= to)
		return api_error(c, 400, "bad_query", "from must be before to"), -1;
	if (to - from > STORE_REPORT_MAX_DAYS * DAY_MS)
		return api_error(c, 400, "bad_query", "a report covers at most %d days",
				 STORE_REPORT_MAX_DAYS), -1;
	if (qp[Q_FORMAT].present && strcmp(qp[Q_FORMAT].value, "json") &&
	    strcmp(qp[Q_FORMAT].value, "csv"))
		return api_error(c, 400, "bad_query", "format must be json or csv"), -1;
	*csv = qp[Q_FORMAT].present && !strcmp(qp[Q_FORMAT].value, "csv");
	q->from_ms = from;
	q->to_ms = to;
	q->lang = qp[Q_LANG].value[0] ? qp[Q_LANG].value : NULL;
	q->channel = qp[Q_CHANNEL].value[0] ? qp[Q_CHANNEL].value : NULL;
	q->tz_min = (int)tz;
	q->limit = (int)limit;
	return 0;
}

/* ---- CSV --------------------------------------------------------------------------------- */

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a text
 * starting with = + - @ gets a leading ' so a spreadsheet does not run it as a formula
 * (answer titles and cluster labels are typed by people). */
static void put_field(struct cm_buf *b, json_t *v)
{
	char num[64];
	const char *s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		int quote = strpbrk(s, ",\"\r\n") != NULL;
		if (quote)
			cm_buf_add(b, "\"", 1);
		if (strchr("=+-@", s[0]) && s[0])
			cm_buf_add(b, "'", 1);
		for (; *s; s++) {
			if (*s == '"')
				cm_buf_add(b, "\"\"", 2);
			else
				cm_buf_add(b, s, 1);
		}
		if (quote)
			cm_buf_add(b, "\"", 1);
	} else if (json_is_integer(v)) {
		cm_buf_add(b, num, (size_t)snprintf(num, sizeof num, "%lld",
					     (long long)json_integer_value(v)));
	} else if (json_is_real(v)) {
		cm_buf_add(b, num, (size_t)snprintf(num, sizeof num, "%.6g", json_real_value(v)));
	} else if (json_is_boolean(v)) {
		cm_buf_add(b, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
	}                                   /* null: an empty field */
}

/* Flattens object o into "prefix.key" columns: names (when names) or values. */
static void put_flat(struct cm_buf *b, json_t *o, const char *prefix, int names, int *first)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		char name[128];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			put_flat(b, v, name, names, first);
			continue;
		}
		if (!*first)
			cm_buf_add(b, ",", 1);
		*first = 0;
		if (names)
			cm_buf_add(b, name, strlen(name));
		else
			put_field(b, v);
	}
}

/* rows (an array of objects, or one object) as CSV: a header of the first row's keys
 * (nested objects flattened to a.b), then one line per row. */
static char *to_csv(json_t *rows, size_t *len)
{
	struct cm_buf b = { 0 };
	json_t *first_row = json_is_array(rows) ? json_array_get(rows, 0) : rows;
	size_t i;
	json_t *row;
	int first = 1;

	cm_buf_add(&b, "", 0);
	if (first_row) {
		put_flat(&b, first_row, "", 1, &first);
		cm_buf_add(&b, "\r\n", 2);
	}
	if (json_is_array(rows)) {
		json_array_foreach(rows, i, row) {
			first = 1;
			put_flat(&b, row, "", 0, &first);
			cm_buf_add(&b, "\r\n", 2);
		}
	} else if (first_row) {
		first = 1;
		put_flat(&b, rows, "", 0, &first);
		cm_buf_add(&b, "\r\n", 2);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- the routes ---------------------------------------------------------------------------- */

typedef int (*report_fn)(struct store *, const struct store_report_query *, char **);

/* Runs fn over the query and answers JSON (with the period) or, for format=csv, the
 * table named key (the whole answer when key is NULL) as a CSV download. */
static int answer(struct api_call *c, report_fn fn, const char *name, const char *key)
{
	struct api_qparam qp[Q__N + 1] = {
		[Q_FROM] = { .name = "from" }, [Q_TO] = { .name = "to" },
		[Q_LANG] = { .name = "lang" }, [Q_CHANNEL] = { .name = "channel" },
		[Q_TZ] = { .name = "tz" }, [Q_LIMIT] = { .name = "limit" },
		[Q_FORMAT] = { .name = "format" }, [Q__N] = { .name = NULL },
	};
	struct store_report_query q;
	char *text = NULL;
	json_t *j;
	int csv, rc;

	if (parse(c, qp, &q, &csv))
		return 0;
	rc = fn(c->ctx->st, &q, &text);
	if (rc == STORE_INVALID)
		return api_error(c, 400, "bad_query", "%s", store_errmsg(c->ctx->st));
	if (rc) {
		LOG_ERR("report %s: %s", name, store_errmsg(c->ctx->st));
		return api_error(c, 500, "internal", "the report could not be read");
	}
	j = json_loads(text, 0, NULL);
	free(text);
	if (!j)
		return api_reply(c, 500, NULL);
	if (csv) {
		size_t len = 0;
		char *body = to_csv(key ? json_object_get(j, key) : j, &len);
		json_decref(j);
		if (!body)
			return api_reply(c, 500, NULL);
		free(c->res->body);
		c->res->status = 200;
		c->res->body = body;
		c->res->body_len = len;
		snprintf(c->res->content_type, sizeof c->res->content_type,
			 "text/csv; charset=utf-8");
		snprintf(c->res->disposition, sizeof c->res->disposition,
			 "attachment; filename=\"kefu-%s.csv\"", name);
		return 0;
	}
	json_object_set_new(j, "period", json_pack("{s:I, s:I, s:s?, s:s?, s:i}", "from_ms",
						   (json_int_t)q.from_ms, "to_ms",
						   (json_int_t)q.to_ms, "lang", q.lang, "channel",
						   q.channel, "tz", q.tz_min));
	return api_reply(c, 200, j);
}

int api_h_report_summary(struct api_call *c)
{
	return answer(c, store_report_summary_json, "summary", NULL);
}

int api_h_report_daily(struct api_call *c)
{
	return answer(c, store_report_daily_json, "daily", "days");
}

int api_h_report_hours(struct api_call *c)
{
	return answer(c, store_report_hours_json, "hours", "hours");
}

int api_h_report_answers(struct api_call *c)
{
	return answer(c, store_report_answers_json, "answers", "answers");
}

int api_h_report_clusters(struct api_call *c)
{
	return answer(c, store_report_clusters_json, "clusters", "clusters");
}
