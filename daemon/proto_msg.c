/* daemon/proto_msg.c — the direct parser of the common client frame, a typed message
 * (`{"type":"message","id":"…","text":"…"}`, keys in any order, JSON whitespace and
 * string escapes allowed), which kd_proto_parse (proto.c) tries before jansson.  It takes
 * only a frame it can answer exactly as the jansson path would: a flat object whose three
 * keys are type, id and text, each once, each a string, with a valid id and text.
 * Anything else — another key or value kind, a duplicate key, an escape it does not know,
 * \u0000, a lone surrogate, a control character, trailing bytes, an id or text that the
 * checks refuse — it declines, and the frame goes the general way, which gives every
 * error its stable code.  Pure; any thread (the service thread calls it on every text
 * frame).
 */
#include "proto.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_MAX 16                      /* room for "message" and an escape in it */
#define SLACK_MAX 512                    /* bytes a text's block may hold beyond it */

struct scan {
	const unsigned char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
				 *s->p == '\r'))
		s->p++;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* One \u escape at s->p (past the backslash and the u), a surrogate pair as one code
 * point; -1 for what the jansson path refuses (a lone surrogate) or keeps apart
 * (U+0000). */
static int unicode_escape(struct scan *s, uint32_t *out)
{
	uint32_t c, lo;

	if (s->end - s->p < 4 || hex4(s->p, &c))
		return -1;
	s->p += 4;
	if (c >= 0xDC00 && c <= 0xDFFF)
		return -1;
	if (c >= 0xD800 && c <= 0xDBFF) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
		    hex4(s->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return -1;
		s->p += 6;
		c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
	}
	if (c == 0)
		return -1;
	*out = c;
	return 0;
}

/* A string at s->p (the opening quote), decoded into out (room for at least as many
 * bytes as the raw string plus 1, or cap); its decoded length, -1 to decline.  The
 * bytes are valid UTF-8 already (kd_proto_parse checks the whole frame first). */
static long string(struct scan *s, char *out, size_t cap)
{
	size_t n = 0;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	for (;;) {
		const unsigned char *run = s->p;
		while (s->p < s->end && *s->p != '"' && *s->p != '\\' && *s->p >= 0x20)
			s->p++;
		size_t k = (size_t)(s->p - run);
		if (k >= cap - n)
			return -1;
		memcpy(out + n, run, k);
		n += k;
		if (s->p >= s->end || *s->p < 0x20)
			return -1;
		if (*s->p == '"') {
			s->p++;
			out[n] = '\0';
			return (long)n;
		}
		if (++s->p >= s->end)      /* the backslash */
			return -1;
		uint32_t c;
		switch (*s->p++) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (unicode_escape(s, &c))
				return -1;
			break;
		default:
			return -1;
		}
		if (cap - n < 5)
			return -1;
		n += put_utf8(c, out + n);
	}
}

/* The key at s->p: 0 type, 1 id, 2 text, -1 anything else.  A key with an escape is
 * declined (the jansson path reads it). */
static int key(struct scan *s)
{
	static const char *const names[] = { "type", "id", "text" };
	const unsigned char *k;
	size_t n;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	k = ++s->p;
	while (s->p < s->end && *s->p != '"' && *s->p != '\\')
		s->p++;
	if (s->p >= s->end || *s->p != '"')
		return -1;
	n = (size_t)(s->p - k);
	s->p++;
	for (int i = 0; i < 3; i++)
		if (strlen(names[i]) == n && !memcmp(k, names[i], n))
			return i;
	return -1;
}

int kd_proto_parse_message(const char *buf, size_t len, int max_text, struct kd_req *out)
{
	struct scan s = { (const unsigned char *)buf, (const unsigned char *)buf + len };
	char type[TYPE_MAX];
	char *text = NULL;
	long id_len = -1, text_len = -1, type_len = -1;

	memset(out, 0, sizeof *out);
	skip_ws(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return 0;
	for (int i = 0; i < 3; i++) {
		int k;
		skip_ws(&s);
		if ((k = key(&s)) < 0)
			goto decline;
		skip_ws(&s);
		if (s.p >= s.end || *s.p++ != ':')
			goto decline;
		skip_ws(&s);
		if (k == 0 && type_len < 0)
			type_len = string(&s, type, sizeof type);
		else if (k == 1 && id_len < 0)
			id_len = string(&s, out->id, sizeof out->id);
		else if (k == 2 && !text) {
			/* decoded, a string is never longer than its raw bytes */
			if (!(text = malloc(len + 1)))
				goto decline;
			text_len = string(&s, text, len + 1);
		} else
			goto decline;                /* a duplicate key */
		if ((k == 0 ? type_len : k == 1 ? id_len : text_len) < 0)
			goto decline;
		skip_ws(&s);
		if (s.p >= s.end || *s.p++ != (i < 2 ? ',' : '}'))
			goto decline;
	}
	skip_ws(&s);
	if (s.p != s.end || strcmp(type, "message"))
		goto decline;
	/* the checks of the jansson path (proto.c parse_obj); a refusal goes that way */
	size_t id_cp = cm_utf8_count(out->id, (size_t)id_len);
	if (id_len > KD_ID_BYTES || id_cp < 1 || id_cp > KD_ID_MAX ||
	    cm_utf8_count(text, (size_t)text_len) > (size_t)max_text ||
	    cm_utf8_blank(text, (size_t)text_len))
		goto decline;
	/* the memory budget charges text_len: escapes (\u0041 is 6 bytes for 1) must not
	 * let a frame hold several times that; the common frame (keys only) keeps its block */
	if (len - (size_t)text_len > SLACK_MAX) {
		char *fit = realloc(text, (size_t)text_len + 1);
		if (fit)
			text = fit;
	}
	out->type = KD_REQ_MESSAGE;
	out->has_id = 1;
	out->text = text;
	out->text_len = (size_t)text_len;
	return 1;
decline:
	free(text);
	memset(out, 0, sizeof *out);
	return 0;
}
