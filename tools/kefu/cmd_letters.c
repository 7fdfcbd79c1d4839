/* tools/kefu/cmd_letters.c — `kefu letters-train`: the letter classifier of the spelling pass
 * (speech/letters.c, docs/speech.md "Eighth round") trained from aligned letter segments.
 *
 *   kefu letters-train --data ROWS.tsv [--out MODEL] [--parts N] [--ctx N] [--onset N]
 *                      [--hidden N]
 *                      [--epochs N] [--lr X] [--l2 X] [--lambda X] [--tau X] [--matched-only]
 *                      [--jitter N] [--stretch X]
 *                      [--folds K [--eval ROWS.tsv] [--any] --cv-out FILE] [--note TEXT]
 *
 * ROWS.tsv (speech/letters_data.py writes it from `kefu eval-speech --letters-dump` and the
 * manifest's transcripts): speaker, clip, label (the transcript's word), matched (1 when
 * the decoder's word was that word), the decoder's word, its posterior, the window's frame
 * count, the word's first and last frame in it, and the window's cepstra.  Rows whose label
 * is no class are skipped.  With --folds K the speakers are dealt into K folds (in order of
 * first appearance) and each fold is classified by a model trained on the others: the
 * held-out accuracy is printed, and with --cv-out each held-out row's posteriors are
 * written (for the relabelling rule's choice).  --eval ROWS.tsv: the held-out rows are that
 * file's instead (each row in the fold of its speaker among --data's; speakers --data lacks
 * are not scored): a model trained on one decoding of the clips (the entity model holding
 * their transcripts) scored on another (a cross-validated entity model that does not: the
 * errors new speakers make, docs/speech.md "Tenth round"); the rule relabels a word only as
 * one that sounds like it (asr_letters_alike), or with --any as any class (the eighth
 * round's rule).  With --out one model of every row is
 * written, --note and the command line as its provenance.  --jitter N and --stretch X add
 * perturbed copies of --data's rows (never of --eval's): the word's first and last frame
 * each moved by -N, 0 or +N frames (8 copies: the search's boundaries are what a new
 * speaker's word is cut at, and they move), and the window's frames resampled at tempo
 * 1 - X and 1 + X by linear interpolation (2 copies: a slower and a faster speaker).
 * A louder or softer clip needs no copy: the segment's mean is taken out of its cepstra
 * (letters.c), which removes a gain.  docs/speech.md "Thirteenth round".
 *
 * Runs on the main thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "cmd_eval.h"
#include "speech.h"
#include "tensor.h"

#define PROG "kefu letters-train"

struct rows {
	size_t n, cap;
	float *x;                  /* n × dim features */
	int *y, *dec, *spk, *matched;
	float *conf;
	char **speakers;           /* distinct, in order of appearance */
	size_t n_spk;
	char **clip;               /* each row's clip id (owned) */
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n_spk; i++)
		free(r->speakers[i]);
	for (size_t i = 0; i < r->n; i++)
		free(r->clip[i]);
	free(r->speakers);
	free(r->clip);
	free(r->x);
	free(r->y);
	free(r->dec);
	free(r->spk);
	free(r->matched);
	free(r->conf);
}

/* The index of speaker s among r's, or -1. */
static int speaker_find(const struct rows *r, const char *s)
{
	for (size_t i = 0; i < r->n_spk; i++)
		if (!strcmp(r->speakers[i], s))
			return (int)i;
	return -1;
}

static int speaker_id(struct rows *r, const char *s)
{
	for (size_t i = 0; i < r->n_spk; i++)
		if (!strcmp(r->speakers[i], s))
			return (int)i;
	char **ns = realloc(r->speakers, (r->n_spk + 1) * sizeof *ns);
	if (!ns)
		return -1;
	r->speakers = ns;
	if (!(ns[r->n_spk] = strdup(s)))
		return -1;
	return (int)r->n_spk++;
}

/* The perturbed copies of a row --jitter and --stretch ask for (zero: none). */
struct augment {
	int jitter;
	float stretch;
};

/* Room for one more row in r (its arrays grow side by side: common/buf.h); 0, or -1 when
 * out of memory, r's arrays as they were or moved, the capacity unchanged. */
