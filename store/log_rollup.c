/* store/log_rollup.c — the report rollups of one log index pass (report_hours,
 * report_latency, report_answers), counted in C from one scan of the pass's messages.
 *
 * Until issue 14's fifth pass a pass ran one grouped INSERT ... SELECT per rollup
 * (log_index.c keeps them as rollup_sql: the reference, and what a pass falls back
 * to): three scans of the range, each parsing every bot reply's meta JSON again, and
 * for every customer message a look-up of the reply that answered it (its meta parsed
 * once more), 4.2 of a pass's 5.6 us a message (docs/performance.md).  Here one
 * SELECT reads each message of the range once with the values the statements
 * computed from it (the reply's language and fallback from its meta, the latency
 * bucket, the answer: the same SQL expressions, so the same values), the counts are
 * grouped in memory, and one upsert per group (hour or day, language, channel and
 * bucket or answer) adds them to its rollup row.
 *
 * A customer message counts under the language of the first bot reply whose reply_to
 * is its id (else of the last bot reply before it in its session, else its
 * session's).  The reply is nearly always in the same range (the writer logs a turn's
 * two messages in one transaction): it is taken from the scan when no message below
 * the range points into it (one index probe a pass; a reply written before its
 * customer message would come first); otherwise, and for a customer message no reply
 * in the range answers (a take-over, a range that ends between the two), the
 * statement's own sub-queries are run for that message.
 *
 * A row whose values are not of the types the writer gives them (an hour, bucket or
 * answer that is not an integer: a row written by hand) makes store_log_rollup decline
 * with STORE_LOG_ROLLUP_SQL before it wrote anything: the caller runs the statements.
 *
 * Runs on the thread that owns the connection, inside the pass's transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "store_int.h"

/* The columns of SQ_LOG_ROLLUP_SCAN (store/stmt.c, with the pass's other statements:
 * prepared once per connection). */
enum { C_ID, C_SESSION, C_KIND, C_CREATED, C_REPLY_TO, C_META, C_NOANSWER, C_BUCKET, C_ANSWER,
       C_SLANG, C_CHANNEL };

#define LANG_MAX 64    /* a language longer than this is read by SQLite (never: "en", "zh") */

enum { R_HOURS, R_LATENCY, R_ANSWERS };

static const enum store_stmt_id upsert_sql[] = {
	[R_HOURS] = SQ_LOG_ROLLUP_HOURS,
	[R_LATENCY] = SQ_LOG_ROLLUP_LATENCY,
	[R_ANSWERS] = SQ_LOG_ROLLUP_ANSWERS,
};

#define HOUR_MS 3600000
#define DAY_MS 86400000

/* One rollup row's counts: key (rollup, t = hour or day, x = bucket or answer, lang,
 * channel; lang and channel interned, so compared by pointer). */
struct group {
	int rollup;                    /* R_*; -1: an empty slot */
	int64_t t, x;
	const char *lang, *channel;
	int64_t n[4];                  /* hours: customer, bot, operator, fallback; else n */
};

/* A customer message waiting for its language. */
struct customer {
	int64_t id, session, hour;
	const char *slang, *channel;
};

struct rollup {
	struct store *st;
	int64_t lo, hi;
	struct group *g;               /* open addressing, cap a power of two */
	size_t cap, used;
	char **strs;                   /* interned texts */
	size_t n_strs, cap_strs;
	const char **reply_lang;       /* [hi - lo]: the first reply to id lo + 1 + i */
	struct customer *cust;
	size_t n_cust;
};

/* "the reply exists and names no language" in reply_lang (NULL: no reply seen) */
static const char no_lang[] = "";

/* The interned copy of text (NULL on out of memory). */
static const char *intern(struct rollup *r, const char *text)
{
	for (size_t i = 0; i < r->n_strs; i++)
		if (!strcmp(r->strs[i], text))
			return r->strs[i];
	if (r->n_strs == r->cap_strs) {
		size_t cap = r->cap_strs ? 2 * r->cap_strs : 16;
		char **s = realloc(r->strs, cap * sizeof *s);
		if (!s)
			return NULL;
		r->strs = s;
		r->cap_strs = cap;
	}
	char *copy = strdup(text);
	if (copy)
		r->strs[r->n_strs++] = copy;
	return copy;
}

