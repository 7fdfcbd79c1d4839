/* nlu/dataset.c — labelled example texts for training and evaluation: CSV (text,category,
 * through common/csv.h, so quoted fields and embedded newlines are read right) and Rasa
 * NLU YAML (`nlu:` / `- intent:` / `examples: |`).  Runs on the caller's thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "file.h"
#include "model.h"
#include "utf8.h"

void nlu_dataset_init(struct nlu_dataset *d)
{
	memset(d, 0, sizeof *d);
}

void nlu_dataset_free(struct nlu_dataset *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->texts[i]);
	for (size_t i = 0; i < d->n_labels; i++)
		free(d->names[i]);
	free(d->texts);
	free(d->labels);
	free(d->names);
	nlu_dataset_init(d);
}

int nlu_dataset_label(const struct nlu_dataset *d, const char *name)
{
	for (size_t i = 0; i < d->n_labels; i++)
		if (!strcmp(d->names[i], name))
			return (int)i;
	return -1;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int add_n(struct nlu_dataset *d, const char *text, size_t tlen, const char *label,
		 size_t llen)
{
	char lab[512];
	if (llen >= sizeof lab)
		llen = sizeof lab - 1;
	memcpy(lab, label, llen);
	lab[llen] = '\0';
	int li = nlu_dataset_label(d, lab);
	if (li < 0) {
		if (d->n_labels == d->cap_labels) {
			size_t nc = d->cap_labels ? d->cap_labels * 2 : 32;
			char **nn = realloc(d->names, nc * sizeof *nn);
			if (!nn)
				return -1;
			d->names = nn;
			d->cap_labels = nc;
		}
		if (!(d->names[d->n_labels] = dup_n(lab, llen)))
			return -1;
		li = (int)d->n_labels++;
	}
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 256;
		char **nt = realloc(d->texts, nc * sizeof *nt);
		if (!nt)
			return -1;
		d->texts = nt;
		int *nl = realloc(d->labels, nc * sizeof *nl);
		if (!nl)
			return -1;
		d->labels = nl;
		d->cap = nc;
	}
	if (!(d->texts[d->n] = dup_n(text, tlen)))
		return -1;
	d->labels[d->n++] = li;
	return 0;
}

int nlu_dataset_add(struct nlu_dataset *d, const char *text, const char *label)
{
	return add_n(d, text, strlen(text), label, strlen(label));
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int nlu_dataset_parse_csv(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			  size_t errlen)
{
	struct cm_csv r;
	int rc, col_text = -1, col_label = -1;

	cm_csv_init(&r, buf, len);
	rc = cm_csv_next(&r);
	if (rc <= 0) {
		snprintf(err, errlen, rc ? "%s" : "empty file", r.err);
		goto fail;
	}
	for (size_t i = 0; i < r.n_fields; i++) {
		const char *h = r.fields[i];
		if (!strcmp(h, "text") || !strcmp(h, "question"))
			col_text = (int)i;
		else if (!strcmp(h, "category") || !strcmp(h, "intent") || !strcmp(h, "label"))
			col_label = (int)i;
	}
	if (col_text < 0 || col_label < 0) {
		snprintf(err, errlen, "line 1: the header needs a text and a category column");
		goto fail;
	}
	while ((rc = cm_csv_next(&r)) == 1) {
		size_t need = (size_t)(col_text > col_label ? col_text : col_label);
		if (r.n_fields <= need) {
			snprintf(err, errlen, "line %d: %zu fields, expected at least %zu", r.line,
				 r.n_fields, need + 1);
			goto fail;
		}
		const char *t = r.fields[col_text], *l = r.fields[col_label];
		size_t tl = r.lens[col_text], ll = r.lens[col_label];
		if (!cm_utf8_valid(t, tl) || !cm_utf8_valid(l, ll)) {
			snprintf(err, errlen, "line %d: not valid UTF-8", r.line);
			goto fail;
		}
		if (blank(t, tl) || blank(l, ll)) {
			snprintf(err, errlen, "line %d: empty text or category", r.line);
			goto fail;
		}
		if (add_n(d, t, tl, l, ll)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", r.err);
		goto fail;
	}
	cm_csv_free(&r);
	return 0;
fail:
	cm_csv_free(&r);
	return -1;
}

/* ---- Rasa NLU YAML ----------------------------------------------------------------
 * The subset Rasa's training data uses: top-level `nlu:` list; items `- intent: NAME`
 * with `examples: |` (a literal block of "- text" lines, more indented than the key).
 * Other items (synonym, regex, lookup) and other top-level keys (version, responses,
 * stories, rules) are skipped.  Entity annotations [text](entity) and [text]{...} keep
 * their text.  Quoted intent names lose their quotes. */

struct line {
	const char *s;       /* first non-blank character */
	size_t len;          /* up to the line end, trailing blanks/CR removed */
	int indent;          /* leading spaces */
	int lineno;
};