static int rows_grow(struct rows *r, int dim)
{
	if (r->n < r->cap)
		return 0;
	size_t cap = cm_grow_cap(r->cap, r->n + 1, 1024, (size_t)dim * sizeof *r->x);
	float *nx = cap ? cm_realloc_n(r->x, cap * (size_t)dim, sizeof *nx) : NULL;
	r->x = nx ? nx : r->x;
	int *a = cap ? cm_realloc_n(r->y, cap, sizeof *a) : NULL;
	r->y = a ? a : r->y;
	int *b = cap ? cm_realloc_n(r->dec, cap, sizeof *b) : NULL;
	r->dec = b ? b : r->dec;
	int *c = cap ? cm_realloc_n(r->spk, cap, sizeof *c) : NULL;
	r->spk = c ? c : r->spk;
	int *m = cap ? cm_realloc_n(r->matched, cap, sizeof *m) : NULL;
	r->matched = m ? m : r->matched;
	float *cf = cap ? cm_realloc_n(r->conf, cap, sizeof *cf) : NULL;
	r->conf = cf ? cf : r->conf;
	char **cl = cap ? cm_realloc_n(r->clip, cap, sizeof *cl) : NULL;
	r->clip = cl ? cl : r->clip;
	if (!(nx && a && b && c && m && cf && cl))
		return -1;
	r->cap = cap;
	return 0;
}

/* Appends a copy of row i (its labels, speaker and clip) with features x. */
static int rows_copy(struct rows *r, int dim, size_t i, const float *x)
{
	if (rows_grow(r, dim) || !(r->clip[r->n] = strdup(r->clip[i])))
		return -1;
	memcpy(r->x + r->n * (size_t)dim, x, (size_t)dim * sizeof *x);
	r->y[r->n] = r->y[i];
	r->dec[r->n] = r->dec[i];
	r->spk[r->n] = r->spk[i];
	r->matched[r->n] = r->matched[i];
	r->conf[r->n] = r->conf[i];
	r->n++;
	return 0;
}

/* Adds row i's perturbed copies (struct augment) from its window cep[nw] and word sf..ef;
 * tmp holds 2 * nw frames.  0, or -1 when out of memory. */
static int rows_augment(struct rows *r, const struct asr_letters_shape *sh, size_t i,
			const float *cep, int nw, int sf, int ef, const struct augment *a,
			float *tmp)
{
	int dim = asr_letters_dim(sh);
	float *x = malloc((size_t)dim * sizeof *x);
	if (!x)
		return -1;
	for (int ds = -1; a->jitter && ds <= 1; ds++)
		for (int de = -1; de <= 1; de++) {
			int s0 = sf + ds * a->jitter, e0 = ef + de * a->jitter;
			if ((!ds && !de) || s0 < 0 || e0 >= nw || e0 < s0)
				continue;
			asr_letters_feature(cep, nw, s0, e0, sh, x);
			if (rows_copy(r, dim, i, x))
				goto oom;
		}
	for (int sign = -1; a->stretch > 0 && sign <= 1; sign += 2) {
		float rate = 1 + (float)sign * a->stretch;  /* source frames per output frame */
		int n2 = (int)((float)(nw - 1) / rate) + 1;
		if (n2 < 1 || n2 > 2 * nw)
			continue;
		for (int t = 0; t < n2; t++) {
			float u = (float)t * rate;
			int t0 = (int)u, t1 = t0 + 1 < nw ? t0 + 1 : t0;
			float f = u - (float)t0;
			for (int k = 0; k < ASR_LETTERS_NCEP; k++)
				tmp[(size_t)t * ASR_LETTERS_NCEP + k] =
					(1 - f) * cep[(size_t)t0 * ASR_LETTERS_NCEP + k] +
					f * cep[(size_t)t1 * ASR_LETTERS_NCEP + k];
		}
		int s2 = (int)lroundf((float)sf / rate), e2 = (int)lroundf((float)ef / rate);
		e2 = e2 >= n2 ? n2 - 1 : e2 < s2 ? s2 : e2;
		asr_letters_feature(tmp, n2, s2, e2, sh, x);
		if (rows_copy(r, dim, i, x))
			goto oom;
	}
	free(x);
	return 0;
oom:
	free(x);
	return -1;
}

/* Reads ROWS.tsv into r with features of shape sh, with a's perturbed copies of each row.
 * 0, or -1 with a message. */