static uint64_t hash(int rollup, int64_t t, int64_t x, const char *lang, const char *channel)
{
	uint64_t h = (uint64_t)rollup * 0x9E3779B97F4A7C15ULL;

	h = (h ^ (uint64_t)t) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (uint64_t)x) * 0x94D049BB133111EBULL;
	h = (h ^ (uint64_t)(uintptr_t)lang) * 0x9E3779B97F4A7C15ULL;
	h = (h ^ (uint64_t)(uintptr_t)channel) * 0xBF58476D1CE4E5B9ULL;
	return h ^ (h >> 31);
}

static int grow(struct rollup *r)
{
	size_t cap = r->cap ? 2 * r->cap : 256;
	struct group *g = malloc(cap * sizeof *g);

	if (!g)
		return -SQLITE_NOMEM;
	for (size_t i = 0; i < cap; i++)
		g[i].rollup = -1;
	for (size_t i = 0; i < r->cap; i++) {
		struct group *o = &r->g[i];
		if (o->rollup < 0)
			continue;
		size_t j = hash(o->rollup, o->t, o->x, o->lang, o->channel) & (cap - 1);
		while (g[j].rollup >= 0)
			j = (j + 1) & (cap - 1);
		g[j] = *o;
	}
	free(r->g);
	r->g = g;
	r->cap = cap;
	return 0;
}

/* Adds 1 to count k of the group (rollup, t, x, lang, channel). */
static int count(struct rollup *r, int rollup, int64_t t, int64_t x, const char *lang,
		 const char *channel, int k)
{
	if (2 * (r->used + 1) > r->cap && grow(r))
		return -SQLITE_NOMEM;
	size_t j = hash(rollup, t, x, lang, channel) & (r->cap - 1);
	struct group *g;

	for (;; j = (j + 1) & (r->cap - 1)) {
		g = &r->g[j];
		if (g->rollup < 0) {
			*g = (struct group){ rollup, t, x, lang, channel, { 0 } };
			r->used++;
			break;
		}
		if (g->rollup == rollup && g->t == t && g->x == x && g->lang == lang &&
		    g->channel == channel)
			break;
	}
	g->n[k]++;
	return 0;
}

/* An interned text column (NULL: the column is NULL; *rc set on out of memory). */
static const char *col_text(struct rollup *r, sqlite3_stmt *s, int col, int *rc)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	const char *in;

	if (!t) {
		if (sqlite3_column_type(s, col) != SQLITE_NULL)
			*rc = -SQLITE_NOMEM;
		return NULL;
	}
	if (!(in = intern(r, t)))
		*rc = -SQLITE_NOMEM;
	return in;
}

/* A bot reply's language (*lang, interned; NULL: its meta names none) and fallback
 * flag, the values of the statements' META_LANG and fallback expressions: read from its
 * meta by common/jscan.c's strict scan when it is sure of them (what it judges, SQLite's
 * json_valid accepts; each key at most once, as SQLite may read a duplicate otherwise),
 * else by SQLite (SQ_LOG_ROLLUP_META, the same expressions).  0 or < 0. */
