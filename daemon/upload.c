/* daemon/upload.c — the worker side of voice clips and pictures (docs/protocol.md,
 * "Uploads").  Runs on a worker thread; the turn's reply leaves from the store writer's
 * done callback like any other reply (pool.c, kd_submit_turn).
 *
 * Audio: resend check -> asr_recognize_clip (decode, VAD, pocketsphinx with the domain
 * LM) -> {"type":"transcript"} -> the text bot answers the transcript, or asks "Did you
 * say ...?" when the transcript's confidence is under asr_threshold -> optional spoken
 * reply ({"type":"speech"} + one binary WAV frame).
 * Image: resend check -> vis_see (decode, OCR + entities, codes, safety, embedding) ->
 * {"type":"seen"} -> a refusal when the safety model flags it, else the text bot answers
 * the customer's words and what was read, and the store's fusion model (words +
 * embedding), when there is one, may choose another answer it is confident of.
 *
 * Every frame of one upload goes out in one result, after the turn committed: the
 * transcript/seen frame, then the reply (then the speech frames).  The customer message
 * row carries the transcript (or the words + OCR text) with meta {"upload":...}; the
 * bytes are an attachment committed in the same transaction, whose meta keeps the
 * transcript/seen frame, so a resend of the same id answers from the log without
 * decoding again.  A clip or picture refused with an error is not logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hash.h"
#include "log.h"
#include "media.h"
#include "nlu.h"
#include "pool_int.h"

#define KD_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(4))
#define KD_JPEG_SIDE 1600    /* JPEGs are DCT-downscaled while decoding to >= this side */

/* ---- small helpers ------------------------------------------------------------------- */

static double now_s(void)
{
	return (double)cm_now_us() / 1e6;
}

static char *dumps(const json_t *j)
{
	return j ? json_dumps(j, KD_JSON_FLAGS) : NULL;
}

/* Appends f at the end of the chain *head (f may be NULL: then *oom is set). */
static void chain(struct kd_frame **head, struct kd_frame *f, int *oom)
{
	struct kd_frame **p = head;

	if (!f) {
		*oom = 1;
		return;
	}
	while (*p)
		p = &(*p)->next;
	*p = f;
}

/* A copy of Markdown text fit to be spoken: link targets, emphasis marks, headings and
 * code ticks dropped.  malloc'd; NULL on no memory. */
static char *speakable(const char *md)
{
	size_t n = strlen(md);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = md[i];
		if (c == ']' && md[i + 1] == '(') {         /* [text](url) -> text */
			const char *close = strchr(md + i, ')');
			if (close) {
				i = (size_t)(close - md);
				continue;
			}
		}
		if (c == '*' || c == '_' || c == '#' || c == '`' || c == '[' || c == '>')
			continue;
		*o++ = c == '\n' ? ' ' : c;
	}
	*o = '\0';
	return out;
}

/* ---- resend of an upload already logged ------------------------------------------------ */

/* The spoken-reply frames (speech header + binary WAV) for text, appended to *head.
 * A synthesis failure is logged and leaves the chain as it was. */
static void add_speech(struct kd_media *m, const char *id, const char *text,
		       struct kd_frame **head, int *oom)
{
	char *plain = speakable(text ? text : "");
	void *wav = NULL;
	size_t len = 0;
	int rc;

	if (!plain) {
		*oom = 1;
		return;
	}
	rc = m ? kd_media_speak(m, plain, &wav, &len) : ASR_ERR_INTERNAL;
	free(plain);
	if (rc) {
		LOG_WARN("spoken reply for %s: %s", id, asr_err_name(rc));
		return;
	}
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "type", "speech", "id", id, "mime",
			      "audio/wav", "bytes", (json_int_t)len);
	chain(head, kd_frame_from_json(j), oom);
	json_decref(j);
	chain(head, kd_frame_binary(wav, len), oom);
	free(wav);
}

/* If the session already logged this client id, posts the logged frames again (the
 * transcript/seen frame kept with the attachment, the reply, a fresh spoken reply when
 * asked) and returns 1.  0 when it is a new upload; -1 after posting an error. */
