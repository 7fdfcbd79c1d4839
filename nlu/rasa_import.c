/* nlu/rasa_import.c — a Rasa project as kefu answers, for `kefu import` and the console's
 * import (POST /api/v1/answers/import, api/answers.c): NLU data, domain, rules and
 * stories (files or whole data folders, or YAML texts, read by nlu/rasa.c on libyaml)
 * become the project's JSON import text, so store_import_json does the one-transaction
 * import.  (It was tools/kefu/rasa.c; both callers share it now.)
 *
 * Each response that answers an intent becomes one answer: the intent's response is
 * `utter_<intent>` (retrieval intents `faq/x` → `utter_faq/x`), else the first action
 * after the intent in a rule or story when that action is a response.  Intents that
 * share a response share its answer.  The answer's title is readable (a --titles line,
 * the response metadata's kefu_title, or the first sentence of the text), its tags
 * keep the intent names (`rasa,intent:NAME,...`).  The response's other plain variations
 * become the answer's variants (the bot rotates them), its buttons whose payload is an
 * intent (`/intent`) quick replies selecting that intent's answer, and the synonyms the
 * store's synonyms (the bot reads a customer's word as the word it stands for).  What
 * kefu cannot carry is reported by name: intents without a response (imported
 * disabled), conditional or channel variations, {slot} placeholders (removed from the
 * text), buttons with other payloads, images at URLs, custom actions; images that are
 * local files are handed back for `kefu import` to add as the answer's pictures.
 * Lookup tables and regexes that are simple alternatives add example questions.  The
 * caller's thread.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "file.h"
#include "rasa.h"
#include "store.h"
#include "utf8.h"

#define MAX_EXTRA 40    /* extra examples made from one lookup table / regex per intent */

struct rep {
	FILE *f;            /* the report being written (open_memstream) */
	struct nlu_rasa_counts *c;
};

static void say(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct rep *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
}

/* ---- titles ----------------------------------------------------------------------------- */

/* "out_of_scope/non_english" → "Out of scope: non english" (only when no text exists). */
static void humanise(const char *intent, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = intent; *p && o + 3 < cap; p++) {
		if (*p == '/') {
			out[o++] = ':';
			out[o++] = ' ';
		} else {
			out[o++] = *p == '_' || *p == '-' ? ' ' : *p;
		}
	}
	o = cm_utf8_complete(out, o);              /* a long intent name cut whole */
	out[o] = '\0';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

/* The first sentence of a response text, Markdown marks removed, at most ~60 chars cut
 * at a word. */
static void first_sentence(const char *text, char *out, size_t cap)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)text;

	while (*p == ' ' || *p == '#' || *p == '>' || *p == '-' || *p == '\n')
		p++;
	while (*p && o + 8 < cap) {
		if (*p == '\n' && p[1] != '\n') {        /* a soft line break */
			out[o++] = ' ';
			p++;
			continue;
		}
		if (*p == '\n' || ((*p == '.' || *p == '!' || *p == '?') &&
				   (p[1] == ' ' || p[1] == '\n' || !p[1]))) {
			if (*p == '?' || *p == '!')
				out[o++] = (char)*p;
			break;
		}
		/* 。！？ end a Chinese sentence */
		if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x82)
			break;
		if (p[0] == 0xef && p[1] == 0xbc && (p[2] == 0x81 || p[2] == 0x9f))
			break;
		if (*p == '*' || *p == '_' || *p == '`' || *p == '[') {
			p++;
			continue;
		}
		if (*p == ']' && p[1] == '(') {      /* [words](url): keep the words */
			const char *e = strchr((const char *)p, ')');
			p = e ? (const unsigned char *)e + 1 : p + 1;
			continue;
		}
		out[o++] = (char)*p++;
	}
	out[o] = '\0';
	while (o && strchr(" ,;:", out[o - 1]))
		out[--o] = '\0';
	if (o > 60) {                              /* cut at a space before 60 bytes */
		size_t cut = 60;
		while (cut > 20 && out[cut] != ' ')
			cut--;
		while (cut && (out[cut] & 0xc0) == 0x80)
			cut--;
		snprintf(out + cut, cap - cut, "…");
	}
}

