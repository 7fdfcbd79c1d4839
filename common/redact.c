/* common/redact.c — PII redaction (see redact.h).  One left-to-right scan: at each place
 * that can start a token (after a non-alphanumeric byte: a space, punctuation or any
 * non-ASCII byte such as a Chinese character) the matchers are tried in order — e-mail,
 * IBAN, card, phone — and the first that matches a whole token replaces it.  Pure; any
 * thread. */
#include "redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_alnum(unsigned char c)
{
	return c < 0x80 && isalnum(c);
}

int cm_luhn_ok(const char *d, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';
		if (v < 0 || v > 9)
			return 0;
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return n > 0 && sum % 10 == 0;
}

int cm_iban_ok(const char *s, size_t n)
{
	unsigned rem = 0;

	if (n < 15 || n > 34)
		return 0;
	/* move the first four characters to the end; letters count as 10..35 */
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)toupper((unsigned char)s[(k + 4) % n]);
		if (isdigit(c))
			rem = (rem * 10 + (c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

/* An e-mail address starting at p: local part [A-Za-z0-9._%+-]+, '@', a domain of
 * labels joined by dots with a last label of 2+ letters.  Returns its length or 0. */
static size_t match_email(const char *p)
{
	size_t i = 0, at, last_dot = 0;

	while (is_alnum((unsigned char)p[i]) || (p[i] && strchr("._%+-", p[i])))
		i++;
	if (i == 0 || p[i] != '@')
		return 0;
	at = i++;
	while (is_alnum((unsigned char)p[i]) || (p[i] == '-') ||
	       (p[i] == '.' && is_alnum((unsigned char)p[i + 1]))) {
		if (p[i] == '.')
			last_dot = i;
		i++;
	}
	if (!last_dot || last_dot <= at + 1)
		return 0;
	for (size_t k = last_dot + 1; k < i; k++)
		if (!isalpha((unsigned char)p[k]))
			return 0;
	return i - last_dot - 1 >= 2 ? i : 0;
}

/* An IBAN starting at p: two letters, two digits, then letters/digits optionally in
 * groups separated by single spaces, 15-34 characters in all, valid checksum.  Returns
 * the length matched (spaces included) or 0. */
static size_t match_iban(const char *p)
{
	char buf[40];
	size_t i = 0, n = 0, best = 0;

	if (!isupper((unsigned char)p[0]) || !isupper((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || !isdigit((unsigned char)p[3]))
		return 0;
	while (n < 34) {
		if (is_alnum((unsigned char)p[i])) {
			buf[n++] = p[i++];
			if (!is_alnum((unsigned char)p[i]) && cm_iban_ok(buf, n))
				best = i;
		} else if (p[i] == ' ' && n >= 4 && is_alnum((unsigned char)p[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return best;
}

/* A run of digits starting at p with single separators from seps between them.
 * Fills digits (at most cap) and returns the length matched (ending on a digit). */
static size_t digit_run(const char *p, const char *seps, char *digits, size_t cap,
			size_t *nd, int *n_seps)
{
	size_t i = 0, end = 0;

	*nd = 0;
	*n_seps = 0;
	for (;;) {
		if (isdigit((unsigned char)p[i])) {
			if (*nd < cap)
				digits[*nd] = p[i];
			(*nd)++;
			end = ++i;
		} else if (p[i] && strchr(seps, p[i]) && i > 0 &&
			   (isdigit((unsigned char)p[i + 1]) ||
			    (p[i + 1] && strchr(seps, p[i + 1]) && isdigit((unsigned char)p[i + 2])))) {
			(*n_seps)++;
			i++;
		} else {
			break;
		}
	}
	return end;
}

/* A card number: 13-19 digits, single spaces or hyphens between groups, Luhn-valid. */
static size_t match_card(const char *p)
{
	char d[32];
	size_t nd;
	int seps;
	size_t len = digit_run(p, " -", d, sizeof d, &nd, &seps);

	if (nd < 13 || nd > 19 || is_alnum((unsigned char)p[len]))
		return 0;
	return cm_luhn_ok(d, nd) ? len : 0;
}

/* A phone number: '+' and 8-15 digits; or 10-11 digits that start with 0 or 1 (national
 * and trunk prefixes, Chinese mobiles 1[3-9]…) or are written in groups ("555-123-4567",
 * "(020) 1234 5678").  Separators: space, '-', '.', parentheses. */
static size_t match_phone(const char *p)
{
	char d[32];
	size_t nd, off = 0;
	int seps, plus = p[0] == '+', paren = 0;

	if (plus)
		off = 1;
	if (p[off] == '(') {
		paren = 1;
		off++;
	}
	size_t len = digit_run(p + off, " -.()", d, sizeof d, &nd, &seps);
	if (!len || is_alnum((unsigned char)p[off + len]))
		return 0;
	if (plus ? (nd >= 8 && nd <= 15) :
	    (nd >= 10 && nd <= 11 && (d[0] == '0' || d[0] == '1' || seps + paren >= 2)))
		return off + len;
	return 0;
}

char *cm_redact(const char *text, unsigned what, int *n_out)
{
	size_t len = strlen(text);
	char *out = malloc(2 * len + 16), *o = out;
	int n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		const char *p = text + i;
		int start = i == 0 || !is_alnum((unsigned char)text[i - 1]);
		size_t m = 0;
		const char *mark = NULL;
		/* the tail of a longer digit group ("… 1234 5678") is no number of its own */
		int in_group = i >= 2 && strchr(" -.", text[i - 1]) &&
			       isdigit((unsigned char)text[i - 2]);

		/* an e-mail's local part may start after a dot or plus inside a token too */
		if (start && (what & CM_REDACT_EMAIL) && (m = match_email(p)))
			mark = "[email]";
		else if (start && (what & CM_REDACT_IBAN) && (m = match_iban(p)))
			mark = "[iban]";
		else if (start && !in_group && (what & CM_REDACT_CARD) && (m = match_card(p)))
			mark = "[card]";
		else if (start && !in_group && (what & CM_REDACT_PHONE) && (m = match_phone(p)))
			mark = "[phone]";
		if (mark) {
			size_t ml = strlen(mark);
			memcpy(o, mark, ml);
			o += ml;
			i += m;
			n++;
			continue;
		}
		/* copy the whole alphanumeric token (or one other byte) */
		do {
			*o++ = text[i++];
		} while (i < len && is_alnum((unsigned char)text[i - 1]) &&
			 is_alnum((unsigned char)text[i]));
	}
	*o = '\0';
	if (n_out)
		*n_out = n;
	return out;
}