static int resend_logged(struct kd_worker *w, struct kd_job *job)
{
	struct kd_pool *p = w->pool;
	struct store_message logged = { 0 };
	struct store_attachment att;
	struct kd_result *r;
	int oom = 0, rc = store_turn_find(w->st, job->session_id, job->id, &logged);

	if (rc == STORE_NOT_FOUND)
		return 0;
	if (rc) {
		LOG_ERR("turn_find: %s", store_errmsg(w->st));
		kd_post_error(p, job, KD_E_INTERNAL, "could not read the session");
		return -1;
	}
	r = kd_result_new(job, KD_RES_RESEND);
	if (r && store_attachment_find(w->st, job->session_id, job->id, 0, &att) == 0) {
		json_t *j = att.meta ? json_loads(att.meta, 0, NULL) : NULL;
		if (json_is_object(j))
			chain(&r->frame, kd_frame_from_json(j), &oom);
		json_decref(j);
		store_attachment_clear(&att);
	}
	if (r) {
		chain(&r->frame, kd_frame_reply_logged(job->id, &logged), &oom);
		if (job->kind == KD_JOB_AUDIO && job->speak)
			add_speech(p->media, job->id, logged.text, &r->frame, &oom);
	}
	store_message_clear(&logged);
	if (oom) {
		kd_result_free(r);
		r = NULL;
	}
	kd_post_or_fail(p, job, r);
	return 1;
}

/* Common checks before decoding.  Returns 1 if the job is finished (resent or an error
 * was posted), 0 to go on. */
static int upload_prelude(struct kd_worker *w, struct kd_job *job)
{
	if (job->session_id <= 0) {
		kd_post_error(w->pool, job, KD_E_INTERNAL, "this connection has no session");
		return 1;
	}
	if (resend_logged(w, job))
		return 1;
	kd_worker_refresh_bot(w);
	if (!w->ns) {
		kd_post_error(w->pool, job, KD_E_INTERNAL, "no bot loaded");
		return 1;
	}
	return 0;
}

/* The turn of an upload: the customer row (text, meta) with the bytes attached, and
 * the reply.  Takes job->data.  NULL on no memory. */
static struct store_turn *upload_turn(struct kd_job *job, const char *kind, char *customer_text,
				      json_t *customer_meta, const json_t *att_meta, int unsafe,
				      const char *sha256)
{
	struct store_turn *turn = calloc(1, sizeof *turn);
	struct store_attachment *a = calloc(1, sizeof *a);

	if (!turn || !a)
		goto fail;
	turn->attachment = a;
	turn->session_id = job->session_id;
	turn->client_id = strdup(job->id);
	turn->customer_text = customer_text;
	customer_text = NULL;
	turn->customer_meta = dumps(customer_meta);
	turn->reply_kind = STORE_MSG_BOT;
	a->kind = strdup(kind);
	a->mime = strdup(job->mime);
	a->meta = dumps(att_meta);
	a->unsafe = unsafe;
	if (sha256)
		memcpy(a->sha256, sha256, sizeof a->sha256);
	else if (cm_sha256_hex(job->data, job->data_len, a->sha256))
		goto fail;
	a->data = job->data;                       /* moves */
	a->len = job->data_len;
	job->data = NULL;
	if (!turn->client_id || !turn->customer_text || (customer_meta && !turn->customer_meta) ||
	    !a->kind || !a->mime || !a->meta)
		goto fail;
	return turn;
fail:
	free(customer_text);
	if (turn)
		store_turn_free(turn);             /* frees a too */
	else
		free(a);
	return NULL;
}

/* Fills the reply part of turn and builds the reply frame into the result's chain.
 * meta is the reply meta (kd_reply_meta + extras).  0, or -1 on no memory. */
