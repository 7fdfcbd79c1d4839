/* summary/card_json.c — a summary card as JSON, the shape `kefu summarize --json` and
 * the console's GET /api/v1/conversations/{id}/summary both answer (docs/summary.md).
 * Pure; any thread.
 */
#include <jansson.h>

#include "summary.h"

json_t *sum_card_json(const struct sum_card *c)
{
	static const char *const src[] = { "text", "picture", "voice" };
	json_t *o = json_object(), *ents = json_array(), *ans = json_array();

	if (!o || !ents || !ans) {
		json_decref(o);
		json_decref(ents);
		json_decref(ans);
		return NULL;
	}
	for (size_t i = 0; i < c->n_entities; i++) {
		const struct sum_entity *e = &c->entities[i];
		json_array_append_new(ents, json_pack("{s:s, s:s, s:s, s:i}", "kind",
			sum_name_entity(e->kind), "text", e->text, "source", src[e->source % 3],
			"turn", e->turn));
	}
	for (size_t i = 0; i < c->n_answers; i++) {
		const struct sum_answer *a = &c->answers[i];
		json_t *r = json_array();
		for (int bit = 1; bit <= SUM_REACT_PERSON; bit <<= 1)
			if (a->reaction & bit)
				json_array_append_new(r, json_string(sum_name_reaction(bit)));
		json_array_append_new(ans, json_pack("{s:o, s:f, s:b, s:o, s:i}", "title",
			a->title ? json_string(a->title) : json_null(), "confidence", a->confidence,
			"fallback", a->fallback, "reactions", r, "turn", a->turn));
	}
	json_object_set_new(o, "lang", json_string(c->lang));
	json_object_set_new(o, "problem", json_string(c->problem ? c->problem : ""));
	json_object_set_new(o, "summary", json_string(c->summary ? c->summary : ""));
	json_object_set_new(o, "entities", ents);
	json_object_set_new(o, "answers", ans);
	json_object_set_new(o, "asked_for_person", json_boolean(c->asked_person));
	json_object_set_new(o, "mood", json_string(sum_name_mood(c->mood)));
	json_object_set_new(o, "mood_score", json_real(c->mood_score));
	json_object_set_new(o, "text", json_string(c->text ? c->text : ""));
	return o;
}