static int reply_meta(struct rollup *r, sqlite3_stmt *row, const char **lang, int *fallback)
{
	int type = sqlite3_column_type(row, C_META);   /* before any conversion */
	int noanswer = sqlite3_column_int(row, C_NOANSWER), rc = 0;
	struct cm_jscan_field f[] = { { .key = "lang" }, { .key = "fallback" } };
	const char *meta = NULL, *v = NULL;
	size_t vlen = 0;

	*lang = NULL;
	*fallback = noanswer;
	if (type == SQLITE_NULL)
		return 0;      /* json_valid(NULL) is NULL: neither expression reads it */
	if (type == SQLITE_TEXT && !(meta = (const char *)sqlite3_column_text(row, C_META)))
		return -SQLITE_NOMEM;
	if (meta && cm_jscan_object(meta, strlen(meta), f, 2) && f[0].count <= 1 &&
	    f[1].count <= 1 &&
	    (!f[0].val || cm_jscan_is(&f[0], "null") ||
	     (cm_jscan_plain(&f[0], &v, &vlen) && vlen < LANG_MAX)) &&
	    (!f[1].val || cm_jscan_is(&f[1], "null") || cm_jscan_is(&f[1], "true") ||
	     cm_jscan_is(&f[1], "false"))) {
		if (v && vlen) {
			char own[LANG_MAX];
			memcpy(own, v, vlen);
			own[vlen] = '\0';
			if (!(*lang = intern(r, own)))
				return -SQLITE_NOMEM;
		}
		if (f[1].val && !cm_jscan_is(&f[1], "null"))
			*fallback = cm_jscan_is(&f[1], "true");
		return 0;
	}
	sqlite3_stmt *s = store_stmt(r->st, SQ_LOG_ROLLUP_META);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_value(s, 1, sqlite3_column_value(row, C_META));   /* the value itself */
	sqlite3_bind_int(s, 2, noanswer);
	if ((rc = store_step_one(r->st, s, "indexing the log")) == 0) {
		*lang = col_text(r, s, 0, &rc);
		*fallback = sqlite3_column_int(s, 1);
	}
	store_stmt_done(s);
	return rc;
}

/* One row of SQ_LOG_ROLLUP_SCAN.  Returns 0, < 0, or STORE_LOG_ROLLUP_SQL for a value of a type
 * the writer never gives. */
static int take_row(struct rollup *r, sqlite3_stmt *s)
{
	int kind = sqlite3_column_int(s, C_KIND), rc = 0;

	if (sqlite3_column_type(s, C_CREATED) != SQLITE_INTEGER)
		return STORE_LOG_ROLLUP_SQL;
	int64_t created = sqlite3_column_int64(s, C_CREATED);
	int64_t hour = created / HOUR_MS * HOUR_MS, day = created / DAY_MS * DAY_MS;
	const char *slang = col_text(r, s, C_SLANG, &rc);
	const char *channel = col_text(r, s, C_CHANNEL, &rc);

	if (rc)
		return rc;
	if (!slang || !channel)
		return STORE_LOG_ROLLUP_SQL;   /* NOT NULL columns: never */
	if (kind == STORE_MSG_CUSTOMER) {
		r->cust[r->n_cust++] = (struct customer){ sqlite3_column_int64(s, C_ID),
			sqlite3_column_int64(s, C_SESSION), hour, slang, channel };
		return 0;
	}
	if (kind == STORE_MSG_OPERATOR)
		return count(r, R_HOURS, hour, 0, slang, channel, 2);
	/* a bot reply */
	const char *own;
	int fallback;

	if ((rc = reply_meta(r, s, &own, &fallback)))
		return rc;
	const char *lang = own ? own : slang;
	int64_t to = sqlite3_column_int64(s, C_REPLY_TO);

	if (sqlite3_column_type(s, C_REPLY_TO) == SQLITE_INTEGER && to > r->lo && to <= r->hi &&
	    !r->reply_lang[to - r->lo - 1])
		r->reply_lang[to - r->lo - 1] = own ? own : no_lang;
	if ((rc = count(r, R_HOURS, hour, 0, lang, channel, 1)))
		return rc;
	if (fallback &&
	    (rc = count(r, R_HOURS, hour, 0, lang, channel, 3)))
		return rc;
	if (sqlite3_column_type(s, C_BUCKET) != SQLITE_NULL) {
		if (sqlite3_column_type(s, C_BUCKET) != SQLITE_INTEGER)
			return STORE_LOG_ROLLUP_SQL;
		if ((rc = count(r, R_LATENCY, day, sqlite3_column_int64(s, C_BUCKET), lang,
				channel, 0)))
			return rc;
	}
	if (sqlite3_column_type(s, C_ANSWER) != SQLITE_NULL) {
		if (sqlite3_column_type(s, C_ANSWER) != SQLITE_INTEGER)
			return STORE_LOG_ROLLUP_SQL;
		if ((rc = count(r, R_ANSWERS, day, sqlite3_column_int64(s, C_ANSWER), lang,
				channel, 0)))
			return rc;
	}
	return 0;
}

