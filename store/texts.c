/* store/texts.c — kefu's customer-facing texts: the defaults (store/texts.json, embedded
 * at build time and parsed once, on first use, under pthread_once) and an operator's
 * replacements in the `texts` table (schema v4).  A snapshot (struct store_texts) is made
 * on the thread that owns the connection and is read-only afterwards, so any number of
 * threads read it without a lock; kefud keeps one per bot (nlu_bot_texts) and makes a new
 * one whenever SIGHUP reloads the bot.  See store.h and docs/store.md "Texts".
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "store_int.h"
#include "utf8.h"

#define N_LANGS 2
static const char *const langs[N_LANGS] = { "en", "zh" };

struct text_default {
	char *key, *what;
	char *text[N_LANGS];
};

/* The parsed texts.json, sorted by key; written once under `once`, then read-only. */
static struct {
	struct text_default *v;
	size_t n;
	char err[160];
} defaults;
static pthread_once_t once = PTHREAD_ONCE_INIT;

struct store_texts {
	const char **text;   /* [n × N_LANGS]: a default's text or one of own */
	char **own;          /* [n × N_LANGS]: the table's replacements, or NULL */
	size_t n;
};

static int default_cmp(const void *a, const void *b)
{
	return strcmp(((const struct text_default *)a)->key, ((const struct text_default *)b)->key);
}

static void parse_defaults(void)
{
	const struct store_embedded *e = NULL;
	json_error_t je;
	json_t *root, *v;
	const char *key;

	for (size_t i = 0; i < store_embedded_count && !e; i++)
		if (!strcmp(store_embedded_files[i].name, "texts.json"))
			e = &store_embedded_files[i];
	if (!e || !(root = json_loadb(e->data, e->len, 0, &je))) {
		snprintf(defaults.err, sizeof defaults.err, "texts.json: %.120s",
			 e ? je.text : "not embedded");
		return;
	}
	defaults.v = calloc(json_object_size(root) + 1, sizeof *defaults.v);
	json_object_foreach(root, key, v) {
		if (key[0] == '_' || !json_is_object(v) || !defaults.v)
			continue;
		struct text_default *d = &defaults.v[defaults.n];
		const char *what = json_string_value(json_object_get(v, "what"));
		d->key = strdup(key);
		d->what = strdup(what ? what : "");
		for (int l = 0; l < N_LANGS; l++) {
			const char *t = json_string_value(json_object_get(v, langs[l]));
			if (!t && l > 0)   /* a language without its own text says the English */
				t = json_string_value(json_object_get(v, langs[0]));
			d->text[l] = strdup(t ? t : "");
		}
		defaults.n++;
	}
	json_decref(root);
	if (defaults.v)
		qsort(defaults.v, defaults.n, sizeof *defaults.v, default_cmp);
	else
		snprintf(defaults.err, sizeof defaults.err, "texts.json: out of memory");
}

/* Index of key in the defaults, or -1. */
static long key_index(const char *key)
{
	pthread_once(&once, parse_defaults);
	if (!key || !defaults.v)
		return -1;
	struct text_default probe = { .key = (char *)key };
	const struct text_default *d = bsearch(&probe, defaults.v, defaults.n, sizeof *defaults.v,
					       default_cmp);
	return d ? d - defaults.v : -1;
}

static int lang_index(const char *lang)
{
	for (int l = 0; lang && l < N_LANGS; l++)
		if (!strcmp(lang, langs[l]))
			return l;
	return -1;
}

const char *store_text(const struct store_texts *t, const char *key, const char *lang)
{
	long k = key_index(key);
	int l = lang_index(lang);

	if (k < 0)
		return "";
	if (l < 0)
		l = 0;
	return t && (size_t)k < t->n ? t->text[k * N_LANGS + l] : defaults.v[k].text[l];
}

/* ---- snapshots ----------------------------------------------------------------------- */

static int override_row(void *arg, sqlite3_stmt *s)
{
	struct store_texts *t = arg;
	long k = key_index((const char *)sqlite3_column_text(s, 0));
	int l = lang_index((const char *)sqlite3_column_text(s, 1));
	const char *text = (const char *)sqlite3_column_text(s, 2);

	if (k < 0 || l < 0 || !text)
		return 0;             /* a key this build does not know (a newer kefu's) */
	size_t i = (size_t)k * N_LANGS + (size_t)l;
	free(t->own[i]);
	if (!(t->own[i] = strdup(text)))
		return -SQLITE_NOMEM;
	t->text[i] = t->own[i];
	return 0;
}

struct store_texts *store_texts_load(struct store *st)
{
	struct store_texts *t;
	sqlite3_stmt *s;

