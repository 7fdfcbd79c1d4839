/* nlu/rasa.c — Rasa YAML files through libyaml's document loader (so every scalar style,
 * quoting, escape, block and flow form is YAML's, not ours), walked into the lists of
 * rasa.h.  Entity markup in examples ([text](entity), [text](entity:value),
 * [text]{"entity": "e", "value": "v"}) is removed, its values kept as synonyms and, for
 * an example with one annotation, as a template for lookup-table expansion.
 * Any thread; no global state.
 */
#include "rasa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "buf.h"
#include "file.h"
#include "utf8.h"

void nlu_rasa_init(struct nlu_rasa *r)
{
	memset(r, 0, sizeof *r);
	nlu_dataset_init(&r->ex);
}

void nlu_rasa_rows_free(struct nlu_rasa_rows *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->a[i]);
		free(t->b[i]);
		free(t->c[i]);
	}
	free(t->a);
	free(t->b);
	free(t->c);
	memset(t, 0, sizeof *t);
}

void nlu_rasa_free(struct nlu_rasa *r)
{
	nlu_dataset_free(&r->ex);
	for (size_t i = 0; i < r->n_resp; i++) {
		for (size_t k = 0; k < r->resp[i].n; k++) {
			struct nlu_rasa_variant *v = &r->resp[i].v[k];
			free(v->text);
			free(v->image);
			free(v->channel);
			free(v->title);
			free(v->image_file);
			nlu_rasa_rows_free(&v->buttons);
		}
		free(r->resp[i].v);
		free(r->resp[i].name);
	}
	free(r->resp);
	nlu_rasa_rows_free(&r->links);
	nlu_rasa_rows_free(&r->synonyms);
	nlu_rasa_rows_free(&r->regexes);
	nlu_rasa_rows_free(&r->lookups);
	nlu_rasa_rows_free(&r->entity_ex);
	nlu_rasa_rows_free(&r->domain_intents);
	memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int nlu_rasa_rows_add(struct nlu_rasa_rows *t, const char *a, const char *b, const char *c)
{
	if (t->n == t->cap) {
		size_t cap = cm_grow_cap(t->cap, t->n + 1, 16, sizeof(char *));
		char **na = cap ? cm_realloc_n(t->a, cap, sizeof *na) : NULL;
		if (na)
			t->a = na;
		char **nb = cap ? cm_realloc_n(t->b, cap, sizeof *nb) : NULL;
		if (nb)
			t->b = nb;
		char **nc = cap ? cm_realloc_n(t->c, cap, sizeof *nc) : NULL;
		if (nc)
			t->c = nc;
		if (!na || !nb || !nc)
			return -1;
		t->cap = cap;
	}
	t->a[t->n] = dup_or_null(a);
	t->b[t->n] = dup_or_null(b);
	t->c[t->n] = dup_or_null(c);
	if (!t->a[t->n] || (b && !t->b[t->n]) || (c && !t->c[t->n])) {
		free(t->a[t->n]);
		free(t->b[t->n]);
		free(t->c[t->n]);
		return -1;
	}
	t->n++;
	return 0;
}

const struct nlu_rasa_response *nlu_rasa_response(const struct nlu_rasa *r, const char *name)
{
	for (size_t i = 0; i < r->n_resp; i++)
		if (!strcmp(r->resp[i].name, name))
			return &r->resp[i];
	return NULL;
}

/* ---- walking the document ------------------------------------------------------------- */

/* Loops over a sequence node's items / a mapping node's pairs. */
#define EACH_ITEM(it, seq) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; \
	     it < (seq)->data.sequence.items.top; it++)
#define EACH_PAIR(p, map) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; \
	     p < (map)->data.mapping.pairs.top; p++)

struct walk {
	struct nlu_rasa *r;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const yaml_node_t *at, const char *fmt, const char *arg)
{
	int n = snprintf(w->err, w->errlen, "line %zu: ", at ? at->start_mark.line + 1 : 0);

