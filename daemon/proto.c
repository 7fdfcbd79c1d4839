/* daemon/proto.c — parsing client frames and building server frames (see proto.h and
 * docs/protocol.md).  Pure functions; any thread.  jansson's json_t values made here
 * never leave the calling thread: frames are serialised before they are handed on.
 */
#include "proto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonw.h"
#include "utf8.h"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0"
#endif

/* Compact, UTF-8 as is, 4 significant digits for confidences. */
#define KD_REAL_PRECISION 4
#define KD_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(KD_REAL_PRECISION))

static const char *const err_names[KD_E_COUNT] = {
	[KD_E_INVALID_JSON] = "invalid_json",
	[KD_E_INVALID_UTF8] = "invalid_utf8",
	[KD_E_UNKNOWN_TYPE] = "unknown_type",
	[KD_E_MISSING_FIELD] = "missing_field",
	[KD_E_TEXT_TOO_LONG] = "text_too_long",
	[KD_E_EMPTY_TEXT] = "empty_text",
	[KD_E_FRAME_TOO_LARGE] = "frame_too_large",
	[KD_E_UNSUPPORTED_FRAME] = "unsupported_frame",
	[KD_E_RATE_LIMITED] = "rate_limited",
	[KD_E_BUSY] = "busy",
	[KD_E_UNKNOWN_SESSION] = "unknown_session",
	[KD_E_INTERNAL] = "internal",
	[KD_E_UNSUPPORTED_AUDIO] = "unsupported_audio",
	[KD_E_AUDIO_TOO_LONG] = "audio_too_long",
	[KD_E_AUDIO_TOO_LARGE] = "audio_too_large",
	[KD_E_CORRUPT_AUDIO] = "corrupt_audio",
	[KD_E_EMPTY_AUDIO] = "empty_audio",
	[KD_E_NO_SPEECH] = "no_speech",
	[KD_E_UNSUPPORTED_IMAGE] = "unsupported_image",
	[KD_E_IMAGE_TOO_LARGE] = "image_too_large",
	[KD_E_CORRUPT_IMAGE] = "corrupt_image",
	[KD_E_UPLOAD_TOO_LARGE] = "upload_too_large",
	[KD_E_UPLOAD_EXPECTED] = "upload_expected",
	[KD_E_UNKNOWN_MESSAGE] = "unknown_message",
	[KD_E_INVALID_VALUE] = "invalid_value",
	[KD_E_STORAGE_FULL] = "storage_full",
	[KD_E_QUOTA_EXCEEDED] = "quota_exceeded",
	[KD_E_TOO_MANY_CONNECTIONS] = "too_many_connections",
	[KD_E_TOO_MANY_SESSIONS] = "too_many_sessions",
};

const char *kd_err_name(enum kd_err e)
{
	return (unsigned)e < KD_E_COUNT ? err_names[e] : "internal";
}

/* ---- frames ------------------------------------------------------------------------ */

/* A frame being serialised into: the frame itself grows (header, LWS_PRE headroom,
 * payload), so the finished JSON needs no second buffer and no copy. */
struct grow {
	struct kd_frame *f;
	size_t len, cap;    /* payload bytes, payload capacity */
	int oom;
};

#define GROW_FIRST 512      /* a reply frame fits: one allocation for most frames */

static int grow_put(const char *s, size_t n, void *arg)
{
	struct grow *g = arg;

	if (g->len + n > g->cap) {
		size_t cap = cm_grow_cap(g->cap, g->len + n, GROW_FIRST, 1);
		struct kd_frame *f = cap && cap < SIZE_MAX - sizeof *f - LWS_PRE
					     ? realloc(g->f, sizeof *f + LWS_PRE + cap) : NULL;
		if (!f) {
			g->oom = 1;
			return -1;
		}
		g->f = f;
		g->cap = cap;
	}
	memcpy(KD_FRAME_PAYLOAD(g->f) + g->len, s, n);
	g->len += n;
	return 0;
}

struct kd_frame *kd_frame_from_json(const json_t *j)
{
	struct grow g = { 0 };

