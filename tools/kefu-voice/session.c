/* tools/kefu-voice/session.c — a kefud chat session for kefu-voice (session.h).
 *
 * A turn: build the frames (audio header + WAV, or a text message), queue them on the
 * WebSocket, then read frames until the turn's reply (and, with speak, its speech header and
 * WAV) or its error has come.  Frames of other ids (a late answer to an earlier turn) are
 * skipped.  When the connection is lost before the turn is complete: reconnect, welcome,
 * hello with the token, history, and the same frames again (same id: kefud answers from its
 * log without a second turn).
 *
 * Runs on kefu-voice's main thread only.
 */
#include "session.h"

#include <jansson.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "speech.h"
#include "wsclient.h"

#define SPEECH_GRACE_MS 3000    /* speech frames follow the reply at once, or never */

struct kv_sess {
	kv_ws *ws;
	char *url;
	int timeout_ms;
	char token[64];
	unsigned next_id;
	long long run_tag;          /* wall ms at open: ids differ from earlier runs' (--session) */
};

/* Reads the next JSON text message into *out (caller decrefs).  Binary messages are returned
 * in *bin (caller frees) with *out NULL.  1 got one, 0 time-out, -1 closed. */
static int next_frame(kv_sess *s, json_t **out, struct kv_msg *bin, int timeout_ms,
		      char *err, size_t errlen)
{
	struct kv_msg m;
	*out = NULL;
	bin->data = NULL;
	int r = kv_ws_recv(s->ws, &m, timeout_ms, err, errlen);
	if (r <= 0)
		return r;
	if (m.binary) {
		*bin = m;
		return 1;
	}
	*out = json_loadb(m.data, m.len, 0, NULL);
	free(m.data);
	return 1;
}

/* The frame's string field name, or NULL. */
static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* Connects and reads the welcome into s->token.  0 or -1 (err). */
static int connect_welcome(kv_sess *s, int *bad_url, char *err, size_t errlen)
{
	s->ws = kv_ws_open(s->url, s->timeout_ms, bad_url, err, errlen);
	if (!s->ws)
		return -1;
	uint64_t t0 = cm_now_us();
	for (;;) {
		int left = s->timeout_ms - (int)((cm_now_us() - t0) / 1000);
		json_t *j;
		struct kv_msg bin;
		int r = next_frame(s, &j, &bin, left > 0 ? left : 0, err, errlen);
		free(bin.data);
		if (r == 0)
			snprintf(err, errlen, "no welcome from kefud within %d ms", s->timeout_ms);
		if (r <= 0)
			return -1;
		const char *type = str(j, "type");
		if (type && !strcmp(type, "welcome") && str(j, "session")) {
			snprintf(s->token, sizeof s->token, "%s", str(j, "session"));
			json_decref(j);
			return 0;
		}
		if (type && !strcmp(type, "error")) {
			snprintf(err, errlen, "kefud refused the session: %s: %s",
				 str(j, "code") ? str(j, "code") : "?",
				 str(j, "message") ? str(j, "message") : "");
			json_decref(j);
			return -1;
		}
		json_decref(j);
	}
}

