/* speech/test_letters.c — unit tests for the letter classifier (letters.c, letters_model.c).
 *
 * The classes and their words; asr_letters_feature's part means, context and length on a
 * made-up window; a separable toy set (three classes, Gaussian rows around far-apart
 * means) learnt to every row by the MLP and by logistic regression, and fresh rows of
 * the same classes classified right; the text file written and read back gives the same
 * posteriors to the bit; malformed files (bad magic, version, a count that disagrees, a
 * NaN, a zero deviation, a number short, trailing data, the empty file) refused; the
 * relabelling rule (a confident classifier overrides an unsure decoder, tau holds it back,
 * a sure decoder is kept; asr_letters_alike keeps only what sounds like the decoded
 * word); the embedded model, when the build has one, parses.  A real clip
 * decoded with the classifier on is test_grammar's (an4).
 */
#include "speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, \
	#c); failures++; } } while (0)

static float gauss(uint64_t *s)
{
	float u = ((float)(cm_xorshift64star(s) >> 40) + 0.5f) / 16777216.0f;
	float v = ((float)(cm_xorshift64star(s) >> 40) + 0.5f) / 16777216.0f;
	return sqrtf(-2 * logf(u)) * cosf(6.2831853f * v);
}

/* n rows of dim features, class i % 3, around means 6·e_class (+ noise 1). */
static void toy(float *x, int *y, int n, int dim, uint64_t *s)
{
	for (int i = 0; i < n; i++) {
		y[i] = (i % 3) * 5;         /* classes 0, 5, 10: "a", "f", "k" */
		for (int j = 0; j < dim; j++)
			x[(size_t)i * dim + j] = gauss(s) + (j == i % 3 ? 6.0f : 0.0f);
	}
}

static int argmax(const float *q)
{
	int b = 0;
	for (int k = 1; k < ASR_LETTERS_K; k++)
		if (q[k] > q[b])
			b = k;
	return b;
}

static void test_classes(void)
{
	CHECK(asr_letters_class("a") == 0 && asr_letters_class("z") == 25);
	CHECK(asr_letters_class("zero") == 26 && asr_letters_class("oh") == 36);
	CHECK(asr_letters_class("alpha") == -1 && asr_letters_class("ab") == -1);
	for (int k = 0; k < ASR_LETTERS_K; k++)
		CHECK(asr_letters_class(asr_letters_word(k)) == k);
	CHECK(!asr_letters_word(ASR_LETTERS_K) && !asr_letters_word(-1));
}

static void test_feature(void)
{
	enum { T = 12 };
	float cep[T * ASR_LETTERS_NCEP], out[ASR_LETTERS_NCEP * 6 + 1];
	for (int t = 0; t < T; t++)
		for (int k = 0; k < ASR_LETTERS_NCEP; k++)
			cep[t * ASR_LETTERS_NCEP + k] = (float)(t * 100 + k);
	struct asr_letters_shape sh = { .parts = 2, .ctx = 2, .onset = 1 };
	CHECK(asr_letters_dim(&sh) == ASR_LETTERS_NCEP * 6 + 1);
	asr_letters_feature(cep, T, 4, 7, &sh, out);      /* word frames 4..7, ctx 2 */
	CHECK(out[0] == 450 && out[1] == 451);              /* part 1: frames 4, 5 */
	CHECK(out[ASR_LETTERS_NCEP] == 650);                /* part 2: frames 6, 7 */
	CHECK(out[2 * ASR_LETTERS_NCEP] == 250);            /* before: frames 2, 3 */
	CHECK(out[3 * ASR_LETTERS_NCEP] == 850);            /* after: frames 8, 9 */
	CHECK(out[4 * ASR_LETTERS_NCEP] == 250);            /* onset block: frames 2, 3 */
	CHECK(fabsf(out[5 * ASR_LETTERS_NCEP] - sqrtf(12500)) < 1e-2f);   /* deviation */
	CHECK(fabsf(out[6 * ASR_LETTERS_NCEP] - logf(4)) < 1e-6f);
	asr_letters_feature(cep, T, 0, 11, &sh, out);      /* no context: the edge frames */
	CHECK(out[2 * ASR_LETTERS_NCEP] == 0 && out[3 * ASR_LETTERS_NCEP] == 1100);
}

