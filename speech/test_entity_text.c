/* speech/test_entity_text.c — unit tests for entity_text.c: spoken words -> entity values.
 *
 * Letters (single letters, the NATO alphabet), digits ("oh"), numbers read out in parts
 * ("seventy nine fifty nine"), multipliers, double/triple, ordinals, dates in both orders
 * with and without a year, amounts with cents, "point" and currencies; words that belong to
 * no value are skipped; a day out of range and a too-small buffer are refused; kind names
 * round-trip.  The an4 phrasings come from ../shared/data/an4-train's transcripts.
 */
#include "speech.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void is(const char *words, int kind, const char *want, int want_used)
{
	char out[128];
	int used = asr_entity_normalize(words, kind, out, sizeof out);

	if (strcmp(out, want) != 0 || (want_used >= 0 && used != want_used)) {
		fprintf(stderr, "FAIL %s '%s' -> '%s' (%d words), want '%s' (%d)\n",
			asr_entity_kind_name(kind), words, out, used, want, want_used);
		failures++;
	}
}

int main(void)
{
	/* codes: letters, NATO, digits */
	is("alpha seven seven three one nine oh two", ASR_ENT_CODE, "A7731902", 8);
	is("a 7 7 3 1 9 0 2", ASR_ENT_CODE, "A", 1);      /* digits are words, not figures */
	is("a seven seven three one nine zero two", ASR_ENT_CODE, "A7731902", 8);
	is("rubout g m e f three nine", ASR_ENT_CODE, "GMEF39", 6);
	is("erase c k c w fourteen eighty five", ASR_ENT_CODE, "CKCW1485", 7);
	is("rubout t g j w b seventy nine fifty nine", ASR_ENT_CODE, "TGJWB7959", 9);
	is("n l n s one seventy five", ASR_ENT_CODE, "NLNS175", 7);
	is("x-ray yankee zulu juliett whisky", ASR_ENT_CODE, "XYZJW", 5);
	/* homophones of letters and digits next to one (an4 dev speakers' hypotheses) */
	is("rubout you j m k nine", ASR_ENT_CODE, "UJMK9", 5);
	is("rubout why y f x zero", ASR_ENT_CODE, "YYFX0", 5);
	is("erase o t e be seventy nine", ASR_ENT_CODE, "OTEB79", 6);
	is("one two two to", ASR_ENT_NUMBER, "1222", 4);
	is("for twenty eight seventy one", ASR_ENT_NUMBER, "42871", 5);
	is("can you see it", ASR_ENT_CODE, "", 0);        /* no letter or digit beside them */
	/* words written for a spelled n, m, s, l beside a spelled letter (not "a", "i") */
	is("u s i q and seventy one", ASR_ENT_CODE, "USIQN71", -1);
	is("rubout r r and a k ninety four", ASR_ENT_CODE, "RRNAK94", -1);
	is("am s j seven", ASR_ENT_CODE, "MSJ7", -1);
	is("erase i s al f thirty", ASR_ENT_CODE, "ISLF30", -1);
	is("eight hundred and twenty three", ASR_ENT_CODE, "823", -1);
	is("i am a b", ASR_ENT_CODE, "IAB", -1);           /* "am" beside "i" and "a" only */
	is("i want to see", ASR_ENT_CODE, "I", 1);
	is("u s d to g b p", ASR_ENT_CODE, "USDGBP", 6);   /* "to" between letters: a word */
	is("Bravo Charlie Delta(2)", ASR_ENT_CODE, "BCD", 3);
	is("double seven triple b", ASR_ENT_CODE, "77BBB", 4);
	is("my code is k nine", ASR_ENT_CODE, "K9", 2);
	is("yes", ASR_ENT_CODE, "", 0);
	is("", ASR_ENT_CODE, "", 0);
	/* numbers */
	is("four four three six three one two", ASR_ENT_NUMBER, "4436312", 7);
	is("one five oh four four", ASR_ENT_NUMBER, "15044", 5);
	is("eleven seventeen fifty one", ASR_ENT_NUMBER, "111751", 4);
	is("enter nine eighty nine", ASR_ENT_NUMBER, "989", 3);
	is("two thousand five", ASR_ENT_NUMBER, "2005", 3);
	is("one hundred and five", ASR_ENT_NUMBER, "105", 4);
	is("five hundred twenty three", ASR_ENT_NUMBER, "523", 4);
	is("nineteen hundred", ASR_ENT_NUMBER, "1900", 2);
	is("twenty", ASR_ENT_NUMBER, "20", 1);
	is("a b seven", ASR_ENT_NUMBER, "7", 1);          /* letters are no number */
	/* dates */
	is("march third nineteen twenty eight", ASR_ENT_DATE, "1928-03-03", 5);
	is("june eleventh nineteen sixty seven", ASR_ENT_DATE, "1967-06-11", 5);
	is("december twenty first", ASR_ENT_DATE, "12-21", 3);
	is("the fifth of march two thousand one", ASR_ENT_DATE, "2001-03-05", 5);
	is("the twenty second of may", ASR_ENT_DATE, "05-22", 3);
	is("january thirty first ninety nine", ASR_ENT_DATE, "1999-01-31", 5);
	is("one two nineteen eighty", ASR_ENT_DATE, "", 0);
	is("march forty", ASR_ENT_DATE, "", 0);
	is("march two thousand one", ASR_ENT_DATE, "", 0);
	/* amounts */
	is("twelve dollars and fifty cents", ASR_ENT_AMOUNT, "12.50 USD", 5);
	is("nineteen ninety dollars", ASR_ENT_AMOUNT, "1990.00 USD", 3);
	is("one twenty five", ASR_ENT_AMOUNT, "1.25", 3);
	is("twelve fifty", ASR_ENT_AMOUNT, "12.50", 2);
	is("three hundred euros", ASR_ENT_AMOUNT, "300.00 EUR", 3);
	is("seven point five", ASR_ENT_AMOUNT, "7.50", 3);
	is("forty two", ASR_ENT_AMOUNT, "42.00", 2);
	is("nothing here", ASR_ENT_AMOUNT, "", 0);
	/* errors, names */
	char small[4];
	CHECK(asr_entity_normalize("alpha bravo charlie delta", ASR_ENT_CODE, small,
				   sizeof small) == -1);
	CHECK(asr_entity_normalize("one", ASR_ENT_NONE, small, sizeof small) == -1);
	for (int k = ASR_ENT_NONE; k <= ASR_ENT_AMOUNT; k++)
		CHECK(asr_entity_kind_parse(asr_entity_kind_name(k)) == k);
	CHECK(asr_entity_kind_parse("phone") == -1);
	CHECK(asr_entity_token("oh") && asr_entity_token("zulu") && asr_entity_token("q"));
	CHECK(asr_entity_token("twentieth") && asr_entity_token("hundred"));
	CHECK(!asr_entity_token("rubout") && !asr_entity_token("yes"));
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}
