/* daemon/test_daemon.c — unit tests of the pieces of kefud that need no server:
 * frame parsing and validation (every error code the parser owns), server frames,
 * the sid registry, per-connection queues and rate limit, the metrics text, upload
 * headers and buffers, the review thread's read of a reply's meta. */
#include <assert.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "proto.h"
#include "review_meta.h"
#include "session.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

/* Parses s (given length, may hold NULs) and returns the error code or -1 if ok. */
static int parse_err(const char *s, size_t len, int max_text, struct kd_req *r)
{
	int rc = kd_proto_parse(s, len, max_text, r);
	return rc ? (int)r->err : -1;
}

static int perr(const char *s, int max_text)
{
	struct kd_req r;
	int e = parse_err(s, strlen(s), max_text, &r);
	kd_req_clear(&r);
	return e;
}

static void test_parse(void)
{
	struct kd_req r;

	{
		const char *m = "{\"type\":\"message\",\"id\":\"c1\",\"text\":\"I lost my card\"}";
		CHECK(parse_err(m, strlen(m), 100, &r) == -1);
	}
	CHECK(r.type == KD_REQ_MESSAGE && !strcmp(r.id, "c1") &&
	      !strcmp(r.text, "I lost my card") && r.text_len == 14);
	kd_req_clear(&r);

	CHECK(perr("{\"type\":\"ping\"}", 100) == -1);
	CHECK(perr("{\"type\":\"hello\",\"session\":\"0123456789abcdef0123456789abcdef\"}", 9) == -1);
	CHECK(perr("{\"type\":\"hello\",\"session\":\"nope\"}", 9) == KD_E_UNKNOWN_SESSION);
	CHECK(perr("{\"type\":\"hello\"}", 9) == KD_E_MISSING_FIELD);

	CHECK(perr("not json", 100) == KD_E_INVALID_JSON);
	CHECK(perr("[1,2]", 100) == KD_E_INVALID_JSON);
	CHECK(perr("\"message\"", 100) == KD_E_INVALID_JSON);
	CHECK(perr("{\"type\":\"message\",", 100) == KD_E_INVALID_JSON);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"\xff\"}", 100) == KD_E_INVALID_UTF8);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"\xed\xa0\x80\"}", 100) ==
	      KD_E_INVALID_UTF8);                               /* encoded surrogate */
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"\xc0\xaf\"}", 100) ==
	      KD_E_INVALID_UTF8);                               /* overlong */
	{
		static const char nul[] = "{\"type\":\"ping\"}\0";
		CHECK(parse_err(nul, sizeof nul - 1, 100, &r) == KD_E_INVALID_UTF8);
	}
	CHECK(perr("{\"id\":\"a\"}", 100) == KD_E_UNKNOWN_TYPE);
	CHECK(perr("{\"type\":7}", 100) == KD_E_UNKNOWN_TYPE);
	CHECK(perr("{\"type\":\"dance\"}", 100) == KD_E_UNKNOWN_TYPE);
	CHECK(perr("{\"type\":\"message\",\"text\":\"hi\"}", 100) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"message\",\"id\":5,\"text\":\"hi\"}", 100) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"message\",\"id\":\"\",\"text\":\"hi\"}", 100) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\"}", 100) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":null}", 100) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"\"}", 100) == KD_E_EMPTY_TEXT);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\" \\t\\n\xe3\x80\x80\"}", 100) ==
	      KD_E_EMPTY_TEXT);                                 /* incl. U+3000 */
	/* max_text counts characters, not bytes: 3 CJK characters = 9 bytes */
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"我的卡\"}", 3) == -1);
	CHECK(perr("{\"type\":\"message\",\"id\":\"a\",\"text\":\"我的卡丢\"}", 3) ==
	      KD_E_TEXT_TOO_LONG);

	/* the id is echoed when readable, also on errors */
	{
		const char *e = "{\"type\":\"message\",\"id\":\"c-9\",\"text\":\"\"}";
		CHECK(parse_err(e, strlen(e), 100, &r) == KD_E_EMPTY_TEXT);
	}
	CHECK(r.has_id && !strcmp(r.id, "c-9"));
	{
		char big[200];
		snprintf(big, sizeof big, "{\"type\":\"message\",\"id\":\"%065d\",\"text\":\"x\"}", 0);
		CHECK(parse_err(big, strlen(big), 100, &r) == KD_E_MISSING_FIELD);
		CHECK(!r.has_id);
	}
}

