/* nlu/test_linear.c — unit tests of the linear half's exact learners (linear_svm.c):
 * one-vs-rest and Crammer–Singer SVMs learn a three-class problem with shared and noisy
 * features, answer held-out texts, give the same weights on one thread or two and from
 * run to run (no Hogwild), and their scores are scaled to probabilities that are neither
 * flat nor saturated; texts several classes share (the demo's generic clothing questions)
 * put an unseen text of that kind on those classes, not on a big class that shares a
 * few of their words; the naive Bayes term adds the log-likelihood ratios it should.
 * Deterministic, quick. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "rng.h"
#include "tensor.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

enum { N = 300, K = 3, DIM = 1024, NNZ = 4 };

static uint32_t idx[N][NNZ];
static float val[N][NNZ];
static struct nlu_sparse xs[N];
static int y[N];

/* Example i of class i % K: two of its class's eight features, one feature shared by
 * all classes, one random noise feature; L2-normalised like a feature block.  Every
 * 15th example is labelled with the next class (noise: nothing separates perfectly). */
static void make_data(void)
{
	uint64_t s = 42;
	for (int i = 0; i < N; i++) {
		y[i] = i % K;
		idx[i][0] = (uint32_t)(10 * y[i] + cm_xorshift64(&s) % 8);
		idx[i][1] = (uint32_t)(10 * y[i] + cm_xorshift64(&s) % 8);
		if (idx[i][1] == idx[i][0])
			idx[i][1] = (uint32_t)(10 * y[i] + (idx[i][0] - 10 * (uint32_t)y[i] + 1) % 8);
		idx[i][2] = 500;
		idx[i][3] = (uint32_t)(600 + cm_xorshift64(&s) % 400);
		for (int k = 0; k < NNZ; k++)
			val[i][k] = 0.5f;
		xs[i] = (struct nlu_sparse){ idx[i], val[i], NNZ, NNZ };
		if (i % 15 == 14)
			y[i] = (y[i] + 1) % K;
	}
}

static int argmax(const float *z)
{
	int a = 0;
	for (int c = 1; c < K; c++)
		if (z[c] > z[a])
			a = c;
	return a;
}

static void check_learner(int cs)
{
	struct nlu_linear m1, m2, m3;
	struct nlu_linear_opts o = { .svm_c = 0.5f, .svm_cs = cs, .threads = 1, .seed = 7 };
	const char *name = cs ? "Crammer-Singer" : "one-vs-rest";

	CHECK(nlu_linear_train(&m1, DIM, K, xs, y, N, &o) == 0, "%s: train", name);
	o.threads = 2;
	CHECK(nlu_linear_train(&m2, DIM, K, xs, y, N, &o) == 0, "%s: train, 2 threads", name);
	CHECK(nlu_linear_train(&m3, DIM, K, xs, y, N, &o) == 0, "%s: train again", name);
	CHECK(!memcmp(m1.w, m2.w, sizeof *m1.w * DIM * K) && !memcmp(m1.b, m2.b, sizeof *m1.b * K),
	      "%s: one thread or two, the same weights", name);
	CHECK(!memcmp(m2.w, m3.w, sizeof *m2.w * DIM * K), "%s: run to run, the same weights",
	      name);
	int right = 0;
	for (int i = 0; i < N; i++) {
		float z[K];
		nlu_linear_logits(&m1, &xs[i], z);
		right += argmax(z) == i % K;
	}
	CHECK(right >= N * 95 / 100, "%s: %d of %d training examples in their true class", name, right, N);
	/* held out: two class features with the shared one and an unseen noise feature */
	for (int c = 0; c < K; c++) {
		uint32_t qi[4] = { (uint32_t)(10 * c + 3), (uint32_t)(10 * c + 6), 500, 1023 };
		float qv[4] = { 0.5f, 0.5f, 0.5f, 0.5f }, z[K];
		struct nlu_sparse q = { qi, qv, 4, 4 };
		nlu_linear_logits(&m1, &q, z);
		cm_softmax(K, z, 1);
		CHECK(argmax(z) == c && z[c] > 0.6f && z[c] < 0.999f,
		      "%s: class %d held out: p %g (want right, neither flat nor saturated)",
		      name, c, z[c]);
	}
	nlu_linear_free(&m1);
	nlu_linear_free(&m2);
	nlu_linear_free(&m3);
}

/* Two small classes (a dress's and a shirt's return answer) with the same eight generic
 * texts (two of features 100..107 each, one pair per text) and four texts of their own
 * (a generic feature and the garment's: 20 or 30), and a big class (a bank's refund
 * answer, 120 texts of features 200..239) of which every fourth text also has one
 * generic feature ("return policy").  An unseen pair of generic features is a question
 * of the small classes' kind: their mass together must dominate, each about half.
 * Trained with the plain margin cost, Crammer–Singer left the shared texts a loss of 1
 * whatever the weights, and the big class needed no margin below them. */
enum { NS = 2 * (8 + 4) + 120 };

