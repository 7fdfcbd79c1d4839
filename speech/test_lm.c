/* speech/test_lm.c — unit tests for lm.c and lex.c.
 *
 * - text normalisation (numbers, ordinals, punctuation) as the LM and WER see it;
 * - interpolated Kneser-Ney: for a small corpus, P(w | h) summed over the vocabulary (with
 *   </s> and <unk>) is 1 for every seen context, unseen contexts and the empty one, both with
 *   our scorer and with sphinxbase reading the ARPA file we wrote (so the file says what we
 *   computed and pocketsphinx will read it); seen continuations beat unseen ones;
 * - WER counting;
 * - letter-to-sound: words missing from cmudict get pronunciations in the acoustic model's
 *   phone set;
 * - digit/letter exactness (asr_entity_exact) as eval-speech and the bench score it;
 * - the entity model: the same bytes every time, read by sphinxbase, every word of it in
 *   cmudict (a word the dictionary lacks would be dropped by the decoder), letters, digits,
 *   "oh", months and ordinals in it, a digit after digits likelier than a banking word;
 * - asr_domain_build: the three files in a fresh folder, sphinxbase reads the model, rebuilding
 *   replaces them, no temporary file is left; texts without words, a path that is too long
 *   and a folder that cannot be made get their error codes.
 */
#include "speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <logmath.h>
#include <ngram_model.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define DICT "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

static void norm_is(const char *in, const char *want)
{
	char out[256];
	asr_text_normalize(in, out, sizeof out);
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "FAIL normalize '%s' -> '%s', want '%s'\n", in, out, want);
		failures++;
	}
}

static void test_normalize(void)
{
	norm_is("I lost my card 2 weeks ago!", "i lost my card two weeks ago");
	norm_is("Why is there a £1,000 fee?", "why is there a one thousand fee");
	norm_is("It's the 21st, not the 3rd", "it's the twenty first not the third");
	norm_is("24 hours, 100% sure", "twenty four hours one hundred percent sure");
	norm_is("rate of 3.5 and 2019", "rate of three point five and two thousand nineteen");
	norm_is("Top-up via R&D 'quickly'", "top up via r and d quickly");
	norm_is("  ", "");
	norm_is("PIN 0420", "pin zero four two zero");
	char small[8];
	CHECK(asr_text_normalize("hello wonderful world", small, sizeof small) == 1);
	CHECK(strcmp(small, "hello") == 0);
}

static const char *const corpus[] = {
	"I am still waiting on my card",
	"my card has not arrived yet",
	"when will my card arrive",
	"how do I top up my account",
	"I want to top up by card",
	"my top up failed",
	"why was my card declined",
	"can I get a refund",
	"the refund has not arrived",
	"I am still waiting on my refund",
	"my card was declined at the shop",
	"how long does a transfer take",
};

/* sum over the vocabulary (+ </s>, <unk>) of P(w | hist) with our scorer */
static double sum_ours(const asr_lm *lm, const char *const *hist)
{
	double s = pow(10, asr_lm_logprob(lm, "</s>", hist)) + pow(10, asr_lm_logprob(lm, "<unk>", hist));
	for (size_t i = 0; i < asr_lm_vocab_size(lm); i++)
		s += pow(10, asr_lm_logprob(lm, asr_lm_vocab_word(lm, i), hist));
	return s;
}

/* the same through sphinxbase (hist[0] the previous word, hist[1] the one before) */
static double sum_sphinx(ngram_model_t *m, logmath_t *lmath, const asr_lm *lm,
			 const char *const *hist)
{
	const char *h1 = hist[0], *h2 = h1 ? hist[1] : NULL;
	double s = logmath_exp(lmath, ngram_score(m, "</s>", h1, h2, NULL)) +
		   logmath_exp(lmath, ngram_score(m, "<unk>", h1, h2, NULL));
	for (size_t i = 0; i < asr_lm_vocab_size(lm); i++)
		s += logmath_exp(lmath, ngram_score(m, asr_lm_vocab_word(lm, i), h1, h2, NULL));
	return s;
}

