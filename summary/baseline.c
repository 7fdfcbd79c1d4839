/* summary/baseline.c — the two baselines kefu's summariser is measured against in the
 * same run (kefu eval-summary, bench/summary): Lead (the customer's first message and the
 * agent's first reply, cut at the budget: the usual first baseline of dialogue
 * summarisation; taking only their first sentences scored lower, so the stronger form is
 * the one measured) and LexRank (Erkan & Radev 2004: PageRank over the graph of sentences
 * whose TF-IDF cosine is at least 0.1, best sentences until the budget, in dialogue order).
 * Both see the same cleaned sentences as kefu.  Any thread; ctx is only read.
 */
#include <stdlib.h>
#include <string.h>

#include "sum_int.h"

#define ROLES_TALK ((1u << SUM_CUSTOMER) | (1u << SUM_AGENT) | (1u << SUM_BOT))

int sum_default_budget(const char *lang)
{
	return sum_words_for(lang)->budget;
}

/* Joins the sentences of doc marked in take[] in dialogue order, cut at budget. */
static char *join_cut(const struct sum_doc *doc, const char *take, int budget)
{
	struct cm_buf b = { 0 };
	cm_buf_add(&b, "", 0);
	for (size_t i = 0; i < doc->n; i++) {
		if (!take[i])
			continue;
		if (b.len)
			cm_buf_str(&b, doc->words->sentence_sep);
		cm_buf_add(&b, doc->s[i].text, doc->s[i].len);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	b.p[sum_cut_len(b.p, (size_t)budget)] = 0;
	return b.p;
}

char *sum_lead(const struct sum_ctx *ctx, const struct sum_dialog *d, int budget)
{
	struct sum_doc doc;
	char *take, *out = NULL;

	if (sum_doc_build(ctx, d, ROLES_TALK, &doc))
		return NULL;
	take = calloc(doc.n + 1, 1);
	if (take) {
		int first_c = -1, first_a = -1;
		for (size_t i = 0; i < doc.n; i++) {
			int *first = doc.s[i].role == SUM_CUSTOMER ? &first_c : &first_a;
			if (*first < 0)
				*first = doc.s[i].turn;
			take[i] = doc.s[i].turn == *first;
		}
		out = join_cut(&doc, take, budget);
	}
	free(take);
	sum_doc_free(&doc);
	return out;
}

/* Indices 0..n sorted by rank, best first (ties: earlier first).  qsort_r is not C11,
 * so a plain insertion sort keeps this reentrant: n is at most SUM_MAX_SENTS. */
void sum_order_by(const double *rank, size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;
		while (j && (rank[idx[j - 1]] < rank[v] ||
			     (rank[idx[j - 1]] == rank[v] && idx[j - 1] > v))) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

char *sum_lexrank(const struct sum_ctx *ctx, const struct sum_dialog *d, int budget)
{
	struct sum_doc doc;
	char *take = NULL, *out = NULL;
	double *rank = NULL;
	size_t *idx = NULL;

	if (sum_doc_build(ctx, d, ROLES_TALK, &doc))
		return NULL;
	take = calloc(doc.n + 1, 1);
	rank = calloc(doc.n + 1, sizeof *rank);
	idx = calloc(doc.n + 1, sizeof *idx);
	if (take && rank && idx && !sum_doc_pagerank(&doc, doc.tfidf_sim, 0.1, 1, rank)) {
		int len = 0;
		sum_order_by(rank, idx, doc.n);
		for (size_t k = 0; k < doc.n && len < budget; k++) {
			take[idx[k]] = 1;
			len += doc.s[idx[k]].n_tok;
		}
		out = join_cut(&doc, take, budget);
	}
	free(take);
	free(rank);
	free(idx);
	sum_doc_free(&doc);
	return out;
}