	if (!j || json_dump_callback(j, grow_put, &g, KD_JSON_FLAGS) || g.oom || !g.f) {
		free(g.f);
		return NULL;
	}
	g.f->next = NULL;
	g.f->len = g.len;
	g.f->binary = 0;
	return g.f;
}

struct kd_frame *kd_frame_binary(const void *data, size_t len)
{
	struct kd_frame *f = malloc(sizeof *f + LWS_PRE + len);

	if (f) {
		f->next = NULL;
		f->len = len;
		f->binary = 1;
		if (len)
			memcpy(f->buf + LWS_PRE, data, len);
	}
	return f;
}

void kd_frame_free(struct kd_frame *f)
{
	free(f);
}

void kd_frame_free_list(struct kd_frame *f)
{
	while (f) {
		struct kd_frame *next = f->next;
		free(f);
		f = next;
	}
}

/* Serialises and releases j (a new reference, may be NULL). */
static struct kd_frame *frame_take(json_t *j)
{
	struct kd_frame *f = kd_frame_from_json(j);

	json_decref(j);
	return f;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

struct kd_frame *kd_frame_error(enum kd_err code, const char *id, const char *msg)
{
	return frame_take(json_pack("{s:s, s:o, s:s, s:s}", "type", "error",
				    "id", str_or_null(id), "code", kd_err_name(code),
				    "message", msg ? msg : kd_err_name(code)));
}

struct kd_frame *kd_frame_error_retry(enum kd_err code, const char *id, const char *msg,
				      int retry_after)
{
	return frame_take(json_pack("{s:s, s:o, s:s, s:s, s:i}", "type", "error",
				    "id", str_or_null(id), "code", kd_err_name(code),
				    "message", msg ? msg : kd_err_name(code),
				    "retry_after", retry_after));
}

struct kd_frame *kd_frame_pong(void)
{
	return frame_take(json_pack("{s:s}", "type", "pong"));
}

struct kd_frame *kd_frame_welcome(const char *token, const char *greeting)
{
	return frame_take(json_pack("{s:s, s:s, s:b, s:s, s:s}", "type", "welcome",
				    "session", token, "resumed", 0, "text", greeting,
				    "server", "kefu/" KEFU_VERSION));
}

/* ---- the reply to a turn, written directly (kd_reply_build) ------------------------ */

/* One field of the reply's meta: its key and its value as JSON text. */
struct field {
	const char *key;
	const char *val;
	size_t len;
};

#define META_MAX 16   /* the fields kd_reply_build writes, and room for extra's */

/* The field named key in f[0..n), or NULL. */
static struct field *field_find(struct field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

/* Records the value vals wrote since offset from as field key (its text is pointed to
 * once vals stops growing: fields_point). */
static void field_add(struct field *f, size_t *n, size_t *off, const struct cm_buf *vals,
		      const char *key, size_t from)
{
	off[*n] = from;
	f[*n] = (struct field){ key, NULL, vals->len - from };
	(*n)++;
}

static void fields_point(struct field *f, size_t n, const size_t *off, const struct cm_buf *vals)
{
	for (size_t i = 0; i < n; i++)
		f[i].val = vals->p + off[i];
}

/* The frame being written: a cm_buf whose first bytes are the frame's header and
 * LWS_PRE headroom, so the finished text is the frame's payload with no copy. */
#define FRAME_HEAD (offsetof(struct kd_frame, buf) + LWS_PRE)

static struct kd_frame *frame_finish(struct cm_buf *b)
{
	struct kd_frame *f = (struct kd_frame *)(void *)b->p;

	if (b->oom || !f) {
		free(b->p);
		return NULL;
	}
	f->next = NULL;
	f->len = b->len - FRAME_HEAD;
	f->binary = 0;
	return f;
}

int kd_reply_build(const struct pol_reply *r, const char *client_id, const json_t *extra,
		   struct kd_frame **frame, char **meta)
{
	/* the frame carries these meta fields, in this order (the logged reply's too:
	 * kd_frame_reply's add_meta) */
	static const char *const frame_keys[] = { "title", "fallback", "lang", "quick_replies",
						  "refused", "why", "entity" };
	static const char zero[FRAME_HEAD];
	struct cm_buf vals = { 0 }, m = { 0 }, fb = { 0 };
	struct field f[META_MAX];
	char *dumped[META_MAX];
	size_t n = 0, n_dumped = 0, at, off[META_MAX];
	const char *key;
	json_t *v;

	*frame = NULL;
	*meta = NULL;
	cm_buf_reserve(&vals, 384);      /* a reply's fields fit, most often */
	at = vals.len;
	cm_jw_str(&vals, r->title);
	field_add(f, &n, off, &vals, "title", at);
	at = vals.len;
	cm_jw_bool(&vals, r->fallback);
	field_add(f, &n, off, &vals, "fallback", at);
	at = vals.len;
	cm_jw_str(&vals, r->lang ? r->lang : "");
	field_add(f, &n, off, &vals, "lang", at);
	at = vals.len;
	cm_buf_str(&vals, "[");
	for (int i = 0; i < r->n_quick && i < POL_MAX_QUICK; i++) {
		cm_buf_str(&vals, i ? ",{" : "{");
		cm_jw_key(&vals, "answer_id");
		if (r->quick[i].answer_id > 0)
			cm_jw_int(&vals, r->quick[i].answer_id);
		else
			cm_buf_str(&vals, "null");
		cm_buf_str(&vals, ",");
		cm_jw_key(&vals, "title");
		cm_jw_str(&vals, r->quick[i].title ? r->quick[i].title : "");
		cm_buf_str(&vals, "}");
	}
	cm_buf_str(&vals, "]");
	field_add(f, &n, off, &vals, "quick_replies", at);
	at = vals.len;
	cm_jw_str(&vals, client_id);
	field_add(f, &n, off, &vals, "client_id", at);
	at = vals.len;
	cm_jw_str(&vals, r->why_name ? r->why_name : pol_why_name(r->why));
	field_add(f, &n, off, &vals, "why", at);
	if (r->refused) {
		at = vals.len;
		cm_jw_str(&vals, r->refused);
		field_add(f, &n, off, &vals, "refused", at);
	}
	if (vals.oom || !vals.p)
		goto fail;
	fields_point(f, n, off, &vals);
	/* extra adds or replaces fields (json_object_update's order: a new key last) */
	json_object_foreach((json_t *)extra, key, v) {
		struct field *old = field_find(f, n, key);
		char *text = json_dumps(v, JSON_ENCODE_ANY | KD_JSON_FLAGS);
		if (!text || (!old && n == META_MAX)) {
			free(text);
			goto fail;
		}
		dumped[n_dumped++] = text;
		if (!old)
			old = &f[n++];
		*old = (struct field){ key, text, strlen(text) };
	}
	cm_buf_reserve(&m, vals.len + 128);
	cm_buf_str(&m, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			cm_buf_str(&m, ",");
		cm_jw_key(&m, f[i].key);
		cm_buf_add(&m, f[i].val, f[i].len);
	}
	cm_buf_str(&m, "}");

	cm_buf_reserve(&fb, sizeof zero + m.len + (r->text ? strlen(r->text) : 0) + 192);
	cm_buf_add(&fb, zero, sizeof zero);
	cm_buf_str(&fb, "{\"type\":\"reply\",\"id\":");
	cm_jw_str(&fb, client_id);
	cm_buf_str(&fb, ",\"text\":");
	cm_jw_str(&fb, r->text ? r->text : "");
	cm_buf_str(&fb, ",\"answer_id\":");
	if (r->answer_id > 0)
		cm_jw_int(&fb, r->answer_id);
	else
		cm_buf_str(&fb, "null");
	cm_buf_str(&fb, ",\"confidence\":");
	cm_jw_real(&fb, r->confidence, KD_REAL_PRECISION);
	for (size_t k = 0; k < sizeof frame_keys / sizeof *frame_keys; k++) {
		const struct field *x = field_find(f, n, frame_keys[k]);
		if (!x)
			continue;
		cm_buf_str(&fb, ",");
		cm_jw_key(&fb, x->key);
		cm_buf_add(&fb, x->val, x->len);
	}
	cm_buf_str(&fb, "}");
	if (m.oom || !(*frame = frame_finish(&fb)))
		goto fail;
	*meta = m.p;
	m.p = NULL;
fail:
	for (size_t i = 0; i < n_dumped; i++)
		free(dumped[i]);
	free(vals.p);
	free(m.p);
	return *frame ? 0 : -1;
}

/* Copies the meta fields into obj, with neutral values for missing ones. */
static void add_meta(json_t *obj, const json_t *meta)
{
	static const char *const keys[] = { "title", "fallback", "lang", "quick_replies",
					    "refused", "why", "entity" };
	json_t *v;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = meta ? json_object_get(meta, keys[i]) : NULL;
		if (v)
			json_object_set(obj, keys[i], v);
	}
	if (!json_object_get(obj, "title"))
		json_object_set_new(obj, "title", json_null());
	if (!json_object_get(obj, "fallback"))
		json_object_set_new(obj, "fallback", json_false());
	if (!json_object_get(obj, "quick_replies"))
		json_object_set_new(obj, "quick_replies", json_array());
}

static json_t *answer_id_json(int64_t answer_id)
{
	return answer_id > 0 ? json_integer((json_int_t)answer_id) : json_null();
}

struct kd_frame *kd_frame_reply(const char *id, const char *text, int64_t answer_id,
				double confidence, const json_t *meta)
{
	json_t *j = json_pack("{s:s, s:o, s:s, s:o, s:f}", "type", "reply",
			      "id", str_or_null(id), "text", text ? text : "",
			      "answer_id", answer_id_json(answer_id), "confidence", confidence);

	if (!j)
		return NULL;
	add_meta(j, meta);
	return frame_take(j);
}

static json_t *meta_parse(const char *meta)
{
	json_t *j;

	if (!meta)
		return NULL;
	j = json_loads(meta, 0, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

struct kd_frame *kd_frame_reply_logged(const char *id, const struct store_message *m)
{
	json_t *meta = meta_parse(m->meta);
	struct kd_frame *f = kd_frame_reply(id, m->text, m->answer_id, m->confidence, meta);

	json_decref(meta);
	return f;
}

json_t *kd_history_item(const struct store_message *m, const char *turn_id)
{
	static const char *const from[] = { "customer", "bot", "operator", "system" };
	const char *who = m->kind >= 0 && m->kind <= 3 ? from[m->kind] : "system";
	const char *id = m->kind == STORE_MSG_CUSTOMER ? m->client_id : turn_id;
	json_t *meta = m->kind == STORE_MSG_CUSTOMER ? NULL : meta_parse(m->meta);
	json_t *cid = meta ? json_object_get(meta, "client_id") : NULL;
	json_t *j;

	if (json_is_string(cid))
		id = json_string_value(cid);
	j = json_pack("{s:s, s:o, s:s, s:I}", "from", who, "id", str_or_null(id),
		      "text", m->text ? m->text : "", "ts", (json_int_t)m->created_ms);
	if (j && (m->kind == STORE_MSG_BOT || m->kind == STORE_MSG_OPERATOR)) {
		json_object_set_new(j, "answer_id", answer_id_json(m->answer_id));
		if (m->kind == STORE_MSG_BOT) {
			json_object_set_new(j, "confidence", json_real(m->confidence));
			add_meta(j, meta);
		}
	}
	json_decref(meta);
	return j;
}

struct kd_frame *kd_frame_history(const char *token, json_t *messages, int before)
{
	if (before > 0)          /* older messages exist: hello with "before" pages back */
		return frame_take(json_pack("{s:s, s:s, s:b, s:O, s:b, s:i}", "type",
					    "history", "session", token, "resumed", 1,
					    "messages", messages, "more", 1, "before", before));
	return frame_take(json_pack("{s:s, s:s, s:b, s:O}", "type", "history",
				    "session", token, "resumed", 1, "messages", messages));
}

/* ---- parsing ----------------------------------------------------------------------- */

static int fail(struct kd_req *r, enum kd_err e, const char *msg)
{
	free(r->text);
	r->text = NULL;
	free(r->data);
	r->data = NULL;
	r->err = e;
	r->err_msg = msg;
	return 1;
}

static int is_token(const char *s, size_t len)
{
	if (len != STORE_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Strict base64 (RFC 4648 alphabet, '=' padding optional, nothing else) into out, which
 * has room for 3 * (len / 4) + 2 bytes.  Returns the decoded length, or -1. */
static long b64_decode(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	long n = 0;

	while (len && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
			c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return bits >= 6 ? -1 : n;    /* one lone trailing character is not base64 */
}

/* {"type":"audio"|"image","id":..,"bytes":N | "data":"base64", "mime":..,
 *  "speak":bool (audio), "text":.. (image)} */
static int parse_upload(json_t *j, int type, int max_text, struct kd_req *r)
{
	json_t *id = json_object_get(j, "id");
	json_t *bytes = json_object_get(j, "bytes");
	json_t *data = json_object_get(j, "data");
	json_t *mime = json_object_get(j, "mime");
	json_t *speak = json_object_get(j, "speak");
	json_t *text = json_object_get(j, "text");

	r->type = type;
	if (!json_is_string(id))
		return fail(r, KD_E_MISSING_FIELD, "\"id\" (string) is required");
	if (!r->has_id)
		return fail(r, KD_E_MISSING_FIELD, "\"id\" must be 1 to 64 characters");
	if ((bytes != NULL) == (data != NULL))
		return fail(r, KD_E_MISSING_FIELD,
			    "an upload needs either \"bytes\" (a binary message follows) or "
			    "\"data\" (base64)");
	if (mime && !json_is_string(mime))
		return fail(r, KD_E_MISSING_FIELD, "\"mime\" must be a string");
	if (mime)
		snprintf(r->mime, sizeof r->mime, "%s", json_string_value(mime));
	if (speak && !json_is_boolean(speak))
		return fail(r, KD_E_MISSING_FIELD, "\"speak\" must be true or false");
	r->speak = type == KD_REQ_AUDIO && json_is_true(speak);
	if (text && type == KD_REQ_IMAGE) {
		const char *s;
		size_t n;

		if (!json_is_string(text))
			return fail(r, KD_E_MISSING_FIELD, "\"text\" must be a string");
		s = json_string_value(text);
		n = json_string_length(text);
		if (cm_utf8_count(s, n) > (size_t)max_text)
			return fail(r, KD_E_TEXT_TOO_LONG,
				    "\"text\" is longer than max_text characters");
		if (!cm_utf8_blank(s, n)) {
			r->text = malloc(n + 1);
			if (!r->text)
				return fail(r, KD_E_INTERNAL, "out of memory");
			memcpy(r->text, s, n + 1);
			r->text_len = n;
		}
	}
	if (bytes) {
		if (!json_is_integer(bytes) || json_integer_value(bytes) < 0)
			return fail(r, KD_E_MISSING_FIELD,
				    "\"bytes\" must be a non-negative integer");
		r->has_bytes = 1;
		r->bytes = (size_t)json_integer_value(bytes);
		return 0;
	}
	if (!json_is_string(data))
		return fail(r, KD_E_MISSING_FIELD, "\"data\" must be a base64 string");
	size_t n = json_string_length(data);
	r->data = malloc(3 * (n / 4) + 3);
	if (!r->data)
		return fail(r, KD_E_INTERNAL, "out of memory");
	long got = b64_decode(json_string_value(data), n, r->data);
	if (got < 0)
		return fail(r, KD_E_MISSING_FIELD, "\"data\" is not valid base64");
	r->data_len = (size_t)got;
	return 0;
}

/* ---- feedback frames ------------------------------------------------------------- */

/* Optional string field name of j into r->text (bounded by max_text code points). */
static int take_text(json_t *j, const char *name, int max_text, struct kd_req *r)
{
	json_t *v = json_object_get(j, name);
	size_t n;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(r, KD_E_MISSING_FIELD, "comment/reason must be a string");
	n = json_string_length(v);
	if (cm_utf8_count(json_string_value(v), n) > (size_t)max_text)
		return fail(r, KD_E_TEXT_TOO_LONG, "the text is longer than max_text characters");
	r->text = malloc(n + 1);
	if (!r->text)
		return fail(r, KD_E_INTERNAL, "out of memory");
	memcpy(r->text, json_string_value(v), n + 1);
	r->text_len = n;
	return 0;
}

/* 1 when s looks like an e-mail address: 3..254 bytes, one '@' inside, no space or
 * control character (the operator reads it; nothing is sent to it). */
static int email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	if (n < 3 || n > 254 || !at || at == s || at == s + n - 1 || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* 1 when s looks like a phone number a person can dial: 5..32 bytes of digits, spaces
 * and + - . ( ), with 5 to 20 digits. */
static int phone_ok(const char *s, size_t n)
{
	size_t digits = 0;

	if (n < 5 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!strchr(" +-.()", s[i]))
			return 0;
	}
	return digits >= 5 && digits <= 20;
}

/* 1 when s is a name to greet someone by: 1..100 characters, not blank, no control
 * character (valid UTF-8: checked with the frame). */
static int name_ok(const char *s, size_t n)
{
	if (cm_utf8_blank(s, n) || cm_utf8_count(s, n) > 100)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The contact of a leave_message ("email", "phone", "name", each optional, null as
 * absent) checked into a JSON object of those given; NULL with r's error set. */
static json_t *leave_contact(json_t *j, struct kd_req *r)
{
	static const struct {
		const char *key;
		int (*ok)(const char *s, size_t n);
		const char *msg;
	} fields[] = {
		{ "email", email_ok, "\"email\" must be an e-mail address (or absent)" },
		{ "phone", phone_ok, "\"phone\" must be a phone number: digits, spaces and + - . ( ) "
				     "(or absent)" },
		{ "name", name_ok, "\"name\" must be 1 to 100 characters (or absent)" },
	};
	json_t *c = json_object();

	for (size_t i = 0; c && i < sizeof fields / sizeof *fields; i++) {
		json_t *v = json_object_get(j, fields[i].key);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_string(v) || !fields[i].ok(json_string_value(v), json_string_length(v))) {
			json_decref(c);
			fail(r, KD_E_INVALID_VALUE, fields[i].msg);
			return NULL;
		}
		json_object_set(c, fields[i].key, v);
	}
	if (!c)
		fail(r, KD_E_INTERNAL, "out of memory");
	return c;
}

/* {"type": "typing", "on": bool} and {"type": "leave_message", "id", "text", "email"?,
 * "phone"?, "name"?}, the customer frames of a take-over (ops.c acts on them): -1 not
 * such a type, 0 parsed, 1 error set (leave_message: r->text the text, r->data the
 * contact given as JSON text, e.g. {"email":"…","name":"…"}, or NULL when none). */
static int parse_ops_frame(json_t *j, const char *type, int max_text, struct kd_req *r)
{
	if (!strcmp(type, "typing")) {
		json_t *on = json_object_get(j, "on");
		r->type = KD_REQ_TYPING;
		if (!json_is_boolean(on))
			return fail(r, KD_E_MISSING_FIELD, "\"on\" (true or false) is required");
		r->value = json_is_true(on);
		return 0;
	}
	if (!strcmp(type, "leave_message")) {
		json_t *text = json_object_get(j, "text"), *contact;
		size_t n;

		r->type = KD_REQ_LEAVE_MESSAGE;
		if (!r->has_id)
			return fail(r, KD_E_MISSING_FIELD,
					  "\"id\" (string of 1 to 64 characters) is required");
		if (!json_is_string(text))
			return fail(r, KD_E_MISSING_FIELD, "\"text\" (string) is required");
		n = json_string_length(text);
		if (cm_utf8_count(json_string_value(text), n) > (size_t)max_text)
			return fail(r, KD_E_TEXT_TOO_LONG,
					  "\"text\" is longer than max_text characters");
		if (cm_utf8_blank(json_string_value(text), n))
			return fail(r, KD_E_EMPTY_TEXT, "\"text\" is empty");
		if (!(contact = leave_contact(j, r)))
			return 1;
		if (json_object_size(contact) &&
		    !(r->data = (unsigned char *)json_dumps(contact, JSON_COMPACT))) {
			json_decref(contact);
			return fail(r, KD_E_INTERNAL, "out of memory");
		}
		json_decref(contact);
		r->data_len = r->data ? strlen((char *)r->data) : 0;
		if (!(r->text = strdup(json_string_value(text))))
			return fail(r, KD_E_INTERNAL, "out of memory");   /* frees r->data */
		r->text_len = n;
		return 0;
	}
	return -1;
}

/* If type names a feedback frame (feedback, rating, handoff: docs/protocol.md
 * "People"), parses object j into r and returns 0 (r->text, the comment or reason, is
 * malloc'd or NULL) or 1 with r->err/err_msg set (nothing left to free).  Returns -1,
 * touching nothing, for any other type.  max_text bounds the comment and reason in code
 * points. */
static int parse_feedback(json_t *j, const char *type, int max_text, struct kd_req *r)
{
	json_t *id = json_object_get(j, "id");

	if (!strcmp(type, "feedback"))
		r->type = KD_REQ_FEEDBACK;
	else if (!strcmp(type, "rating"))
		r->type = KD_REQ_RATING;
	else if (!strcmp(type, "handoff"))
		r->type = KD_REQ_HANDOFF;
	else
		return -1;
	if (!json_is_string(id) || !r->has_id)
		return fail(r, KD_E_MISSING_FIELD, "\"id\" (string of 1 to 64 characters) is required");

	if (r->type == KD_REQ_FEEDBACK) {
		json_t *msg = json_object_get(j, "message");
		json_t *val = json_object_get(j, "value");
		size_t n = json_is_string(msg) ? json_string_length(msg) : 0;
		size_t cp = n ? cm_utf8_count(json_string_value(msg), n) : 0;

		if (!json_is_string(msg) || n > KD_ID_BYTES || cp < 1 || cp > KD_ID_MAX)
			return fail(r, KD_E_MISSING_FIELD,
				    "\"message\" (the rated message's id) is required");
		if (!json_is_integer(val))
			return fail(r, KD_E_MISSING_FIELD, "\"value\" (1 or -1) is required");
		if (json_integer_value(val) != 1 && json_integer_value(val) != -1)
			return fail(r, KD_E_INVALID_VALUE, "\"value\" must be 1 or -1");
		memcpy(r->ref, json_string_value(msg), n + 1);
		r->value = (int)json_integer_value(val);
		return 0;
	}
	if (r->type == KD_REQ_RATING) {
		json_t *stars = json_object_get(j, "stars");

		if (!json_is_integer(stars))
			return fail(r, KD_E_MISSING_FIELD, "\"stars\" (1 to 5) is required");
		if (json_integer_value(stars) < 1 || json_integer_value(stars) > 5)
			return fail(r, KD_E_INVALID_VALUE, "\"stars\" must be 1 to 5");
		r->value = (int)json_integer_value(stars);
		return take_text(j, "comment", max_text, r);
	}
	return take_text(j, "reason", max_text, r);
}

static int parse_obj(json_t *j, int max_text, struct kd_req *r)
{
	json_t *type = json_object_get(j, "type");
	json_t *id = json_object_get(j, "id");
	const char *t;

	if (json_is_string(id)) {
		size_t n = json_string_length(id);
		size_t cp = cm_utf8_count(json_string_value(id), n);
		if (n <= KD_ID_BYTES && cp >= 1 && cp <= KD_ID_MAX) {
			memcpy(r->id, json_string_value(id), n + 1);
			r->has_id = 1;
		}
	}
	if (!json_is_string(type))
		return fail(r, KD_E_UNKNOWN_TYPE, "\"type\" is missing or not a string");
	t = json_string_value(type);

	if (!strcmp(t, "ping")) {
		r->type = KD_REQ_PING;
		return 0;
	}
	if (!strcmp(t, "hello")) {
		json_t *s = json_object_get(j, "session");
		r->type = KD_REQ_HELLO;
		if (!json_is_string(s))
			return fail(r, KD_E_MISSING_FIELD, "\"session\" (string) is required");
		if (!is_token(json_string_value(s), json_string_length(s)))
			return fail(r, KD_E_UNKNOWN_SESSION, "no session has this token");
		memcpy(r->token, json_string_value(s), STORE_TOKEN_LEN + 1);
		s = json_object_get(j, "before");       /* paging: skip this many newest */
		if (s && (!json_is_integer(s) || json_integer_value(s) < 0 ||
			  json_integer_value(s) > 1000000))
			return fail(r, KD_E_INVALID_VALUE,
				    "\"before\" must be a count of messages (0 or more)");
		r->value = s ? (int)json_integer_value(s) : 0;
		return 0;
	}
	if (!strcmp(t, "message")) {
		json_t *text = json_object_get(j, "text");
		const char *s;
		size_t n;

		r->type = KD_REQ_MESSAGE;
		if (!json_is_string(id))
			return fail(r, KD_E_MISSING_FIELD, "\"id\" (string) is required");
		if (!r->has_id)
			return fail(r, KD_E_MISSING_FIELD, "\"id\" must be 1 to 64 characters");
		if (!json_is_string(text))
			return fail(r, KD_E_MISSING_FIELD, "\"text\" (string) is required");
		s = json_string_value(text);
		n = json_string_length(text);
		if (cm_utf8_count(s, n) > (size_t)max_text)
			return fail(r, KD_E_TEXT_TOO_LONG, "\"text\" is longer than max_text characters");
		if (cm_utf8_blank(s, n))
			return fail(r, KD_E_EMPTY_TEXT, "\"text\" is empty");
		r->text = malloc(n + 1);
		if (!r->text)
			return fail(r, KD_E_INTERNAL, "out of memory");
		memcpy(r->text, s, n + 1);
		r->text_len = n;
		return 0;
	}
	if (!strcmp(t, "audio") || !strcmp(t, "image"))
		return parse_upload(j, !strcmp(t, "audio") ? KD_REQ_AUDIO : KD_REQ_IMAGE,
				    max_text, r);
	int ops = parse_ops_frame(j, t, max_text, r);   /* typing, leave_message (ops.c) */
	if (ops >= 0)
		return ops;
	int fb = parse_feedback(j, t, max_text, r);   /* feedback, rating, handoff */
	if (fb >= 0)
		return fb;
	return fail(r, KD_E_UNKNOWN_TYPE, "unknown \"type\"");
}

/* 1 if a string anywhere in j (keys included) holds U+0000. */
static int has_nul(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!j)
		return 0;
	if (json_is_string(j))
		return strlen(json_string_value(j)) != json_string_length(j);
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_nul(v))
				return 1;
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (has_nul(v))
				return 1;
	}
	return 0;
}

static int parse_frame(const char *buf, size_t len, int max_text, struct kd_req *out,
		       int direct)
{
	json_error_t jerr;
	json_t *j;
	int rc;

	memset(out, 0, sizeof *out);
	if (!cm_utf8_valid(buf, len))
		return fail(out, KD_E_INVALID_UTF8, "the frame is not valid UTF-8");
	/* most frames are typed messages: read without a JSON tree (proto_msg.c), which
	 * declines anything it cannot answer exactly as the path below would */
	if (direct && kd_proto_parse_message(buf, len, max_text, out))
		return 0;
	/* valid JSON that kefu cannot take gets invalid_value, not invalid_json: a number
	 * beyond a double (1e999999) and U+0000 inside a string (texts are C strings) */
	j = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
	if (!j && json_error_code(&jerr) == json_error_numeric_overflow)
		return fail(out, KD_E_INVALID_VALUE, "a number in the frame is out of range");
	if (!j)
		return fail(out, KD_E_INVALID_JSON, "the frame is not valid JSON");
	if (!json_is_object(j)) {
		json_decref(j);
		return fail(out, KD_E_INVALID_JSON, "the frame is not a JSON object");
	}
	rc = parse_obj(j, max_text, out);      /* first, so the error can carry the id */
	if (has_nul(j)) {
		rc = fail(out, KD_E_INVALID_VALUE, "strings must not contain U+0000");
		if (has_nul(json_object_get(j, "id")))
			out->has_id = 0;           /* an id with U+0000 is not echoed */
	}
	json_decref(j);
	return rc;
}

int kd_proto_parse(const char *buf, size_t len, int max_text, struct kd_req *out)
{
	return parse_frame(buf, len, max_text, out, 1);
}

int kd_proto_parse_json(const char *buf, size_t len, int max_text, struct kd_req *out)
{
	return parse_frame(buf, len, max_text, out, 0);
}

void kd_req_clear(struct kd_req *r)
{
	free(r->text);
	r->text = NULL;
	free(r->data);
	r->data = NULL;
}