/* --titles FILE: "intent: Title" or "intent<TAB>Title" lines; # comments. */
static int read_titles(const char *path, struct nlu_rasa_rows *t)
{
	size_t len;
	char *buf = cm_read_file(path, &len);

	if (!buf)
		return -1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *sep = strchr(line, '\t');
		if (!sep)
			sep = strstr(line, ": ");
		if (line[0] == '#' || !sep)
			continue;
		*sep = '\0';
		char *title = sep + 1;
		while (*title == ' ' || *title == '\t')
			title++;
		title[strcspn(title, "\r")] = '\0';
		if (*line && *title && nlu_rasa_rows_add(t, line, title, NULL)) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	return 0;
}

static const char *row_b(const struct nlu_rasa_rows *t, const char *a)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->a[i], a))
			return t->b[i];
	return NULL;
}

/* ---- responses --------------------------------------------------------------------------- */

/* The variation a customer gets: the first without condition or channel (else the first
 * with text).  NULL if none has text. */
static const struct nlu_rasa_variant *pick(const struct nlu_rasa_response *resp)
{
	const struct nlu_rasa_variant *any = NULL;
	for (size_t i = 0; resp && i < resp->n; i++) {
		if (!resp->v[i].text || !resp->v[i].text[0])
			continue;
		if (!resp->v[i].conditional && !resp->v[i].channel)
			return &resp->v[i];
		if (!any)
			any = &resp->v[i];
	}
	return any;
}

/* The response answering intent (see the file comment), or NULL; *action gets the first
 * action found for it when that is not a response (a custom action), else NULL. */
static const struct nlu_rasa_response *response_of(const struct nlu_rasa *r,
						   const char *intent, const char **action)
{
	char name[600];
	const struct nlu_rasa_response *resp;

	*action = NULL;
	snprintf(name, sizeof name, "utter_%s", intent);
	if ((resp = nlu_rasa_response(r, name)) && pick(resp))
		return resp;
	for (size_t i = 0; i < r->links.n; i++) {
		if (strcmp(r->links.a[i], intent))
			continue;
		if ((resp = nlu_rasa_response(r, r->links.b[i])) && pick(resp))
			return resp;
		if (!*action && strncmp(r->links.b[i], "utter_", 6))
			*action = r->links.b[i];
	}
	return NULL;
}

/* text without {slot} placeholders (double spaces left by them closed up); malloc'd.
 * *n_slots counts them. */
static char *drop_slots(const char *text, int *n_slots)
{
	char *out = malloc(strlen(text) + 1);
	size_t o = 0;

	*n_slots = 0;
	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		const char *e;
		if (*p == '{' && (e = strchr(p, '}')) && e > p + 1 &&
		    strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
		    (size_t)(e - p - 1)) {
			++*n_slots;
			p = e + 1;
			if (o && out[o - 1] == ' ')
				while (*p == ' ')
					p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
	/* " ," / " ." left where a slot sat before punctuation */
	for (size_t i = 0; i + 1 < o; i++)
		if (out[i] == ' ' && strchr(",.!?", out[i + 1])) {
			memmove(out + i, out + i + 1, o - i);
			o--;
		}
	return out;
}

/* ---- extra examples ---------------------------------------------------------------------- */

/* "(a|b|c)" with optional \b, ^, $ and (?i) around, each alternative words only: the
 * alternatives as rows of out (a = each).  0 when simple, -1 when not. */
static int simple_alternatives(const char *re, struct nlu_rasa_rows *out)
{
	char buf[1024];
	size_t n;
	char *s = buf;

	snprintf(buf, sizeof buf, "%s", re);
	if (!strncmp(s, "(?i)", 4))
		s += 4;
	for (;;) {
		if (!strncmp(s, "\\b", 2))
			s += 2;
		else if (*s == '^')
			s++;
		else
			break;
	}
	n = strlen(s);
	for (;;) {
		if (n >= 2 && !strncmp(s + n - 2, "\\b", 2))
			n -= 2;
		else if (n && s[n - 1] == '$')
			n--;
		else
			break;
	}
	s[n] = '\0';
	if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
		s[n - 1] = '\0';
		s++;
	}
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++)
		if (strchr("\\()[]{}.*+?^$", *p))
			return -1;
	for (char *tok = strtok(s, "|"); tok; tok = strtok(NULL, "|"))
		if (*tok && nlu_rasa_rows_add(out, tok, NULL, NULL))
			return -1;
	return 0;
}

