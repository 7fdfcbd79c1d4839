/* summary/entities.c — order numbers, amounts, error codes, e-mail addresses, dates and
 * phone numbers in customer-service text, English and Chinese alike.  A hand-written
 * scanner, no regex engine: the text is cut into ASCII tokens (letters, digits and the
 * marks numbers and codes use; any other byte, a Chinese character included, separates),
 * and each token is classified by its shape, its neighbours and the words just before it
 * ("order", "error", 订单, 错误码 ...).  Chinese dates (2024年3月5日, 3月5号) are found
 * on their own.  The word lists here are recognition patterns, not text anyone reads.
 * Entities that vision/ found in a picture come in ready-made (sum_turn.seen).
 * Pure; any thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sum_int.h"

#define MAX_TOKS 512

struct span {
	size_t b, e;
};

static const char *const order_cues[] = {
	"order", "tracking", "ticket", "case", "reference", "ref", "booking", "confirmation",
	"invoice", "parcel", "package", "shipment", "订单", "单号", "运单", "工单", "快递",
	"包裹", "发票", NULL,
};
static const char *const error_cues[] = {
	"error", "err", "code", "错误", "报错", "代码", "故障码", NULL,
};
static const char *const currency_after[] = {
	"usd", "dollars", "dollar", "bucks", "eur", "euros", "euro", "gbp", "pounds", "rmb",
	"cny", "yuan", "元", "块", "美元", "欧元", "英镑", "人民币", NULL,
};
static const char *const currency_before[] = {
	"$", "£", "€", "¥", "￥", "usd", "rmb", "cny", "eur", "gbp", NULL,
};
static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
	"jul", "aug", "sep", "sept", "oct", "nov", "dec", NULL,
};

static int atoi_n(const char *t, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n && v < 100000; i++)
		v = v * 10 + (t[i] - '0');
	return v;
}

static int tok_byte(unsigned char c)
{
	return isalnum(c) || (c && strchr("#_-/.:,+$@%", c));
}

/* Tokens of s: runs of token bytes, trailing marks trimmed. */
static size_t cut(const char *s, struct span *t, size_t cap)
{
	size_t n = 0, len = strlen(s);
	for (size_t i = 0; i < len && n < cap;) {
		if (!tok_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t b = i;
		while (i < len && tok_byte((unsigned char)s[i]))
			i++;
		size_t e = i;
		while (e > b && strchr("._-/:,+@%", s[e - 1]))
			e--;
		while (b < e && strchr(".-/:,_@%", s[b]))
			b++;
		if (e > b)
			t[n++] = (struct span){ b, e };
	}
	return n;
}

/* Skips marks: ASCII bytes that are neither letters nor digits (spaces, '#', ':', '.')
 * and the full-width colon and number sign (：＃). */
static const char *skip_marks(const char *q)
{
	for (;;) {
		if (*q && (unsigned char)*q < 0x80 && !isalnum((unsigned char)*q))
			q++;
		else if (!strncmp(q, "：", 3) || !strncmp(q, "＃", 3))
			q += 3;
		else
			return q;
	}
}

/* 1 when a word of list (lower case) comes right before s[pos] (within 24 bytes) with
 * only filler between: marks, "no" / "number", 号 / 码 / 是 / 为 ("order no. 4471",
 * "ticket #4471", "订单号：4471", "错误码是1005"). */
static int cue_before(const char *s, size_t pos, const char *const *list)
{
	size_t b = pos > 24 ? pos - 24 : 0, n = pos - b;
	char low[32];

	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[b + i]);
	low[n] = 0;
	for (; *list; list++) {
		const char *hit = NULL, *q;
		for (const char *p = strstr(low, *list); p; p = strstr(p + 1, *list))
			hit = p;                            /* the last mention */
		if (!hit)
			continue;
		q = skip_marks(hit + strlen(*list));
		if (!strncmp(q, "number", 6))
			q += 6;
		else if (!strncmp(q, "no", 2))
			q += 2;
		q = skip_marks(q);
		while (!strncmp(q, "号", 3) || !strncmp(q, "码", 3) || !strncmp(q, "是", 3) ||
		       !strncmp(q, "为", 3))
			q = skip_marks(q + 3);
		if (!*q)
			return 1;
	}
	return 0;
}

/* The currency word right after s[pos] (spaces allowed), or NULL. */
static const char *currency_next(const char *s, size_t pos, size_t *end)
{
	size_t i = pos;
	while (s[i] == ' ')
		i++;
	for (const char *const *c = currency_after; *c; c++) {
		size_t k = strlen(*c);
		if (!strncasecmp(s + i, *c, k) && !isalpha((unsigned char)s[i + k])) {
			*end = i + k;
			return *c;
		}
	}
	return NULL;
}