static void test_lm(int order)
{
	asr_lm *lm = asr_lm_create(order);
	CHECK(lm != NULL);
	CHECK(asr_lm_estimate(lm) != 0);        /* nothing counted yet */
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
		CHECK(asr_lm_add(lm, corpus[i]) == 0);
	CHECK(asr_lm_estimate(lm) == 0);
	char path[] = "/tmp/kefu_test_lm_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK(asr_lm_write_arpa(lm, path) == 0);
	logmath_t *lmath = logmath_init(1.0001, 0, 0);
	ngram_model_t *m = ngram_model_read(NULL, path, NGRAM_ARPA, lmath);
	CHECK(m != NULL);

	/* every one-word history (each vocabulary word and <s>), a few two-word ones, none */
	double worst = 0, worst_sb = 0;
	const char *h[3] = { NULL, NULL, NULL };
	double s = sum_ours(lm, h);
	worst = fmax(worst, fabs(s - 1));
	if (m)
		worst_sb = fmax(worst_sb, fabs(sum_sphinx(m, lmath, lm, h) - 1));
	for (size_t i = 0; i <= asr_lm_vocab_size(lm); i++) {
		h[0] = i < asr_lm_vocab_size(lm) ? asr_lm_vocab_word(lm, i) : "<s>";
		h[1] = NULL;
		worst = fmax(worst, fabs(sum_ours(lm, h) - 1));
		if (m)
			worst_sb = fmax(worst_sb, fabs(sum_sphinx(m, lmath, lm, h) - 1));
	}
	static const char *const two[][2] = { { "card", "my" }, { "up", "top" }, { "am", "i" },
		{ "i", "<s>" }, { "refund", "zebra" }, { "card", "the" }, { "waiting", "still" } };
	for (size_t i = 0; i < sizeof two / sizeof two[0] && order == 3; i++) {
		h[0] = two[i][0];
		h[1] = two[i][1];
		worst = fmax(worst, fabs(sum_ours(lm, h) - 1));
		if (m)
			worst_sb = fmax(worst_sb, fabs(sum_sphinx(m, lmath, lm, h) - 1));
	}
	printf("order %d: %zu words; largest |sum P(w|h) - 1|: ours %.2e, sphinxbase %.2e\n",
	       order, asr_lm_vocab_size(lm), worst, worst_sb);
	CHECK(worst < 1e-9);
	CHECK(worst_sb < 2e-3);   /* sphinxbase stores float probabilities, log base 1.0001 */

	/* seen continuations beat unseen ones; ours and sphinxbase agree */
	const char *hc[] = { "my", "<s>", NULL };
	double seen = asr_lm_logprob(lm, "card", hc), unseen = asr_lm_logprob(lm, "shop", hc);
	CHECK(seen > unseen);
	if (m && order == 3) {
		double sb = log10(logmath_exp(lmath, ngram_score(m, "card", "my", "<s>", NULL)));
		CHECK(fabs(sb - seen) < 1e-3);
	}
	const char *hu[] = { "am", "i", NULL };
	if (order >= 2)   /* a unigram model knows refund is more frequent */
		CHECK(asr_lm_logprob(lm, "still", hu) > asr_lm_logprob(lm, "refund", hu));
	CHECK(asr_lm_logprob(lm, "zebra", hu) == asr_lm_logprob(lm, "<unk>", hu));
	CHECK(asr_lm_known(lm, "refund") && !asr_lm_known(lm, "zebra") && !asr_lm_known(lm, "</s>"));

	if (m)
		ngram_model_free(m);
	logmath_free(lmath);
	unlink(path);
	asr_lm_destroy(lm);
}

static void test_wer(void)
{
	int n;
	CHECK(asr_wer_count("my card has not arrived", "my card has not arrived", &n) == 0 && n == 5);
	CHECK(asr_wer_count("my card has not arrived", "my cart has arrived", &n) == 2 && n == 5);
	CHECK(asr_wer_count("I lost 2 cards", "i lost two cards today", &n) == 1 && n == 4);
	CHECK(asr_wer_count("", "hello", &n) == 1 && n == 0);
}

static void test_entity_exact(void)
{
	CHECK(asr_entity_exact("k l m u five two seven four", "k l m u five two seven four") == 1);
	CHECK(asr_entity_exact("k l m u five two seven four", "k l m me and five to seven four") == 0);
	CHECK(asr_entity_exact("one five one oh six", "one five one zero six") == 1);
	CHECK(asr_entity_exact("fifty six thirty two", "five six three two") == 1);
	CHECK(asr_entity_exact("erase t m a z x two thousand five hundred and fifty two",
			       "there is dna z x two thousand five hundred and fifty to") == 0);
	CHECK(asr_entity_exact("alpha seven", "a seven") == 1);
	CHECK(asr_entity_exact("yes", "yes") == -1);           /* no entity: not counted */
	CHECK(asr_entity_exact("enter five", "") == 0);
}