static int set_reply(struct store_turn *turn, struct kd_result *r, const char *id,
		     const char *text, int64_t answer_id, double confidence, const json_t *meta)
{
	int oom = 0;

	turn->reply_text = strdup(text ? text : "");
	turn->answer_id = answer_id;
	turn->confidence = confidence;
	turn->reply_meta = dumps(meta);
	chain(&r->frame, kd_frame_reply(id, text, answer_id, confidence, meta), &oom);
	return oom || !turn->reply_text || !turn->reply_meta ? -1 : 0;
}

/* ---- audio ----------------------------------------------------------------------------- */

static enum kd_err audio_err(int rc)
{
	switch (rc) {
	case ASR_ERR_UNSUPPORTED: return KD_E_UNSUPPORTED_AUDIO;
	case ASR_ERR_TOO_LONG: return KD_E_AUDIO_TOO_LONG;
	case ASR_ERR_TOO_LARGE: return KD_E_AUDIO_TOO_LARGE;
	case ASR_ERR_CORRUPT: return KD_E_CORRUPT_AUDIO;
	case ASR_ERR_EMPTY: return KD_E_EMPTY_AUDIO;
	case ASR_ERR_NO_SPEECH: return KD_E_NO_SPEECH;
	default: return KD_E_INTERNAL;
	}
}

static const char *audio_msg(enum kd_err e)
{
	switch (e) {
	case KD_E_UNSUPPORTED_AUDIO:
		return "this is not a voice clip kefu can play (WAV, FLAC, OGG Vorbis/Opus or MP3)";
	case KD_E_AUDIO_TOO_LONG: return "the voice clip is longer than max_audio_seconds";
	case KD_E_AUDIO_TOO_LARGE: return "the voice clip is larger than max_upload bytes";
	case KD_E_CORRUPT_AUDIO: return "the voice clip is damaged or cut short";
	case KD_E_EMPTY_AUDIO: return "the voice clip is empty";
	case KD_E_NO_SPEECH: return "no speech was heard in the voice clip";
	default: return "the voice clip could not be recognised";
	}
}

static json_t *transcript_json(const char *id, const struct asr_result *res)
{
	json_t *words = json_array();
	json_t *j;

	for (size_t i = 0; words && i < res->n_words; i++)
		json_array_append_new(words, json_pack("{s:s, s:f}", "word", res->words[i].word,
						       "conf", (double)res->words[i].conf));
	j = json_pack("{s:s, s:s, s:s, s:f, s:o, s:f}", "type", "transcript", "id", id,
		      "text", res->text, "confidence", (double)res->conf, "words",
		      words ? words : json_array(), "seconds", res->audio_seconds);
	return j;
}

/* The "Did you say ...?" reply's meta: fallback, no answer, the candidate transcripts as
 * quick replies (the whole transcript, then the words heard with confidence >= 0.5 when
 * that differs).  Sending one back as a message goes on from there. */
static json_t *did_you_say_meta(const struct asr_result *res, const char *id)
{
	json_t *quick = json_array();
	char *sure = malloc(strlen(res->text) + 1);

	if (!quick || !sure) {
		json_decref(quick);
		free(sure);
		return NULL;
	}
	json_array_append_new(quick, json_pack("{s:n, s:s}", "answer_id", "title", res->text));
	sure[0] = '\0';
	for (size_t i = 0; i < res->n_words; i++)
		if (res->words[i].conf >= 0.5f) {
			if (sure[0])
				strcat(sure, " ");
			strcat(sure, res->words[i].word);
		}
	if (sure[0] && strcmp(sure, res->text))
		json_array_append_new(quick, json_pack("{s:n, s:s}", "answer_id", "title", sure));
	free(sure);
	return json_pack("{s:n, s:b, s:s, s:o, s:s}", "title", "fallback", 1, "lang", "en",
			 "quick_replies", quick, "client_id", id);
}

