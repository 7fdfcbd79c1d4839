/* nlu/rasa_export.c — the store's answers as one Rasa
 * 3.x YAML file (`kefu export --format rasa` and the console's GET
 * /api/v1/answers/export?format=rasa call this same function) (intents, nlu examples, responses) written with libyaml's emitter, so a
 * team can go back and forth.  Each answer is one intent: the first `intent:NAME` of its
 * tags (kefu import puts them there), else its title made into a name; its examples all
 * go under that intent; its body is `utter_NAME`'s text, with the answer's title kept in
 * the response's metadata (`kefu_title`) so a re-import keeps it.  A disabled answer
 * exports its examples but no response (so it comes back disabled).  Variants are more
 * variations of the response, buttons its `buttons:` (payload "/intent" of the target) and
 * synonyms `- synonym:` items, so the import carries them back.  No global state: the
 * emitter and its ok flag live in a `struct rx` on the caller's stack, so any thread holding
 * its own store handle may call it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "rasa.h"
#include "store.h"

struct ex_answer {
	char *intent, *title, *body;
	int enabled;
	int64_t id;
};

struct ex_job {
	struct ex_answer *a;
	size_t n, cap;
};

/* The intent name of an answer: its first intent: tag, else its title lowercased with
 * runs of other ASCII than letters and digits as one '_' (UTF-8 letters kept). */
static char *intent_of(const struct store_answer *a)
{
	const char *t = strstr(a->tags, "intent:");
	if (t && (t == a->tags || t[-1] == ',')) {
		t += 7;
		return strndup(t, strcspn(t, ","));
	}
	char *s = malloc(strlen(a->title) + 2);
	size_t o = 0;
	if (!s)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)a->title; *p; p++) {
		if (*p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z'))
			s[o++] = (char)*p;
		else if (*p >= 'A' && *p <= 'Z')
			s[o++] = (char)(*p - 'A' + 'a');
		else if (o && s[o - 1] != '_')
			s[o++] = '_';
	}
	while (o && s[o - 1] == '_')
		o--;
	if (!o)
		s[o++] = 'x';
	s[o] = '\0';
	return s;
}

static int collect(void *arg, const struct store_answer *a)
{
	struct ex_job *j = arg;
	struct ex_answer *n = cm_grow(j->a, &j->cap, j->n + 1, sizeof *n, 64);
	if (!n)
		return -1;
	j->a = n;
	struct ex_answer *e = &j->a[j->n];
	e->intent = intent_of(a);
	e->title = strdup(a->title);
	e->body = strdup(a->body);
	e->enabled = a->enabled;
	e->id = a->id;
	if (!e->intent || !e->title || !e->body) {
		free(e->intent);
		free(e->title);
		free(e->body);
		return -1;
	}
	j->n++;
	return 0;
}

/* ---- emitting ---------------------------------------------------------------------------- */

/* One export's emitter and whether every event so far was written. */
struct rx {
	yaml_emitter_t em;
	int ok;
};

static void emit(struct rx *em, yaml_event_t *ev, int ok)
{
	if (!ok || !yaml_emitter_emit(&em->em, ev))
		em->ok = 0;
}

static void str(struct rx *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	emit(em, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
						  (int)strlen(s), 1, 1, style));
}