/* 1 if both parsers gave the same answer for s[0..len): kd_proto_parse (the direct parser
 * of a typed message first) and kd_proto_parse_json (jansson only). */
static int same_parse(const char *s, size_t len, int max_text)
{
	struct kd_req a, b;
	int ra = kd_proto_parse(s, len, max_text, &a);
	int rb = kd_proto_parse_json(s, len, max_text, &b);
	int same = ra == rb && a.type == b.type && a.has_id == b.has_id &&
		   !strcmp(a.id, b.id) && a.text_len == b.text_len && !a.text == !b.text &&
		   (!a.text || !memcmp(a.text, b.text, a.text_len + 1));

	if (ra && rb)
		same = same && a.err == b.err && !strcmp(a.err_msg, b.err_msg);
	if (!same)
		fprintf(stderr, "parsers differ on %.*s\n", (int)len, s);
	kd_req_clear(&a);
	kd_req_clear(&b);
	return same;
}

/* Does the direct parser take s (1) or leave it to jansson (0)? */
static int direct_takes(const char *s, int max_text)
{
	struct kd_req r;
	int took = kd_proto_parse_message(s, strlen(s), max_text, &r);
	kd_req_clear(&r);
	return took;
}

/* The direct parser of a typed message (proto_msg.c): what it takes it reads as jansson
 * does, what it declines gets jansson's stable error code; also over random mutations. */
/* Copies base into buf (of cap bytes) with `changes` random byte changes, cuts and
 * insertions of JSON's bytes; its length (not NUL-terminated). */
static size_t mutate(char *buf, size_t cap, const char *base, size_t changes, unsigned *seed)
{
	static const char bytes[] = "{}[]\",:\\u0dD8aA \t\x01\xc3\xa9\xe4";
	size_t n = strlen(base);

	memcpy(buf, base, n);
	for (size_t k = 0; k < changes; k++) {
		*seed = *seed * 1103515245u + 12345u;
		size_t at = (*seed >> 8) % n;
		char c = bytes[(*seed >> 20) % (sizeof bytes - 1)];
		switch ((*seed >> 4) % 3) {
		case 0: buf[at] = c; break;
		case 1: n = at + 1; break;
		default:
			if (n + 1 < cap) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = c;
				n++;
			}
		}
	}
	return n;
}