	pthread_once(&once, parse_defaults);
	if (!defaults.v) {
		store_invalid(st, "%s", defaults.err);
		return NULL;
	}
	if (!(t = calloc(1, sizeof *t)) ||
	    !(t->text = calloc(defaults.n * N_LANGS + 1, sizeof *t->text)) ||
	    !(t->own = calloc(defaults.n * N_LANGS + 1, sizeof *t->own))) {
		store_texts_free(t);
		store_invalid(st, "loading texts: out of memory");
		return NULL;
	}
	t->n = defaults.n;
	for (size_t k = 0; k < t->n; k++)
		for (int l = 0; l < N_LANGS; l++)
			t->text[k * N_LANGS + (size_t)l] = defaults.v[k].text[l];
	int rc = (s = store_stmt(st, SQ_TEXTS_ALL)) ? store_rows(st, s, "reading texts",
								  override_row, t)
						     : -SQLITE_ERROR;
	if (rc) {
		if (rc == -SQLITE_NOMEM)
			store_invalid(st, "loading texts: out of memory");
		store_texts_free(t);
		return NULL;
	}
	return t;
}

void store_texts_free(struct store_texts *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->own && i < t->n * N_LANGS; i++)
		free(t->own[i]);
	free(t->own);
	free(t->text);
	free(t);
}

/* ---- languages and placeholders ------------------------------------------------------ */

const char *store_text_lang(const char *s)
{
	return cm_utf8_has_cjk(s) ? "zh" : "en";
}

const char *store_text_lang_accept(const char *accept)
{
	const char *p = accept;

	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, "-_;, ");
		if (n == 2 && !strncasecmp(p, "zh", 2))
			return "zh";
		if (n == 2 && !strncasecmp(p, "en", 2))
			return "en";
		p += strcspn(p, ",");
	}
	return "en";
}

char *store_text_fill(const char *tmpl, const char *name, const char *value)
{
	char mark[80];
	size_t ml = (size_t)snprintf(mark, sizeof mark, "{%s}", name), vl = strlen(value);
	size_t n = 0, len = strlen(tmpl);

	if (ml >= sizeof mark)
		return strdup(tmpl);
	for (const char *q = tmpl; (q = strstr(q, mark)); q += ml)
		n++;
	char *out = malloc(len + n * vl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *q = tmpl, *m; ; q = m + ml) {
		if (!(m = strstr(q, mark))) {
			strcpy(o, q);
			break;
		}
		memcpy(o, q, (size_t)(m - q));
		o += m - q;
		memcpy(o, value, vl);
		o += vl;
	}
	return out;
}

/* ---- management (kefu texts) --------------------------------------------------------- */

int store_texts_foreach(struct store *st, int (*cb)(void *arg, const struct store_text_row *r),
			void *arg)
{
	struct store_texts *t = store_texts_load(st);
	int rc = 0;

	if (!t)
		return -SQLITE_ERROR;
	for (size_t k = 0; k < t->n && !rc; k++)
		for (int l = 0; l < N_LANGS && !rc; l++) {
			size_t i = k * N_LANGS + (size_t)l;
			struct store_text_row r = {
				.key = defaults.v[k].key, .lang = langs[l], .text = t->text[i],
				.default_text = defaults.v[k].text[l], .what = defaults.v[k].what,
				.custom = t->own[i] != NULL,
			};
			rc = cb(arg, &r);
		}
	store_texts_free(t);
	return rc;
}

/* 0, or STORE_INVALID naming an unknown key or language. */
static int check_key(struct store *st, const char *key, const char *lang, long *k)
{
	if ((*k = key_index(key)) < 0)
		return defaults.v ? store_invalid(st, "unknown text key '%s' (kefu texts list names them)",
						  key ? key : "")
				  : store_invalid(st, "%s", defaults.err);
	if (lang_index(lang) < 0)
		return store_invalid(st, "unknown language '%s' (en or zh)", lang ? lang : "");
	return 0;
}

int store_text_set(struct store *st, const char *key, const char *lang, const char *text)
{
	sqlite3_stmt *s;
	long k;
	int rc;

	if ((rc = check_key(st, key, lang, &k)) ||
	    (rc = store_check_text(st, "text", text, STORE_TEXT_MAX, 1)))
		return rc;
	/* every {placeholder} of the default must stay: kefud fills it in */
	const char *def = defaults.v[k].text[lang_index(lang)];
	for (const char *o = strchr(def, '{'), *c; o && (c = strchr(o, '}')); o = strchr(c, '{')) {
		char mark[80];
		if ((size_t)(c - o + 1) >= sizeof mark)
			break;
		memcpy(mark, o, (size_t)(c - o + 1));
		mark[c - o + 1] = '\0';
		if (!strstr(text, mark))
			return store_invalid(st, "the text of %s must keep %s", key, mark);
	}
	if (!(s = store_stmt(st, SQ_TEXT_SET)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, lang);
	store_bind_text(s, 3, text);
	sqlite3_bind_int64(s, 4, cm_wall_ms());
	return store_step_write(st, s, "setting a text");
}

int store_text_reset(struct store *st, const char *key, const char *lang)
{
	sqlite3_stmt *s;
	long k;
	int rc;

	if ((rc = check_key(st, key, lang, &k)))
		return rc;
	if (!(s = store_stmt(st, SQ_TEXT_RESET)))
		return -SQLITE_ERROR;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, lang);
	rc = store_step_write(st, s, "resetting a text");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return rc;
}