static void map_start(struct rx *em)
{
	yaml_event_t ev;
	emit(em, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							  YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(struct rx *em)
{
	yaml_event_t ev;
	emit(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void seq_start(struct rx *em)
{
	yaml_event_t ev;
	emit(em, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							   YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_end(struct rx *em)
{
	yaml_event_t ev;
	emit(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

struct lines {
	char *buf;
	size_t len;
	FILE *f;
};

static int add_line(void *arg, const char *text)
{
	struct lines *l = arg;
	fputs("- ", l->f);
	for (const char *p = text; *p; p++)
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, l->f);
	fputc('\n', l->f);
	return 0;
}

/* The answer's variants as more `- text:` variations (store_variants_foreach). */
static int emit_variant(void *arg, int64_t answer_id, const char *body)
{
	struct rx *em = arg;

	(void)answer_id;
	map_start(em);
	str(em, "text", YAML_PLAIN_SCALAR_STYLE);
	str(em, body, strchr(body, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	map_end(em);
	return em->ok ? 0 : -1;
}

struct button_rows {
	const struct ex_job *j;
	struct nlu_rasa_rows rows;       /* a = title, b = payload "/intent" */
};

/* A button as (title, "/intent of its target"); a target with no answer is left out. */
static int take_button(void *arg, int64_t answer_id, const char *title, const char *target)
{
	struct button_rows *b = arg;
	char payload[700];

	(void)answer_id;
	for (size_t i = 0; i < b->j->n; i++)
		if (!strcmp(b->j->a[i].title, target)) {
			snprintf(payload, sizeof payload, "/%s", b->j->a[i].intent);
			return nlu_rasa_rows_add(&b->rows, title, payload, NULL);
		}
	return 0;
}

/* The synonyms as `- synonym: canonical` items with their words as examples. */
static int take_synonym(void *arg, const char *word, const char *canonical)
{
	return nlu_rasa_rows_add(arg, canonical, word, NULL);
}

static void emit_synonyms(struct rx *em, struct nlu_rasa_rows *syn)
{
	for (size_t i = 0; i < syn->n && em->ok; i++) {
		size_t k;
		for (k = 0; k < i && strcmp(syn->a[k], syn->a[i]); k++)
			;
		if (k < i)
			continue;                    /* this canonical word is done */
		struct lines l = { 0 };
		if (!(l.f = open_memstream(&l.buf, &l.len))) {
			em->ok = 0;
			break;
		}
		for (k = i; k < syn->n; k++)
			if (!strcmp(syn->a[k], syn->a[i]))
				add_line(&l, syn->b[k]);
		fclose(l.f);
		map_start(em);
		str(em, "synonym", YAML_PLAIN_SCALAR_STYLE);
		str(em, syn->a[i], YAML_ANY_SCALAR_STYLE);
		str(em, "examples", YAML_PLAIN_SCALAR_STYLE);
		str(em, l.buf, YAML_LITERAL_SCALAR_STYLE);
		map_end(em);
		free(l.buf);
	}
}

int nlu_rasa_export(struct store *st, FILE *out, char *err, size_t errlen)
{
	struct ex_job j = { 0 };
	struct nlu_rasa_rows syn = { 0 };
	struct rx em;
	yaml_event_t ev;
	int rc = store_answers_foreach(st, collect, &j);

	if (rc == 0)
		rc = store_synonyms_foreach(st, take_synonym, &syn);

	if (rc) {
		snprintf(err, errlen, "reading the answers failed: %s", store_errmsg(st));
		goto done;
	}
	if (!yaml_emitter_initialize(&em.em)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	em.ok = 1;
	yaml_emitter_set_output_file(&em.em, out);
	yaml_emitter_set_unicode(&em.em, 1);
	yaml_emitter_set_width(&em.em, 100);
	emit(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	map_start(&em);
	str(&em, "version", YAML_PLAIN_SCALAR_STYLE);
	str(&em, "3.1", YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	str(&em, "intents", YAML_PLAIN_SCALAR_STYLE);
	seq_start(&em);
	for (size_t i = 0; i < j.n; i++)
		str(&em, j.a[i].intent, YAML_ANY_SCALAR_STYLE);
	seq_end(&em);
	str(&em, "nlu", YAML_PLAIN_SCALAR_STYLE);
	seq_start(&em);
	for (size_t i = 0; i < j.n && em.ok; i++) {
		struct lines l = { 0 };
		if (!(l.f = open_memstream(&l.buf, &l.len))) {
			em.ok = 0;
			break;
		}
		store_answer_examples_foreach(st, j.a[i].id, add_line, &l);
		fclose(l.f);
		if (l.len) {
			map_start(&em);
			str(&em, "intent", YAML_PLAIN_SCALAR_STYLE);
			str(&em, j.a[i].intent, YAML_ANY_SCALAR_STYLE);
			str(&em, "examples", YAML_PLAIN_SCALAR_STYLE);
			str(&em, l.buf, YAML_LITERAL_SCALAR_STYLE);
			map_end(&em);
		}
		free(l.buf);
	}
	emit_synonyms(&em, &syn);
	seq_end(&em);
	str(&em, "responses", YAML_PLAIN_SCALAR_STYLE);
	map_start(&em);
	for (size_t i = 0; i < j.n; i++) {
		char name[700];
		if (!j.a[i].enabled)
			continue;
		snprintf(name, sizeof name, "utter_%s", j.a[i].intent);
		str(&em, name, YAML_ANY_SCALAR_STYLE);
		seq_start(&em);
		map_start(&em);
		str(&em, "text", YAML_PLAIN_SCALAR_STYLE);
		str(&em, j.a[i].body, strchr(j.a[i].body, '\n') ? YAML_LITERAL_SCALAR_STYLE
								: YAML_ANY_SCALAR_STYLE);
		str(&em, "metadata", YAML_PLAIN_SCALAR_STYLE);
		map_start(&em);
		str(&em, "kefu_title", YAML_PLAIN_SCALAR_STYLE);
		str(&em, j.a[i].title, YAML_ANY_SCALAR_STYLE);
		map_end(&em);
		struct button_rows b = { &j, { 0 } };
		if (store_buttons_foreach(st, j.a[i].id, take_button, &b))
			em.ok = 0;
		if (b.rows.n) {
			str(&em, "buttons", YAML_PLAIN_SCALAR_STYLE);
			seq_start(&em);
			for (size_t k = 0; k < b.rows.n; k++) {
				map_start(&em);
				str(&em, "title", YAML_PLAIN_SCALAR_STYLE);
				str(&em, b.rows.a[k], YAML_ANY_SCALAR_STYLE);
				str(&em, "payload", YAML_PLAIN_SCALAR_STYLE);
				str(&em, b.rows.b[k], YAML_ANY_SCALAR_STYLE);
				map_end(&em);
			}
			seq_end(&em);
		}
		nlu_rasa_rows_free(&b.rows);
		map_end(&em);
		if (store_variants_foreach(st, j.a[i].id, emit_variant, &em))
			em.ok = 0;
		seq_end(&em);
	}
	map_end(&em);
	map_end(&em);
	emit(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (!yaml_emitter_flush(&em.em))
		em.ok = 0;
	rc = em.ok ? 0 : -1;
	if (!em.ok)
		snprintf(err, errlen, "writing YAML failed: %s",
			 em.em.problem ? em.em.problem : "out of memory");
	yaml_emitter_delete(&em.em);
done:
	nlu_rasa_rows_free(&syn);
	for (size_t i = 0; i < j.n; i++) {
		free(j.a[i].intent);
		free(j.a[i].title);
		free(j.a[i].body);
	}
	free(j.a);
	if (rc > 0)
		rc = -1;
	return rc;
}
