/* api/conversations.c — the console's inbox routes: the conversation list (filters,
 * counts, waiting times), one conversation's transcript, full-text search, private
 * notes, canned replies (the answer store searched by words) and the attachments of
 * customers' messages (voice clips, pictures) as authenticated downloads.  The store
 * builds the JSON (store/conversations.c); these handlers read the query, check it,
 * add what depends on the clock (waiting_s), take customers' personal data out
 * (redact_view.c) and answer.  api.c has authenticated the
 * caller, checked the role and the body before a handler runs.  Runs on the calling
 * (API worker) thread with its store connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "log.h"

#define LIST_MAX 200
#define CANNED_MAX 50

/* ---- the query string -------------------------------------------------------------------- */

static int hexval(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Decodes s[0..n) (%XX and '+') into out (outlen bytes); -1 if malformed or too long. */
static int url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (ch == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return -1;
			ch = hi * 16 + lo;
			i += 2;
		} else if (ch == '+') {
			ch = ' ';
		}
		if (ch == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

int api_query_parse(struct api_call *c, struct api_qparam *params)
{
	const char *q = c->req->query;

	for (struct api_qparam *p = params; p->name; p++)
		p->value[0] = '\0', p->present = 0;
	while (q && *q) {
		const char *amp = strchr(q, '&'), *eq = strchr(q, '=');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		struct api_qparam *p;

		if (len == 0) {
			q = amp ? amp + 1 : NULL;
			continue;
		}
		if (!eq || eq > q + len)
			return api_error(c, 400, "bad_query", "query parameters are name=value"), -1;
		size_t nlen = (size_t)(eq - q);
		for (p = params; p->name; p++)
			if (strlen(p->name) == nlen && !strncmp(q, p->name, nlen))
				break;
		if (!p->name)
			return api_error(c, 400, "unknown_field", "unknown query parameter %.*s",
					 (int)(nlen > 40 ? 40 : nlen), q), -1;
		if (url_decode(eq + 1, len - nlen - 1, p->value, sizeof p->value))
			return api_error(c, 400, "bad_query", "%s: bad URL encoding or too long",
					 p->name), -1;
		p->present = 1;
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* The integer value of p within [min, max] into *v (default kept when absent); -1
 * after answering bad_query. */
int api_qint(struct api_call *c, const struct api_qparam *p, int64_t min, int64_t max,
		int64_t *v)
{
	char *end;
	long long x;

	if (!p->present)
		return 0;
	errno = 0;
	x = strtoll(p->value, &end, 10);
	if (errno || end == p->value || *end || x < min || x > max)
		return api_error(c, 400, "bad_query", "%s must be a number from %lld to %lld",
				 p->name, (long long)min, (long long)max), -1;
	*v = x;
	return 0;
}

/* A boolean parameter: "1"/"true" or "0"/"false". */
int api_qbool(struct api_call *c, const struct api_qparam *p, int *v)
{
	if (!p->present)
		return 0;
	if (!strcmp(p->value, "1") || !strcmp(p->value, "true"))
		*v = 1;
	else if (!strcmp(p->value, "0") || !strcmp(p->value, "false"))
		*v = 0;
	else
		return api_error(c, 400, "bad_query", "%s must be 1 or 0", p->name), -1;
	return 0;
}

/* 1 if v is one of the NULL-terminated words. */
static int one_of(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(v, *words))
			return 1;
	return 0;
}

/* ---- helpers -------------------------------------------------------------------------- */

static double low_below(const struct api_call *c)
{
	return c->ctx->low_confidence > 0 ? c->ctx->low_confidence : 0.5;
}

/* Answers a store result: < 0 internal (logged), STORE_NOT_FOUND 404.  Returns 0. */
int api_store_error(struct api_call *c, int rc, const char *what)
{
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "no such %s", what);
	if (rc == STORE_INVALID)
		return api_error(c, 400, "invalid_value", "%s", store_errmsg(c->ctx->st));
	LOG_ERR("%s: %s", what, store_errmsg(c->ctx->st));
	return api_error(c, 500, "internal", "the store failed");
}

/* Parses the store's JSON text (freed here); NULL on failure (logged). */
json_t *api_take_json(char *text)
{
	json_error_t e;
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, &e) : NULL;

	if (text && !j)
		LOG_ERR("store JSON: %s", e.text);
	free(text);
	return j;
}

/* Adds waiting_s (whole seconds since the open hand-off was asked) to a conversation. */
static void add_waiting(json_t *conv, int64_t now_ms)
{
	json_t *since = json_object_get(conv, "waiting_since_ms");

	json_object_set_new(conv, "waiting_s", json_is_integer(since)
			    ? json_integer((now_ms - json_integer_value(since)) / 1000)
			    : json_null());
}

/* ---- routes ------------------------------------------------------------------------------ */

int api_h_conversations(struct api_call *c)
{
	static const char *const statuses[] = { "waiting", "open", "resolved", "mine", "all",
						NULL };
	struct api_qparam qp[] = {
		{ .name = "status" }, { .name = "low_confidence" }, { .name = "thumbs_down" },
		{ .name = "lang" }, { .name = "channel" }, { .name = "q" }, { .name = "before" },
		{ .name = "limit" }, { .name = NULL },
	};
	struct store_conv_filter f = { .operator_id = c->who.operator_id,
				       .low_below = low_below(c) };
	int64_t before = 0, limit = 50, now = auth_now_ms(c->ctx->auth);
	char *list = NULL, *counts = NULL;
	json_t *jl, *jc;
	int rc;

	if (api_query_parse(c, qp) || api_qbool(c, &qp[1], &f.low_confidence) ||
	    api_qbool(c, &qp[2], &f.thumbs_down) || api_qint(c, &qp[6], 0, INT64_MAX / 2, &before) ||
	    api_qint(c, &qp[7], 1, LIST_MAX, &limit))
		return 0;
	if (qp[0].present && !one_of(qp[0].value, statuses))
		return api_error(c, 400, "bad_query",
				 "status is waiting, open, resolved, mine or all");
	f.status = qp[0].present && strcmp(qp[0].value, "all") ? qp[0].value : NULL;
	f.lang = qp[3].present && qp[3].value[0] ? qp[3].value : NULL;
	f.channel = qp[4].present && qp[4].value[0] ? qp[4].value : NULL;
	f.q = qp[5].present && qp[5].value[0] ? qp[5].value : NULL;
	f.before_ms = before;
	f.limit = (int)limit;
	if ((rc = store_conversations_json(c->ctx->st, &f, &list)) ||
	    (rc = store_conversation_counts_json(c->ctx->st, c->who.operator_id, f.low_below,
						 &counts))) {
		free(list);
		return api_store_error(c, rc, "conversation");
	}
	jl = api_take_json(list);
	jc = api_take_json(counts);
	if (!json_is_array(jl) || !json_is_object(jc)) {
		json_decref(jl);
		json_decref(jc);
		return api_error(c, 500, "internal", "the store's answer was not JSON");
	}
	for (size_t i = 0; i < json_array_size(jl); i++)
		add_waiting(json_array_get(jl, i), now);
	api_redact_list(jl);
	return api_reply(c, 200, json_pack("{s:o, s:o, s:I}", "conversations", jl, "counts", jc,
					   "now_ms", (json_int_t)now));
}

int api_h_conversation(struct api_call *c)
{
	char *text = NULL;
	int rc = store_conversation_json(c->ctx->st, c->path_id, low_below(c), &text);
	json_t *j;

	if (rc)
		return api_store_error(c, rc, "conversation");
	j = api_take_json(text);
	if (!json_is_object(j)) {
		json_decref(j);
		return api_error(c, 500, "internal", "the store's answer was not JSON");
	}
	add_waiting(json_object_get(j, "conversation"), auth_now_ms(c->ctx->auth));
	api_redact_conversation(j);
	return api_reply(c, 200, j);
}

int api_h_search(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "q" }, { .name = "limit" }, { .name = NULL } };
	int64_t limit = 50;
	char *text = NULL;
	json_t *j;
	int rc;

	if (api_query_parse(c, qp) || api_qint(c, &qp[1], 1, LIST_MAX, &limit))
		return 0;
	if (!qp[0].value[0])
		return api_error(c, 400, "bad_query", "q (the words to find) is required");
	if ((rc = store_search_json(c->ctx->st, qp[0].value, (int)limit, &text)))
		return api_store_error(c, rc, "message");
	j = api_take_json(text);
	if (!json_is_array(j)) {
		json_decref(j);
		return api_error(c, 500, "internal", "the store's answer was not JSON");
	}
	api_redact_hits(j);
	return api_reply(c, 200, json_pack("{s:s, s:o}", "q", qp[0].value, "hits", j));
}

