/* store/webhooks.c — the rows of outgoing webhooks: the endpoints admins configure
 * (webhooks) and the outbox / delivery log (webhook_deliveries), schema: the reports
 * step in migrate.c.  Triggers put one delivery per subscribed endpoint in the outbox
 * in the transaction of the change it reports (a hand-off asked, a conversation
 * resolved, a thumbs-down); kefud's sender (daemon/webhooks.c) takes due ones, stores
 * the payload it built at the first attempt and records each attempt here.  The
 * signing secret arrives sealed (webhooks/wh.h): the store never sees it in clear.
 *
 * Statements are prepared per call.  Runs on the thread that owns the connection (an
 * API worker, the sender thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define prep(st, sql) store_prep(st, sql, "preparing a webhook statement")

static const char *const events[] = { STORE_WEBHOOK_EVENTS, NULL };

/* 0 if list is a comma-separated, non-empty set of known event names. */
static int check_events(struct store *st, const char *list)
{
	const char *p = list;

	if (!list || !*list)
		return store_invalid(st, "events: name at least one of handoff.requested, "
				     "conversation.resolved, feedback.negative");
	while (*p) {
		size_t n = strcspn(p, ","), i;
		for (i = 0; events[i]; i++)
			if (strlen(events[i]) == n && !strncmp(p, events[i], n))
				break;
		if (!events[i])
			return store_invalid(st, "events: unknown event \"%.*s\"",
					     (int)(n > 40 ? 40 : n), p);
		p += n;
		if (*p == ',' && *++p == '\0')
			return store_invalid(st, "events: a trailing comma");
	}
	return 0;
}

/* 0 if url is http:// or https:// with a host, no spaces or controls, short enough. */
static int check_url(struct store *st, const char *url)
{
	size_t n = url ? strlen(url) : 0;
	const char *host;

	if (n == 0 || n > STORE_WEBHOOK_URL_MAX)
		return store_invalid(st, "url: 1 to %d bytes", STORE_WEBHOOK_URL_MAX);
	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		return store_invalid(st, "url: must start with http:// or https://");
	if (!*host || *host == '/' || *host == ':')
		return store_invalid(st, "url: no host");
	for (const unsigned char *c = (const unsigned char *)url; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return store_invalid(st, "url: spaces and control characters are not allowed");
	return 0;
}

int store_webhook_add(struct store *st, const char *url, const char *event_list,
		      const void *sealed, size_t sealed_len, const char *created_by,
		      int64_t now_ms, int64_t *id_out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = check_url(st, url)) || (rc = check_events(st, event_list)))
		return rc;
	if (!sealed || !sealed_len)
		return store_invalid(st, "no sealed secret");
	if (!(s = prep(st, "INSERT INTO webhooks (url, events, secret_sealed, created_ms,"
		       " created_by) VALUES (?1, ?2, ?3, ?4, ?5)")))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, url);
	store_bind_text(s, 2, event_list);
	sqlite3_bind_blob(s, 3, sealed, (int)sealed_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, now_ms);
	store_bind_text(s, 5, created_by ? created_by : "");
	rc = store_step_write(st, s, "adding a webhook");
	sqlite3_finalize(s);
	if (rc == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return rc;
}

void store_webhook_clear(struct store_webhook *w)
{
	free(w->url);
	free(w->events);
	free(w->sealed);
	memset(w, 0, sizeof *w);
}

