/* speech/entity_text.c — what a customer reads out, as a value: spoken words ("alpha seven
 * seven three one nine oh two", "march third nineteen twenty eight", "twelve dollars fifty")
 * become the value of an entity kind ("A7731902", "1928-03-03", "12.50").
 *
 * One reader for the whole project: grammar.c uses it on the grammar's and the language
 * model's words, kefu eval-speech compares references and hypotheses with it (digit/letter
 * exact-string accuracy).  Pure functions over their arguments, any thread.
 *
 * Tokens: single letters "a".."z" and the NATO alphabet (alpha .. zulu) are letters; zero,
 * "oh", one .. nine are digits; "double"/"triple" repeat the next digit or letter.  Number
 * words form runs read as people read numbers out: parts without a multiplier are written
 * one after another ("seventy nine fifty nine" -> 7959, "nineteen twenty eight" -> 1928,
 * "one seventy five" -> 175), "hundred"/"thousand" multiply ("two thousand five" -> 2005,
 * "one hundred and five" -> 105).  Ordinals ("third", "twenty first") are numbers too.
 * Words that belong to no value ("rubout", "my", "is") are skipped.  A word that sounds
 * like a letter or a digit ("you", "why", "be", "see", "for", "to") is read as it when a
 * letter, digit or number word stands next to it: in "rubout you j m k nine" or "four two
 * two to" the recogniser wrote the homophone of a spelled character (an4's dev speakers:
 * docs/speech.md "Third round"); elsewhere it is an ordinary word and skipped.  Common words
 * the recogniser writes for a spelled letter ("and"/"an"/"in" for n, "am" for m, "as" for
 * s, "al" for l) are read as the letter only beside a spelled letter other than "a"/"i"
 * ("u s i q and seventy one" -> USIQN71; "eight hundred and twenty" keeps its "and").
 */
#include "speech.h"
#include "speech_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define ENT_MAX_TOK 128

static const char *const kind_names[] = { "none", "number", "code", "date", "amount" };

const char *asr_entity_kind_name(int kind)
{
	return kind >= 0 && kind <= ASR_ENT_AMOUNT ? kind_names[kind] : "none";
}

