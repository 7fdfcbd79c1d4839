/* mining/cluster.c — grouping the collected questions (mining.h mn_cluster) and keeping
 * cluster identities across re-clusterings (mn_carry_ids).
 *
 * MN_AVERAGE: agglomerative clustering with average linkage (UPGMA) on cosine
 * similarity: repeatedly merge the two clusters with the highest mean pairwise
 * similarity while it is at least the threshold.  The similarity matrix is updated in
 * place by the Lance–Williams rule s(k, i∪j) = (|i| s(k,i) + |j| s(k,j)) / (|i| + |j|);
 * each active cluster caches its best neighbour, recomputed only when that neighbour
 * merged, so a run costs about O(n²) instead of O(n³).
 * MN_DBSCAN: density-based (DBSCAN on cosine): a point with at least min_pts
 * neighbours at similarity ≥ threshold (itself included) is a core point; clusters are
 * core points linked through their neighbourhoods plus the border points they reach;
 * everything else is a cluster of one.
 * Calling thread; allocates O(n²) for the working copy.
 */
#include "mining.h"

#include <stdlib.h>
#include <string.h>

/* Renumbers labels[0..n) (arbitrary non-negative ids < n) as 0..k-1 by cluster size,
 * largest first, ties by first member.  Returns k or -1. */
static int renumber(int *labels, size_t n)
{
	size_t *size = calloc(n ? n : 1, sizeof *size), *first = malloc((n ? n : 1) * sizeof *first);
	int *order = malloc((n ? n : 1) * sizeof *order), *map = malloc((n ? n : 1) * sizeof *map);
	int k = 0;

	if (!size || !first || !order || !map) {
		free(size); free(first); free(order); free(map);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		first[i] = n;
	for (size_t i = 0; i < n; i++) {
		if (!size[labels[i]]++)
			first[labels[i]] = i;
	}
	for (size_t c = 0; c < n; c++)
		if (size[c])
			order[k++] = (int)c;
	/* shell sort on (size desc, first member asc) */
	for (int gap = k / 2; gap > 0; gap /= 2)
		for (int i = gap; i < k; i++) {
			int x = order[i], j = i;
			while (j >= gap && (size[order[j - gap]] < size[x] ||
					    (size[order[j - gap]] == size[x] &&
					     first[order[j - gap]] > first[x]))) {
				order[j] = order[j - gap];
				j -= gap;
			}
			order[j] = x;
		}
	for (int r = 0; r < k; r++)
		map[order[r]] = r;
	for (size_t i = 0; i < n; i++)
		labels[i] = map[labels[i]];
	free(size); free(first); free(order); free(map);
	return k;
}

static int average_linkage(const float *sim, size_t n, float threshold, int *cluster)
{
	float *s = malloc((n ? n * n : 1) * sizeof *s);
	size_t *size = malloc((n ? n : 1) * sizeof *size), *best = malloc((n ? n : 1) * sizeof *best);
	int *parent = malloc((n ? n : 1) * sizeof *parent);
	char *alive = malloc(n ? n : 1);

	if (!s || !size || !best || !parent || !alive) {
		free(s); free(size); free(best); free(parent); free(alive);
		return -1;
	}
	memcpy(s, sim, n * n * sizeof *s);
	for (size_t i = 0; i < n; i++) {
		size[i] = 1;
		parent[i] = (int)i;
		alive[i] = 1;
	}
#define BEST(i) do { \
		best[i] = (size_t)-1; \
		for (size_t q = 0; q < n; q++) \
			if (q != (i) && alive[q] && (best[i] == (size_t)-1 || \
			    s[(i) * n + q] > s[(i) * n + best[i]])) \
				best[i] = q; \
	} while (0)
	for (size_t i = 0; i < n; i++)
		BEST(i);
	for (;;) {
		size_t bi = (size_t)-1;
		for (size_t i = 0; i < n; i++)
			if (alive[i] && best[i] != (size_t)-1 &&
			    (bi == (size_t)-1 || s[i * n + best[i]] > s[bi * n + best[bi]]))
				bi = i;
		if (bi == (size_t)-1 || s[bi * n + best[bi]] < threshold)
			break;
		size_t i = bi, j = best[bi];
		/* merge j into i */
		float wi = (float)size[i], wj = (float)size[j];
		for (size_t q = 0; q < n; q++) {
			if (!alive[q] || q == i || q == j)
				continue;
			float v = (wi * s[i * n + q] + wj * s[j * n + q]) / (wi + wj);
			s[i * n + q] = s[q * n + i] = v;
		}
		size[i] += size[j];
		alive[j] = 0;
		for (size_t q = 0; q < n; q++)
			if (parent[q] == (int)j)
				parent[q] = (int)i;
		BEST(i);
		for (size_t q = 0; q < n; q++) {
			if (!alive[q] || q == i)
				continue;
			if (best[q] == i || best[q] == j)
				BEST(q);
			else if (best[q] != (size_t)-1 && s[q * n + i] > s[q * n + best[q]])
				best[q] = i;
		}
	}
#undef BEST
	for (size_t q = 0; q < n; q++)
		cluster[q] = parent[q];
	free(s); free(size); free(best); free(parent); free(alive);
	return renumber(cluster, n);
}