static void test_learns(int hidden)
{
	enum { N = 300 };
	struct asr_letters_shape sh = { .parts = 1, .ctx = 2, .onset = 0 };
	int dim = asr_letters_dim(&sh), y[N], ok = 0;
	float *x = malloc(sizeof(float) * N * (size_t)dim), q[ASR_LETTERS_K];
	uint64_t s = 42;
	char err[128], path[] = "/tmp/kefu-test-letters-XXXXXX";
	toy(x, y, N, dim, &s);
	struct asr_letters_train_opts o = { .shape = sh, .hidden = hidden,
					    .epochs = 60, .lr = 0.01f, .l2 = 1e-4f, .seed = 7,
					    .lambda = 0.5f, .tau = 0.6f };
	asr_letters *m = asr_letters_train(x, y, N, &o, err, sizeof err);
	CHECK(m != NULL);
	if (!m) {
		free(x);
		return;
	}
	for (int i = 0; i < N; i++) {
		asr_letters_predict(m, x + (size_t)i * dim, q);
		ok += argmax(q) == y[i];
	}
	CHECK(ok == N);
	toy(x, y, N, dim, &s);                             /* fresh rows */
	ok = 0;
	for (int i = 0; i < N; i++) {
		asr_letters_predict(m, x + (size_t)i * dim, q);
		ok += argmax(q) == y[i];
	}
	CHECK(ok >= N * 99 / 100);
	printf("hidden %d: fresh rows %d of %d right\n", hidden, ok, N);

	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK(asr_letters_write(m, path, "toy set\nsecond line") == 0);
	asr_letters *r = asr_letters_load(path, err, sizeof err);
	CHECK(r != NULL);
	if (r) {
		int same = 1;
		struct asr_letters_shape rs;
		float q2[ASR_LETTERS_K], l, t;
		for (int i = 0; i < 20; i++) {
			asr_letters_predict(m, x + (size_t)i * dim, q);
			asr_letters_predict(r, x + (size_t)i * dim, q2);
			same &= !memcmp(q, q2, sizeof q);
		}
		CHECK(same);
		asr_letters_settings(r, &rs, &l, &t);
		CHECK(rs.parts == 1 && rs.ctx == 2 && rs.onset == 0 && l == 0.5f && t == 0.6f);
		asr_letters_free(r);
	}
	unlink(path);
	asr_letters_free(m);
	free(x);
}

static int refused(const char *text)
{
	char err[128];
	asr_letters *m = asr_letters_parse(text, strlen(text), err, sizeof err);
	asr_letters_free(m);
	return m == NULL && err[0];
}

/* A valid logistic-regression model (parts 1, hidden 0) with value v everywhere, with
 * `extra` appended. */
static char *valid(const char *head, const char *num, const char *extra)
{
	struct asr_letters_shape sh = { .parts = 1, .ctx = 3, .onset = 0 };
	int dim = asr_letters_dim(&sh);
	size_t np = (size_t)ASR_LETTERS_K * dim + ASR_LETTERS_K, cap = 64 + 16 * (np + 2 * dim);
	char *s = malloc(cap + 256);
	int o = snprintf(s, cap, "%s\n# a comment\nparts 1 ctx 3 onset 0 dim %d hidden 0 classes %d\n"
			 "lambda 0.5 tau 0.7\nmu", head, dim, ASR_LETTERS_K);
	for (int j = 0; j < dim; j++)
		o += snprintf(s + o, cap - (size_t)o, " 0");
	o += snprintf(s + o, cap - (size_t)o, "\nsd");
	for (int j = 0; j < dim; j++)
		o += snprintf(s + o, cap - (size_t)o, " %s", j == 3 ? num : "1");
	o += snprintf(s + o, cap - (size_t)o, "\nweights");
	for (size_t j = 0; j < np; j++)
		o += snprintf(s + o, cap - (size_t)o, " 0.25");
	snprintf(s + o, cap - (size_t)o, "\n%s", extra);
	return s;
}