int asr_entity_kind_parse(const char *s)
{
	for (int k = 0; s && k <= ASR_ENT_AMOUNT; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

/* ---- word classes -------------------------------------------------------------------- */

const char *const sp_ent_nato[26] = { "alpha", "bravo", "charlie", "delta", "echo",
	"foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november",
	"oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
	"x-ray", "yankee", "zulu" };
const char *const sp_ent_units[10] = { "zero", "one", "two", "three", "four", "five", "six",
	"seven", "eight", "nine" };
const char *const sp_ent_teens[10] = { "ten", "eleven", "twelve", "thirteen", "fourteen",
	"fifteen", "sixteen", "seventeen", "eighteen", "nineteen" };
const char *const sp_ent_tens[10] = { NULL, NULL, "twenty", "thirty", "forty", "fifty",
	"sixty", "seventy", "eighty", "ninety" };
const char *const sp_ent_unit_ord[10] = { NULL, "first", "second", "third", "fourth",
	"fifth", "sixth", "seventh", "eighth", "ninth" };
const char *const sp_ent_teen_ord[10] = { "tenth", "eleventh", "twelfth", "thirteenth",
	"fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth" };
const char *const sp_ent_tens_ord[10] = { NULL, NULL, "twentieth", "thirtieth", "fortieth",
	"fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth" };
const char *const sp_ent_months[12] = { "january", "february", "march", "april", "may",
	"june", "july", "august", "september", "october", "november", "december" };

static int find(const char *const *tab, int n, const char *w)
{
	for (int i = 0; i < n; i++)
		if (tab[i] && !strcmp(tab[i], w))
			return i;
	return -1;
}

/* The letter w stands for ('A'..'Z'), or 0. */
static char letter_of(const char *w)
{
	if (w[0] >= 'a' && w[0] <= 'z' && !w[1])
		return (char)toupper((unsigned char)w[0]);
	if (!strcmp(w, "alfa"))
		return 'A';
	if (!strcmp(w, "juliett"))
		return 'J';
	if (!strcmp(w, "xray"))
		return 'X';
	if (!strcmp(w, "whisky"))
		return 'W';
	int i = find(sp_ent_nato, 26, w);
	return i >= 0 ? (char)('A' + i) : 0;
}

/* A digit word's value ("oh" is zero), or -1. */
static int digit_of(const char *w)
{
	if (!strcmp(w, "oh"))
		return 0;
	return find(sp_ent_units, 10, w);
}

/* A number part of one or two tokens at t[0..]: units, teens, tens [unit], and their
 * ordinals.  Returns the tokens taken (0 if none) with the value in *v and *ord set when it
 * is an ordinal. */
static int small_at(char *const *t, int n, int *v, int *ord)
{
	int i;

	*ord = 0;
	if (n < 1)
		return 0;
	if ((i = digit_of(t[0])) >= 0 || (i = find(sp_ent_teens, 10, t[0])) >= 0) {
		*v = digit_of(t[0]) >= 0 ? i : 10 + i;
		return 1;
	}
	if ((i = find(sp_ent_unit_ord, 10, t[0])) >= 0 ||
	    (i = find(sp_ent_teen_ord, 10, t[0])) >= 0) {
		*v = find(sp_ent_unit_ord, 10, t[0]) >= 0 ? i : 10 + i;
		*ord = 1;
		return 1;
	}
	if ((i = find(sp_ent_tens_ord, 10, t[0])) >= 0) {
		*v = 10 * i;
		*ord = 1;
		return 1;
	}
	if ((i = find(sp_ent_tens, 10, t[0])) >= 0) {
		int u;
		*v = 10 * i;
		if (n > 1 && (u = find(sp_ent_units, 10, t[1])) > 0) {
			*v += u;
			return 2;
		}
		if (n > 1 && (u = find(sp_ent_unit_ord, 10, t[1])) > 0) {
			*v += u;
			*ord = 1;
			return 2;
		}
		return 1;
	}
	return 0;
}

static int is_mult(const char *w)
{
	return !strcmp(w, "hundred") || !strcmp(w, "thousand") || !strcmp(w, "million");
}

/* Appends s to out[*o..cap); 0, or -1 when it does not fit. */
static int put(char *out, size_t cap, size_t *o, const char *s)
{
	size_t l = strlen(s);

	if (*o + l + 1 > cap)
		return -1;
	memcpy(out + *o, s, l + 1);
	*o += l;
	return 0;
}

/* Reads the number run at t[0..n): parts without a multiplier one after another,
 * multipliers multiplying.  Writes the digits to out (NUL-terminated), the last part's
 * value to *last, whether the run is one ordinal to *ord and the number of parts to
 * *n_parts.  Returns the tokens taken. */
static int number_run_parts(char *const *t, int n, char *out, size_t cap, long *last,
			    int *ord, int *n_parts)
{
	long value = 0, cur = 0;
	int i = 0, have = 0, prev_small = 0, parts = 0, o_ord = 0;
	size_t o = 0;
	char buf[32];

	out[0] = '\0';
	while (i < n) {
		int v, k, od;
		if ((k = small_at(t + i, n - i, &v, &od)) > 0) {
			if (prev_small) {           /* "seventy nine" + "fifty nine": write it out */
				snprintf(buf, sizeof buf, "%ld", value + cur);
				if (put(out, cap, &o, buf))
					return i;
				value = cur = 0;
			}
			cur += v;
			have = prev_small = 1;
			o_ord = od;
			parts++;
			i += k;
		} else if (is_mult(t[i]) && (have || i + 1 < n)) {
			long m = !strcmp(t[i], "hundred") ? 100 : !strcmp(t[i], "thousand") ? 1000
											   : 1000000;
			if (m == 100)
				cur = (cur ? cur : 1) * 100;
			else {
				value += (cur ? cur : 1) * m;
				cur = 0;
			}
			have = 1;
			prev_small = 0;
			i++;
		} else if (!strcmp(t[i], "and") && have && !prev_small && i + 1 < n &&
			   small_at(t + i + 1, n - i - 1, &v, &od)) {
			i++;                        /* "one hundred and five" */
		} else {
			break;
		}
	}
	if (have) {
		snprintf(buf, sizeof buf, "%ld", value + cur);
		put(out, cap, &o, buf);
		*last = value + cur;
	}
	*ord = parts == 1 && o_ord;
	*n_parts = parts;
	return i;
}

static int number_run(char *const *t, int n, char *out, size_t cap, long *last, int *ord)
{
	int parts;

	return number_run_parts(t, n, out, cap, last, ord, &parts);
}

/* Lower-cases words into buf and splits it into tokens (pronunciation variants "read(2)"
 * cut).  Returns the count. */
static int tokenize(const char *words, char *buf, size_t cap, char **tok)
{
	int n = 0;
	size_t l = strlen(words);

	if (l >= cap)
		l = cap - 1;
	for (size_t i = 0; i < l; i++)
		buf[i] = (char)tolower((unsigned char)words[i]);
	buf[l] = '\0';
	for (char *save = NULL, *w = strtok_r(buf, " \t\n,.;:?!", &save); w && n < ENT_MAX_TOK;
	     w = strtok_r(NULL, " \t\n,.;:?!", &save)) {
		w[strcspn(w, "(")] = '\0';
		if (w[0])
			tok[n++] = w;
	}
	return n;
}

/* code / number: letters (code only) and digits in order.  Tokens used, -1 on overflow. */
static int read_chars(char **t, int n, int letters, char *out, size_t cap)
{
	size_t o = 0;
	int used = 0, rep = 1;
	char run[64];

	out[0] = '\0';
	for (int i = 0; i < n;) {
		char c = letters ? letter_of(t[i]) : 0;
		long last;
		int ord, k;
		if (!strcmp(t[i], "double") || !strcmp(t[i], "triple")) {
			rep = t[i][0] == 'd' ? 2 : 3;
			used++;
			i++;
			continue;
		}
		if (c) {
			char s[2] = { c, 0 };
			for (int r = 0; r < rep; r++)
				if (put(out, cap, &o, s))
					return -1;
			used++;
			i++;
		} else if ((k = number_run(t + i, n - i, run, sizeof run, &last, &ord)) > 0) {
			for (int r = 0; r < rep; r++)
				if (put(out, cap, &o, run))
					return -1;
			used += k;
			i += k;
		} else {
			i++;
		}
		rep = 1;
	}
	return used;
}

/* date: a month with a day (before or after it, "the fifth of march") and an optional
 * year -> "YYYY-MM-DD" or "MM-DD"; numbers only ("one two nineteen eighty") are not read
 * as a date.  Tokens used, 0 when there is no date. */
static int read_date(char **t, int n, char *out, size_t cap)
{
	int month = -1, mi = -1, day = -1, used = 0;
	long year = -1;
	char run[64];

	for (int i = 0; i < n; i++)
		if ((month = find(sp_ent_months, 12, t[i])) >= 0) {
			mi = i;
			break;
		}
	if (month < 0)
		return 0;
	used = 1;
	for (int i = mi + 1; i < n; i++) {        /* after the month: day, then year */
		long last;
		int v, od, ord, k, kk = small_at(t + i, n - i, &v, &od);
		if (day < 0 && kk > 0 && v >= 1 && v <= 31 && !(i + kk < n && is_mult(t[i + kk]))) {
			day = v;                    /* "third" of "third nineteen twenty eight" */
			used += kk;
			i += kk - 1;
			continue;
		}
		if (year >= 0 || (k = number_run(t + i, n - i, run, sizeof run, &last, &ord)) <= 0)
			continue;
		if (strlen(run) == 2 || strlen(run) == 4) {
			sscanf(run, "%ld", &year);
			if (strlen(run) == 2)
				year += year < 50 ? 2000 : 1900;
			used += k;
		}
		i += k - 1;
	}
	for (int i = mi - 1; day < 0 && i >= 0; i--) {  /* "the fifth of march" */
		int v, od, back;
		if (!strcmp(t[i], "of") || !strcmp(t[i], "the"))
			continue;
		back = i > 0 && small_at(t + i - 1, 2, &v, &od) == 2 ? 1 : 0;
		if (small_at(t + i - back, n - i + back, &v, &od) > 0 && v >= 1 && v <= 31) {
			day = v;
			used += 1 + back;
		}
		break;
	}
	if (day < 0)
		return 0;
	if (year >= 0)
		snprintf(out, cap, "%04ld-%02d-%02d", year, month + 1, day);
	else
		snprintf(out, cap, "%02d-%02d", month + 1, day);
	return used;
}

static const char *currency_of(const char *w)
{
	static const char *const tab[][2] = {
		{ "dollar", "USD" }, { "dollars", "USD" }, { "buck", "USD" }, { "bucks", "USD" },
		{ "euro", "EUR" }, { "euros", "EUR" }, { "pound", "GBP" }, { "pounds", "GBP" },
		{ "yuan", "CNY" }, { "rmb", "CNY" }, { "kuai", "CNY" },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(w, tab[i][0]))
			return tab[i][1];
	return NULL;
}

/* amount: whole units, then cents ("and fifty cents", "fifty", "point five") ->
 * "12.50" or "12.50 USD" when a currency was said.  Tokens used, 0 when no number. */
static int read_amount(char **t, int n, char *out, size_t cap)
{
	char whole[64] = "", frac[64] = "", run[64];
	const char *cur = NULL;
	int used = 0, i = 0, point = 0, parts = 0;
	long last;
	int ord;

	while (i < n && !whole[0]) {
		int k = number_run_parts(t + i, n - i, run, sizeof run, &last, &ord, &parts);
		if (k > 0) {
			size_t l = strlen(run);
			snprintf(whole, sizeof whole, "%s", run);
			used += k;
			i += k;
			/* "twelve fifty": the last two-digit part is the cents, unless a currency
			 * word follows ("nineteen ninety dollars") */
			if (parts > 1 && last >= 10 && last < 100 && l > 2 &&
			    !(i < n && currency_of(t[i]))) {
				snprintf(frac, sizeof frac, "%s", run + l - 2);
				whole[l - 2] = '\0';
			}
		} else {
			i++;
		}
	}
	if (!whole[0])
		return 0;
	for (; i < n; i++) {
		const char *c = currency_of(t[i]);
		int k;
		if (c) {
			cur = c;
			used++;
		} else if (!strcmp(t[i], "point") && !frac[0]) {
			point = 1;
			used++;
		} else if (!strcmp(t[i], "cents") || !strcmp(t[i], "cent") || !strcmp(t[i], "and")) {
			used++;
		} else if (!frac[0] && (k = number_run(t + i, n - i, run, sizeof run, &last,
						       &ord)) > 0) {
			if (point) {                 /* "point five" is 50 cents, read digit by digit */
				snprintf(frac, sizeof frac, "%s", run);
			} else if (last < 100 && strlen(run) <= 2) {
				snprintf(frac, sizeof frac, "%02ld", last);
			} else {
				break;
			}
			used += k;
			i += k - 1;
		}
	}
	if (point && frac[0] && strlen(frac) == 1)
		strcat(frac, "0");
	snprintf(out, cap, "%s.%.2s%s%s", whole, frac[0] ? frac : "00", cur ? " " : "",
		 cur ? cur : "");
	return used;
}

/* Homophones of letters and digits, and the letter or digit word each is read as beside
 * another letter, digit or number word. */
static const char *const homophones[][2] = {
	{ "you", "u" }, { "why", "y" }, { "be", "b" }, { "bee", "b" }, { "see", "c" },
	{ "sea", "c" }, { "are", "r" }, { "eye", "i" }, { "tea", "t" }, { "tee", "t" },
	{ "pea", "p" }, { "pee", "p" }, { "jay", "j" }, { "kay", "k" }, { "queue", "q" },
	{ "ex", "x" }, { "for", "four" }, { "fore", "four" }, { "to", "two" }, { "too", "two" },
	{ "won", "one" }, { "ate", "eight" },
};

/* Words the recogniser writes for a spelled letter that are common words too ("and" for
 * n, "am" for m): read as that letter only beside a spelled letter (not beside a number:
 * "eight hundred and twenty" keeps its "and"). */
static const char *const letter_words[][2] = {
	{ "and", "n" }, { "an", "n" }, { "in", "n" }, { "end", "n" }, { "am", "m" },
	{ "em", "m" }, { "as", "s" }, { "ess", "s" }, { "al", "l" }, { "el", "l" },
};

/* 1 when tok is a spelled letter letter_words may stand beside: not "a" or "i", which are
 * English words too ("I am", "an a"; chosen on the an4 training speakers' readings, docs/
 * speech.md "Fifth round") */
static int spelled(const char *tok)
{
	return letter_of(tok) && strcmp(tok, "a") && strcmp(tok, "i");
}

/* Reads the homophones of tok[0..n) as that letter or digit when an entity word (as it was
 * before this pass) stands next to them: any entity word for a letter's homophone, a digit
 * or number word for a digit's ("u s d to g b p" keeps its "to"); letter_words beside a
 * spelled letter. */
static void read_homophones(char **tok, int n)
{
	char cls[ENT_MAX_TOK];                  /* 0 none, 1 letter, 2 digit or number word */
	char sp[ENT_MAX_TOK];                   /* spelled() */

	for (int i = 0; i < n; i++) {
		cls[i] = (char)(letter_of(tok[i]) ? 1 : asr_entity_token(tok[i]) ? 2 : 0);
		sp[i] = (char)spelled(tok[i]);
	}
	for (int i = 0; i < n; i++) {
		int left = i > 0 ? cls[i - 1] : 0, right = i + 1 < n ? cls[i + 1] : 0;
		if (cls[i] || !(left || right))
			continue;
		for (size_t k = 0; k < sizeof homophones / sizeof homophones[0]; k++) {
			const char *as = homophones[k][1];
			if (strcmp(tok[i], homophones[k][0]))
				continue;
			if (letter_of(as) || left == 2 || right == 2)
				tok[i] = (char *)as;
			break;
		}
		if (!((i > 0 && sp[i - 1]) || (i + 1 < n && sp[i + 1])))
			continue;
		for (size_t k = 0; k < sizeof letter_words / sizeof letter_words[0]; k++)
			if (!strcmp(tok[i], letter_words[k][0])) {
				tok[i] = (char *)letter_words[k][1];
				break;
			}
	}
}

int asr_entity_normalize(const char *words, int kind, char *out, size_t cap)
{
	char buf[1024], *tok[ENT_MAX_TOK];
	int n;

	if (!out || cap == 0)
		return -1;
	out[0] = '\0';
	if (!words)
		return 0;
	n = tokenize(words, buf, sizeof buf, tok);
	if (kind == ASR_ENT_CODE || kind == ASR_ENT_NUMBER)
		read_homophones(tok, n);
	switch (kind) {
	case ASR_ENT_CODE: return read_chars(tok, n, 1, out, cap);
	case ASR_ENT_NUMBER: return read_chars(tok, n, 0, out, cap);
	case ASR_ENT_DATE: return read_date(tok, n, out, cap);
	case ASR_ENT_AMOUNT: return read_amount(tok, n, out, cap);
	default: return -1;
	}
}

int asr_entity_token(const char *w)
{
	int v, ord;
	char *t[1] = { (char *)w };

	return letter_of(w) || small_at(t, 1, &v, &ord) > 0 || is_mult(w) ||
	       !strcmp(w, "double") || !strcmp(w, "triple");
}
