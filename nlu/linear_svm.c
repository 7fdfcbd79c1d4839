/* nlu/linear_svm.c — the linear half as linear SVMs (one-vs-rest or Crammer–Singer),
 * trained exactly.
 *
 * Each class c gets an L2-regularised squared-hinge SVM (class c against the rest, the
 * bias a feature of value 1) solved in its dual by coordinate descent (Hsieh et al. 2008,
 * liblinear's L2R_L2LOSS_SVC_DUAL): one α_i ≥ 0 per example, w = Σ α_i y_i x_i kept up to
 * date, each step the exact minimiser along α_i.  Passes go on until the projected
 * gradient's spread is below eps (liblinear's 0.1) or max_iter passes; the order of a pass
 * is a permutation from a fixed seed per class, so a run is deterministic (no Hogwild).
 * Crammer–Singer (svm_cs) solves all classes as one multiclass SVM instead (Keerthi et
 * al. 2008, liblinear's MCSVM_CS), one α per example and class.
 * The scores are margins, not log-probabilities; the ensemble adds the halves' logits as
 * log-probabilities, so they are scaled by the s that minimises the multinomial NLL of
 * softmax(s · scores) on held-out examples: a tenth of the examples (every tenth of a
 * seeded shuffle) is left out, the SVM trained on the rest scores it, s is fitted there
 * (and with svm_auto the C of SVM_GRID with the most held-out examples right is chosen),
 * then the SVM is trained on all examples from the rest's α (a warm start: the held-out
 * examples' α start at 0).  s is folded into the weights, so a prediction is the same
 * dim × n_cls product as before; so is a naive Bayes term (svm_nb, linear_nb.c), λ chosen
 * on the same held-out tenth when svm_nb < 0.  Under SVM_HOLD_MIN examples nothing is held out and
 * s is fitted on leave-one-out scores (w·x_i less example i's own share α_i ‖x_i‖²).
 * A text several answers share (the same feature vector under several labels: the demo's
 * "can I return this?" is an example of every garment's return answer) is right under
 * any of them: another label of the same text costs nothing (Crammer–Singer's margin
 * cost is 0 there instead of 1; one-vs-rest counts the text a positive of each), so the
 * SVM need not rank one of them above the others, only all of them above the rest by
 * the margin.  With the plain cost the sibling labels took the example's loss of 1
 * whatever the weights, and the rest (a bank's refund answer) needed no margin below
 * them (encoder.md, "Texts several answers share").
 * With balance > 0 an example's C is C · (n / (K · n_c))^balance (n_c: its class's count).
 * nlu_linear_train lives here: it picks this learner (o->svm_c > 0) or linear.c's SGD.
 * Threads: with threads = 2 the classes are split between the caller's thread and one
 * more (class c on thread c mod 2: the same answer on one thread or two); each class
 * solves in its own double-precision vector, so nothing is shared but the output columns.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "model.h"
#include "rng.h"

#define SVM_EPS 0.1
#define SVM_MAX_ITER 300
#define SVM_HOLD_MIN 200       /* fewer examples: no held-out tenth */
#define SVM_NB_SMOOTH 0.03f    /* the naive Bayes term's additive smoothing */

static const float SVM_GRID[] = { 0.25f, 0.5f, 1.0f, 2.0f };
static const float SVM_NB_GRID[] = { 0.0f, 0.05f, 0.1f, 0.15f, 0.2f, 0.3f, 0.5f, 1.0f };

/* The labels each example's text carries: examples with the same feature vector form a
 * group, and every label of the group is right for each of them.  of[i] is example i's
 * group, its labels lab[start[g] .. start[g + 1]) (distinct). */
struct svm_groups {
	uint32_t *of, *start, *lab;
};

/* A problem: n examples, their labels, the labels their texts share, ‖x‖² + 1 (the bias
 * feature), and the state α (OvR: n_cls blocks of n, α_i ≥ 0 of class c at [c·n + i];
 * CS: n blocks of n_cls). */