int api_h_note_add(struct api_call *c)
{
	const char *text = api_body_str(c, "text");
	int64_t now = auth_now_ms(c->ctx->auth), id = 0;
	struct auth_actor by = api_actor(c);
	char obj[48], *changes;
	json_t *ch;
	int rc;

	rc = store_note_add(c->ctx->st, c->path_id, c->who.operator_id, c->who.login,
			    c->who.name, text, now, &id);
	if (rc)
		return api_store_error(c, rc, "conversation");
	snprintf(obj, sizeof obj, "conversation:%lld", (long long)c->path_id);
	ch = json_pack("{s:I}", "note", (json_int_t)id);
	changes = ch ? json_dumps(ch, JSON_COMPACT) : NULL;
	json_decref(ch);
	auth_audit(c->ctx->auth, c->ctx->st, &by, "note.add", obj, changes);
	free(changes);
	return api_reply(c, 201, json_pack("{s:{s:I, s:s, s:I, s:{s:I, s:s, s:s}}}", "note",
					   "id", (json_int_t)id, "text", text, "created_ms",
					   (json_int_t)now, "operator", "id",
					   (json_int_t)c->who.operator_id, "login", c->who.login,
					   "name", c->who.name));
}

/* ---- canned replies: the answer store searched by words ----------------------------------- */