static void test_parse_direct(void)
{
	static const char *const taken[] = {
		"{\"type\":\"message\",\"id\":\"c1\",\"text\":\"I lost my card\"}",
		" {\r\n\t\"text\" : \"hi\" , \"id\":\"x\",\"type\":\"message\" } \n",
		"{\"type\":\"message\",\"id\":\"a\\\"b\",\"text\":\"q\\\\ \\/ \\b\\f\\n\\r\\t\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\u00e9\\u4e2d\\ud83d\\ude00x\"}",
		"{\"type\":\"message\",\"id\":\"\\u6211\",\"text\":\"我的卡 \x7f\"}",
		"{\"type\":\"mess\\u0061ge\",\"id\":\"a\",\"text\":\"hi\"}",
	};
	/* another key, duplicates, U+0000, lone surrogates, unknown escapes, a control
	 * character, trailing bytes, cut frames, refused by the checks (max_text 3 here),
	 * an escape in a key, not a message */
	static const char *const declined[] = {
		"{\"type\":\"ping\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\",\"x\":1}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\",\"text\":\"ho\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"id\":\"b\",\"text\":\"hi\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"a\\u0000b\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\ud800\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\udc00x\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\ud800\\u0041\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\x\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"\\u12g4\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"a\tb\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\"} x",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\"}{}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\",}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\"",
		"{\"type\":\"message\",\"id\":\"\",\"text\":\"hi\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"  \"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"abcd\"}",
		"{\"type\":\"message\",\"id\":7,\"text\":\"hi\"}",
		"{\"type\":\"messages\",\"id\":\"a\",\"text\":\"hi\"}",
		"{\"ty\\u0070e\":\"message\",\"id\":\"a\",\"text\":\"hi\"}",
		"{\"type\":\"message\",\"id\":\"a\",\"text\":\"hi\"",
		"[\"type\",\"message\"]",
		"",
	};
	char buf[400];
	unsigned seed = 12345;
	size_t i;

	for (i = 0; i < sizeof taken / sizeof *taken; i++) {
		CHECK(direct_takes(taken[i], 3000));
		CHECK(same_parse(taken[i], strlen(taken[i]), 3000));
	}
	for (i = 0; i < sizeof declined / sizeof *declined; i++) {
		CHECK(!direct_takes(declined[i], 3));
		CHECK(same_parse(declined[i], strlen(declined[i]), 3));
	}
	{       /* a decoded id of more than KD_ID_BYTES: declined, then missing_field */
		char big[KD_ID_BYTES * 2];
		size_t n = (size_t)snprintf(big, sizeof big,
					    "{\"type\":\"message\",\"id\":\"");
		for (i = 0; i < 60; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "\xf0\x9f\x98\x80x");
		snprintf(big + n, sizeof big - n, "\",\"text\":\"hi\"}");
		CHECK(!direct_takes(big, 100) && same_parse(big, strlen(big), 100));
	}
	{       /* a text of escapes is held in a block of its size, not the frame's
		 * (the memory budget charges text_len) */
		static char esc[200 + 6 * 1000];
		struct kd_req q;
		size_t n = (size_t)snprintf(esc, sizeof esc,
					    "{\"type\":\"message\",\"id\":\"a\",\"text\":\"");
		for (i = 0; i < 1000; i++)
			n += (size_t)snprintf(esc + n, sizeof esc - n, "\\u0041");
		snprintf(esc + n, sizeof esc - n, "\"}");
		CHECK(kd_proto_parse_message(esc, strlen(esc), 3000, &q) == 1 &&
		      q.text_len == 1000 && malloc_usable_size(q.text) < 1000 + 512);
		kd_req_clear(&q);
	}
	/* random byte changes, cuts and insertions of the frames above: same answers */
	for (int round = 0; round < 200000; round++) {
		const char *base = taken[round % (sizeof taken / sizeof *taken)];
		size_t n = mutate(buf, sizeof buf, base, 1 + (size_t)round % 3, &seed);
		if (!same_parse(buf, n, 3000 - round % 2 * 2995)) {
			CHECK(0);
			break;
		}
	}
}

static char *payload(struct kd_frame *f)
{
	char *s = malloc(f->len + 1);
	memcpy(s, KD_FRAME_PAYLOAD(f), f->len);
	s[f->len] = '\0';
	return s;
}

