/* tools/kefu-voice/report.c — how kefu-voice shows a turn: for a person at a terminal
 * (transcript, the answer's Markdown as plain text, numbered quick replies) or as one JSON
 * line per turn for scripts.  Main thread only.
 */
#include "voice.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "speech.h"

char *kv_plain(const char *md)
{
	size_t n = strlen(md);
	/* "[t](u)" -> "t (u)" adds one byte per link at most: n + n/4 + 1 is ample */
	char *out = malloc(n + n / 4 + 2), *o = out;
	int bol = 1;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = md[i];
		if (bol) {
			while (md[i] == ' ' && i < n)
				*o++ = md[i++];
			if (md[i] == '#' || md[i] == '>') {           /* heading, quote */
				while (md[i] == '#' || md[i] == '>')
					i++;
				while (md[i] == ' ')
					i++;
			} else if ((md[i] == '*' || md[i] == '+') && md[i + 1] == ' ') {
				*o++ = '-';                             /* bullet */
				i++;
			}
			if (i >= n)
				break;
			c = md[i];
			bol = 0;
		}
		if (c == '\\' && md[i + 1] && strchr("\\`*_{}[]()#+-.!>", md[i + 1])) {
			*o++ = md[++i];                                 /* escaped mark */
			continue;
		}
		if (c == '[') {                                         /* [text](url) */
			const char *close = strstr(md + i, "](");
			const char *end = close ? strchr(close, ')') : NULL;
			const char *nl = strchr(md + i, '\n');
			if (end && (!nl || end < nl)) {
				size_t tl = (size_t)(close - md) - i - 1, ul = (size_t)(end - close) - 2;
				memcpy(o, md + i + 1, tl);
				o += tl;
				if (ul && (ul != tl || strncmp(md + i + 1, close + 2, ul))) {
					*o++ = ' ';
					*o++ = '(';
					memcpy(o, close + 2, ul);
					o += ul;
					*o++ = ')';
				}
				i = (size_t)(end - md);
				continue;
			}
		}
		if (c == '*' || c == '`' || (c == '_' && md[i + 1] == '_'))
			continue;                                       /* emphasis, code */
		if (c == '_' && i > 0 && md[i - 1] == '_')
			continue;
		*o++ = c;
		if (c == '\n')
			bol = 1;
	}
	*o = '\0';
	return out;
}

static void report_json(FILE *out, const struct kv_turn *t, const struct kv_turn_meta *m)
{
	json_t *j = json_object(), *lat = json_object(), *qr = json_array();
	json_object_set_new(j, "turn", json_integer(m->n));
	json_object_set_new(j, "id", json_string(t->id));
	json_object_set_new(j, "session", json_string(m->session ? m->session : ""));
	json_object_set_new(j, "kind", json_string(m->typed ? "text" : "audio"));
	if (!m->typed) {
		json_object_set_new(j, "start", m->start_s >= 0 ? json_real(m->start_s) : json_null());
		json_object_set_new(j, "clip_seconds", json_real(t->clip_seconds));
	}
	json_object_set_new(j, "transcript", t->has_transcript && t->transcript ?
			    json_string(t->transcript) : json_null());
	if (t->has_transcript)
		json_object_set_new(j, "asr_confidence", json_real(t->asr_conf));
	if (t->has_reply) {
		json_object_set_new(j, "answer_id", t->answer_id >= 0 ?
				    json_integer(t->answer_id) : json_null());
		json_object_set_new(j, "title", t->title ? json_string(t->title) : json_null());
		json_object_set_new(j, "text", json_string(t->text ? t->text : ""));
		json_object_set_new(j, "confidence", json_real(t->conf));
		json_object_set_new(j, "fallback", json_boolean(t->fallback));
		json_object_set_new(j, "lang", t->lang ? json_string(t->lang) : json_null());
		if (t->refused)
			json_object_set_new(j, "refused", json_string(t->refused));
		if (t->entity_kind && t->entity_value)
			json_object_set_new(j, "entity", json_pack("{s:s, s:s, s:b}", "kind",
				t->entity_kind, "value", t->entity_value, "confirmed",
				t->entity_confirmed));
		for (size_t i = 0; i < t->nquick; i++)
			json_array_append_new(qr, json_string(t->quick[i]));
	}
	json_object_set_new(j, "quick_replies", qr);
	if (t->speech)
		json_object_set_new(j, "speech_seconds", json_real((double)t->nspeech / ASR_RATE));
	if (m->endpoint_ms >= 0)
		json_object_set_new(lat, "endpoint", json_real(m->endpoint_ms));
	if (t->has_transcript)
		json_object_set_new(lat, "transcript", json_real(t->transcript_ms));
	if (t->has_reply)
		json_object_set_new(lat, "reply", json_real(t->reply_ms));
	if (t->speech)
		json_object_set_new(lat, "speech", json_real(t->speech_ms));
	json_object_set_new(j, "latency_ms", lat);
	if (t->err_code)
		json_object_set_new(j, "error", json_pack("{s:s, s:s}", "code", t->err_code,
							  "message", t->err_msg ? t->err_msg : ""));
	else
		json_object_set_new(j, "error", json_null());
	if (t->resent)
		json_object_set_new(j, "resent", json_true());
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
	if (s)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(j);
}

/* Writes text with ind before every line after the first (blank lines stay empty). */
static void indented(FILE *out, const char *text, const char *ind)
{
	for (const char *p = text; *p; p++) {
		if (p > text && p[-1] == '\n' && *p != '\n')
			fputs(ind, out);
		fputc(*p, out);
	}
}

void kv_report_turn(FILE *out, const struct kv_turn *t, const struct kv_turn_meta *m,
		    int json)
{
	if (json) {
		report_json(out, t, m);
		fflush(out);
		return;
	}
	if (t->has_transcript)
		fprintf(out, "[%d] you said: \"%s\"  (confidence %.2f, %.1f s)\n", m->n,
			t->transcript ? t->transcript : "", t->asr_conf, t->asr_seconds);
	if (t->err_code)
		fprintf(out, "[%d] kefud error %s: %s\n", m->n, t->err_code,
			t->err_msg ? t->err_msg : "");
	if (t->has_reply) {
		char *plain = kv_plain(t->text ? t->text : "");
		fprintf(out, "    kefu: ");
		indented(out, plain ? plain : "", "          ");
		fputc('\n', out);
		free(plain);
		if (t->title)
			fprintf(out, "          (%s, confidence %.2f)\n", t->title, t->conf);
		if (t->entity_kind && t->entity_value)
			fprintf(out, "          (%s %s%s)\n", t->entity_kind, t->entity_value,
				t->entity_confirmed ? ", confirmed" : "");
		for (size_t i = 0; i < t->nquick; i++)
			fprintf(out, "%s[%zu] %s%s", i ? "  " : "    quick replies: ", i + 1,
				t->quick[i], i + 1 == t->nquick ? "\n" : "");
	}
	fflush(out);
}
