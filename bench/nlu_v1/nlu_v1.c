/* bench/nlu_v1/nlu_v1.c — measures the BM25 bot (nlu/ first version) on a
 * `text,category` CSV such as BANKING77: accuracy, calibrated confidence against the
 * threshold, load time and query time.
 *
 * Protocol: per category, the examples are shuffled with a fixed seed and split into
 * `folds` parts; for each fold, one part per category is held out (20 % with 5 folds),
 * the rest becomes the bot's examples (one answer per category, titled after it), and
 * every held-out text is asked.  Figures are over all folds, so every example is asked
 * once.  `--fit` also fits the confidence coefficients (logistic regression of "top
 * answer correct" on the ranking's evidence, coefficients kept >= 0 so confidence stays
 * monotone) and prints them with the figures they would give.
 *
 * With `--clinc train_val.json` the CLINC150 train split is indexed and its val split
 * plus the out-of-scope rows (oos_val, oos_train) are asked: an out-of-scope query has
 * no right answer, so a calibrated confidence must learn to stay low for it.
 *
 * `--small D` (with --clinc) adds D small answer stores like a real FAQ: 15 random
 * intents with 10 training examples each; their val queries are in scope, val queries
 * of other intents (up to 300 per draw) and the oos rows are out of scope.
 *
 * Usage: nlu_v1 [CSV | --clinc JSON [--small D]] [--folds N] [--k1 X] [--b X] [--stop 0|1]
 *               [--titles 0|1] [--bigrams 0|1] [--knn K] [--knnw W] [--temp T]
 *               [--c0 X --ccov X --cmargin X --cprob X] [--fit]
 * Single-threaded; prints a plain-text report.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "csv.h"
#include "file.h"
#include "nlu_int.h"
#include "rng.h"

struct sample {
	int n;
	double score[NLU_RANK_MAX];
	double cov;
	int correct;        /* top answer right */
	int in_quick;       /* right answer among the first NLU_MAX_QUICK */
	int oos;            /* out of scope: no right answer (CLINC150 "oos") */
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	return cm_xorshift64(&rng);
}

/* ---- calibration fit: logistic regression by Newton's method ------------------------ */

#define NF 4   /* 1, cov, s1 - s2, p1 */

static void features(const struct nlu_params *p, const struct sample *s, double x[NF])
{
	double s1 = s->n ? s->score[0] : 0, s2 = s->n > 1 ? s->score[1] : 0, z = 1;

	for (int i = 1; i < s->n; i++)
		z += exp((s->score[i] - s1) / p->temp);
	x[0] = 1;
	x[1] = s->cov;
	x[2] = s1 - s2;
	x[3] = s->n ? 1.0 / z : 0;
}

/* Solves a[NF][NF] w = b for the active features (Gaussian elimination). */
static int solve(double a[NF][NF], double b[NF], const int *act, double *w)
{
	int m = 0, ix[NF];
	double A[NF][NF + 1];

	for (int i = 0; i < NF; i++)
		if (act[i])
			ix[m++] = i;
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < m; j++)
			A[i][j] = a[ix[i]][ix[j]];
		A[i][m] = b[ix[i]];
	}
	for (int c = 0; c < m; c++) {
		int piv = c;
		for (int r = c + 1; r < m; r++)
			if (fabs(A[r][c]) > fabs(A[piv][c]))
				piv = r;
		if (fabs(A[piv][c]) < 1e-12)
			return -1;
		for (int k = 0; k <= m; k++) {
			double t = A[c][k];
			A[c][k] = A[piv][k];
			A[piv][k] = t;
		}
		for (int r = 0; r < m; r++) {
			if (r == c)
				continue;
			double f = A[r][c] / A[c][c];
			for (int k = c; k <= m; k++)
				A[r][k] -= f * A[c][k];
		}
	}
	for (int i = 0; i < NF; i++)
		w[i] = 0;
	for (int i = 0; i < m; i++)
		w[ix[i]] = A[i][m] / A[i][i];
	return 0;
}