struct svm_prob {
	const struct nlu_sparse *xs;
	const int *y;
	const struct svm_groups *gr;
	const double *sq;
	const double *cw;      /* per class: C's factor (n / (K · n_c))^balance, or NULL */
	size_t n;
	uint32_t dim, n_cls;
	double C;
	int cs;
	uint64_t seed;
	double *alpha;
};

struct svm_job {
	const struct svm_prob *p;
	struct nlu_linear *m;
	uint32_t first, step;
	int rc;
};

static uint64_t sparse_hash(const struct nlu_sparse *x)
{
	uint64_t h = cm_fnv1a(CM_FNV1A_INIT, &x->nnz, sizeof x->nnz);
	h = cm_fnv1a(h, x->idx, sizeof *x->idx * x->nnz);
	return cm_fnv1a(h, x->val, sizeof *x->val * x->nnz);
}

static int same_sparse(const struct nlu_sparse *a, const struct nlu_sparse *b)
{
	return a->nnz == b->nnz && !memcmp(a->idx, b->idx, sizeof *a->idx * a->nnz) &&
	       !memcmp(a->val, b->val, sizeof *a->val * a->nnz);
}

struct hashed {
	uint64_t h;
	uint32_t i;
};

static int cmp_hashed(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;
	return x->h < y->h ? -1 : x->h > y->h ? 1 : x->i < y->i ? -1 : x->i > y->i;
}

static void groups_free(struct svm_groups *g)
{
	free(g->of);
	free(g->start);
	free(g->lab);
	memset(g, 0, sizeof *g);
}

/* Groups the n examples by feature vector (hash, then exact comparison within a run of
 * equal hashes) and lists each group's distinct labels.  0, or -1 out of memory. */
static int groups_make(struct svm_groups *g, const struct nlu_sparse *xs, const int *y, size_t n)
{
	struct hashed *hs = malloc(sizeof *hs * (n ? n : 1));
	size_t ng = 0, nl = 0;

	g->of = malloc(sizeof *g->of * (n ? n : 1));
	g->start = malloc(sizeof *g->start * (n + 1));
	g->lab = malloc(sizeof *g->lab * (n ? n : 1));
	if (!hs || !g->of || !g->start || !g->lab) {
		free(hs);
		groups_free(g);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		hs[i] = (struct hashed){ sparse_hash(&xs[i]), (uint32_t)i };
	qsort(hs, n, sizeof *hs, cmp_hashed);
	for (size_t i = 0; i < n; i++)
		g->of[i] = UINT32_MAX;
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && hs[b].h == hs[a].h)
			b++;
		/* a run of equal hashes: groups by exact comparison, in example order */
		for (size_t k = a; k < b; k++) {
			uint32_t i = hs[k].i;
			if (g->of[i] != UINT32_MAX)
				continue;
			g->start[ng] = (uint32_t)nl;
			for (size_t q = k; q < b; q++) {
				uint32_t j = hs[q].i;
				if (g->of[j] != UINT32_MAX || !same_sparse(&xs[i], &xs[j]))
					continue;
				g->of[j] = (uint32_t)ng;
				size_t l = g->start[ng];
				while (l < nl && g->lab[l] != (uint32_t)y[j])
					l++;
				if (l == nl)
					g->lab[nl++] = (uint32_t)y[j];
			}
			ng++;
		}
		a = b;
	}
	g->start[ng] = (uint32_t)nl;
	free(hs);
	return 0;
}

/* Is c right for example i (its own label or another its text carries)? */
static int right_label(const struct svm_prob *p, size_t i, uint32_t c)
{
	if (p->y[i] == (int)c)
		return 1;
	uint32_t g = p->gr->of[i];
	for (uint32_t l = p->gr->start[g]; l < p->gr->start[g + 1]; l++)
		if (p->gr->lab[l] == c)
			return 1;
	return 0;
}

static double dot_row(const double *w, const struct nlu_sparse *x)
{
	double s = w[0];       /* the bias */
	for (uint32_t k = 0; k < x->nnz; k++)
		s += w[1 + x->idx[k]] * x->val[k];
	return s;
}