/* Examples of label from templates of entity ent, one per value (rotating templates). */
static int expand(const struct nlu_rasa *r, const char *ent, const struct nlu_rasa_rows *vals,
		  struct nlu_dataset *extra, int *n_used)
{
	for (size_t l = 0; l < r->ex.n_labels; l++) {
		size_t k = 0, made = 0;
		for (size_t v = 0; v < vals->n && made < MAX_EXTRA; v++) {
			/* the next template of this intent for this entity */
			size_t tries = 0;
			for (; tries < r->entity_ex.n; tries++, k++) {
				size_t i = k % r->entity_ex.n;
				if (!strcmp(r->entity_ex.a[i], ent) &&
				    !strcmp(r->entity_ex.b[i], r->ex.names[l]))
					break;
			}
			if (tries == r->entity_ex.n)
				break;
			const char *tpl = r->entity_ex.c[k++ % r->entity_ex.n];
			const char *hole = strchr(tpl, '\x01');
			char text[2048];
			snprintf(text, sizeof text, "%.*s%s%s", (int)(hole - tpl), tpl, vals->a[v],
				 hole + 1);
			if (nlu_dataset_add(extra, text, r->ex.names[l]))
				return -1;
			made++;
		}
		if (made)
			++*n_used;
	}
	return 0;
}

static int extra_examples(const struct nlu_rasa *r, struct nlu_dataset *extra, struct rep *rp)
{
	int used = 0, simple = 0;
	struct nlu_rasa_rows names = { 0 };

	/* lookup tables, by name */
	for (size_t i = 0; i < r->lookups.n; i++) {
		if (row_b(&names, r->lookups.a[i]))
			continue;
		struct nlu_rasa_rows vals = { 0 };
		for (size_t k = 0; k < r->lookups.n; k++)
			if (!strcmp(r->lookups.a[k], r->lookups.a[i]))
				nlu_rasa_rows_add(&vals, r->lookups.b[k], NULL, NULL);
		int n_used = 0;
		int rc = expand(r, r->lookups.a[i], &vals, extra, &n_used);
		nlu_rasa_rows_add(&names, r->lookups.a[i], n_used ? "used" : "unused", NULL);
		nlu_rasa_rows_free(&vals);
		if (rc)
			goto oom;
		used += n_used > 0;
	}
	for (size_t i = 0; i < r->regexes.n; i++) {
		struct nlu_rasa_rows vals = { 0 };
		int n_used = 0;
		if (simple_alternatives(r->regexes.b[i], &vals) == 0) {
			simple++;
			if (expand(r, r->regexes.a[i], &vals, extra, &n_used)) {
				nlu_rasa_rows_free(&vals);
				goto oom;
			}
		}
		nlu_rasa_rows_free(&vals);
		used += n_used > 0;
	}
	if (r->lookups.n || r->regexes.n)
		say(rp, "  lookup tables: %zu, regexes: %zu (%d simple alternatives); %d of them "
		    "filled into annotated examples as extra example questions, the rest not used "
		    "(kefu has no entity extraction)\n", names.n, r->regexes.n, simple, used);
	nlu_rasa_rows_free(&names);
	return 0;
oom:
	nlu_rasa_rows_free(&names);
	return -1;
}

/* ---- the whole ---------------------------------------------------------------------------- */

struct answer {                   /* one answer being built: a response and its intents */
	const struct nlu_rasa_response *resp;
	const char *intents[32];
	size_t n_intents;
	char title[256];
};

/* The answer a button's payload selects: "/intent" (entities in {...} or a confidence
 * after @ ignored) naming an intent of one of the answers; -1 when it names none (a
 * payload of plain text, or an intent this project does not have). */
