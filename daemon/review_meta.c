/* daemon/review_meta.c — the facts the review thread reads off a logged reply's meta
 * (review_meta.h): whether it was a fallback, asked "Did you say ...?", was refused, and
 * the quick replies it offered.
 *
 * The meta is a flat object kd_reply_build writes (`{"title":…,"fallback":false,
 * "lang":…,"quick_replies":[],"client_id":…,"why":"words"}`); parsed by jansson it cost
 * the review thread ~1.7 µs a turn, a quarter of its CPU.  A direct scan reads it
 * instead when it can answer exactly as jansson would: valid UTF-8, keys without
 * escapes, values skipped by JSON's grammar, no \u escape anywhere (\u0000 and lone
 * surrogates are jansson's to refuse), no number jansson could find too large, nesting
 * under 16, and an empty (or non-array) "quick_replies".  Anything else — a fallback's
 * quick replies, an escape it does not judge — it declines, and jansson reads the meta as
 * before.  `test_daemon` checks both agree on hand-made metas and random mutations of
 * them.  Pure; the review thread.
 */
#include "review_meta.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define DEPTH_MAX 16
#define DIGITS_MAX 15

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
				 *s->p == '\r'))
		s->p++;
}

/* A string at s->p ('"'), its raw bytes [*at, *at + *len) between the quotes and
 * whether it held an escape.  0 when it is not one the scan judges. */
static int string(struct scan *s, const char **at, size_t *len, int *esc)
{
	if (s->p >= s->end || *s->p != '"')
		return 0;
	*at = ++s->p;
	*esc = 0;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (s->p + 1 >= s->end || !strchr("\"\\/bfnrt", s->p[1]) || !s->p[1])
				return 0;   /* \u, an unknown escape, a cut string */
			*esc = 1;
			s->p++;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return 0;
	*len = (size_t)(s->p - *at);
	s->p++;
	return 1;
}

static int digits(struct scan *s, size_t *n)
{
	const char *p0 = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	*n += (size_t)(s->p - p0);
	return s->p > p0;
}

/* A number by JSON's grammar without an exponent and of at most DIGITS_MAX digits. */
static int number(struct scan *s)
{
	size_t n = 0;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++, n++;
	else if (!digits(s, &n))
		return 0;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s, &n))
			return 0;
	}
	return n <= DIGITS_MAX && (s->p >= s->end || (*s->p != 'e' && *s->p != 'E' &&
						       !(*s->p >= '0' && *s->p <= '9')));
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return 0;
	s->p += n;
	return 1;
}

static int value(struct scan *s, int depth);

/* The members or elements after '{' / '[' up to the closing bracket. */
static int container(struct scan *s, int depth, char close)
{
	const char *at;
	size_t len;
	int esc;

	if (depth >= DEPTH_MAX)
		return 0;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			if (!string(s, &at, &len, &esc))
				return 0;
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return 0;
			skip_ws(s);
		}
		if (!value(s, depth + 1))
			return 0;
		skip_ws(s);
		if (s->p >= s->end)
			return 0;
		if (*s->p == close) {
			s->p++;
			return 1;
		}
		if (*s->p++ != ',')
			return 0;
		skip_ws(s);
	}
}

/* Skips one value at s->p; 0 when it is not one the scan judges. */
static int value(struct scan *s, int depth)
{
	const char *at;
	size_t len;
	int esc;

	if (s->p >= s->end)
		return 0;
	switch (*s->p) {
	case '"':
		return string(s, &at, &len, &esc);
	case '{':
		s->p++;
		return container(s, depth, '}');
	case '[':
		s->p++;
		return container(s, depth, ']');
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s);
	}
}

static int key_is(const char *at, size_t len, const char *name)
{
	return len == strlen(name) && !memcmp(at, name, len);
}

int kd_reply_meta_direct(const char *meta, struct kd_reply_meta *rm)
{
	struct scan s = { meta, meta + strlen(meta) };
	struct kd_reply_meta out = { 0 };

	if (!cm_utf8_valid(meta, (size_t)(s.end - s.p)))
		return 0;
	skip_ws(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return 0;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto end;
	}
	for (;;) {
		const char *k, *v;
		size_t klen, vlen;
		int esc;
		if (!string(&s, &k, &klen, &esc) || esc)
			return 0;
		skip_ws(&s);
		if (s.p >= s.end || *s.p++ != ':')
			return 0;
		skip_ws(&s);
		const char *at = s.p;
		if (!value(&s, 1))
			return 0;
		if (key_is(k, klen, "fallback")) {
			out.fallback = s.p - at == 4 && !memcmp(at, "true", 4);
		} else if (key_is(k, klen, "why")) {
			struct scan w = { at, s.p };
			/* an escape decodes to no letter: such a string is not did_you_say */
			out.did_you_say = *at == '"' && string(&w, &v, &vlen, &esc) && !esc &&
					  key_is(v, vlen, "did_you_say");
		} else if (key_is(k, klen, "refused")) {
			out.refused = 1;
		} else if (key_is(k, klen, "quick_replies") && *at == '[') {
			struct scan q = { at + 1, s.p };
			skip_ws(&q);
			if (*q.p != ']')
				return 0;   /* titles to copy: jansson's */
		}
		skip_ws(&s);
		if (s.p >= s.end)
			return 0;
		if (*s.p == '}') {
			s.p++;
			break;
		}
		if (*s.p++ != ',')
			return 0;
		skip_ws(&s);
	}
end:
	skip_ws(&s);
	if (s.p != s.end)
		return 0;
	*rm = out;
	return 1;
}

void kd_reply_meta_jansson(const char *meta, struct kd_reply_meta *rm)
{
	json_t *j = meta ? json_loads(meta, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(j, "why"));
	json_t *q = json_object_get(j, "quick_replies"), *v;
	size_t i;

	memset(rm, 0, sizeof *rm);
	rm->fallback = json_is_true(json_object_get(j, "fallback"));
	rm->did_you_say = why && !strcmp(why, "did_you_say");
	rm->refused = json_object_get(j, "refused") != NULL;
	if (json_array_size(q) && (rm->quick = calloc(json_array_size(q), sizeof *rm->quick)))
		json_array_foreach(q, i, v) {
			const char *title = json_string_value(json_object_get(v, "title"));
			if (title && (rm->quick[rm->n_quick] = strdup(title)))
				rm->n_quick++;
		}
	json_decref(j);
}

void kd_reply_meta_read(const char *meta, struct kd_reply_meta *rm)
{
	if (!meta || !kd_reply_meta_direct(meta, rm))
		kd_reply_meta_jansson(meta, rm);
}

void kd_reply_meta_free(struct kd_reply_meta *rm)
{
	for (size_t i = 0; i < rm->n_quick; i++)
		free(rm->quick[i]);
	free(rm->quick);
	memset(rm, 0, sizeof *rm);
}