/* Class c against the rest from its α (warm or zeros) into w[0] (bias), w[1..dim]. */
static void solve_class(const struct svm_prob *p, uint32_t c, double *w, uint32_t *ord)
{
	double *alpha = p->alpha + (size_t)c * p->n;
	uint64_t seed = p->seed ^ (0x9e3779b97f4a7c15ull * (c + 1));

	memset(w, 0, sizeof *w * (p->dim + 1));
	for (size_t i = 0; i < p->n; i++) {
		ord[i] = (uint32_t)i;
		double d = alpha[i] * (right_label(p, i, c) ? 1.0 : -1.0);
		if (d == 0)
			continue;
		w[0] += d;
		for (uint32_t q = 0; q < p->xs[i].nnz; q++)
			w[1 + p->xs[i].idx[q]] += d * p->xs[i].val[q];
	}
	for (int it = 0; it < SVM_MAX_ITER; it++) {
		double pg_max = -INFINITY, pg_min = INFINITY;
		nlu_linear_shuffle(ord, p->n, &seed);
		for (size_t k = 0; k < p->n; k++) {
			uint32_t i = ord[k];
			const struct nlu_sparse *x = &p->xs[i];
			double yi = right_label(p, i, c) ? 1.0 : -1.0;
			double diag = 0.5 / (p->cw ? p->C * p->cw[p->y[i]] : p->C);
			double g = yi * dot_row(w, x) - 1.0 + diag * alpha[i];
			double pg = alpha[i] == 0 && g > 0 ? 0 : g;
			pg_max = fmax(pg_max, pg);
			pg_min = fmin(pg_min, pg);
			if (fabs(pg) < 1e-12)
				continue;
			double old = alpha[i];
			alpha[i] = fmax(old - g / (p->sq[i] + diag), 0.0);
			double d = (alpha[i] - old) * yi;
			w[0] += d;
			for (uint32_t q = 0; q < x->nnz; q++)
				w[1 + x->idx[q]] += d * x->val[q];
		}
		if (pg_max - pg_min <= SVM_EPS)
			break;
	}
}

static void *run_classes(void *arg)
{
	struct svm_job *j = arg;
	const struct svm_prob *p = j->p;
	double *w = malloc(sizeof *w * (p->dim + 1));
	uint32_t *ord = malloc(sizeof *ord * (p->n ? p->n : 1));

	j->rc = -1;
	if (!w || !ord)
		goto out;
	for (uint32_t c = j->first; c < p->n_cls; c += j->step) {
		solve_class(p, c, w, ord);
		for (uint32_t f = 0; f < p->dim; f++)
			j->m->w[(size_t)f * p->n_cls + c] = (float)w[1 + f];
		j->m->b[c] = (float)w[0];
	}
	j->rc = 0;
out:
	free(w);
	free(ord);
	return NULL;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Crammer–Singer's sub-problem for one example (Keerthi et al. 2008, liblinear's
 * solve_sub_problem): the α_i on the set Σ_m α_m = 0, α_m ≤ C·[m = y] closest to the
 * unconstrained step; b[K] = G − A·α, d[K] scratch. */
static void cs_sub(const double *b, double A, int yi, double C, uint32_t K, double *d,
		   double *out)
{
	uint32_t r;

	memcpy(d, b, sizeof *d * K);
	d[yi] += A * C;
	qsort(d, K, sizeof *d, cmp_desc);
	double beta = d[0] - A * C;
	for (r = 1; r < K && beta < r * d[r]; r++)
		beta += d[r];
	beta /= r;
	for (uint32_t m = 0; m < K; m++)
		out[m] = fmin((int)m == yi ? C : 0.0, (beta - b[m]) / A);
}

/* All classes at once as one Crammer–Singer SVM (liblinear's MCSVM_CS without shrinking)
 * from its α (warm or zeros): w_m = Σ_i α_im x_i straight into m->w / m->b.  One thread
 * (the classes are coupled). */