int kd_do_audio(struct kd_worker *w, struct kd_job *job)
{
	struct kd_pool *p = w->pool;
	const struct kefu_conf *c = p->conf;
	struct asr_limits lim = { .max_bytes = (size_t)c->max_upload,
				  .max_seconds = c->max_audio_seconds };
	struct asr_result res = { 0 };
	struct store_turn *turn = NULL;
	struct kd_result *r = NULL;
	json_t *tj = NULL, *cmeta = NULL, *rmeta = NULL;
	asr_decoder *dec;
	asr_vad *vad;
	char err[512];
	double t0;
	int rc, oom = 0;

	if (upload_prelude(w, job))
		return 0;
	if (!p->media || kd_media_asr(p->media, &w->mw, &dec, &vad, err, sizeof err)) {
		kd_post_error(p, job, KD_E_INTERNAL,
			      p->media ? err : "voice messages are not available");
		return 0;
	}
	t0 = now_s();
	rc = asr_recognize_clip(dec, vad, job->data ? job->data : (void *)"", job->data_len,
				&lim, &res);
	if (rc == 0 && !res.n_words) {
		asr_result_free(&res);
		rc = ASR_ERR_NO_SPEECH;
	}
	if (rc) {
		enum kd_err e = audio_err(rc);
		if (e == KD_E_INTERNAL)
			LOG_ERR("clip %s: %s", job->id, asr_err_name(rc));
		kd_post_error(p, job, e, audio_msg(e));
		return 0;
	}
	LOG_DEBUG("clip %s: '%s' conf %.2f, %.2f s of audio in %.2f s", job->id, res.text,
		  res.conf, res.audio_seconds, now_s() - t0);

	r = kd_result_new(job, KD_RES_REPLY);
	tj = transcript_json(job->id, &res);
	cmeta = json_pack("{s:s, s:s, s:I, s:f, s:f}", "upload", "audio", "mime", job->mime,
			  "bytes", (json_int_t)job->data_len, "seconds", res.audio_seconds,
			  "confidence", (double)res.conf);
	if (!r || !tj || !cmeta)
		goto oom;
	r->media = 1;
	r->media_seconds = now_s() - t0;
	r->audio_seconds = res.audio_seconds;
	chain(&r->frame, kd_frame_from_json(tj), &oom);
	turn = upload_turn(job, "audio", strdup(res.text), cmeta, tj, 0, NULL);
	if (!turn || oom)
		goto oom;

	if (res.conf < c->asr_threshold) {
		char *text = store_text_fill(store_text(nlu_bot_texts(w->bot), "did_you_say",
							store_text_lang(res.text)), "transcript", res.text);
		rmeta = did_you_say_meta(&res, job->id);
		r->fallback = 1;
		rc = text && rmeta ? set_reply(turn, r, job->id, text, 0, res.conf, rmeta) : -1;
		free(text);
	} else {
		struct nlu_reply rep;
		nlu_bot_reply(w->bot, w->ns, res.text, strlen(res.text), &rep);
		rmeta = kd_reply_meta(&rep, job->id);
		r->fallback = rep.fallback;
		rc = rmeta ? set_reply(turn, r, job->id, rep.text, rep.answer_id,
				       rep.confidence, rmeta) : -1;
	}
	if (rc)
		goto oom;
	if (job->speak)
		add_speech(p->media, job->id, turn->reply_text, &r->frame, &oom);
	if (oom)
		goto oom;
	json_decref(tj);
	json_decref(cmeta);
	json_decref(rmeta);
	asr_result_free(&res);
	return kd_submit_turn(p, job, turn, r);
oom:
	json_decref(tj);
	json_decref(cmeta);
	json_decref(rmeta);
	asr_result_free(&res);
	store_turn_free(turn);
	kd_result_free(r);
	kd_post_error(p, job, KD_E_INTERNAL, "out of memory");
	return 0;
}

/* ---- image ----------------------------------------------------------------------------- */

static enum kd_err image_err(int rc)
{
	switch (rc) {
	case VIS_E_UNSUPPORTED: return KD_E_UNSUPPORTED_IMAGE;
	case VIS_E_TOO_LARGE: return KD_E_IMAGE_TOO_LARGE;
	case VIS_E_CORRUPT: return KD_E_CORRUPT_IMAGE;
	default: return KD_E_INTERNAL;
	}
}

