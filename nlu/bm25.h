/* nlu/bm25.h — Okapi BM25 retrieval over short documents (the store's example
 * questions), with an in-memory inverted index.
 *
 * Documents are bags of 64-bit term ids (nlu_hash token ids).  Build once, single
 * threaded: nlu_bm25_create, nlu_bm25_add for every document, nlu_bm25_finish.  After
 * finish the index is read-only and any number of threads may query it at once, each
 * with its own score arrays.
 *
 * Scoring: for a query term t and a document d,
 *     w(t, d) = idf(t) * tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl)),
 *     idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))        (always positive),
 * and score(q, d) = sum over the distinct terms of q.  w is precomputed per posting at
 * finish time, so a query is one hash lookup per term and one add per posting.
 */
#ifndef KEFU_NLU_BM25_H
#define KEFU_NLU_BM25_H

#include <stddef.h>
#include <stdint.h>

struct nlu_bm25;

/* Returns an empty index to fill, or NULL on allocation failure. */
struct nlu_bm25 *nlu_bm25_create(void);
void nlu_bm25_destroy(struct nlu_bm25 *ix);

/* Adds a document made of terms[0..n) (repeats count as term frequency; n may be 0).
 * Returns its index (0, 1, ...), or -1 on allocation failure or after finish. */
long nlu_bm25_add(struct nlu_bm25 *ix, const uint64_t *terms, size_t n);

/* Builds the inverted index with the parameters k1 (> 0) and b (0..1).  0 ok, -1 on
 * allocation failure.  The index is read-only afterwards. */
int nlu_bm25_finish(struct nlu_bm25 *ix, double k1, double b);

size_t nlu_bm25_n_docs(const struct nlu_bm25 *ix);
size_t nlu_bm25_n_terms(const struct nlu_bm25 *ix);

/* idf of a term id (the idf of an unseen term, the largest possible, if absent). */
double nlu_bm25_idf(const struct nlu_bm25 *ix, uint64_t term);

/* Scores the query terms[0..n) (a repeated term counts once; de-duplication is
 * quadratic in n, so callers keep queries to a few hundred terms).
 * scores[0..n_docs) must be zero on entry for every document; each matching document
 * gets its score added, and the index of each document touched for the first time is
 * appended to touched (room for n_docs entries).  Returns the number of touched
 * documents.  If weight is not NULL it gets the query's weight: the sum of idf over its
 * distinct terms, unseen terms included at the largest idf; a document of average
 * length holding each query term once scores exactly that, so score / weight is a
 * scale-free match quality.  Allocation-free; any thread after finish. */
size_t nlu_bm25_query(const struct nlu_bm25 *ix, const uint64_t *terms, size_t n,
		      float *scores, uint32_t *touched, double *weight);

#endif
