/* vision/entities.c — order numbers, error codes and similar tokens in OCR text, and their
 * fuzzy match against the tokens a store knows.
 *
 * OCR confuses characters of similar shape (0/O/D/Q, 1/l/I/|, 5/S, 2/Z, 8/B, 6/G, c/e), so
 * tokens are compared in a folded form where each confusable group is one character, and
 * tokens of six or more characters may still differ by one edit (a dropped or doubled
 * character).  Pure functions; any thread.
 */
#include "vision.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

size_t vis_entity_canon(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	if (!outlen)
		return 0;
	for (; *s && n + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '-' || c == '_' || c == ' ' || c == '.' || c == '/' || c == ':' || c == '#')
			continue;
		c = (unsigned char)toupper(c);
		switch (c) {
		case 'O': case 'Q': case 'D': c = '0'; break;
		case 'I': case 'L': case '|': case '!': c = '1'; break;
		case 'S': c = '5'; break;
		case 'Z': c = '2'; break;
		case 'B': c = '8'; break;
		case 'G': c = '6'; break;
		case 'E': c = 'C'; break;
		}
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n;
}

static int is_tok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '#';
}

/* Classifies one whitespace/punctuation-delimited token, 0 if it is not an entity. */
static int classify(const char *t, size_t n)
{
	size_t digits = 0, letters = 0, upper = 0, under = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		digits += isdigit(c) != 0;
		letters += isalpha(c) != 0;
		upper += isupper(c) != 0;
		under += c == '_';
	}
	if (n >= 3 && (t[0] == '0') && (t[1] == 'x' || t[1] == 'X') && digits + letters == n)
		return VIS_ENT_ERROR_CODE;                       /* 0x80070005 */
	if (under && upper == letters && letters >= 4)
		return VIS_ENT_ERROR_CODE;                       /* ERR_CONNECTION_REFUSED */
	/* a mostly-digit token: an order / tracking number (OCR may have turned a few digits
	 * into letters, so up to a quarter may be letters) */
	if (digits >= 6 && digits * 4 >= n * 3 && n <= 40)
		return VIS_ENT_ORDER;
	if (digits >= 2 && letters >= 1 && n >= 4 && n <= 40) {
		if (letters <= 4 && isalpha((unsigned char)t[0]))
			return VIS_ENT_ERROR_CODE;               /* E1234, ABC-1234, HTTP404 */
		return VIS_ENT_CODE;
	}
	return 0;
}

int vis_entities_find(const char *text, struct vis_entity *out, int max)
{
	int k = 0;
	const char *p = text;
	while (*p && k < max) {
		while (*p && !is_tok((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && is_tok((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - s);
		while (n && (s[n - 1] == '-' || s[n - 1] == '_'))
			n--;
		while (n && (*s == '#' || *s == '-')) {
			s++;
			n--;
		}
		if (!n || n >= sizeof out[0].text)
			continue;
		int kind = classify(s, n);
		if (!kind)
			continue;
		struct vis_entity *e = &out[k];
		memcpy(e->text, s, n);
		e->text[n] = 0;
		/* OCR often reads the '_' of ERR_CONNECTION_REFUSED (drawn on the baseline) as a
		 * space: join the following upper-case words back on. */
		if (kind == VIS_ENT_ERROR_CODE && memchr(s, '_', n)) {
			while (*p == ' ' && isupper((unsigned char)p[1])) {
				const char *q = p + 1;
				while (isupper((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '_')
					q++;
				size_t wl = (size_t)(q - p - 1);
				if (wl < 2 || is_tok((unsigned char)*q) || n + 1 + wl >= sizeof e->text)
					break;
				e->text[n] = '_';
				memcpy(e->text + n + 1, p + 1, wl);
				n += 1 + wl;
				e->text[n] = 0;
				p = q;
			}
		}
		e->kind = kind;
		vis_entity_canon(e->text, e->canon, sizeof e->canon);
		int dup = 0;
		for (int i = 0; i < k; i++)
			dup |= !strcmp(out[i].canon, e->canon);
		if (!dup)
			k++;
	}
	return k;
}

/* Levenshtein distance of a and b, giving up (returning limit + 1) past limit. */
static int edit_distance(const char *a, const char *b, int limit)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	if (la > 63 || lb > 63 || (la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	int row[64];
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++) {
		int prev = row[0], best = i;
		row[0] = i;
		for (int j = 1; j <= lb; j++) {
			int cur = row[j];
			int v = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = cur;
			if (v < best)
				best = v;
		}
		if (best > limit)
			return limit + 1;
	}
	return row[lb];
}

int vis_entity_match(const char *text, const char *const *known, int n_known, int *dist)
{
	char a[64], b[64];
	size_t la = vis_entity_canon(text, a, sizeof a);
	int best = -1, best_d = 2;
	if (!la)
		return -1;
	for (int i = 0; i < n_known; i++) {
		size_t lb = vis_entity_canon(known[i], b, sizeof b);
		int limit = la >= 6 && lb >= 6 ? 1 : 0;
		int d = edit_distance(a, b, limit);
		if (d <= limit && d < best_d) {
			best = i;
			best_d = d;
			if (!d)
				break;
		}
	}
	if (dist)
		*dist = best >= 0 ? best_d : -1;
	return best;
}
