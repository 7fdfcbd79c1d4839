/* bench/fusion/bench_fusion.c — fusion (fusion/) on the multimodal clothing cases, beside
 * each input alone, the sum Σφ without ψ, and scikit-learn's logistic regression on
 * concatenated [TF-IDF, image embedding] features, in one run.
 *
 *   bench_fusion MODELS CLOTHING QUESTIONS OUT_DIR REF_SCRIPT|-
 *
 * Environment: FUSION_SEEDS (3), FUSION_HIDDEN, FUSION_EPOCHS, FUSION_OFFTOPIC_RATIO,
 * FUSION_EMBED (mobilenet_v2_imagenet), FUSION_OFFTOPIC=banking77/train.csv (its 77
 * categories join as answers without pictures, as in the demo store; a held-out fifth of
 * their questions, each with a clothing picture, must keep its own answer).
 *
 * The catalogue (issue 5): for each kind K of ../shared/data/clothing, answers "Returning
 * K", "Sizing K", "Caring for K"; each has the SAME generic questions for every K plus
 * K-specific ones (questions.tsv), and the train pictures of K.  Training uses the train
 * questions and the train pictures; the test cases are every validation picture of K ×
 * every held-out generic question (answer: that intent for K), and every held-out
 * K-specific question × every validation picture of K.  Models are saved and loaded back
 * before they answer, as kefud would.  One thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "file.h"
#include "fusion.h"
#include "glove.h"
#include "model.h"
#include "tensor.h"
#include "vision.h"

#define NI 3                    /* intents */
#define MAXK 32                 /* kinds */
#define MAXN 4                  /* nouns per kind */

static const char *const INTENT[NI] = { "returning", "sizing", "caring" };

struct strs {
	char **v;
	int *a, *b;             /* two ints per string (meaning depends on the list) */
	int n, cap;
};

static void strs_add(struct strs *s, const char *t, int a, int b)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, sizeof(char *) * (size_t)s->cap);
		s->a = realloc(s->a, sizeof(int) * (size_t)s->cap);
		s->b = realloc(s->b, sizeof(int) * (size_t)s->cap);
	}
	s->v[s->n] = strdup(t);
	s->a[s->n] = a;
	s->b[s->n++] = b;
}

static void strs_free(struct strs *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->a);
	free(s->b);
}

static int list_dir(const char *dir, char ***out)
{
	int n = cm_list_dir(dir, CM_DIR_ANY, out);   /* sorted, no dot files */
	return n < 0 ? 0 : n;
}



static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	if (!n)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Pictures of one split: embeddings (L2-normalised, as vis_see gives them) and kinds. */
struct pics {
	int n, dim;
	float *e;
	int *kind;
};

static int embed_dir(const char *root, char **kinds, int nk, const struct vis_cnn *m,
		     struct pics *p, double *ms, int *n_ms)
{
	struct vis_cnn_state *st = vis_cnn_state_create(m);
	int cap = 1024;
	p->dim = vis_cnn_embed_dim(m);
	p->n = 0;
	p->e = malloc(sizeof(float) * (size_t)cap * p->dim);
	p->kind = malloc(sizeof(int) * (size_t)cap);
	for (int k = 0; k < nk; k++) {
		char sub[1024], **files;
		snprintf(sub, sizeof sub, "%s/%s", root, kinds[k]);
		int nf = list_dir(sub, &files);
		for (int i = 0; i < nf; i++) {
			char path[1400], err[200];
			size_t len;
			snprintf(path, sizeof path, "%s/%s", sub, files[i]);
			free(files[i]);
			uint8_t *b = (uint8_t *)cm_read_file(path, &len);
			struct vis_image im;
			struct vis_decode_opts o = { .max_side = 448 };
			uint64_t t0 = cm_now_us();
			if (!b || vis_decode(b, len, &o, &im, err, sizeof err)) {
				fprintf(stderr, "%s: %s\n", path, b ? err : "unreadable");
				free(b);
				continue;
			}
			if (p->n == cap) {
				cap *= 2;
				p->e = realloc(p->e, sizeof(float) * (size_t)cap * p->dim);
				p->kind = realloc(p->kind, sizeof(int) * (size_t)cap);
			}
			float *e = p->e + (size_t)p->n * p->dim;
			vis_cnn_set_image(m, st, &im);
			vis_cnn_run(m, st, NULL, e);
			cm_l2_normalize((size_t)p->dim, e);
			ms[(*n_ms)++] = (double)(cm_now_us() - t0) / 1000.0;
			p->kind[p->n++] = k;
			vis_image_free(&im);
			free(b);
		}
		free(files);
	}
	vis_cnn_state_destroy(st);
	return p->n;
}

