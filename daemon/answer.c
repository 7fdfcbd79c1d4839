/* daemon/answer.c — the worker side of a customer turn: a typed message, a voice clip or
 * a picture becomes one pol_answer call (policy/, the answer policy) and one logged turn
 * (docs/protocol.md "Messages" and "Uploads").  Runs on a worker thread; the turn's reply
 * leaves from the store writer's done callback (job.c, kd_submit_turn).
 *
 * Message: pol_answer(words); a resend of a logged client id is found by the store
 * writer (the job comes back, job->logged) and answered from the log.
 * Audio: resend check (a resumed session) -> asr_recognize_entity (decode, VAD,
 * pocketsphinx with the domain LM, and a grammar reading when the last answer expects an
 * entity or the words look like one: speech/grammar.c) -> {"type":"transcript"} -> an
 * entity heard: "Did you say A 7 7 3?" [Yes] [No] (entity.c); otherwise
 * pol_answer(transcript) ("Did you say ...?" under asr_threshold) -> optional spoken reply
 * ({"type":"speech"} + one binary WAV frame).
 * Yes / no (typed, a quick reply or spoken) to an entity's "Did you say" gets the
 * confirmed / say-again reply instead of the policy's.
 * Image: resend check (a resumed session) -> pic_answer (picture/: one library call
 * that reads the picture — decode, OCR + entities, codes, safety, embedding —, checks the
 * blocklist, asks the catalogue for its category and matches and pol_answer for the reply
 * to words + picture) -> {"type":"seen"} + the reply.
 *
 * While a person holds the session (job->held, ops.c) an upload is still heard or seen,
 * but the policy is not asked: the turn is the customer's row (with the attachment)
 * alone, the customer gets the transcript/seen frame and an ack, and the result
 * carries the row's text for the operators' consoles (held_text).
 *
 * Every frame of one turn goes out in one result, after the turn committed: the
 * transcript/seen frame, then the reply (then the speech frames).  The reply meta carries
 * the policy's "why".  An upload's customer row carries the transcript (or the words +
 * read text) with meta {"upload":...}; the bytes are an attachment committed in the same
 * transaction, whose meta keeps the transcript/seen frame, so a resend of the same id
 * answers from the log: without decoding again after a resume (hello), where resends
 * come from; in the session this connection opened, decoded again and then found logged
 * by the writer.  An upload refused with an error is not logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "entity.h"
#include "voice_cmn.h"
#include "hash.h"
#include "job.h"
#include "log.h"
#include "nlu.h"
#include "picture.h"
#include "policy.h"
#include "store.h"
#include "voice_models.h"
#include "worker.h"

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
static void add_speech(struct kd_voice *v, const char *id, const char *text,
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
	rc = v ? kd_voice_speak(v, plain, &wav, &len) : ASR_ERR_INTERNAL;
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
	const struct kd_env *p = w->env;
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
			add_speech(p->voice, job->id, logged.text, &r->frame, &oom);
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
 * was posted), 0 to go on.  check_log 0 skips the look-up of a resend: the writer finds
 * a client id logged already instead (the unique index) and the job comes back with
 * job->logged set, to be answered from the log.  A typed message's first try skips it;
 * so does an upload in a session its own connection opened (welcome), which can hold
 * only the ids this connection sent — a client resends after a reconnect, i.e. in a
 * resumed session (job->resumed), where an upload looks first so that a resend is not
 * decoded again. */