static int solve_cs(const struct svm_prob *p, struct nlu_linear *m)
{
	uint32_t K = p->n_cls;
	double *g = malloc(sizeof *g * K * 4);
	uint32_t *ord = malloc(sizeof *ord * (p->n ? p->n : 1));
	uint64_t seed = p->seed;

	if (!g || !ord) {
		free(g);
		free(ord);
		return -1;
	}
	double *b = g + K, *d = g + 2 * K, *an = g + 3 * K;
	memset(m->w, 0, sizeof *m->w * (size_t)p->dim * K);
	memset(m->b, 0, sizeof *m->b * K);
	for (size_t i = 0; i < p->n; i++) {
		const double *ai = p->alpha + i * K;
		ord[i] = (uint32_t)i;
		for (uint32_t c = 0; c < K; c++) {
			if (ai[c] == 0)
				continue;
			m->b[c] += (float)ai[c];
			for (uint32_t q = 0; q < p->xs[i].nnz; q++)
				m->w[(size_t)p->xs[i].idx[q] * K + c] += (float)(ai[c] * p->xs[i].val[q]);
		}
	}
	for (int it = 0; it < SVM_MAX_ITER; it++) {
		double stop = 0;
		nlu_linear_shuffle(ord, p->n, &seed);
		for (size_t k = 0; k < p->n; k++) {
			uint32_t i = ord[k];
			const struct nlu_sparse *x = &p->xs[i];
			double *ai = p->alpha + (size_t)i * K, A = p->sq[i];
			double C = p->cw ? p->C * p->cw[p->y[i]] : p->C;
			int yi = p->y[i];
			/* the margin's cost: 0 for the label and the others its text carries */
			for (uint32_t c = 0; c < K; c++)
				g[c] = 1.0 + m->b[c];
			for (uint32_t l = p->gr->start[p->gr->of[i]];
			     l < p->gr->start[p->gr->of[i] + 1]; l++)
				g[p->gr->lab[l]] -= 1.0;
			for (uint32_t q = 0; q < x->nnz; q++) {
				const float *wr = m->w + (size_t)x->idx[q] * K;
				float v = x->val[q];
				for (uint32_t c = 0; c < K; c++)
					g[c] += (double)wr[c] * v;
			}
			double mn = INFINITY, mx = -INFINITY;
			for (uint32_t c = 0; c < K; c++) {
				if (ai[c] < 0 && g[c] < mn)
					mn = g[c];
				mx = fmax(mx, g[c]);
			}
			if (ai[yi] < C && g[yi] < mn)
				mn = g[yi];
			if (mx - mn <= 1e-12)
				continue;
			stop = fmax(stop, mx - mn);
			for (uint32_t c = 0; c < K; c++)
				b[c] = g[c] - A * ai[c];
			cs_sub(b, A, yi, C, K, d, an);
			for (uint32_t c = 0; c < K; c++) {
				double dv = an[c] - ai[c];
				ai[c] = an[c];
				if (fabs(dv) < 1e-12)
					continue;
				m->b[c] += (float)dv;
				for (uint32_t q = 0; q < x->nnz; q++)
					m->w[(size_t)x->idx[q] * K + c] += (float)(dv * x->val[q]);
			}
		}
		if (stop < SVM_EPS)
			break;
	}
	free(g);
	free(ord);
	return 0;
}

/* Trains p into m (allocated dim × n_cls): CS on this thread, OvR's classes on
 * `threads` threads (class c on thread c mod threads). */
static int solve(const struct svm_prob *p, struct nlu_linear *m, int threads)
{
	struct svm_job jobs[2];

	if (p->cs)
		return solve_cs(p, m);
	threads = threads > 1 && p->n_cls > 1 ? 2 : 1;
	for (int t = 0; t < threads; t++)
		jobs[t] = (struct svm_job){ p, m, (uint32_t)t, (uint32_t)threads, -1 };
	nlu_linear_pair(run_classes, &jobs[0], &jobs[1], threads);
	return jobs[0].rc || (threads == 2 && jobs[1].rc) ? -1 : 0;
}