/* questions.tsv → train questions (text, answer) and test questions (text, intent, kind or
 * -1 for generic). */
static int read_questions(const char *path, char **kinds, int nk, struct strs *train,
			  struct strs *test_generic, struct strs *test_specific)
{
	FILE *f = fopen(path, "r");
	char line[512];
	struct strs gen[2] = { 0 }, tpl[2] = { 0 }, nouns = { 0 };
	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		char *f1 = strtok(line, "\t"), *f2 = strtok(NULL, "\t"), *f3 = strtok(NULL, "\t"),
		     *f4 = strtok(NULL, "\t");
		if (!f1 || !f2 || !f3)
			continue;
		if (!strcmp(f1, "n")) {
			for (int k = 0; k < nk; k++)
				if (!strcmp(kinds[k], f2))
					strs_add(&nouns, f3, k, 0);
			continue;
		}
		int split = !strcmp(f2, "test"), intent = -1;
		for (int i = 0; i < NI; i++)
			if (!strcmp(f3, INTENT[i]))
				intent = i;
		if (intent < 0 || !f4)
			continue;
		strs_add(!strcmp(f1, "q") ? &gen[split] : &tpl[split], f4, intent, 0);
	}
	fclose(f);
	for (int split = 0; split < 2; split++) {
		for (int k = 0; k < nk; k++)
			for (int q = 0; q < gen[split].n && !split; q++)
				strs_add(train, gen[split].v[q], gen[split].a[q] * nk + k, 0);
		for (int q = 0; q < gen[split].n && split; q++)
			strs_add(test_generic, gen[split].v[q], gen[split].a[q], -1);
		for (int t = 0; t < tpl[split].n; t++)
			for (int n = 0; n < nouns.n; n++) {
				char buf[300];
				const char *tp = tpl[split].v[t], *at = strstr(tp, "{n}");
				if (!at)
					continue;
				snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - tp), tp, nouns.v[n],
					 at + 3);
				int k = nouns.a[n], i = tpl[split].a[t];
				if (split)
					strs_add(test_specific, buf, i, k);
				else
					strs_add(train, buf, i * nk + k, 0);
			}
	}
	for (int s = 0; s < 2; s++) {
		strs_free(&gen[s]);
		strs_free(&tpl[s]);
	}
	strs_free(&nouns);
	return 0;
}

/* One system's tally over the test cases. */
struct tally {
	const char *name;
	int ok[2], n[2];        /* [0] generic, [1] specific questions */
	int intent_ok, kind_ok;
	double conf;            /* summed confidence of the chosen answers */
	double bin_conf[10];    /* per confidence decile: summed confidence, hits, cases */
	int bin_ok[10], bin_n[10];
};

static void tally_add(struct tally *t, int specific, int pred, int truth, int nk, float conf)
{
	t->n[specific]++;
	if (pred < 0)
		return;
	t->ok[specific] += pred == truth;
	t->intent_ok += pred / nk == truth / nk;
	t->kind_ok += pred % nk == truth % nk;
	t->conf += conf;
	int b = conf >= 1 ? 9 : conf <= 0 ? 0 : (int)(conf * 10);
	t->bin_conf[b] += conf;
	t->bin_ok[b] += pred == truth;
	t->bin_n[b]++;
}