	if (n >= 0 && (size_t)n < w->errlen)
		snprintf(w->err + n, w->errlen - (size_t)n, fmt, arg ? arg : "");
	return -1;
}

static int oom(struct walk *w)
{
	snprintf(w->err, w->errlen, "out of memory");
	return -1;
}

static yaml_node_t *node(struct walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

/* The text of a scalar node, or NULL for another kind (or a scalar holding a NUL). */
static const char *scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The value node of key in mapping m, or NULL. */
static yaml_node_t *get(struct walk *w, const yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	EACH_PAIR(p, m) {
		const char *k = scalar(node(w, p->key));
		if (k && !strcmp(k, key))
			return node(w, p->value);
	}
	return NULL;
}

static const char *get_str(struct walk *w, const yaml_node_t *m, const char *key)
{
	return scalar(get(w, m, key));
}

/* A string value checked for UTF-8; NULL (with err set) when it is not. */
static const char *text_of(struct walk *w, const yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);

	if (!s) {
		fail(w, n, "%s must be a text", what);
		return NULL;
	}
	if (!cm_utf8_valid(s, strlen(s))) {
		fail(w, n, "%s is not valid UTF-8", what);
		return NULL;
	}
	return s;
}

/* Copies the entity name or a quoted JSON member value out of an annotation. */
static void json_member(const char *s, size_t n, const char *key, char *out, size_t cap)
{
	char pat[32];
	out[0] = '\0';
	snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *k = memmem(s, n, pat, strlen(pat));
	if (!k)
		return;
	const char *q = memchr(k + strlen(pat), '"', (size_t)(s + n - k - strlen(pat)));
	if (!q)
		return;
	const char *e = memchr(q + 1, '"', (size_t)(s + n - q - 1));
	if (!e || (size_t)(e - q - 1) >= cap)
		return;
	memcpy(out, q + 1, (size_t)(e - q - 1));
	out[e - q - 1] = '\0';
}

/* An annotation [TEXT](ENTITY), [TEXT](ENTITY:VALUE) or [TEXT]{"entity": ..., "value":
 * ...} starting at s[0] == '[' (n bytes left): its entity name and value (value "" when
 * none) and the byte count of TEXT; returns the annotation's length, 0 when s does not
 * start one. */
struct annotation {
	char name[128], value[256];
	size_t text_len;
};

static size_t annotation(const char *s, size_t n, struct annotation *a)
{
	const char *close = memchr(s, ']', n);

	if (!close || (size_t)(close - s) + 1 >= n || (close[1] != '(' && close[1] != '{'))
		return 0;
	char want = close[1] == '(' ? ')' : '}';
	const char *ann = close + 2, *end = memchr(ann, want, (size_t)(s + n - ann));
	if (!end)
		return 0;
	size_t an = (size_t)(end - ann);
	a->name[0] = a->value[0] = '\0';
	a->text_len = (size_t)(close - s) - 1;
	if (want == '}') {
		json_member(ann - 1, an + 2, "entity", a->name, sizeof a->name);
		json_member(ann - 1, an + 2, "value", a->value, sizeof a->value);
	} else {
		const char *colon = memchr(ann, ':', an);
		size_t nl = colon ? (size_t)(colon - ann) : an;
		if (nl < sizeof a->name)
			snprintf(a->name, sizeof a->name, "%.*s", (int)nl, ann);
		if (colon && (size_t)(end - colon - 1) < sizeof a->value)
			snprintf(a->value, sizeof a->value, "%.*s", (int)(end - colon - 1),
				 colon + 1);
	}
	return (size_t)(end - s) + 1;
}

/* Removes entity markup from s into out (same size or shorter).  Records synonyms from
 * annotated values; *entity gets the entity of the last annotation, tpl the text with
 * that annotation replaced by \x01; returns the number of annotations, -1 on OOM. */