static long button_target(const struct answer *ans, size_t n_ans, const char *payload)
{
	char intent[256];

	if (payload[0] != '/')
		return -1;
	snprintf(intent, sizeof intent, "%.*s", (int)strcspn(payload + 1, "{@ "), payload + 1);
	for (size_t a = 0; a < n_ans; a++)
		for (size_t i = 0; i < ans[a].n_intents; i++)
			if (!strcmp(ans[a].intents[i], intent))
				return (long)a;
	return -1;
}

/* The plain variations of resp other than v (no condition, no channel; {slot}s removed)
 * as a JSON array of texts, NULL when there are none. */
static json_t *variants_of(const struct nlu_rasa_response *resp,
			   const struct nlu_rasa_variant *v, const char *body)
{
	json_t *out = json_array();
	int n_slots;

	for (size_t i = 0; out && i < resp->n; i++) {
		const struct nlu_rasa_variant *x = &resp->v[i];
		if (x == v || !x->text || x->conditional || x->channel)
			continue;
		char *t = drop_slots(x->text, &n_slots);
		if (t && t[0] && strcmp(t, body))
			json_array_append_new(out, json_string(t));
		free(t);
	}
	if (json_array_size(out))
		return out;
	json_decref(out);
	return NULL;
}

static void name_list(struct rep *rp, const char *what, struct nlu_rasa_rows *t)
{
	if (!t->n)
		return;
	say(rp, "  %s (%zu):", what, t->n);
	for (size_t i = 0; i < t->n; i++)
		say(rp, "%s %s%s%s", i ? "," : "", t->a[i], t->b[i] && *t->b[i] ? " → " : "",
		    t->b[i] ? t->b[i] : "");
	say(rp, "\n");
}

