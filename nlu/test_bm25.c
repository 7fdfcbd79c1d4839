/* nlu/test_bm25.c — unit tests for bm25.c: scores against a naive BM25 computed here,
 * ranking on a tiny set, touched lists, query weight, unseen and repeated terms. */
#include "bm25.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

enum { CARD = 11, LOST = 12, ARRIVE = 13, WHEN = 14, TRANSFER = 15, MONEY = 16,
       ABROAD = 17, PIN = 18, UNSEEN = 99 };

static const uint64_t d0[] = { CARD, LOST };
static const uint64_t d1[] = { CARD, ARRIVE, WHEN };
static const uint64_t d2[] = { TRANSFER, MONEY, ABROAD };
static const uint64_t d3[] = { CARD, CARD, CARD, PIN };
static const uint64_t *docs[] = { d0, d1, d2, d3, NULL };
static const size_t lens[] = { 2, 3, 3, 4, 0 };
#define N_DOCS 5

/* BM25 straight from the formula, for one query term set (distinct terms). */
static double naive(const uint64_t *q, size_t nq, size_t d, double k1, double b)
{
	double avgdl = 0, s = 0;

	for (size_t i = 0; i < N_DOCS; i++)
		avgdl += (double)lens[i];
	avgdl /= N_DOCS;
	for (size_t j = 0; j < nq; j++) {
		size_t df = 0, tf = 0;
		for (size_t i = 0; i < N_DOCS; i++) {
			size_t c = 0;
			for (size_t k = 0; k < lens[i]; k++)
				c += docs[i][k] == q[j];
			df += c > 0;
			if (i == d)
				tf = c;
		}
		double idf = log(1 + (N_DOCS - df + 0.5) / (df + 0.5));
		s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lens[d] / avgdl));
	}
	return s;
}

int main(void)
{
	const double k1 = 1.2, b = 0.75;
	struct nlu_bm25 *ix = nlu_bm25_create();
	float scores[N_DOCS] = { 0 };
	uint32_t touched[N_DOCS];
	double w;

	CHECK(ix != NULL);
	for (size_t i = 0; i < N_DOCS; i++)
		CHECK(nlu_bm25_add(ix, docs[i], lens[i]) == (long)i);
	CHECK(nlu_bm25_finish(ix, k1, b) == 0);
	CHECK(nlu_bm25_add(ix, d0, 2) == -1);   /* read-only after finish */
	CHECK(nlu_bm25_n_docs(ix) == N_DOCS && nlu_bm25_n_terms(ix) == 8);

	/* "lost card": the lost-card document first, then the card-heavy one. */
	uint64_t q[] = { LOST, CARD, LOST };
	size_t nt = nlu_bm25_query(ix, q, 3, scores, touched, &w);
	CHECK(nt == 3);
	CHECK(scores[0] > scores[3] && scores[3] > scores[1] && scores[1] > 0);
	CHECK(scores[2] == 0 && scores[4] == 0);
	uint64_t qd[] = { LOST, CARD };
	for (size_t d = 0; d < N_DOCS; d++)
		CHECK(fabs(scores[d] - naive(qd, 2, d, k1, b)) < 1e-5);
	CHECK(fabs(w - (nlu_bm25_idf(ix, LOST) + nlu_bm25_idf(ix, CARD))) < 1e-6);
	/* Each touched document listed once. */
	int seen[N_DOCS] = { 0 };
	for (size_t i = 0; i < nt; i++)
		seen[touched[i]]++;
	CHECK(seen[0] == 1 && seen[1] == 1 && seen[3] == 1 && seen[2] == 0);

	/* Rarer terms weigh more; unseen terms get the largest idf and touch nothing. */
	CHECK(nlu_bm25_idf(ix, PIN) > nlu_bm25_idf(ix, CARD));
	CHECK(nlu_bm25_idf(ix, UNSEEN) > nlu_bm25_idf(ix, PIN));
	memset(scores, 0, sizeof scores);
	uint64_t q2[] = { UNSEEN, TRANSFER };
	nt = nlu_bm25_query(ix, q2, 2, scores, touched, &w);
	CHECK(nt == 1 && touched[0] == 2);
	CHECK(fabs(w - nlu_bm25_idf(ix, UNSEEN) - nlu_bm25_idf(ix, TRANSFER)) < 1e-6);
	memset(scores, 0, sizeof scores);
	uint64_t q3[] = { UNSEEN };
	CHECK(nlu_bm25_query(ix, q3, 1, scores, touched, &w) == 0);
	CHECK(nlu_bm25_query(ix, q3, 0, scores, touched, &w) == 0 && w == 0);
	nlu_bm25_destroy(ix);

	/* Length normalisation: with b = 0 a longer document is not penalised. */
	ix = nlu_bm25_create();
	const uint64_t a[] = { CARD, LOST }, bb[] = { CARD, LOST, PIN, WHEN, MONEY };
	nlu_bm25_add(ix, a, 2);
	nlu_bm25_add(ix, bb, 5);
	nlu_bm25_finish(ix, 1.2, 0.0);
	float s2[2] = { 0 };
	uint64_t ql[] = { LOST };
	nlu_bm25_query(ix, ql, 1, s2, touched, NULL);
	CHECK(fabsf(s2[0] - s2[1]) < 1e-6f);
	nlu_bm25_destroy(ix);

	/* An empty index still answers (nothing). */
	ix = nlu_bm25_create();
	CHECK(nlu_bm25_finish(ix, 1.2, 0.75) == 0);
	CHECK(nlu_bm25_query(ix, ql, 1, s2, touched, &w) == 0);
	nlu_bm25_destroy(ix);

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	else
		printf("nlu bm25: all tests passed\n");
	return failures ? 1 : 0;
}