/* Σ_i −log softmax(s · z_i)[y_i] and its first two derivatives in s. */
static double nll_at(const float *z, const int *y, size_t n, uint32_t K, double s,
		     double *g, double *h)
{
	double f = 0;
	*g = *h = 0;
	for (size_t i = 0; i < n; i++) {
		const float *zi = z + i * K;
		double mx = zi[0], sum = 0, m1 = 0, m2 = 0;
		for (uint32_t c = 1; c < K; c++)
			mx = fmax(mx, zi[c]);
		for (uint32_t c = 0; c < K; c++) {
			double e = exp(s * (zi[c] - mx));
			sum += e;
			m1 += e * zi[c];
			m2 += e * zi[c] * zi[c];
		}
		m1 /= sum;
		m2 /= sum;
		f += log(sum) - s * (zi[y[i]] - mx);
		*g += m1 - zi[y[i]];
		*h += m2 - m1 * m1;
	}
	return f;
}

/* The s > 0 minimising that NLL (Newton on a convex function of one variable, from
 * s = 1, at most 100 when the scores separate the examples). */
static double fit_scale(const float *z, const int *y, size_t n, uint32_t K)
{
	double s = 1.0, g, h;

	for (int it = 0; it < 50; it++) {
		nll_at(z, y, n, K, s, &g, &h);
		double next = h > 1e-12 ? s - g / h : s * 4;
		next = fmin(fmax(next, s / 4), fmin(s * 4, 100.0));
		if (fabs(next - s) < 1e-6 * s)
			return next;
		s = next;
	}
	return s;
}

/* Scores of examples xs[0..n) by m into z (n × n_cls). */
static void score_all(const struct nlu_linear *m, const struct nlu_sparse *xs, size_t n, float *z)
{
	for (size_t i = 0; i < n; i++)
		nlu_linear_logits(m, &xs[i], z + i * m->n_cls);
}

static size_t count_right(const float *z, const int *y, size_t n, uint32_t K)
{
	size_t right = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = 0;
		for (uint32_t c = 1; c < K; c++)
			if (z[i * K + c] > z[i * K + a])
				a = c;
		right += (int)a == y[i];
	}
	return right;
}

/* The α of a problem on the examples `keep` (n_keep of n) placed into a problem on all
 * n (zeros for the others), times ratio (a feasible warm start for C' = ratio · C). */
static void widen_alpha(const struct svm_prob *sub, const uint32_t *keep, double ratio,
			double *alpha, size_t n)
{
	uint32_t K = sub->n_cls;
	memset(alpha, 0, sizeof *alpha * n * K);
	for (size_t k = 0; k < sub->n; k++)
		for (uint32_t c = 0; c < K; c++) {
			double a = sub->alpha[sub->cs ? k * K + c : (size_t)c * sub->n + k];
			alpha[sub->cs ? (size_t)keep[k] * K + c : (size_t)c * n + keep[k]] = a * ratio;
		}
}

/* With svm_nb < 0: the naive Bayes term's λ among SVM_NB_GRID whose logits s·(SVM
 * margin) + λ·(NB log-likelihood), both fitted on the first n_fit of xf, have the least
 * NLL on the next n_hold (m: the SVM fitted there, unscaled; with svm_auto the grid's
 * last C, not necessarily the chosen one).  0 ok, -1 out of memory. */