static void test_malformed(void)
{
	char err[128];
	char *ok = valid("kefu-letters 1", "1", "");
	asr_letters *m = asr_letters_parse(ok, strlen(ok), err, sizeof err);
	CHECK(m != NULL);
	asr_letters_free(m);
	/* the same bytes with one thing wrong */
	char *cases[] = { valid("kefu-letterz 1", "1", ""), valid("kefu-letters 2", "1", ""),
			  valid("kefu-letters 1", "nan", ""), valid("kefu-letters 1", "0", ""),
			  valid("kefu-letters 1", "1x", ""), valid("kefu-letters 1", "1", "7") };
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CHECK(refused(cases[i]));
		free(cases[i]);
	}
	size_t n = strlen(ok);
	ok[n - 8] = '\0';                                  /* a number short */
	CHECK(refused(ok));
	char *dim = strstr(ok, "dim ");
	memcpy(dim, "dim 9", 5);                           /* disagrees with parts */
	CHECK(refused(ok));
	CHECK(refused(""));
	CHECK(refused("kefu-letters"));
	free(ok);
	CHECK(!asr_letters_load("/nonexistent/letters.model", err, sizeof err));
}

static void test_relabel(void)
{
	float q[ASR_LETTERS_K];
	for (int k = 0; k < ASR_LETTERS_K; k++)
		q[k] = 0.005f;
	q[19] = 1 - 0.005f * (ASR_LETTERS_K - 1);         /* "t", sure */
	CHECK(asr_letters_relabel(q, 3, 0.4f, 0.5f, 0.6f) == 19);   /* "d" unsure -> "t" */
	CHECK(asr_letters_relabel(q, 3, 0.4f, 0.5f, 0.99f) == 3);   /* tau holds it back */
	CHECK(asr_letters_relabel(q, 3, 0.99f, 0.2f, 0.6f) == 3);   /* a sure decoder stays */
	CHECK(asr_letters_relabel(q, 19, 0.4f, 0.5f, 0.6f) == 19);
	float a[ASR_LETTERS_K];                            /* only what sounds alike */
	memcpy(a, q, sizeof a);
	asr_letters_alike(a, 3);                           /* "d": the E-set stays */
	CHECK(a[19] == q[19] && a[1] == q[1] && a[3] == q[3]);
	CHECK(a[12] == 0 && a[0] == 0 && a[26 + 8] == 0);  /* m, a, eight */
	CHECK(asr_letters_relabel(a, 3, 0.4f, 0.5f, 0.6f) == 19);
	memcpy(a, q, sizeof a);
	asr_letters_alike(a, 12);                          /* "m" unsure, "t" sure: not heard as t */
	CHECK(a[19] == 0 && a[13] == q[13] && a[12] == q[12]);
	CHECK(asr_letters_relabel(a, 12, 0.4f, 0.5f, 0.6f) == 12);
	memcpy(a, q, sizeof a);
	asr_letters_alike(a, 0);                           /* "a": k, j, h and "eight" stay */
	CHECK(a[10] == q[10] && a[26 + 8] == q[26 + 8] && a[4] == 0);
	memcpy(a, q, sizeof a);
	asr_letters_alike(a, 26 + 1);                      /* "one": a class of its own */
	for (int k = 0; k < ASR_LETTERS_K; k++)
		CHECK(k == 26 + 1 || a[k] == 0);
}

int main(void)
{
	test_classes();
	test_feature();
	test_learns(16);
	test_learns(0);
	test_malformed();
	test_relabel();
	const asr_letters *b = asr_letters_builtin();
	printf("embedded letter model: %s\n", b ? "parsed" : "none in this build");
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("letters: all checks passed\n");
	return failures != 0;
}
