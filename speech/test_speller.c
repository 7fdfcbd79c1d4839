/* speech/test_speller.c — unit tests for speller.c (sp_speller_fix): runs of spelled
 * letters one edit from exactly one cmudict word.
 *
 * A letter substituted ("t a n i e l" -> daniel), one doubled ("p i t t t s b u r g h"),
 * one dropped ("j e n n i f r" -> jennifer, the inserted letter with its neighbour's
 * times and the lower confidence); the words around a run are kept; a run that is a word
 * ("n e l s o n"), a random code ("x k c d q z"), a run with no single neighbour
 * ("r o b r t s") and a run shorter than six letters ("l a n d a") stay as heard.  The
 * misreadings are the an4 training speakers' (docs/speech.md "Sixth round").
 */
#include "speech.h"
#include "speech_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, \
	#c); failures++; } } while (0)

/* words split on spaces into r: word i spans i*100 .. i*100+90 ms, confidence 0.9 but
 * 0.4 for word low (-1: none) */
static void make(struct asr_result *r, const char *words, int low)
{
	char buf[512];

	memset(r, 0, sizeof *r);
	snprintf(buf, sizeof buf, "%s", words);
	for (char *s = NULL, *w = strtok_r(buf, " ", &s); w; w = strtok_r(NULL, " ", &s)) {
		r->words = realloc(r->words, (r->n_words + 1) * sizeof *r->words);
		struct asr_word *x = &r->words[r->n_words];
		x->word = strdup(w);
		x->conf = (int)r->n_words == low ? 0.4f : 0.9f;
		x->start_ms = (int)r->n_words * 100;
		x->end_ms = x->start_ms + 90;
		r->n_words++;
	}
}

static void joined(const struct asr_result *r, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_words && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", r->words[i].word);
}

static void fixes(const char *heard, const char *want)
{
	struct asr_result r;
	char got[512];

	make(&r, heard, -1);
	CHECK(sp_speller_fix(&r) == 0);
	joined(&r, got, sizeof got);
	if (strcmp(got, want)) {
		fprintf(stderr, "FAIL '%s' -> '%s', want '%s'\n", heard, got, want);
		failures++;
	}
	asr_result_free(&r);
}

int main(void)
{
	fixes("t a n i e l", "d a n i e l");
	fixes("p i t t t s b u r g h", "p i t t s b u r g h");
	fixes("a l l e b a", "a l l e v a");
	fixes("my name is b r o l m a l l thanks", "my name is b r o o m a l l thanks");
	fixes("n e l s o n", "n e l s o n");
	fixes("x k c d q z", "x k c d q z");
	fixes("r o b r t s", "r o b r t s");
	fixes("l a n d a", "l a n d a");
	fixes("rubout t g j w b seventy nine", "rubout t g j w b seventy nine");
	fixes("", "");

	/* the inserted letter: its neighbour's times, the lower of the two confidences */
	struct asr_result r;
	make(&r, "j e n n i f r", 6);
	CHECK(sp_speller_fix(&r) == 0);
	CHECK(r.n_words == 8);
	if (r.n_words == 8) {
		CHECK(!strcmp(r.words[6].word, "e") && !strcmp(r.words[7].word, "r"));
		CHECK(r.words[6].start_ms == 500 && r.words[7].start_ms == 600);
		CHECK(r.words[6].conf < 0.5f && r.words[5].conf > 0.8f);
	}
	asr_result_free(&r);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
