/* speech/entity_lm.c — a small language model of what a customer reads out: digit strings,
 * spelled letters and codes, numbers, dates and amounts, mixed into the decoder's language
 * models beside the generic and the store's one (asr.c).
 *
 * The generic en-us model has seen few spelled codes ("k l m u five two seven four" came
 * out as "k l m me and five to seven four") and the store's texts have almost none, so a
 * decoder that is asked for an order number hears English instead.  This model is generated,
 * not learnt from recordings: ASR_ENTITY_SENTENCES sentences drawn with a fixed seed from
 * templates (digit strings of 1..12 digits with "zero"/"oh", letter strings of 1..10
 * letters, half of them random and half a dictionary word spelled out (people spell names:
 * "p i t t s b u r g h"), codes mixing both with NATO words now and then, cardinal numbers with and without
 * "and", years and numbers read in pairs, month + ordinal [+ year], amounts in dollars and
 * cents), plus real sentences: the an4 training speakers' transcripts embedded from
 * speech/data/an4_train.txt (spelled names, codes and an4's commands "rubout", "enter",
 * "erase"; each counted ASR_ENTITY_CORPUS_REPEAT times: on the an4 dev speakers WER 27.3 ->
 * 22.5 %, docs/speech.md), estimated as a trigram Kneser-Ney model by lm.c and written as
 * ARPA.  The same bytes every time: asr_domain_build writes it beside domain.arpa.
 *
 * Runs on the calling thread; no state.
 */
#include "speech.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "file.h"
#include "speech_int.h"

#define ASR_ENTITY_SENTENCES 24000
#define ASR_ENTITY_CORPUS "an4_train.txt"   /* embedded real sentences (speech/data/) */
#define ASR_ENTITY_CORPUS_REPEAT 4          /* times each real sentence is counted (only 4
                                             * measured: 709 x 4 beside 24,000 generated) */

struct gen {
	uint32_t seed;
	char **words;                /* dictionary words of 3..12 letters, to spell (may be 0) */
	size_t n_words;
	char buf[512];
	size_t len;
};

static unsigned pick(struct gen *g, unsigned n)
{
	g->seed = g->seed * 1664525u + 1013904223u;
	return (unsigned)(((uint64_t)(g->seed >> 8) * n) >> 24);
}

/* Appends word w (or a number written in digits, spelled by asr_lm_add's normaliser). */
static void say(struct gen *g, const char *w)
{
	int n = snprintf(g->buf + g->len, sizeof g->buf - g->len, "%s%s", g->len ? " " : "", w);
	if (n > 0 && (size_t)n < sizeof g->buf - g->len)
		g->len += (size_t)n;
}

static void say_num(struct gen *g, unsigned v)
{
	char d[16];
	snprintf(d, sizeof d, "%u", v);
	say(g, d);
}

static void digits(struct gen *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned d = pick(g, 10);
		say(g, d == 0 && pick(g, 2) ? "oh" : sp_ent_units[d]);
	}
}

static void letters(struct gen *g, unsigned n, int nato)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned l = pick(g, 26);
		if (nato && l != 'x' - 'a') {   /* x-ray: the normaliser splits it; the letter x stands */
			say(g, sp_ent_nato[l]);
		} else {
			char s[2] = { (char)('a' + l), '\0' };
			say(g, s);
		}
	}
}

/* A dictionary word spelled letter by letter (random letters without a dictionary). */
static void spelled(struct gen *g)
{
	if (!g->n_words) {
		letters(g, 3 + pick(g, 8), 0);
		return;
	}
	const char *w = g->words[pick(g, (unsigned)g->n_words)];
	for (; *w; w++) {
		char s[2] = { *w, '\0' };
		say(g, s);
	}
}

/* The words of a pocketsphinx dictionary file worth spelling: letters only, 3..12 of them,
 * no alternate pronunciations ("read(2)").  0 or -1 (unreadable: spelled() then uses random
 * letters). */
static int read_words(struct gen *g, const char *dict)
{
	size_t len;
	char *buf = dict ? cm_read_file(dict, &len) : NULL;
	if (!buf)
		return -1;
	size_t cap = 0;
	char *end = buf + len;                 /* memchr, not strchr: under ASan's strict string
	                                        * checks each strchr measures the rest of the
	                                        * 3.5 MB file (quadratic: a minute per build) */
	for (char *l = buf, *next; l && l < end && *l; l = next) {
		next = memchr(l, '\n', (size_t)(end - l));
		if (next)
			*next++ = '\0';
		size_t n = 0;
		while (l[n] >= 'a' && l[n] <= 'z')
			n++;
		if (l[n] != ' ' || n < 3 || n > 12)
			continue;
		char **v = cm_grow(g->words, &cap, g->n_words + 1, sizeof *v, 4096);
		if (!v)
			break;
		g->words = v;
		if (!(g->words[g->n_words] = strndup(l, n)))
			break;
		g->n_words++;
	}
	free(buf);
	return 0;
}

/* A cardinal below 10,000 as people say it: "eight hundred and twenty three", "twenty five
 * fifty two" (pairs), "two thousand five hundred fifty two". */