static int next_line(const char **p, const char *end, struct line *ln, int *lineno)
{
	if (*p >= end)
		return 0;
	const char *s = *p, *e = memchr(s, '\n', (size_t)(end - s));
	if (!e)
		e = end;
	*p = e < end ? e + 1 : end;
	ln->lineno = ++*lineno;
	ln->indent = 0;
	while (s < e && *s == ' ') {
		s++;
		ln->indent++;
	}
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	ln->s = s;
	ln->len = (size_t)(e - s);
	return 1;
}

static int starts(const struct line *ln, const char *w)
{
	size_t n = strlen(w);
	return ln->len >= n && !memcmp(ln->s, w, n);
}

/* Copies s[0..n) into out without entity markup and surrounding quotes; returns length. */
static size_t strip_markup(const char *s, size_t n, char *out)
{
	size_t o = 0;
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\''))) {
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '[') {
			const char *close = memchr(s + i, ']', n - i);
			if (close && (size_t)(close - s) + 1 < n &&
			    (close[1] == '(' || close[1] == '{')) {
				char want = close[1] == '(' ? ')' : '}';
				const char *end = memchr(close + 1, want, (size_t)(s + n - close - 1));
				if (end) {
					size_t k = (size_t)(close - s) - i - 1;
					memcpy(out + o, s + i + 1, k);
					o += k;
					i = (size_t)(end - s);
					continue;
				}
			}
		}
		out[o++] = s[i];
	}
	return o;
}

static void unquote(const char **s, size_t *n)
{
	if (*n >= 2 && (((*s)[0] == '"' && (*s)[*n - 1] == '"') ||
			((*s)[0] == '\'' && (*s)[*n - 1] == '\''))) {
		(*s)++;
		*n -= 2;
	}
}

int nlu_dataset_parse_rasa(const char *buf, size_t len, struct nlu_dataset *d, char *err,
			   size_t errlen)
{
	const char *p = buf, *end = buf + len;
	struct line ln;
	int lineno = 0, in_nlu = 0, block_indent = -1, n_before = (int)d->n;
	char intent[512] = "", *tmp = NULL;
	int item_indent = -1;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	tmp = malloc(len + 1);
	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (next_line(&p, end, &ln, &lineno)) {
		if (ln.len == 0 || ln.s[0] == '#')
			continue;
		if (block_indent >= 0) {          /* inside examples: | */
			if (ln.indent > item_indent && starts(&ln, "- ")) {
				if (block_indent == 0)
					block_indent = ln.indent;
				if (ln.indent >= block_indent) {
					const char *t = ln.s + 2;
					size_t tl = ln.len - 2;
					while (tl && *t == ' ') {
						t++;
						tl--;
					}
					size_t k = strip_markup(t, tl, tmp);
					if (!cm_utf8_valid(tmp, k)) {
						snprintf(err, errlen, "line %d: not valid UTF-8", ln.lineno);
						goto fail;
					}
					if (k && !blank(tmp, k) &&
					    add_n(d, tmp, k, intent, strlen(intent))) {
						snprintf(err, errlen, "out of memory");
						goto fail;
					}
					continue;
				}
			}
			if (ln.indent > item_indent && block_indent > 0 && ln.indent >= block_indent) {
				snprintf(err, errlen, "line %d: examples must be \"- text\" lines",
					 ln.lineno);
				goto fail;
			}
			block_indent = -1;
		}
		if (ln.indent == 0 && !starts(&ln, "- ")) {   /* a top-level key */
			in_nlu = starts(&ln, "nlu:");
			intent[0] = '\0';
			continue;
		}
		if (!in_nlu)
			continue;
		if (starts(&ln, "- ")) {          /* a new item of the nlu list */
			item_indent = ln.indent;
			intent[0] = '\0';
			struct line rest = ln;
			rest.s += 2;
			rest.len -= 2;
			while (rest.len && *rest.s == ' ') {
				rest.s++;
				rest.len--;
			}
			ln = rest;
			ln.indent = item_indent + 2;
		}
		if (starts(&ln, "intent:")) {
			const char *v = ln.s + 7;
			size_t vl = ln.len - 7;
			while (vl && *v == ' ') {
				v++;
				vl--;
			}
			unquote(&v, &vl);
			if (!vl || vl >= sizeof intent) {
				snprintf(err, errlen, "line %d: bad intent name", ln.lineno);
				goto fail;
			}
			memcpy(intent, v, vl);
			intent[vl] = '\0';
		} else if (starts(&ln, "examples:")) {
			const char *v = ln.s + 9;
			size_t vl = ln.len - 9;
			while (vl && *v == ' ') {
				v++;
				vl--;
			}
			if (!intent[0])
				continue;          /* examples of a synonym/lookup/regex item */
			if (!(vl >= 1 && v[0] == '|')) {
				snprintf(err, errlen, "line %d: expected \"examples: |\"", ln.lineno);
				goto fail;
			}
			block_indent = 0;
		}
	}
	free(tmp);
	if ((int)d->n == n_before) {
		snprintf(err, errlen, "no intent examples found (expected nlu: / - intent: / examples: |)");
		return -1;
	}
	return 0;
fail:
	free(tmp);
	return -1;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

/* Copies a YAML scalar value v[0..n) into out (quotes removed, \" and \n unescaped in
 * double quotes); returns the length. */
static size_t yaml_scalar(const char *v, size_t n, char *out)
{
	size_t o = 0;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		for (size_t i = 1; i + 1 < n; i++) {
			if (v[i] == '\\' && i + 2 < n) {
				i++;
				out[o++] = v[i] == 'n' ? '\n' : v[i];
			} else {
				out[o++] = v[i];
			}
		}
		return o;
	}
	unquote(&v, &n);
	memcpy(out, v, n);
	return n;
}