static int read_rows(const char *path, const struct asr_letters_shape *sh, int matched_only,
		     const struct augment *a, struct rows *r)
{
	int dim = asr_letters_dim(sh);
	FILE *f = fopen(path, "r");
	char *line = NULL, *save;
	size_t cap = 0, lineno = 0;
	float *cep = NULL;
	size_t cep_cap = 0;
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		char *col[10];
		int nc = 0;
		for (char *t = strtok_r(line, "\t\n", &save); t && nc < 10;
		     t = strtok_r(NULL, "\t\n", &save))
			col[nc++] = t;
		if (nc < 10)
			goto bad;
		int y = asr_letters_class(col[2]), nw = atoi(col[6]), sf = atoi(col[7]);
		int ef = atoi(col[8]);
		if (y < 0 || (matched_only && atoi(col[3]) != 1))
			continue;
		if (nw <= 0 || nw > 100000 || sf < 0 || ef < sf || ef >= nw)
			goto bad;
		if ((size_t)nw * ASR_LETTERS_NCEP * 3 > cep_cap) {   /* the window, tmp */
			float *nb = realloc(cep, (cep_cap = (size_t)nw * ASR_LETTERS_NCEP * 3) *
						 sizeof *nb);
			if (!nb)
				goto bad;
			cep = nb;
		}
		char *p = col[9], *end;
		for (size_t i = 0; i < (size_t)nw * ASR_LETTERS_NCEP; i++, p = end) {
			cep[i] = strtof(p, &end);
			if (end == p)
				goto bad;
		}
		if (rows_grow(r, dim))
			goto bad;
		int s = speaker_id(r, col[0]);
		if (s < 0 || !(r->clip[r->n] = strdup(col[1])))
			goto bad;
		asr_letters_feature(cep, nw, sf, ef, sh, r->x + r->n * (size_t)dim);
		r->y[r->n] = y;
		r->dec[r->n] = asr_letters_class(col[4]);
		r->spk[r->n] = s;
		r->matched[r->n] = atoi(col[3]) == 1;
		r->conf[r->n] = (float)atof(col[5]);
		r->n++;
		if (a && rows_augment(r, sh, r->n - 1, cep, nw, sf, ef, a,
				      cep + (size_t)nw * ASR_LETTERS_NCEP))
			goto bad;
	}
	free(line);
	free(cep);
	fclose(f);
	return 0;
bad:
	fprintf(stderr, PROG ": %s:%zu: bad row or out of memory\n", path, lineno);
	free(line);
	free(cep);
	fclose(f);
	return -1;
}

/* Trains on the rows outside fold k (k < 0: all) into a model; NULL with a message. */
static asr_letters *train_fold(const struct rows *r, int dim, int folds, int k,
			       const struct asr_letters_train_opts *o)
{
	float *x = malloc(r->n * (size_t)dim * sizeof *x);
	int *y = malloc(r->n * sizeof *y);
	size_t m = 0;
	char err[256];
	asr_letters *model = NULL;
	if (x && y) {
		for (size_t i = 0; i < r->n; i++) {
			if (k >= 0 && r->spk[i] % folds == k)
				continue;
			memcpy(x + m * (size_t)dim, r->x + i * (size_t)dim, (size_t)dim * sizeof *x);
			y[m++] = r->y[i];
		}
		model = asr_letters_train(x, y, m, o, err, sizeof err);
		if (!model)
			fprintf(stderr, PROG ": %s\n", err);
	} else {
		fprintf(stderr, PROG ": out of memory\n");
	}
	free(x);
	free(y);
	return model;
}

/* The relabelling rule (asr_letters_relabel) on the held-out posteriors qa for a grid of
 * lambda and tau: rows made right and made wrong, and clips whose every row is right.
 * any: among all classes, not only those that sound like the decoded word's
 * (asr_letters_alike, as letters.c does). */
static void rule_grid(const struct rows *r, const float *qa, const int *fold, int any)
{
	static const float lambdas[] = { 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f };
	static const float taus[] = { 0.3f, 0.5f, 0.7f, 0.8f, 0.9f, 0.95f };
	size_t clips = 0, right0 = 0;
	for (size_t i = 0, bad = 0; i < r->n; i++) {      /* clips: runs of rows of one id */
		if (fold[i] < 0)
			continue;
		bad |= r->dec[i] != r->y[i];
		if (i + 1 == r->n || strcmp(r->clip[i], r->clip[i + 1])) {
			clips++;
			right0 += !bad;
			bad = 0;
		}
	}
	printf("rule on held-out rows: clips %zu, all letters right before %zu\n"
	       "lambda\ttau\tfixed\tbroken\tnet\tclips right\n", clips, right0);
	for (size_t a = 0; a < sizeof lambdas / sizeof *lambdas; a++)
		for (size_t b = 0; b < sizeof taus / sizeof *taus; b++) {
			size_t fixed = 0, broken = 0, right = 0, bad = 0;
			for (size_t i = 0; i < r->n; i++) {
				if (fold[i] < 0)
					continue;
				float q[ASR_LETTERS_K];
				memcpy(q, qa + i * ASR_LETTERS_K, sizeof q);
				if (!any)
					asr_letters_alike(q, r->dec[i]);
				int k = r->dec[i] < 0 ? -1
					: asr_letters_relabel(q, r->dec[i], r->conf[i],
							      lambdas[a], taus[b]);
				fixed += r->dec[i] != r->y[i] && k == r->y[i];
				broken += r->dec[i] == r->y[i] && k != r->y[i];
				bad |= k != r->y[i];
				if (i + 1 == r->n || strcmp(r->clip[i], r->clip[i + 1])) {
					right += !bad;
					bad = 0;
				}
			}
			printf("%.2f\t%.2f\t%zu\t%zu\t%+ld\t%zu\n", (double)lambdas[a],
			       (double)taus[b], fixed, broken, (long)fixed - (long)broken, right);
		}
}

