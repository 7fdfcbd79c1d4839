/* common/jscan.c — the values of a few top-level keys of a flat JSON object, found by one
 * strict pass over its text without allocating (common/jscan.h).  For the meta kefud
 * writes with each reply (daemon/proto.c's kd_reply_build: {"title":…,"fallback":false,
 * "lang":"en","quick_replies":[],…}), which two hot paths read again: the review thread
 * (daemon/review_meta.c: fallback, "Did you say", refused, quick replies; jansson there
 * cost ~1.7 µs a turn) and the store writer (store/log_session.c: the reply's language;
 * store/log_rollup.c: language and fallback of every reply an index pass counts; SQLite's
 * json_valid/json_extract there cost ~0.2 µs a message).  Each caller keeps its full
 * parser for what this scan declines, so the scan decides only texts every JSON reader
 * kefu uses reads alike — the strict reading:
 *
 *   - the text is valid UTF-8 (jansson refuses anything else; cm_utf8_valid);
 *   - white space, one object, white space, nothing more;
 *   - strings hold no control character and only the escapes \" \\ \/ \b \f \n \r \t
 *     (no \u: jansson refuses \u0000 and lone surrogates, which a reader would have to
 *     decode to judge);
 *   - top-level keys hold no escape (an escaped key might spell a wanted one);
 *   - numbers follow JSON's grammar with at most 15 digits and no exponent (none that
 *     jansson could find too large);
 *   - nesting under 16 levels.
 *
 * Anything else returns 0.  A key that comes twice is reported with its count and its
 * last value (jansson's reading); a caller whose parser reads duplicates otherwise
 * (SQLite's) declines them itself.  Tested where its two references are: against
 * SQLite's json_valid in store/test_log_session.c, against jansson in
 * daemon/test_daemon.c, against both in fuzz/fuzz_review_meta.c.  Pure; any thread.
 */
#include "jscan.h"

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

/* A string at s->p ('"'): its raw bytes [*at, *at + *len) between the quotes and
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
			if (s->p + 1 >= s->end || !s->p[1] || !strchr("\"\\/bfnrt", s->p[1]))
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

int cm_jscan_object(const char *text, size_t len, struct cm_jscan_field *f, int n)
{
	struct scan s = { text, text + len };

	for (int i = 0; i < n; i++) {
		f[i].val = NULL;
		f[i].len = 0;
		f[i].count = 0;
	}
	if (!cm_utf8_valid(text, len))
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
		const char *k, *at;
		size_t klen;
		int esc;
		if (!string(&s, &k, &klen, &esc) || esc)
			return 0;
		skip_ws(&s);
		if (s.p >= s.end || *s.p++ != ':')
			return 0;
		skip_ws(&s);
		at = s.p;
		if (!value(&s, 1))
			return 0;
		for (int i = 0; i < n; i++)
			if (strlen(f[i].key) == klen && !memcmp(f[i].key, k, klen)) {
				f[i].val = at;
				f[i].len = (size_t)(s.p - at);
				f[i].count++;
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
	return s.p == s.end;
}

int cm_jscan_plain(const struct cm_jscan_field *f, const char **s, size_t *n)
{
	if (!f->val || f->len < 2 || f->val[0] != '"' || memchr(f->val + 1, '\\', f->len - 2))
		return 0;
	*s = f->val + 1;
	*n = f->len - 2;
	return 1;
}

int cm_jscan_is(const struct cm_jscan_field *f, const char *token)
{
	size_t n = strlen(token);

	return f->val && f->len == n && !memcmp(f->val, token, n);
}