/* Fits c0, c_cov, c_margin, c_prob of p on samples; returns the mean log loss. */
static double fit(struct nlu_params *p, const struct sample *s, size_t n)
{
	int act[NF] = { 1, 1, 1, 1 };
	double w[NF] = { 0 }, ll = 0;

	for (int round = 0; round < NF; round++) {
		for (int i = 0; i < NF; i++)
			w[i] = 0;
		for (int it = 0; it < 50; it++) {
			double H[NF][NF] = { { 0 } }, g[NF] = { 0 }, x[NF], step[NF];
			for (size_t k = 0; k < n; k++) {
				features(p, &s[k], x);
				double z = 0;
				for (int i = 0; i < NF; i++)
					z += w[i] * x[i];
				double q = 1 / (1 + exp(-z)), r = q * (1 - q);
				for (int i = 0; i < NF; i++) {
					g[i] += (q - s[k].correct) * x[i];
					for (int j = 0; j < NF; j++)
						H[i][j] += r * x[i] * x[j];
				}
			}
			for (int i = 0; i < NF; i++)
				H[i][i] += 1e-6 * n;   /* a whisper of ridge keeps H invertible */
			if (solve(H, g, act, step))
				break;
			double mx = 0;
			for (int i = 0; i < NF; i++) {
				w[i] -= step[i];
				mx = fmax(mx, fabs(step[i]));
			}
			if (mx < 1e-9)
				break;
		}
		/* Keep confidence monotone: drop a feature whose weight came out negative. */
		int neg = 0;
		for (int i = 1; i < NF; i++)
			if (act[i] && w[i] < 0) {
				act[i] = 0;
				neg = 1;
			}
		if (!neg)
			break;
	}
	p->c0 = w[0];
	p->c_cov = w[1];
	p->c_margin = w[2];
	p->c_prob = w[3];
	for (size_t k = 0; k < n; k++) {
		double c = nlu_confidence(p, s[k].score, s[k].n, s[k].cov);
		c = fmin(fmax(c, 1e-12), 1 - 1e-12);
		ll -= s[k].correct ? log(c) : log(1 - c);
	}
	return ll / (double)n;
}

/* ---- report ------------------------------------------------------------------------- */

static void report(const struct nlu_params *p, const struct sample *s, size_t n)
{
	static const double thr[] = { 0.0, 0.2, 0.35, 0.5, 0.7, 0.9 };
	size_t correct = 0, quick = 0, n_in = 0, n_oos = 0;
	double ll = 0, brier = 0;

	for (size_t k = 0; k < n; k++) {
		n_oos += (size_t)s[k].oos;
		n_in += (size_t)!s[k].oos;
		correct += (size_t)s[k].correct;
		quick += (size_t)s[k].in_quick;
		double c = nlu_confidence(p, s[k].score, s[k].n, s[k].cov);
		brier += (c - s[k].correct) * (c - s[k].correct);
		c = fmin(fmax(c, 1e-12), 1 - 1e-12);
		ll -= s[k].correct ? log(c) : log(1 - c);
	}
	printf("  accuracy (top 1, in scope)  %6.2f %%   (n = %zu in scope, %zu out of scope)\n",
	       n_in ? 100.0 * correct / n_in : 0.0, n_in, n_oos);
	printf("  right answer in top %d       %6.2f %%\n", NLU_MAX_QUICK,
	       n_in ? 100.0 * quick / n_in : 0.0);
	printf("  log loss %.4f   Brier %.4f   (target: top answer right)\n", ll / n, brier / n);
	printf("  threshold  answered  acc(answered)  fallback: right quick reply  oos fallback\n");
	for (size_t t = 0; t < sizeof thr / sizeof thr[0]; t++) {
		size_t ans = 0, ok = 0, fb = 0, fbq = 0, oos_fb = 0;
		for (size_t k = 0; k < n; k++) {
			double c = nlu_confidence(p, s[k].score, s[k].n, s[k].cov);
			if (c >= thr[t]) {
				ans++;
				ok += (size_t)s[k].correct;
			} else if (s[k].oos) {
				oos_fb++;
			} else {
				fb++;
				fbq += (size_t)s[k].in_quick;
			}
		}
		printf("  %9.2f  %7.2f %%  %11.2f %%  %15.2f %%  ", thr[t], 100.0 * ans / n,
		       ans ? 100.0 * ok / ans : 0.0, fb ? 100.0 * fbq / fb : 0.0);
		if (n_oos)
			printf("%10.2f %%\n", 100.0 * oos_fb / n_oos);
		else
			printf("%10s\n", "-");
	}
	printf("  reliability: confidence bin -> mean confidence, accuracy, count\n");
	for (int b = 0; b < 5; b++) {
		double lo = b * 0.2, hi = lo + 0.2, sc = 0;
		size_t cnt = 0, ok = 0;
		for (size_t k = 0; k < n; k++) {
			double c = nlu_confidence(p, s[k].score, s[k].n, s[k].cov);
			if (c >= lo && (c < hi || (b == 4 && c <= 1.0))) {
				cnt++;
				sc += c;
				ok += (size_t)s[k].correct;
			}
		}
		printf("    [%.1f,%.1f)  %.3f  %6.2f %%  %zu\n", lo, hi, cnt ? sc / cnt : 0,
		       cnt ? 100.0 * ok / cnt : 0.0, cnt);
	}
}