static void cardinal(struct gen *g)
{
	unsigned kind = pick(g, 4), v;
	switch (kind) {
	case 0:                                   /* below 100 */
		say_num(g, 1 + pick(g, 99));
		return;
	case 1:                                   /* pairs: 19 65, 56 32 */
		say_num(g, 10 + pick(g, 90));
		v = pick(g, 100);
		if (v < 10) {
			say(g, "oh");
			say(g, sp_ent_units[v]);
		} else {
			say_num(g, v);
		}
		return;
	default:                                  /* up to 9,999, "and" after hundred or not */
		v = 100 + pick(g, 9900);
		if (v >= 1000) {
			say_num(g, v / 1000);
			say(g, "thousand");
		}
		if (v % 1000 >= 100) {
			say_num(g, v % 1000 / 100);
			say(g, "hundred");
		}
		if (v % 100) {
			if (pick(g, 2))
				say(g, "and");
			say_num(g, v % 100);
		}
		return;
	}
}

static void date(struct gen *g)
{
	char d[8];
	unsigned day = 1 + pick(g, 31);
	snprintf(d, sizeof d, "%u%s", day, day % 10 == 1 && day != 11 ? "st" :
		 day % 10 == 2 && day != 12 ? "nd" : day % 10 == 3 && day != 13 ? "rd" : "th");
	const char *m = sp_ent_months[pick(g, 12)];
	if (pick(g, 4)) {
		say(g, m);
		say(g, d);
	} else {
		say(g, "the");
		say(g, d);
		say(g, "of");
		say(g, m);
	}
	if (pick(g, 2))
		say_num(g, pick(g, 3) ? 1930 + pick(g, 80) : 2000 + pick(g, 30));
}

static void amount(struct gen *g)
{
	say_num(g, 1 + pick(g, pick(g, 2) ? 100 : 5000));
	say(g, "dollars");
	if (pick(g, 2)) {
		if (pick(g, 2))
			say(g, "and");
		say_num(g, 1 + pick(g, 99));
		say(g, "cents");
	}
}

/* One sentence into g->buf. */
static void sentence(struct gen *g)
{
	g->len = 0;
	g->buf[0] = '\0';
	unsigned t = pick(g, 20);
	if (t < 5) {                                  /* 25 %: digit strings */
		digits(g, 1 + pick(g, 12));
	} else if (t < 9) {                           /* 20 %: spelled letters */
		if (pick(g, 2))
			spelled(g);
		else
			letters(g, 1 + pick(g, 10), 0);
	} else if (t < 13) {                          /* 20 %: codes */
		int nato = pick(g, 5) == 0;
		unsigned order = pick(g, 3);
		if (order != 1)
			letters(g, 1 + pick(g, 5), nato);
		if (pick(g, 2))
			digits(g, 1 + pick(g, 6));
		else
			cardinal(g);
		if (order == 1)
			letters(g, 1 + pick(g, 5), nato);
	} else if (t < 16) {                          /* 15 %: numbers, sometimes two */
		cardinal(g);
		if (pick(g, 3) == 0)
			cardinal(g);
	} else if (t < 18) {                          /* 10 %: dates */
		date(g);
	} else if (t < 19) {                          /* 5 %: amounts */
		amount(g);
	} else {                                      /* 5 %: NATO spelling */
		letters(g, 1 + pick(g, 8), 1);
	}
}

/* Adds each line of the embedded corpus (not the '#' comments) ASR_ENTITY_CORPUS_REPEAT
 * times.  0 or the error of asr_lm_add. */
static int add_corpus(asr_lm *lm)
{
	for (size_t f = 0; f < sp_embedded_count; f++) {
		if (strcmp(sp_embedded_files[f].name, ASR_ENTITY_CORPUS))
			continue;
		const char *p = sp_embedded_files[f].data, *end = p + sp_embedded_files[f].len;
		char line[512];
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);
			if (n < sizeof line && p[0] != '#') {
				memcpy(line, p, n);
				line[n] = '\0';
				for (int k = 0; k < ASR_ENTITY_CORPUS_REPEAT; k++)
					if (asr_lm_add(lm, line) != 0)
						return -1;
			}
			p += n + 1;
		}
	}
	return 0;
}

int asr_entity_lm_write(const char *path, const char *dict, size_t *n_words)
{
	asr_lm *lm = asr_lm_create(3);
	struct gen g = { .seed = 19 };
	int rc = ASR_ERR_NOMEM;
	if (!lm)
		return rc;
	read_words(&g, dict);
	for (int i = 0; i < ASR_ENTITY_SENTENCES; i++) {
		sentence(&g);
		if (asr_lm_add(lm, g.buf) != 0)
			goto out;
	}
	if (add_corpus(lm) != 0)
		goto out;
	rc = ASR_ERR_INTERNAL;
	if (asr_lm_estimate(lm) != 0 || asr_lm_write_arpa(lm, path) != 0)
		goto out;
	if (n_words)
		*n_words = asr_lm_vocab_size(lm);
	rc = 0;
out:
	for (size_t i = 0; i < g.n_words; i++)
		free(g.words[i]);
	free(g.words);
	asr_lm_destroy(lm);
	return rc;
}
