/* store/log_meta.c — the values of a few top-level keys of a logged reply's meta (the
 * flat JSON object kd_reply_build writes: {"title":…,"fallback":false,"lang":"en",…})
 * read by a scan of its text instead of SQLite's JSON functions: for the store writer's
 * session state (store/log_session.c: the reply's language) and the log index's
 * rollups (store/log_rollup.c: its language and fallback flag, of every bot reply a
 * pass counts; SQLite's json_extract of the two was ~0.2 us a message of a pass:
 * docs/performance.md "Issue 14, twelfth session").
 *
 * The scan follows strings and brackets only; it does not validate the JSON.  A caller
 * that needs that checks it with store_meta_valid, a strict reading of RFC 8259 (what
 * it accepts, SQLite's json_valid accepts too; anything else is left to SQLite), or
 * uses what it finds only to confirm what it already holds.  It is sure only of a flat reading: the text is one
 * object, each top-level key a string without escapes (an escaped key might spell a
 * wanted one), each wanted key at most once; otherwise the caller asks SQLite.
 *
 * No state: runs on any thread.
 */
#include <string.h>

#include "store_int.h"

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Skips the JSON string starting at s (on its opening quote); returns the character
 * after its closing quote, NULL if it does not close.  *plain is cleared when the string
 * holds an escape. */
static const char *skip_string(const char *s, int *plain)
{
	for (s++; *s; s++) {
		if (*s == '"')
			return s + 1;
		if (*s == '\\') {
			*plain = 0;
			if (!*++s)
				return NULL;
		}
	}
	return NULL;
}

/* The end of the value starting at s: a string, an object or array (to its matching
 * bracket, strings followed), or a bare token (a number, true, false, null: up to the
 * next separator).  NULL when it does not end. */
static const char *skip_value(const char *s)
{
	int plain = 1, depth = 0;

	if (*s == '"')
		return skip_string(s, &plain);
	if (*s != '{' && *s != '[') {
		const char *t = s;
		while (*t && !strchr(",}] \t\n\r", *t))
			t++;
		return t == s ? NULL : t;
	}
	while (*s) {
		if (*s == '"') {
			if (!(s = skip_string(s, &plain)))
				return NULL;
			continue;
		}
		if (*s == '{' || *s == '[')
			depth++;
		else if ((*s == '}' || *s == ']') && --depth == 0)
			return s + 1;
		s++;
	}
	return NULL;
}

/* ---- validation: strict JSON (RFC 8259) --------------------------------------------- */

#define VALID_DEPTH 32   /* deeper: not sure (SQLite's own limit is 2,000) */

static const char *v_value(const char *s, int depth);

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *v_string(const char *s)
{
	for (s++; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;   /* NUL (the end) or a control character */
		if (*s != '\\')
			continue;
		s++;
		if (*s == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
					return NULL;
			s += 4;
		} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
			return NULL;
		}
	}
	return s + 1;
}

static const char *v_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (is_digit(*s))
		while (is_digit(*s))
			s++;
	else
		return NULL;
	if (*s == '.') {
		if (!is_digit(*++s))
			return NULL;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		if (*++s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return NULL;
		while (is_digit(*s))
			s++;
	}
	return s;
}

/* Object or array members from s (after the opening bracket) to the closing one. */
static const char *v_members(const char *s, int depth, char close)
{
	s = skip_space(s);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (close == '}') {
			if (*s != '"' || !(s = v_string(s)))
				return NULL;
			s = skip_space(s);
			if (*s++ != ':')
				return NULL;
		}
		if (!(s = v_value(skip_space(s), depth + 1)))
			return NULL;
		s = skip_space(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
		s = skip_space(s);
	}
}

static const char *v_value(const char *s, int depth)
{
	if (depth > VALID_DEPTH)
		return NULL;
	switch (*s) {
	case '"': return v_string(s);
	case '{': return v_members(s + 1, depth, '}');
	case '[': return v_members(s + 1, depth, ']');
	case 't': return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f': return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n': return strncmp(s, "null", 4) ? NULL : s + 4;
	default: return v_number(s);
	}
}

int store_meta_valid(const char *text)
{
	const char *end = v_value(skip_space(text), 0);

	return end && !*skip_space(end);
}

/* ---- the top-level keys -------------------------------------------------------------- */

int store_meta_scan(const char *meta, struct store_meta_field *f, int n)
{
	const char *s = skip_space(meta);

	for (int i = 0; i < n; i++) {
		f[i].val = NULL;
		f[i].len = 0;
	}
	if (*s != '{')
		return -1;
	s = skip_space(s + 1);
	if (*s == '}')
		return *skip_space(s + 1) ? -1 : 0;
	for (;;) {
		int plain = 1;
		const char *key = s + 1, *end;

		if (*s != '"' || !(end = skip_string(s, &plain)) || !plain)
			return -1;
		size_t klen = (size_t)(end - key - 1);
		s = skip_space(end);
		if (*s != ':')
			return -1;
		s = skip_space(s + 1);
		if (!(end = skip_value(s)))
			return -1;
		for (int i = 0; i < n; i++) {
			if (strlen(f[i].key) != klen || memcmp(f[i].key, key, klen))
				continue;
			if (f[i].val)
				return -1;   /* twice: which one SQLite takes is its business */
			f[i].val = s;
			f[i].len = (size_t)(end - s);
		}
		s = skip_space(end);
		if (*s == '}')
			return *skip_space(s + 1) ? -1 : 0;
		if (*s != ',')
			return -1;
		s = skip_space(s + 1);
	}
}

int store_meta_plain_string(const struct store_meta_field *f, char *out, size_t n)
{
	if (!f->val || f->len < 2 || f->val[0] != '"' || f->len - 2 >= n ||
	    memchr(f->val + 1, '\\', f->len - 2))
		return 0;
	memcpy(out, f->val + 1, f->len - 2);
	out[f->len - 2] = '\0';
	return 1;
}

int store_meta_is(const struct store_meta_field *f, const char *token)
{
	size_t n = strlen(token);

	return f->val && f->len == n && !memcmp(f->val, token, n);
}