static int upload_prelude(struct kd_worker *w, struct kd_job *job, int check_log)
{
	if (job->session_id <= 0) {
		kd_post_error(w->env, job, KD_E_INTERNAL, "this connection has no session");
		return 1;
	}
	if (check_log && resend_logged(w, job))
		return 1;
	kd_worker_refresh_bot(w);
	if (!w->ns) {
		kd_post_error(w->env, job, KD_E_INTERNAL, "no bot loaded");
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

/* Fills the reply part of turn from the policy's reply and builds the reply frame into
 * the result's chain; extra (may be NULL) adds or replaces meta fields (an entity's
 * "why", "entity", "expects").  0, or -1 on no memory. */
static int set_reply_extra(struct store_turn *turn, struct kd_result *r, const char *id,
			   const struct pol_reply *rep, json_t *extra)
{
	struct kd_frame *f;
	int oom = 0;

	r->fallback = rep->fallback;
	turn->reply_text = strdup(rep->text ? rep->text : "");
	turn->answer_id = rep->answer_id;
	turn->confidence = rep->confidence;
	if (kd_reply_build(rep, id, extra, &f, &turn->reply_meta))
		f = NULL;
	chain(&r->frame, f, &oom);
	return oom || !turn->reply_text ? -1 : 0;
}

static int set_reply(struct store_turn *turn, struct kd_result *r, const char *id,
		     const struct pol_reply *rep)
{
	return set_reply_extra(turn, r, id, rep, NULL);
}

/* The entity step's reply for a turn whose text answered an entity's "Did you say ...?"
 * (yes: confirmed, no: say it again), or for an entity just heard (confirm).  Returns 1
 * and fills turn and r when it answered, 0 when this turn is no entity step, -1 on no
 * memory. */
static int entity_step(const struct kd_worker *w, const struct kd_entity_state *es,
		       const struct asr_entity *heard, const char *text, float confidence,
		       struct store_turn *turn, struct kd_result *r, const char *id)
{
	const struct store_texts *t = nlu_bot_texts(w->bot);
	struct pol_reply rep;
	json_t *extra = NULL;
	int yn = es->confirm_kind ? kd_entity_yes_no(t, text) : 0, rc;

	if (yn)
		rc = kd_entity_reply(t, yn > 0 ? KD_ENTITY_CONFIRMED : KD_ENTITY_RETRY,
				     es->confirm_kind, es->confirm_value, NULL, confidence, &rep,
				     &extra);
	else if (heard && heard->kind != ASR_ENT_NONE)
		rc = kd_entity_reply(t, KD_ENTITY_CONFIRM, heard->kind, heard->value,
				     heard->spoken, confidence, &rep, &extra);
	else
		return 0;
	if (rc == 0)
		rc = set_reply_extra(turn, r, id, &rep, extra);
	json_decref(extra);
	pol_reply_clear(&rep);
	return rc ? -1 : 1;
}

/* The session's entity state; a store error is logged and reads as "nothing expected". */
static void entity_state(struct kd_worker *w, const struct kd_job *job,
			 struct kd_entity_state *es)
{
	if (kd_entity_state_read(w->st, job->session_id, es)) {
		LOG_WARN("entity state of session %lld: %s", (long long)job->session_id,
			 store_errmsg(w->st));
		memset(es, 0, sizeof *es);
	}
}

/* An upload logged for the person who holds the session: no reply in the turn, an ack
 * after the transcript/seen frame, the row's text for the consoles.  0, or -1 on no
 * memory. */
static int held_result(struct kd_result *r, const char *id, const char *text)
{
	json_t *j = json_pack("{s:s, s:s}", "type", "ack", "id", id);
	int oom = 0;

	chain(&r->frame, j ? kd_frame_from_json(j) : NULL, &oom);
	json_decref(j);
	r->kind = KD_RES_FRAME;
	r->held_text = strdup(text ? text : "");
	return oom || !r->held_text ? -1 : 0;
}

/* The policy's models for worker w: its bot and the conf thresholds (for a picture,
 * pic_answer adds the picture side). */
static struct pol_models worker_models(const struct kd_worker *w)
{
	struct pol_models m = { .bot = w->bot, .ns = w->ns,
				.threshold = w->env->conf->threshold,
				.asr_threshold = w->env->conf->asr_threshold };
	return m;
}

/* ---- typed message ---------------------------------------------------------------------- */

int kd_do_message(struct kd_worker *w, struct kd_job *job)
{
	const struct kd_env *p = w->env;
	struct pol_models m;
	struct pol_input in = { .words = job->text, .words_len = job->text_len };
	struct pol_reply rep = { 0 };
	struct kd_entity_state es;
	struct store_turn *turn = NULL;
	struct kd_result *r = NULL;
	uint64_t t0;
	int step;

	if (upload_prelude(w, job, job->logged))
		return 0;
	if (!job->text) {
		kd_post_error(p, job, KD_E_INTERNAL, "no text");
		return 0;
	}
	m = worker_models(w);
	memset(&es, 0, sizeof es);
	/* the log is read only for a yes or a no: what a text reply costs stays as it was */
	if (kd_entity_yes_no(nlu_bot_texts(w->bot), job->text))
		entity_state(w, job, &es);
	r = kd_result_new(job, KD_RES_REPLY);
	turn = calloc(1, sizeof *turn);
	if (!r || !turn)
		goto oom;
	turn->session_id = job->session_id;
	turn->client_id = strdup(job->id);
	turn->reply_kind = STORE_MSG_BOT;
	if (!turn->client_id || (step = entity_step(w, &es, NULL, job->text, 1.0f, turn, r,
						    job->id)) < 0)
		goto oom;
	if (!step) {
		t0 = cm_thread_cpu_ns();   /* the prediction's share of a reply (bench/ws) */
		if (pol_answer(&m, &in, &rep))
			goto oom;
		r->predict_ns = cm_thread_cpu_ns() - t0;
		if (set_reply(turn, r, job->id, &rep))
			goto oom;
	}
	turn->customer_text = job->text;          /* moves */
	job->text = NULL;
	pol_reply_clear(&rep);
	return kd_submit_turn(p, job, turn, r);
oom:
	pol_reply_clear(&rep);
	store_turn_free(turn);
	kd_result_free(r);
	kd_post_error(p, job, KD_E_INTERNAL, "out of memory");
	return 0;
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

int kd_do_audio(struct kd_worker *w, struct kd_job *job)
{
	const struct kd_env *p = w->env;
	const struct kefu_conf *c = p->conf;
	struct asr_limits lim = { .max_bytes = (size_t)c->max_upload,
				  .max_seconds = c->max_audio_seconds };
	struct asr_result res = { 0 };
	struct asr_entity ent;
	struct asr_entity_opts eo = { .mode = ASR_GRAMMAR_ASKED };   /* docs/speech.md */
	struct kd_entity_state es;
	struct pol_heard *heard = NULL;
	struct pol_reply rep = { 0 };
	struct pol_models m;
	struct store_turn *turn = NULL;
	struct kd_result *r = NULL;
	json_t *tj = NULL, *cmeta = NULL;
	asr_decoder *dec;
	asr_vad *vad;
	char err[512];
	double t0;
	int rc, oom = 0;

	if (upload_prelude(w, job, job->logged || job->resumed))
		return 0;
	if (!p->voice || kd_voice_asr(p->voice, &w->vw, &dec, &vad, err, sizeof err)) {
		kd_post_error(p, job, KD_E_INTERNAL,
			      p->voice ? err : "voice messages are not available");
		return 0;
	}
	entity_state(w, job, &es);
	eo.expect = es.expect;          /* the grammar for what the last answer asked for */
	eo.spell = c->asr_spell_pass ? 0.0f : -1.0f;   /* conf asr_spell_pass */
	eo.letters_off = !c->asr_letters;              /* conf asr_letters */
	t0 = now_s();
	struct asr_cmn cmn;          /* conf asr_session_cmn: the caller's speech so far
				      * normalises this clip */
	if (p->voice_cmn) {
		kd_vcmn_get(p->voice_cmn, job->session_id, &cmn);
		asr_decoder_set_cmn(dec, &cmn);
	}
	rc = asr_recognize_entity(dec, vad, job->data ? job->data : (void *)"", job->data_len,
				  &lim, &eo, &res, &ent);
	asr_decoder_set_cmn(dec, NULL);
	if (p->voice_cmn && rc == 0)
		kd_vcmn_put(p->voice_cmn, job->session_id, &cmn);
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
	LOG_DEBUG("clip %s: '%s' conf %.2f, %.2f s of audio in %.2f s; entity %s '%s' (grammar "
		  "%d, kept %d)", job->id, res.text, res.conf, res.audio_seconds, now_s() - t0,
		  asr_entity_kind_name(ent.kind), ent.value, ent.tried, ent.from_grammar);

	r = kd_result_new(job, KD_RES_REPLY);
	tj = transcript_json(job->id, &res);
	cmeta = json_pack("{s:s, s:s, s:I, s:f, s:f}", "upload", "audio", "mime", job->mime,
			  "bytes", (json_int_t)job->data_len, "seconds", res.audio_seconds,
			  "confidence", (double)res.conf);
	heard = calloc(res.n_words ? res.n_words : 1, sizeof *heard);
	if (!r || !tj || !cmeta || !heard)
		goto oom;
	if (ent.kind != ASR_ENT_NONE)            /* the log keeps what was read */
		json_object_set_new(cmeta, "entity", kd_entity_json(ent.kind, ent.value,
								    res.text, 0));
	r->media = 1;
	r->media_seconds = now_s() - t0;
	r->audio_seconds = res.audio_seconds;
	chain(&r->frame, kd_frame_from_json(tj), &oom);
	turn = upload_turn(job, "audio", strdup(res.text), cmeta, tj, 0, NULL);
	if (!turn || oom)
		goto oom;

	if (job->held) {
		if (held_result(r, job->id, res.text))
			goto oom;
		free(heard);
		json_decref(tj);
		json_decref(cmeta);
		asr_result_free(&res);
		return kd_submit_turn(p, job, turn, r);
	}
	for (size_t i = 0; i < res.n_words; i++)
		heard[i] = (struct pol_heard){ res.words[i].word, res.words[i].conf };
	struct pol_speech sp = { res.text, res.conf, heard, (int)res.n_words };
	struct pol_input in = { .speech = &sp };
	m = worker_models(w);
	int step = entity_step(w, &es, &ent, res.text, res.conf, turn, r, job->id);
	if (step < 0 || (!step && (pol_answer(&m, &in, &rep) ||
				   set_reply(turn, r, job->id, &rep))))
		goto oom;
	if (job->speak)
		add_speech(p->voice, job->id, turn->reply_text, &r->frame, &oom);
	if (oom)
		goto oom;
	pol_reply_clear(&rep);
	free(heard);
	json_decref(tj);
	json_decref(cmeta);
	asr_result_free(&res);
	return kd_submit_turn(p, job, turn, r);
oom:
	pol_reply_clear(&rep);
	free(heard);
	json_decref(tj);
	json_decref(cmeta);
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
static json_t *seen_json(const struct pic_seen *ps, const char *id)
{
	const struct vis_seen *s = &ps->seen;
	const char *category = ps->category;
	const struct vis_match *match = ps->match;
	int n_match = ps->n_match;
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
					 ps->safety_label, "score",
					 (double)s->safety[s->safety_top])
			     : json_null();
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "type", "seen",
			 "id", id, "ocr_text", s->ocr.text ? s->ocr.text : "", "codes", codes,
			 "entities", ents, "safety", safety ? safety : json_null(), "unsafe",
			 s->unsafe, "category", category && category[0] ? json_string(category)
									: json_null(),
			 "matches", matches);
}

int kd_do_image(struct kd_worker *w, struct kd_job *job)
{
	const struct kd_env *p = w->env;
	const struct kefu_conf *c = p->conf;
	struct vis_decode_opts opts = { .max_bytes = (size_t)c->max_upload,
					.max_pixels = (uint64_t)c->max_image_pixels,
					.max_side = KD_JPEG_SIDE,
					.deadline_ms = c->picture_deadline_ms };   /* issue 18 */
	struct pol_models m;
	struct pic_seen ps;
	struct store_turn *turn = NULL;
	struct kd_result *r = NULL;
	const struct pol_reply *rep = &ps.reply;
	json_t *sj = NULL, *cmeta = NULL;
	char err[512];
	double t0;
	int rc, oom = 0;

	if (upload_prelude(w, job, job->logged || job->resumed))
		return 0;
	/* the one call for the picture: read, blocklist, catalogue, answer policy (unless a
	 * person holds the session) */
	m = worker_models(w);
	t0 = now_s();
	rc = pic_answer(p->pics, &w->pw, &m, job->data, job->data_len, &opts, job->text,
			job->text_len, !job->held, &ps, err, sizeof err);
	if (rc) {
		int failed = rc == PIC_FAILED;  /* no picture models, no memory */
		enum kd_err e = failed ? KD_E_INTERNAL : image_err(rc);
		if (e == KD_E_INTERNAL)
			LOG_ERR("picture %s: %s: %s", job->id, failed ? "" : vis_err_code(rc), err);
		kd_post_error(p, job, e, failed || e != KD_E_INTERNAL ? err
						: "the picture could not be read");
		return 0;
	}
	LOG_DEBUG("picture %s: %dx%d %s, text '%s', unsafe %d, ms decode %.1f ocr %.1f codes "
		  "%.1f cnn %.1f", job->id, ps.seen.w, ps.seen.h, ps.format, ps.seen.ocr.text,
		  ps.seen.unsafe, ps.seen.ms_decode, ps.seen.ms_ocr, ps.seen.ms_codes,
		  ps.seen.ms_cnn);
	r = kd_result_new(job, KD_RES_REPLY);
	sj = seen_json(&ps, job->id);
	if (!r || !sj)
		goto oom;
	r->media = 2;
	r->media_seconds = now_s() - t0;
	chain(&r->frame, kd_frame_from_json(sj), &oom);
	if (oom)
		goto oom;
	if (!ps.answered) {                  /* a person answers: log it for them */
		turn = upload_turn(job, "image", strdup(job->text ? job->text : ""), NULL, sj,
				   ps.seen.unsafe, ps.sha256);
		if (!turn || held_result(r, job->id, turn->customer_text))
			goto oom;
	} else {
		if (rep->head_vote.answer_id || rep->fusion_vote.answer_id)
			LOG_DEBUG("picture %s: %s decided %lld (%.3f); text %lld (%.3f), head %lld "
				  "(%.3f), fusion %lld (%.3f)", job->id, rep->why_name,
				  (long long)rep->answer_id, rep->confidence,
				  (long long)rep->text_vote.answer_id, rep->text_vote.confidence,
				  (long long)rep->head_vote.answer_id, rep->head_vote.confidence,
				  (long long)rep->fusion_vote.answer_id,
				  rep->fusion_vote.confidence);
		turn = upload_turn(job, "image", strdup(rep->query), NULL, sj, ps.seen.unsafe,
				   ps.sha256);
		if (!turn || set_reply(turn, r, job->id, rep))
			goto oom;
	}
	cmeta = json_pack("{s:s, s:s, s:I, s:s, s:i, s:i, s:b, s:s}", "upload", "image", "mime",
			  job->mime, "bytes", (json_int_t)turn->attachment->len, "format",
			  ps.format, "w", ps.seen.w, "h", ps.seen.h, "unsafe", ps.seen.unsafe,
			  "answered_from", ps.answered ? rep->why_name : "operator");
	if (!cmeta || !(turn->customer_meta = dumps(cmeta)))
		goto oom;
	pic_seen_free(&ps);
	json_decref(sj);
	json_decref(cmeta);
	return kd_submit_turn(p, job, turn, r);
oom:
	pic_seen_free(&ps);
	json_decref(sj);
	json_decref(cmeta);
	store_turn_free(turn);
	kd_result_free(r);
	kd_post_error(p, job, KD_E_INTERNAL, "out of memory");
	return 0;
}