static const char *entity_kind(enum vis_entity_kind k)
{
	return k == VIS_ENT_ORDER ? "order" : k == VIS_ENT_ERROR_CODE ? "error_code" : "code";
}

/* The seen frame; category and matches come from the store's picture catalogue (null
 * and [] without one, or for a refused picture). */
static json_t *seen_json(struct kd_media *m, const char *id, const struct vis_seen *s,
			 const char *category, const struct vis_match *match, int n_match)
{
	json_t *codes = json_array(), *ents = json_array(), *safety, *matches = json_array();

	if (!codes || !ents || !matches) {
		json_decref(codes);
		json_decref(ents);
		json_decref(matches);
		return NULL;
	}
	for (int i = 0; i < n_match; i++)
		json_array_append_new(matches, json_pack("{s:I, s:s, s:f}", "answer_id",
			(json_int_t)match[i].answer_id, "title", match[i].title, "score",
			(double)match[i].score));
	for (int i = 0; i < s->codes.n; i++)
		if (s->codes.v[i].utf8)            /* JSON strings carry UTF-8 only */
			json_array_append_new(codes, json_pack("{s:s, s:s}", "type",
							       s->codes.v[i].type, "data",
							       s->codes.v[i].data));
	for (int i = 0; i < s->n_entities; i++)
		json_array_append_new(ents, json_pack("{s:s, s:s}", "kind",
						      entity_kind(s->entities[i].kind), "text",
						      s->entities[i].text));
	safety = s->n_safety ? json_pack("{s:s, s:f}", "label",
					 kd_media_safety_name(m, s->safety_top), "score",
					 (double)s->safety[s->safety_top])
			     : json_null();
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "type", "seen",
			 "id", id, "ocr_text", s->ocr.text ? s->ocr.text : "", "codes", codes,
			 "entities", ents, "safety", safety ? safety : json_null(), "unsafe",
			 s->unsafe, "category", category && category[0] ? json_string(category)
									: json_null(),
			 "matches", matches);
}

/* What was read in the picture as one query text: OCR text, entities with '_' as
 * spaces (ERR_CARD_DECLINED -> ERR CARD DECLINED), UTF-8 code contents.  malloc'd. */
static char *read_text(const struct vis_seen *s)
{
	size_t n = strlen(s->ocr.text ? s->ocr.text : "") + 2;
	char *out, *o;

	for (int i = 0; i < s->n_entities; i++)
		n += strlen(s->entities[i].text) + 1;
	for (int i = 0; i < s->codes.n; i++)
		n += s->codes.v[i].utf8 ? strlen(s->codes.v[i].data) + 1 : 0;
	out = malloc(n);
	if (!out)
		return NULL;
	o = out + sprintf(out, "%s", s->ocr.text ? s->ocr.text : "");
	for (int i = 0; i < s->n_entities; i++)
		if (strchr(s->entities[i].text, '_'))
			o += sprintf(o, "%s%s", o > out ? " " : "", s->entities[i].text);
	for (int i = 0; i < s->codes.n; i++)
		if (s->codes.v[i].utf8)
			o += sprintf(o, "%s%s", o > out ? " " : "", s->codes.v[i].data);
	for (char *q = out; *q; q++)
		if (*q == '_')
			*q = ' ';
	return out;
}

/* Joins a and b with a newline (either may be NULL or ""); malloc'd. */
static char *join2(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	char *out = malloc(la + lb + 2);

	if (out)
		snprintf(out, la + lb + 2, "%s%s%s", la ? a : "", la && lb ? "\n" : "",
			 lb ? b : "");
	return out;
}

