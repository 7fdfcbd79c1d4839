/* speech/speller.c — spelled words: a run of spelled letters one edit from exactly one
 * dictionary word is read as that word.
 *
 * A customer spells names ("d a n i e l", "p i t t s b u r g h"); the recogniser hears a
 * letter that sounds alike ("t a n i e l"), drops one or doubles one.  sp_speller_fix
 * looks at each run of at least SP_SPELL_MIN_RUN single-letter words of a segment's
 * reading: when the run is not a word of Debian's cmudict but exactly one cmudict word is
 * one edit away (a letter substituted, dropped or inserted), the run's letters become that
 * word's.  A run with two or more such neighbours, or none, stays as heard; so does a
 * shorter run (random codes like an4's "t g j w b" are 4-5 letters; 5 and 6 fixed the same
 * strings of the training speakers, docs/speech.md "Sixth round").  An inserted letter
 * takes the times of the letter before it (or after it, at the start) and the lower of
 * their confidences.
 *
 * The dictionary (cmudict's alphabetic words, ~126,000) is read once per process, on the
 * first call, under pthread_once, and read-only afterwards: any decoder's thread (kefud's
 * workers, kefu eval-speech) calls sp_speller_fix.
 */
#include "speech.h"
#include "speech_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_SPELL_MIN_RUN 6          /* letters a run needs to be corrected */
#define SP_SPELL_MAX_RUN 40

static struct sp_strtab dict;
static int dict_ok;
static pthread_once_t dict_once = PTHREAD_ONCE_INIT;

static void dict_load(void)
{
	FILE *f = fopen(ASR_DEFAULT_DICT, "r");
	char line[1024];

	if (!f || sp_strtab_init(&dict)) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, " \t\r\n(");
		size_t k = 0;

		while (k < n && islower((unsigned char)line[k]))
			k++;
		if (n && k == n && sp_strtab_intern(&dict, line, n) < 0) {
			fclose(f);
			sp_strtab_free(&dict);
			return;
		}
	}
	fclose(f);
	dict_ok = 1;
}

static int known(const char *s, size_t n)
{
	return sp_strtab_find(&dict, s, n) >= 0;
}

/* Keeps c[0..n) in out when it is a dictionary word; *found counts the words seen. */
static void candidate(const char *c, size_t n, char *out, int *found)
{
	if (!known(c, n))
		return;
	if (!(*found)++) {
		memcpy(out, c, n);
		out[n] = '\0';
	}
}

/* The one dictionary word one edit from run[0..n) into out (n + 2 bytes at least):
 * 1, or 0 when there is none or more than one.  An edit beside an equal letter is tried
 * once ("ll" less an l is one word, not two). */
static int neighbour(const char *run, size_t n, char *out)
{
	char c[SP_SPELL_MAX_RUN + 2];
	int found = 0;

	for (size_t i = 0; i <= n && found < 2; i++)             /* a letter inserted */
		for (char l = 'a'; l <= 'z'; l++) {
			if (i > 0 && run[i - 1] == l)
				continue;
			memcpy(c, run, i);
			c[i] = l;
			memcpy(c + i + 1, run + i, n - i);
			candidate(c, n + 1, out, &found);
		}
	for (size_t i = 0; i < n && found < 2; i++) {            /* a letter dropped */
		if (i > 0 && run[i - 1] == run[i])
			continue;
		memcpy(c, run, i);
		memcpy(c + i, run + i + 1, n - i - 1);
		candidate(c, n - 1, out, &found);
	}
	for (size_t i = 0; i < n && found < 2; i++)              /* a letter substituted */
		for (char l = 'a'; l <= 'z'; l++) {
			if (l == run[i])
				continue;
			memcpy(c, run, n);
			c[i] = l;
			candidate(c, n, out, &found);
		}
	return found == 1;
}

static int is_letter(const char *w)
{
	return w[0] >= 'a' && w[0] <= 'z' && !w[1];
}

/* Replaces r->words[from..from+n) (single letters) by the letters of word. */
static int respell(struct asr_result *r, size_t from, size_t n, const char *word)
{
	size_t m = strlen(word);
	struct asr_word *w = malloc((r->n_words - n + m) * sizeof *w);

	if (!w)
		return ASR_ERR_NOMEM;
	memcpy(w, r->words, from * sizeof *w);
	memcpy(w + from + m, r->words + from + n, (r->n_words - from - n) * sizeof *w);
	/* the one edit sits where the old letters first differ from the new ones, at p */
	size_t p = 0;
	while (p < n && p < m && r->words[from + p].word[0] == word[p])
		p++;
	for (size_t k = 0; k < m; k++) {
		size_t src = m == n || k < p ? k : m < n ? k + 1 : k == p ? (p ? p - 1 : 0) : k - 1;
		struct asr_word *x = &w[from + k];
		*x = r->words[from + src];
		if (!(x->word = malloc(2))) {
			for (size_t j = 0; j < k; j++)
				free(w[from + j].word);
			free(w);
			return ASR_ERR_NOMEM;
		}
		x->word[0] = word[k];
		x->word[1] = '\0';
		if (m > n && k == p && p < n && r->words[from + p].conf < x->conf)
			x->conf = r->words[from + p].conf;     /* inserted: the lower neighbour's */
	}
	for (size_t k = 0; k < n; k++)
		free(r->words[from + k].word);
	free(r->words);
	r->words = w;
	r->n_words = r->n_words - n + m;
	return 0;
}

int sp_speller_fix(struct asr_result *r)
{
	char run[SP_SPELL_MAX_RUN + 1], word[SP_SPELL_MAX_RUN + 3];

	pthread_once(&dict_once, dict_load);
	if (!dict_ok)
		return 0;
	for (size_t i = 0; i < r->n_words;) {
		size_t j = i;

		while (j < r->n_words && is_letter(r->words[j].word))
			j++;
		if (j - i >= SP_SPELL_MIN_RUN && j - i < SP_SPELL_MAX_RUN) {
			size_t n = j - i;
			for (size_t k = 0; k < n; k++)
				run[k] = r->words[i + k].word[0];
			if (!known(run, n) && neighbour(run, n, word)) {
				int rc = respell(r, i, n, word);
				if (rc)
					return rc;
				j = i + strlen(word);
			}
		}
		i = j > i ? j : i + 1;
	}
	return 0;
}