/* ---- data sets ---------------------------------------------------------------------- */

struct query {
	const char *text;
	int gold;             /* answer id, 0 = out of scope */
	int fold;             /* CSV mode: the fold that holds it out */
};

struct dataset {
	struct nlu_answer_in *ans;   /* one per category, id = index + 1 */
	char **cats, **titles;
	int n_cats;
	struct query *rows;          /* CSV: every row; CLINC: train rows */
	size_t n_rows;
	struct query *tests;         /* CLINC: val + out-of-scope rows */
	size_t n_tests;
	char **strings;              /* every copied string, for freeing */
	size_t n_strings;
	char *file;
	void *json;
};

static char *keep(struct dataset *d, const char *s)
{
	d->strings = realloc(d->strings, (d->n_strings + 1) * sizeof *d->strings);
	return d->strings[d->n_strings++] = strdup(s);
}

static int category(struct dataset *d, const char *name)
{
	for (int c = 0; c < d->n_cats; c++)
		if (!strcmp(d->cats[c], name))
			return c;
	d->cats = realloc(d->cats, (size_t)(d->n_cats + 1) * sizeof *d->cats);
	d->cats[d->n_cats] = keep(d, name);
	return d->n_cats++;
}

static void push(struct query **v, size_t *n, const char *text, int gold)
{
	if ((*n & (*n - 1)) == 0)   /* grow at powers of two */
		*v = realloc(*v, (*n ? 2 * *n : 1) * sizeof **v);
	(*v)[(*n)++] = (struct query){ text, gold, 0 };
}

/* A `text,category` CSV with a header line. */
static int load_csv(struct dataset *d, const char *path)
{
	size_t len;
	struct cm_csv csv;
	int rc;

	d->file = cm_read_file(path, &len);
	if (!d->file) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	cm_csv_init(&csv, d->file, len);
	while ((rc = cm_csv_next(&csv)) == 1) {
		if (csv.n_fields < 2 || (csv.line == 1 && !strcmp(csv.fields[1], "category")))
			continue;
		int c = category(d, csv.fields[1]);
		push(&d->rows, &d->n_rows, keep(d, csv.fields[0]), c + 1);
	}
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", path, csv.err);
	cm_csv_free(&csv);
	return rc < 0 ? -1 : 0;
}

/* CLINC150 train_val.json: train indexed, val and oos_val + oos_train asked. */
static int load_clinc(struct dataset *d, const char *path)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e);
	static const char *const parts[] = { "train", "val", "oos_val", "oos_train" };

	if (!root) {
		fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
		return -1;
	}
	d->json = root;
	for (int p = 0; p < 4; p++) {
		json_t *arr = json_object_get(root, parts[p]), *it;
		size_t i;
		json_array_foreach(arr, i, it) {
			const char *text = json_string_value(json_array_get(it, 0));
			const char *intent = json_string_value(json_array_get(it, 1));
			if (!text || !intent)
				continue;
			if (p == 0)
				push(&d->rows, &d->n_rows, text, category(d, intent) + 1);
			else
				push(&d->tests, &d->n_tests, text,
				     p == 1 ? category(d, intent) + 1 : 0);
		}
	}
	return 0;
}

static void make_answers(struct dataset *d)
{
	d->ans = calloc((size_t)d->n_cats, sizeof *d->ans);
	d->titles = calloc((size_t)d->n_cats, sizeof *d->titles);
	for (int c = 0; c < d->n_cats; c++) {
		char *t = d->titles[c] = keep(d, d->cats[c]);   /* "card_arrival" -> "Card arrival" */
		for (char *q = t; *q; q++)
			if (*q == '_')
				*q = ' ';
		if (t[0] >= 'a' && t[0] <= 'z')
			t[0] = (char)(t[0] - 32);
		d->ans[c] = (struct nlu_answer_in){ c + 1, t, d->cats[c], "en" };
	}
}

