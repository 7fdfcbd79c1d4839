/* nlu/bm25.c — see bm25.h.  While building, documents are kept as (term, doc) pairs in
 * one growing array; finish() sorts them by term, assigns term numbers, counts term
 * frequencies and lays the postings out contiguously (compressed sparse rows), with
 * the BM25 weight of each posting precomputed.  Term ids are found through an
 * open-addressing hash table (linear probing, load <= 1/2).  Build on one thread; read
 * from any number of threads after finish.
 */
#include "bm25.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	uint64_t term;
	uint32_t doc;
};

struct posting {
	uint32_t doc;
	float w;
};

struct nlu_bm25 {
	/* building */
	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	uint32_t *doc_len;
	size_t n_docs, cap_docs;
	int finished;

	/* finished index */
	size_t n_terms;
	uint64_t *term_ids;      /* [n_terms] */
	float *idf;              /* [n_terms] */
	uint32_t *post_start;    /* [n_terms + 1] into post */
	struct posting *post;
	uint32_t *table;         /* hash slots: term number + 1, 0 = empty */
	size_t table_mask;
	double idf_unseen;
};

struct nlu_bm25 *nlu_bm25_create(void)
{
	return calloc(1, sizeof(struct nlu_bm25));
}

void nlu_bm25_destroy(struct nlu_bm25 *ix)
{
	if (!ix)
		return;
	free(ix->pairs);
	free(ix->doc_len);
	free(ix->term_ids);
	free(ix->idf);
	free(ix->post_start);
	free(ix->post);
	free(ix->table);
	free(ix);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

long nlu_bm25_add(struct nlu_bm25 *ix, const uint64_t *terms, size_t n)
{
	if (ix->finished || ix->n_docs >= UINT32_MAX)
		return -1;
	if (grow((void **)&ix->doc_len, &ix->cap_docs, ix->n_docs + 1, sizeof *ix->doc_len) ||
	    grow((void **)&ix->pairs, &ix->cap_pairs, ix->n_pairs + n, sizeof *ix->pairs))
		return -1;
	for (size_t i = 0; i < n; i++)
		ix->pairs[ix->n_pairs++] = (struct pair){ terms[i], (uint32_t)ix->n_docs };
	ix->doc_len[ix->n_docs] = (uint32_t)n;
	return (long)ix->n_docs++;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Spreads the bits of a term id over the table (ids from FNV-1a are weak in low bits). */
static size_t slot_of(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id;
}

static double idf_of(size_t n_docs, size_t df)
{
	return log(1.0 + ((double)n_docs - (double)df + 0.5) / ((double)df + 0.5));
}

int nlu_bm25_finish(struct nlu_bm25 *ix, double k1, double b)
{
	if (ix->finished)
		return -1;
	if (ix->n_pairs)
		qsort(ix->pairs, ix->n_pairs, sizeof *ix->pairs, pair_cmp);

	/* Count distinct terms and distinct (term, doc) postings. */
	size_t n_terms = 0, n_post = 0;
	for (size_t i = 0; i < ix->n_pairs; i++) {
		if (i == 0 || ix->pairs[i].term != ix->pairs[i - 1].term)
			n_terms++;
		if (i == 0 || pair_cmp(&ix->pairs[i], &ix->pairs[i - 1]))
			n_post++;
	}
	size_t tsize = 16;
	while (tsize < 2 * n_terms)
		tsize *= 2;
	ix->term_ids = malloc((n_terms + 1) * sizeof *ix->term_ids);
	ix->idf = malloc((n_terms + 1) * sizeof *ix->idf);
	ix->post_start = malloc((n_terms + 1) * sizeof *ix->post_start);
	ix->post = malloc((n_post + 1) * sizeof *ix->post);
	ix->table = calloc(tsize, sizeof *ix->table);
	if (!ix->term_ids || !ix->idf || !ix->post_start || !ix->post || !ix->table)
		return -1;
	ix->table_mask = tsize - 1;

	double total = 0;
	for (size_t d = 0; d < ix->n_docs; d++)
		total += ix->doc_len[d];
	double avgdl = ix->n_docs && total > 0 ? total / (double)ix->n_docs : 1.0;

	size_t t = 0, p = 0;
	for (size_t i = 0; i < ix->n_pairs;) {
		uint64_t term = ix->pairs[i].term;
		size_t j = i, start = p;
		ix->term_ids[t] = term;
		ix->post_start[t] = (uint32_t)p;
		while (j < ix->n_pairs && ix->pairs[j].term == term) {
			uint32_t doc = ix->pairs[j].doc;
			size_t tf = 0;
			while (j < ix->n_pairs && ix->pairs[j].term == term && ix->pairs[j].doc == doc) {
				tf++;
				j++;
			}
			ix->post[p].doc = doc;
			ix->post[p].w = (float)tf;   /* turned into the weight below */
			p++;
		}
		double idf = idf_of(ix->n_docs, p - start);
		ix->idf[t] = (float)idf;
		for (size_t q = start; q < p; q++) {
			double tf = ix->post[q].w;
			double norm = k1 * (1.0 - b + b * ix->doc_len[ix->post[q].doc] / avgdl);
			ix->post[q].w = (float)(idf * tf * (k1 + 1.0) / (tf + norm));
		}
		size_t s = slot_of(term) & ix->table_mask;
		while (ix->table[s])
			s = (s + 1) & ix->table_mask;
		ix->table[s] = (uint32_t)(t + 1);
		t++;
		i = j;
	}
	ix->post_start[t] = (uint32_t)p;
	ix->n_terms = n_terms;
	ix->idf_unseen = idf_of(ix->n_docs, 0);
	free(ix->pairs);
	ix->pairs = NULL;
	ix->n_pairs = ix->cap_pairs = 0;
	ix->finished = 1;
	return 0;
}

size_t nlu_bm25_n_docs(const struct nlu_bm25 *ix)
{
	return ix->n_docs;
}

size_t nlu_bm25_n_terms(const struct nlu_bm25 *ix)
{
	return ix->n_terms;
}

/* Term number of id, or -1. */
static long lookup(const struct nlu_bm25 *ix, uint64_t id)
{
	if (!ix->finished)
		return -1;
	for (size_t s = slot_of(id) & ix->table_mask; ix->table[s]; s = (s + 1) & ix->table_mask)
		if (ix->term_ids[ix->table[s] - 1] == id)
			return (long)ix->table[s] - 1;
	return -1;
}

double nlu_bm25_idf(const struct nlu_bm25 *ix, uint64_t term)
{
	long t = lookup(ix, term);

	return t < 0 ? ix->idf_unseen : ix->idf[t];
}

size_t nlu_bm25_query(const struct nlu_bm25 *ix, const uint64_t *terms, size_t n,
		      float *scores, uint32_t *touched, double *weight)
{
	size_t n_touched = 0;
	double wsum = 0;

	for (size_t i = 0; i < n; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)   /* queries are short: O(n^2) is fine */
			dup = terms[j] == terms[i];
		if (dup)
			continue;
		long t = lookup(ix, terms[i]);
		if (t < 0) {
			wsum += ix->idf_unseen;
			continue;
		}
		wsum += ix->idf[t];
		for (uint32_t p = ix->post_start[t]; p < ix->post_start[t + 1]; p++) {
			uint32_t d = ix->post[p].doc;
			if (scores[d] == 0.0f)
				touched[n_touched++] = d;
			scores[d] += ix->post[p].w;
		}
	}
	if (weight)
		*weight = wsum;
	return n_touched;
}