static void check_shared_texts(int cs)
{
	static uint32_t si[NS][3];
	static float sv[NS][3];
	static struct nlu_sparse sx[NS];
	static int sy[NS];
	const char *name = cs ? "Crammer-Singer" : "one-vs-rest";
	uint64_t s = 9;
	size_t n = 0;

	for (int c = 0; c < 2; c++) {
		for (int t = 0; t < 8; t++) {
			si[n][0] = (uint32_t)(100 + t);
			si[n][1] = (uint32_t)(100 + (t + 3) % 8);
			sx[n] = (struct nlu_sparse){ si[n], sv[n], 2, 2 };
			sy[n++] = c;
		}
		for (int t = 0; t < 4; t++) {
			si[n][0] = (uint32_t)(100 + 2 * t);
			si[n][1] = (uint32_t)(20 + 10 * c);
			sx[n] = (struct nlu_sparse){ si[n], sv[n], 2, 2 };
			sy[n++] = c;
		}
	}
	for (int t = 0; t < 120; t++) {
		si[n][0] = (uint32_t)(200 + cm_xorshift64(&s) % 40);
		si[n][1] = (uint32_t)(200 + cm_xorshift64(&s) % 40);
		si[n][2] = (uint32_t)(100 + cm_xorshift64(&s) % 8);
		sx[n] = (struct nlu_sparse){ si[n], sv[n], t % 4 == 0 ? 3u : 2u, 3 };
		sy[n++] = 2;
	}
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < sx[i].nnz; k++)
			sv[i][k] = 1.0f / sqrtf((float)sx[i].nnz);
	struct nlu_linear m;
	struct nlu_linear_opts o = { .svm_c = 0.5f, .svm_cs = cs, .threads = 1, .seed = 3 };
	CHECK(nlu_linear_train(&m, 256, 3, sx, sy, n, &o) == 0, "%s: train shared", name);
	uint32_t qi[2] = { 101, 106 };   /* a pair no text had */
	float qv[2] = { 0.7071f, 0.7071f }, z[3];
	struct nlu_sparse q = { qi, qv, 2, 2 };
	nlu_linear_logits(&m, &q, z);
	cm_softmax(3, z, 1);
	CHECK(z[0] + z[1] > 0.9f && fabsf(z[0] - z[1]) < 0.1f,
	      "%s: an unseen generic text: the two sharing classes %g + %g (want > 0.9, even), "
	      "the big class %g", name, z[0], z[1], z[2]);
	/* a garment's own text still goes to its class */
	uint32_t gi[2] = { 103, 30 };
	struct nlu_sparse g = { gi, qv, 2, 2 };
	nlu_linear_logits(&m, &g, z);
	CHECK(argmax(z) == 1, "%s: a shirt's text: class %d", name, argmax(z));
	nlu_linear_free(&m);
}

/* The naive Bayes term (linear_nb.c): λ · log θ_cb added to the weights of the buckets
 * the vectors have, by hand on two examples; a bucket no vector has keeps its weight. */
static void check_nb(void)
{
	uint32_t i0[1] = { 1 }, i1[2] = { 2, 3 };
	float v0[1] = { 1.0f }, v1[2] = { 0.6f, 0.8f };
	struct nlu_sparse x[2] = { { i0, v0, 1, 1 }, { i1, v1, 2, 2 } };
	int yy[2] = { 0, 1 };
	struct nlu_linear m;
	CHECK(!nlu_linear_alloc(&m, 16, 2), "alloc");
	m.w[5 * 2 + 1] = 0.25f;
	m.w[1 * 2 + 0] = 1.0f;
	CHECK(!nlu_linear_add_nb(&m, x, yy, 2, 2.0f, 0.5f), "nb");
	/* V = 3 buckets; class 0's mass 1 + 0.5·3, class 1's 1.4 + 0.5·3 */
	CHECK(fabsf(m.w[1 * 2 + 0] - (1.0f + 2.0f * logf(1.5f / 2.5f))) < 1e-5f &&
	      fabsf(m.w[1 * 2 + 1] - 2.0f * logf(0.5f / 2.9f)) < 1e-5f &&
	      fabsf(m.w[3 * 2 + 1] - 2.0f * logf(1.3f / 2.9f)) < 1e-5f &&
	      fabsf(m.w[3 * 2 + 0] - 2.0f * logf(0.5f / 2.5f)) < 1e-5f,
	      "nb weights %g %g %g %g", m.w[2], m.w[3], m.w[6], m.w[7]);
	CHECK(m.w[5 * 2 + 1] == 0.25f && m.w[0] == 0 && m.b[0] == 0 && m.b[1] == 0,
	      "unseen buckets and the biases untouched");
	nlu_linear_free(&m);
}

int main(void)
{
	check_nb();
	make_data();
	check_learner(0);
	check_learner(1);
	check_shared_texts(0);
	check_shared_texts(1);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("linear: all checks passed\n");
	return failures != 0;
}