int store_webhook_get(struct store *st, int64_t id, struct store_webhook *out)
{
	sqlite3_stmt *s = prep(st, "SELECT id, url, events, secret_sealed, enabled FROM webhooks"
			       " WHERE id = ?1");
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_one(st, s, "reading a webhook");
	if (rc == 0) {
		int n = sqlite3_column_bytes(s, 3);
		out->id = sqlite3_column_int64(s, 0);
		out->url = store_col_dup(s, 1, 1);
		out->events = store_col_dup(s, 2, 1);
		out->sealed = malloc(n > 0 ? (size_t)n : 1);
		out->sealed_len = (size_t)n;
		out->enabled = sqlite3_column_int(s, 4);
		if (out->sealed && n > 0)
			memcpy(out->sealed, sqlite3_column_blob(s, 3), (size_t)n);
		rc = out->url && out->events && out->sealed ? 0 : -SQLITE_NOMEM;
		if (rc)
			store_webhook_clear(out);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Runs a one-row write on webhook id; STORE_NOT_FOUND if it changed nothing. */
static int write_one(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return -SQLITE_ERROR;
	rc = store_step_write(st, s, what);
	sqlite3_finalize(s);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return rc;
}

int store_webhook_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM webhooks WHERE id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return write_one(st, s, "deleting a webhook");
}

int store_webhook_set_enabled(struct store *st, int64_t id, int enabled)
{
	sqlite3_stmt *s = prep(st, "UPDATE webhooks SET enabled = ?2 WHERE id = ?1");

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, enabled != 0);
	}
	return write_one(st, s, "enabling a webhook");
}

#define HOOK_ITEM \
	"json_object('id', w.id, 'url', w.url, 'events', json('[\"' ||" \
	" replace(w.events, ',', '\",\"') || '\"]'), 'enabled', json(iif(w.enabled, 'true'," \
	" 'false')), 'created_ms', w.created_ms, 'created_by', w.created_by," \
	" 'pending', (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id" \
	"  AND d.state = 'pending')," \
	" 'delivered', (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id" \
	"  AND d.state = 'delivered')," \
	" 'failed', (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id" \
	"  AND d.state = 'failed'))"

int store_webhooks_json(struct store *st, char **out)
{
	return store_one_text(st, prep(st, "SELECT json_group_array(json(x)) FROM (SELECT "
				      HOOK_ITEM " AS x FROM webhooks w ORDER BY w.id)"),
			      "listing webhooks", "[]", out);
}

int store_webhook_json(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s = prep(st, "SELECT " HOOK_ITEM " FROM webhooks w WHERE w.id = ?1");

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return store_one_text(st, s, "reading a webhook", "{}", out);
}

