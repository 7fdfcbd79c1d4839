/* summary/test_session.c — sum_session_load on a real SQLite store: a conversation logged
 * the way kefud logs it (customer rows with client ids, bot replies whose meta names the
 * answer, a picture and a voice clip with their attachments' meta, thumbs, a hand-off),
 * read back as a dialogue and summarised into a card.  Unknown tokens are STORE_NOT_FOUND. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "summary.h"
#include "test_util.h"

static int64_t add(struct store *st, int64_t sid, int kind, const char *cid, const char *text,
		   int64_t answer, const char *meta, int64_t reply_to)
{
	int64_t id = 0;
	CHECK_RC(st, store_message_add(st, sid, kind, cid, text, answer, answer ? 0.8 : 0.2, 1000,
				       meta, reply_to, &id), 0);
	return id;
}

static void attach(struct store *st, int64_t msg, const char *kind, const char *meta)
{
	struct store_attachment a = { .kind = (char *)kind, .mime = (char *)"image/png",
				      .data = (void *)"x", .len = 1, .meta = (char *)meta };
	memset(a.sha256, 'a', 64);
	CHECK_RC(st, store_attachment_add(st, msg, &a, NULL), 0);
}

int main(void)
{
	char err[256], token[STORE_TOKEN_LEN + 1];
	struct store *st = store_open(tu_path("s.db"), err, sizeof err);
	struct sum_session s;
	struct sum_card c;
	int64_t sid, q;
	int created;

	if (!st) {
		fprintf(stderr, "store_open: %s\n", err);
		return 1;
	}
	CHECK_RC(st, store_session_create(st, "widget", &sid, token), 0);
	q = add(st, sid, STORE_MSG_CUSTOMER, "c-1", "My card was declined, order 99887766", 0,
		NULL, 0);
	add(st, sid, STORE_MSG_BOT, NULL, "Sorry! Cards are declined when ...", 7,
	    "{\"title\":\"Card declined\",\"fallback\":false,\"lang\":\"en\",\"quick_replies\":[],"
	    "\"client_id\":\"c-1\"}", q);
	CHECK_RC(st, store_feedback_set(st, sid, "c-1", -1), 0);
	q = add(st, sid, STORE_MSG_CUSTOMER, "c-2", "why is my card declined\nDECLINED", 0,
		"{\"upload\":\"image\",\"mime\":\"image/png\"}", 0);
	attach(st, q, "image", "{\"type\":\"seen\",\"ocr_text\":\"Payment DECLINED code ERR_CARD_DECLINED\","
	       "\"entities\":[{\"kind\":\"error_code\",\"text\":\"ERR_CARD_DECLINED\"}],\"codes\":[]}");
	add(st, sid, STORE_MSG_BOT, NULL, "Which of these?", 0,
	    "{\"title\":null,\"fallback\":true,\"lang\":\"en\",\"quick_replies\":[],"
	    "\"client_id\":\"c-2\"}", q);
	q = add(st, sid, STORE_MSG_CUSTOMER, "c-3", "my tracking number is 55512345 where is it", 0,
		"{\"upload\":\"audio\",\"mime\":\"audio/wav\",\"seconds\":2.5}", 0);
	attach(st, q, "audio", "{\"type\":\"transcript\",\"text\":\"my tracking number is 55512345 "
			       "where is it\",\"confidence\":0.9}");
	add(st, sid, STORE_MSG_BOT, NULL, "Track it here", 9,
	    "{\"title\":\"Track a parcel\",\"fallback\":false,\"lang\":\"en\",\"quick_replies\":[],"
	    "\"client_id\":\"c-3\"}", q);
	CHECK_RC(st, store_handoff_request(st, sid, "talk to a person", "No operator is available.",
					   &q, &created), 0);

	CHECK_RC(st, sum_session_load(st, token, &s, err, sizeof err), 0);
	CHECK(s.d.n_turns == 7);
	CHECK(!strcmp(s.state, "waiting"));
	CHECK(s.d.n_turns == 7 && s.d.turns[2].source == SUM_SRC_PICTURE && s.d.turns[2].n_seen == 1);
	CHECK(s.d.n_turns == 7 && s.d.turns[4].source == SUM_SRC_VOICE);
	CHECK(s.d.n_turns == 7 && s.d.turns[1].feedback == -1 && s.d.turns[3].fallback);
	CHECK(s.d.n_turns == 7 && s.d.turns[6].role == SUM_SYSTEM && s.d.turns[6].handoff);

	struct sum_ctx *ctx = sum_ctx_create(NULL, err, sizeof err);
	CHECK(ctx && sum_card_build(ctx, &s.d, NULL, &c) == 0);
	if (ctx) {
		int order = 0, code = 0, voice = 0;
		for (size_t i = 0; i < c.n_entities; i++) {
			order |= c.entities[i].kind == SUM_ENT_ORDER &&
				 !strcmp(c.entities[i].text, "99887766");
			code |= c.entities[i].kind == SUM_ENT_ERROR_CODE &&
				c.entities[i].source == SUM_SRC_PICTURE;
			voice |= c.entities[i].kind == SUM_ENT_ORDER &&
				 c.entities[i].source == SUM_SRC_VOICE;
		}
		CHECK(order && code && voice);
		CHECK(c.n_answers == 3);
		CHECK(c.n_answers == 3 && (c.answers[0].reaction & SUM_REACT_THUMBS_DOWN) &&
		      (c.answers[0].reaction & SUM_REACT_REPHRASED));
		CHECK(c.n_answers == 3 && c.answers[1].fallback);
		CHECK(c.n_answers == 3 && c.answers[0].confidence > 0.79 && c.answers[0].confidence < 0.81);
		CHECK(c.n_answers == 3 && (c.answers[2].reaction & SUM_REACT_PERSON));
		CHECK(c.asked_person && c.mood == SUM_MOOD_NEGATIVE && !strcmp(c.lang, "en"));
		CHECK(strstr(c.summary, "Bot answered \u201cCard declined\u201d, \u201cTrack a parcel\u201d.") != NULL);
		CHECK(strstr(c.problem, "declined") != NULL);
		if (failures)
			fprintf(stderr, "%s\nsummary: %s\n", c.text, c.summary);
		sum_card_free(&c);
	}
	sum_ctx_destroy(ctx);
	sum_session_free(&s);

	CHECK_RC(st, sum_session_load(st, "0123456789abcdef0123456789abcdef", &s, err, sizeof err),
		 STORE_NOT_FOUND);
	CHECK_RC(st, sum_session_load(st, "not a token", &s, err, sizeof err), STORE_NOT_FOUND);
	store_close(st);
	return tu_finish("summary session");
}