struct canned {
	const char *q, *lang;
	json_t *title_hits, *body_hits;
	int n;
};

/* Case-insensitive (ASCII) substring test; other scripts compare exactly. */
static int contains(const char *hay, const char *needle)
{
	return !needle[0] || strcasestr(hay ? hay : "", needle) != NULL;
}

static int canned_cb(void *arg, const struct store_answer *a)
{
	struct canned *k = arg;
	int in_title, in_body;

	if (!a->enabled || (k->lang && strcmp(k->lang, a->lang ? a->lang : "")))
		return 0;
	in_title = contains(a->title, k->q);
	in_body = !in_title && contains(a->body, k->q);
	if (!in_title && !in_body)
		return 0;
	return json_array_append_new(in_title ? k->title_hits : k->body_hits,
				      json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)a->id,
						"title", a->title, "body", a->body, "lang",
						a->lang ? a->lang : ""));
}

int api_h_canned(struct api_call *c)
{
	struct api_qparam qp[] = { { .name = "q" }, { .name = "lang" }, { .name = "limit" },
				   { .name = NULL } };
	int64_t limit = 20;
	struct canned k = { 0 };
	json_t *out;
	int rc;

	if (api_query_parse(c, qp) || api_qint(c, &qp[2], 1, CANNED_MAX, &limit))
		return 0;
	k.q = qp[0].value;
	k.lang = qp[1].value[0] ? qp[1].value : NULL;
	k.title_hits = json_array();
	k.body_hits = json_array();
	if (!k.title_hits || !k.body_hits ||
	    (rc = store_answers_foreach(c->ctx->st, canned_cb, &k))) {
		json_decref(k.title_hits);
		json_decref(k.body_hits);
		return api_store_error(c, -1, "answer");
	}
	/* answers whose title holds the words first, then those whose body does */
	json_array_extend(k.title_hits, k.body_hits);
	json_decref(k.body_hits);
	out = json_array();
	for (size_t i = 0; out && i < json_array_size(k.title_hits) && i < (size_t)limit; i++)
		json_array_append(out, json_array_get(k.title_hits, i));
	json_decref(k.title_hits);
	return api_reply(c, 200, out ? json_pack("{s:o}", "answers", out) : NULL);
}

/* ---- attachments ----------------------------------------------------------------------- */

/* The type an attachment is served with: the announced one when it is a picture or
 * sound type the console plays, else application/octet-stream (with nosniff and a
 * sandbox CSP, nothing a customer uploads runs in the console's origin). */
static const char *safe_type(const char *kind, const char *mime)
{
	static const char *const ok[] = {
		"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif",
		"audio/wav", "audio/x-wav", "audio/wave", "audio/webm", "audio/ogg",
		"audio/mpeg", "audio/mp4", "audio/flac", NULL,
	};
	char base[64];

	snprintf(base, sizeof base, "%s", mime ? mime : "");
	base[strcspn(base, "; ")] = '\0';
	for (const char *const *t = ok; *t; t++)
		if (!strcasecmp(base, *t))
			return *t;
	(void)kind;
	return "application/octet-stream";
}

static const char *ext_of(const char *type)
{
	const char *slash = strchr(type, '/');

	if (!strcmp(type, "application/octet-stream"))
		return "bin";
	if (!strncmp(slash + 1, "x-", 2))
		return slash + 3;
	return slash + 1;
}

int api_h_attachment(struct api_call *c)
{
	struct store_attachment a;
	int rc = store_attachment_get(c->ctx->st, c->path_id, &a);
	const char *type;

	if (rc)
		return api_store_error(c, rc, "attachment");
	type = safe_type(a.kind, a.mime);
	free(c->res->body);
	c->res->status = 200;
	c->res->body = a.data;            /* moves */
	c->res->body_len = a.len;
	a.data = NULL;
	snprintf(c->res->content_type, sizeof c->res->content_type, "%s", type);
	snprintf(c->res->disposition, sizeof c->res->disposition,
		 "inline; filename=\"%s-%lld.%s\"", a.kind && !strcmp(a.kind, "audio")
		 ? "voice" : "picture", (long long)a.id, ext_of(type));
	store_attachment_clear(&a);
	return 0;
}