/* Expected calibration error over ten confidence bins. */
static double tally_ece(const struct tally *t)
{
	double e = 0;
	int n = t->n[0] + t->n[1];
	for (int b = 0; b < 10; b++)
		if (t->bin_n[b])
			e += fabs(t->bin_conf[b] - t->bin_ok[b]) / n;
	return e;
}

static void tally_print(const struct tally *t, const char *extra)
{
	int n = t->n[0] + t->n[1], ok = t->ok[0] + t->ok[1];
	printf("| %-44s | %5.1f | %5.1f | %5.1f | %5.1f | %5.1f | %s |\n", t->name,
	       100.0 * ok / n, 100.0 * t->ok[0] / t->n[0], 100.0 * t->ok[1] / t->n[1],
	       100.0 * t->intent_ok / n, 100.0 * t->kind_ok / n, extra);
}

static struct fu_model *reload(struct fu_model *m, const struct nlu_glove *g, size_t *bytes)
{
	void *blob;
	size_t len;
	char err[300];
	if (fu_model_save(m, &blob, &len)) {
		fprintf(stderr, "save failed\n");
		exit(1);
	}
	struct fu_model *l = fu_model_load(blob, len, g, err, sizeof err);
	if (!l) {
		fprintf(stderr, "load: %s\n", err);
		exit(1);
	}
	free(blob);
	fu_model_destroy(m);
	*bytes = len;
	return l;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench_fusion MODELS CLOTHING QUESTIONS OUT_DIR REF_SCRIPT\n");
		return 2;
	}
	const char *models = argv[1], *clothing = argv[2], *qpath = argv[3], *out = argv[4];
	const char *embed_name = getenv("FUSION_EMBED") ? getenv("FUSION_EMBED")
							: "mobilenet_v2_imagenet";
	char path[1400], err[400];
	cm_blas_single_thread();

	/* kinds, answers, questions */
	char **kinds;
	snprintf(path, sizeof path, "%s/train", clothing);
	int nk = list_dir(path, &kinds);
	if (nk < 2 || nk > MAXK) {
		fprintf(stderr, "%s: want 2..%d kinds, found %d\n", path, MAXK, nk);
		return 1;
	}
	struct strs train = { 0 }, tgen = { 0 }, tspec = { 0 };
	if (read_questions(qpath, kinds, nk, &train, &tgen, &tspec))
		return 1;
	/* FUSION_OFFTOPIC=banking77/train.csv: its categories join as answers without
	 * pictures (4 in 5 questions train, the 5th is held out), as in the demo store */
	struct strs otest = { 0 };
	int n_off = 0;
	if (getenv("FUSION_OFFTOPIC")) {
		struct nlu_dataset ds;
		nlu_dataset_init(&ds);
		if (nlu_dataset_read(getenv("FUSION_OFFTOPIC"), &ds, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		n_off = (int)ds.n_labels;
		int *seen = calloc(ds.n_labels, sizeof(int));
		for (size_t i = 0; i < ds.n; i++) {
			int a = NI * nk + ds.labels[i];
			if (++seen[ds.labels[i]] % 5)
				strs_add(&train, ds.texts[i], a, 0);
			else
				strs_add(&otest, ds.texts[i], a, 0);
		}
		free(seen);
		nlu_dataset_free(&ds);
	}
	int na = NI * nk + n_off;
	int *answer_label = malloc(sizeof(int) * (size_t)na);
	for (int a = 0; a < na; a++)
		answer_label[a] = a < NI * nk ? a % nk : -1;

	/* pictures */
	snprintf(path, sizeof path, "%s/%s.kfm", models, embed_name);
	struct vis_cnn *cnn = vis_cnn_open(path, err, sizeof err);
	if (!cnn) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double *ms = malloc(sizeof(double) * 8192);
	int n_ms = 0;
	struct pics ptr, pva;
	snprintf(path, sizeof path, "%s/train", clothing);
	embed_dir(path, kinds, nk, cnn, &ptr, ms, &n_ms);
	snprintf(path, sizeof path, "%s/validation", clothing);
	embed_dir(path, kinds, nk, cnn, &pva, ms, &n_ms);
	double embed_ms = median(ms, n_ms);
	vis_cnn_close(cnn);

	snprintf(path, sizeof path, "%s/glove-100d.kfv", models);
	struct nlu_glove *glove = nlu_glove_open(path, err, sizeof err);
	if (!glove)
		fprintf(stderr, "no word vectors (%s): sparse text features only\n", err);

	printf("catalogue: %d kinds x %d intents = %d answers (+ %d without pictures); %d train "
	       "questions, held out: %d generic + %d kind-specific questions\n", nk, NI, NI * nk,
	       n_off, train.n, tgen.n, tspec.n);
	printf("pictures: %d train, %d validation; embedding %s (%d-d), decode + CNN median "
	       "%.1f ms per picture; word vectors: %s\n", ptr.n, pva.n, embed_name, ptr.dim,
	       embed_ms, glove ? "GloVe 100-d" : "none");

	/* train: with ψ and without */
	struct fu_data d = {
		.n_answers = (size_t)na, .answer_label = answer_label, .n_labels = (size_t)nk,
		.n_texts = (size_t)train.n, .texts = (const char *const *)train.v,
		.text_answer = train.a, .n_pictures = (size_t)ptr.n, .dim = ptr.dim,
		.embeds = ptr.e, .picture_label = ptr.kind,
	};
	struct fu_opts o;
	struct fu_train_stats st_full, st_flat;
	fu_opts_default(&o);
	o.glove = glove;
	o.embed_model = embed_name;
	if (getenv("FUSION_HIDDEN"))
		o.hidden = atoi(getenv("FUSION_HIDDEN"));
	if (getenv("FUSION_OFFTOPIC_RATIO"))
		o.offtopic = (float)atof(getenv("FUSION_OFFTOPIC_RATIO"));
	if (getenv("FUSION_EPOCHS"))
		o.epochs = atoi(getenv("FUSION_EPOCHS"));
	int n_seeds = getenv("FUSION_SEEDS") ? atoi(getenv("FUSION_SEEDS")) : 3;
	int hidden = o.hidden;
	if (n_seeds < 1 || n_seeds > 20)
		n_seeds = 3;
	struct tally t[5] = {
		{ .name = "fusion: words + picture (sum phi + psi)" },
		{ .name = "same model, psi left out" },
		{ .name = "sum phi trained without psi" },
		{ .name = "words only (same model, no picture)" },
		{ .name = "picture only (same model, no words)" },
	};
	double lo[5], hi[5], train_s[2] = { 0, 0 };
	int off_ok[3] = { 0, 0, 0 }, off_n = 0;   /* fusion, sum phi, words only */
	double *us = malloc(sizeof(double) * 200000);
	int n_us = 0;
	size_t bytes_full = 0, bytes_flat = 0;
	for (int k = 0; k < 5; k++) {
		lo[k] = 101;
		hi[k] = -1;
	}
	for (int seed = 1; seed <= n_seeds; seed++) {
		/* train: with ψ and without, then save and load back as kefud would */
		o.seed = (uint64_t)seed;
		o.hidden = hidden;
		struct fu_model *full = fu_model_train(&d, &o, &st_full, err, sizeof err);
		o.hidden = 0;
		struct fu_model *flat = full ? fu_model_train(&d, &o, &st_flat, err, sizeof err)
					     : NULL;
		if (!full || !flat) {
			fprintf(stderr, "train: %s\n", err);
			return 1;
		}
		full = reload(full, glove, &bytes_full);
		flat = reload(flat, glove, &bytes_flat);
		train_s[0] += st_full.train_seconds / n_seeds;
		train_s[1] += st_flat.train_seconds / n_seeds;
		if (seed == 1)
			printf("examples per epoch: %zu pair, %zu text-only, %zu image-only, %zu "
			       "off-topic; %d epochs; T words/picture/both %.2f/%.2f/%.2f (seed 1)\n",
			       st_full.n_pair, st_full.n_text, st_full.n_image, st_full.n_offtopic,
			       o.epochs, st_full.temperature[0], st_full.temperature[1], st_full.temperature[2]);

		struct fu_state *sf = fu_state_create(full), *sl = fu_state_create(flat);
		int before[5];
		for (int k = 0; k < 5; k++)
			before[k] = t[k].ok[0] + t[k].ok[1];
		snprintf(path, sizeof path, "%s/cases.tsv", out);
		FILE *fc = seed == 1 ? fopen(path, "w") : NULL;
		if (seed == 1 && !fc) {
			perror(path);
			return 1;
		}
		int n_cases = 0;
		for (int spec = 0; spec < 2; spec++) {
			struct strs *q = spec ? &tspec : &tgen;
			for (int i = 0; i < q->n; i++)
				for (int p = 0; p < pva.n; p++) {
					int k = pva.kind[p];
					if (spec && q->b[i] != k)
						continue;
					int truth = q->a[i] * nk + k;
					const char *text = q->v[i];
					size_t len = strlen(text);
					const float *e = pva.e + (size_t)p * pva.dim;
					struct fu_choice c;
					uint64_t t0 = cm_now_us();
					fu_choose(full, sf, text, len, e, pva.dim, &c, NULL);
					us[n_us++ % 200000] = (double)(cm_now_us() - t0);
					tally_add(&t[0], spec, c.index, truth, nk, c.confidence);
					fu_choose_ex(full, sf, text, len, e, pva.dim, FU_NO_PSI, &c, NULL);
					tally_add(&t[1], spec, c.index, truth, nk, c.confidence);
					fu_choose(flat, sl, text, len, e, pva.dim, &c, NULL);
					tally_add(&t[2], spec, c.index, truth, nk, c.confidence);
					fu_choose(full, sf, text, len, NULL, 0, &c, NULL);
					tally_add(&t[3], spec, c.index, truth, nk, c.confidence);
					fu_choose(full, sf, NULL, 0, e, pva.dim, &c, NULL);
					tally_add(&t[4], spec, c.index, truth, nk, c.confidence);
					if (fc)
						fprintf(fc, "%d\t%d\t%d\t%s\n", spec, p, truth, text);
					n_cases++;
				}
		}
		if (fc)
			fclose(fc);
		for (int k = 0; k < 5; k++) {
			double acc = 100.0 * (t[k].ok[0] + t[k].ok[1] - before[k]) / n_cases;
			lo[k] = acc < lo[k] ? acc : lo[k];
			hi[k] = acc > hi[k] ? acc : hi[k];
		}
		/* off-topic: a held-out banking question + a validation clothing picture */
		for (int i = 0; i < otest.n; i++) {
			const float *e = pva.e + (size_t)(i % pva.n) * pva.dim;
			size_t len = strlen(otest.v[i]);
			struct fu_choice c;
			fu_choose(full, sf, otest.v[i], len, e, pva.dim, &c, NULL);
			off_ok[0] += c.index == otest.a[i];
			fu_choose(flat, sl, otest.v[i], len, e, pva.dim, &c, NULL);
			off_ok[1] += c.index == otest.a[i];
			fu_choose(full, sf, otest.v[i], len, NULL, 0, &c, NULL);
			off_ok[2] += c.index == otest.a[i];
			off_n++;
		}
		fu_state_destroy(sf);
		fu_state_destroy(sl);
		fu_model_destroy(full);
		fu_model_destroy(flat);
	}
	printf("trained (mean of %d seeds): with psi (rank %d) %.1f s, %zu bytes; without psi "
	       "%.1f s, %zu bytes\n", n_seeds, hidden, train_s[0], bytes_full, train_s[1],
	       bytes_flat);
	/* reference training pairs: each train question × 4 train pictures of its kind */
	snprintf(path, sizeof path, "%s/train_pairs.tsv", out);
	FILE *fp = fopen(path, "w");
	uint64_t s = 12345;
	for (int i = 0; i < train.n; i++) {
		if (train.a[i] >= NI * nk)
			continue;
		int k = train.a[i] % nk, cand[1024], nc = 0;
		for (int p = 0; p < ptr.n && nc < 1024; p++)
			if (ptr.kind[p] == k)
				cand[nc++] = p;
		for (int r = 0; r < 4 && nc; r++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			fprintf(fp, "%d\t%d\t%s\n", cand[(s >> 33) % (uint64_t)nc], train.a[i],
				train.v[i]);
		}
	}
	fclose(fp);
	for (int split = 0; split < 2; split++) {
		const struct pics *p = split ? &pva : &ptr;
		snprintf(path, sizeof path, "%s/%s_embed.tsv", out, split ? "val" : "train");
		FILE *fe = fopen(path, "w");
		for (int i = 0; i < p->n; i++)
			for (int j = 0; j < p->dim; j++)
				fprintf(fe, "%.6g%c", p->e[(size_t)i * p->dim + j],
					j + 1 < p->dim ? '\t' : '\n');
		fclose(fe);
	}

	/* the reference, same run */
	char cmd[3000], line[512];
	snprintf(cmd, sizeof cmd, "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 %s %s "
		 "%d", argv[5], out, nk);
	FILE *py = strcmp(argv[5], "-") ? popen(cmd, "r") : NULL;
	double ref[6] = { -1, -1, -1, -1, -1, -1 };
	while (py && fgets(line, sizeof line, py))
		if (sscanf(line, "reference %lf %lf %lf %lf %lf %lf", &ref[0], &ref[1], &ref[2],
			   &ref[3], &ref[4], &ref[5]) == 6)
			break;
	if (py)
		pclose(py);

	int n_cases = (t[0].n[0] + t[0].n[1]) / n_seeds;
	printf("\ntest cases: %d (%d generic question x picture, %d kind-specific question x "
	       "picture of that kind); accuracy %% of the exact answer, pooled over %d training "
	       "seeds (range of 'all' over seeds in the notes)\n\n", n_cases,
	       t[0].n[0] / n_seeds, t[0].n[1] / n_seeds, n_seeds);
	printf("| system %37s | all   | generic | specific | intent right | kind right | notes |\n",
	       "");
	printf("|%.46s|-------|-------|-------|-------|-------|-------|\n",
	       "----------------------------------------------");
	for (int k = 0; k < 5; k++) {
		char extra[200];
		int n = t[k].n[0] + t[k].n[1];
		snprintf(extra, sizeof extra, "seeds %.1f-%.1f; mean confidence %.2f, ECE %.3f",
			 lo[k], hi[k], t[k].conf / n, tally_ece(&t[k]));
		if (k == 0)
			snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
				 "; fu_choose median %.0f us", median(us, n_us < 200000 ? n_us : 200000));
		tally_print(&t[k], extra);
	}
	if (ref[0] >= 0)
		printf("| %-44s | %5.1f | %5.1f | %5.1f | %5.1f | %5.1f | fit %.1f s |\n",
		       "sklearn LogisticRegression [tfidf, embedding]", ref[0], ref[1], ref[2],
		       ref[3], ref[4], ref[5]);
	else if (strcmp(argv[5], "-"))
		printf("| %-44s | (did not run: %s) |\n", "sklearn reference", cmd);

	if (off_n)
		printf("\noff-topic: %d held-out questions of %d answers without pictures "
		       "(BANKING77), each with a clothing validation picture: right answer %.1f %% "
		       "fusion, %.1f %% sum phi without psi; %.1f %% from the words alone\n",
		       off_n / n_seeds, n_off, 100.0 * off_ok[0] / off_n, 100.0 * off_ok[1] / off_n,
		       100.0 * off_ok[2] / off_n);
	nlu_glove_close(glove);
	return 0;
}