static int dbscan(const float *sim, size_t n, float threshold, int min_pts, int *cluster)
{
	char *core = calloc(n ? n : 1, 1);
	size_t *stack = malloc((n ? n : 1) * sizeof *stack);
	int next = 0;

	if (!core || !stack) {
		free(core);
		free(stack);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int nb = 0;
		for (size_t q = 0; q < n; q++)
			nb += sim[i * n + q] >= threshold || q == i;
		core[i] = nb >= min_pts;
		cluster[i] = -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!core[i] || cluster[i] >= 0)
			continue;
		size_t top = 0;
		cluster[i] = next;
		stack[top++] = i;
		while (top) {
			size_t p = stack[--top];
			if (!core[p])
				continue;
			for (size_t q = 0; q < n; q++)
				if (cluster[q] < 0 && sim[p * n + q] >= threshold) {
					cluster[q] = next;
					stack[top++] = q;
				}
		}
		next++;
	}
	for (size_t i = 0; i < n; i++)
		if (cluster[i] < 0)
			cluster[i] = next++;
	free(core);
	free(stack);
	return renumber(cluster, n);
}

/* Moves each member of a cluster under min_size into the cluster of >= min_size it is
 * closest to on average, when that mean similarity is >= attach; renumbers.  k or -1. */
static int attach_small(const float *sim, size_t n, int k, int min_size, float attach,
			int *cluster)
{
	size_t *size = calloc((size_t)k, sizeof *size);
	double *sum = malloc((size_t)k * sizeof *sum);
	int *to = malloc(n * sizeof *to);

	if (!size || !sum || !to) {
		free(size); free(sum); free(to);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		size[cluster[i]]++;
	for (size_t i = 0; i < n; i++) {
		to[i] = cluster[i];
		if (size[cluster[i]] >= (size_t)min_size)
			continue;
		memset(sum, 0, (size_t)k * sizeof *sum);
		for (size_t q = 0; q < n; q++)
			if (size[cluster[q]] >= (size_t)min_size)
				sum[cluster[q]] += sim[i * n + q];
		int best = -1;
		double best_s = attach;
		for (int c = 0; c < k; c++)
			if (size[c] >= (size_t)min_size && sum[c] / (double)size[c] >= best_s) {
				best_s = sum[c] / (double)size[c];
				best = c;
			}
		if (best >= 0)
			to[i] = best;
	}
	memcpy(cluster, to, n * sizeof *cluster);
	free(size); free(sum); free(to);
	return renumber(cluster, n);
}

int mn_cluster(const float *sim, size_t n, const struct mn_opts *o, int *cluster)
{
	if (!n)
		return 0;
	if (o->method == MN_DBSCAN)
		return dbscan(sim, n, o->threshold, o->min_pts, cluster);
	int k = average_linkage(sim, n, o->threshold, cluster);
	if (k > 0 && o->attach > 0)
		k = attach_small(sim, n, k, o->min_pts, o->attach, cluster);
	return k;
}

int mn_carry_ids(const int64_t *old, const int *cluster, size_t n, int k,
		 int64_t *ids_out, int64_t *next_id)
{
	/* clusters come largest first, so walking c = 0..k-1 gives the larger new cluster
	 * the first claim on an old id */
	int64_t *taken = malloc((size_t)(k ? k : 1) * sizeof *taken);
	int64_t *cand = malloc((n ? n : 1) * sizeof *cand);
	int nt = 0;

	if (!taken || !cand) {
		free(taken);
		free(cand);
		return -1;
	}
	for (int c = 0; c < k; c++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (cluster[i] == c && old[i] > 0)
				cand[m++] = old[i];
		int64_t pick = 0;
		size_t pick_n = 0;
		for (size_t a = 0; a < m; a++) {
			int skip = 0;
			for (int t = 0; t < nt && !skip; t++)
				skip = taken[t] == cand[a];
			for (size_t b = 0; b < a && !skip; b++)
				skip = cand[b] == cand[a];     /* counted already */
			if (skip)
				continue;
			size_t cnt = 0;
			for (size_t b = a; b < m; b++)
				cnt += cand[b] == cand[a];
			if (cnt > pick_n) {
				pick = cand[a];
				pick_n = cnt;
			}
		}
		if (!pick)
			pick = (*next_id)++;
		ids_out[c] = pick;
		taken[nt++] = pick;
	}
	free(taken);
	free(cand);
	return 0;
}