int cmd_letters_train(int argc, char **argv)
{
	char cmdline[1024] = "kefu letters-train";
	for (int i = 0, l = (int)strlen(cmdline); i < argc && l > 0 && (size_t)l < sizeof cmdline;
	     i++)
		l += snprintf(cmdline + l, sizeof cmdline - (size_t)l, " %s", argv[i]);
	const char *data = cli_take_value(&argc, argv, "--data");
	const char *out = cli_take_value(&argc, argv, "--out");
	const char *s_parts = cli_take_value(&argc, argv, "--parts");
	const char *s_ctx = cli_take_value(&argc, argv, "--ctx");
	const char *s_onset = cli_take_value(&argc, argv, "--onset");
	const char *s_hidden = cli_take_value(&argc, argv, "--hidden");
	const char *s_epochs = cli_take_value(&argc, argv, "--epochs");
	const char *s_lr = cli_take_value(&argc, argv, "--lr");
	const char *s_l2 = cli_take_value(&argc, argv, "--l2");
	const char *s_lambda = cli_take_value(&argc, argv, "--lambda");
	const char *s_tau = cli_take_value(&argc, argv, "--tau");
	const char *s_folds = cli_take_value(&argc, argv, "--folds");
	const char *cv_out = cli_take_value(&argc, argv, "--cv-out");
	const char *eval = cli_take_value(&argc, argv, "--eval");
	const char *note = cli_take_value(&argc, argv, "--note");
	const char *s_jitter = cli_take_value(&argc, argv, "--jitter");
	const char *s_stretch = cli_take_value(&argc, argv, "--stretch");
	int matched_only = cli_take_flag(&argc, argv, "--matched-only");
	int any = cli_take_flag(&argc, argv, "--any");
	struct asr_letters_train_opts o = {
		.shape = { .parts = s_parts ? atoi(s_parts) : 8, .ctx = s_ctx ? atoi(s_ctx) : 5,
			   .onset = s_onset ? atoi(s_onset) : 8 },
		.hidden = s_hidden ? atoi(s_hidden) : 64, .epochs = s_epochs ? atoi(s_epochs) : 30,
		.lr = s_lr ? (float)atof(s_lr) : 0.003f, .l2 = s_l2 ? (float)atof(s_l2) : 1e-4f,
		.seed = 0x5eed1e77e7ull, .lambda = s_lambda ? (float)atof(s_lambda) : 0.5f,
		.tau = s_tau ? (float)atof(s_tau) : 0.5f };
	int folds = s_folds ? atoi(s_folds) : 0;
	struct augment aug = { s_jitter ? atoi(s_jitter) : 0,
			       s_stretch ? (float)atof(s_stretch) : 0 };
	struct rows r = { 0 }, er = { 0 };
	int rc = 1, *fold = NULL;

	if (!data || argc > 0 || o.shape.parts < 1 || o.shape.parts > 8 || o.shape.ctx < 0 ||
	    o.shape.ctx > ASR_LETTERS_CTX || o.shape.onset < 0 || o.shape.onset > 8 || folds < 0 || folds == 1 || (!out && !folds) ||
	    aug.jitter < 0 || aug.jitter > 3 || aug.stretch < 0 || aug.stretch > 0.5f ||
	    ((cv_out || eval) && !folds)) {
		fprintf(stderr, "usage: " PROG " --data ROWS.tsv [--out MODEL] [--parts N]"
				" [--ctx N] [--onset N] [--hidden N] [--epochs N] [--lr X] [--l2 X]\n"
				"       [--lambda X] [--tau X] [--matched-only] [--jitter N]"
				" [--stretch X]\n"
				"      "
				" [--folds K [--eval ROWS.tsv] [--any] [--cv-out FILE]] [--note TEXT]\n");
		return 2;
	}
	cm_blas_single_thread();
	/* the held-out rows: --eval's, or --data's own without the perturbed copies */
	const char *held = eval ? eval : (aug.jitter || aug.stretch > 0) && folds ? data : NULL;
	if (read_rows(data, &o.shape, matched_only, &aug, &r) ||
	    (held && read_rows(held, &o.shape, eval ? 0 : matched_only, NULL, &er)))
		goto done;
	int dim = asr_letters_dim(&o.shape);
	printf("rows %zu, speakers %zu, features %d\n", r.n, r.n_spk, dim);
	if (folds) {
		const struct rows *e = held ? &er : &r;
		FILE *cf = cv_out ? fopen(cv_out, "w") : NULL;
		float *qa = malloc(e->n * ASR_LETTERS_K * sizeof *qa);
		fold = malloc((e->n + 1) * sizeof *fold);
		if (!qa || !fold) {
			fprintf(stderr, PROG ": out of memory\n");
			if (cf)
				fclose(cf);
			free(qa);
			goto done;
		}
		size_t ok = 0, ok_dec = 0, ok_m = 0, n_m = 0, n_e = 0;
		double nll = 0;
		for (size_t i = 0; i < e->n; i++) {
			int s = held ? speaker_find(&r, e->speakers[e->spk[i]]) : e->spk[i];
			fold[i] = s < 0 ? -1 : s % folds;
			n_e += s >= 0;
		}
		if (held)
			printf("held-out rows from %s: %zu, %zu of them of --data's speakers\n",
			       held, e->n, n_e);
		if (cv_out && !cf) {
			fprintf(stderr, PROG ": %s: %s\n", cv_out, strerror(errno));
			free(qa);
			goto done;
		}
		for (int k = 0; k < folds; k++) {
			asr_letters *m = train_fold(&r, dim, folds, k, &o);
			if (!m) {
				if (cf)
					fclose(cf);
				free(qa);
				goto done;
			}
			for (size_t i = 0; i < e->n; i++) {
				if (fold[i] != k)
					continue;
				float *q = qa + i * ASR_LETTERS_K;
				int best = 0;
				asr_letters_predict(m, e->x + i * (size_t)dim, q);
				for (int c = 1; c < ASR_LETTERS_K; c++)
					if (q[c] > q[best])
						best = c;
				ok += best == e->y[i];
				ok_dec += e->dec[i] == e->y[i];
				n_m += e->matched[i];
				ok_m += e->matched[i] && best == e->y[i];
				nll -= log(q[e->y[i]] > 1e-30f ? q[e->y[i]] : 1e-30);
				if (cf) {
					fprintf(cf, "%s\t%s\t%d\t%d\t%.4f", e->speakers[e->spk[i]],
						e->clip[i], e->y[i], e->dec[i], (double)e->conf[i]);
					for (int c = 0; c < ASR_LETTERS_K; c++)
						fprintf(cf, "\t%.5g", (double)q[c]);
					fputc('\n', cf);
				}
			}
			asr_letters_free(m);
		}
		if (cf && fclose(cf)) {
			fprintf(stderr, PROG ": %s: %s\n", cv_out, strerror(errno));
			free(qa);
			goto done;
		}
		rule_grid(e, qa, fold, any);
		free(qa);
		printf("held-out (%d speaker folds): classifier %.2f %% (%zu of %zu), on rows the"
		       " decoder got right %.2f %%; decoder %.2f %%; mean log-loss %.4f\n",
		       folds, 100.0 * (double)ok / (double)n_e, ok, n_e,
		       n_m ? 100.0 * (double)ok_m / (double)n_m : 0,
		       100.0 * (double)ok_dec / (double)n_e, nll / (double)n_e);
	}
	if (out) {
		asr_letters *m = train_fold(&r, dim, 1, -1, &o);
		char prov[2048];
		snprintf(prov, sizeof prov, "%s%strained by: %s", note ? note : "",
			 note ? "\n" : "", cmdline);
		if (!m)
			goto done;
		if (asr_letters_write(m, out, prov)) {
			fprintf(stderr, PROG ": %s: %s\n", out, strerror(errno));
			asr_letters_free(m);
			goto done;
		}
		asr_letters_free(m);
		printf("model %s (%zu rows)\n", out, r.n);
	}
	rc = 0;
done:
	free(fold);
	rows_free(&r);
	rows_free(&er);
	return rc;
}