static int choose_nb(const struct nlu_linear *m, const struct nlu_sparse *xf, const int *yf,
		     size_t n_fit, size_t n_hold, double s, double *lambda)
{
	uint32_t K = m->n_cls;
	struct nlu_linear t;
	float *z = malloc(sizeof *z * (n_hold ? n_hold : 1) * K);
	float *u = malloc(sizeof *u * (n_hold ? n_hold : 1) * K);
	float *v = malloc(sizeof *v * (n_hold ? n_hold : 1) * K);
	int rc = -1;

	if (!z || !u || !v || nlu_linear_alloc(&t, m->dim, K) ||
	    nlu_linear_add_nb(&t, xf, yf, n_fit, 1.0f, SVM_NB_SMOOTH)) {
		nlu_linear_free(&t);
		goto out;
	}
	score_all(m, xf + n_fit, n_hold, z);
	score_all(&t, xf + n_fit, n_hold, u);
	nlu_linear_free(&t);
	double best = INFINITY, g, h;
	for (size_t gi = 0; gi < sizeof SVM_NB_GRID / sizeof *SVM_NB_GRID; gi++) {
		double l = SVM_NB_GRID[gi];
		for (size_t k = 0; k < n_hold * K; k++)    /* the sum's logits, into v */
			v[k] = (float)(s * z[k] + l * u[k]);
		double f = nll_at(v, yf + n_fit, n_hold, K, 1.0, &g, &h);
		if (f < best) {
			best = f;
			*lambda = l;
		}
	}
	rc = 0;
out:
	free(z);
	free(u);
	free(v);
	return rc;
}