static int strip_markup(struct nlu_rasa *r, const char *s, char *out, char *tpl,
			char *entity, size_t ecap)
{
	size_t n = strlen(s), o = 0, t = 0;
	int count = 0;

	entity[0] = '\0';
	for (size_t i = 0; i < n;) {
		struct annotation a;
		size_t len = s[i] == '[' ? annotation(s + i, n - i, &a) : 0;
		if (!len) {
			out[o++] = s[i];
			tpl[t++] = s[i++];
			continue;
		}
		const char *text = s + i + 1;
		if (a.value[0] && (strlen(a.value) != a.text_len ||
				   strncmp(text, a.value, a.text_len))) {
			char *word = strndup(text, a.text_len);
			int bad = !word || nlu_rasa_rows_add(&r->synonyms, word, a.value, NULL);
			free(word);
			if (bad)
				return -1;
		}
		if (count) {                      /* keep only the last one in tpl */
			memcpy(tpl, out, o);
			t = o;
		}
		snprintf(entity, ecap, "%s", a.name);
		memcpy(out + o, text, a.text_len);
		o += a.text_len;
		tpl[t++] = '\x01';
		count++;
		i += len;
	}
	out[o] = '\0';
	tpl[t] = '\0';
	return count;
}

static int is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return !*s;
}

/* One example of an `intent:` item (label NULL: of a synonym/regex/lookup item, which
 * goes to rows instead). */
static int add_example(struct walk *w, const yaml_node_t *at, const char *label,
		       struct nlu_rasa_rows *rows, const char *name, const char *text)
{
	size_t n = strlen(text);
	char *clean = malloc(n + 1), *tpl = malloc(n + 2), entity[128];
	int rc = 0;

	if (!clean || !tpl) {
		free(clean);
		free(tpl);
		return oom(w);
	}
	if (!cm_utf8_valid(text, n)) {
		rc = fail(w, at, "an example is not valid UTF-8%s", NULL);
	} else if (!label) {           /* synonym rows are (text, value), others (name, text) */
		rc = (rows == &w->r->synonyms ? nlu_rasa_rows_add(rows, text, name, NULL)
					      : nlu_rasa_rows_add(rows, name, text, NULL)) ? oom(w) : 0;
	} else {
		int k = strip_markup(w->r, text, clean, tpl, entity, sizeof entity);
		char *s = clean;
		while (*s == ' ')
			s++;
		size_t sl = strlen(s);
		while (sl && (s[sl - 1] == ' ' || s[sl - 1] == '\r'))
			s[--sl] = '\0';
		if (k < 0 || (*s && nlu_dataset_add(&w->r->ex, s, label)))
			rc = oom(w);
		else if (k == 1 && entity[0] &&
			 nlu_rasa_rows_add(&w->r->entity_ex, entity, label, tpl))
			rc = oom(w);
	}
	free(clean);
	free(tpl);
	return rc;
}

/* `examples:` of an nlu item: a block of "- text" lines, or (Rasa 3) a list of
 * `- text: ...` mappings (with metadata) or of plain texts. */