static void dataset_free(struct dataset *d)
{
	for (size_t i = 0; i < d->n_strings; i++)
		free(d->strings[i]);
	free(d->strings);
	free(d->cats);
	free(d->titles);
	free(d->ans);
	free(d->rows);
	free(d->tests);
	free(d->file);
	if (d->json)
		json_decref(d->json);
}

/* ---- evaluation --------------------------------------------------------------------- */

struct timing {
	double build_us, rank_us;
	size_t builds, ranks;
};

/* Builds a bot of the answers ans[0..n_ans) over ex[0..ne), ranks q[0..nq) (those with fold == fold, or all when
 * fold < 0) and appends a sample per query to smp. */
static int evaluate(const struct nlu_answer_in *ans, size_t n_ans, const struct nlu_params *p,
		    const struct nlu_example_in *ex, size_t ne, const struct query *q,
		    size_t nq, int fold, struct sample *smp, size_t *n_smp, struct timing *tm)
{
	struct nlu_opts opts = { .threshold = 0.35 };
	char err[200];
	uint64_t t0 = cm_now_us();
	struct nlu_bot *bot = nlu_bot_build(ans, n_ans, ex, ne, &opts, p, err, sizeof err);

	tm->build_us += (double)(cm_now_us() - t0);
	tm->builds++;
	if (!bot) {
		fprintf(stderr, "build: %s\n", err);
		return -1;
	}
	struct nlu_state *st = nlu_state_create(bot);
	t0 = cm_now_us();
	for (size_t i = 0; i < nq; i++) {
		if (fold >= 0 && q[i].fold != fold)
			continue;
		struct nlu_rank r;
		struct sample *s = &smp[(*n_smp)++];
		nlu_bot_rank(bot, st, q[i].text, strlen(q[i].text), &r);
		memset(s, 0, sizeof *s);
		s->n = r.n;
		s->oos = q[i].gold == 0;
		s->cov = r.coverage;
		for (int k = 0; k < r.n; k++)
			s->score[k] = r.score[k];
		s->correct = r.n > 0 && bot->answers[r.idx[0]].id == q[i].gold;
		for (int k = 0; k < r.n && k < NLU_MAX_QUICK; k++)
			s->in_quick |= bot->answers[r.idx[k]].id == q[i].gold;
		tm->ranks++;
	}
	tm->rank_us += (double)(cm_now_us() - t0);
	nlu_state_destroy(st);
	nlu_bot_unref(bot);
	return 0;
}

#define SMALL_INTENTS 15
#define SMALL_EXAMPLES 10
#define SMALL_OTHER 300
#define SMALL_QUERIES 3200    /* room per draw (at most: every test row) */

