/* summary/session.c — a conversation of the store as a sum_dialog: the one file of
 * summary/ that reads the store (through store.h, on the caller's connection and thread).
 *
 * What a turn records (docs/store.md, daemon/upload.c): a customer message's text is what
 * was typed, or a clip's transcript, or a picture's words + text read, with meta
 * {"upload": "audio"|"image", ...}; the clip or picture is an attachment whose meta is the
 * transcript or seen frame (OCR text and entities); a bot reply's meta names the answer
 * (title), whether it was a fallback, its language and the client id of the question,
 * which is how its thumbs are found (store_feedback_get); a system message with meta
 * {"event":"handoff"} marks a request for a person; operators' replies are kind 2.
 * Every string is copied into storage the struct sum_session owns.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "summary.h"

struct msg {
	int kind;
	double confidence;
	char *text, *client_id;
	json_t *meta;
};

struct owned {
	struct sum_turn *turns;
	struct sum_seen_entity *seen;   /* all turns' picture entities */
	size_t n_seen;
	json_t **json;                  /* every parsed meta, alive while strings point in */
	size_t n_json;
	struct msg *msgs;
	size_t n_msgs, cap_msgs;
};

static int collect(void *arg, const struct store_message *m)
{
	struct owned *o = arg;
	struct msg *p = cm_grow(o->msgs, &o->cap_msgs, o->n_msgs + 1, sizeof *p, 32);
	if (!p)
		return 1;                       /* positive: store_history returns it as is */
	o->msgs = p;
	struct msg *g = &o->msgs[o->n_msgs];
	memset(g, 0, sizeof *g);
	g->kind = m->kind;
	g->confidence = m->confidence;
	g->text = strdup(m->text ? m->text : "");
	g->client_id = m->client_id ? strdup(m->client_id) : NULL;
	g->meta = m->meta ? json_loads(m->meta, 0, NULL) : NULL;
	o->n_msgs++;
	return !g->text || (m->client_id && !g->client_id) ? 1 : 0;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int keep_json(struct owned *o, json_t *j)
{
	json_t **p = realloc(o->json, (o->n_json + 1) * sizeof *p);
	if (!p) {
		json_decref(j);
		return -1;
	}
	o->json = p;
	o->json[o->n_json++] = j;
	return 0;
}

/* The attachment of customer message g: its seen/transcript frame. */
static int attachment(struct store *st, int64_t sid, struct owned *o, struct msg *g,
		      struct sum_turn *t)
{
	struct store_attachment a;
	const char *up = jstr(g->meta, "upload");
	if (!up || !g->client_id)
		return 0;
	t->source = !strcmp(up, "audio") ? SUM_SRC_VOICE : SUM_SRC_PICTURE;
	int rc = store_attachment_find(st, sid, g->client_id, 0, &a);
	if (rc)
		return rc == STORE_NOT_FOUND ? 0 : rc;
	json_t *j = a.meta ? json_loads(a.meta, 0, NULL) : NULL;
	store_attachment_clear(&a);
	if (!j)
		return 0;
	if (keep_json(o, j))
		return -1;
	if (t->source == SUM_SRC_PICTURE) {
		json_t *ents = json_object_get(j, "entities");
		size_t n = json_array_size(ents);
		t->ocr_text = jstr(j, "ocr_text");
		if (n) {
			struct sum_seen_entity *s = realloc(o->seen, (o->n_seen + n) * sizeof *s);
			if (!s)
				return -1;
			o->seen = s;
			/* index for now: pointers are set once the array stops moving */
			t->seen = (const struct sum_seen_entity *)(uintptr_t)(o->n_seen + 1);
			t->n_seen = n;
			for (size_t k = 0; k < n; k++) {
				json_t *e = json_array_get(ents, k);
				o->seen[o->n_seen++] = (struct sum_seen_entity){ jstr(e, "kind"),
										 jstr(e, "text") };
			}
		}
	}
	return 0;
}

int sum_session_load(struct store *st, const char *token, struct sum_session *out,
		     char *err, size_t errlen)
{
	struct owned *o = calloc(1, sizeof *o);
	int64_t sid;
	int rc;

	memset(out, 0, sizeof *out);
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->priv = o;
	rc = store_session_find(st, token, &sid);
	if (rc) {
		snprintf(err, errlen, rc == STORE_NOT_FOUND ? "no session with this token"
							    : "%s", store_errmsg(st));
		goto fail;
	}
	out->session_id = sid;
	if ((rc = store_session_state(st, sid, out->state, sizeof out->state)) ||
	    (rc = store_history(st, sid, 0, collect, o))) {
		snprintf(err, errlen, "%s", rc > 0 ? "out of memory" : store_errmsg(st));
		rc = rc > 0 ? -1 : rc;
		goto fail;
	}
	o->turns = calloc(o->n_msgs ? o->n_msgs : 1, sizeof *o->turns);
	if (!o->turns)
		goto oom;
	for (size_t i = 0; i < o->n_msgs; i++) {
		struct msg *g = &o->msgs[i];
		struct sum_turn *t = &o->turns[i];
		t->text = g->text;
		switch (g->kind) {
		case STORE_MSG_CUSTOMER:
			t->role = SUM_CUSTOMER;
			if ((rc = attachment(st, sid, o, g, t)) < 0) {
				snprintf(err, errlen, "%s", store_errmsg(st));
				goto fail;
			}
			break;
		case STORE_MSG_BOT: {
			const char *cid = jstr(g->meta, "client_id");
			int v;
			t->role = SUM_BOT;
			t->confidence = g->confidence;
			t->answer_title = jstr(g->meta, "title");
			t->fallback = json_is_true(json_object_get(g->meta, "fallback"));
			if (!t->answer_title && !t->fallback)
				t->fallback = json_object_get(g->meta, "refused") != NULL;
			if (cid && store_feedback_get(st, sid, cid, &v) == 0)
				t->feedback = v;
			break;
		}
		case STORE_MSG_OPERATOR:
			t->role = SUM_AGENT;
			break;
		default:
			t->role = SUM_SYSTEM;
			t->handoff = g->meta && !strcmp(jstr(g->meta, "event") ? jstr(g->meta, "event")
										  : "", "handoff");
			break;
		}
	}
	for (size_t i = 0; i < o->n_msgs; i++)     /* picture entities: indices to pointers */
		if (o->turns[i].n_seen)
			o->turns[i].seen = o->seen + ((uintptr_t)o->turns[i].seen - 1);
	out->d.turns = o->turns;
	out->d.n_turns = o->n_msgs;
	out->d.lang = NULL;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -1;
fail:
	sum_session_free(out);
	return rc;
}

void sum_session_free(struct sum_session *s)
{
	struct owned *o = s->priv;
	if (o) {
		for (size_t i = 0; i < o->n_msgs; i++) {
			free(o->msgs[i].text);
			free(o->msgs[i].client_id);
			json_decref(o->msgs[i].meta);
		}
		for (size_t i = 0; i < o->n_json; i++)
			json_decref(o->json[i]);
		free(o->msgs);
		free(o->json);
		free(o->seen);
		free(o->turns);
		free(o);
	}
	memset(s, 0, sizeof *s);
}