/* The currency mark right before s[pos] (one space allowed), or NULL. */
static const char *currency_prev(const char *s, size_t pos)
{
	size_t e = pos;
	if (e && s[e - 1] == ' ')
		e--;
	for (const char *const *c = currency_before; *c; c++) {
		size_t k = strlen(*c);
		if (e >= k && !strncasecmp(s + e - k, *c, k) &&
		    (e == k || !isalpha((unsigned char)s[e - k - 1]) || !isalpha((unsigned char)**c)))
			return *c;
	}
	return NULL;
}

static int is_number(const char *t, size_t n)
{
	size_t d = 0;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)t[i]))
			d++;
		else if (!strchr(",.", t[i]))
			return 0;
	}
	return d > 0 && isdigit((unsigned char)t[0]);
}

/* A numeric date: 3 parts of digits with one separator (/ - .), day-month-year or
 * year-month-day with plausible parts. */
static int is_date(const char *t, size_t n)
{
	int part[3] = { 0 }, len[3] = { 0 }, k = 0;
	char sep = 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (isdigit((unsigned char)c)) {
			if (len[k] >= 4)
				return 0;
			part[k] = part[k] * 10 + (c - '0');
			len[k]++;
		} else if (strchr("/-.", c) && (!sep || sep == c) && len[k] && k < 2) {
			sep = c;
			k++;
		} else {
			return 0;
		}
	}
	if (k != 2 || !len[2])
		return 0;
	if (len[0] == 4)
		return part[1] >= 1 && part[1] <= 12 && part[2] >= 1 && part[2] <= 31;
	return len[0] <= 2 && len[1] <= 2 && (len[2] == 2 || len[2] == 4) && part[0] >= 1 &&
	       part[0] <= 31 && part[1] >= 1 && part[1] <= 31 && (part[0] <= 12 || part[1] <= 12);
}

static int is_month(const char *t, size_t n)
{
	for (const char *const *m = months; *m; m++)
		if (strlen(*m) == n && !strncasecmp(t, *m, n))
			return 1;   /* only ever taken beside a day number ("may" too) */
	return 0;
}

static int is_day(const char *t, size_t n)
{
	size_t d = 0;
	while (d < n && isdigit((unsigned char)t[d]))
		d++;
	if (!d || d > 2)
		return 0;
	int v = atoi_n(t, d);
	if (v < 1 || v > 31)
		return 0;
	return d == n || (n - d == 2 && (!strncasecmp(t + d, "st", 2) || !strncasecmp(t + d, "nd", 2) ||
				       !strncasecmp(t + d, "rd", 2) || !strncasecmp(t + d, "th", 2)));
}

/* Kind of token t[0..n) of s at offset b given its neighbours, or -1.  *amount_end gets
 * where an amount's currency word ends (else the token's end). */
static int classify(const char *s, size_t b, size_t n, size_t *ext_b, size_t *ext_e)
{
	const char *t = s + b;
	size_t digits = 0, letters = 0, upper = 0, under = 0, at = 0, ce;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		digits += isdigit(c) != 0;
		letters += isalpha(c) != 0;
		upper += isupper(c) != 0;
		under += c == '_';
		at += c == '@';
	}
	*ext_b = b;
	*ext_e = b + n;
	if (at == 1) {
		const char *a = memchr(t, '@', n), *dot = NULL;
		for (const char *p = a + 1; p < t + n; p++)
			if (*p == '.')
				dot = p;
		if (a > t && dot && dot > a + 1 && t + n - dot - 1 >= 2)
			return SUM_ENT_EMAIL;
		return -1;
	}
	if (at)
		return -1;
	if (is_date(t, n))
		return SUM_ENT_DATE;
	if (n >= 3 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && digits + letters == n)
		return SUM_ENT_ERROR_CODE;
	if (under && upper == letters && letters >= 4)
		return SUM_ENT_ERROR_CODE;
	if (t[0] == '$' && n > 1 && is_number(t + 1, n - 1))
		return SUM_ENT_AMOUNT;
	if (is_number(t, n)) {
		const char *cur = currency_prev(s, b);
		if (cur) {
			*ext_b = b - strlen(cur) - (b > strlen(cur) && s[b - 1] == ' ');
			return SUM_ENT_AMOUNT;
		}
		if (currency_next(s, b + n, &ce)) {
			*ext_e = ce;
			return SUM_ENT_AMOUNT;
		}
	}
	if (t[0] == '+' && digits >= 8 && digits + 1 + (n - digits - 1) == n && !letters)
		return SUM_ENT_PHONE;
	if (digits == 11 && n == 11 && t[0] == '1' && t[1] >= '3' && t[1] <= '9' &&
	    !cue_before(s, b, order_cues))
		return SUM_ENT_PHONE;
	if (digits >= 2 && digits <= 6 && letters >= 1 && letters <= 4 && !under &&
	    isalpha((unsigned char)t[0]) && isdigit((unsigned char)t[n - 1]) &&
	    (cue_before(s, b, error_cues) || (letters == 1 && (t[0] == 'E' || t[0] == 'e') &&
					      digits >= 3)))
		return SUM_ENT_ERROR_CODE;
	if (digits >= 3 && digits <= 6 && digits == n && cue_before(s, b, error_cues))
		return SUM_ENT_ERROR_CODE;
	if (digits >= 6 && digits * 10 >= (digits + letters) * 6 && !strchr(t, '.') &&
	    !strchr(t, ','))
		return SUM_ENT_ORDER;
	if (digits >= 4 && digits * 2 >= digits + letters && cue_before(s, b, order_cues))
		return SUM_ENT_ORDER;
	return -1;
}