static int nlu_examples(struct walk *w, const yaml_node_t *ex, const char *label,
			struct nlu_rasa_rows *rows, const char *name)
{
	if (ex->type == YAML_SEQUENCE_NODE) {
		EACH_ITEM(it, ex) {
			yaml_node_t *e = node(w, *it), *t = e;
			if (e && e->type == YAML_MAPPING_NODE)
				t = get(w, e, "text");
			const char *s = scalar(t);
			if (!s)
				return fail(w, e, "an example must be a text or have `text:`%s",
					    NULL);
			char *one = strdup(s);   /* a `text: |` block ends with a newline */
			if (!one)
				return oom(w);
			size_t n = strlen(one);
			while (n && (one[n - 1] == '\n' || one[n - 1] == ' '))
				one[--n] = '\0';
			int rc = is_blank(one) ? 0 : add_example(w, t, label, rows, name, one);
			free(one);
			if (rc)
				return rc;
		}
		return 0;
	}
	const char *s = scalar(ex);
	if (!s || (ex->data.scalar.style != YAML_LITERAL_SCALAR_STYLE &&
		   ex->data.scalar.style != YAML_FOLDED_SCALAR_STYLE && strncmp(s, "- ", 2)))
		return fail(w, ex, "examples of `%s` must be \"- text\" lines after "
			    "\"examples: |\" (or a list of `- text:` items)", label ? label : name);
	char *copy = strdup(s);
	if (!copy)
		return oom(w);
	int rc = 0;
	size_t line = 0;
	for (char *p = copy, *nl; *p && !rc; p = nl ? nl + 1 : p + strlen(p), line++) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (is_blank(p) || *p == '#') {
			if (!nl)
				break;
			continue;
		}
		if (p[0] != '-' || (p[1] != ' ' && p[1] != '\0')) {
			yaml_node_t at = *ex;
			at.start_mark.line += line + (ex->data.scalar.style ==
						      YAML_LITERAL_SCALAR_STYLE ||
						      ex->data.scalar.style ==
						      YAML_FOLDED_SCALAR_STYLE);
			rc = fail(w, &at, "examples must be \"- text\" lines (`%s`)",
				  label ? label : name);
			break;
		}
		p += 1;
		while (*p == ' ')
			p++;
		/* a quoted example keeps its words, not its quotes */
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\r'))
			p[--n] = '\0';
		if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
			p[n - 1] = '\0';
			p++;
		}
		if (*p)
			rc = add_example(w, ex, label, rows, name, p);
		if (!nl)
			break;
	}
	free(copy);
	return rc;
}

static int walk_nlu(struct walk *w, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(w, seq, "`nlu:` must be a list%s", NULL);
	EACH_ITEM(it, seq) {
		yaml_node_t *item = node(w, *it), *ex = get(w, item, "examples");
		const char *intent = get_str(w, item, "intent"), *name = NULL;
		struct nlu_rasa_rows *rows = NULL;
		if ((name = get_str(w, item, "synonym")))
			rows = &w->r->synonyms;
		else if ((name = get_str(w, item, "regex")))
			rows = &w->r->regexes;
		else if ((name = get_str(w, item, "lookup")))
			rows = &w->r->lookups;
		if (!intent && !rows)
			continue;              /* something newer than we know: skip it */
		if (intent && (!*intent || !cm_utf8_valid(intent, strlen(intent))))
			return fail(w, item, "bad intent name%s", NULL);
		if (!ex)
			return fail(w, item, "`%s` has no `examples:`", intent ? intent : name);
		if (nlu_examples(w, ex, intent, rows, name))
			return -1;
	}
	return 0;
}

static struct nlu_rasa_response *response_for(struct nlu_rasa *r, const char *name)
{
	for (size_t i = 0; i < r->n_resp; i++)
		if (!strcmp(r->resp[i].name, name))
			return &r->resp[i];
	struct nlu_rasa_response *n = cm_grow(r->resp, &r->cap_resp, r->n_resp + 1, sizeof *n, 32);
	if (!n)
		return NULL;
	r->resp = n;
	struct nlu_rasa_response *p = &r->resp[r->n_resp];
	memset(p, 0, sizeof *p);
	if (!(p->name = strdup(name)))
		return NULL;
	r->n_resp++;
	return p;
}