int kd_do_image(struct kd_worker *w, struct kd_job *job)
{
	struct kd_pool *p = w->pool;
	const struct kefu_conf *c = p->conf;
	struct vis_decode_opts opts = { .max_bytes = (size_t)c->max_upload,
					.max_pixels = (uint64_t)c->max_image_pixels,
					.max_side = KD_JPEG_SIDE,
					.deadline_ms = c->picture_deadline_ms };   /* issue 18 */
	struct vis_seen seen;
	struct vis_worker *vw;
	struct store_turn *turn = NULL;
	struct kd_result *r = NULL;
	json_t *sj = NULL, *cmeta = NULL, *rmeta = NULL;
	struct store_answer fused = { 0 };
	struct vis_match match[KD_MAX_MATCHES];
	char category[64] = "";
	float category_p = 0;
	int n_match = 0;
	char err[512], *read = NULL, *both = NULL, sha[65] = "";
	const char *used = "none";
	double t0;
	int rc, oom = 0;

	if (upload_prelude(w, job))
		return 0;
	vw = p->media ? kd_media_vision(p->media, &w->mw, err, sizeof err) : NULL;
	if (!vw) {
		kd_post_error(p, job, KD_E_INTERNAL, p->media ? err : "pictures are not available");
		return 0;
	}
	t0 = now_s();
	/* the vision decoder takes a zero-byte buffer as corrupt_image */
	rc = vis_see(vw, job->data ? job->data : (const uint8_t *)"", job->data_len, &opts,
		     &seen, err, sizeof err);
	if (rc) {
		enum kd_err e = image_err(rc);
		if (e == KD_E_INTERNAL)
			LOG_ERR("picture %s: %s: %s", job->id, vis_err_code(rc), err);
		kd_post_error(p, job, e, e == KD_E_INTERNAL ? "the picture could not be read"
							    : err);
		return 0;
	}
	/* a picture on the operator's blocklist is refused whatever the model says */
	if (!seen.unsafe && cm_sha256_hex(job->data, job->data_len, sha) == 0 &&
	    kd_media_blocked(p->media, sha)) {
		LOG_INFO("picture %s is on the image_blocklist", job->id);
		seen.unsafe = 1;
	}
	if (!sha[0] && cm_sha256_hex(job->data, job->data_len, sha))
		goto oom;
	LOG_DEBUG("picture %s: %dx%d %s, text '%s', unsafe %d, ms decode %.1f ocr %.1f codes "
		  "%.1f cnn %.1f", job->id, seen.w, seen.h, vis_format_name(seen.format),
		  seen.ocr.text, seen.unsafe, seen.ms_decode, seen.ms_ocr, seen.ms_codes,
		  seen.ms_cnn);

	if (!seen.unsafe && seen.embed)
		n_match = kd_media_match(p->media, seen.embed, seen.embed_dim, category,
					 sizeof category, &category_p, match);
	r = kd_result_new(job, KD_RES_REPLY);
	sj = seen_json(p->media, job->id, &seen, category, match, n_match);
	read = read_text(&seen);
	if (!r || !sj || !read)
		goto oom;
	r->media = 2;
	r->media_seconds = now_s() - t0;
	chain(&r->frame, kd_frame_from_json(sj), &oom);

	if (seen.unsafe) {
		/* nothing read from it is logged or answered */
		turn = upload_turn(job, "image", strdup(job->text ? job->text : ""), NULL, sj, 1,
				   sha);
		rmeta = json_pack("{s:n, s:b, s:s, s:[], s:s, s:s}", "title", "fallback", 0,
				  "lang", "en", "quick_replies", "client_id", job->id, "refused",
				  "unsafe_image");
		used = "refused";
	} else {
		/* The text bot first (the fusion model below overrides it when the store has
		 * one and it is confident): an error code on a screenshot names the problem,
		 * so the text read answers (the words are
		 * mostly "what does this mean?", which the text bot answers confidently
		 * and wrongly); otherwise the most confident of words + what was read, the
		 * words alone and what was read alone (a receipt's text can drown "can I
		 * return this?") */
		struct nlu_reply rep, alt;
		int have_words = job->text != NULL, have_read = read[0] != '\0';
		int has_code = 0;
		for (int i = 0; i < seen.n_entities; i++)
			has_code |= seen.entities[i].kind == VIS_ENT_ERROR_CODE;
		both = join2(job->text, read);
		if (!both)
			goto oom;
		nlu_bot_reply(w->bot, w->ns, both, strlen(both), &rep);
		used = have_words && have_read ? "words+picture" : have_read ? "picture" : "words";
		if (have_words && has_code) {
			nlu_bot_reply(w->bot, w->ns, read, strlen(read), &rep);
			used = "picture";
		} else if (have_words && have_read) {
			nlu_bot_reply(w->bot, w->ns, job->text, job->text_len, &alt);
			if (alt.confidence > rep.confidence) {
				rep = alt;
				used = "words";
			}
			nlu_bot_reply(w->bot, w->ns, read, strlen(read), &alt);
			if (alt.confidence > rep.confidence) {
				rep = alt;
				used = "picture";
			}
		}
		/* the fusion model, when the store has one, reads words and picture together */
		int64_t fid;
		float fconf;
		int fused_ok = seen.embed && kd_media_fuse(p->media, &w->mw, both, seen.embed,
							   seen.embed_dim, &fid, &fconf);
		if (fused_ok)
			LOG_DEBUG("picture %s: fusion says answer %lld (%.3f), text bot %lld (%.3f)",
				  job->id, (long long)fid, fconf, (long long)rep.answer_id,
				  rep.confidence);
		if (fused_ok && fconf >= c->threshold && fid != rep.answer_id &&
		    store_answer_get(w->st, fid, &fused) == 0) {
			memset(&rep, 0, sizeof rep);
			rep.answer_id = fused.id;
			rep.title = fused.title;
			rep.text = fused.body;
			rep.lang = fused.lang;
			rep.confidence = fconf;
			used = "fusion";
		}
		/* a picture of something the store illustrates, with nothing the text bot
		 * could answer: the best-matching answer's */
		if (!fused.id && n_match && (rep.fallback || (!have_words && !have_read)) &&
		    store_answer_get(w->st, match[0].answer_id, &fused) == 0) {
			memset(&rep, 0, sizeof rep);
			rep.answer_id = fused.id;
			rep.title = fused.title;
			rep.text = fused.body;
			rep.lang = fused.lang;
			rep.confidence = match[0].score;
			used = "catalogue";
		}
		turn = upload_turn(job, "image", strdup(both), NULL, sj, 0, sha);
		rmeta = kd_reply_meta(&rep, job->id);
		r->fallback = rep.fallback;
		if (turn && rmeta && set_reply(turn, r, job->id, rep.text, rep.answer_id,
					       rep.confidence, rmeta))
			goto oom;
	}
	if (!turn || !rmeta || oom)
		goto oom;
	if (seen.unsafe && set_reply(turn, r, job->id, store_text(nlu_bot_texts(w->bot),
				     "picture_refused", store_text_lang(job->text)), 0, 0, rmeta))
		goto oom;
	cmeta = json_pack("{s:s, s:s, s:I, s:s, s:i, s:i, s:b, s:s}", "upload", "image", "mime",
			  job->mime, "bytes", (json_int_t)turn->attachment->len, "format",
			  vis_format_name(seen.format), "w", seen.w, "h", seen.h, "unsafe",
			  seen.unsafe, "answered_from", used);
	free(turn->customer_meta);
	turn->customer_meta = dumps(cmeta);
	if (!turn->customer_meta)
		goto oom;
	json_decref(sj);
	json_decref(cmeta);
	json_decref(rmeta);
	free(read);
	free(both);
	store_answer_clear(&fused);
	vis_seen_free(&seen);
	return kd_submit_turn(p, job, turn, r);
oom:
	json_decref(sj);
	json_decref(cmeta);
	json_decref(rmeta);
	free(read);
	free(both);
	store_answer_clear(&fused);
	vis_seen_free(&seen);
	store_turn_free(turn);
	kd_result_free(r);
	kd_post_error(p, job, KD_E_INTERNAL, "out of memory");
	return 0;
}