static void shuffle(size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = next_rand() % i, t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* CLINC small-store draws (see the head of this file); appends samples. */
static int small_stores(const struct dataset *d, const struct nlu_params *p, int draws,
			struct sample *smp, size_t *n_smp, struct timing *tm)
{
	size_t *cats = malloc((size_t)d->n_cats * sizeof *cats);
	size_t *rows = malloc(d->n_rows * sizeof *rows);
	struct nlu_answer_in ans[SMALL_INTENTS];
	struct nlu_example_in ex[SMALL_INTENTS * SMALL_EXAMPLES];
	struct query *q = malloc(d->n_tests * sizeof *q);
	int rc = 0;

	for (int draw = 0; draw < draws && rc == 0; draw++) {
		char chosen[1024] = { 0 };
		size_t ne = 0, nq = 0, other = 0;
		for (size_t c = 0; c < (size_t)d->n_cats; c++)
			cats[c] = c;
		shuffle(cats, (size_t)d->n_cats);
		for (int j = 0; j < SMALL_INTENTS; j++) {
			int c = (int)cats[j];
			size_t m = 0;
			ans[j] = d->ans[c];
			chosen[c + 1] = 1;
			for (size_t i = 0; i < d->n_rows; i++)
				if (d->rows[i].gold == c + 1)
					rows[m++] = i;
			shuffle(rows, m);
			for (size_t i = 0; i < m && i < SMALL_EXAMPLES; i++)
				ex[ne++] = (struct nlu_example_in){ c + 1, d->rows[rows[i]].text };
		}
		for (size_t i = 0; i < d->n_tests; i++) {
			int g = d->tests[i].gold;
			if (g && !chosen[g]) {
				if (other >= SMALL_OTHER || next_rand() % 9)
					continue;
				other++;
				g = 0;
			}
			q[nq++] = (struct query){ d->tests[i].text, g, 0 };
		}
		rc = evaluate(ans, SMALL_INTENTS, p, ex, ne, q, nq, -1, smp, n_smp, tm);
	}
	free(cats);
	free(rows);
	free(q);
	return rc;
}

static void fit_and_check(const struct nlu_params *p, const struct sample *smp, size_t n)
{
	static const double temps[] = { 0.02, 0.05, 0.1, 0.2, 0.5 };
	struct nlu_params best = *p;
	double best_ll = INFINITY;

	for (size_t t = 0; t < sizeof temps / sizeof temps[0]; t++) {
		struct nlu_params q = *p;
		q.temp = temps[t];
		double ll = fit(&q, smp, n);
		printf("fit temp %.2f: c0 %.4f cov %.4f margin %.4f prob %.4f  log loss %.4f\n",
		       q.temp, q.c0, q.c_cov, q.c_margin, q.c_prob, ll);
		if (ll < best_ll) {
			best_ll = ll;
			best = q;
		}
	}
	/* Honest check: fit on the odd samples, report on the even ones. */
	struct sample *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	size_t na = 0, nb = 0;
	for (size_t k = 0; k < n; k++) {
		if (k % 2)
			a[na++] = smp[k];
		else
			b[nb++] = smp[k];
	}
	fit(&best, a, na);
	printf("\nbest temperature %.2f, fitted on odd samples (c0 %.3f cov %.3f margin %.3f "
	       "prob %.3f), reported on even ones:\n", best.temp, best.c0, best.c_cov,
	       best.c_margin, best.c_prob);
	report(&best, b, nb);
	free(a);
	free(b);
}

int main(int argc, char **argv)
{
	const char *path = KEFU_SRCDIR "/store/demo/banking77.csv", *clinc = NULL;
	int folds = 5, do_fit = 0, small = 0;
	struct nlu_params p;
	struct dataset d = { 0 };
	struct timing tm = { 0 };

	nlu_params_default(&p);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--fit")) { do_fit = 1; continue; }
		if (a[0] != '-') { path = a; continue; }
		if (!v) { fprintf(stderr, "%s needs a value\n", a); return 2; }
		i++;
		if (!strcmp(a, "--folds")) folds = atoi(v);
		else if (!strcmp(a, "--clinc")) clinc = v;
		else if (!strcmp(a, "--small")) small = atoi(v);
		else if (!strcmp(a, "--k1")) p.k1 = atof(v);
		else if (!strcmp(a, "--b")) p.b = atof(v);
		else if (!strcmp(a, "--stop")) p.skip_stop = atoi(v);
		else if (!strcmp(a, "--titles")) p.index_titles = atoi(v);
		else if (!strcmp(a, "--bigrams")) p.word_bigrams = atoi(v);
		else if (!strcmp(a, "--knn")) p.knn_k = atoi(v);
		else if (!strcmp(a, "--knnw")) p.knn_weight = atof(v);
		else if (!strcmp(a, "--temp")) p.temp = atof(v);
		else if (!strcmp(a, "--c0")) p.c0 = atof(v);
		else if (!strcmp(a, "--ccov")) p.c_cov = atof(v);
		else if (!strcmp(a, "--cmargin")) p.c_margin = atof(v);
		else if (!strcmp(a, "--cprob")) p.c_prob = atof(v);
		else { fprintf(stderr, "unknown option %s\n", a); return 2; }
	}
	if (folds < 2)
		folds = 2;
	if (clinc ? load_clinc(&d, clinc) : load_csv(&d, path)) {
		dataset_free(&d);
		return 1;
	}
	make_answers(&d);
	printf("nlu_v1: %s: %zu indexed rows, %zu test rows, %d categories\n",
	       clinc ? clinc : path, d.n_rows, d.n_tests, d.n_cats);
	printf("params: k1 %.2f b %.2f stop %d titles %d bigrams %d knn %d x %.2f\n",
	       p.k1, p.b, p.skip_stop, p.index_titles, p.word_bigrams, p.knn_k, p.knn_weight);

	size_t n_all = d.n_rows + d.n_tests + (size_t)small * SMALL_QUERIES, n_smp = 0;
	size_t n_full = 0;
	struct nlu_example_in *ex = malloc(n_all * sizeof *ex);
	struct sample *smp = calloc(n_all, sizeof *smp);
	if (clinc) {
		for (size_t i = 0; i < d.n_rows; i++)
			ex[i] = (struct nlu_example_in){ d.rows[i].gold, d.rows[i].text };
		if (evaluate(d.ans, (size_t)d.n_cats, &p, ex, d.n_rows, d.tests, d.n_tests, -1,
			     smp, &n_smp, &tm))
			return 1;
		printf("\nval + out-of-scope queries against the train split:\n");
		n_full = n_smp;
		if (small > 0 && small_stores(&d, &p, small, smp, &n_smp, &tm))
			return 1;
	} else {
		/* Folds: per category, a seeded shuffle dealt round-robin. */
		size_t *order = malloc(d.n_rows * sizeof *order);
		for (int c = 1; c <= d.n_cats; c++) {
			size_t m = 0;
			for (size_t i = 0; i < d.n_rows; i++)
				if (d.rows[i].gold == c)
					order[m++] = i;
			for (size_t i = m; i > 1; i--) {
				size_t j = next_rand() % i, t = order[i - 1];
				order[i - 1] = order[j];
				order[j] = t;
			}
			for (size_t i = 0; i < m; i++)
				d.rows[order[i]].fold = (int)(i % (size_t)folds);
		}
		free(order);
		for (int f = 0; f < folds; f++) {
			size_t ne = 0;
			for (size_t i = 0; i < d.n_rows; i++)
				if (d.rows[i].fold != f)
					ex[ne++] = (struct nlu_example_in){ d.rows[i].gold,
									    d.rows[i].text };
			if (evaluate(d.ans, (size_t)d.n_cats, &p, ex, ne, d.rows, d.n_rows, f, smp,
				     &n_smp, &tm))
				return 1;
		}
		printf("\nheld out 1/%d per category, %d folds (every row asked once):\n", folds,
		       folds);
	}
	printf("confidence: c0 %.3f cov %.3f margin %.3f prob %.3f temp %.3f\n", p.c0, p.c_cov,
	       p.c_margin, p.c_prob, p.temp);
	if (n_full && n_full < n_smp) {
		report(&p, smp, n_full);
		printf("\nsmall stores (%d draws of %d intents x %d examples; other intents' "
		       "val queries and oos are out of scope):\n", small, SMALL_INTENTS,
		       SMALL_EXAMPLES);
		report(&p, smp + n_full, n_smp - n_full);
		printf("\nboth together:\n");
	}
	report(&p, smp, n_smp);
	printf("  build %.1f ms per bot, rank %.1f us per query\n",
	       tm.build_us / 1000.0 / (double)tm.builds, tm.rank_us / (double)tm.ranks);
	if (do_fit)
		fit_and_check(&p, smp, n_smp);

	/* Every row indexed: load time, then reply time through the public call. */
	for (size_t i = 0; i < d.n_rows; i++)
		ex[i] = (struct nlu_example_in){ d.rows[i].gold, d.rows[i].text };
	struct nlu_opts opts = { .threshold = 0.35 };
	char err[200];
	uint64_t t0 = cm_now_us();
	struct nlu_bot *bot = nlu_bot_build(d.ans, (size_t)d.n_cats, ex, d.n_rows, &opts, &p,
					    err, sizeof err);
	double build_ms = (double)(cm_now_us() - t0) / 1000.0;
	struct nlu_state *st = bot ? nlu_state_create(bot) : NULL;
	if (!st) {
		fprintf(stderr, "build: %s\n", err);
		return 1;
	}
	struct nlu_reply r;
	size_t asked = 0;
	t0 = cm_now_us();
	for (int rep = 0; rep < 3; rep++)
		for (size_t i = 0; i < d.n_rows; i++, asked++)
			nlu_bot_reply(bot, st, d.rows[i].text, strlen(d.rows[i].text), &r);
	double us = (double)(cm_now_us() - t0) / (double)asked;
	printf("\nall %zu rows indexed in %.1f ms (%s); nlu_bot_reply %.1f us per query over "
	       "%zu queries\n", d.n_rows, build_ms, nlu_bot_describe(bot), us, asked);
	nlu_state_destroy(st);
	nlu_bot_unref(bot);
	free(ex);
	free(smp);
	dataset_free(&d);
	return 0;
}