int nlu_dataset_parse_responses(const char *buf, size_t len, struct nlu_dataset *d,
				char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	struct line ln;
	int lineno = 0, in_resp = 0, name_indent = -1, block_indent = -1;
	int content_indent = -1, folded = 0;
	/* a text never holds more than its lines' bytes: the spaces kept in a block come
	 * from the line's own indentation, a separator from its newline */
	char name[512] = "", *tmp = malloc(len + 2);
	size_t tl = 0;

	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	for (;;) {
		int more = next_line(&p, end, &ln, &lineno);
		if (block_indent >= 0) {          /* inside text: | or > */
			if (more && (ln.len == 0 || ln.indent > block_indent)) {
				/* the first content line sets the block's indentation; deeper
				 * lines keep their extra spaces (nested Markdown lists) */
				if (ln.len && content_indent < 0)
					content_indent = ln.indent;
				if (tl) {
					char sep = folded && ln.len && tmp[tl - 1] != '\n' ? ' ' : '\n';
					tmp[tl++] = sep;
				}
				for (int k = content_indent; ln.len && k < ln.indent; k++)
					tmp[tl++] = ' ';
				memcpy(tmp + tl, ln.s, ln.len);
				tl += ln.len;
				continue;
			}
			while (tl && tmp[tl - 1] == '\n')
				tl--;
			if (!cm_utf8_valid(tmp, tl)) {
				snprintf(err, errlen, "line %d: not valid UTF-8", ln.lineno);
				goto fail;
			}
			if (tl && add_n(d, tmp, tl, name, strlen(name)))
				goto oom;
			block_indent = -1;
		}
		if (!more)
			break;
		if (ln.len == 0 || ln.s[0] == '#')
			continue;
		if (ln.indent == 0) {             /* a top-level key */
			in_resp = starts(&ln, "responses:");
			name[0] = '\0';
			name_indent = -1;
			continue;
		}
		if (!in_resp)
			continue;
		if (!starts(&ln, "- ") && ln.len > 1 && ln.s[ln.len - 1] == ':' &&
		    (name_indent < 0 || ln.indent <= name_indent)) {
			size_t n = ln.len - 1;
			const char *v = ln.s;
			unquote(&v, &n);
			if (n >= sizeof name) {
				snprintf(err, errlen, "line %d: response name too long", ln.lineno);
				goto fail;
			}
			memcpy(name, v, n);
			name[n] = '\0';
			name_indent = ln.indent;
			continue;
		}
		if (!name[0])
			continue;
		struct line t = ln;
		int key_indent = ln.indent;
		if (starts(&t, "- ")) {
			t.s += 2;
			t.len -= 2;
			key_indent += 2;
		}
		while (t.len && *t.s == ' ') {
			t.s++;
			t.len--;
		}
		if (!starts(&t, "text:"))
			continue;                 /* buttons, image, channel, ... */
		t.s += 5;
		t.len -= 5;
		while (t.len && *t.s == ' ') {
			t.s++;
			t.len--;
		}
		if (t.len && (t.s[0] == '|' || t.s[0] == '>')) {
			block_indent = key_indent;    /* content is indented past "text:" */
			content_indent = -1;
			folded = t.s[0] == '>';
			tl = 0;
			continue;
		}
		tl = yaml_scalar(t.s, t.len, tmp);
		if (!cm_utf8_valid(tmp, tl)) {
			snprintf(err, errlen, "line %d: not valid UTF-8", ln.lineno);
			goto fail;
		}
		if (tl && add_n(d, tmp, tl, name, strlen(name)))
			goto oom;
	}
	free(tmp);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(tmp);
	return -1;
}


int nlu_dataset_read(const char *path, struct nlu_dataset *d, char *err, size_t errlen)
{
	char msg[400];
	size_t len;
	int rc;
	char *buf = cm_read_file(path, &len);

	if (!buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *s = buf + (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0);
	int yaml = ends_with(path, ".yml") || ends_with(path, ".yaml") ||
		   !strncmp(s, "version:", 8) || !strncmp(s, "nlu:", 4);
	rc = yaml ? nlu_dataset_parse_rasa(buf, len, d, msg, sizeof msg)
		  : nlu_dataset_parse_csv(buf, len, d, msg, sizeof msg);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return rc;
}
