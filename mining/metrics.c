/* mining/metrics.c — how well a clustering matches known categories (mining.h mn_score):
 * purity, normalised mutual information (arithmetic-mean normalisation) and the
 * adjusted Rand index, with the definitions scikit-learn uses (normalized_mutual_info_
 * score, adjusted_rand_score), so the bench's baselines are scored alike.  Pure apart
 * from its scratch; calling thread.
 */
#include "mining.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	int t, p;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->p < y->p ? -1 : x->p > y->p;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

/* Sizes of the groups of v[0..n) into sizes (sorted copy in tmp); returns how many. */
static size_t group_sizes(const int *v, size_t n, int *tmp, size_t *sizes)
{
	size_t g = 0;
	memcpy(tmp, v, n * sizeof *tmp);
	qsort(tmp, n, sizeof *tmp, cmp_int);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && tmp[j] == tmp[i])
			j++;
		sizes[g++] = j - i;
		i = j;
	}
	return g;
}

static double comb2(double x)
{
	return x * (x - 1) / 2;
}

int mn_score(const int *truth, const int *pred, size_t n, struct mn_scores *s)
{
	memset(s, 0, sizeof *s);
	if (!n)
		return 0;
	struct pair *pr = malloc(n * sizeof *pr);
	int *tmp = malloc(n * sizeof *tmp);
	size_t *ts = malloc(n * sizeof *ts), *ps = malloc(n * sizeof *ps);
	size_t *best = calloc(n, sizeof *best);
	int *tmp_pred = malloc(n * sizeof *tmp_pred);
	if (!pr || !tmp || !ts || !ps || !best || !tmp_pred) {
		free(pr); free(tmp); free(ts); free(ps); free(best); free(tmp_pred);
		return -1;
	}
	size_t nt = group_sizes(truth, n, tmp, ts);
	size_t np = group_sizes(pred, n, tmp, ps);
	/* cluster index of each pred value, for purity: dense ranks of the sorted values */
	memcpy(tmp_pred, tmp, n * sizeof *tmp_pred);   /* tmp holds pred sorted */
	for (size_t i = 0; i < n; i++) {
		pr[i].t = truth[i];
		pr[i].p = pred[i];
	}
	qsort(pr, n, sizeof *pr, cmp_pair);

	double dn = (double)n, mi = 0, sum_ij = 0, ht = 0, hp = 0;
	/* marginals by value: look each up by binary search in the sorted copies */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && pr[j].t == pr[i].t && pr[j].p == pr[i].p)
			j++;
		double nij = (double)(j - i);
		/* row (truth) size: count of pr with same t; column (pred) size: from tmp_pred */
		size_t a = i, b = i;
		while (a > 0 && pr[a - 1].t == pr[i].t)
			a--;
		while (b < n && pr[b].t == pr[i].t)
			b++;
		double ai = (double)(b - a);
		int *lo = tmp_pred, *hi = tmp_pred + n;
		while (lo < hi) {   /* lower bound of pred value */
			int *mid = lo + (hi - lo) / 2;
			if (*mid < pr[i].p)
				lo = mid + 1;
			else
				hi = mid;
		}
		size_t pc = (size_t)(lo - tmp_pred), pe = pc;
		while (pe < n && tmp_pred[pe] == pr[i].p)
			pe++;
		double bj = (double)(pe - pc);
		mi += nij / dn * log(nij * dn / (ai * bj));
		sum_ij += comb2(nij);
		if ((size_t)nij > best[pc])   /* purity: best class count per cluster */
			best[pc] = (size_t)nij;
		i = j;
	}
	double hit = 0;
	for (size_t i = 0; i < n; i++)
		hit += (double)best[i];
	s->purity = hit / dn;
	double sum_a = 0, sum_b = 0;
	for (size_t i = 0; i < nt; i++) {
		double p = (double)ts[i] / dn;
		ht -= p * log(p);
		sum_a += comb2((double)ts[i]);
	}
	for (size_t i = 0; i < np; i++) {
		double p = (double)ps[i] / dn;
		hp -= p * log(p);
		sum_b += comb2((double)ps[i]);
	}
	if (ht == 0 && hp == 0)
		s->nmi = 1.0;
	else
		s->nmi = mi / ((ht + hp) / 2);
	if (s->nmi < 0)
		s->nmi = 0;
	double expected = sum_a * sum_b / comb2(dn), max = (sum_a + sum_b) / 2;
	if ((nt == 1 && np == 1) || (nt == n && np == n) || max == expected)
		s->ari = 1.0;
	else
		s->ari = (sum_ij - expected) / (max - expected);
	free(pr); free(tmp); free(ts); free(ps); free(best); free(tmp_pred);
	return 0;
}