kv_sess *kv_sess_open(const char *url, int timeout_ms, int *bad_url, char *err,
		      size_t errlen)
{
	kv_sess *s = calloc(1, sizeof *s);
	if (!s || !(s->url = strdup(url))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->timeout_ms = timeout_ms;
	s->run_tag = (long long)cm_wall_ms();
	if (connect_welcome(s, bad_url, err, errlen) < 0) {
		kv_sess_close(s);
		return NULL;
	}
	return s;
}

const char *kv_sess_token(const kv_sess *s)
{
	return s->token;
}

void kv_sess_close(kv_sess *s)
{
	if (!s)
		return;
	kv_ws_close(s->ws);
	free(s->url);
	free(s);
}

int kv_sess_resume(kv_sess *s, const char *token, char *err, size_t errlen)
{
	json_t *h = json_pack("{s:s, s:s}", "type", "hello", "session", token);
	char *txt = h ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	if (!txt || kv_ws_send(s->ws, txt, strlen(txt), 0) < 0) {
		free(txt);
		snprintf(err, errlen, "connection lost");
		return -1;
	}
	free(txt);
	for (;;) {
		json_t *j;
		struct kv_msg bin;
		int r = next_frame(s, &j, &bin, s->timeout_ms, err, errlen);
		free(bin.data);
		if (r == 0)
			snprintf(err, errlen, "no answer to hello within %d ms", s->timeout_ms);
		if (r <= 0)
			return -1;
		const char *type = str(j, "type");
		int done = 0;
		if (type && !strcmp(type, "history")) {
			snprintf(s->token, sizeof s->token, "%s", token);
			done = 1;
		} else if (type && !strcmp(type, "error") && str(j, "code") &&
			   !strcmp(str(j, "code"), "unknown_session")) {
			done = 2;
		}
		json_decref(j);
		if (done)
			return done - 1;
	}
}

/* Drops the connection and opens a new one on the same session, trying every half second
 * for up to the time-out (kefud may be restarting).  0 or -1 (err). */
static int reconnect(kv_sess *s, char *err, size_t errlen)
{
	char token[64];
	int bad;
	uint64_t t0 = cm_now_us();
	snprintf(token, sizeof token, "%s", s->token);
	for (;;) {
		kv_ws_close(s->ws);
		s->ws = NULL;
		if (connect_welcome(s, &bad, err, errlen) == 0)
			return kv_sess_resume(s, token, err, errlen) < 0 ? -1 : 0;
		if (bad || cm_now_us() - t0 > (uint64_t)s->timeout_ms * 1000u)
			return -1;
		struct timespec half = { 0, 500000000L };
		nanosleep(&half, NULL);
	}
}

void kv_turn_free(struct kv_turn *t)
{
	free(t->transcript);
	free(t->text);
	free(t->title);
	free(t->lang);
	free(t->refused);
	free(t->entity_kind);
	free(t->entity_value);
	for (size_t i = 0; i < t->nquick; i++)
		free(t->quick[i]);
	free(t->quick);
	free(t->speech);
	free(t->err_code);
	free(t->err_msg);
	memset(t, 0, sizeof *t);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void take_reply(struct kv_turn *t, json_t *j)
{
	json_t *aid = json_object_get(j, "answer_id"), *qr = json_object_get(j, "quick_replies");
	t->has_reply = 1;
	t->text = dup_or_null(str(j, "text"));
	t->title = dup_or_null(str(j, "title"));
	t->lang = dup_or_null(str(j, "lang"));
	t->refused = dup_or_null(str(j, "refused"));
	t->answer_id = json_is_integer(aid) ? (long long)json_integer_value(aid) : -1;
	t->conf = json_number_value(json_object_get(j, "confidence"));
	t->fallback = json_is_true(json_object_get(j, "fallback"));
	json_t *ent = json_object_get(j, "entity");        /* docs/protocol.md, entities */
	t->entity_kind = dup_or_null(str(ent, "kind"));
	t->entity_value = dup_or_null(str(ent, "value"));
	t->entity_confirmed = json_is_true(json_object_get(ent, "confirmed"));
	size_t n = json_is_array(qr) ? json_array_size(qr) : 0;
	t->quick = n ? calloc(n, sizeof *t->quick) : NULL;
	for (size_t i = 0; t->quick && i < n; i++) {
		const char *title = str(json_array_get(qr, i), "title");
		if (title && (t->quick[t->nquick] = strdup(title)))
			t->nquick++;
	}
}

/* Sends the turn's frames (hdr, then bin if any) and reads until the turn is complete.
 * 0 complete, 1 connection lost (try again after a reconnect), -1 failed (err). */
static int exchange(kv_sess *s, const char *hdr, const void *bin, size_t nbin, int speak,
		    struct kv_turn *t, char *err, size_t errlen)
{
	uint64_t t0 = cm_now_us();
	if (kv_ws_send(s->ws, hdr, strlen(hdr), 0) < 0 ||
	    (bin && kv_ws_send(s->ws, bin, nbin, 1) < 0))
		return 1;
	int want_speech = 0;        /* 1: the speech header came, its WAV is next */
	for (;;) {
		json_t *j;
		struct kv_msg m;
		/* after the reply only a short wait for a speech header (kefud leaves it out when
		 * synthesis fails); once announced, the WAV gets the full time-out */
		int wait = t->has_reply && speak && !want_speech ? SPEECH_GRACE_MS : s->timeout_ms;
		int r = next_frame(s, &j, &m, wait, err, errlen);
		if (r < 0)
			return 1;
		if (r == 0) {
			if (t->has_reply && speak && !want_speech)
				return 0;   /* the spoken reply was left out (kefud logs why) */
			snprintf(err, errlen, "no %s from kefud within %d ms",
				 t->has_reply ? "spoken reply" : "answer", wait);
			return -1;
		}
		double ms = (double)(cm_now_us() - t0) / 1000.0;
		if (m.data) {
			if (want_speech) {
				struct asr_audio a;
				if (asr_audio_decode(m.data, m.len, NULL, &a) == 0) {
					t->speech = a.pcm;
					t->nspeech = a.n;
				}
				t->speech_ms = ms;
				free(m.data);
				return 0;
			}
			free(m.data);
			continue;
		}
		const char *type = str(j, "type"), *id = str(j, "id");
		if (!type) {                /* not a JSON object: not kefud's, skipped */
			json_decref(j);
			continue;
		}
		int mine = id && !strcmp(id, t->id);
		if (!strcmp(type, "error") && (mine || !id)) {
			t->err_code = dup_or_null(str(j, "code"));
			t->err_msg = dup_or_null(str(j, "message"));
			json_decref(j);
			return 0;
		}
		if (mine && !strcmp(type, "transcript")) {
			t->has_transcript = 1;
			t->transcript = dup_or_null(str(j, "text"));
			t->asr_conf = json_number_value(json_object_get(j, "confidence"));
			t->asr_seconds = json_number_value(json_object_get(j, "seconds"));
			t->transcript_ms = ms;
		} else if (mine && !strcmp(type, "reply")) {
			take_reply(t, j);
			t->reply_ms = ms;
			if (!speak) {
				json_decref(j);
				return 0;
			}
		} else if (mine && !strcmp(type, "speech")) {
			want_speech = 1;
		}
		json_decref(j);
	}
}

/* Runs a turn, reconnecting once if the connection is lost. */
static int turn(kv_sess *s, const char *hdr, const void *bin, size_t nbin, int speak,
		struct kv_turn *t, char *err, size_t errlen)
{
	for (int attempt = 0;; attempt++) {
		int r = exchange(s, hdr, bin, nbin, speak, t, err, errlen);
		if (r <= 0)
			return r;
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		if (attempt == 1 || reconnect(s, err, errlen) < 0) {
			if (attempt == 1)
				snprintf(err, errlen, "connection lost again: %s", why);
			return -1;
		}
		/* what came before the drop is asked again: start the turn afresh */
		char id[sizeof t->id];
		double secs = t->clip_seconds;
		memcpy(id, t->id, sizeof id);
		kv_turn_free(t);
		memcpy(t->id, id, sizeof id);
		t->clip_seconds = secs;
		t->resent = 1;
	}
}

int kv_sess_audio(kv_sess *s, const int16_t *pcm, size_t n, int speak, struct kv_turn *t,
		  char *err, size_t errlen)
{
	void *wav = NULL;
	size_t len = 0;

	memset(t, 0, sizeof *t);
	snprintf(t->id, sizeof t->id, "v%llx-%u", s->run_tag, ++s->next_id);
	t->clip_seconds = (double)n / ASR_RATE;
	int rc = asr_audio_encode(pcm, n, ASR_RATE, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, &wav, &len);
	if (rc) {
		snprintf(err, errlen, "cannot encode the clip: %s", asr_err_name(rc));
		return -1;
	}
	json_t *h = json_pack("{s:s, s:s, s:I, s:s, s:b}", "type", "audio", "id", t->id,
			      "bytes", (json_int_t)len, "mime", "audio/wav", "speak", speak);
	char *hdr = h ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	if (!hdr) {
		free(wav);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = turn(s, hdr, wav, len, speak, t, err, errlen);
	free(hdr);
	free(wav);
	return rc;
}

int kv_sess_text(kv_sess *s, const char *text, struct kv_turn *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	snprintf(t->id, sizeof t->id, "v%llx-%u", s->run_tag, ++s->next_id);
	json_t *h = json_pack("{s:s, s:s, s:s}", "type", "message", "id", t->id, "text", text);
	char *hdr = h ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	if (!hdr) {
		snprintf(err, errlen, "out of memory (or text not UTF-8)");
		return -1;
	}
	int rc = turn(s, hdr, NULL, 0, 0, t, err, errlen);
	free(hdr);
	return rc;
}
