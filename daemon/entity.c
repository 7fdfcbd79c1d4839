/* daemon/entity.c — entities by voice in a conversation: what the session's last bot reply
 * asked for, and the replies that confirm what was heard (docs/protocol.md "Entities by
 * voice").
 *
 * The state lives in the session log, nowhere else: the last bot reply of the session says
 * it.  A reply that asked "Did you say A 7 7 3 1 9 0 2?" carries meta {"why":
 * "entity_confirm", "entity":{...}}; one that asked to say it again {"why":"entity_retry",
 * "expects":"code"}; any other reply of an answer whose expects column names a kind
 * (store/answer_expects.c) expects that kind.  So a restart, a resend or a second worker
 * sees the same state.  The customer-facing words are the store's texts (entity_confirm,
 * entity_yes, entity_no, entity_confirmed, entity_retry; store/texts.json).
 *
 * Runs on a worker thread with its own store connection.
 */
#include "entity.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The last message of the session, kept by the store_history callback. */
struct last {
	int kind;
	int64_t answer_id;
	char *meta;
};

static int keep_last(void *arg, const struct store_message *m)
{
	struct last *l = arg;

	free(l->meta);
	l->kind = m->kind;
	l->answer_id = m->answer_id;
	l->meta = m->meta ? strdup(m->meta) : NULL;
	return 0;
}

static int kind_of(const json_t *v)
{
	int k = json_is_string(v) ? asr_entity_kind_parse(json_string_value(v)) : -1;

	return k > 0 ? k : ASR_ENT_NONE;
}

int kd_entity_state_read(struct store *st, int64_t sid, struct kd_entity_state *s)
{
	struct last l = { -1, 0, NULL };
	json_t *meta, *why, *ent;
	char kind[16];
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = store_history(st, sid, 1, keep_last, &l))) {
		free(l.meta);
		return rc;
	}
	if (l.kind != STORE_MSG_BOT) {
		free(l.meta);
		return 0;
	}
	meta = l.meta ? json_loads(l.meta, 0, NULL) : NULL;
	free(l.meta);
	why = json_object_get(meta, "why");
	ent = json_object_get(meta, "entity");
	if (json_is_string(why) && !strcmp(json_string_value(why), "entity_confirm") &&
	    json_is_object(ent) && json_is_string(json_object_get(ent, "value"))) {
		s->confirm_kind = kind_of(json_object_get(ent, "kind"));
		snprintf(s->confirm_value, sizeof s->confirm_value, "%s",
			 json_string_value(json_object_get(ent, "value")));
	} else if (json_object_get(meta, "expects")) {
		s->expect = kind_of(json_object_get(meta, "expects"));
	} else if (l.answer_id > 0 && store_answer_expects(st, l.answer_id, kind, sizeof kind) == 0) {
		s->expect = asr_entity_kind_parse(kind) > 0 ? asr_entity_kind_parse(kind) : 0;
	}
	json_decref(meta);
	return 0;
}

/* 1 when text, trimmed of spaces and end punctuation, is key's text in English or Chinese
 * (ASCII case ignored). */
static int says(const struct store_texts *t, const char *key, const char *text)
{
	static const char *const langs[] = { "en", "zh" };
	size_t n;

	while (*text && isspace((unsigned char)*text))
		text++;
	n = strlen(text);
	while (n && (isspace((unsigned char)text[n - 1]) || strchr(".!?,", text[n - 1])))
		n--;
	for (size_t i = 0; i < 2; i++) {
		const char *w = store_text(t, key, langs[i]);
		if (w && strlen(w) == n && !strncasecmp(w, text, n))
			return 1;
	}
	return 0;
}

int kd_entity_yes_no(const struct store_texts *t, const char *text)
{
	if (!text)
		return 0;
	return says(t, "entity_yes", text) ? 1 : says(t, "entity_no", text) ? -1 : 0;
}

/* The value as said back: a code or number one character at a time ("A 7 7 3"), a
 * date or amount as it is.  malloc'd; NULL on no memory. */
static char *spaced(int kind, const char *value)
{
	size_t n = strlen(value);
	char *out = malloc(2 * n + 1), *o = out;

	if (!out)
		return NULL;
	if (kind != ASR_ENT_CODE && kind != ASR_ENT_NUMBER) {
		memcpy(out, value, n + 1);
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ' ';
		*o++ = value[i];
	}
	*o = '\0';
	return out;
}

json_t *kd_entity_json(int kind, const char *value, const char *spoken, int confirmed)
{
	json_t *j = json_pack("{s:s, s:s}", "kind", asr_entity_kind_name(kind), "value", value);

	if (j && spoken)
		json_object_set_new(j, "spoken", json_string(spoken));
	if (j && confirmed)
		json_object_set_new(j, "confirmed", json_true());
	return j;
}

int kd_entity_reply(const struct store_texts *t, enum kd_entity_step step, int kind,
		    const char *value, const char *spoken, float confidence,
		    struct pol_reply *rep, json_t **extra)
{
	static const char *const keys[] = { "entity_confirm", "entity_confirmed",
					    "entity_retry" };
	const char *lang = "en";
	char *say = spaced(kind, value);

	memset(rep, 0, sizeof *rep);
	*extra = NULL;
	if (!say)
		return -1;
	rep->own_text = store_text_fill(store_text(t, keys[step], lang), "value", say);
	free(say);
	if (!rep->own_text)
		return -1;
	rep->text = rep->own_text;
	rep->lang = lang;
	rep->confidence = confidence;
	rep->query = spoken ? spoken : "";
	if (step == KD_ENTITY_CONFIRM) {
		rep->quick[0].title = store_text(t, "entity_yes", lang);
		rep->quick[1].title = store_text(t, "entity_no", lang);
		rep->n_quick = 2;
	}
	*extra = json_pack("{s:s}", "why", keys[step]);
	if (*extra && step == KD_ENTITY_RETRY)
		json_object_set_new(*extra, "expects", json_string(asr_entity_kind_name(kind)));
	else if (*extra)
		json_object_set_new(*extra, "entity", kd_entity_json(kind, value, spoken,
								     step == KD_ENTITY_CONFIRMED));
	if (!*extra) {
		pol_reply_clear(rep);
		return -1;
	}
	return 0;
}
