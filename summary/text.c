/* summary/text.c — the small text helpers of the summariser: ROUGE's tokens (also how
 * summary budgets are counted), cutting a text at a budget, cue matching, template
 * filling and a growing string.  Pure functions; any thread.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "sum_int.h"
#include "text.h"

/* ---- tokens ----------------------------------------------------------------------- */

static int is_word_cp(int32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
		return 1;
	default:
		return 0;
	}
}

/* Next code point at it->i (bad bytes are skipped one at a time as non-word). */
static int32_t next_cp(struct sum_tok_it *it, size_t *n)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)it->s + it->i,
					      (utf8proc_ssize_t)(it->len - it->i), &c);
	if (k <= 0) {
		*n = 1;
		return -1;
	}
	*n = (size_t)k;
	return c;
}

static uint64_t fnv_cp(uint64_t h, int32_t c)
{
	utf8proc_uint8_t buf[4];
	utf8proc_ssize_t k = utf8proc_encode_char(c, buf);
	return k > 0 ? cm_fnv1a(h, buf, (size_t)k) : h;
}

int sum_tok_next(struct sum_tok_it *it, size_t *b, size_t *e, uint64_t *id)
{
	size_t n;
	int32_t c;

	while (it->i < it->len) {
		c = next_cp(it, &n);
		if (c >= 0 && nlu_cp_is_cjk(c)) {
			*b = it->i;
			it->i += n;
			*e = it->i;
			*id = fnv_cp(0xcbf29ce484222325ULL ^ 2, c);
			return 1;
		}
		if (c >= 0 && is_word_cp(c)) {
			uint64_t h = 0xcbf29ce484222325ULL ^ 1;
			*b = it->i;
			while (it->i < it->len) {
				c = next_cp(it, &n);
				if (c < 0 || nlu_cp_is_cjk(c) || !is_word_cp(c))
					break;
				h = fnv_cp(h, utf8proc_tolower(c));
				it->i += n;
			}
			*e = it->i;
			*id = h;
			return 1;
		}
		it->i += n;
	}
	return 0;
}

size_t sum_rouge_len(const char *s)
{
	struct sum_tok_it it = { s, s ? strlen(s) : 0, 0 };
	size_t b, e, n = 0;
	uint64_t id;
	while (sum_tok_next(&it, &b, &e, &id))
		n++;
	return n;
}

size_t sum_cut_len(const char *s, size_t budget)
{
	struct sum_tok_it it = { s, strlen(s), 0 };
	size_t b, e, n = 0;
	uint64_t id;

	while (sum_tok_next(&it, &b, &e, &id))
		if (++n == budget) {
			/* keep closing punctuation glued to the last token ("it." / "吗？") */
			while (e < it.len && strchr(".!?,;:)\"'", it.s[e]) && it.s[e])
				e++;
			if (e + 3 <= it.len && (unsigned char)it.s[e] == 0xE3 &&
			    (unsigned char)it.s[e + 1] == 0x80 &&
			    ((unsigned char)it.s[e + 2] == 0x82 || (unsigned char)it.s[e + 2] == 0x81))
				e += 3;                         /* 。 、 */
			return e;
		}
	return it.len;
}

/* ---- cues ------------------------------------------------------------------------------ */

static int latin_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 1 when cue matches s[0..len) somewhere. */
static int cue_match(const char *cue, const char *s, size_t len)
{
	size_t n = strlen(cue);
	int prefix = n > 1 && cue[n - 1] == '*';
	if (prefix)
		n--;
	if (!n || n > len)
		return 0;
	for (const char *p = s; p + n <= s + len; p++) {
		p = memchr(p, cue[0], (size_t)(s + len - p));
		if (!p || p + n > s + len)
			return 0;
		if (memcmp(p, cue, n))
			continue;
		if (latin_byte((unsigned char)cue[0]) && p > s && latin_byte((unsigned char)p[-1]))
			continue;
		if (!prefix && latin_byte((unsigned char)cue[n - 1]) && p + n < s + len &&
		    latin_byte((unsigned char)p[n]))
			continue;
		return 1;
	}
	return 0;
}

int sum_cue_count(const char *const *list, const char *s, size_t len)
{
	int k = 0;
	for (; list && *list; list++)
		k += cue_match(*list, s, len);
	return k;
}

int sum_cue_any(const char *const *list, const char *s, size_t len)
{
	for (; list && *list; list++)
		if (cue_match(*list, s, len))
			return 1;
	return 0;
}

/* ---- strings ----------------------------------------------------------------------------- */

char *sum_fill(const char *tmpl, const char *const *names, const char *const *values,
	       size_t n)
{
	struct cm_buf b = { 0 };
	const char *p = tmpl;

	cm_buf_add(&b, "", 0);
	while (*p) {
		const char *o = strchr(p, '{'), *c = o ? strchr(o, '}') : NULL;
		size_t i;
		if (!o || !c) {
			cm_buf_str(&b, p);
			break;
		}
		cm_buf_add(&b, p, (size_t)(o - p));
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == (size_t)(c - o - 1) &&
			    !memcmp(names[i], o + 1, (size_t)(c - o - 1)))
				break;
		if (i < n)
			cm_buf_str(&b, values[i]);
		else
			cm_buf_add(&b, o, (size_t)(c - o + 1));
		p = c + 1;
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