char *nlu_rasa_import_json(const struct nlu_rasa_input *in, int n_in, const char *titles_path,
			   struct nlu_rasa_counts *counts, struct nlu_rasa_rows *pictures,
			   char **report, char *why, size_t whylen)
{
	struct nlu_rasa r;
	struct nlu_dataset extra;
	struct nlu_rasa_rows titles = { 0 }, no_resp = { 0 }, custom = { 0 }, cond = { 0 },
			     slots = { 0 }, buttons = { 0 }, images = { 0 }, variations = { 0 },
			     lost_buttons = { 0 }, used_titles = { 0 };
	struct answer *ans = NULL;
	size_t n_ans = 0, rep_len = 0;
	char err[1024], *out = NULL;
	int n_files = 0;
	json_t *arr = json_array();
	struct rep rp = { open_memstream(report, &rep_len), counts };

	memset(counts, 0, sizeof *counts);
	nlu_rasa_init(&r);
	nlu_dataset_init(&extra);
	if (!arr || !rp.f)
		goto done;
	snprintf(why, whylen, "out of memory");
	for (int i = 0; i < n_in; i++) {
		int bad = in[i].path ? nlu_rasa_read(&r, in[i].path, &n_files, err, sizeof err)
				     : nlu_rasa_parse(&r, in[i].buf, in[i].len, err, sizeof err);
		n_files += !in[i].path;
		if (bad) {
			snprintf(why, whylen, "%s%s%s", in[i].path ? "" : in[i].name,
				 in[i].path ? "" : ": ", err);
			goto done;
		}
	}
	if (titles_path && read_titles(titles_path, &titles)) {
		snprintf(why, whylen, "%s: cannot read it", titles_path);
		goto done;
	}
	if (r.ex.n_labels == 0) {
		snprintf(why, whylen, "no intent examples found in %s%s (expected nlu: / "
			 "- intent: / examples: |)", in[0].path ? in[0].path : in[0].name,
			 n_in > 1 ? " ..." : "");
		goto done;
	}
	ans = calloc(r.ex.n_labels, sizeof *ans);
	say(&rp, "  read %d file%s: %zu intents, %zu examples, %zu responses, %zu rule/story "
	    "steps from an intent to an action\n", n_files, n_files == 1 ? "" : "s",
	    r.ex.n_labels, r.ex.n, r.n_resp, r.links.n);
	if (!ans || extra_examples(&r, &extra, &rp))
		goto done;
	/* intents → answers, intents sharing a response sharing one answer */
	for (size_t l = 0; l < r.ex.n_labels; l++) {
		const char *action;
		const struct nlu_rasa_response *resp = response_of(&r, r.ex.names[l], &action);
		size_t a = n_ans;
		for (size_t k = 0; resp && k < n_ans; k++)
			if (ans[k].resp == resp)
				a = k;
		if (a == n_ans)
			ans[n_ans++].resp = resp;
		if (ans[a].n_intents < 32)
			ans[a].intents[ans[a].n_intents++] = r.ex.names[l];
		if (!resp) {
			nlu_rasa_rows_add(&no_resp, r.ex.names[l], NULL, NULL);
			if (action)
				nlu_rasa_rows_add(&custom, r.ex.names[l], action, NULL);
		}
	}
	for (size_t a = 0; a < n_ans; a++) {
		const struct nlu_rasa_response *resp = ans[a].resp;
		const struct nlu_rasa_variant *v = pick(resp);
		const char *first = ans[a].intents[0], *t;
		char title[256], tags[200], body[700], *text = NULL;
		int n_slots = 0, cjk = 0;

		if (v) {
			if (!(text = drop_slots(v->text, &n_slots)))
				goto done;
			if (n_slots)
				nlu_rasa_rows_add(&slots, resp->name, NULL, NULL);
			size_t n_cond = 0;
			for (size_t i = 0; i < resp->n; i++) {
				int c = resp->v[i].conditional || resp->v[i].channel;
				n_cond += c;
				counts->variations_dropped += c && resp->v[i].text &&
							      &resp->v[i] != v;
				if (resp->v[i].image && !resp->v[i].image_file &&
				    !row_b(&images, resp->name))
					nlu_rasa_rows_add(&images, resp->name, "", NULL);
			}
			if (n_cond)
				nlu_rasa_rows_add(&cond, resp->name, NULL, NULL);
		}
		if ((t = row_b(&titles, first)) || (v && (t = v->title)))
			cm_utf8_copy(title, STORE_MAX_TITLE + 1, t);
		else if (text && (first_sentence(text, title, sizeof title), title[0]))
			;
		else
			humanise(first, title, STORE_MAX_TITLE + 1);
		/* titles are unique: a second answer with the same words gets its intent (the
		 * words cut to leave it room within the store's limit) */
		if (row_b(&used_titles, title)) {
			char h[128], more[sizeof h + 4];
			humanise(first, h, sizeof h);
			size_t sl = (size_t)snprintf(more, sizeof more, " (%s)", h);
			size_t tl = cm_utf8_prefix(title, strlen(title), STORE_MAX_TITLE - sl);
			memcpy(title + tl, more, sl + 1);
		}
		nlu_rasa_rows_add(&used_titles, title, "", NULL);
		snprintf(ans[a].title, sizeof ans[a].title, "%s", title);
		size_t o = (size_t)snprintf(tags, sizeof tags, "rasa");
		for (size_t i = 0; i < ans[a].n_intents; i++) {
			size_t need = strlen(ans[a].intents[i]) + 8;
			if (o + need < sizeof tags)
				o += (size_t)snprintf(tags + o, sizeof tags - o, ",intent:%s",
						      ans[a].intents[i]);
		}
		if (!text) {
			snprintf(body, sizeof body, "*No answer text yet for the Rasa intent `%s`: "
				 "write one, then enable this answer.*", first);
			body[cm_utf8_complete(body, strlen(body))] = '\0';
		}
		json_t *qs = json_array();
		cjk = cm_utf8_has_cjk(first) || (text && cm_utf8_has_cjk(text));
		for (size_t i = 0; qs && i < ans[a].n_intents; i++) {
			int l = nlu_dataset_label(&r.ex, ans[a].intents[i]);
			for (size_t k = 0; k < r.ex.n; k++)
				if (r.ex.labels[k] == l) {
					json_array_append_new(qs, json_string(r.ex.texts[k]));
					cjk |= cm_utf8_has_cjk(r.ex.texts[k]);
				}
			l = nlu_dataset_label(&extra, ans[a].intents[i]);
			for (size_t k = 0; l >= 0 && k < extra.n; k++)
				if (extra.labels[k] == l) {
					json_array_append_new(qs, json_string(extra.texts[k]));
					counts->extra_examples++;
				}
		}
		json_t *vars = v && text ? variants_of(resp, v, text) : NULL;
		if (vars)
			nlu_rasa_rows_add(&variations, resp->name, NULL, NULL);
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o*, s:o*}", "title", title,
				      "body", text ? text : body, "lang", cjk ? "zh" : "en",
				      "tags", tags, "enabled", text != NULL, "questions", qs,
				      "variants", vars);
		free(text);
		if (!j || json_array_append_new(arr, j))
			goto done;
		for (size_t i = 0; v && pictures && i < resp->n; i++)
			if (resp->v[i].image_file &&
			    nlu_rasa_rows_add(pictures, title, resp->v[i].image_file, NULL))
				goto done;
		counts->answers++;
		counts->disabled += !v;
	}
	/* buttons → quick replies naming their target answer by title (all titles known) */
	for (size_t a = 0; a < n_ans; a++) {
		const struct nlu_rasa_variant *v = pick(ans[a].resp);
		json_t *qr = json_array();
		for (size_t b = 0; v && qr && b < v->buttons.n; b++) {
			long t = button_target(ans, n_ans, v->buttons.b[b]);
			if (t < 0) {
				nlu_rasa_rows_add(&lost_buttons, ans[a].resp->name, v->buttons.a[b],
						  NULL);
				continue;
			}
			json_array_append_new(qr, json_pack("{s:s, s:s}", "title", v->buttons.a[b],
							    "answer", ans[t].title));
		}
		if (json_array_size(qr)) {
			nlu_rasa_rows_add(&buttons, ans[a].resp->name, NULL, NULL);
			json_object_set(json_array_get(arr, a), "quick_replies", qr);
		}
		json_decref(qr);
	}
	json_t *syn = json_object();
	for (size_t i = 0; syn && i < r.synonyms.n; i++)
		if (strcasecmp(r.synonyms.a[i], r.synonyms.b[i]))
			json_object_set_new(syn, r.synonyms.a[i], json_string(r.synonyms.b[i]));
	counts->intents = (long)r.ex.n_labels;
	counts->examples = (long)r.ex.n;
	counts->no_response = (long)no_resp.n;
	name_list(&rp, "intents with no response, imported disabled", &no_resp);
	name_list(&rp, "of these, answered in Rasa by a custom action (kefu runs no actions)",
		  &custom);
	name_list(&rp, "responses with variations, kept as variants the bot rotates", &variations);
	name_list(&rp, "responses with condition:/channel: variations, the plain one kept",
		  &cond);
	name_list(&rp, "responses whose {slot} placeholders were removed (kefu has no slots)",
		  &slots);
	name_list(&rp, "responses with buttons, kept as quick replies", &buttons);
	name_list(&rp, "buttons whose payload is not an intent of this project, not kept",
		  &lost_buttons);
	if (json_object_size(syn))
		say(&rp, "  synonyms: %zu kept; kefu reads a customer's word as the word it "
		    "stands for\n", json_object_size(syn));
	name_list(&rp, "responses with images at URLs, not fetched (kefu fetches nothing at "
		  "import)", &images);
	counts->unsupported = (long)(cond.n + slots.n + lost_buttons.n + images.n + custom.n);
	json_t *doc = syn ? json_pack("{s:O, s:o}", "answers", arr, "synonyms", syn) : NULL;
	out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
done:
	if (rp.f)
		fclose(rp.f);
	free(ans);
	json_decref(arr);
	nlu_rasa_rows_free(&titles);
	nlu_rasa_rows_free(&used_titles);
	nlu_rasa_rows_free(&no_resp);
	nlu_rasa_rows_free(&custom);
	nlu_rasa_rows_free(&cond);
	nlu_rasa_rows_free(&slots);
	nlu_rasa_rows_free(&buttons);
	nlu_rasa_rows_free(&images);
	nlu_rasa_rows_free(&variations);
	nlu_rasa_rows_free(&lost_buttons);
	nlu_dataset_free(&extra);
	nlu_rasa_free(&r);
	return out;
}