static void test_frames(void)
{
	struct kd_frame *f;
	json_t *j, *meta;
	char *s;
	struct pol_reply rep = {
		.answer_id = 12, .title = "Lost or stolen card", .text = "Call us **now**.",
		.confidence = 0.93, .fallback = 0, .n_quick = 1, .lang = "en",
		.quick = { { 12, "Lost or stolen card" } }, .why = POL_WHY_HEAD,
		.why_name = "category_head",
	};

	f = kd_frame_error(KD_E_BUSY, NULL, "later");
	s = payload(f);
	CHECK(!strcmp(s, "{\"type\":\"error\",\"id\":null,\"code\":\"busy\",\"message\":\"later\"}"));
	free(s);
	kd_frame_free(f);

	char *m = NULL;
	CHECK(kd_reply_build(&rep, "c-42", NULL, &f, &m) == 0 && f && m);
	s = payload(f);
	j = json_loads(s, 0, NULL);
	CHECK(j && !strcmp(json_string_value(json_object_get(j, "type")), "reply"));
	CHECK(!strcmp(json_string_value(json_object_get(j, "id")), "c-42"));
	CHECK(json_integer_value(json_object_get(j, "answer_id")) == 12);
	CHECK(!strcmp(json_string_value(json_object_get(j, "title")), "Lost or stolen card"));
	CHECK(json_is_false(json_object_get(j, "fallback")));
	CHECK(json_array_size(json_object_get(j, "quick_replies")) == 1);
	CHECK(strstr(s, "\"confidence\":0.93") != NULL);
	CHECK(!strcmp(json_string_value(json_object_get(j, "why")), "category_head"));
	CHECK(!json_object_get(j, "refused") && !json_object_get(j, "client_id"));
	json_decref(j);
	free(s);
	meta = json_loads(m, 0, NULL);
	CHECK(meta && !strcmp(json_string_value(json_object_get(meta, "client_id")), "c-42"));
	CHECK(json_is_false(json_object_get(meta, "fallback")) &&
	      !strcmp(json_string_value(json_object_get(meta, "lang")), "en"));

	/* a logged reply rebuilds to the same frame, byte for byte */
	{
		struct store_message sm = { .kind = STORE_MSG_BOT, .text = (char *)rep.text,
					    .answer_id = 12, .confidence = 0.93, .meta = m };
		struct kd_frame *b = kd_frame_reply_logged("c-42", &sm);
		CHECK(b && f->len == b->len &&
		      !memcmp(KD_FRAME_PAYLOAD(f), KD_FRAME_PAYLOAD(b), f->len));
		kd_frame_free(b);
		/* a history that starts at this reply still knows which message it answered */
		j = kd_history_item(&sm, NULL);
		CHECK(j && !strcmp(json_string_value(json_object_get(j, "id")), "c-42"));
		CHECK(!strcmp(json_string_value(json_object_get(j, "from")), "bot"));
		CHECK(json_integer_value(json_object_get(j, "answer_id")) == 12);
		CHECK(!json_object_get(j, "client_id"));
		json_decref(j);
	}
	kd_frame_free(f);
	free(m);
	json_decref(meta);

	/* the same with what needs escaping, a refusal, no answer, and an entity's extra
	 * fields (replaced and added): the meta reads back to the fields given, the frame
	 * rebuilds from it byte for byte */
	{
		struct pol_reply odd = {
			.answer_id = 0, .title = NULL, .text = "Say \"hi\"\n\\ 你好 \x01",
			.confidence = 0.000123456, .fallback = 1, .n_quick = 2, .lang = "zh",
			.quick = { { 0, "A \"quoted\" one" }, { 7, "第二" } }, .why = POL_WHY_HEAD,
			.refused = "unsafe",
		};
		json_t *extra = json_pack("{s:s, s:{s:s, s:s}, s:s}", "why", "entity_confirm",
					  "entity", "kind", "order", "value", "A773", "expects",
					  "order");
		struct kd_frame *g = NULL, *b;
		char *mm = NULL;
		CHECK(extra && kd_reply_build(&odd, NULL, extra, &g, &mm) == 0 && g && mm);
		json_t *mj = mm ? json_loads(mm, 0, NULL) : NULL;
		CHECK(mj && json_is_null(json_object_get(mj, "client_id")) &&
		      json_is_null(json_object_get(mj, "title")) &&
		      !strcmp(json_string_value(json_object_get(mj, "why")), "entity_confirm") &&
		      !strcmp(json_string_value(json_object_get(mj, "expects")), "order") &&
		      !strcmp(json_string_value(json_object_get(mj, "refused")), "unsafe") &&
		      json_equal(json_object_get(mj, "entity"), json_object_get(extra, "entity")) &&
		      !strcmp(json_string_value(json_object_get(json_array_get(
			      json_object_get(mj, "quick_replies"), 0), "title")), "A \"quoted\" one"));
		struct store_message sm = { .kind = STORE_MSG_BOT, .text = (char *)odd.text,
					    .answer_id = 0, .confidence = odd.confidence, .meta = mm };
		b = kd_frame_reply_logged(NULL, &sm);
		CHECK(g && b && g->len == b->len &&
		      !memcmp(KD_FRAME_PAYLOAD(g), KD_FRAME_PAYLOAD(b), g->len));
		s = g ? payload(g) : NULL;
		j = s ? json_loads(s, 0, NULL) : NULL;
		CHECK(j && !strcmp(json_string_value(json_object_get(j, "text")), odd.text) &&
		      json_is_null(json_object_get(j, "answer_id")) &&
		      json_object_get(j, "entity") && !json_object_get(j, "expects"));
		json_decref(j);
		free(s);
		/* text jansson would refuse fails the reply, as before */
		odd.text = "bad \xff";
		kd_frame_free(b);
		b = NULL;
		free(mm);
		mm = NULL;
		CHECK(kd_reply_build(&odd, "x", NULL, &b, &mm) == -1 && !b && !mm);
		kd_frame_free(g);
		json_decref(mj);
		json_decref(extra);
	}

	/* a fallback has answer_id null */
	f = kd_frame_reply("x", "Which one?", 0, 0.1, NULL);
	s = payload(f);
	CHECK(strstr(s, "\"answer_id\":null") && strstr(s, "\"fallback\":false"));
	free(s);
	kd_frame_free(f);

	f = kd_frame_welcome("0123456789abcdef0123456789abcdef", "你好");
	s = payload(f);
	CHECK(strstr(s, "\"type\":\"welcome\"") && strstr(s, "\"resumed\":false") &&
	      strstr(s, "你好"));
	free(s);
	kd_frame_free(f);
}