int store_webhook_deliveries_json(struct store *st, int64_t webhook_id, int limit, char **out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT json_group_array(json(x)) FROM (SELECT json_object('id', d.id,"
		" 'webhook_id', d.webhook_id, 'msg_id', d.msg_id, 'event', d.event,"
		" 'conversation_id', d.session_id, 'state', d.state, 'attempts', d.attempts,"
		" 'next_ms', CASE WHEN d.state = 'pending' THEN d.next_ms END,"
		" 'last_status', d.last_status, 'last_error', d.last_error,"
		" 'created_ms', d.created_ms, 'delivered_ms', d.delivered_ms) AS x"
		" FROM webhook_deliveries d WHERE (?1 = 0 OR d.webhook_id = ?1)"
		" ORDER BY d.id DESC LIMIT ?2)");

	if (s) {
		sqlite3_bind_int64(s, 1, webhook_id);
		sqlite3_bind_int(s, 2, limit > 0 ? limit : 50);
	}
	return store_one_text(st, s, "listing webhook deliveries", "[]", out);
}

/* ---- the sender's side -------------------------------------------------------------------- */

void store_delivery_clear(struct store_delivery *d)
{
	free(d->msg_id);
	free(d->event);
	free(d->payload);
	memset(d, 0, sizeof *d);
}

int store_delivery_due(struct store *st, int64_t now_ms, struct store_delivery *out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT d.id, d.webhook_id, d.msg_id, d.event, d.session_id, d.ref_id, d.payload,"
		" d.attempts, d.created_ms FROM webhook_deliveries d"
		" WHERE d.state = 'pending' AND d.next_ms <= ?1 ORDER BY d.next_ms, d.id LIMIT 1");
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return -SQLITE_ERROR;
	sqlite3_bind_int64(s, 1, now_ms);
	rc = store_step_one(st, s, "reading due deliveries");
	if (rc == 0) {
		out->id = sqlite3_column_int64(s, 0);
		out->webhook_id = sqlite3_column_int64(s, 1);
		out->msg_id = store_col_dup(s, 2, 1);
		out->event = store_col_dup(s, 3, 1);
		out->session_id = sqlite3_column_int64(s, 4);
		out->ref_id = sqlite3_column_int64(s, 5);
		out->payload = store_col_dup(s, 6, 0);
		out->attempts = sqlite3_column_int(s, 7);
		out->created_ms = sqlite3_column_int64(s, 8);
		rc = out->msg_id && out->event ? 0 : -SQLITE_NOMEM;
		if (rc)
			store_delivery_clear(out);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_delivery_next_ms(struct store *st, int64_t *next_out)
{
	return store_one_int64(st, prep(st, "SELECT min(next_ms) FROM webhook_deliveries"
					" WHERE state = 'pending' HAVING count(*) > 0"),
			       "reading the next delivery", next_out);
}

int store_delivery_set_payload(struct store *st, int64_t id, const char *payload)
{
	sqlite3_stmt *s = prep(st, "UPDATE webhook_deliveries SET payload = ?2 WHERE id = ?1");

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		store_bind_text(s, 2, payload);
	}
	return write_one(st, s, "storing a webhook payload");
}

int store_delivery_attempted(struct store *st, int64_t id, int status, const char *error,
			     int64_t retry_at_ms, int64_t now_ms)
{
	sqlite3_stmt *s = prep(st,
		"UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?2,"
		" last_error = substr(?3, 1, 300),"
		" state = CASE WHEN ?2 BETWEEN 200 AND 299 THEN 'delivered'"
		"  WHEN ?4 > 0 THEN 'pending' ELSE 'failed' END,"
		" next_ms = CASE WHEN ?4 > 0 THEN ?4 ELSE next_ms END,"
		" delivered_ms = CASE WHEN ?2 BETWEEN 200 AND 299 THEN ?5 END WHERE id = ?1");

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		if (status > 0)
			sqlite3_bind_int(s, 2, status);
		else
			sqlite3_bind_null(s, 2);
		store_bind_text(s, 3, error ? error : "");
		sqlite3_bind_int64(s, 4, retry_at_ms);
		sqlite3_bind_int64(s, 5, now_ms);
	}
	return write_one(st, s, "recording a webhook attempt");
}

int store_delivery_facts_json(struct store *st, const struct store_delivery *d, char **out)
{
	sqlite3_stmt *s = prep(st,
		"SELECT json_object('conversation', json_object('id', s.id,"
		"  'channel', CASE s.channel WHEN 'ws' THEN 'widget' ELSE s.channel END,"
		"  'lang', s.lang, 'state', s.state, 'created_ms', s.created_ms,"
		"  'resolved_ms', s.resolved_ms, 'assignee', json((SELECT json_object('id', o.id,"
		"   'login', o.login, 'name', o.name) FROM operators o WHERE o.id = s.operator_id))),"
		" 'handoff', json(CASE WHEN ?2 = 'handoff.requested' THEN (SELECT json_object("
		"  'id', h.id, 'reason', h.reason, 'requested_ms', h.requested_ms)"
		"  FROM handoffs h WHERE h.id = ?3) END),"
		" 'feedback', json(CASE WHEN ?2 = 'feedback.negative' THEN (SELECT json_object("
		"  'message_id', m.id, 'answer_id', nullif(m.answer_id, 0),"
		"  'answer_title', (SELECT a.title FROM answers a WHERE a.id = m.answer_id),"
		"  'reply', m.text, 'question', (SELECT c.text FROM messages c WHERE c.id = m.reply_to),"
		"  'created_ms', f.created_ms)"
		"  FROM messages m JOIN feedback f ON f.message_id = m.id WHERE m.id = ?3) END))"
		" FROM sessions s WHERE s.id = ?1");

	if (s) {
		sqlite3_bind_int64(s, 1, d->session_id);
		store_bind_text(s, 2, d->event);
		sqlite3_bind_int64(s, 3, d->ref_id);
	}
	return store_one_text(st, s, "reading a webhook's facts", "{}", out);
}

const char *store_db_path(struct store *st)
{
	const char *p = sqlite3_db_filename(st->db, "main");
	return p ? p : "";
}
