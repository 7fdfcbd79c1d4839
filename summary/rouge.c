/* summary/rouge.c — ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin 2004), written here so kefu
 * eval-summary needs no Python.  Tokens are sum_tok_next's: lowercase letter/digit runs
 * and single CJK characters (English words, Chinese characters), no stemming, no stop
 * words: the convention of Google's rouge-score without its stemmer.
 *
 * ROUGE-N: clipped n-gram overlap = the size of the multiset intersection of the two
 * n-gram bags (sorted arrays of n-gram ids, merged); P = overlap / candidate n-grams,
 * R = overlap / reference n-grams, F1 = 2PR / (P + R).  ROUGE-L: the longest common
 * subsequence of the two token sequences (dynamic programming, two rows), P = LCS /
 * candidate length, R = LCS / reference length.  Pure; any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sum_int.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The token ids of s (malloc'd, *n of them; NULL with *n = 0 for none or no memory:
 * *oom says which). */
static uint64_t *tokens(const char *s, size_t *n, int *oom)
{
	struct sum_tok_it it = { s, strlen(s), 0 };
	size_t b, e, cap = 0;
	uint64_t id, *v = NULL;

	*n = 0;
	while (sum_tok_next(&it, &b, &e, &id)) {
		uint64_t *p = cm_grow(v, &cap, *n + 1, sizeof *v, 64);
		if (!p) {
			free(v);
			*n = 0;
			*oom = 1;
			return NULL;
		}
		v = p;
		v[(*n)++] = id;
	}
	return v;
}

/* Sorted ids of the n-grams (order 1 or 2) of t[0..n); malloc'd; *m of them. */
static uint64_t *grams(const uint64_t *t, size_t n, int order, size_t *m, int *oom)
{
	*m = n >= (size_t)order ? n - (size_t)order + 1 : 0;
	if (!*m)
		return NULL;
	uint64_t *g = malloc(*m * sizeof *g);
	if (!g) {
		*oom = 1;
		*m = 0;
		return NULL;
	}
	for (size_t i = 0; i < *m; i++)
		g[i] = order == 1 ? t[i] : t[i] * 0x9E3779B97F4A7C15ULL ^ (t[i + 1] + 0x632BE59BD9B4E019ULL);
	qsort(g, *m, sizeof *g, cmp_u64);
	return g;
}

static double f1(double overlap, size_t nc, size_t nr)
{
	if (!nc || !nr || overlap <= 0)
		return 0;
	double p = overlap / (double)nc, r = overlap / (double)nr;
	return 2 * p * r / (p + r);
}

static double rouge_n(const uint64_t *c, size_t nc, const uint64_t *r, size_t nr, int order,
		      int *oom)
{
	size_t mc, mr, i = 0, j = 0, hit = 0;
	uint64_t *gc = grams(c, nc, order, &mc, oom), *gr = grams(r, nr, order, &mr, oom);

	while (i < mc && j < mr) {
		if (gc[i] == gr[j]) {
			hit++;
			i++;
			j++;
		} else if (gc[i] < gr[j]) {
			i++;
		} else {
			j++;
		}
	}
	free(gc);
	free(gr);
	return f1((double)hit, mc, mr);
}

static double rouge_l(const uint64_t *c, size_t nc, const uint64_t *r, size_t nr, int *oom)
{
	if (!nc || !nr)
		return 0;
	size_t *prev = calloc(nr + 1, sizeof *prev), *cur = calloc(nr + 1, sizeof *cur);
	if (!prev || !cur) {
		free(prev);
		free(cur);
		*oom = 1;
		return 0;
	}
	for (size_t i = 1; i <= nc; i++) {
		for (size_t j = 1; j <= nr; j++)
			cur[j] = c[i - 1] == r[j - 1] ? prev[j - 1] + 1
			       : prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	double lcs = (double)prev[nr];
	free(prev);
	free(cur);
	return f1(lcs, nc, nr);
}

int sum_rouge_pair(const char *cand, const char *ref, struct sum_rouge *out)
{
	size_t nc, nr;
	int oom = 0;
	uint64_t *c = tokens(cand ? cand : "", &nc, &oom), *r = tokens(ref ? ref : "", &nr, &oom);

	out->r1 = rouge_n(c, nc, r, nr, 1, &oom);
	out->r2 = rouge_n(c, nc, r, nr, 2, &oom);
	out->rl = rouge_l(c, nc, r, nr, &oom);
	free(c);
	free(r);
	return oom ? -1 : 0;
}

int sum_rouge_refs(const char *cand, const char *const *refs, size_t n, struct sum_rouge *out)
{
	struct sum_rouge one;
	memset(out, 0, sizeof *out);
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (sum_rouge_pair(cand, refs[i], &one))
			return -1;
		out->r1 += one.r1;
		out->r2 += one.r2;
		out->rl += one.rl;
	}
	out->r1 /= (double)n;
	out->r2 /= (double)n;
	out->rl /= (double)n;
	return 0;
}