static int walk_variant(struct walk *w, struct nlu_rasa_response *resp, const yaml_node_t *m)
{
	struct nlu_rasa_variant *nv = realloc(resp->v, (resp->n + 1) * sizeof *nv), *v;
	const yaml_node_t *t = get(w, m, "text"), *b = get(w, m, "buttons");
	const char *s;

	if (!nv)
		return oom(w);
	resp->v = nv;
	v = &nv[resp->n++];
	memset(v, 0, sizeof *v);
	if (m->type == YAML_SCALAR_NODE)
		t = m;                         /* a bare text, as some 1.x domains had */
	else if (m->type != YAML_MAPPING_NODE)
		return fail(w, m, "a variation of `%s` must be a mapping", resp->name);
	if (t) {
		if (!(s = text_of(w, t, "a response text")))
			return -1;
		if (!(v->text = strdup(s)))
			return oom(w);
		size_t n = strlen(v->text);
		while (n && (v->text[n - 1] == '\n' || v->text[n - 1] == ' '))
			v->text[--n] = '\0';
	}
	if ((s = get_str(w, m, "image"))) {
		if (!(v->image = strdup(s)))
			return oom(w);
		if (!strncmp(s, "file://", 7))
			s += 7;
		if (!strstr(s, "://") && *s) {        /* a local file, not a URL */
			const char *dir = s[0] != '/' && w->r->base_dir ? w->r->base_dir : NULL;
			size_t n = (dir ? strlen(dir) + 1 : 0) + strlen(s) + 1;
			if (!(v->image_file = malloc(n)))
				return oom(w);
			snprintf(v->image_file, n, "%s%s%s", dir ? dir : "", dir ? "/" : "", s);
		}
	}
	if ((s = get_str(w, m, "channel")) && !(v->channel = strdup(s)))
		return oom(w);
	if ((s = get_str(w, get(w, m, "metadata"), "kefu_title")) &&
	    cm_utf8_valid(s, strlen(s)) && !(v->title = strdup(s)))
		return oom(w);
	v->conditional = get(w, m, "condition") != NULL;
	v->custom = get(w, m, "custom") != NULL;
	if (b && b->type == YAML_SEQUENCE_NODE)
		EACH_ITEM(it, b) {
			yaml_node_t *bn = node(w, *it);
			const char *title = get_str(w, bn, "title");
			const char *payload = get_str(w, bn, "payload");
			if (title && cm_utf8_valid(title, strlen(title)) &&
			    nlu_rasa_rows_add(&v->buttons, title, payload ? payload : "", NULL))
				return oom(w);
		}
	return 0;
}

static int walk_responses(struct walk *w, const yaml_node_t *m)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(w, m, "`responses:` must be a mapping of names%s", NULL);
	EACH_PAIR(p, m) {
		yaml_node_t *kn = node(w, p->key), *vn = node(w, p->value);
		const char *name = scalar(kn);
		if (!name || !cm_utf8_valid(name, strlen(name)))
			return fail(w, kn, "a response name must be a UTF-8 text%s", NULL);
		struct nlu_rasa_response *resp = response_for(w->r, name);
		if (!resp)
			return oom(w);
		if (vn->type != YAML_SEQUENCE_NODE)
			return fail(w, vn, "`%s` must be a list of variations", name);
		EACH_ITEM(it, vn)
			if (walk_variant(w, resp, node(w, *it)))
				return -1;
	}
	return 0;
}

/* Steps of one rule or story: each intent (or each of an `or:`) is paired with the
 * next action. */
static int walk_steps(struct walk *w, const yaml_node_t *steps)
{
	const char *pending[16];
	size_t n_pending = 0;

	if (!steps || steps->type != YAML_SEQUENCE_NODE)
		return 0;
	EACH_ITEM(it, steps) {
		yaml_node_t *s = node(w, *it), *or = get(w, s, "or");
		const char *intent = get_str(w, s, "intent"), *action = get_str(w, s, "action");
		if (intent) {
			n_pending = 0;
			pending[n_pending++] = intent;
		} else if (or && or->type == YAML_SEQUENCE_NODE) {
			n_pending = 0;
			for (yaml_node_item_t *o = or->data.sequence.items.start;
			     o < or->data.sequence.items.top && n_pending < 16; o++) {
				const char *i = get_str(w, node(w, *o), "intent");
				if (i)
					pending[n_pending++] = i;
			}
		} else if (action) {
			for (size_t i = 0; i < n_pending; i++)
				if (nlu_rasa_rows_add(&w->r->links, pending[i], action, NULL))
					return oom(w);
			n_pending = 0;
		}
	}
	return 0;
}