static int train_svm(struct nlu_linear *m, uint32_t dim, uint32_t n_cls,
		     const struct nlu_sparse *xs, const int *y, size_t n,
		     const struct nlu_linear_opts *o)
{
	size_t n_hold = n >= SVM_HOLD_MIN ? n / 10 : 0, n_fit = n - n_hold;
	double *sq = malloc(sizeof *sq * (n ? n : 1));
	double *alpha = calloc(n * n_cls + 1, sizeof *alpha);
	double *alpha_fit = calloc(n_fit * n_cls + 1, sizeof *alpha_fit);
	float *z = malloc(sizeof *z * (n ? n : 1) * n_cls);
	uint32_t *perm = malloc(sizeof *perm * (n ? n : 1));
	struct nlu_sparse *xf = malloc(sizeof *xf * (n ? n : 1));
	int *yf = malloc(sizeof *yf * (n ? n : 1)), rc = -1;
	uint64_t seed = o->seed ? o->seed : 0x2545f4914f6cdd1dull, split_seed = seed ^ 0x5851f42d4c957f2dull;
	struct svm_groups gr = { 0 }, grf = { 0 };
	double *cw = NULL;
	struct svm_prob p = { xs, y, &gr, sq, NULL, n, dim, n_cls, o->svm_c, o->svm_cs, seed, alpha };
	double s = 1.0, nb = o->svm_nb > 0 ? o->svm_nb : 0;

	if (nlu_linear_alloc(m, dim, n_cls) || !sq || !alpha || !alpha_fit || !z || !perm || !xf ||
	    !yf || groups_make(&gr, xs, y, n))
		goto out;
	if (o->balance > 0) {  /* class-weighted C from the label counts */
		if (!(cw = calloc(n_cls, sizeof *cw)))
			goto out;
		for (size_t i = 0; i < n; i++)
			cw[y[i]] += 1;
		for (uint32_t c = 0; c < n_cls; c++)
			cw[c] = cw[c] > 0 ? pow((double)n / (n_cls * cw[c]), o->balance) : 1;
		p.cw = cw;
	}
	for (size_t i = 0; i < n; i++) {
		double v = 1.0;
		for (uint32_t k = 0; k < xs[i].nnz; k++)
			v += (double)xs[i].val[k] * xs[i].val[k];
		sq[i] = v;
		perm[i] = (uint32_t)i;
	}
	if (n_hold) {
		/* perm: the fit examples first (in order), then the held-out tenth */
		double *sqf = malloc(sizeof *sqf * n_fit);
		uint32_t *hold = malloc(sizeof *hold * n);
		if (!sqf || !hold) {
			free(sqf);
			free(hold);
			goto out;
		}
		nlu_linear_shuffle(perm, n, &split_seed);
		for (size_t i = 0; i < n; i++)
			hold[i] = 0;
		for (size_t i = 0; i < n_hold; i++)
			hold[perm[i]] = 1;
		size_t a = 0, b = n_fit;
		for (size_t i = 0; i < n; i++)
			perm[hold[i] ? b++ : a++] = (uint32_t)i;
		for (size_t i = 0; i < n; i++) {
			xf[i] = xs[perm[i]];
			yf[i] = y[perm[i]];
			if (i < n_fit)
				sqf[i] = sq[perm[i]];
		}
		free(hold);
		if (groups_make(&grf, xf, yf, n_fit)) {
			free(sqf);
			goto out;
		}
		struct svm_prob pf = { xf, yf, &grf, sqf, cw, n_fit, dim, n_cls, o->svm_c,
				       o->svm_cs, seed, alpha_fit };
		size_t n_grid = o->svm_auto ? sizeof SVM_GRID / sizeof *SVM_GRID : 1;
		size_t best_right = 0;
		double best_nll = INFINITY, best_c = o->svm_c, prev_c = 0;
		for (size_t gi = 0; gi < n_grid; gi++) {
			double c = o->svm_auto ? SVM_GRID[gi] : o->svm_c, g, h;
			if (prev_c > 0)    /* warm: the last C's α, scaled */
				for (size_t k = 0; k < n_fit * n_cls; k++)
					alpha_fit[k] *= c / prev_c;
			pf.C = c;
			prev_c = c;
			if (solve(&pf, m, o->threads)) {
				free(sqf);
				goto out;
			}
			score_all(m, xf + n_fit, n_hold, z);
			size_t right = count_right(z, yf + n_fit, n_hold, n_cls);
			double sc = fit_scale(z, yf + n_fit, n_hold, n_cls);
			double nll = nll_at(z, yf + n_fit, n_hold, n_cls, sc, &g, &h);
			if (right > best_right || (right == best_right && nll < best_nll)) {
				best_right = right;
				best_nll = nll;
				best_c = c;
				s = sc;
			}
		}
		if (o->svm_nb < 0 && choose_nb(m, xf, yf, n_fit, n_hold, s, &nb)) {
			free(sqf);
			goto out;
		}
		/* warm start on all: the fit α of the last C, scaled to the chosen one */
		pf.C = prev_c;
		widen_alpha(&pf, perm, best_c / prev_c, alpha, n);
		p.C = best_c;
		free(sqf);
		if (solve(&p, m, o->threads))
			goto out;
	} else {
		if (solve(&p, m, o->threads))
			goto out;
		/* leave-one-out scores: example i's own share of w taken out */
		score_all(m, xs, n, z);
		for (size_t i = 0; i < n; i++)
			for (uint32_t c = 0; c < n_cls; c++) {
				double a = o->svm_cs ? alpha[i * n_cls + c] :
					alpha[(size_t)c * n + i] * (right_label(&p, i, c) ? 1.0 : -1.0);
				z[i * n_cls + c] -= (float)(a * sq[i]);
			}
		s = fit_scale(z, y, n, n_cls);
	}
	for (size_t i = 0; i < (size_t)dim * n_cls; i++)
		m->w[i] *= (float)s;
	for (uint32_t c = 0; c < n_cls; c++)
		m->b[c] *= (float)s;
	if (nb > 0 && nlu_linear_add_nb(m, xs, y, n, (float)nb, SVM_NB_SMOOTH))
		goto out;
	rc = 0;
out:
	free(sq);
	free(alpha);
	free(alpha_fit);
	free(z);
	free(perm);
	free(xf);
	free(yf);
	groups_free(&gr);
	groups_free(&grf);
	free(cw);
	if (rc)
		nlu_linear_free(m);
	return rc;
}

int nlu_linear_train(struct nlu_linear *m, uint32_t dim, uint32_t n_cls,
		     const struct nlu_sparse *xs, const int *y, size_t n,
		     const struct nlu_linear_opts *o)
{
	if (o->svm_c > 0)
		return train_svm(m, dim, n_cls, xs, y, n, o);
	return nlu_linear_train_sgd(m, dim, n_cls, xs, y, n, o);   /* linear.c */
}