static void test_registry(void)
{
	struct kd_registry reg;
	struct kd_pss a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t sa;

	kd_registry_init(&reg);
	CHECK(kd_registry_add(&reg, &a) == 0 && kd_registry_add(&reg, &b) == 0);
	CHECK(a.sid && b.sid && a.sid != b.sid);
	CHECK(kd_registry_find(&reg, a.sid) == &a && kd_registry_find(&reg, b.sid) == &b);
	sa = a.sid;
	kd_registry_remove(&reg, &a);
	CHECK(kd_registry_find(&reg, sa) == NULL);
	CHECK(kd_registry_add(&reg, &c) == 0);      /* reuses a's slot, new generation */
	CHECK(c.sid != sa && (uint32_t)c.sid == (uint32_t)sa);
	CHECK(kd_registry_find(&reg, sa) == NULL && kd_registry_find(&reg, c.sid) == &c);
	for (int i = 0; i < 1000; i++) {            /* growth keeps old entries */
		struct kd_pss *p = calloc(1, sizeof *p);
		CHECK(kd_registry_add(&reg, p) == 0);
		CHECK(kd_registry_find(&reg, p->sid) == p);
		kd_registry_remove(&reg, p);
		free(p);
	}
	CHECK(kd_registry_find(&reg, b.sid) == &b);
	kd_registry_free(&reg);
}

static void test_pss(void)
{
	struct kd_pss p = { 0 };
	struct kd_job *j1 = kd_job_new(KD_JOB_MESSAGE, 1, 0), *j2 = kd_job_new(KD_JOB_HELLO, 1, 0);

	/* rate limit: 3 per window, a new window after 10 s */
	CHECK(kd_pss_rate_ok(&p, 1000, 3) && kd_pss_rate_ok(&p, 2000, 3) &&
	      kd_pss_rate_ok(&p, 3000, 3));
	CHECK(!kd_pss_rate_ok(&p, 4000, 3));
	CHECK(kd_pss_rate_ok(&p, 1000 + 10000000, 3));

	/* reassembly limit */
	CHECK(kd_pss_rx_append(&p, "abcd", 4, 6) == 0);
	CHECK(kd_pss_rx_append(&p, "efg", 3, 6) == 1);
	CHECK(p.rx_len == 4 && !memcmp(p.rx, "abcd", 4));
	kd_pss_rx_reset(&p);
	CHECK(p.rx_len == 0);

	/* backlog order, push_front for retries */
	kd_pss_backlog_push(&p, j1);
	kd_pss_backlog_push_front(&p, j2);
	CHECK(p.n_backlog == 2 && kd_pss_backlog_pop(&p) == j2 && kd_pss_backlog_pop(&p) == j1);
	CHECK(kd_pss_backlog_pop(&p) == NULL && p.backlog_tail == NULL);
	kd_pss_backlog_push(&p, j1);
	kd_pss_backlog_push(&p, j2);
	kd_pss_out_push(&p, kd_frame_pong());
	kd_pss_out_push(&p, kd_frame_pong());
	CHECK(p.n_out == 2);
	kd_pss_clear(&p);           /* frees jobs, frames and buffers */
	CHECK(p.n_backlog == 0 && p.n_out == 0 && !p.rx);
}