size_t sum_entity_add(struct sum_entity *out, size_t *n, size_t cap, int kind, int source,
		  int turn, const char *text, size_t len)
{
	char buf[sizeof out->text];
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, text, len);
	buf[len] = 0;
	for (size_t i = 0; i < *n; i++)
		if (out[i].kind == kind && !strcasecmp(out[i].text, buf))
			return 0;
	if (*n >= cap)
		return 0;
	out[*n] = (struct sum_entity){ .kind = kind, .source = source, .turn = turn };
	memcpy(out[*n].text, buf, len + 1);
	(*n)++;
	return 1;
}

/* Chinese dates: [YYYY年]M月D日/号. */
static size_t zh_dates(const char *s, int source, int turn, struct sum_entity *out, size_t *n,
		       size_t cap)
{
	static const char yue[] = "月", nian[] = "年";
	size_t added = 0;
	for (const char *p = strstr(s, yue); p; p = strstr(p + 3, yue)) {
		const char *b = p, *e = p + 3;
		while (b > s && isdigit((unsigned char)b[-1]) && p - b < 2)
			b--;
		if (b == p)
			continue;
		if (b - s >= 7 && !memcmp(b - 3, nian, 3) && isdigit((unsigned char)b[-4]) &&
		    isdigit((unsigned char)b[-7]))
			b -= 7;
		while (isdigit((unsigned char)*e) && e - p < 5)
			e++;
		if (e > p + 3 && (!strncmp(e, "日", 3) || !strncmp(e, "号", 3)))
			added += sum_entity_add(out, n, cap, SUM_ENT_DATE, source, turn, b, (size_t)(e + 3 - b));
	}
	return added;
}

size_t sum_entities_find(const char *text, int source, int turn, struct sum_entity *out,
			 size_t *n, size_t cap)
{
	struct span t[MAX_TOKS];
	size_t nt, added = 0;

	if (!text)
		return 0;
	nt = cut(text, t, MAX_TOKS);
	for (size_t i = 0; i < nt; i++) {
		const char *w = text + t[i].b;
		size_t len = t[i].e - t[i].b, xb, xe;
		/* "March 5", "5th of March", "5 March" */
		int m = is_month(w, len);
		if (m && i + 1 < nt && is_day(text + t[i + 1].b, t[i + 1].e - t[i + 1].b) &&
		    t[i + 1].b - t[i].e <= 2) {
			added += sum_entity_add(out, n, cap, SUM_ENT_DATE, source, turn, w, t[i + 1].e - t[i].b);
			i++;
			continue;
		}
		if (is_day(w, len) && i + 1 < nt && t[i + 1].b - t[i].e <= 4 &&
		    is_month(text + t[i + 1].b, t[i + 1].e - t[i + 1].b)) {
			added += sum_entity_add(out, n, cap, SUM_ENT_DATE, source, turn, w, t[i + 1].e - t[i].b);
			i++;
			continue;
		}
		int kind = classify(text, t[i].b, len, &xb, &xe);
		if (kind == SUM_ENT_ORDER && text[xb] == '#')
			xb++;                               /* "#12345678" is order 12345678 */
		if (kind >= 0)
			added += sum_entity_add(out, n, cap, kind, source, turn, text + xb, xe - xb);
	}
	return added + zh_dates(text, source, turn, out, n, cap);
}