static void test_entity_lm(void)
{
	char a[] = "/tmp/kefu_test_entlm_XXXXXX", b[] = "/tmp/kefu_test_entlm_XXXXXX";
	int fa = mkstemp(a), fb = mkstemp(b);
	CHECK(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	size_t nw = 0, la, lb;
	CHECK(asr_entity_lm_write(a, DICT, &nw) == 0);
	CHECK(asr_entity_lm_write(b, DICT, NULL) == 0);
	/* 26 letters, 25 NATO words (no x-ray), zero..nineteen, oh, tens, hundred, thousand,
	 * 12 months, ordinals, and, dollars, cents, the, of */
	printf("entity LM: %zu words\n", nw);
	CHECK(nw > 100 && nw < 200);
	FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
	CHECK(f && g);
	char *ba = malloc(1 << 22), *bb = malloc(1 << 22);
	la = f ? fread(ba, 1, 1 << 22, f) : 0;
	lb = g ? fread(bb, 1, 1 << 22, g) : 1;
	CHECK(la > 1000 && la < (1 << 22) && la == lb && memcmp(ba, bb, la) == 0);
	free(ba);
	free(bb);
	if (f)
		fclose(f);
	if (g)
		fclose(g);

	logmath_t *lmath = logmath_init(1.0001, 0, 0);
	ngram_model_t *m = ngram_model_read(NULL, a, NGRAM_ARPA, lmath);
	asr_lex *x = asr_lex_create(DICT);
	CHECK(m != NULL && x != NULL);
	if (m && x) {
		static const char *const want[] = { "a", "h", "z", "zero", "oh", "seven",
			"nineteen", "seventy", "hundred", "thousand", "september", "fifteenth",
			"alpha", "whiskey", "dollars" };
		for (size_t i = 0; i < sizeof want / sizeof *want; i++)
			CHECK(ngram_wid(m, want[i]) != ngram_unknown_wid(m));
		int missing = 0;
		for (int32 w = 0; w < (int32)ngram_model_get_counts(m)[0]; w++) {
			const char *s = ngram_word(m, w);
			if (s[0] != '<' && !asr_lex_known(x, s)) {
				fprintf(stderr, "entity word not in cmudict: %s\n", s);
				missing++;
			}
		}
		CHECK(missing == 0);
		int32 hist[2] = { ngram_wid(m, "five"), ngram_wid(m, "four") };
		int32 nused;
		CHECK(ngram_ng_score(m, ngram_wid(m, "seven"), hist, 2, &nused) >
		      ngram_ng_score(m, ngram_unknown_wid(m), hist, 2, &nused));
	}
	if (m)
		ngram_model_free(m);
	asr_lex_destroy(x);
	logmath_free(lmath);
	CHECK(asr_entity_lm_write("/nonexistent-dir/entities.arpa", NULL, NULL) == ASR_ERR_INTERNAL);
	unlink(a);
	unlink(b);
}

static void test_lex(void)
{
	asr_lex *x = asr_lex_create(DICT);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK(asr_lex_known(x, "card"));
	CHECK(asr_lex_known(x, "refund"));
	CHECK(!asr_lex_known(x, "kefu"));
	static const char *const phones[] = { "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D",
		"DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG",
		"OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH", NULL };
	static const char *const words[] = { "kefu", "revolut", "applepay", "topup", "monzo",
					     "hello", NULL };
	char pron[256];
	for (int i = 0; words[i]; i++) {
		CHECK(asr_lex_pronounce(x, words[i], pron, sizeof pron) == 0);
		printf("%-10s %s%s\n", words[i], pron, asr_lex_known(x, words[i]) ? "" : "  (not in cmudict)");
		/* every phone must be one of the acoustic model's */
		char *save = NULL;
		for (char *p = strtok_r(pron, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
			int ok = 0;
			for (int j = 0; phones[j]; j++)
				ok |= strcmp(p, phones[j]) == 0;
			if (!ok) {
				fprintf(stderr, "FAIL phone %s of %s\n", p, words[i]);
				failures++;
			}
		}
	}
	CHECK(asr_lex_pronounce(x, "hello", pron, sizeof pron) == 0 &&
	      strcmp(pron, "HH AH L OW") == 0);
	CHECK(asr_lex_pronounce(x, "1234", pron, sizeof pron) == -1);

	/* the dictionary entries written for an LM's missing words */
	asr_lm *lm = asr_lm_create(2);
	asr_lm_add(lm, "my revolut card and my kefu account");
	asr_lm_estimate(lm);
	char path[] = "/tmp/kefu_test_dict_XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	int n = asr_lex_write_missing(x, lm, path);
	CHECK(n == 2);
	FILE *f = fopen(path, "r");
	char line[256];
	int lines = 0;
	while (f && fgets(line, sizeof line, f))
		lines += strncmp(line, "revolut ", 8) == 0 || strncmp(line, "kefu ", 5) == 0;
	if (f)
		fclose(f);
	CHECK(lines == 2);
	unlink(path);
	asr_lm_destroy(lm);
	asr_lex_destroy(x);
}

/* Number of lines of path starting with prefix (-1 when it cannot be read). */
static int count_lines(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strncmp(line, prefix, strlen(prefix)) == 0;
	fclose(f);
	return n;
}

static void test_domain(void)
{
	char root[] = "/tmp/kefu_test_domain_XXXXXX", dir[128], err[256], path[700];
	struct asr_domain d;
	CHECK(mkdtemp(root) != NULL);
	snprintf(dir, sizeof dir, "%s/gen1", root);      /* made by the call */

	const char *texts[] = { "My kefu card hasn't arrived", NULL, "?!",
				"how do I top up my Revolut account", "my card has not arrived" };
	CHECK(asr_domain_build(texts, 5, dir, &d, err, sizeof err) == 0);
	CHECK(d.n_texts == 3);
	/* my kefu card hasn't arrived how do i top up revolut account has not */
	CHECK(d.n_words == 14);
	CHECK(d.n_missing == 2);
	snprintf(path, sizeof path, "%s/domain.arpa", dir);
	CHECK(strcmp(d.lm_path, path) == 0);
	snprintf(path, sizeof path, "%s/extra.dict", dir);
	CHECK(strcmp(d.dict_path, path) == 0);
	CHECK(count_lines(d.dict_path, "kefu ") == 1 && count_lines(d.dict_path, "revolut ") == 1);
	CHECK(count_lines(d.dict_path, "") == 2);
	snprintf(path, sizeof path, "%s/domain.arpa.tmp", dir);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof path, "%s/extra.dict.tmp", dir);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof path, "%s/entities.arpa", dir);
	CHECK(strcmp(d.entity_path, path) == 0 && count_lines(path, "\\data\\") == 1);
	snprintf(path, sizeof path, "%s/entities.arpa.tmp", dir);
	CHECK(access(path, F_OK) != 0);

	logmath_t *lmath = logmath_init(1.0001, 0, 0);
	ngram_model_t *m = ngram_model_read(NULL, d.lm_path, NGRAM_ARPA, lmath);
	CHECK(m != NULL);
	if (m) {
		CHECK(ngram_wid(m, "kefu") != ngram_unknown_wid(m));
		CHECK(ngram_wid(m, "arrived") != ngram_unknown_wid(m));
		CHECK(ngram_wid(m, "zebra") == ngram_unknown_wid(m));
		ngram_model_free(m);
	}
	logmath_free(lmath);

	/* a rebuild into the same folder replaces both files */
	const char *plain[] = { "where is my card", "my card is lost" };
	CHECK(asr_domain_build(plain, 2, dir, &d, err, sizeof err) == 0);
	CHECK(d.n_texts == 2 && d.n_words == 5 && d.n_missing == 0);
	CHECK(count_lines(d.dict_path, "") == 0);
	CHECK(count_lines(d.lm_path, "ngram 1=") == 1);
	CHECK(count_lines(d.lm_path, "\\data\\") == 1);

	/* errors: out zeroed, a message */
	const char *nothing[] = { "", "?! ...", NULL };
	err[0] = '\0';
	CHECK(asr_domain_build(nothing, 3, dir, &d, err, sizeof err) == ASR_ERR_EMPTY);
	CHECK(err[0] != '\0' && d.n_words == 0 && d.lm_path[0] == '\0');
	CHECK(asr_domain_build(plain, 0, dir, &d, err, sizeof err) == ASR_ERR_EMPTY);
	/* the previous build's files are untouched by the failed ones */
	CHECK(count_lines(path, "") == -1);
	snprintf(path, sizeof path, "%s/domain.arpa", dir);
	CHECK(count_lines(path, "\\data\\") == 1);

	char longdir[700];
	memset(longdir, 'a', sizeof longdir - 1);
	longdir[0] = '/';
	longdir[sizeof longdir - 1] = '\0';
	err[0] = '\0';
	CHECK(asr_domain_build(plain, 2, longdir, &d, err, sizeof err) == ASR_ERR_INTERNAL);
	CHECK(strstr(err, "too long") != NULL);
	/* a folder under a regular file cannot be made */
	char under[200];
	snprintf(under, sizeof under, "%s/domain.arpa/sub", dir);
	err[0] = '\0';
	CHECK(asr_domain_build(plain, 2, under, &d, err, sizeof err) == ASR_ERR_INTERNAL);
	CHECK(err[0] != '\0' && d.lm_path[0] == '\0');

	snprintf(path, sizeof path, "%s/domain.arpa", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/extra.dict", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/entities.arpa", dir);
	unlink(path);
	CHECK(rmdir(dir) == 0);
	CHECK(rmdir(root) == 0);
}

int main(void)
{
	test_normalize();
	test_lm(3);
	test_lm(2);
	test_lm(1);
	test_wer();
	test_entity_exact();
	test_entity_lm();
	test_lex();
	test_domain();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