static void test_metrics(void)
{
	struct kd_metrics m;
	struct kd_gauges g = { .queue_depth = 3, .queue_cap = 10, .workers = 2,
			       .model = "bm25 \"x\"", .answers = 92, .event_loop = "libev" };
	size_t len;
	char *s;

	kd_metrics_init(&m);
	m.kinds[KD_K_REPLY] = 5;
	m.errors[KD_E_BUSY] = 2;
	cm_hist_observe(&m.latency, 0.0003);    /* first bucket */
	cm_hist_observe(&m.latency, 0.003);     /* le=0.005 */
	cm_hist_observe(&m.latency, 100);       /* +Inf only */
	cm_hist_observe(&m.stage[KD_ST_LOG], 0.015);   /* le=0.02 */
	cm_hist_observe(&m.stage[KD_ST_POST], 0.00005); /* the first bucket, 0.1 ms */
	s = kd_metrics_render(&m, &g, &len);
	CHECK(s && strlen(s) == len);
	CHECK(strstr(s, "kefu_messages_total{kind=\"reply\"} 5\n"));
	CHECK(strstr(s, "kefu_errors_total{code=\"busy\"} 2\n"));
	CHECK(strstr(s, "kefu_errors_total{code=\"invalid_json\"} 0\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_bucket{le=\"0.0005\"} 1\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_bucket{le=\"0.0025\"} 1\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_bucket{le=\"0.005\"} 2\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_bucket{le=\"10\"} 2\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
	CHECK(strstr(s, "kefu_reply_latency_seconds_count 3\n"));
	CHECK(strstr(s, "kefu_reply_stage_seconds_bucket{stage=\"log\",le=\"0.01\"} 0\n"));
	CHECK(strstr(s, "kefu_reply_stage_seconds_bucket{stage=\"log\",le=\"0.02\"} 1\n"));
	CHECK(strstr(s, "kefu_reply_stage_seconds_bucket{stage=\"post\",le=\"0.0001\"} 1\n"));
	CHECK(strstr(s, "kefu_reply_stage_seconds_count{stage=\"queue\"} 0\n"));
	CHECK(strstr(s, "# TYPE kefu_reply_stage_seconds histogram\n"));
	CHECK(strstr(s, "kefu_queue_depth 3\n"));
	CHECK(strstr(s, "# TYPE kefu_reply_latency_seconds histogram\n"));
	CHECK(strstr(s, "model=\"bm25 \\\"x\\\"\""));
	free(s);
}

/* Audio/image headers: both forms, strict base64, field types; upload buffers; binary
 * frames; the media metrics. */
static int same_meta(const char *meta)
{
	struct kd_reply_meta a, b;
	int same = 1;

	kd_reply_meta_jansson(meta, &a);
	if (kd_reply_meta_direct(meta, &b)) {
		same = a.fallback == b.fallback && a.did_you_say == b.did_you_say &&
		       a.refused == b.refused && a.n_quick == b.n_quick;
		kd_reply_meta_free(&b);
	}
	kd_reply_meta_free(&a);
	if (!same)
		fprintf(stderr, "meta read differently: %s\n", meta);
	return same;
}

/* The review thread's direct read of a reply's meta (review_meta.c) says what jansson
 * says, or declines. */
static void test_reply_meta(void)
{
	static const char *const taken[] = {
		"{\"title\":\"Change my PIN\",\"fallback\":false,\"lang\":\"en\",\"quick_replies\":[],"
		"\"client_id\":\"c5-0\",\"why\":\"words\"}",
		"{\"title\":\"\",\"fallback\":true,\"lang\":\"en\",\"quick_replies\":[ ],"
		"\"client_id\":\"a\\\"b\",\"why\":\"did_you_say\"}",
		"{\"title\":\"银行卡挂失\",\"fallback\":false,\"lang\":\"zh\",\"quick_replies\":[],"
		"\"client_id\":\"x\",\"why\":\"words\",\"refused\":\"nsfw\","
		"\"entity\":{\"kind\":\"order\",\"n\":[1,-2.5,0,null,true,{}]}}",
		" {\r\n\"why\" : \"did_you_say\" , \"fallback\" : true } ",
		"{\"why\":\"did_you_sa\\/\",\"refused\":null}",
		"{}",
	};
	static const char *const declined[] = {
		"{\"quick_replies\":[{\"answer_id\":3,\"title\":\"Card\"}],\"fallback\":true}",
		"{\"why\":\"did_you_s\\u0061y\"}",
		"{\"x\":1e5}",
		"{\"x\":12345678901234567890}",
		"{\"x\":01}",
		"{\"fallback\":true,}",
		"{\"fallback\":tru}",
		"{\"fallback\":true} x",
		"[1]",
		"{\"a\\n\":1}",
		"{\"a\":\"\x01\"}",
		"{\"a\":\"\xc3\"}",
		"{\"a\":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}",
		"",
	};
	char buf[400];
	unsigned seed = 4242;
	struct kd_reply_meta rm;
	size_t i;

	for (i = 0; i < sizeof taken / sizeof *taken; i++) {
		CHECK(kd_reply_meta_direct(taken[i], &rm));
		kd_reply_meta_free(&rm);
		CHECK(same_meta(taken[i]));
	}
	for (i = 0; i < sizeof declined / sizeof *declined; i++) {
		CHECK(!kd_reply_meta_direct(declined[i], &rm));
		CHECK(same_meta(declined[i]));
	}
	kd_reply_meta_read(taken[1], &rm);
	CHECK(rm.fallback && rm.did_you_say && !rm.refused && !rm.n_quick);
	kd_reply_meta_free(&rm);
	kd_reply_meta_read(declined[0], &rm);
	CHECK(rm.fallback && rm.n_quick == 1 && !strcmp(rm.quick[0], "Card"));
	kd_reply_meta_free(&rm);
	kd_reply_meta_read(NULL, &rm);
	CHECK(!rm.fallback && !rm.did_you_say && !rm.refused && !rm.n_quick);
	for (int round = 0; round < 200000; round++) {
		size_t n = mutate(buf, sizeof buf - 1,
				  taken[round % (sizeof taken / sizeof *taken)],
				  1 + (size_t)round % 3, &seed);
		buf[n] = 0;
		if (!same_meta(buf)) {
			CHECK(0);
			break;
		}
	}
}

static void test_uploads(void)
{
	struct kd_req r;
	struct kd_pss pss;
	struct kd_job *j;
	const char *a = "{\"type\":\"audio\",\"id\":\"v1\",\"bytes\":48044,"
			"\"mime\":\"audio/wav\",\"speak\":true}";

	CHECK(parse_err(a, strlen(a), 100, &r) == -1);
	CHECK(r.type == KD_REQ_AUDIO && r.has_bytes && r.bytes == 48044 && r.speak &&
	      !strcmp(r.mime, "audio/wav") && !r.data);
	kd_req_clear(&r);
	a = "{\"type\":\"image\",\"id\":\"p1\",\"data\":\"aGVsbG8=\",\"text\":\"hi\"}";
	CHECK(parse_err(a, strlen(a), 100, &r) == -1);
	CHECK(r.type == KD_REQ_IMAGE && !r.has_bytes && r.data_len == 5 &&
	      !memcmp(r.data, "hello", 5) && !strcmp(r.text, "hi") && !r.speak);
	kd_req_clear(&r);
	a = "{\"type\":\"image\",\"id\":\"p1\",\"data\":\"aGVsbG8\",\"text\":\"  \"}";
	CHECK(parse_err(a, strlen(a), 100, &r) == -1);    /* padding optional; blank words */
	CHECK(r.data_len == 5 && !r.text);
	kd_req_clear(&r);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"data\":\"\"}", 9) == -1);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\"}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"data\":\"AA==\"}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"bytes\":1,\"data\":\"AA==\"}", 9) ==
	      KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"bytes\":-1}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"bytes\":\"9\"}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"data\":\"A\"}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"data\":\"AA*=\"}", 9) == KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"audio\",\"id\":\"v\",\"bytes\":1,\"speak\":1}", 9) ==
	      KD_E_MISSING_FIELD);
	CHECK(perr("{\"type\":\"image\",\"id\":\"v\",\"bytes\":1,\"text\":\"0123456789\"}", 9) ==
	      KD_E_TEXT_TOO_LONG);
	CHECK(!strcmp(kd_err_name(KD_E_UPLOAD_EXPECTED), "upload_expected") &&
	      !strcmp(kd_err_name(KD_E_NO_SPEECH), "no_speech") &&
	      !strcmp(kd_err_name(KD_E_CORRUPT_IMAGE), "corrupt_image"));

	/* the upload buffer grows up to the announced size, never past it */
	memset(&pss, 0, sizeof pss);
	j = kd_job_new(KD_JOB_AUDIO, 1, 0);
	assert(j);
	j->data_want = 100000;
	pss.upload = j;
	static char chunk[70000];
	CHECK(kd_pss_upload_append(&pss, chunk, 70000) == 0 && pss.upload_cap >= 70000);
	CHECK(kd_pss_upload_append(&pss, chunk, 30000) == 0 && j->data_len == 100000 &&
	      pss.upload_cap == 100000);
	CHECK(kd_pss_upload_append(&pss, chunk, 1) == 1 && j->data_len == 100000);
	kd_pss_backlog_push(&pss, kd_job_new(KD_JOB_IMAGE, 1, 0));
	kd_pss_backlog_push(&pss, kd_job_new(KD_JOB_MESSAGE, 1, 0));
	CHECK(pss.n_backlog == 2 && pss.n_backlog_uploads == 1);
	kd_job_free(kd_pss_backlog_pop(&pss));
	CHECK(pss.n_backlog_uploads == 0);
	kd_pss_clear(&pss);                     /* frees the pending upload and backlog */
	CHECK(!pss.upload && !pss.backlog);

	struct kd_frame *f = kd_frame_binary("RIFF", 4);
	CHECK(f && f->binary && f->len == 4 && !memcmp(KD_FRAME_PAYLOAD(f), "RIFF", 4));
	kd_frame_free(f);

	struct kd_metrics m;
	struct kd_gauges g = { .model = "bm25", .event_loop = "poll" };
	size_t len;
	kd_metrics_init(&m);
	cm_hist_observe(&m.media[KD_MEDIA_AUDIO], 0.3);   /* as ws.c records a clip */
	m.audio_seconds += 2.0;
	m.kinds[KD_K_IMAGE] = 2;
	char *txt = kd_metrics_render(&m, &g, &len);
	CHECK(txt && strstr(txt, "kefu_media_seconds_count{kind=\"audio\"} 1\n") &&
	      strstr(txt, "kefu_media_seconds_bucket{kind=\"audio\",le=\"0.5\"} 1\n") &&
	      strstr(txt, "kefu_media_seconds_bucket{kind=\"audio\",le=\"0.25\"} 0\n") &&
	      strstr(txt, "kefu_audio_seconds_total 2\n") &&
	      strstr(txt, "kefu_messages_total{kind=\"image\"} 2\n"));
	free(txt);

	/* the prediction's CPU, which bench/ws divides by the replies (ws.c sums it) */
	m.predict_ns = 2500000000u;
	m.predict_count = 3;
	txt = kd_metrics_render(&m, &g, &len);
	CHECK(txt && strstr(txt, "kefu_predict_cpu_seconds_total 2.5\n") &&
	      strstr(txt, "kefu_predict_total 3\n"));
	free(txt);
}

int main(void)
{
	test_parse();
	test_parse_direct();
	test_reply_meta();
	test_uploads();
	test_frames();
	test_registry();
	test_pss();
	test_metrics();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