static int scan_row(void *arg, sqlite3_stmt *s)
{
	return take_row(arg, s);
}

/* Whether a reply below the range answers a message in it (then the scan's replies
 * may not be the first ones). */
static int forward_refs(struct rollup *r, int *any)
{
	sqlite3_stmt *s = store_stmt(r->st, SQ_LOG_ROLLUP_FORWARD);
	int64_t v = 0;
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, r->lo);
	sqlite3_bind_int64(s, 2, r->hi);
	rc = store_stmt_int64(r->st, s, "indexing the log", &v);
	*any = v != 0;
	return rc;
}

/* Counts each customer message under its language. */
static int count_customers(struct rollup *r)
{
	sqlite3_stmt *s = NULL;
	int any, rc = forward_refs(r, &any);

	for (size_t i = 0; rc == 0 && i < r->n_cust; i++) {
		struct customer *c = &r->cust[i];
		const char *lang = any ? NULL : r->reply_lang[c->id - r->lo - 1];

		if (lang) {
			lang = lang == no_lang ? c->slang : lang;
		} else {
			if (!s && !(s = store_stmt(r->st, SQ_LOG_ROLLUP_CUSTOMER)))
				return -SQLITE_ERROR;
			sqlite3_bind_int64(s, 1, c->id);
			sqlite3_bind_int64(s, 2, c->session);
			store_bind_static(s, 3, c->slang);
			if ((rc = store_step_one(r->st, s, "indexing the log")) == 0)
				lang = col_text(r, s, 0, &rc);
			store_stmt_done(s);
			if (rc)
				break;
			if (!lang)
				lang = c->slang;   /* never: the session's language is NOT NULL */
		}
		rc = count(r, R_HOURS, c->hour, 0, lang, c->channel, 0);
	}
	return rc;
}

/* One upsert per group. */
static int write_groups(struct rollup *r)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < r->cap; i++) {
		struct group *g = &r->g[i];
		if (g->rollup < 0)
			continue;
		sqlite3_stmt *s = store_stmt(r->st, upsert_sql[g->rollup]);
		if (!s) {
			rc = -SQLITE_ERROR;
			break;
		}
		sqlite3_bind_int64(s, 1, g->t);
		store_bind_static(s, 2, g->lang);   /* stepped and cleared before they go */
		store_bind_static(s, 3, g->channel);
		if (g->rollup == R_HOURS) {
			for (int k = 0; k < 4; k++)
				sqlite3_bind_int64(s, 4 + k, g->n[k]);
		} else {
			sqlite3_bind_int64(s, 4, g->x);
			sqlite3_bind_int64(s, 5, g->n[0]);
		}
		rc = store_step_write(r->st, s, "indexing the log");
	}
	return rc;
}

int store_log_rollup(struct store *st, int64_t lo, int64_t hi)
{
	struct rollup r = { .st = st, .lo = lo, .hi = hi };
	size_t n = (size_t)(hi - lo);
	sqlite3_stmt *s;
	int rc;

	r.reply_lang = calloc(n, sizeof *r.reply_lang);
	r.cust = malloc(n * sizeof *r.cust);
	if (!r.reply_lang || !r.cust || grow(&r)) {
		rc = -SQLITE_NOMEM;
		goto out;
	}
	if (!(s = store_stmt(st, SQ_LOG_ROLLUP_SCAN))) {
		rc = -SQLITE_ERROR;
		goto out;
	}
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	rc = store_rows(st, s, "indexing the log", scan_row, &r);   /* resets s */
	if (rc == 0 && (rc = count_customers(&r)) == 0)
		rc = write_groups(&r);
out:
	for (size_t i = 0; i < r.n_strs; i++)
		free(r.strs[i]);
	free(r.strs);
	free(r.g);
	free(r.reply_lang);
	free(r.cust);
	return rc;
}