static int walk_flows(struct walk *w, const yaml_node_t *seq, const char *what)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(w, seq, "`%s:` must be a list", what);
	EACH_ITEM(it, seq)
		if (walk_steps(w, get(w, node(w, *it), "steps")))
			return -1;
	return 0;
}

static int walk_intents(struct walk *w, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return 0;
	EACH_ITEM(it, seq) {
		yaml_node_t *i = node(w, *it);
		const char *name = scalar(i);
		if (!name && i->type == YAML_MAPPING_NODE && i->data.mapping.pairs.start <
		    i->data.mapping.pairs.top)   /* - intent_name: {use_entities: ...} */
			name = scalar(node(w, i->data.mapping.pairs.start->key));
		if (name && nlu_rasa_rows_add(&w->r->domain_intents, name, NULL, NULL))
			return oom(w);
	}
	return 0;
}

int nlu_rasa_parse(struct nlu_rasa *r, const char *buf, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w = { r, &doc, err, errlen };
	int rc = 0;

	err[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return oom(&w);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		size_t line = parser.problem_mark.line + 1;
		if (parser.error == YAML_READER_ERROR) {   /* bad bytes: only an offset */
			line = 1;
			for (size_t i = 0; i < parser.problem_offset && i < len; i++)
				line += buf[i] == '\n';
		}
		snprintf(err, errlen, "line %zu: %s%s%s", line,
			 parser.problem ? parser.problem : "not YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE)
		rc = fail(&w, root, "a Rasa file is a mapping (version:, nlu:, responses:, ...)%s",
			  NULL);
	for (yaml_node_pair_t *p = root && !rc ? root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top && !rc; p++) {
		const char *k = scalar(node(&w, p->key));
		yaml_node_t *v = node(&w, p->value);
		if (!k || !v)
			continue;
		if (!strcmp(k, "nlu"))
			rc = walk_nlu(&w, v);
		else if (!strcmp(k, "responses") || !strcmp(k, "templates"))
			rc = walk_responses(&w, v);
		else if (!strcmp(k, "rules") || !strcmp(k, "stories"))
			rc = walk_flows(&w, v, k);
		else if (!strcmp(k, "intents"))
			rc = walk_intents(&w, v);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- files and folders ------------------------------------------------------------------ */

static int is_yaml_name(const char *s)
{
	size_t n = strlen(s);
	return (n > 4 && !strcmp(s + n - 4, ".yml")) || (n > 5 && !strcmp(s + n - 5, ".yaml"));
}

int nlu_rasa_read(struct nlu_rasa *r, const char *path, int *n_files, char *err, size_t errlen)
{
	struct stat sb;
	char msg[400];

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		char **names;
		int n = cm_list_dir(path, CM_DIR_ANY, &names), rc = 0;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		for (int i = 0; i < n && !rc; i++) {
			size_t need = strlen(path) + strlen(names[i]) + 2;
			char *sub = malloc(need);
			if (!sub) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			snprintf(sub, need, "%s/%s", path, names[i]);
			struct stat ss;
			if (stat(sub, &ss) == 0 && (S_ISDIR(ss.st_mode) || is_yaml_name(names[i])))
				rc = nlu_rasa_read(r, sub, n_files, err, errlen);
			free(sub);
		}
		cm_free_names(names, n);
		return rc;
	}
	size_t len;
	char *buf = cm_read_file(path, &len), dir[4096];
	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (slash == path)
		snprintf(dir, sizeof dir, "/");
	r->base_dir = dir;
	int rc = nlu_rasa_parse(r, buf, len, msg, sizeof msg);
	r->base_dir = NULL;
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	else if (n_files)
		++*n_files;
	free(buf);
	return rc;
}
